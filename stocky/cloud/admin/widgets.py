"""Small pieces several admin screens draw the same way: how long ago, a label-value line."""

from __future__ import annotations

from datetime import UTC, datetime

from nicegui import ui

from stocky.ui.formats import format_age


def seconds_since(iso: str | None) -> float | None:
    """Seconds from an API timestamp (ISO 8601, UTC) to now; None when there is none."""
    if not iso:
        return None
    moment = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    return (datetime.now(UTC) - moment).total_seconds()


def age(iso: str | None, never: str) -> str:
    """A short age (45 s, 3 min) of an API timestamp, or `never` when there is none."""
    seconds = seconds_since(iso)
    return never if seconds is None else format_age(max(seconds, 0))


def info_line(label: str, value: str, testid: str | None = None, tone: str = "") -> None:
    """A card's line: the label left, muted; the value right."""
    with ui.row().classes("w-full justify-between no-wrap text-sm gap-2"):
        ui.label(label).classes("stocky-muted")
        shown = ui.label(value).classes(f"stocky-num text-right {tone}")
        if testid:
            shown.props(f'data-testid="{testid}"')
