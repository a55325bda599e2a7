"""Request and response bodies for sales and returns. Money and quantities are Decimal."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from stocky.core.receipts import format_receipt
from stocky.core.values import Line, NonNegativeMoney, PositiveMoney, PositiveQuantity
from stocky.edge.inventory.schemas import Id, Note, ProductRef, Strict

PaymentMethod = Literal["cash", "card", "transfer"]


Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class SaleLineIn(ProductRef):
    quantity: PositiveQuantity
    # An amount off the line, or a percentage of its gross (one of them).
    discount: NonNegativeMoney | None = None
    discount_percent: Percent | None = None

    @model_validator(mode="after")
    def _one_discount(self) -> SaleLineIn:
        if self.discount is not None and self.discount_percent is not None:
            raise ValueError("give a discount or a discount_percent, not both")
        return self


class PaymentIn(Strict):
    method: PaymentMethod
    amount: PositiveMoney


class ManagerLogin(Strict):
    """A manager's approval of one operation, typed at the caja: their email with their
    password or with their approval PIN (which the caja's policy `approval` allows)."""

    email: str = Field(min_length=3, max_length=254)
    password: str | None = Field(default=None, min_length=1, max_length=200)
    pin: str | None = Field(default=None, pattern=r"^[0-9]{4,8}$")

    @model_validator(mode="after")
    def _one_secret(self) -> ManagerLogin:
        if (self.password is None) == (self.pin is None):
            raise ValueError("give the manager's password or PIN (one of them)")
        return self


class CustomerIn(Strict):
    """The customer printed on the receipt: a name, and a NIT or CC if they want it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Line = Field(min_length=1, max_length=200)
    tax_id: Line | None = Field(default=None, min_length=1, max_length=40)
    # The synced customer picked at payment (optional: a typed one has none).
    id: uuid.UUID | None = None


class SaleCreate(Strict):
    lines: list[SaleLineIn] = Field(min_length=1, max_length=300)
    # Empty only when the total is zero (everything discounted).
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10)
    # A discount on the whole ticket (after the lines' own), spread over the lines in
    # proportion to their net: an amount, or a percentage (one of them).
    discount: NonNegativeMoney | None = None
    discount_percent: Percent | None = None
    customer: CustomerIn | None = None
    # Needed when the discounts go above the caja policy's limit and the user is no manager.
    manager: ManagerLogin | None = None
    # The local API refuses a line above the policy's quantity_confirm_above unless this is
    # set (stocky.edge.pos.large_quantities): the caller has confirmed it, as a cashier does.
    confirm_large_quantities: bool = False

    @model_validator(mode="after")
    def _one_discount(self) -> SaleCreate:
        if self.discount is not None and self.discount_percent is not None:
            raise ValueError("give a discount or a discount_percent, not both")
        return self


class ReturnLineIn(Strict):
    """A sale line by its id, or a product of the sale (spread over its lines in order)."""

    line_id: Id | None = None
    product_id: Id | None = None
    quantity: PositiveQuantity

    @model_validator(mode="after")
    def _one_reference(self) -> ReturnLineIn:
        if (self.line_id is None) == (self.product_id is None):
            raise ValueError("give exactly one of line_id or product_id")
        return self


class ReturnCreate(Strict):
    sale_id: Id
    # Omitted: return everything of the sale not returned yet (a whole ticket, which needs a
    # manager unless the policy says otherwise). Empty: nothing chosen, a 422.
    lines: list[ReturnLineIn] | None = Field(default=None, max_length=300)
    # Omitted: the way the sale was paid (card and transfer first, cash only up to what was
    # paid in cash and not yet refunded).
    refund_method: PaymentMethod | None = None
    reason: Note | None = None
    manager: ManagerLogin | None = None


class SaleLineOut(BaseModel):
    id: str
    product_id: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    gross: Decimal
    discount: Decimal
    total: Decimal
    product_version: int | None
    returned_quantity: Decimal
    tax_rate: Decimal | None = None


class TaxByRate(BaseModel):
    """The tax included in the lines sold at one rate (a receipt's tax breakdown)."""

    rate: Decimal
    base: Decimal
    tax: Decimal


class PaymentOut(BaseModel):
    method: PaymentMethod
    amount: Decimal


class RefundOut(BaseModel):
    return_id: str
    method: PaymentMethod
    amount: Decimal


class SaleOut(BaseModel):
    id: str
    number: int
    # The caja's prefix when sold (C01), None before the caja had one: see `receipt`.
    receipt_prefix: str | None = None
    user_id: str
    shift_id: str | None
    client_ts: str
    status: str
    lines: list[SaleLineOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    paid: Decimal
    change: Decimal
    op_id: str | None = None
    customer_name: str | None = None
    customer_tax_id: str | None = None
    discount_approved_by: str | None = None
    taxes: list[TaxByRate] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def receipt(self) -> str:
        """The readable receipt number, unique in the tenant: C01-000042."""
        return format_receipt(self.receipt_prefix, self.number)


class ReturnLineOut(BaseModel):
    id: str
    line_id: str
    product_id: str
    quantity: Decimal
    refund: Decimal


class ReturnOut(BaseModel):
    id: str
    sale_id: str
    client_ts: str
    lines: list[ReturnLineOut]
    refund_total: Decimal
    refund_method: PaymentMethod
    refunds: list[PaymentOut] = Field(default_factory=list)
    reason: str | None
    approved_by: str | None = None
    shift_id: str | None = None
    op_id: str


class Totals(BaseModel):
    """Sales and returns over a period (a day, a shift)."""

    sales_count: int
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    payments: dict[str, Decimal]
    change: Decimal
    cash_in: Decimal
    returns_count: int
    refunds: dict[str, Decimal]
    refunds_total: Decimal
    net: Decimal
    # Net of each method: cash = cash payments - change - cash refunds; they sum to net.
    net_by_method: dict[str, Decimal] = Field(default_factory=dict)
    # Cash put into / taken out of the drawer (with a reason) during the period.
    paid_in: Decimal = Decimal("0.00")
    paid_out: Decimal = Decimal("0.00")


class DaySummary(Totals):
    date: str
    timezone: str
