"""A sale as the cloud holds it, for a return at another caja of the sede.

`GET /api/sales/lookup?receipt=C01-000042` answers this; the caja stores it (without
queueing anything: it is already in the cloud) so its normal return flow can run.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel

from stocky.core.values import Line, Money, Quantity, Text, Timestamp, Version


class LookupPayment(BaseModel):
    id: uuid.UUID
    method: Literal["cash", "card", "transfer"]
    amount: Money


class LookupLine(BaseModel):
    """One `sale` movement; `quantity` is what was sold (positive), `returned` what the
    cloud holds as returned of it across every caja."""

    id: uuid.UUID
    product_id: uuid.UUID
    product_name: Line
    quantity: Quantity
    unit_price: Money
    discount: Money
    product_version: Version | None = None
    returned: Quantity
    client_ts: Timestamp


class LookupReturn(BaseModel):
    """One `return` movement of the sale already in the cloud (signed as stored: > 0)."""

    id: uuid.UUID
    document_id: uuid.UUID
    ref_id: uuid.UUID | None
    product_id: uuid.UUID
    quantity: Quantity
    unit_price: Money
    discount: Money
    product_version: Version | None = None
    user_id: uuid.UUID | None = None
    note: Text | None = None
    client_ts: Timestamp


class SaleLookup(BaseModel):
    id: uuid.UUID
    sede_id: uuid.UUID
    device_id: uuid.UUID
    user_id: uuid.UUID | None
    number: int
    receipt_prefix: str | None
    receipt: str
    status: str
    subtotal: Money
    discount: Money
    tax: Money
    total: Money
    paid: Money
    change: Money
    customer_name: Line | None = None
    customer_tax_id: Line | None = None
    client_ts: Timestamp
    payments: list[LookupPayment]
    lines: list[LookupLine]
    returns: list[LookupReturn]
