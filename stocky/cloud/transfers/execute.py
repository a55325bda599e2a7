"""The transfer job's one transaction: stock out of the origin and into the destination.

Exactly once: the transfer row is locked first and only a PROCESSING transfer moves, and
the movements' ids are derived from the transfer, so even a re-run that got past the status
(it cannot) would insert nothing twice. A worker killed mid-transaction leaves nothing
behind (PostgreSQL rolls it back) and the job is retried by another worker.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AuditContext, attach
from stocky.cloud.db import tenant_transaction
from stocky.cloud.inventory.service import Movement, validate_movement, write_movements
from stocky.cloud.models import Product, Transfer, TransferLine
from stocky.cloud.transfers import repository as repo
from stocky.cloud.transfers.events import announce_after_commit

# Movement ids are uuid5 of the transfer, product and direction: stable across re-runs.
MOVEMENT_NAMESPACE = uuid.UUID("0b5c3e4e-6f7a-4c1d-9a59-7d2f3c1e8a10")
JOB_PATH = "job:transfers.execute"


@dataclass(frozen=True)
class Outcome:
    status: str  # completed | failed | skipped (not processing any more)
    reason: str | None = None


def movement_id(transfer_id: uuid.UUID, product_id: uuid.UUID, kind: str) -> uuid.UUID:
    return uuid.uuid5(MOVEMENT_NAMESPACE, f"{transfer_id}:{product_id}:{kind}")


def _fmt(qty: Decimal) -> str:
    return format(qty.normalize(), "f") if qty == qty.to_integral() else format(qty, "f")


def _shortages(
    origin: uuid.UUID,
    lines: list[tuple[TransferLine, Product]],
    held: dict[tuple[uuid.UUID, uuid.UUID], Decimal],
) -> list[dict[str, str]]:
    """The lines the origin cannot cover, as the API and the feed carry them."""
    short = []
    for line, product in lines:
        have = held.get((origin, product.id), Decimal("0"))
        if have < line.quantity:
            short.append(
                {
                    "product_id": str(product.id),
                    "sku": product.sku,
                    "name": product.name,
                    "available": str(have),
                    "requested": str(line.quantity),
                }
            )
    return short


def shortage_reason(origin: str, shortages: list[dict[str, str]]) -> str:
    """The failure in one English sentence (logs, the API); screens build their own from
    `failure_code` and `shortages`."""
    parts = [
        f"{s['sku']} {s['name']}: has {_fmt(Decimal(s['available']))},"
        f" needs {_fmt(Decimal(s['requested']))}"
        for s in shortages
    ]
    return f"insufficient stock at {origin}: " + "; ".join(parts)


def _movements(
    transfer: Transfer, lines: list[tuple[TransferLine, Product]], kind: str
) -> list[Movement]:
    now = datetime.now(UTC)
    sign = Decimal(-1) if kind == "out" else Decimal(1)
    return [
        Movement(
            id=movement_id(transfer.id, product.id, kind),
            product_id=product.id,
            type=f"transfer_{kind}",
            quantity=sign * line.quantity,
            client_timestamp=now,
            document_id=transfer.id,
            transfer_id=transfer.id,
            user_id=transfer.decided_by,
            product_version=product.version,
            unit_cost=product.cost,
            note=transfer.note,
        )
        for line, product in sorted(lines, key=lambda lp: lp[1].id)
    ]


async def _move(
    session: AsyncSession, transfer: Transfer, lines: list[tuple[TransferLine, Product]]
) -> None:
    for sede_id, kind in sorted(((transfer.from_sede_id, "out"), (transfer.to_sede_id, "in"))):
        movements = _movements(transfer, lines, kind)
        quantities = [validate_movement(m) for m in movements]
        await write_movements(session, transfer.tenant_id, sede_id, movements, quantities)


async def execute_transfer(app: FastAPI, tenant_id: uuid.UUID, transfer_id: uuid.UUID) -> Outcome:
    """Move the stock of a PROCESSING transfer, or fail it with the reason, in one
    transaction; announce the outcome once it commits."""
    async with tenant_transaction(app.state.sessionmaker, tenant_id) as session:
        transfer = await repo.get(session, tenant_id, transfer_id, lock=True)
        if transfer is None or transfer.status != "processing":
            return Outcome("skipped")
        attach(
            session,
            AuditContext(
                tenant_id=tenant_id, user_id=transfer.decided_by, method="JOB", path=JOB_PATH
            ),
        )
        lines = (await repo.lines_of(session, tenant_id, [transfer_id])).get(transfer_id, [])
        product_ids = sorted(p.id for _, p in lines)
        sede_ids = sorted([transfer.from_sede_id, transfer.to_sede_id])
        held = await repo.lock_stock(
            session, tenant_id, sede_ids, product_ids, create_at=transfer.to_sede_id
        )
        short = _shortages(transfer.from_sede_id, lines, held)
        names = await repo.sede_names(session, tenant_id)
        if short:
            reason = shortage_reason(names.get(transfer.from_sede_id, ""), short)
            await repo.set_state(
                session,
                transfer,
                status="failed",
                failure_reason=reason,
                failure_code="insufficient_stock",
                shortages=short,
                completed_at=datetime.now(UTC),
            )
            announce_after_commit(session, app, transfer, names, status="failed", reason=reason)
            return Outcome("failed", reason)
        await _move(session, transfer, lines)
        await repo.set_state(session, transfer, status="completed", completed_at=datetime.now(UTC))
        announce_after_commit(session, app, transfer, names, status="completed")
        return Outcome("completed")


async def fail_transfer(
    app: FastAPI, tenant_id: uuid.UUID, transfer_id: uuid.UUID, reason: str
) -> bool:
    """Give up on a PROCESSING transfer whose job kept erroring: FAILED, nothing moved."""
    async with tenant_transaction(app.state.sessionmaker, tenant_id) as session:
        transfer = await repo.get(session, tenant_id, transfer_id, lock=True)
        if transfer is None or transfer.status != "processing":
            return False
        await repo.set_state(
            session,
            transfer,
            status="failed",
            failure_reason=reason,
            failure_code="job_error",
            completed_at=datetime.now(UTC),
        )
        names = await repo.sede_names(session, tenant_id)
        announce_after_commit(session, app, transfer, names, status="failed", reason=reason)
        return True
