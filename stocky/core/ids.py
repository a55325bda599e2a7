"""Identifiers: UUIDv7 everywhere, so ids sort by creation time and index well."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new time-ordered UUIDv7."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def new_id_str() -> str:
    """A new UUIDv7 as its canonical string (the form the caja's SQLite stores)."""
    return str(new_id())
