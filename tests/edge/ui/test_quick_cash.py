"""Quick cash buttons offer the round amounts a customer can hand over: never less than due."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from stocky.edge.ui.payment import quick_cash_amounts


def test_pesos_round_up_to_the_next_bills() -> None:
    assert quick_cash_amounts(Decimal("12500"), "COP") == [
        Decimal("13000"),
        Decimal("14000"),
        Decimal("15000"),
    ]


def test_an_exact_round_total_offers_only_larger_amounts() -> None:
    assert quick_cash_amounts(Decimal("20.00"), "USD") == [Decimal("50"), Decimal("100")]


@given(
    total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999"), places=2),
    currency=st.sampled_from(["COP", "USD", "EUR"]),
)
def test_every_amount_covers_the_total(total: Decimal, currency: str) -> None:
    amounts = quick_cash_amounts(total, currency)
    assert all(a > total for a in amounts)
    assert amounts == sorted(set(amounts))
    assert len(amounts) <= 3
