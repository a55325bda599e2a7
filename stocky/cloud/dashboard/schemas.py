"""The dashboard's one answer: money as Decimal strings, times in UTC, days in the tenant's
time zone."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class SedeToday(BaseModel):
    sede_id: uuid.UUID
    name: str
    total: Decimal
    count: int
    refunds_total: Decimal


class Refunds(BaseModel):
    """What returns gave back today (by the caja's time), apart from the sales: `total` is
    the sales' gross."""

    total: Decimal
    count: int = Field(description="Returns, not refund rows (one per payment method)")


class Today(BaseModel):
    date: date
    total: Decimal
    count: int
    refunds: Refunds
    per_sede: list[SedeToday]


class Day(BaseModel):
    date: date
    total: Decimal
    count: int


class SedeHealth(BaseModel):
    sede_id: uuid.UUID
    name: str
    active: bool
    online: bool
    last_ping_at: datetime | None
    last_sync_at: datetime | None
    devices: int = Field(description="Active (not revoked) cajas")
    pending_ops: int | None = Field(
        description="Ops its active cajas still have to push, as their last pings said;"
        " null: none of them reported"
    )
    rejected_ops: int = Field(description="Ops of the last 24 h the cloud rejected")
    conflict_ops: int = Field(description="Ops of the last 24 h that met a newer version")
    max_clock_offset_ms: int | None = Field(
        description="The largest absolute clock offset an active caja reported; null: none"
    )
    clock_untrusted: bool
    clock_skewed_devices: int = Field(
        default=0, description="Active cajas whose clock is off past clock_skew_threshold_s"
    )
    worst_clock_offset_ms: int | None = Field(
        default=None,
        description="The active cajas' offset furthest from zero, signed (caja minus cloud)",
    )


class DashboardOut(BaseModel):
    currency: str
    timezone: str
    as_of: datetime
    sede_id: uuid.UUID | None = Field(description="The sede the figures are held to; null: all")
    today: Today
    last_30_days: list[Day] = Field(description="30 days, oldest first, today last")
    sedes: list[SedeHealth]
    low_stock_count: int
    negative_stock_count: int
    open_transfers: int | None = Field(
        description="Transfers pending a decision or being executed (of the sede, if scoped)"
    )
