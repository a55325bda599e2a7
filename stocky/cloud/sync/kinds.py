"""Applying the pushed ops that are not stock documents: thresholds, shifts and their cash,
voided sales, product edits. Each runs in the op's own savepoint (stocky.cloud.sync.apply)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import (
    AuditLog,
    CashMovement,
    Inventory,
    Product,
    Refund,
    Sale,
    SalePayment,
    Shift,
    ShiftAdoption,
)
from stocky.cloud.sync import repository
from stocky.cloud.sync.context import Applied, OpContext, OpRejectedError, typed
from stocky.core.ops import (
    PAYMENT_METHODS,
    CashMovementPayload,
    ProductPayload,
    SaleVoidPayload,
    ShiftClosePayload,
    ShiftOpenPayload,
    ThresholdsPayload,
)


async def apply_thresholds(session: AsyncSession, ctx: OpContext) -> Applied:
    body: ThresholdsPayload = typed(ctx, ThresholdsPayload)
    if not await repository.known_products(session, ctx.tenant_id, {body.product_id}):
        raise OpRejectedError(f"unknown product {body.product_id}")
    stmt = pg_insert(Inventory).values(
        tenant_id=ctx.tenant_id,
        sede_id=ctx.sede_id,
        product_id=body.product_id,
        min_stock=body.min,
        max_stock=body.max,
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[Inventory.tenant_id, Inventory.sede_id, Inventory.product_id],
        set_={
            "min_stock": body.min,
            "max_stock": body.max,
            "version": Inventory.version + 1,
            "updated_at": func.now(),
        },
    ).returning(Inventory.version)
    version = (await session.execute(upsert)).scalar_one()
    return Applied(server_version=version)


async def apply_shift_open(session: AsyncSession, ctx: OpContext) -> Applied:
    """Open a shift of this caja, and adopt the sales and returns it made with no shift open."""
    body: ShiftOpenPayload = typed(ctx, ShiftOpenPayload)
    await session.execute(
        pg_insert(Shift)
        .values(
            tenant_id=ctx.tenant_id,
            id=body.id,
            sede_id=ctx.sede_id,
            device_id=ctx.device_id,
            user_id=body.user_id,
            opening_float=body.opening_float,
            opened_at=ctx.corrected(body.opened_at),
        )
        .on_conflict_do_nothing()
    )
    owner = (
        await session.execute(
            select(Shift.device_id).where(Shift.tenant_id == ctx.tenant_id, Shift.id == body.id)
        )
    ).scalar_one()
    if owner == ctx.device_id:  # a shift of another caja never takes this one's sales
        await _adopt(session, ctx, body.id, "sale", body.adopted_sales)
        await _adopt(session, ctx, body.id, "return", body.adopted_returns)
    return Applied()


async def _adopt(
    session: AsyncSession,
    ctx: OpContext,
    shift_id: uuid.UUID,
    kind: str,
    ids: list[uuid.UUID],
) -> int:
    """Give the caja's shift-less sales (or returns' refunds) to the shift; returns how
    many the cloud held already.

    Each adoption is kept (the first shift to adopt a sale or return keeps it), so one that
    lands later gets its shift from the row trigger on sales (migration 0011) or on refunds
    (0014). Another caja's, or one that already has a shift, is never taken.
    """
    if not ids:
        return 0
    await session.execute(
        pg_insert(ShiftAdoption)
        .values(
            [
                {
                    "tenant_id": ctx.tenant_id,
                    "kind": kind,
                    "adopted_id": adopted_id,
                    "shift_id": shift_id,
                    "device_id": ctx.device_id,
                }
                for adopted_id in ids
            ]
        )
        .on_conflict_do_nothing()
    )
    mine = select(ShiftAdoption.adopted_id).where(
        ShiftAdoption.tenant_id == ctx.tenant_id,
        ShiftAdoption.kind == kind,
        ShiftAdoption.shift_id == shift_id,
        ShiftAdoption.device_id == ctx.device_id,
    )
    table, key = (Sale, Sale.id) if kind == "sale" else (Refund, Refund.return_id)
    result = await session.execute(
        update(table)
        .where(
            table.tenant_id == ctx.tenant_id,
            table.device_id == ctx.device_id,
            table.shift_id.is_(None),
            key.in_(mine),
        )
        .values(shift_id=shift_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def apply_shift_close(session: AsyncSession, ctx: OpContext) -> Applied:
    """Close an open shift of this caja's sede, once."""
    body: ShiftClosePayload = typed(ctx, ShiftClosePayload)
    report = body.z_report
    result = await session.execute(
        update(Shift)
        .where(
            Shift.tenant_id == ctx.tenant_id,
            Shift.sede_id == ctx.sede_id,
            Shift.id == body.id,
            Shift.status == "open",
        )
        .values(
            status="closed",
            closed_at=ctx.corrected(report.closed_at or ctx.op.client_ts),
            counted_cash=report.counted_cash,
            expected_cash=report.expected_cash,
            z_report={
                **report.model_dump(mode="json"),
                "cloud_check": await _reconcile(session, ctx, body.id, report),
            },
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        status = await _shift_status(session, ctx, body.id)
        if status == "closed":
            raise OpRejectedError(f"shift {body.id} is already closed")
        raise OpRejectedError(f"shift {body.id} was never opened at this sede in the cloud")
    return Applied()


async def _reconcile(
    session: AsyncSession, ctx: OpContext, shift_id: uuid.UUID, report: Any
) -> dict[str, Any]:
    """What the cloud received for this shift against what its Z report says, and the gap.

    The sales (count, total), the cash from them (cash payments - change), the cash put
    in / taken out of the drawer, and the returns (how many refunded, and the refunds by
    method); a gap means ops the cloud does not hold (yet) or a report that does not add up.
    """
    sales = (
        await session.execute(
            select(
                func.coalesce(func.sum(SalePayment.amount), 0),
            )
            .select_from(SalePayment)
            .join(
                Sale, (Sale.tenant_id == SalePayment.tenant_id) & (Sale.id == SalePayment.sale_id)
            )
            .where(
                Sale.tenant_id == ctx.tenant_id,
                Sale.shift_id == shift_id,
                SalePayment.method == "cash",
            )
        )
    ).scalar_one()
    count, total, change = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Sale.total), 0),
                func.coalesce(func.sum(Sale.change), 0),
            ).where(Sale.tenant_id == ctx.tenant_id, Sale.shift_id == shift_id)
        )
    ).one()
    moved = dict(
        (
            await session.execute(
                select(CashMovement.type, func.sum(CashMovement.amount))
                .where(CashMovement.tenant_id == ctx.tenant_id, CashMovement.shift_id == shift_id)
                .group_by(CashMovement.type)
            )
        ).all()
    )
    # Sales and returns adopted by the shift (made before it opened) count here like the rest.
    cloud = {
        "sales_count": Decimal(count),
        "total": Decimal(total),
        "cash_in": Decimal(sales) - Decimal(change),
        "paid_in": Decimal(moved.get("in", 0)),
        "paid_out": Decimal(moved.get("out", 0)),
        **await _refunds_received(session, ctx, shift_id),
    }
    extra = report.model_extra or {}
    gaps: dict[str, str] = {}
    for key, value in cloud.items():
        said = _figure(_reported(extra, key))
        if said is None:
            gaps[key] = "unreadable"
        elif said != value:
            gaps[key] = str(said - value)
    return {"received": {k: str(v) for k, v in cloud.items()}, "gaps": gaps, "ok": not gaps}


