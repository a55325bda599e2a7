"""The sync protocol between a caja and the cloud: operations, results, changes, cursors.

Pure data, no I/O: both sides import these. Money and quantities travel as decimal strings.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_PUSH_BATCH = 50
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 500

OpKind = Literal[
    "transaction.create",
    "product.upsert",
    "inventory.thresholds",
    "shift.open",
    "shift.close",
]
OpStatus = Literal["applied", "duplicate", "conflict", "rejected"]


class Operation(BaseModel):
    """One local change, queued in the caja's outbox in the same commit as the change."""

    model_config = ConfigDict(extra="forbid")

    op_id: uuid.UUID
    kind: OpKind
    entity_id: str = Field(min_length=1, max_length=120)
    payload: dict[str, Any]
    base_version: int | None = Field(default=None, ge=0)
    client_ts: datetime


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    device_id: uuid.UUID
    operations: list[Operation] = Field(min_length=1, max_length=MAX_PUSH_BATCH)
    # The caja's clock when it sent the batch: the cloud measures the offset from it.
    client_now: datetime | None = None


class OpResult(BaseModel):
    op_id: uuid.UUID
    status: OpStatus
    # For `duplicate`: what the op's first delivery answered (applied, conflict, rejected).
    original_status: OpStatus | None = None
    server_version: int | None = None
    server_ts: datetime
    position: str | None = None
    reason: str | None = None


class PushResponse(BaseModel):
    results: list[OpResult]
    server_time: datetime
    clock_offset_ms: int | None = None


class PullRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=DEFAULT_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT)


class Change(BaseModel):
    position: str
    entity: str
    entity_id: str
    op: Literal["upsert", "delete"]
    version: int | None = None
    data: dict[str, Any] | None = None


class PullResponse(BaseModel):
    changes: list[Change]
    cursor: str
    has_more: bool
    epoch: str
    # True when the caja's cursor was from another epoch (or ahead of the server): the
    # caja must drop its pulled copy, re-fetch from this page on and re-push what it has.
    reset: bool = False
    server_time: datetime


class CursorError(ValueError):
    """The cursor is not one this protocol issued."""


class Cursor(BaseModel):
    """A position in the cloud's change feed: (xid, id) within one server epoch."""

    model_config = ConfigDict(frozen=True)

    epoch: str
    xid: int = Field(ge=0)
    id: int = Field(ge=0)

    def encode(self) -> str:
        raw = f"1:{self.epoch}:{self.xid}:{self.id}".encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            version, epoch, xid, ident = base64.urlsafe_b64decode(padded).decode().split(":")
            if version != "1":
                raise CursorError("unknown cursor version")
            return cls(epoch=epoch, xid=int(xid), id=int(ident))
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise CursorError("malformed cursor") from exc

    @classmethod
    def start(cls, epoch: str) -> Cursor:
        return cls(epoch=epoch, xid=0, id=0)
