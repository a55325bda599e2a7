"""Sales for people: the list (filters, cursor pages), one sale's detail, and finding a sale
by its printed receipt number for a return at another caja."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as inventory_repo
from stocky.cloud.kit.pagination import (
    InvalidFieldError,
    decode_time_cursor,
    encode_cursor,
)
from stocky.cloud.models import Refund, Transaction
from stocky.cloud.sales import listing
from stocky.cloud.sales import repository as repo
from stocky.cloud.sales.schemas import (
    ReturnLineOut,
    SaleCaja,
    SaleCashier,
    SaleDetail,
    SaleLineOut,
    SalePage,
    SalePaymentOut,
    SaleReturnOut,
    SaleSummary,
)
from stocky.core.errors import FieldError, ForbiddenError, NotFoundError
from stocky.core.receipts import format_receipt, parse_receipt
from stocky.core.sale_lookup import LookupLine, LookupPayment, LookupReturn, SaleLookup


async def lookup_sale(session: AsyncSession, caller: Principal, receipt: str) -> SaleLookup:
    """The sale printed as `receipt` (C01-000042) in the caller's sede, with its payments,
    lines and what the cloud holds as returned of each; another sede's answers 404."""
    parsed = parse_receipt(receipt)
    if parsed is None:
        raise FieldError("receipt", "not a receipt number like C01-000042")
    prefix, number = parsed
    sale = await repo.sale_by_receipt(session, caller.tenant_id, caller.sede_id, prefix, number)
    if sale is None:
        raise NotFoundError(
            f"No sale {format_receipt(prefix, number)} in this sede.", field="receipt"
        )
    payments = await repo.payments(session, caller.tenant_id, sale.id)
    moves = await repo.movements(session, caller.tenant_id, sale.id)
    returned: defaultdict[object, Decimal] = defaultdict(Decimal)
    for t, _ in moves:
        if t.type == "return" and t.ref_id is not None:
            returned[t.ref_id] += t.quantity
    lines = [
        LookupLine(
            id=t.id,
            product_id=t.product_id,
            product_name=name,
            quantity=-t.quantity,
            unit_price=t.unit_price or Decimal("0.00"),
            discount=t.discount,
            product_version=t.product_version,
            returned=returned[t.id],
            client_ts=t.client_timestamp,
        )
        for t, name in moves
        if t.type == "sale"
    ]
    returns = [
        LookupReturn(
            id=t.id,
            document_id=t.document_id,
            ref_id=t.ref_id,
            product_id=t.product_id,
            quantity=t.quantity,
            unit_price=t.unit_price or Decimal("0.00"),
            discount=t.discount,
            product_version=t.product_version,
            user_id=t.user_id,
            note=t.note,
            client_ts=t.client_timestamp,
        )
        for t, _ in moves
        if t.type == "return"
    ]
    return SaleLookup(
        id=sale.id,
        sede_id=sale.sede_id,
        device_id=sale.device_id,
        user_id=sale.user_id,
        number=sale.number,
        receipt_prefix=sale.receipt_prefix,
        receipt=format_receipt(sale.receipt_prefix, sale.number),
        status=sale.status,
        subtotal=sale.subtotal,
        discount=sale.discount,
        tax=sale.tax,
        total=sale.total,
        paid=sale.paid,
        change=sale.change,
        customer_name=sale.customer_name,
        customer_tax_id=sale.customer_tax_id,
        client_ts=sale.client_timestamp,
        payments=[LookupPayment(id=p.id, method=p.method, amount=p.amount) for p in payments],
        lines=lines,
        returns=returns,
    )


def _visible_sede(user: Principal, sede_id: uuid.UUID | None) -> uuid.UUID | None:
    """The sede a list is held to: admins and owners any (None: all); a manager or cashier
    only their own, and asking for another is a 403 (as inventory's thresholds)."""
    if user.at_least("admin"):
        return sede_id
    if sede_id is not None and sede_id != user.sede_id:
        raise ForbiddenError("Managers and cashiers see only their own sede's sales.")
    if user.sede_id is None:
        raise ForbiddenError("A user without a sede sees no sales.")
    return user.sede_id


def check_filter(where: listing.SaleFilter) -> None:
    for field, value in (("from", where.since), ("to", where.until)):
        if value is not None and value.tzinfo is None:
            raise InvalidFieldError(field, "needs a time zone")
    if where.since and where.until and where.since >= where.until:
        raise InvalidFieldError("from", "must be before 'to'")
    for field, amount in (("min_total", where.min_total), ("max_total", where.max_total)):
        if amount is not None and (not amount.is_finite() or amount < 0):
            raise InvalidFieldError(field, "must be a non-negative amount")
    if where.min_total is not None and where.max_total is not None:
        if where.min_total > where.max_total:
            raise InvalidFieldError("min_total", "must not be above max_total")


def parse_receipt_filter(receipt: str | None) -> tuple[str, int] | None:
    if receipt is None:
        return None
    parsed = parse_receipt(receipt)
    if parsed is None:
        raise InvalidFieldError("receipt", "not a receipt number like C01-000042")
    return parsed


