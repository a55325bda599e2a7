"""The checks: each compares what should be with what the cloud holds and upserts or
resolves findings, in the caller's transaction (a job's, scoped to one tenant).

Shift gaps wait for the caja: a gap found while the caja still reports unsynced ops is
recorded with `waiting_for_caja: true` (the missing sales are most likely in its outbox) and
re-checked as its later ops land and at every periodic run; it resolves itself once the
figures match, and stays open, no longer waiting, once the caja has drained and they still
differ.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.reconciliation import repository as repo
from stocky.core.clock import clock_skewed

SHIFT_GAP = "shift_gap"
STOCK_DRIFT = "stock_drift"
CLOCK_SKEW = "clock_skew"
REJECTED_OPS = "rejected_ops"
# Rejected ops younger than this are still the caja's and its people's to see and fix.
REJECTED_AGE = timedelta(days=1)


@dataclass
class CheckCounts:
    """What one run found: findings new, still there (refreshed), and resolved."""

    new: int = 0
    seen: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "seen": self.seen, "resolved": self.resolved}


async def _record(
    session: AsyncSession, tenant_id: uuid.UUID, counts: CheckCounts, **kw: Any
) -> None:
    if await repo.upsert_finding(session, tenant_id, **kw):
        counts.new += 1
    else:
        counts.seen += 1


def _figure(value: Any) -> Decimal | None:
    try:
        found = Decimal(str(value))
    except ArithmeticError:
        return None
    return found if found.is_finite() else None


def _reported(report: dict[str, Any], key: str) -> Any:
    """The report's figure for `key` ("payments.cash" reads report["payments"]["cash"]);
    None when the report does not carry it (an older caja): that figure is not compared."""
    head, _, rest = key.partition(".")
    value = report.get(head)
    if rest:
        return value.get(rest) if isinstance(value, dict) else None
    return value


def shift_differences(
    report: dict[str, Any], received: dict[str, Decimal]
) -> tuple[dict[str, str], dict[str, str]]:
    """(expected as the Z report says, differences expected - received) for the figures the
    report carries; a figure it carries but is not a number differs as "unreadable"."""
    expected: dict[str, str] = {}
    differences: dict[str, str] = {}
    for key, value in received.items():
        said = _reported(report, key)
        if said is None:
            continue
        number = _figure(said)
        if number is None:
            expected[key] = str(said)
            differences[key] = "unreadable"
            continue
        expected[key] = str(number)
        if number != value:
            differences[key] = str(number - value)
    return expected, differences


async def check_shift(session: AsyncSession, tenant_id: uuid.UUID, shift_id: uuid.UUID) -> str:
    """Compare a closed shift's Z report with what the cloud holds for it; returns
    "gap", "match" or "skipped" (not closed here, or no report)."""
    shift = await repo.closed_shift(session, tenant_id, shift_id)
    if shift is None or not shift.z_report:
        return "skipped"
    received = await repo.shift_received(session, tenant_id, shift_id)
    expected, differences = shift_differences(shift.z_report, received)
    if not differences:
        await repo.resolve(
            session, tenant_id, SHIFT_GAP, subjects=[str(shift_id)], resolution="matched"
        )
        return "match"
    pending = await repo.pending_ops(session, tenant_id, shift.device_id)
    await repo.upsert_finding(
        session,
        tenant_id,
        kind=SHIFT_GAP,
        subject=str(shift_id),
        sede_id=shift.sede_id,
        device_id=shift.device_id,
        details={
            "shift_id": str(shift_id),
            "closed_at": shift.closed_at.isoformat() if shift.closed_at else None,
            "expected": expected,
            "received": {k: str(v) for k, v in received.items() if k in expected},
            "differences": differences,
            "pending_ops": pending,
            "waiting_for_caja": bool(pending),
            "fingerprint": json.dumps(differences, sort_keys=True),
        },
    )
    return "gap"


async def recheck_shift_gaps(session: AsyncSession, tenant_id: uuid.UUID) -> CheckCounts:
    counts = CheckCounts()
    for subject in await repo.unresolved_subjects(session, tenant_id, SHIFT_GAP):
        outcome = await check_shift(session, tenant_id, uuid.UUID(subject))
        if outcome == "match":
            counts.resolved += 1
        elif outcome == "gap":
            counts.seen += 1
    return counts


async def check_stock(session: AsyncSession, tenant_id: uuid.UUID) -> CheckCounts:
    """Every (sede, product) whose stock row is not the sum of its movements is a drift;
    nothing is overwritten (an admin corrects a drift: service.correct)."""
    counts = CheckCounts()
    drifts = await repo.stock_drifts(session, tenant_id)
    labels = await repo.product_labels(session, tenant_id, sorted({d.product_id for d in drifts}))
    present: set[str] = set()
    for drift in drifts:
        subject = f"{drift.sede_id}:{drift.product_id}"
        present.add(subject)
        difference = Decimal(drift.stock) - Decimal(drift.moved)
        sku, name = labels.get(drift.product_id, ("", ""))
        await _record(
            session,
            tenant_id,
            counts,
            kind=STOCK_DRIFT,
            subject=subject,
            sede_id=drift.sede_id,
            device_id=None,
            details={
                "product_id": str(drift.product_id),
                "sku": sku,
                "name": name,
                "stock_quantity": str(drift.stock),
                "movements_quantity": str(drift.moved),
                "difference": str(difference),
                "last_movements": await repo.last_movements(
                    session, tenant_id, drift.sede_id, drift.product_id
                ),
                "fingerprint": str(difference),
            },
        )
    counts.resolved += await repo.resolve(
        session, tenant_id, STOCK_DRIFT, keep=present, resolution="no longer drifts"
    )
    return counts


async def check_clocks(
    session: AsyncSession, tenant_id: uuid.UUID, threshold_s: float
) -> CheckCounts:
    """Cajas whose last measured offset is past the clock-health threshold (stocky.core.clock)."""
    counts = CheckCounts()
    present: set[str] = set()
    for device in await repo.measured_devices(session, tenant_id):
        if not clock_skewed(device.clock_offset_ms, threshold_s):
            continue
        present.add(str(device.id))
        await _record(
            session,
            tenant_id,
            counts,
            kind=CLOCK_SKEW,
            subject=str(device.id),
            sede_id=device.sede_id,
            device_id=device.id,
            details={
                "device_name": device.name,
                "clock_offset_ms": device.clock_offset_ms,
                "threshold_s": threshold_s,
                "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
                # Ahead or behind: an acknowledged skew that flips sides is another problem.
                "fingerprint": "ahead" if device.clock_offset_ms > 0 else "behind",
            },
        )
    counts.resolved += await repo.resolve(
        session, tenant_id, CLOCK_SKEW, keep=present, resolution="clock back in range"
    )
    return counts


async def check_rejected_ops(
    session: AsyncSession, tenant_id: uuid.UUID, now: datetime
) -> CheckCounts:
    """Per caja, its ops rejected more than a day ago: someone has to look at them. They
    stay rejected (a rejection is final), so the finding is for a person to acknowledge;
    it opens again when more are rejected."""
    counts = CheckCounts()
    before = now - REJECTED_AGE
    for row in await repo.old_rejections(session, tenant_id, before):
        await _record(
            session,
            tenant_id,
            counts,
            kind=REJECTED_OPS,
            subject=str(row.device_id),
            sede_id=row.sede_id,
            device_id=row.device_id,
            details={
                "count": row.count,
                "oldest": row.oldest.isoformat(),
                "newest": row.newest.isoformat(),
                "examples": await repo.rejection_examples(
                    session, tenant_id, row.device_id, before
                ),
                "fingerprint": str(row.count),
            },
        )
    return counts


async def check_tenant(
    session: AsyncSession, tenant_id: uuid.UUID, *, threshold_s: float, now: datetime
) -> dict[str, dict[str, int]]:
    """Every periodic check of one tenant, in the caller's transaction."""
    return {
        STOCK_DRIFT: (await check_stock(session, tenant_id)).as_dict(),
        CLOCK_SKEW: (await check_clocks(session, tenant_id, threshold_s)).as_dict(),
        REJECTED_OPS: (await check_rejected_ops(session, tenant_id, now)).as_dict(),
        SHIFT_GAP: (await recheck_shift_gaps(session, tenant_id)).as_dict(),
    }
