"""Applying one pushed operation to the cloud's tables, by kind (stock documents here, the
other kinds in stocky.cloud.sync.kinds).

Each function runs inside the push's savepoint for that op, on a payload already parsed by
its stocky.core.ops model. It raises OpRejectedError for an op that can never apply and
OpDeferredError for one that cannot apply yet, and returns (status, server_version, extra
result fields). A data error the database raises inside the savepoint (a value it cannot
store, a constraint) rejects that op alone; only a transient failure (connection, deadlock,
serialization) propagates and rolls the whole batch back. A run of consecutive
`transaction.create` ops goes through `apply_transactions`: the same outcomes, set-based.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.catalog.merge import resolve_products
from stocky.cloud.inventory.service import (
    InvalidMovementError,
    Movement,
    record_movements,
    validate_movement,
    write_movements,
)
from stocky.cloud.kit.sql import rows_from_json
from stocky.cloud.models import (
    Sale,
    SalePayment,
)
from stocky.cloud.reports import rollups
from stocky.cloud.sync import repository
from stocky.cloud.sync.context import (
    Applied,
    OpContext,
    OpRejectedError,
    data_error_reason,
    typed,
)
from stocky.cloud.sync.kinds import (
    apply_cash_movement,
    apply_product,
    apply_sale_void,
    apply_shift_close,
    apply_shift_open,
    apply_thresholds,
)
from stocky.cloud.sync.returns import OpDeferredError, check_returns, insert_refunds
from stocky.core.errors import NotFoundError
from stocky.core.ops import (
    TransactionDocument,
)

# Core statements: a run's rows go as one JSON parameter (see rows_from_json).
SALES = cast(Table, Sale.__table__)
SALE_PAYMENTS = cast(Table, SalePayment.__table__)
SALE_COLUMNS = [
    "tenant_id",
    "id",
    "sede_id",
    "device_id",
    "shift_id",
    "user_id",
    "number",
    "receipt_prefix",
    "customer_name",
    "customer_tax_id",
    "customer_id",
    "discount_approved_by",
    "subtotal",
    "discount",
    "tax",
    "total",
    "paid",
    "change",
    "op_id",
    "client_timestamp",
]
PAYMENT_COLUMNS = ["tenant_id", "id", "sale_id", "method", "amount"]
_INSERT_SALES = insert(SALES).from_select(SALE_COLUMNS, rows_from_json(SALES, SALE_COLUMNS))
_INSERT_PAYMENTS = insert(SALE_PAYMENTS).from_select(
    PAYMENT_COLUMNS, rows_from_json(SALE_PAYMENTS, PAYMENT_COLUMNS)
)
_CUSTOM_PLANS = text(
    "SELECT current_setting('plan_cache_mode'), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)
_PLAN_CACHE_MODE = text("SELECT set_config('plan_cache_mode', :mode, true)")


async def _known_products(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    return await repository.known_products(session, tenant_id, ids)


def _document(ctx: OpContext) -> TransactionDocument:
    doc: TransactionDocument = typed(ctx, TransactionDocument)
    return doc


async def _to_survivors(
    session: AsyncSession, tenant_id: uuid.UUID, docs: dict[int, TransactionDocument]
) -> dict[int, TransactionDocument]:
    """Movements naming a merged product apply to its survivor: the caja queued them before
    it pulled the merge (stocky.cloud.catalog.merge)."""
    ids = {m.product_id for doc in docs.values() for m in doc.movements}
    survivors = await resolve_products(session, tenant_id, ids)
    if not survivors:
        return docs
    return {
        i: doc.model_copy(
            update={
                "movements": [
                    m.model_copy(update={"product_id": survivors.get(m.product_id, m.product_id)})
                    for m in doc.movements
                ]
            }
        )
        for i, doc in docs.items()
    }


def _unknown_reason(doc: TransactionDocument, known: set[uuid.UUID]) -> str | None:
    unknown = {m.product_id for m in doc.movements} - known
    return f"unknown product {sorted(map(str, unknown))[0]}" if unknown else None


def _movements(ctx: OpContext, doc: TransactionDocument) -> list[Movement]:
    return [
        Movement(
            id=m.id,
            product_id=m.product_id,
            type=m.type,
            quantity=m.quantity,
            client_timestamp=ctx.corrected(doc.client_ts),
            document_id=doc.document_id,
            unit_price=m.unit_price,
            unit_cost=m.unit_cost,
            discount=m.discount,
            product_version=m.product_version,
            sale_id=m.sale_id,
            ref_id=m.ref_id,
            device_id=ctx.device_id,
            user_id=doc.user_id,
            op_id=ctx.op.op_id,
            note=m.note,
        )
        for m in doc.movements
    ]


async def apply_transaction(session: AsyncSession, ctx: OpContext) -> Applied:
    doc = (await _to_survivors(session, ctx.tenant_id, {0: _document(ctx)}))[0]
    product_ids = {m.product_id for m in doc.movements}
    reason = _unknown_reason(doc, await _known_products(session, ctx.tenant_id, product_ids))
    if reason is not None:
        raise OpRejectedError(reason)
    if doc.type == "return":
        problem = (await check_returns(session, ctx.tenant_id, [doc]))[0]
        if isinstance(problem, OpDeferredError):
            raise problem
        if problem is not None:
            raise OpRejectedError(str(problem))
    if doc.sale is not None:
        await _insert_sales(session, [(ctx, doc)])
    movements = await rollups.with_costs(session, ctx.tenant_id, _movements(ctx, doc))
    try:
        recorded = await record_movements(session, ctx.tenant_id, ctx.sede_id, movements)
    except (InvalidMovementError, NotFoundError) as exc:
        raise OpRejectedError(str(exc)) from exc
    if recorded.duplicates:
        # The same movement id under another op_id: a caja bug or a forged op.
        raise OpRejectedError(
            f"movement {recorded.duplicates[0]} was already recorded by another operation"
        )
    await insert_refunds(session, [(ctx, doc)])
    await rollups.record(session, ctx.tenant_id, ctx.sede_id, movements, [(ctx, doc)])
    return Applied(extra={"movements": len(recorded.inserted)})


async def _insert_sales(
    session: AsyncSession, docs: list[tuple[OpContext, TransactionDocument]]
) -> None:
    sales: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for ctx, doc in docs:
        sale = doc.sale
        if sale is None:
            continue
        sales.append(
            {
                "tenant_id": ctx.tenant_id,
                "id": sale.id,
                "sede_id": ctx.sede_id,
                "device_id": ctx.device_id,
                "shift_id": doc.shift_id,
                "user_id": doc.user_id,
                "number": sale.number,
                "receipt_prefix": sale.receipt_prefix,
                "customer_name": None if sale.customer is None else sale.customer.name,
                "customer_tax_id": None if sale.customer is None else sale.customer.tax_id,
                "customer_id": None if sale.customer is None else sale.customer.id,
                "discount_approved_by": sale.discount_approved_by,
                "subtotal": sale.subtotal,
                "discount": sale.discount,
                "tax": sale.tax,
                "total": sale.total,
                "paid": sale.paid,
                "change": sale.change,
                "op_id": ctx.op.op_id,
                "client_timestamp": ctx.corrected(doc.client_ts),
            }
        )
        payments += [
            {
                "tenant_id": ctx.tenant_id,
                "id": p.id,
                "sale_id": sale.id,
                "method": p.method,
                "amount": p.amount,
            }
            for p in sale.payments
        ]
    if sales:
        await session.execute(_INSERT_SALES, {"rows": sales})
        # Each payment's foreign key check runs a plan PostgreSQL caches per connection. One
        # cached while `sales` was nearly empty (a fresh database, before autovacuum first
        # analyzes it) walks all of the tenant's sales by another index: 13 ms a batch at
        # 2,000 sales, 15 at 5,000, growing with every sale. Planned afresh, each check is a
        # primary key probe; only this statement pays for the planning.
        old = (await session.execute(_CUSTOM_PLANS)).scalar_one()
        await session.execute(_INSERT_PAYMENTS, {"rows": payments})
        await session.execute(_PLAN_CACHE_MODE, {"mode": old})


class _RunRefusedError(Exception):
    """The run cannot go in one piece (a reused movement id): apply it op by op."""


async def apply_in_savepoint(session: AsyncSession, ctx: OpContext) -> Applied:
    """One op in its own savepoint: a rejected op leaves no trace but its result."""
    applier = APPLIERS[ctx.op.kind]
    savepoint = await session.begin_nested()
    try:
        applied = await applier(session, ctx)
    except OpRejectedError as exc:
        await savepoint.rollback()
        return Applied(status="rejected", extra={"reason": str(exc)})
    except OpDeferredError as exc:
        await savepoint.rollback()
        return Applied(status="deferred", extra={"reason": str(exc)})
    except DBAPIError as exc:
        reason = data_error_reason(exc)
        if reason is None:
            raise
        await savepoint.rollback()
        return Applied(status="rejected", extra={"reason": reason})
    await savepoint.commit()
    return applied


async def apply_transactions(session: AsyncSession, ctxs: list[OpContext]) -> list[Applied]:
    """A run of `transaction.create` ops, with the outcome each would have on its own.

    Payloads, signs and products are checked first (one query for the run); the valid ops
    then go in ONE savepoint with a few set-based statements. If the database refuses that
    (a unique or foreign key) or a movement id was already recorded, the savepoint rolls
    back and the ops apply one savepoint each, so only the culprit is rejected.
    """
    outcomes: list[Applied | None] = [None] * len(ctxs)
    docs = {i: _document(ctx) for i, ctx in enumerate(ctxs)}
    docs = await _to_survivors(session, ctxs[0].tenant_id, docs)
    returns = [i for i, doc in docs.items() if doc.type == "return"]
    if returns:
        # Judged in batch order, counting the sales and returns earlier in this run.
        problems = await check_returns(session, ctxs[0].tenant_id, list(docs.values()))
        for i in returns:
            problem = problems[i]
            if problem is not None:
                status = "deferred" if isinstance(problem, OpDeferredError) else "rejected"
                outcomes[i] = Applied(status=status, extra={"reason": str(problem)})
                del docs[i]
    product_ids = {m.product_id for doc in docs.values() for m in doc.movements}
    known = await _known_products(session, ctxs[0].tenant_id, product_ids) if docs else set()
    planned: list[int] = []
    movements: list[Movement] = []
    quantities: list[Decimal] = []
    for i, doc in docs.items():
        reason = _unknown_reason(doc, known)
        if reason is None:
            mine = _movements(ctxs[i], doc)
            try:
                quantities += [validate_movement(m) for m in mine]
            except InvalidMovementError as exc:
                reason = str(exc)
            else:
                movements += mine
                planned.append(i)
        if reason is not None:
            outcomes[i] = Applied(status="rejected", extra={"reason": reason})
    if planned:
        together = [(ctxs[i], docs[i]) for i in planned]
        movements = await rollups.with_costs(session, ctxs[0].tenant_id, movements)
        if await _write_together(session, together, movements, quantities):
            for i in planned:
                outcomes[i] = Applied(extra={"movements": len(docs[i].movements)})
        else:
            for i in planned:
                outcomes[i] = await apply_in_savepoint(session, ctxs[i])
    return [outcome for outcome in outcomes if outcome is not None]


async def _write_together(
    session: AsyncSession,
    docs: list[tuple[OpContext, TransactionDocument]],
    movements: list[Movement],
    quantities: list[Decimal],
) -> bool:
    """Sales, payments, movements, stock and refunds of checked ops in one savepoint; False
    if refused."""
    tenant_id, sede_id = docs[0][0].tenant_id, docs[0][0].sede_id
    assert all((c.tenant_id, c.sede_id) == (tenant_id, sede_id) for c, _ in docs)
    savepoint = await session.begin_nested()
    try:
        await _insert_sales(session, docs)
        recorded = await write_movements(session, tenant_id, sede_id, movements, quantities)
        if recorded.duplicates:
            raise _RunRefusedError
        await insert_refunds(session, docs)
        await rollups.record(session, tenant_id, sede_id, movements, docs)
    except _RunRefusedError:
        await savepoint.rollback()
        return False
    except DBAPIError as exc:
        if data_error_reason(exc) is None:
            raise
        await savepoint.rollback()
        return False
    await savepoint.commit()
    return True


APPLIERS: dict[str, Callable[[AsyncSession, OpContext], Awaitable[Applied]]] = {
    "transaction.create": apply_transaction,
    "inventory.thresholds": apply_thresholds,
    "shift.open": apply_shift_open,
    "shift.close": apply_shift_close,
    "product.upsert": apply_product,
    "cash.movement": apply_cash_movement,
    "sale.void": apply_sale_void,
}