async def _refunds_received(
    session: AsyncSession, ctx: OpContext, shift_id: uuid.UUID
) -> dict[str, Decimal]:
    """returns_count (returns that refunded something, as the caja counts them) and
    refunds.<method>, from the refunds the cloud holds for the shift."""
    by_method = dict(
        (
            await session.execute(
                select(Refund.method, func.sum(Refund.amount))
                .where(Refund.tenant_id == ctx.tenant_id, Refund.shift_id == shift_id)
                .group_by(Refund.method)
            )
        ).all()
    )
    returns = (
        await session.execute(
            select(func.count(func.distinct(Refund.return_id))).where(
                Refund.tenant_id == ctx.tenant_id, Refund.shift_id == shift_id
            )
        )
    ).scalar_one()
    return {
        "returns_count": Decimal(returns),
        **{f"refunds.{m}": Decimal(by_method.get(m, 0)) for m in PAYMENT_METHODS},
    }


def _reported(extra: dict[str, Any], key: str) -> Any:
    """The report's figure for `key` ("refunds.cash" reads report["refunds"]["cash"]); 0
    when absent (an older report), None when its parent is not an object."""
    head, _, rest = key.partition(".")
    value = extra.get(head, {} if rest else "0")
    if not rest:
        return value
    return value.get(rest, "0") if isinstance(value, dict) else None


