"""Request and response bodies for sales and returns. Money and quantities are Decimal."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, computed_field, model_validator

from stocky.core.receipts import format_receipt
from stocky.core.values import NonNegativeMoney, PositiveMoney, PositiveQuantity
from stocky.edge.inventory.schemas import Id, Note, ProductRef, Strict

PaymentMethod = Literal["cash", "card", "transfer"]


class SaleLineIn(ProductRef):
    quantity: PositiveQuantity
    discount: NonNegativeMoney | None = None


class PaymentIn(Strict):
    method: PaymentMethod
    amount: PositiveMoney


class SaleCreate(Strict):
    lines: list[SaleLineIn] = Field(min_length=1, max_length=300)
    # Empty only when the total is zero (everything discounted).
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10)


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


class ManagerLogin(Strict):
    """A manager's credentials, typed at the caja to approve one operation."""

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


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
