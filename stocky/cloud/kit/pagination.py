"""Opaque cursors and field-level 422s shared by the catalog, inventory and movement lists."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from stocky.core.errors import StockyError

MAX_PAGE = 200
DEFAULT_PAGE = 50


class InvalidFieldError(StockyError):
    """A 422 naming the field, shaped like the handler's answer to a pydantic error."""

    status_code = 422
    code = "validation_error"

    def __init__(self, field: str, message: str, **extra: Any) -> None:
        super().__init__(
            f"{field}: {message}", fields=[{"field": field, "message": message}], **extra
        )
        self.field = field


def encode_cursor(*parts: str) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The parts of a cursor from `encode_cursor`; a forged or stale one is a 422 on `cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidFieldError("cursor", "not a cursor this API issued") from exc
    if (
        not isinstance(parts, list)
        or len(parts) != size
        or not all(isinstance(p, str) for p in parts)
    ):
        raise InvalidFieldError("cursor", "not a cursor this API issued")
    return parts


def decode_name_cursor(cursor: str | None) -> tuple[str, uuid.UUID] | None:
    """The (name, id) after which a by-name page starts; None for the first page."""
    if not cursor:
        return None
    name, raw_id = decode_cursor(cursor, 2)
    try:
        return name, uuid.UUID(raw_id)
    except ValueError as exc:
        raise InvalidFieldError("cursor", "not a cursor this API issued") from exc


def decode_time_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (timestamp, id) after which a newest-first page goes on."""
    stamp, raw_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(stamp), uuid.UUID(raw_id)
    except ValueError as exc:
        raise InvalidFieldError("cursor", "not a cursor this API issued") from exc