def _figure(value: Any) -> Decimal | None:
    """A figure of the caja's report as a number, or None when it is not one."""
    try:
        found = Decimal(str(value))
    except ArithmeticError:
        return None
    return found if found.is_finite() else None


async def _shift_status(session: AsyncSession, ctx: OpContext, shift_id: uuid.UUID) -> str | None:
    """The status of a shift of this caja's sede, or None when the sede has no such shift."""
    status: str | None = (
        await session.execute(
            select(Shift.status).where(
                Shift.tenant_id == ctx.tenant_id,
                Shift.sede_id == ctx.sede_id,
                Shift.id == shift_id,
            )
        )
    ).scalar_one_or_none()
    return status


async def apply_cash_movement(session: AsyncSession, ctx: OpContext) -> Applied:
    """Cash in / out of a shift this caja's sede holds; insert-if-absent by id."""
    body: CashMovementPayload = typed(ctx, CashMovementPayload)
    shift = await _shift_status(session, ctx, body.shift_id)
    if shift is None:
        raise OpRejectedError(f"shift {body.shift_id} was never opened at this sede in the cloud")
    result = await session.execute(
        pg_insert(CashMovement)
        .values(
            tenant_id=ctx.tenant_id,
            id=body.id,
            sede_id=ctx.sede_id,
            device_id=ctx.device_id,
            shift_id=body.shift_id,
            user_id=body.user_id,
            type=body.type,
            amount=body.amount,
            reason=body.reason,
            op_id=ctx.op.op_id,
            client_timestamp=ctx.corrected(body.client_ts),
        )
        .on_conflict_do_nothing()
        .returning(CashMovement.op_id)
    )
    if result.scalar_one_or_none() is None:
        raise OpRejectedError(f"cash movement {body.id} was already recorded by another operation")
    return Applied()


async def apply_sale_void(session: AsyncSession, ctx: OpContext) -> Applied:
    """A sale cancelled at the counter: no stock or money moved, so it lands in the audit log
    only (once: the row's id is the void's id)."""
    body: SaleVoidPayload = typed(ctx, SaleVoidPayload)
    await session.execute(
        pg_insert(AuditLog)
        .values(
            tenant_id=ctx.tenant_id,
            id=body.id,
            user_id=body.user_id,
            device_id=ctx.device_id,
            action="sale.void",
            entity_type="sale",
            entity_id=str(body.id),
            after_data=body.model_dump(mode="json"),
            extra={
                "sede_id": str(ctx.sede_id),
                "op_id": str(ctx.op.op_id),
                "voided_at": ctx.corrected(body.voided_at).isoformat(),
            },
        )
        .on_conflict_do_nothing()
    )
    return Applied()


async def apply_product(session: AsyncSession, ctx: OpContext) -> Applied:
    """Versioned: equal base_version applies (version+1); stale is a conflict, cloud wins."""
    body: ProductPayload = typed(ctx, ProductPayload)
    current = (
        await session.execute(
            select(Product)
            .where(Product.tenant_id == ctx.tenant_id, Product.id == body.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    values = body.model_dump(exclude={"id"})
    if current is None:
        if ctx.op.base_version not in (None, 0):
            raise OpRejectedError(f"product {body.id} does not exist in the cloud")
        await session.execute(
            insert(Product).values(tenant_id=ctx.tenant_id, id=body.id, version=1, **values)
        )
        return Applied(server_version=1)
    if ctx.op.base_version != current.version:
        return Applied(
            status="conflict",
            server_version=current.version,
            extra={
                "reason": f"edited from version {ctx.op.base_version}, cloud has "
                f"{current.version}: the cloud's product stands"
            },
        )
    version = current.version + 1
    await session.execute(
        update(Product)
        .where(Product.tenant_id == ctx.tenant_id, Product.id == body.id)
        .values(**values, version=version, last_modified_at=func.now())
    )
    return Applied(server_version=version)
