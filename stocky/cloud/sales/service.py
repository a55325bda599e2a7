"""Finding a sale by its printed receipt number, for a return at another caja."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.sales import repository as repo
from stocky.core.errors import FieldError, NotFoundError
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
