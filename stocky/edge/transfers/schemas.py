"""Bodies of the caja's /local/api/transfers routes. Quantities are Decimal, never float."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from stocky.core.values import Text
from stocky.edge.inventory.schemas import Strict

Direction = Literal["incoming", "outgoing"]


class PersonOut(BaseModel):
    id: str
    name: str | None  # None: a user this caja does not hold (of another sede)


class TransferLineOut(BaseModel):
    product_id: str
    sku: str | None
    name: str | None  # None: a product the caja has not pulled yet
    unit: str | None
    quantity: Decimal


class MovementOut(BaseModel):
    id: str
    type: str
    product_id: str
    quantity: Decimal
    server_ts: str | None


class ShortageOut(BaseModel):
    """A line the origin could not cover when the cloud's job ran."""

    product_id: str
    sku: str
    name: str
    available: Decimal
    requested: Decimal


class TransferOut(BaseModel):
    id: str
    direction: Direction
    from_sede_id: str
    from_sede_name: str
    to_sede_id: str
    to_sede_name: str
    status: str
    note: str | None
    reason: str | None
    failure_reason: str | None
    failure_code: str | None = None
    shortages: list[ShortageOut] = []
    requested_by: PersonOut | None
    requested_at: str
    decided_by: PersonOut | None
    decided_at: str | None
    completed_at: str | None
    version: int
    lines: list[TransferLineOut]
    # This sede's side of what the transfer moved, once pulled.
    movements: list[MovementOut]


class TransferList(BaseModel):
    items: list[TransferOut]


class ApproveIn(Strict):
    pass


class RejectIn(Strict):
    reason: Annotated[Text, Field(min_length=1, max_length=500)]


class DecisionOut(BaseModel):
    """What the cloud answered (its Transfer JSON); the local copy follows on the next pull."""

    id: str
    status: str
    transfer: dict[str, object]
