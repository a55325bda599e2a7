"""Movements out of the API: quantities and money as JSON strings, both timestamps."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class MovementOut(BaseModel):
    id: uuid.UUID
    sede_id: uuid.UUID
    product_id: uuid.UUID
    sku: str
    product_name: str
    type: str
    quantity: Decimal
    unit_price: Decimal | None
    unit_cost: Decimal | None
    discount: Decimal
    product_version: int | None
    document_id: uuid.UUID
    sale_id: uuid.UUID | None
    ref_id: uuid.UUID | None
    transfer_id: uuid.UUID | None
    device_id: uuid.UUID | None
    user_id: uuid.UUID | None
    op_id: uuid.UUID | None
    note: str | None
    # When it happened at the caja (its clock), and when the cloud recorded it.
    client_timestamp: datetime
    server_timestamp: datetime


class MovementPage(BaseModel):
    items: list[MovementOut]
    next_cursor: str | None
