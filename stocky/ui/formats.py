"""Amounts, quantities and dates as a person in the tenant's country reads them.

No Babel dependency: a caja needs a handful of currencies and two number styles, and the
exact Decimal must never pass through float on the way to the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from stocky.ui.i18n import session_language, t

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


def display_locale(locale: str) -> str:
    """The sede's locale in the language the person on this screen chose.

    A Spanish sede's cashier who switched to English reads and types "20,000.50" (en-CO);
    outside a UI session (receipts in tests, reports) the locale stays as given.
    """
    chosen = session_language()
    if chosen is None:
        return locale
    return "-".join([chosen, *locale.replace("_", "-").split("-")[1:]])


def _separators(locale: str) -> tuple[str, str]:
    """(thousands, decimal) for a locale such as es-CO or en-US, in the session's language."""
    lang = display_locale(locale).replace("_", "-").split("-")[0].lower()
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


class NumberError(ValueError):
    """What a person typed is not a number; str() is a sentence in their language."""


def parse_decimal(text: str, locale: str = "es-CO", *, field: str | None = None) -> Decimal:
    """What a person typed ("1.250,5" in es-CO, "1,250.5" in en-US; "0,75" or "0.75").

    A lone separator followed by exactly three digits groups thousands ("20.000" in Spanish
    and "20,000" in English are both twenty thousand), unless what comes before it cannot
    start a grouped number ("0.125" kg is a fraction in any locale); any other lone separator
    is the decimal point the person meant ("1,5" or "1.5"). Raises NumberError naming
    `field`.
    """
    thousands, decimal = _separators(locale)
    raw = text.strip().replace(" ", "").replace("\u00a0", "").replace("$", "")
    if not raw:
        raise NumberError(_number_message(locale, field, empty=True))
    if decimal in raw:
        whole, _, frac = raw.rpartition(decimal)
        if decimal in whole or thousands in frac or not _grouped(whole, thousands):
            raise NumberError(_number_message(locale, field))
        raw = whole.replace(thousands, "") + "." + frac
    elif raw.count(thousands) == 1 and (
        len(raw.split(thousands)[1]) != 3 or not _grouped(raw, thousands)
    ):
        # "0.75" or "0.125" typed on a Spanish keypad: a lone separator grouping no thousands.
        raw = raw.replace(thousands, ".")
    elif _grouped(raw, thousands):
        raw = raw.replace(thousands, "")
    else:
        raise NumberError(_number_message(locale, field))
    try:
        value = Decimal(raw)
    except ArithmeticError as exc:
        raise NumberError(_number_message(locale, field)) from exc
    if not value.is_finite():
        raise NumberError(_number_message(locale, field))
    return value


def _grouped(whole: str, thousands: str) -> bool:
    """ "1.234.567" groups by three after the first group; "12.34" or "1..2" do not."""
    if thousands not in whole:
        return True
    head, *rest = whole.lstrip("+-").split(thousands)
    # A grouped number never starts with a zero group ("0.125" is no thousand).
    return 1 <= len(head) <= 3 and head.lstrip("0") != "" and all(len(p) == 3 for p in rest)


def _number_message(locale: str, field: str | None, *, empty: bool = False) -> str:
    a, b = format_number(Decimal(1500), 0, locale), format_number(Decimal("2.5"), 1, locale)
    if field is None:
        return t("error.number_any", a=a, b=b)
    return t("error.number_empty" if empty else "error.number_field", field=field, a=a, b=b)


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
