"""Queries of the reconciliation checks. Every one filters by tenant (RLS does too)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import (
    CashMovement,
    Device,
    Finding,
    Inventory,
    Product,
    Refund,
    Sale,
    SalePayment,
    Shift,
    SyncOp,
    Transaction,
)
from stocky.cloud.models.movements import PAYMENT_METHODS

UNRESOLVED = text("status <> 'resolved'")


async def tenants(session: AsyncSession) -> list[uuid.UUID]:
    """Every tenant's id (the periodic check runs outside any tenant; see 0024)."""
    rows = await session.execute(text("SELECT tenant_id FROM stocky_reconciliation_tenants()"))
    return list(rows.scalars())


async def upsert_finding(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    kind: str,
    subject: str,
    sede_id: uuid.UUID,
    device_id: uuid.UUID | None,
    details: dict[str, Any],
) -> bool:
    """Record the finding, or refresh the unresolved one of the same subject; True if new.

    An acknowledged finding opens again when its fingerprint changed (more rejected ops, a
    different drift): a person saw another problem than this one.
    """
    stmt = pg_insert(Finding).values(
        tenant_id=tenant_id,
        kind=kind,
        subject=subject,
        sede_id=sede_id,
        device_id=device_id,
        details=details,
    )
    reopened = and_(
        Finding.status == "acknowledged",
        Finding.details["fingerprint"].is_distinct_from(stmt.excluded.details["fingerprint"]),
    )
    upsert: Any = stmt.on_conflict_do_update(
        index_elements=[Finding.tenant_id, Finding.kind, Finding.subject],
        index_where=UNRESOLVED,
        set_={
            "details": stmt.excluded.details,
            "sede_id": stmt.excluded.sede_id,
            "device_id": stmt.excluded.device_id,
            "updated_at": func.now(),
            "status": case((reopened, "open"), else_=Finding.status),
        },
    ).returning(literal_column("(xmax = 0)"))
    return bool((await session.execute(upsert)).scalar_one())


