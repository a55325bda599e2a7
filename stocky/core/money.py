"""Exact money and quantities.

Money has 2 decimal places and quantities 3 (grams for goods sold by weight). The cloud stores
them as NUMERIC; the caja's SQLite stores them as scaled integers (cents, thousandths) so
that SQL sums stay exact. Floats never enter: a float argument is a programming error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_PLACES = 2
QUANTITY_PLACES = 3
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
QUANTITY_QUANTUM = Decimal(1).scaleb(-QUANTITY_PLACES)
MONEY_SCALE = 10**MONEY_PLACES
QUANTITY_SCALE = 10**QUANTITY_PLACES
# NUMERIC(18, x) in the cloud: keep values well inside it.
MAX_ABS = Decimal("1e12")


class AmountError(ValueError):
    """A value that is not a valid amount (too many decimals, not a number, out of range)."""


def _to_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("floats are not accepted for money or quantities")
    try:
        result = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise AmountError(f"{value!r} is not a number") from exc
    if not result.is_finite():
        raise AmountError(f"{value!r} is not a finite number")
    if abs(result) >= MAX_ABS:
        raise AmountError(f"{value!r} is out of range")
    return result


def _exact(value: Decimal | int | str, places: int, what: str) -> Decimal:
    result = _to_decimal(value)
    quantum = Decimal(1).scaleb(-places)
    if result != result.quantize(quantum):
        raise AmountError(f"{what} {value!r} has more than {places} decimal places")
    return result.quantize(quantum)


def money(value: Decimal | int | str) -> Decimal:
    """Parse an exact money amount (at most 2 decimal places)."""
    return _exact(value, MONEY_PLACES, "amount")


def quantity(value: Decimal | int | str) -> Decimal:
    """Parse an exact quantity (at most 3 decimal places)."""
    return _exact(value, QUANTITY_PLACES, "quantity")


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (price x quantity, tax) to cents, half up as receipts do."""
    return value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def money_to_cents(value: Decimal) -> int:
    """Money as the integer number of cents the caja's SQLite stores."""
    return int(money(value) * MONEY_SCALE)


def cents_to_money(cents: int) -> Decimal:
    result: Decimal = (Decimal(cents) / MONEY_SCALE).quantize(MONEY_QUANTUM)
    return result


def quantity_to_milli(value: Decimal) -> int:
    """A quantity as the integer number of thousandths the caja's SQLite stores."""
    return int(quantity(value) * QUANTITY_SCALE)


def milli_to_quantity(milli: int) -> Decimal:
    result: Decimal = (Decimal(milli) / QUANTITY_SCALE).quantize(QUANTITY_QUANTUM)
    return result
