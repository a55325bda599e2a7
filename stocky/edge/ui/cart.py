"""The sale being rung up, before it is recorded: lines, totals, and the payment it needs.

Totals use the pos service's own rounding (gross per line, tax included per line), so the
screen shows exactly what record_sale will store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from stocky.core.money import cents_to_money, money_to_cents, quantity_to_milli
from stocky.edge.pos.repository import gross_cents
from stocky.edge.pos.schemas import CustomerIn, ManagerLogin, PaymentIn, SaleCreate, SaleLineIn
from stocky.edge.pos.service import included_tax_cents, percent_cents, spread_cents
from stocky.edge.ui.repository import ProductHit

ONE = Decimal("1.000")


class CartError(ValueError):
    """A line edit the sale would refuse (the message names what is wrong)."""


@dataclass
class CartLine:
    product: ProductHit
    quantity: Decimal
    # The line's own discount: an amount, or (when `percent` is set) that percentage of the
    # gross, recomputed as the quantity changes.
    own_discount: Decimal = Decimal("0.00")
    percent: Decimal | None = None
    # The line's share of the ticket's discount (Cart.spread keeps it up to date).
    share_cents: int = 0

    @property
    def by_weight(self) -> bool:
        return self.product.unit != "unit"

    @property
    def gross_cents(self) -> int:
        return gross_cents(money_to_cents(self.product.price), quantity_to_milli(self.quantity))

    @property
    def own_cents(self) -> int:
        if self.percent is not None:
            return percent_cents(self.gross_cents, self.percent)
        return money_to_cents(self.own_discount)

    @property
    def discount(self) -> Decimal:
        """All of the line's discount: its own and its share of the ticket's."""
        return cents_to_money(self.own_cents + self.share_cents)

    @property
    def total(self) -> Decimal:
        return cents_to_money(self.gross_cents - self.own_cents - self.share_cents)


@dataclass
class Cart:
    lines: list[CartLine] = field(default_factory=list)
    ticket_amount: Decimal | None = None
    ticket_percent: Decimal | None = None

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
        if money_to_cents(line.own_discount) > line.gross_cents:
            line.own_discount = cents_to_money(line.gross_cents)

    @staticmethod
    def set_discount(line: CartLine, discount: Decimal, *, percent: bool = False) -> None:
        """The line's own discount, an amount or a percentage of its gross."""
        if percent:
            if not 0 <= discount <= 100:
                raise CartError("discount")
            line.percent = discount.quantize(Decimal("0.01"))
            line.own_discount = Decimal("0.00")
            return
        cents = money_to_cents(discount.quantize(Decimal("0.01")))
        if cents < 0 or cents > line.gross_cents:
            raise CartError("discount")
        line.own_discount, line.percent = cents_to_money(cents), None

    def set_ticket_discount(self, value: Decimal, *, percent: bool) -> None:
        """A discount on the whole sale, after the lines' own (0 removes it)."""
        value = value.quantize(Decimal("0.01"))
        net = sum(ln.gross_cents - ln.own_cents for ln in self.lines)
        if value < 0 or (percent and value > 100) or (not percent and money_to_cents(value) > net):
            raise CartError("discount")
        self.ticket_amount = None if percent or not value else value
        self.ticket_percent = value if percent and value else None
        self.spread()

    def spread(self) -> None:
        """Each line's share of the ticket's discount, as record_sale will compute it."""
        nets = [ln.gross_cents - ln.own_cents for ln in self.lines]
        if self.ticket_percent is not None:
            amount = percent_cents(sum(nets), self.ticket_percent)
        elif self.ticket_amount is not None:
            amount = min(money_to_cents(self.ticket_amount), sum(nets))
        else:
            amount = 0
        for line, share in zip(self.lines, spread_cents(amount, nets), strict=True):
            line.share_cents = share

    @property
    def ticket_discount(self) -> Decimal:
        return cents_to_money(sum(ln.share_cents for ln in self.lines))

    def remove(self, line: CartLine) -> None:
        self.lines.remove(line)

    def clear(self) -> None:
        self.lines.clear()
        self.ticket_amount = self.ticket_percent = None

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

    def sale(
        self,
        payments: dict[str, Decimal],
        customer: CustomerIn | None = None,
        manager: ManagerLogin | None = None,
    ) -> SaleCreate:
        """The command for record_sale; zero amounts are left out."""
        return SaleCreate(
            lines=[
                SaleLineIn(
                    product_id=ln.product.id,
                    quantity=ln.quantity,
                    discount=None
                    if ln.percent is not None or not ln.own_cents
                    else ln.own_discount,
                    discount_percent=ln.percent,
                )
                for ln in self.lines
            ],
            discount=self.ticket_amount,
            discount_percent=self.ticket_percent,
            customer=customer,
            manager=manager,
            payments=[
                PaymentIn.model_validate({"method": method, "amount": amount})
                for method, amount in payments.items()
                if amount > 0
            ],
        )
