"""What every applier of a pushed op gets and gives back: the op in its context, the
outcome, and which database errors are the op's fault rather than a reason to retry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from stocky.core.ops import (
    OpPayload,
)
from stocky.core.sync import Operation


class OpRejectedError(Exception):
    """The op can never apply; the reason is recorded and shown at the caja."""


# SQLSTATE classes of a value or a row the database refuses: 22 data exception (out of
# range, invalid text, string too long), 23 integrity constraint violation.
DATA_ERROR_CLASSES = ("22", "23")


def data_error_reason(exc: DBAPIError) -> str | None:
    """Why the database refused the op's data, or None for any other (transient) failure."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if not sqlstate.startswith(DATA_ERROR_CLASSES):
        return None
    detail = str(exc.orig).splitlines()[0] if exc.orig else "refused"
    return f"refused by the database: {detail}"


@dataclass(frozen=True)
class OpContext:
    tenant_id: uuid.UUID
    sede_id: uuid.UUID
    device_id: uuid.UUID
    op: Operation
    server_ts: datetime
    payload: OpPayload
    # The caja's clock minus the cloud's, when it is too far off to trust: its times are
    # stored corrected by it (the op's payload keeps the original).
    clock_correction: timedelta | None = None

    def corrected(self, ts: datetime) -> datetime:
        return ts if self.clock_correction is None else ts - self.clock_correction


@dataclass
class Applied:
    status: str = "applied"
    server_version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def typed(ctx: OpContext, model: type[OpPayload]) -> Any:
    assert isinstance(ctx.payload, model), f"{ctx.op.kind} parsed as {type(ctx.payload)}"
    return ctx.payload
