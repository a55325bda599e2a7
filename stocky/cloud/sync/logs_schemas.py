"""GET /api/sync/logs out: the ops cajas pushed, as the cloud recorded them (sync_ops)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

# What sync_ops keeps per op (models.records.SYNC_OP_STATUSES): a later delivery of an op
# is answered `duplicate` to the caja but leaves its first record as it was.
LoggedStatus = Literal["applied", "duplicate", "conflict", "rejected"]


class SyncLogItem(BaseModel):
    op_id: uuid.UUID
    kind: str = Field(description="The op kind, e.g. transaction.create")
    entity_id: str | None
    status: LoggedStatus
    reason: str | None = Field(description="Why it was rejected or conflicted")
    sede_id: uuid.UUID
    sede_name: str | None
    device_id: uuid.UUID
    device_name: str | None
    client_ts: datetime | None = Field(
        description="The caja's clock when it recorded the op (None: pushed before it was kept)"
    )
    server_ts: datetime = Field(description="When the cloud received it")
    payload: dict[str, Any] | None = Field(
        description="What the caja sent, for rejected and conflicted ops only"
    )


class SyncLogPage(BaseModel):
    items: list[SyncLogItem]
    next_cursor: str | None
