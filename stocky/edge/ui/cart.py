"""The sale being rung up, before it is recorded: lines, totals, and the payment it needs.

Totals use the pos service's own rounding (gross per line, tax included per line), so the
screen shows exactly what record_sale will store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from stocky.core.money import cents_to_money, money_to_cents, quantity_to_milli
from stocky.edge.pos.repository import gross_cents
from stocky.edge.pos.schemas import PaymentIn, SaleCreate, SaleLineIn
from stocky.edge.pos.service import included_tax_cents
from stocky.edge.ui.repository import ProductHit

ONE = Decimal("1.000")


class CartError(ValueError):
    """A line edit the sale would refuse (the message names what is wrong)."""


@dataclass
class CartLine:
    product: ProductHit
    quantity: Decimal
    discount: Decimal = Decimal("0.00")

    @property
    def by_weight(self) -> bool:
        return self.product.unit != "unit"

    @property
    def gross_cents(self) -> int:
        return gross_cents(money_to_cents(self.product.price), quantity_to_milli(self.quantity))

    @property
    def total(self) -> Decimal:
        return cents_to_money(self.gross_cents - money_to_cents(self.discount))


@dataclass
class Cart:
    lines: list[CartLine] = field(default_factory=list)

    def add(self, product: ProductHit, quantity: Decimal = ONE) -> CartLine:
        """A repeated scan adds to the product's line instead of a new one."""
        for line in self.lines:
            if line.product.id == product.id:
                self.set_quantity(line, line.quantity + quantity)
                return line
        line = CartLine(product, Decimal("0.000"))
        self.set_quantity(line, quantity)
        self.lines.append(line)
        return line

    @staticmethod
    def set_quantity(line: CartLine, quantity: Decimal) -> None:
        quantity = quantity.quantize(Decimal("0.001"))
        if quantity <= 0:
            raise CartError("quantity")
        if not line.by_weight and quantity != quantity.to_integral_value():
            raise CartError("quantity")
        line.quantity = quantity
        if money_to_cents(line.discount) > line.gross_cents:
            line.discount = cents_to_money(line.gross_cents)

    @staticmethod
    def set_discount(line: CartLine, discount: Decimal) -> None:
        cents = money_to_cents(discount.quantize(Decimal("0.01")))
        if cents < 0 or cents > line.gross_cents:
            raise CartError("discount")
        line.discount = cents_to_money(cents)

    def remove(self, line: CartLine) -> None:
        self.lines.remove(line)

    def clear(self) -> None:
        self.lines.clear()

    @property
    def count(self) -> Decimal:
        return sum((ln.quantity if not ln.by_weight else ONE for ln in self.lines), Decimal(0))

    @property
    def subtotal(self) -> Decimal:
        return cents_to_money(sum(ln.gross_cents for ln in self.lines))

    @property
    def discount(self) -> Decimal:
        return cents_to_money(sum(money_to_cents(ln.discount) for ln in self.lines))

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def tax(self) -> Decimal:
        return cents_to_money(
            sum(
                included_tax_cents(
                    ln.gross_cents - money_to_cents(ln.discount), str(ln.product.tax_rate)
                )
                for ln in self.lines
            )
        )

    def sale(self, payments: dict[str, Decimal]) -> SaleCreate:
        """The command for record_sale; zero amounts are left out."""
        return SaleCreate(
            lines=[
                SaleLineIn(
                    product_id=ln.product.id,
                    quantity=ln.quantity,
                    discount=ln.discount if ln.discount else None,
                )
                for ln in self.lines
            ],
            payments=[
                PaymentIn.model_validate({"method": method, "amount": amount})
                for method, amount in payments.items()
                if amount > 0
            ],
        )
