"""What a caja reports about an update, and what owners read back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

VersionText = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z.+-]+$")
]
Outcome = Literal["installed", "rolled_back"]


class UpdateReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: VersionText
    previous_version: VersionText | None = None
    outcome: Outcome
    # PostgreSQL text holds no NUL: refused here as 422, not a 500 from the insert.
    reason: Annotated[str, Field(max_length=2000, pattern=r"^[^\x00]*$")] | None = None
    happened_at: AwareDatetime


class UpdateReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    sede_id: uuid.UUID
    device_id: uuid.UUID
    version: str
    previous_version: str | None
    outcome: Outcome
    reason: str | None
    happened_at: datetime
    received_at: datetime
