"""Field types every value of the sync contract goes through, at the caja and in the cloud.

Each type admits exactly what the cloud can store: text without NUL, other control
characters or lone surrogates (PostgreSQL text and JSONB refuse NUL; a lone surrogate cannot
be encoded as UTF-8), integers within the columns' 32-bit range, money and quantities within
NUMERIC(18, x) with their exact places, and timestamps in a range no caja clock reaches by
accident. A value outside them is refused where it is typed, with the field named, so it is
never confirmed at the caja and never reaches a database statement in the cloud.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from stocky.core.money import money, quantity

INT32_MAX = 2**31 - 1
# The earliest and latest client time accepted. A dead CMOS battery resets a PC to 2000 or
# 1970, and such a caja must still sync (the cloud corrects its times by the measured
# offset); year 1 or 9999 is never a clock, only a broken or hostile client.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
# Nesting and size limits for free-form JSON carried inside an op (a Z report's extras).
MAX_JSON_DEPTH = 8
MAX_JSON_ITEMS = 2000

# C0 controls and DEL, the C1 controls, and lone surrogates. Free text keeps tab and newline.
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LAYOUT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _describe(char: str) -> str:
    if char == "\x00":
        return "NUL characters"
    if "\ud800" <= char <= "\udfff":
        return "unpaired surrogate characters"
    return f"control characters (U+{ord(char):04X})"


def single_line(value: str) -> str:
    """Refuse text with any control character (names, codes, ids)."""
    found = _ANY_CONTROL.search(value)
    if found:
        raise ValueError(f"must not contain {_describe(found.group())}")
    return value


def free_text(value: str) -> str:
    """Refuse text with control characters other than tab and line breaks (notes)."""
    found = _CONTROL_BUT_LAYOUT.search(value)
    if found:
        raise ValueError(f"must not contain {_describe(found.group())}")
    return value


def sane_time(value: datetime) -> datetime:
    """A timezone-aware time between EARLIEST and LATEST (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be between {EARLIEST.year} and {LATEST.year - 1}")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def check_json(value: Any, depth: int = 0) -> int:
    """Refuse JSON that PostgreSQL's JSONB cannot hold (NUL in a string or key) or that is
    absurdly deep or large; returns the number of items seen."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        free_text(value)
        return 1
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int):
        if abs(value) > 2**63 - 1:
            raise ValueError("holds an integer beyond 64 bits")
        return 1
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("holds a number that is not finite")
        return 1
    if isinstance(value, dict):
        items = 1
        for key, item in value.items():
            single_line(str(key))
            items += check_json(item, depth + 1)
    elif isinstance(value, list):
        items = 1 + sum(check_json(item, depth + 1) for item in value)
    else:
        raise ValueError(f"holds a {type(value).__name__}, which is not JSON")
    if items > MAX_JSON_ITEMS:
        raise ValueError(f"holds more than {MAX_JSON_ITEMS} values")
    return items


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    check_json(value)
    return value


Line = Annotated[str, AfterValidator(single_line)]
Text = Annotated[str, AfterValidator(free_text)]
Int32 = Annotated[int, Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
PositiveInt32 = Annotated[int, Field(gt=0, le=INT32_MAX)]
Version = Annotated[int, Field(ge=0, le=INT32_MAX)]
Money = Annotated[Decimal, AfterValidator(money)]
NonNegativeMoney = Annotated[Decimal, AfterValidator(money), AfterValidator(_not_negative)]
PositiveMoney = Annotated[Decimal, AfterValidator(money), AfterValidator(_positive)]
Quantity = Annotated[Decimal, AfterValidator(quantity)]
NonNegativeQuantity = Annotated[Decimal, AfterValidator(quantity), AfterValidator(_not_negative)]
PositiveQuantity = Annotated[Decimal, AfterValidator(quantity), AfterValidator(_positive)]
Timestamp = Annotated[datetime, AfterValidator(sane_time)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
