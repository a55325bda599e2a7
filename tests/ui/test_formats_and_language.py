"""Amounts, quantities and dates as a person reads them; both languages complete."""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocky.ui import i18n
from stocky.ui.formats import (
    format_age,
    format_datetime,
    format_money,
    format_number,
    format_quantity,
    parse_decimal,
)
from stocky.ui.text_en import EN
from stocky.ui.text_es import ES


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_english_translates_every_spanish_text_with_the_same_placeholders() -> None:
    spanish, english = ES, EN
    shared = {"app.name"}  # the brand reads the same in both
    missing = set(spanish) - set(english) - shared
    assert missing == set(), "Spanish text would leak into the English UI"
    assert set(english) - set(spanish) == set(), "English keys with no Spanish text"
    for key in set(spanish) - shared:
        assert _placeholders(spanish[key]) == _placeholders(english[key]), key


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language must be one of"):
        i18n.set_language("fr")


@pytest.mark.parametrize(
    ("value", "currency", "locale", "shown"),
    [
        (Decimal("12500"), "COP", "es-CO", "$ 12.500"),
        (Decimal("1234567.5"), "COP", "es-CO", "$ 1.234.568"),
        (Decimal("1234.5"), "USD", "en-US", "US$ 1,234.50"),
        (Decimal("-0.004"), "USD", "en-US", "US$ 0.00"),
        (Decimal("-3.5"), "EUR", "es-ES", "-€ 3,50"),
    ],
)
def test_money(value: Decimal, currency: str, locale: str, shown: str) -> None:
    assert format_money(value, currency, locale) == shown


def test_quantities_by_unit_and_by_weight() -> None:
    assert format_quantity(Decimal("3"), "unit") == "3"
    assert format_quantity(Decimal("0.750"), "weight") == "0,75"
    assert format_quantity(Decimal("1250.5"), "weight", "en-US") == "1,250.5"


@pytest.mark.parametrize(
    ("typed", "locale", "value"),
    [
        ("1.250,5", "es-CO", Decimal("1250.5")),
        ("0,75", "es-CO", Decimal("0.75")),
        ("0.75", "es-CO", Decimal("0.75")),  # a lone dot that groups no thousands
        ("0.125", "es-CO", Decimal("0.125")),  # nor after a zero: a fraction of a kilo
        ("0,125", "en-US", Decimal("0.125")),
        ("-0.500", "es-CO", Decimal("-0.5")),
        ("12.500", "es-CO", Decimal("12500")),
        ("$ 50.000", "es-CO", Decimal("50000")),
        ("1,250.5", "en-US", Decimal("1250.5")),
    ],
)
def test_parse_what_a_person_typed(typed: str, locale: str, value: Decimal) -> None:
    assert parse_decimal(typed, locale) == value


@pytest.mark.parametrize("typed", ["", "   ", "abc", "NaN", "Infinity", "1,2,3"])
def test_parse_refuses_what_is_not_a_number(typed: str) -> None:
    # A sentence a cashier reads, never "empty" or "not a number: abc".
    with pytest.raises(ValueError, match=r"^Escriba un número, por ejemplo 1\.500 o 2,5$"):
        parse_decimal(typed, "es-CO")


def test_a_zero_group_is_no_thousand() -> None:
    with pytest.raises(ValueError, match="Escriba un número"):
        parse_decimal("0.125.000", "es-CO")


def test_a_refused_number_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"^Falta el número en «Recibido»$"):
        parse_decimal("", "es-CO", field="Recibido")
    with pytest.raises(ValueError, match=r"^«Cantidad» debe ser un número, por ejemplo"):
        parse_decimal("1.23.4", "es-CO", field="Cantidad")


@pytest.mark.parametrize(
    ("lang", "typed", "value"),
    [
        ("en", "20,000", Decimal(20000)),
        ("en", "1,250.5", Decimal("1250.5")),
        ("es", "20.000", Decimal(20000)),
        ("es", "1,5", Decimal("1.5")),
    ],
)
def test_numbers_follow_the_language_the_browser_chose(
    lang: str, typed: str, value: Decimal
) -> None:
    """A Colombian sede (es-CO) whose cashier switched to English types 20,000."""
    i18n.set_session_resolver(lambda: lang)
    try:
        assert parse_decimal(typed, "es-CO") == value
        assert format_money(value, "COP", "es-CO") == (
            "$ 20,000"
            if (lang, value) == ("en", 20000)
            else format_money(value, "COP", f"{lang}-CO")
        )
    finally:
        i18n.set_session_resolver(None)
    assert parse_decimal("20.000", "es-CO") == Decimal(20000)


@given(
    value=st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2),
    locale=st.sampled_from(["es-CO", "en-US"]),
)
def test_a_formatted_amount_parses_back(value: Decimal, locale: str) -> None:
    assert parse_decimal(format_number(value, 2, locale), locale) == value


def test_dates_in_the_cajas_time_zone_and_ages() -> None:
    assert format_datetime("2026-11-29T14:05:00+00:00", "America/Bogota") == "29/11/2026 09:05"
    assert format_datetime(None, "America/Bogota") == "—"
    assert [format_age(s) for s in (None, 45, 180, 7200, 4 * 86400)] == [
        "—",
        "45 s",
        "3 min",
        "2 h",
        "4 d",
    ]
