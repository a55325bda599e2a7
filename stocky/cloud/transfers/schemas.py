"""The transfers API's bodies and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from stocky.core.values import PositiveQuantity, Text, free_text

MAX_LINES = 500
TransferStatus = Literal["pending", "processing", "completed", "failed", "rejected", "cancelled"]
# The constraints come first: around an Annotated type pydantic checks min_length before it
# strips, so "   " passed as an empty reason.
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(free_text),
]
Note = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=1000)]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: uuid.UUID
    # Exact decimal (a JSON string such as "2.5" or an integer); weighed products allowed.
    quantity: Annotated[PositiveQuantity, Field(lt=Decimal("1e12"))]


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_sede_id: uuid.UUID
    to_sede_id: uuid.UUID
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)]
    note: Note | None = None


class ApproveIn(BaseModel):
    """A caja approving with its credential names the manager signed in at it."""

    model_config = ConfigDict(extra="forbid")

    acting_user_id: uuid.UUID | None = None


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    acting_user_id: uuid.UUID | None = None


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class PersonOut(BaseModel):
    id: uuid.UUID
    name: str | None


class LineOut(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    unit: str
    quantity: Decimal


class ShortageOut(BaseModel):
    """A line the origin could not cover when the job ran."""

    product_id: uuid.UUID
    sku: str
    name: str
    available: Decimal
    requested: Decimal


class MovementOut(BaseModel):
    id: uuid.UUID
    sede_id: uuid.UUID
    product_id: uuid.UUID
    type: str
    quantity: Decimal
    server_timestamp: datetime


class TransferOut(BaseModel):
    id: uuid.UUID
    from_sede_id: uuid.UUID
    from_sede_name: str
    to_sede_id: uuid.UUID
    to_sede_name: str
    status: TransferStatus
    note: str | None
    reason: str | None
    failure_reason: str | None
    # insufficient_stock (see `shortages`) or job_error; None unless failed.
    failure_code: str | None
    shortages: list[ShortageOut]
    requested_by: PersonOut | None
    requested_at: datetime
    decided_by: PersonOut | None
    decided_at: datetime | None
    completed_at: datetime | None
    lines: list[LineOut]
    # The movements its job wrote (the detail only; [] in lists).
    movements: list[MovementOut]
    version: int


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_cursor: str | None


class TransferEvent(BaseModel):
    """`transfer.*` to both sedes' rooms and the tenant's, after the commit."""

    transfer_id: uuid.UUID
    status: TransferStatus
    from_sede_id: uuid.UUID
    to_sede_id: uuid.UUID
    from_sede_name: str
    to_sede_name: str
    reason: str | None = None
