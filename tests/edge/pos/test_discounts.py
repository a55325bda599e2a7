"""Issue 12 items 9 and 12: discounts per line (amount or percentage) and on the whole ticket,
spread over the lines so each line's net and tax stay exact; a manager above the policy's
limit; the customer on the sale. All of it in the queued op, which the op contract parses."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocky.core.errors import FieldError, ForbiddenError
from stocky.core.ops import TransactionDocument
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import included_tax_cents, load_sale, record_sale, spread_cents
from stocky.edge.store.timestamps import utc_now
from tests.edge.factories import Caja
from tests.edge.shifts.money import open_, set_policy


def sell(caja: Caja, body: dict[str, Any], approved_by: str | None = None) -> Any:
    cmd = SaleCreate.model_validate(body)
    return caja.store.write(
        lambda c: record_sale(
            c, cmd, user_id=caja.cashier["id"], now=utc_now(), approved_by=approved_by
        )
    )


def queued(caja: Caja, sale_id: str) -> TransactionDocument:
    row = caja.store.read(
        lambda c: c.execute("SELECT payload FROM sync_queue WHERE entity_id = ?", (sale_id,))
    ).fetchone()
    return TransactionDocument.model_validate(json.loads(row[0]))


def _two_lines(caja: Caja, **extra: Any) -> dict[str, Any]:
    unit, weight = caja.products[0], caja.products[1]
    return {
        "lines": [
            {"product_id": unit["id"], "quantity": "3", **extra.pop("line0", {})},
            {"product_id": weight["id"], "quantity": "0.375"},
        ],
        "payments": extra.pop("payments", [{"method": "cash", "amount": "100"}]),
        **extra,
    }


class TestLineDiscounts:
    def test_percent_of_the_line_rounds_half_up(self, caja: Caja) -> None:
        # 3 x 10.00 = 30.00; 12.5 % = 3.75; 0.375 kg x 25.50 = 9.56
        sale = sell(caja, _two_lines(caja, line0={"discount_percent": "12.5"}))
        assert [ln.discount for ln in sale.lines] == [Decimal("3.75"), Decimal("0.00")]
        assert sale.discount == Decimal("3.75")
        assert sale.total == Decimal("35.81")
        assert sale.tax == Decimal(included_tax_cents(2625, "0.19")) / 100

    def test_amount_and_percent_together_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not both"):
            SaleCreate.model_validate(
                {
                    "lines": [
                        {
                            "product_id": "x",
                            "quantity": "1",
                            "discount": "1",
                            "discount_percent": "5",
                        }
                    ]
                }
            )


class TestTicketDiscount:
    def test_an_amount_is_spread_so_lines_add_up_to_the_header(self, caja: Caja) -> None:
        sale = sell(caja, _two_lines(caja, line0={"discount": "1"}, discount="5.00"))
        # nets 29.00 and 9.56: 5.00 split 3.76 / 1.24 (largest remainder), plus the line's 1.00
        assert [ln.discount for ln in sale.lines] == [Decimal("4.76"), Decimal("1.24")]
        assert sale.discount == Decimal("6.00") == sum(ln.discount for ln in sale.lines)
        assert sale.total == sale.subtotal - sale.discount == Decimal("33.56")
        tax = included_tax_cents(3000 - 476, "0.19")
        assert sale.tax == Decimal(tax) / 100
        assert [(t.rate, t.base, t.tax) for t in sale.taxes] == [
            (Decimal("0"), Decimal("8.32"), Decimal("0.00")),
            (Decimal("0.19"), Decimal("25.24"), Decimal(tax) / 100),
        ]
        doc = queued(caja, sale.id)
        assert doc.sale is not None
        assert doc.sale.discount == Decimal("6.00")
        assert sorted(m.discount for m in doc.movements) == [Decimal("1.24"), Decimal("4.76")]

    def test_a_percentage_of_the_whole_ticket(self, caja: Caja) -> None:
        sale = sell(caja, _two_lines(caja, discount_percent="10"))
        # 10 % of 39.56 = 3.956 -> 3.96
        assert sale.discount == Decimal("3.96")
        assert sale.total == Decimal("35.60")

    def test_more_than_the_sale_is_refused(self, caja: Caja) -> None:
        with pytest.raises(FieldError) as err:
            sell(caja, _two_lines(caja, discount="40.00"))
        assert err.value.field == "discount"

    def test_everything_discounted_needs_no_payment(self, caja: Caja) -> None:
        sale = sell(caja, _two_lines(caja, discount_percent="100", payments=[]))
        assert sale.total == Decimal("0.00")
        assert sale.tax == Decimal("0.00")


@given(
    amount=st.integers(0, 10**9),
    weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=30),
)
def test_spread_is_exact_and_never_above_a_weight(amount: int, weights: list[int]) -> None:
    amount = min(amount, sum(weights))
    shares = spread_cents(amount, weights)
    assert sum(shares) == amount
    assert all(0 <= s <= w for s, w in zip(shares, weights, strict=True))


class TestManagerApproval:
    def test_above_the_percent_limit_needs_a_manager(self, caja: Caja) -> None:
        set_policy(caja, discount_approval_above_percent="20")
        open_(caja)
        sell(caja, _two_lines(caja, discount_percent="20"))  # at the limit: fine
        with pytest.raises(ForbiddenError) as err:
            sell(caja, _two_lines(caja, discount_percent="25"))
        assert str(err.value).startswith("manager:")
        sale = sell(caja, _two_lines(caja, discount_percent="25"), approved_by=caja.manager["id"])
        assert sale.discount_approved_by == caja.manager["id"]
        doc = queued(caja, sale.id)
        assert doc.sale is not None
        assert str(doc.sale.discount_approved_by) == caja.manager["id"]

    def test_above_the_amount_limit_needs_a_manager(self, caja: Caja) -> None:
        set_policy(caja, discount_approval_above="5")
        open_(caja)
        with pytest.raises(ForbiddenError):
            sell(caja, _two_lines(caja, line0={"discount": "5.01"}))


class TestCustomer:
    def test_the_customer_is_kept_and_queued(self, caja: Caja) -> None:
        sale = sell(
            caja, _two_lines(caja, customer={"name": " Ana Gómez ", "tax_id": "900123456-7"})
        )
        assert (sale.customer_name, sale.customer_tax_id) == ("Ana Gómez", "900123456-7")
        doc = queued(caja, sale.id)
        assert doc.sale is not None
        assert doc.sale.customer is not None
        assert doc.sale.customer.name == "Ana Gómez"
        reread = caja.store.read(lambda c: load_sale(c, sale.id))
        assert reread.customer_tax_id == "900123456-7"
        assert [t.tax for t in reread.taxes] == [t.tax for t in sale.taxes]

    def test_no_customer_is_the_old_payload(self, caja: Caja) -> None:
        sale = sell(caja, _two_lines(caja))
        doc = queued(caja, sale.id)
        assert doc.sale is not None
        assert doc.sale.customer is None
        assert doc.sale.discount_approved_by is None

    def test_a_control_character_in_the_name_is_refused(self) -> None:
        with pytest.raises(ValueError, match="must not contain"):
            SaleCreate.model_validate(
                {"lines": [{"product_id": "x", "quantity": "1"}], "customer": {"name": "a\x00b"}}
            )