def _summary_fields(
    row: listing.SaleRow, paid: list[tuple[str, Decimal]], refunds: list[Refund]
) -> dict[str, object]:
    sale = row.sale
    return {
        "id": sale.id,
        "receipt": format_receipt(sale.receipt_prefix, sale.number),
        "sede_id": sale.sede_id,
        "sede_name": row.sede_name,
        "caja": SaleCaja(device_id=sale.device_id, name=row.device_name),
        "cashier": SaleCashier(user_id=sale.user_id, name=row.user_name),
        "shift_id": sale.shift_id,
        "status": sale.status,
        "subtotal": sale.subtotal,
        "discount": sale.discount,
        "tax": sale.tax,
        "total": sale.total,
        "payments": [SalePaymentOut(method=m, amount=a) for m, a in paid],
        "returned": sum((r.amount for r in refunds), Decimal("0.00")),
        "client_ts": sale.client_timestamp,
        "received_at": sale.server_timestamp,
    }


async def list_sales(
    session: AsyncSession,
    user: Principal,
    where: listing.SaleFilter,
    *,
    cursor: str | None,
    limit: int,
) -> SalePage:
    check_filter(where)
    if where.sede_id is not None and not await inventory_repo.sede_exists(
        session, user.tenant_id, where.sede_id
    ):
        raise NotFoundError("No such sede.", field="sede_id")  # as /api/transactions
    where = replace(where, sede_id=_visible_sede(user, where.sede_id))
    before = decode_time_cursor(cursor) if cursor else None
    rows = await listing.list_sales(session, user.tenant_id, where, before=before, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1].sale
        next_cursor = encode_cursor(last.client_timestamp.isoformat(), str(last.id))
    ids = [r.sale.id for r in page]
    paid = await listing.payments_by_sale(session, user.tenant_id, ids)
    refunds = await listing.refunds_by_sale(session, user.tenant_id, ids)
    items = [
        SaleSummary.model_validate(_summary_fields(r, paid[r.sale.id], refunds[r.sale.id]))
        for r in page
    ]
    return SalePage(items=items, next_cursor=next_cursor)


async def sale_detail(session: AsyncSession, user: Principal, sale_id: uuid.UUID) -> SaleDetail:
    """One sale with its lines, payments and returns; another tenant's (RLS) or, below
    admin, another sede's answers 404, as if it did not exist."""
    row = await listing.sale_row(session, user.tenant_id, sale_id)
    if row is None or (not user.at_least("admin") and row.sale.sede_id != user.sede_id):
        raise NotFoundError("No such sale.", field="sale_id")
    sale = row.sale
    paid = await listing.payments_by_sale(session, user.tenant_id, [sale.id])
    refunds = (await listing.refunds_by_sale(session, user.tenant_id, [sale.id]))[sale.id]
    moves = await listing.movements(session, user.tenant_id, sale.id)
    returned: defaultdict[uuid.UUID, Decimal] = defaultdict(Decimal)
    by_return: dict[uuid.UUID, list[ReturnLineOut]] = {}
    first_move: dict[uuid.UUID, Transaction] = {}
    for t, sku, name in moves:
        if t.type != "return":
            continue
        if t.ref_id is not None:
            returned[t.ref_id] += t.quantity
        first_move.setdefault(t.document_id, t)
        by_return.setdefault(t.document_id, []).append(
            ReturnLineOut(
                id=t.id,
                ref_id=t.ref_id,
                product_id=t.product_id,
                sku=sku,
                product_name=name,
                quantity=t.quantity,
                unit_price=t.unit_price or Decimal("0.00"),
                discount=t.discount,
            )
        )
    refunds_of: defaultdict[uuid.UUID, list[SalePaymentOut]] = defaultdict(list)
    for r in refunds:
        refunds_of[r.return_id].append(SalePaymentOut(method=r.method, amount=r.amount))
    returns = [
        SaleReturnOut(
            document_id=doc,
            user_id=first_move[doc].user_id,
            client_ts=first_move[doc].client_timestamp,
            received_at=first_move[doc].server_timestamp,
            refunds=refunds_of[doc],
            lines=lines,
        )
        for doc, lines in by_return.items()
    ]
    lines = [
        SaleLineOut(
            id=t.id,
            product_id=t.product_id,
            sku=sku,
            product_name=name,
            quantity=-t.quantity,
            unit_price=t.unit_price or Decimal("0.00"),
            discount=t.discount,
            returned=returned[t.id],
        )
        for t, sku, name in moves
        if t.type == "sale"
    ]
    return SaleDetail.model_validate(
        {
            **_summary_fields(row, paid[sale.id], refunds),
            "paid": sale.paid,
            "change": sale.change,
            "customer_name": sale.customer_name,
            "customer_tax_id": sale.customer_tax_id,
            "discount_approved_by": sale.discount_approved_by,
            "lines": lines,
            "returns": returns,
        }
    )
