"""Amounts, quantities and dates as a person in the tenant's country reads them.

No Babel dependency: a caja needs a handful of currencies and two number styles, and the
exact Decimal must never pass through float on the way to the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

# Digits shown on screen and receipts (COP and CLP trade in whole pesos).
_CURRENCY_DIGITS: Final = {"COP": 0, "CLP": 0, "PYG": 0, "JPY": 0}
_CURRENCY_SYMBOL: Final = {
    "COP": "$",
    "USD": "US$",
    "MXN": "$",
    "CLP": "$",
    "ARS": "$",
    "PEN": "S/",
    "EUR": "€",
}


def _separators(locale: str) -> tuple[str, str]:
    """(thousands, decimal) for a locale such as es-CO or en-US."""
    lang = locale.replace("_", "-").split("-")[0].lower()
    if lang in ("es", "pt", "de", "it", "fr", "nl"):
        return ".", ","
    return ",", "."


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def format_number(value: Decimal, places: int, locale: str) -> str:
    thousands, decimal = _separators(locale)
    exp = Decimal(1).scaleb(-places)
    rounded = value.quantize(exp, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    text = _group(whole, thousands)
    if places:
        text += decimal + frac.ljust(places, "0")
    return sign + text


def format_money(value: Decimal, currency: str = "COP", locale: str = "es-CO") -> str:
    """ "$ 12.500" for COP in es-CO; "US$ 1,234.50" for USD in en-US."""
    places = _CURRENCY_DIGITS.get(currency.upper(), 2)
    symbol = _CURRENCY_SYMBOL.get(currency.upper(), currency.upper())
    number = format_number(abs(value), places, locale)
    sign = "-" if value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP) < 0 else ""
    return f"{sign}{symbol} {number}"


def format_quantity(value: Decimal, unit: str = "unit", locale: str = "es-CO") -> str:
    """Whole units without decimals; goods sold by weight with up to 3 decimals."""
    if unit == "unit" or value == value.to_integral_value():
        return format_number(value, 0, locale)
    text = format_number(value, 3, locale)
    _, decimal = _separators(locale)
    return text.rstrip("0").rstrip(decimal) if decimal in text else text


def parse_decimal(text: str, locale: str = "es-CO") -> Decimal:
    """What a person typed ("1.250,5" in es-CO, "1,250.5" in en-US; "0,75" or "0.75")."""
    thousands, decimal = _separators(locale)
    raw = text.strip().replace(" ", "").replace("$", "")
    if not raw:
        raise ValueError("empty")
    if decimal in raw:
        raw = raw.replace(thousands, "").replace(decimal, ".")
    elif raw.count(thousands) == 1 and len(raw.split(thousands)[1]) != 3:
        # "0.75" typed on a Spanish keypad: a lone separator not grouping thousands.
        raw = raw.replace(thousands, ".")
    else:
        raw = raw.replace(thousands, "")
    try:
        value = Decimal(raw)
    except ArithmeticError as exc:
        raise ValueError(f"not a number: {text}") from exc
    if not value.is_finite():
        raise ValueError(f"not a number: {text}")
    return value


def local_time(iso: str | None, timezone: str) -> datetime | None:
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(timezone))


def format_datetime(iso: str | None, timezone: str, *, seconds: bool = False) -> str:
    """A stored UTC timestamp in the caja's time zone: 24/06/2025 14:05."""
    moment = local_time(iso, timezone)
    if moment is None:
        return "—"
    return moment.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def format_age(seconds: float | None) -> str:
    """A short age: 45 s, 3 min, 2 h, 4 d."""
    if seconds is None:
        return "—"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"