async def resolve(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    *,
    subjects: list[str] | None = None,
    keep: set[str] | None = None,
    resolution: str,
) -> int:
    """Resolve the unresolved findings of `kind` with these subjects (or all but `keep`)."""
    where = [Finding.tenant_id == tenant_id, Finding.kind == kind, Finding.status != "resolved"]
    if subjects is not None:
        where.append(Finding.subject.in_(subjects))
    if keep:
        where.append(Finding.subject.not_in(sorted(keep)))
    result = await session.execute(
        update(Finding)
        .where(*where)
        .values(
            status="resolved",
            resolved_at=func.now(),
            updated_at=func.now(),
            details=Finding.details.op("||")(func.jsonb_build_object("resolution", resolution)),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def unresolved_subjects(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, sede_id: uuid.UUID | None = None
) -> list[str]:
    where = [Finding.tenant_id == tenant_id, Finding.kind == kind, Finding.status != "resolved"]
    if sede_id is not None:
        where.append(Finding.sede_id == sede_id)
    return list((await session.execute(select(Finding.subject).where(*where))).scalars())


# Shifts -------------------------------------------------------------------------------


async def closed_shift(session: AsyncSession, tenant_id: uuid.UUID, shift_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            select(Shift).where(
                Shift.tenant_id == tenant_id, Shift.id == shift_id, Shift.status == "closed"
            )
        )
    ).scalar_one_or_none()


async def pending_ops(
    session: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID
) -> int | None:
    """The caja's outbox as its last ping reported it (None: never reported)."""
    value: int | None = (
        await session.execute(
            select(Device.pending_ops).where(Device.tenant_id == tenant_id, Device.id == device_id)
        )
    ).scalar_one_or_none()
    return value


async def shift_received(
    session: AsyncSession, tenant_id: uuid.UUID, shift_id: uuid.UUID
) -> dict[str, Decimal]:
    """What the cloud holds for a shift, in the Z report's terms (adopted sales and returns
    included: they carry the shift's id once adopted)."""
    count, total, change = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Sale.total), 0),
                func.coalesce(func.sum(Sale.change), 0),
            ).where(Sale.tenant_id == tenant_id, Sale.shift_id == shift_id)
        )
    ).one()
    paid = dict(
        (
            await session.execute(
                select(SalePayment.method, func.sum(SalePayment.amount))
                .join(
                    Sale,
                    (Sale.tenant_id == SalePayment.tenant_id) & (Sale.id == SalePayment.sale_id),
                )
                .where(Sale.tenant_id == tenant_id, Sale.shift_id == shift_id)
                .group_by(SalePayment.method)
            )
        ).all()
    )
    moved = dict(
        (
            await session.execute(
                select(CashMovement.type, func.sum(CashMovement.amount))
                .where(CashMovement.tenant_id == tenant_id, CashMovement.shift_id == shift_id)
                .group_by(CashMovement.type)
            )
        ).all()
    )
    refunded = dict(
        (
            await session.execute(
                select(Refund.method, func.sum(Refund.amount))
                .where(Refund.tenant_id == tenant_id, Refund.shift_id == shift_id)
                .group_by(Refund.method)
            )
        ).all()
    )
    returns = (
        await session.execute(
            select(func.count(func.distinct(Refund.return_id))).where(
                Refund.tenant_id == tenant_id, Refund.shift_id == shift_id
            )
        )
    ).scalar_one()
    figures = {
        "sales_count": Decimal(count),
        "total": Decimal(total),
        "change": Decimal(change),
        "cash_in": Decimal(paid.get("cash", 0)) - Decimal(change),
        "paid_in": Decimal(moved.get("in", 0)),
        "paid_out": Decimal(moved.get("out", 0)),
        "returns_count": Decimal(returns),
    }
    for method in PAYMENT_METHODS:
        figures[f"payments.{method}"] = Decimal(paid.get(method, 0))
        figures[f"refunds.{method}"] = Decimal(refunded.get(method, 0))
    return figures


# Stock --------------------------------------------------------------------------------

_DRIFTS = text(
    """
    WITH ledger AS (
        SELECT sede_id, product_id, sum(quantity) AS moved
        FROM transactions WHERE tenant_id = :tenant_id GROUP BY sede_id, product_id
    ), stock AS (
        SELECT sede_id, product_id, quantity FROM inventory WHERE tenant_id = :tenant_id
    )
    SELECT sede_id, product_id, coalesce(stock.quantity, 0) AS stock,
           coalesce(ledger.moved, 0) AS moved
    FROM stock FULL JOIN ledger USING (sede_id, product_id)
    WHERE coalesce(stock.quantity, 0) <> coalesce(ledger.moved, 0)
    ORDER BY sede_id, product_id
    """
)


async def stock_drifts(session: AsyncSession, tenant_id: uuid.UUID) -> list[Any]:
    """(sede_id, product_id, stock, moved) of every stock row that is not the sum of its
    movements. One statement, so one snapshot: a push commits movements and stock together."""
    return list((await session.execute(_DRIFTS, {"tenant_id": tenant_id})).all())


async def last_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    product_id: uuid.UUID,
    limit: int = 5,
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(
            Transaction.id,
            Transaction.type,
            Transaction.quantity,
            Transaction.document_id,
            Transaction.server_timestamp,
            Transaction.note,
        )
        .where(
            Transaction.tenant_id == tenant_id,
            Transaction.sede_id == sede_id,
            Transaction.product_id == product_id,
        )
        .order_by(Transaction.server_timestamp.desc(), Transaction.id.desc())
        .limit(limit)
    )
    return [
        {
            "id": str(r.id),
            "type": r.type,
            "quantity": str(r.quantity),
            "document_id": str(r.document_id),
            "server_timestamp": r.server_timestamp.isoformat(),
            "note": r.note,
        }
        for r in rows
    ]


