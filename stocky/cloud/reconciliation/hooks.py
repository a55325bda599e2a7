"""The push's hook: a shift's close queues its check, and a caja's later ops queue a
re-check of its sede's shifts that have an open gap (in the push's own transaction)."""

from __future__ import annotations

import uuid

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.reconciliation import repository as repo
from stocky.cloud.reconciliation.checks import SHIFT_GAP
from stocky.cloud.reconciliation.jobs import defer_shift_check
from stocky.core.sync import Operation, OpResult

# Ops that can add to a closed shift's figures when they land late.
SHIFT_FIGURES = ("transaction.create", "cash.movement")


def _closed_shift(op: Operation) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(op.payload.get("id")))
    except ValueError:
        return None


async def after_push(
    session: AsyncSession,
    jobs: procrastinate.App,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    ops: list[Operation],
    results: list[OpResult],
) -> None:
    """Queue the shift checks this batch calls for. Costs one indexed read of the sede's
    open gaps when the batch applied sales or cash, nothing otherwise."""
    applied = [op for op, r in zip(ops, results, strict=True) if r.status == "applied"]
    shifts = {s for op in applied if op.kind == "shift.close" and (s := _closed_shift(op))}
    if any(op.kind in SHIFT_FIGURES for op in applied):
        # Adopted sales get their shift from a trigger, and a LAN master pushes for the other
        # cajas, so the op alone does not say which shift it fed: re-check every open gap of
        # the sede (there are few, if any).
        gaps = await repo.unresolved_subjects(session, tenant_id, SHIFT_GAP, sede_id)
        shifts.update(uuid.UUID(s) for s in gaps)
    for shift_id in sorted(shifts):
        await defer_shift_check(session, jobs, tenant_id, shift_id)
