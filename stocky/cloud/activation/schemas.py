"""Activation codes, the activation answer a caja starts from, and devices."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from stocky.core import activation_codes as codes
from stocky.core.clock import clock_skewed
from stocky.core.receipts import caja_prefix


class CodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ttl_hours: int = Field(default=24, ge=1, le=168)


class CodeOut(BaseModel):
    id: uuid.UUID  # for DELETE /api/sedes/{sede_id}/activation-codes/{code_id}
    code: str
    sede_id: uuid.UUID
    expires_at: datetime


class PendingCodeOut(BaseModel):
    """A code of the sede that can still activate a caja. Only its hash is stored, so the
    code itself (or any part of it) is shown once, when it is issued, and never again."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sede_id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    created_by: uuid.UUID | None


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(
        min_length=1,
        max_length=40,
        description=f"The activation code, like {codes.EXAMPLE} (case, dashes and spaces"
        " do not matter)",
    )
    device_name: str = Field(min_length=1, max_length=120)

    @field_validator("code")
    @classmethod
    def _canonical(cls, value: str) -> str:
        canonical = codes.normalize(value)
        if canonical is None:
            raise ValueError(codes.FORMAT_HINT)
        return canonical


class TenantInfo(BaseModel):
    id: uuid.UUID
    name: str
    currency: str
    locale: str
    timezone: str
    # For the caja's receipt, from the tenant's settings (None when not set).
    legal_name: str | None = None
    tax_id: str | None = None
    address: str | None = None


class SedeInfo(BaseModel):
    id: uuid.UUID
    name: str
    timezone: str | None
    config: dict[str, Any]


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sede_id: uuid.UUID
    name: str
    caja_number: int
    status: str
    activated_at: datetime
    revoked_at: datetime | None
    last_seen_at: datetime | None
    app_version: str | None = None
    # The caja's outbox as its last ping reported it (null: never reported).
    pending_ops: int | None = None
    stuck_ops: int | None = None
    outbox_reported_at: datetime | None = None
    # Caja minus cloud, as its last ping or push measured it (null: never measured);
    # clock_skewed: past the cloud's clock_skew_threshold_s (set by with_clock).
    clock_offset_ms: int | None = None
    clock_skewed: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def receipt_prefix(self) -> str:
        """What this caja's receipt numbers start with (C01-000042)."""
        return caja_prefix(self.caja_number)

    def with_clock(self, threshold_s: float) -> DeviceOut:
        """This caja flagged or not by the cloud's threshold (seconds)."""
        return self.model_copy(
            update={"clock_skewed": clock_skewed(self.clock_offset_ms, threshold_s)}
        )


class SyncedUser(BaseModel):
    """A user as the caja stores it: with the argon2 hash, for offline login."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sede_id: uuid.UUID | None
    email: str
    name: str
    password_hash: str
    # The manager's approval PIN (argon2), None when none is set.
    pin_hash: str | None = None
    role: str
    active: bool
    version: int
    updated_at: datetime


class SyncedProduct(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sku: str
    name: str
    category: str | None
    barcode: str | None
    price: Decimal
    cost: Decimal
    tax_rate: Decimal
    unit: str
    active: bool
    image_url: str | None
    version: int
    last_modified_at: datetime


class SyncedBarcode(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    barcode: str
    product_id: uuid.UUID


class SyncedInventory(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: uuid.UUID
    quantity: Decimal
    min_stock: Decimal
    max_stock: Decimal | None
    version: int
    updated_at: datetime


class Catalog(BaseModel):
    products: list[SyncedProduct]
    barcodes: list[SyncedBarcode]
    inventory: list[SyncedInventory]


class ActivateOut(BaseModel):
    tenant: TenantInfo
    sede: SedeInfo
    device: DeviceOut
    device_credential: str
    jwks: dict[str, Any]
    cloud_url: str
    users: list[SyncedUser]
    catalog: Catalog
