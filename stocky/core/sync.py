"""The sync protocol between a caja and the cloud: operations, results, changes, cursors.

Pure data, no I/O: both sides import these. Money and quantities travel as decimal strings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stocky.core.values import INT32_MAX, Line, Timestamp, Version

Count = Annotated[int, Field(ge=0, le=INT32_MAX)]

MAX_PUSH_BATCH = 50
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 500

OpKind = Literal[
    "transaction.create",
    "product.upsert",
    "inventory.thresholds",
    "shift.open",
    "shift.close",
    "cash.movement",
    "sale.void",
]
# `deferred`: the op cannot apply YET (a return of a sale the cloud does not hold); nothing
# of it is recorded, and the caja sends it again later without holding up the ops behind it.
OpStatus = Literal["applied", "duplicate", "conflict", "rejected", "deferred"]


class Operation(BaseModel):
    """One local change, queued in the caja's outbox in the same commit as the change."""

    model_config = ConfigDict(extra="forbid")

    op_id: uuid.UUID
    kind: OpKind
    # sync_ops.entity_id is varchar(80).
    entity_id: Annotated[Line, Field(min_length=1, max_length=80)]
    # Checked per op by stocky.core.ops.parse_payload: a bad payload rejects its op only.
    payload: dict[str, Any]
    base_version: Version | None = None
    client_ts: Timestamp
    # The caja of the sede that recorded the op, when its LAN master relays it (issue 16);
    # None: the pushing caja's own op. Not part of what the op says (its body hash), so the
    # same op pushed by its caja directly and relayed by a master is one op.
    origin_device_id: uuid.UUID | None = None


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    device_id: uuid.UUID
    operations: list[Operation] = Field(min_length=1, max_length=MAX_PUSH_BATCH)
    # The caja's clock when it sent the batch: the cloud measures the offset from it.
    client_now: Timestamp | None = None
    # The LAN master's epoch (fencing token) when it relays other cajas' ops: the cloud
    # refuses a batch stamped with an epoch older than the sede's current lease.
    lan_epoch: Annotated[int, Field(ge=0, le=2**62)] | None = None


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


class PingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_now: Timestamp | None = None
    # What the caja still has to push (its outbox lives only there), for the owner to see;
    # older cajas send neither.
    pending_ops: Count | None = None
    stuck_ops: Count | None = None


class PingOut(BaseModel):
    server_time: datetime
    clock_offset_ms: int | None
    # The JWKS's key ids: a caja whose stored JWKS differs fetches /api/auth/jwks, so a
    # key rotation reaches every caja within one ping.
    signing_keys: list[str] = []
    # The caja's receipt prefix (stocky.core.receipts): how a caja activated before receipts
    # had one learns it. None from an older cloud.
    receipt_prefix: str | None = None
    # What the receipt prints about the business (legal_name, tax_id, address; any may be
    # missing): a change the owner makes reaches the cajas within one ping. None from an
    # older cloud, which leaves the caja's copy from activation alone.
    business: dict[str, str] | None = None


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
    # Last page only: `table_checksum` of each CHECKSUM_TABLES table of the sede's scope at
    # `cursor`. A table with changes the feed has not served yet is left out (see
    # stocky.cloud.sync.checksums); None from a cloud that predates checksums.
    checksums: dict[str, str] | None = None


# Checksums ---------------------------------------------------------------------------------

# The tables a caja keeps a copy of, in the order a re-fetch repairs them (products before
# the barcodes and stock rows that point at them), with what each row contributes:
#   products, users: "id:version"; product_barcodes: "barcode:product_id";
#   inventory (the sede's): "product_id:quantity_milli:min_milli:max_milli" ('' for no max),
#   the cloud's quantity, not the caja's own unconfirmed movements.
CHECKSUM_TABLES: tuple[str, ...] = ("products", "product_barcodes", "users", "inventory")
ChecksumTable = Literal["products", "product_barcodes", "users", "inventory"]
_MOD = 1 << 64


def row_hash(text: str) -> int:
    """The first 8 bytes of md5(text) as an unsigned 64-bit integer (what PostgreSQL's
    `('x' || substr(md5(text), 1, 16))::bit(64)` holds)."""
    return int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big")


def table_checksum(rows: Iterable[str]) -> str:
    """Sum of `row_hash` modulo 2^64, as 16 hex digits: order-free, so both sides agree."""
    return format(sum(map(row_hash, rows)) % _MOD, "016x")


def format_checksum(total: int) -> str:
    return format(total % _MOD, "016x")


class RefetchRequest(BaseModel):
    """One page of a table's current rows in the sede's scope, by key, after `after`."""

    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    table: ChecksumTable
    # The last key of the page before: a uuid, or a barcode for product_barcodes.
    after: Annotated[Line, Field(max_length=200)] | None = None
    limit: int = Field(default=DEFAULT_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT)

    @model_validator(mode="after")
    def _key_of_its_table(self) -> RefetchRequest:
        if self.after is not None and self.table != "product_barcodes":
            try:
                uuid.UUID(self.after)
            except ValueError:
                raise ValueError(f"after: must be a uuid, the key of {self.table}") from None
        return self


class RefetchResponse(BaseModel):
    """Rows as upsert changes (the feed's shape), ordered by key (binary order of its text).

    The page covers the keys in (request.after, upto]; `upto` is None on the last page (no
    upper bound), so a caja row of that range missing here does not exist in the cloud.
    """

    table: ChecksumTable
    changes: list[Change]
    upto: str | None
    has_more: bool


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
