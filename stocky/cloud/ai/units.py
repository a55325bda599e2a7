"""Sizes and packs written the ways Spanish-speaking shops write them: 170g, 170 grs, 0,5 kilo,
1,5 LT, 400cc, 12 und, x6, pack 6, 6x330ml. One canonical size (a Decimal, never a float) in
g/kg, ml/L or und, and a pack count: 1,5 L = 1.5 L = 1500 ml, 1000 g = 1 kg."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

Dimension = Literal["mass", "volume", "count"]

# Every spelling -> (canonical unit, dimension, factor to the base unit g / ml / und).
_UNITS: dict[str, tuple[str, Dimension, Decimal]] = {}
for _spellings, _unit, _dim, _factor in (
    ("g gr grs grm grms gm gms gramo gramos", "g", "mass", "1"),
    ("kg kgs kl kilo kilos kilogramo kilogramos", "kg", "mass", "1000"),
    ("mg", "mg", "mass", "0.001"),
    ("ml mls cc cm3 mililitro mililitros", "ml", "volume", "1"),
    ("l lt lts ltr ltrs litro litros", "L", "volume", "1000"),
    ("u un und unds ud uds unid unids unidad unidades", "und", "count", "1"),
):
    for _spelling in _spellings.split():
        _UNITS[_spelling] = (_unit, _dim, Decimal(_factor))  # type: ignore[assignment]

_NUM = r"\d+(?:[.,]\d+)?"
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
_START = r"(?<![a-z0-9.,])"
_END = r"(?![a-z0-9])"
# 6x330ml, 6 x 330 ml, pack 6 x 330 ml
_PACK_OF = re.compile(
    rf"{_START}(?:pack|paquete|paq|caja|display)?\s*(\d+)\s*x\s*({_NUM})\s*({_UNIT}){_END}"
)
_MEASURE = re.compile(rf"{_START}({_NUM})\s*({_UNIT}){_END}")
_PACK = re.compile(
    rf"{_START}(?:(?:six\s*)?pack|paquete|paq|pqt|display|caja)\s*(?:x|de|por)?\s*(\d+){_END}"
    rf"|{_START}x\s*(\d+){_END}"
    rf"|{_START}(\d+)\s*(?:x|pack|unidades\s+pack){_END}"
)


@dataclass(frozen=True, slots=True)
class Size:
    """A size in its canonical unit (g or kg, ml or L, und) and in the base unit."""

    amount: Decimal
    unit: str
    base: Decimal
    dimension: Dimension

    def __str__(self) -> str:
        return f"{plain(self.amount)} {self.unit}"


@dataclass(frozen=True, slots=True)
class Measure:
    """What a product name says of its size: the size (None when it says none), the pack
    count, and the character spans that said it (to be taken out of the name)."""

    size: Size | None
    pack: int
    spans: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()

    def signature(self) -> tuple[str, str, int] | None:
        """Equal for the same quantity however it is written; None without a size."""
        if self.size is None:
            return None
        return (self.size.dimension, plain(self.size.base), self.pack)


def plain(value: Decimal) -> str:
    """A Decimal as a person writes it: 1.5, 500, 0.25 (no exponent, no trailing zeros)."""
    value = value.normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return format(value, "f")


def parse_number(text: str, unit: str = "") -> Decimal | None:
    """1,5 and 1.5 are one and a half; 1.500 g and 1,500 ml are fifteen hundred (a thousands
    separator is followed by three digits, and only grams, millilitres and units are written
    in the thousands)."""
    whole, sep, frac = text.replace(",", ".").partition(".")
    canonical = _UNITS.get(unit, ("", "", Decimal(1)))[0]
    if sep and len(frac) == 3 and whole != "0" and canonical in ("g", "ml", "und"):
        text = whole + frac
    else:
        text = whole + sep + frac
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns only match digits
        return None


def make_size(amount: Decimal, unit: str) -> Size:
    """The canonical size of an amount in any spelling of a unit: from 1000 up in kg or L,
    below in g or ml."""
    canonical, dimension, factor = _UNITS[unit]
    base = amount * factor
    if dimension == "mass":
        shown, canonical = (base / 1000, "kg") if base >= 1000 else (base, "g")
    elif dimension == "volume":
        shown, canonical = (base / 1000, "L") if base >= 1000 else (base, "ml")
    else:
        shown = base
    return Size(Decimal(plain(shown)), canonical, Decimal(plain(base)), dimension)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def parse_measure(folded: str) -> Measure:
    """The size and pack in a folded product name (see `stocky.cloud.ai.text.fold`)."""
    text = folded
    spans: list[tuple[int, int]] = []
    sizes: list[Size] = []
    packs: list[int] = []
    notes: list[str] = []
    for pattern in (_PACK_OF, _MEASURE):
        for match in pattern.finditer(text):
            groups = match.groups()
            number, unit = groups[-2], groups[-1]
            amount = parse_number(number, unit)
            if amount is None or amount == 0:
                notes.append(f"tamaño «{match.group(0).strip()}» ignorado")
            else:
                sizes.append(make_size(amount, unit))
                if len(groups) == 3 and int(groups[0]) > 0:
                    packs.append(int(groups[0]))
            spans.append(match.span())
        for start, end in spans:
            text = _blank(text, start, end)
    for match in _PACK.finditer(text):
        count = int(next(g for g in match.groups() if g is not None))
        if count > 0:
            packs.append(count)
        spans.append(match.span())
    return _combine(sizes, packs, spans, notes)


def _combine(
    sizes: list[Size], packs: list[int], spans: list[tuple[int, int]], notes: list[str]
) -> Measure:
    measures = [s for s in sizes if s.dimension != "count"]
    counts = [s for s in sizes if s.dimension == "count"]
    size: Size | None = None
    pack = 1
    if measures:
        size = measures[0]
        if packs:
            pack = packs[0]
        elif counts:
            pack = int(counts[0].base)
    elif counts:
        size = counts[0]
        pack = packs[0] if packs else 1
    elif packs:
        size = make_size(Decimal(packs[0]), "und")
    return Measure(size, pack, tuple(sorted(spans)), tuple(notes))


def format_measure(size: Size | None, pack: int) -> str:
    """170 g, 1.5 L, 8 und, 330 ml x6."""
    if size is None:
        return f"x{pack}" if pack > 1 else ""
    shown = str(size)
    return f"{shown} x{pack}" if pack > 1 else shown
