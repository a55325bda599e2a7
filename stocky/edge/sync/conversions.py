"""What every handler of a pulled change shares: its context, its errors, its values.

Rows arrive as the cloud's `to_jsonb(row)`: money and quantities as Decimal (JSON parsed with
parse_float=Decimal) or str (a row kept in pull_deferred), never float; timestamps as
ISO-8601 with an offset. These turn them into the caja's columns, or fail with ApplyError.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from stocky.core.money import AmountError, money_to_cents, quantity_to_milli
from stocky.core.sync import Change
from stocky.edge.store.timestamps import from_iso, to_iso

Outcome = Literal["applied", "deferred", "ignored"]


class ApplyError(ValueError):
    """A change the caja cannot apply (malformed data): the whole page rolls back."""


@dataclass(frozen=True, slots=True)
class Ctx:
    conn: sqlite3.Connection
    sede_id: str
    now: str


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ApplyError(f"{value!r} is not an exact number")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ApplyError(f"{value!r} is not a number") from exc


def cents(value: Any) -> int:
    return money_to_cents(_decimal(value))


def milli(value: Any) -> int:
    return quantity_to_milli(_decimal(value))


def ts(value: Any) -> str:
    return to_iso(from_iso(str(value)))


def rate(value: Any) -> str:
    # The caja's CHECK wants plain digits: no exponent, no trailing-zero noise from NUMERIC.
    return format(_decimal(value).normalize(), "f")


def thresholds(data: dict[str, Any]) -> tuple[int, int | None]:
    """A stock row's (min, max) in thousandths; no max is None."""
    low = data.get("min_stock")
    high = data.get("max_stock")
    return (0 if low is None else milli(low)), (None if high is None else milli(high))


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> str:
    return json.dumps(data, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def change_data(change: Change) -> dict[str, Any]:
    if change.data is None:
        raise ApplyError("upsert without data")
    return change.data


T = TypeVar("T")


def blamed(change: Change, fn: Callable[..., T], *args: Any) -> T:
    """fn(*args), with any conversion error naming the change it came from."""
    try:
        return fn(*args)
    except (KeyError, TypeError, ValueError, AmountError) as exc:
        raise ApplyError(
            f"cannot apply {change.entity} {change.entity_id} at {change.position}: {exc}"
        ) from exc
