"""What the backup routes take and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from stocky.core.values import Timestamp

REASON_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
Reason = Annotated[str, Field(pattern=REASON_PATTERN)]
Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN)]
Seq = Annotated[int, Field(ge=0, le=2**63 - 1)]


class BackupMeta(BaseModel):
    """The query of an upload: what the caja says of the snapshot it sends as the body."""

    sha256: Sha256
    reason: Reason = "manual"
    taken_at: Timestamp
    last_op_seq: Seq = 0
    last_op_id: uuid.UUID | None = None


class BackupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    device_id: uuid.UUID
    sede_id: uuid.UUID
    size: int
    sha256: str
    reason: str
    last_op_seq: int
    last_op_id: uuid.UUID | None
    taken_at: datetime
    created_at: datetime


class BackupList(BaseModel):
    items: list[BackupOut]


class DeviceOpsOut(BaseModel):
    """The cloud's view of one caja's op sequence: what it received from it."""

    device_id: uuid.UUID
    ops_total: int
    # Received ops newer (by their time-ordered op id) than `after_op_id`, when asked.
    ops_after: int | None
    last_op_id: uuid.UUID | None
    last_received_at: datetime | None
    # The highest sale number the cloud holds from the caja: a restored caja numbers past it.
    last_sale_number: int
