"""The reconciliation API's bodies and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from stocky.core.values import Text

FindingKind = Literal["shift_gap", "stock_drift", "clock_skew", "rejected_ops"]
FindingStatus = Literal["open", "acknowledged", "resolved"]
Note = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=1000)]


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: FindingKind
    status: FindingStatus
    sede_id: uuid.UUID
    device_id: uuid.UUID | None
    subject: str
    details: dict[str, Any]
    detected_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None
    ack_note: str | None


class FindingPage(BaseModel):
    items: list[FindingOut]
    next_cursor: str | None


class AcknowledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class CorrectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class CorrectionOut(BaseModel):
    finding: FindingOut
    # The adjustment movement written (None: the drift had gone by itself).
    movement_id: uuid.UUID | None
    quantity: str


class StockRunOut(BaseModel):
    job_id: int
