"""What each kind of pushed operation must carry. Money and quantities arrive as strings.

Payloads are validated here, on the cloud: an op whose payload does not fit is `rejected`
with the reason, recorded, and never blocks the ops behind it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stocky.cloud.models.movements import MOVEMENT_TYPES, PAYMENT_METHODS

MovementType = Literal["sale", "return", "entry", "adjustment", "transfer_out", "transfer_in"]
assert set(MovementType.__args__) == set(MOVEMENT_TYPES)  # type: ignore[attr-defined]
PaymentMethod = Literal["cash", "card", "transfer"]
assert set(PaymentMethod.__args__) == set(PAYMENT_METHODS)  # type: ignore[attr-defined]

Amount = Decimal


class _Payload(BaseModel):
    # Cajas of a newer version may send more; what we need is checked strictly.
    model_config = ConfigDict(extra="ignore")


class MovementIn(_Payload):
    id: uuid.UUID
    product_id: uuid.UUID
    type: MovementType
    quantity: Amount
    unit_price: Amount | None = None
    unit_cost: Amount | None = None
    discount: Amount = Decimal("0")
    product_version: int | None = None
    sale_id: uuid.UUID | None = None
    ref_id: uuid.UUID | None = None
    note: str | None = Field(default=None, max_length=500)


class PaymentIn(_Payload):
    id: uuid.UUID
    method: PaymentMethod
    amount: Amount = Field(gt=0)


class SaleHeaderIn(_Payload):
    id: uuid.UUID
    number: int = Field(gt=0)
    subtotal: Amount = Field(ge=0)
    discount: Amount = Field(ge=0)
    tax: Amount = Field(ge=0)
    total: Amount = Field(ge=0)
    paid: Amount = Field(ge=0)
    change: Amount = Field(ge=0)
    payments: list[PaymentIn] = Field(min_length=1, max_length=20)


class TransactionDocument(_Payload):
    type: Literal["sale", "return", "entry", "adjustment"]
    document_id: uuid.UUID
    sale: SaleHeaderIn | None = None
    movements: list[MovementIn] = Field(min_length=1, max_length=1000)
    user_id: uuid.UUID | None = None
    shift_id: uuid.UUID | None = None
    client_ts: datetime


class ThresholdsPayload(_Payload):
    product_id: uuid.UUID
    min: Amount = Field(ge=0)
    max: Amount | None = Field(default=None, ge=0)


class ShiftOpenPayload(_Payload):
    id: uuid.UUID
    user_id: uuid.UUID
    opened_at: datetime
    opening_float: Amount = Field(ge=0)


class ShiftClosePayload(_Payload):
    id: uuid.UUID
    closed_by: uuid.UUID | None = None
    z_report: dict[str, Any]


class ProductPayload(_Payload):
    id: uuid.UUID
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=120)
    barcode: str | None = Field(default=None, max_length=64)
    price: Amount = Field(ge=0)
    cost: Amount = Field(default=Decimal("0"), ge=0)
    tax_rate: Amount = Field(default=Decimal("0"), ge=0, lt=1)
    unit: Literal["unit", "weight"] = "unit"
    active: bool = True


class PingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_now: datetime | None = None


class PingOut(BaseModel):
    server_time: datetime
    clock_offset_ms: int | None
    # The JWKS's key ids: a caja whose stored JWKS differs fetches /api/auth/jwks, so a
    # key rotation reaches every caja within one ping.
    signing_keys: list[str] = []


class SedeSyncStatus(BaseModel):
    sede_id: uuid.UUID
    name: str
    is_online: bool
    last_ping_at: datetime | None
    last_sync_at: datetime | None
    ops_last_24h: dict[str, int]
    last_errors: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    # Synced tables a caja of the sede found different from the cloud's checksums (each
    # one re-fetched and healed), per the sync log.
    divergences_last_24h: int = 0


class SyncStatusOut(BaseModel):
    sedes: list[SedeSyncStatus]
