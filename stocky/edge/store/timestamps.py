"""ISO-8601 UTC timestamps in the one fixed format the store keeps (so TEXT sorts by time)."""

from __future__ import annotations

from datetime import UTC, datetime


def to_iso(moment: datetime) -> str:
    """`2026-01-31T14:05:09.123456Z`: always UTC, always microseconds, always `Z`."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_iso(text: str) -> datetime:
    """Parse a stored timestamp (any ISO-8601 with an offset) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return moment.astimezone(UTC)


def utc_now() -> str:
    """The current time as a stored timestamp."""
    return to_iso(datetime.now(UTC))
