"""The unit grammar: Spanish spellings, decimal commas, conversions and packs."""

from decimal import Decimal

import pytest

from stocky.cloud.ai.text import fold
from stocky.cloud.ai.units import format_measure, parse_measure, parse_number

CASES = [
    # text, size, unit, pack
    ("Cafe 170g", "170", "g", 1),
    ("cafe 170 gr", "170", "g", 1),
    ("CAFE 170 GRS", "170", "g", 1),
    ("café 170 gramos", "170", "g", 1),
    ("arroz 1000 g", "1", "kg", 1),
    ("arroz 1 kilo", "1", "kg", 1),
    ("arroz 2 kilos", "2", "kg", 1),
    ("arroz 0,5 kg", "500", "g", 1),
    ("arroz 0.5 kg", "500", "g", 1),
    ("arroz 2500 gr", "2.5", "kg", 1),
    ("gaseosa 1,5 L", "1.5", "L", 1),
    ("gaseosa 1.5 L", "1.5", "L", 1),
    ("gaseosa 1500 ml", "1.5", "L", 1),
    ("GASEOSA 1,5 LT", "1.5", "L", 1),
    ("gaseosa 1.5lts", "1.5", "L", 1),
    ("yogurt 1 litro", "1", "L", 1),
    ("yogurt 2 litros", "2", "L", 1),
    ("gaseosa 400cc", "400", "ml", 1),
    ("gaseosa 400 ML", "400", "ml", 1),
    ("detergente 1.500 g", "1.5", "kg", 1),  # a thousands separator
    ("huevos 30 unidades", "30", "und", 1),
    ("huevos 12 und", "12", "und", 1),
    ("huevos 12 unid", "12", "und", 1),
    ("caldo x8", "8", "und", 1),
    ("toallas x 3 und", "3", "und", 1),
    ("cerveza 330 ml x6", "330", "ml", 6),
    ("cerveza 330ml x 6", "330", "ml", 6),
    ("cerveza 6x330ml", "330", "ml", 6),
    ("cerveza 6 x 330 ml", "330", "ml", 6),
    ("pack 6 cerveza 330 ml", "330", "ml", 6),
    ("cerveza pack x 6 330 ml", "330", "ml", 6),
    ("galletas 12 und 300 g", "300", "g", 12),
    ("leche 6x1 L", "1", "L", 6),
]


@pytest.mark.parametrize(("text", "size", "unit", "pack"), CASES)
def test_unit_grammar(text: str, size: str, unit: str, pack: int) -> None:
    measure = parse_measure(fold(text))
    assert measure.size is not None
    assert (measure.size.amount, measure.size.unit, measure.pack) == (Decimal(size), unit, pack)
    assert isinstance(measure.size.amount, Decimal)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1,5 L", "1500 ml"),
        ("1.5 L", "1,5 lt"),
        ("1000 g", "1 kg"),
        ("0,5 kilo", "500 grs"),
        ("400cc", "400 ml"),
        ("x6", "6 unidades"),
    ],
)
def test_one_quantity_written_two_ways_has_one_signature(a: str, b: str) -> None:
    assert parse_measure(fold(a)).signature() == parse_measure(fold(b)).signature()


@pytest.mark.parametrize(
    ("a", "b"),
    [("500 g", "1 kg"), ("330 ml", "330 ml x6"), ("1 L", "1 kg"), ("6 und", "12 und")],
)
def test_different_quantities_have_different_signatures(a: str, b: str) -> None:
    assert parse_measure(fold(a)).signature() != parse_measure(fold(b)).signature()


def test_no_size_and_zero_size() -> None:
    assert parse_measure(fold("Arroz Diana Blanco")).size is None
    zero = parse_measure(fold("huevos 0 und"))
    assert zero.size is None
    assert zero.notes


def test_a_number_glued_to_a_word_is_not_a_size() -> None:
    measure = parse_measure(fold("Galletas Mix1 65 g"))
    assert measure.size is not None
    assert measure.size.amount == Decimal(65)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [("1,5", "l", "1.5"), ("1.5", "kg", "1.5"), ("1.500", "g", "1500"), ("0.500", "kg", "0.5")],
)
def test_decimal_commas_and_thousands(text: str, unit: str, value: str) -> None:
    assert parse_number(text, unit) == Decimal(value)


def test_measures_are_written_canonically() -> None:
    measure = parse_measure(fold("6x330ml"))
    assert format_measure(measure.size, measure.pack) == "330 ml x6"
    measure = parse_measure(fold("1500 ml"))
    assert format_measure(measure.size, measure.pack) == "1.5 L"