async def product_labels(
    session: AsyncSession, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Product.id, Product.sku, Product.name).where(
            Product.tenant_id == tenant_id, Product.id.in_(ids)
        )
    )
    return {r.id: (r.sku, r.name) for r in rows}


async def locked_stock(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, product_id: uuid.UUID
) -> tuple[Decimal, Decimal]:
    """(stock row quantity, sum of movements) with the stock row locked, so no push moves it
    between the two reads (a push adds to the row in the same transaction as its movements)."""
    held = (
        await session.execute(
            select(Inventory.quantity)
            .where(
                Inventory.tenant_id == tenant_id,
                Inventory.sede_id == sede_id,
                Inventory.product_id == product_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    moved = (
        await session.execute(
            select(func.coalesce(func.sum(Transaction.quantity), 0)).where(
                Transaction.tenant_id == tenant_id,
                Transaction.sede_id == sede_id,
                Transaction.product_id == product_id,
            )
        )
    ).scalar_one()
    return Decimal(held or 0), Decimal(moved)


# Cajas --------------------------------------------------------------------------------


async def measured_devices(session: AsyncSession, tenant_id: uuid.UUID) -> list[Any]:
    """Active cajas with a measured clock offset."""
    rows = await session.execute(
        select(Device.id, Device.sede_id, Device.name, Device.clock_offset_ms, Device.last_seen_at)
        .where(
            Device.tenant_id == tenant_id,
            Device.status == "active",
            Device.clock_offset_ms.is_not(None),
        )
        .order_by(Device.id)
    )
    return list(rows.all())


async def old_rejections(
    session: AsyncSession, tenant_id: uuid.UUID, before: datetime
) -> list[Any]:
    """Per caja: how many of its ops were rejected before `before`, and when."""
    rows = await session.execute(
        select(
            SyncOp.device_id,
            SyncOp.sede_id,
            func.count().label("count"),
            func.min(SyncOp.created_at).label("oldest"),
            func.max(SyncOp.created_at).label("newest"),
        )
        .where(
            SyncOp.tenant_id == tenant_id,
            SyncOp.status == "rejected",
            SyncOp.created_at < before,
        )
        .group_by(SyncOp.device_id, SyncOp.sede_id)
        .order_by(SyncOp.device_id)
    )
    return list(rows.all())


async def rejection_examples(
    session: AsyncSession, tenant_id: uuid.UUID, device_id: uuid.UUID, before: datetime
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(SyncOp.op_id, SyncOp.kind, SyncOp.result, SyncOp.created_at)
        .where(
            SyncOp.tenant_id == tenant_id,
            SyncOp.device_id == device_id,
            SyncOp.status == "rejected",
            SyncOp.created_at < before,
        )
        .order_by(SyncOp.created_at.desc())
        .limit(3)
    )
    return [
        {
            "op_id": str(r.op_id),
            "kind": r.kind,
            "reason": (r.result or {}).get("reason"),
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


# The list -----------------------------------------------------------------------------


async def page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    kind: str | None,
    sede_id: uuid.UUID | None,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Finding]:
    stmt = select(Finding).where(Finding.tenant_id == tenant_id)
    if kind is not None:
        stmt = stmt.where(Finding.kind == kind)
    if sede_id is not None:
        stmt = stmt.where(Finding.sede_id == sede_id)
    if status is not None:
        stmt = stmt.where(Finding.status == status)
    if before is not None:
        at, last_id = before
        stmt = stmt.where(
            (Finding.detected_at < at) | ((Finding.detected_at == at) & (Finding.id < last_id))
        )
    stmt = stmt.order_by(Finding.detected_at.desc(), Finding.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, finding_id: uuid.UUID, *, lock: bool = False
) -> Finding | None:
    stmt = select(Finding).where(Finding.tenant_id == tenant_id, Finding.id == finding_id)
    if lock:
        stmt = stmt.with_for_update()
    found: Finding | None = (await session.execute(stmt)).scalar_one_or_none()
    return found
