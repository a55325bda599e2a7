"""Sales out of the API: money as Decimal strings, the caja's (corrected) and the cloud's times."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class SaleCaja(BaseModel):
    device_id: uuid.UUID
    name: str | None


class SaleCashier(BaseModel):
    user_id: uuid.UUID | None
    name: str | None


class SalePaymentOut(BaseModel):
    method: str
    amount: Decimal


class SaleSummary(BaseModel):
    """One row of the sales list."""

    id: uuid.UUID
    receipt: str
    sede_id: uuid.UUID
    sede_name: str | None
    caja: SaleCaja
    cashier: SaleCashier
    shift_id: uuid.UUID | None
    status: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    # Amount paid by method (several rows of one method are summed), method order.
    payments: list[SalePaymentOut]
    # Money given back by the returns against it so far (the cloud's refund records).
    returned: Decimal
    # When the caja made it, its clock corrected by the offset it reported; and when the
    # cloud recorded it.
    client_ts: datetime
    received_at: datetime


class SalePage(BaseModel):
    items: list[SaleSummary]
    next_cursor: str | None


class SaleLineOut(BaseModel):
    id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    # The sale's tax is kept on the header only (SaleHeader.tax); a line carries none.
    returned: Decimal


class ReturnLineOut(BaseModel):
    id: uuid.UUID
    ref_id: uuid.UUID | None
    product_id: uuid.UUID
    sku: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal


class SaleReturnOut(BaseModel):
    """A return document against the sale: its lines and the money it gave back."""

    document_id: uuid.UUID
    user_id: uuid.UUID | None
    client_ts: datetime
    received_at: datetime
    refunds: list[SalePaymentOut]
    lines: list[ReturnLineOut]


class SaleDetail(SaleSummary):
    paid: Decimal
    change: Decimal
    customer_name: str | None
    customer_tax_id: str | None
    discount_approved_by: uuid.UUID | None
    lines: list[SaleLineOut]
    returns: list[SaleReturnOut]
