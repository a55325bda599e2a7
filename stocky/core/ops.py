"""Every kind of operation a caja pushes, as ONE typed payload model each.

The caja builds an op's payload through these models before it queues the op (so it never
confirms an op the cloud would refuse for its shape or values), and the cloud parses every
pushed payload with the same models before it touches the database. What only the cloud can
judge (a stale product edit, a return of a sale it does not hold yet, an unknown product) is
decided when the op applies; see docs/sync-ops.md.

Payloads ignore keys they do not know, so a newer caja may send more than an older cloud
reads; what they do read is checked strictly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stocky.core.receipts import ReceiptPrefix
from stocky.core.sync import OpKind
from stocky.core.values import (
    Line,
    Money,
    NonNegativeMoney,
    NonNegativeQuantity,
    PositiveInt32,
    PositiveMoney,
    PositiveQuantity,
    Quantity,
    Text,
    Timestamp,
    Version,
    check_json,
)

MovementType = Literal["sale", "return", "entry", "adjustment", "transfer_out", "transfer_in"]
PaymentMethod = Literal["cash", "card", "transfer"]
DocumentType = Literal["sale", "return", "entry", "adjustment"]
MOVEMENT_TYPES: tuple[str, ...] = MovementType.__args__  # type: ignore[attr-defined]
PAYMENT_METHODS: tuple[str, ...] = PaymentMethod.__args__  # type: ignore[attr-defined]
# The sign of each movement's quantity. A count (adjustment) may go either way or be 0: a
# counted line that matches the shelf is a record of the count, not a change of stock.
SIGNS: dict[str, int] = {
    "sale": -1,
    "return": 1,
    "entry": 1,
    "transfer_out": -1,
    "transfer_in": 1,
    "adjustment": 0,
}
MAX_MOVEMENTS = 1000
MAX_PAYMENTS = 20


def _tax_rate(value: Decimal) -> Decimal:
    if not 0 <= value < 1 or value != value.quantize(Decimal("0.0001")):
        raise ValueError("must be a fraction from 0 up to 1, with at most 4 decimal places")
    return value


TaxRate = Annotated[Decimal, AfterValidator(_tax_rate)]


class OpPayload(BaseModel):
    """A payload of one op kind; KIND names it."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    KIND: ClassVar[OpKind]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


def sign_problem(movement_type: str, qty: Decimal) -> str | None:
    """Why a movement of this type cannot carry this quantity, or None."""
    sign = SIGNS.get(movement_type)
    if sign is None:
        return f"{movement_type!r} is not a movement type"
    if sign and (qty == 0 or (qty > 0) != (sign > 0)):
        return f"must be {'positive' if sign > 0 else 'negative'} for a {movement_type} movement"
    return None


def whole_units_problem(unit: str, qty: Decimal) -> str | None:
    """Why a product sold by unit cannot move this quantity (a fraction), or None."""
    if unit == "unit" and qty != qty.to_integral_value():
        return "the product is sold by unit: give a whole number"
    return None


class MovementPayload(_Part):
    id: uuid.UUID
    product_id: uuid.UUID
    type: MovementType
    quantity: Quantity
    unit_price: NonNegativeMoney | None = None
    unit_cost: NonNegativeMoney | None = None
    # A sale line's discount is >= 0; a returned line's is round(price x qty) - refund,
    # which the cumulative pro-rata refund makes -0.01 now and then (docs/sync-ops.md).
    discount: Money = Decimal("0")
    product_version: Version | None = None
    sale_id: uuid.UUID | None = None
    ref_id: uuid.UUID | None = None
    note: Annotated[Text, Field(max_length=500)] | None = None

    @field_validator("discount")
    @classmethod
    def _discount(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if value < 0 and info.data.get("type") != "return":
            raise ValueError("must not be negative")
        return value

    @field_validator("quantity")
    @classmethod
    def _signed(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        kind = info.data.get("type")
        problem = None if kind is None else sign_problem(kind, value)
        if problem:
            raise ValueError(problem)
        return value


class PaymentPayload(_Part):
    id: uuid.UUID
    method: PaymentMethod
    amount: PositiveMoney


class CustomerPayload(_Part):
    """Who bought, when the customer asked for it on the receipt (name and NIT/CC)."""

    name: Annotated[Line, Field(min_length=1, max_length=200)]
    tax_id: Annotated[Line, Field(min_length=1, max_length=40)] | None = None
    # The customer synced from the cloud that was picked (absent when typed, and in older
    # payloads); the cloud keeps it on the sale.
    id: uuid.UUID | None = None


class SaleHeader(_Part):
    id: uuid.UUID
    number: PositiveInt32
    # The caja's prefix the receipt was printed with (C01-000042); absent in payloads from
    # cajas that had none yet (stocky.core.receipts).
    receipt_prefix: ReceiptPrefix | None = None
    subtotal: NonNegativeMoney
    discount: NonNegativeMoney
    tax: NonNegativeMoney
    total: NonNegativeMoney
    paid: NonNegativeMoney
    change: NonNegativeMoney
    # Empty only for a sale whose total is 0 (everything discounted): nothing was paid.
    payments: list[PaymentPayload] = Field(default_factory=list, max_length=MAX_PAYMENTS)
    # Optional (absent in older payloads): the customer on the receipt, and the manager who
    # approved a discount above the caja policy's limit.
    customer: CustomerPayload | None = None
    discount_approved_by: uuid.UUID | None = None

    @model_validator(mode="after")
    def _adds_up(self) -> SaleHeader:
        if self.total != self.subtotal - self.discount:
            raise ValueError("total must be subtotal - discount")
        if self.paid != sum((p.amount for p in self.payments), Decimal("0")):
            raise ValueError("paid must be the sum of the payments")
        if self.paid < self.total:
            raise ValueError("paid must cover the total")
        if self.change != self.paid - self.total:
            raise ValueError("change must be paid - total")
        if self.total > 0 and not self.payments:
            raise ValueError("a sale with a total above 0 needs a payment")
        if sum((p.amount for p in self.payments if p.method != "cash"), Decimal("0")) > self.total:
            raise ValueError("card and transfer payments cannot exceed the total")
        return self


class RefundPayload(_Part):
    method: PaymentMethod
    amount: PositiveMoney


class ReturnHeader(_Part):
    sale_id: uuid.UUID
    refund_total: NonNegativeMoney
    # The method of the largest refund; `refunds` splits it when the sale was paid mixed.
    refund_method: PaymentMethod
    refunds: list[RefundPayload] = Field(default_factory=list, max_length=3)
    reason: Annotated[Text, Field(max_length=500)] | None = None
    # The manager who approved a return above the threshold or of a whole ticket.
    approved_by: uuid.UUID | None = None
    # The shift whose drawer paid the refunds; None when none was open (the next shift the
    # caja opens adopts the return). Absent in older payloads, whose document shift_id says
    # the same.
    shift_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _refunds_add_up(self) -> ReturnHeader:
        if self.refunds:
            if sum((r.amount for r in self.refunds), Decimal("0")) != self.refund_total:
                raise ValueError("refunds must add up to refund_total")
            if len({r.method for r in self.refunds}) != len(self.refunds):
                raise ValueError("one refund per method")
        return self


class TransactionDocument(OpPayload):
    """`transaction.create`: one stock document (sale, return, entry, count) and its
    movements, applied whole or not at all."""

    KIND: ClassVar[OpKind] = "transaction.create"
    type: DocumentType
    document_id: uuid.UUID
    sale: SaleHeader | None = Field(default=None, validate_default=True)
    # `return` is a keyword: the field is `return_` in Python and `return` on the wire.
    return_: ReturnHeader | None = Field(default=None, alias="return")
    movements: list[MovementPayload] = Field(min_length=1, max_length=MAX_MOVEMENTS)
    user_id: uuid.UUID | None = None
    shift_id: uuid.UUID | None = None
    client_ts: Timestamp
    # An entry's supplier, a document's note (each movement carries the note too).
    supplier: Annotated[Text, Field(max_length=200)] | None = None
    note: Annotated[Text, Field(max_length=500)] | None = None

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @field_validator("sale")
    @classmethod
    def _header(cls, value: SaleHeader | None, info: ValidationInfo) -> SaleHeader | None:
        kind = info.data.get("type")
        if kind == "sale" and value is None:
            raise ValueError("a sale document needs its sale header")
        if kind not in (None, "sale") and value is not None:
            raise ValueError(f"a {kind} document has no sale header")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TransactionDocument:
        if any(m.type != self.type for m in self.movements):
            raise ValueError(f"every movement of a {self.type} document must be a {self.type}")
        if len({m.id for m in self.movements}) != len(self.movements):
            raise ValueError("movement ids must be distinct")
        if self.sale is not None and any(m.sale_id != self.sale.id for m in self.movements):
            raise ValueError("every movement of a sale must name the sale")
        if self.type == "return":
            if any(m.sale_id is None or m.ref_id is None for m in self.movements):
                raise ValueError("every returned movement must name its sale and sale line")
            sale_ids = {m.sale_id for m in self.movements}
            if len(sale_ids) != 1 or (
                self.return_ is not None and self.return_.sale_id not in sale_ids
            ):
                raise ValueError("a return document returns lines of one sale")
        return self

    @property
    def returned_sale_id(self) -> uuid.UUID | None:
        return self.movements[0].sale_id if self.type == "return" else None


class ThresholdsPayload(OpPayload):
    KIND: ClassVar[OpKind] = "inventory.thresholds"
    product_id: uuid.UUID
    min: NonNegativeQuantity
    max: NonNegativeQuantity | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsPayload:
        if self.max is not None and self.max < self.min:
            raise ValueError("max must not be below min")
        return self


# How many sales (and returns) made with no shift open one shift.open may take in; a caja
# with more left over adopts the rest at its next open.
MAX_ADOPTED = 5000


class ShiftOpenPayload(OpPayload):
    """`shift.open`. Every sale belongs to exactly one shift: the sales and returns this caja
    made while no shift was open (a card sale under the "cash" policy) are adopted by the
    shift it opens next, named here so the cloud gives them the same shift, whenever they
    land. Absent (empty) in payloads of older cajas."""

    KIND: ClassVar[OpKind] = "shift.open"
    id: uuid.UUID
    user_id: uuid.UUID
    opened_at: Timestamp
    opening_float: NonNegativeMoney
    adopted_sales: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_ADOPTED)
    adopted_returns: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_ADOPTED)

    @field_validator("adopted_sales", "adopted_returns")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("must not repeat an id")
        return value


# A receipt number as printed: C01-000042, or a bare 42 from a caja with no prefix yet.
ReceiptNumber = Annotated[
    str, Field(pattern=r"^([A-Z0-9]{1,8}-[0-9]{1,10}|[0-9]{1,10})$", max_length=20)
]


class ZReportPayload(_Part):
    """The figures the cloud stores in columns; the rest of the report travels as is."""

    model_config = ConfigDict(extra="allow", frozen=True)
    closed_at: Timestamp | None = None
    counted_cash: NonNegativeMoney | None = None
    expected_cash: Money | None = None
    # The shift's first and last receipts, and how many of its sales (returns) were made
    # before it opened and adopted by it; absent in older reports.
    first_receipt: ReceiptNumber | None = None
    last_receipt: ReceiptNumber | None = None
    adopted_sales: Annotated[int, Field(ge=0, le=MAX_ADOPTED)] | None = None
    adopted_returns: Annotated[int, Field(ge=0, le=MAX_ADOPTED)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _json_safe(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            check_json(dict(data))
        return data


class ShiftClosePayload(OpPayload):
    KIND: ClassVar[OpKind] = "shift.close"
    id: uuid.UUID
    closed_by: uuid.UUID | None = None
    note: Annotated[Text, Field(max_length=500)] | None = None
    z_report: ZReportPayload


CashMovementType = Literal["in", "out"]


class CashMovementPayload(OpPayload):
    """`cash.movement`: cash put into (in) or taken out of (out) the drawer during a shift."""

    KIND: ClassVar[OpKind] = "cash.movement"
    id: uuid.UUID
    shift_id: uuid.UUID
    type: CashMovementType
    amount: PositiveMoney
    reason: Annotated[Text, Field(min_length=1, max_length=200)]
    user_id: uuid.UUID
    client_ts: Timestamp

    @field_validator("reason")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a cash movement needs a reason")
        return value


class ProductPayload(OpPayload):
    KIND: ClassVar[OpKind] = "product.upsert"
    id: uuid.UUID
    sku: Annotated[Line, Field(min_length=1, max_length=64)]
    name: Annotated[Line, Field(min_length=1, max_length=300)]
    category: Annotated[Line, Field(max_length=120)] | None = None
    barcode: Annotated[Line, Field(min_length=1, max_length=64)] | None = None
    price: NonNegativeMoney
    cost: NonNegativeMoney = Decimal("0")
    tax_rate: TaxRate = Decimal("0")
    unit: Literal["unit", "weight"] = "unit"
    active: bool = True


class VoidedLinePayload(_Part):
    product_id: uuid.UUID
    quantity: PositiveQuantity
    unit_price: NonNegativeMoney
    discount: NonNegativeMoney = Decimal("0")
    product_version: Version | None = None


class SaleVoidPayload(OpPayload):
    """`sale.void`: a sale cancelled at the counter before payment, kept for the audit."""

    KIND: ClassVar[OpKind] = "sale.void"
    id: uuid.UUID
    user_id: uuid.UUID
    shift_id: uuid.UUID | None = None
    voided_at: Timestamp
    total: NonNegativeMoney
    reason: Annotated[Text, Field(max_length=500)] | None = None
    lines: Annotated[list[VoidedLinePayload], Field(min_length=1, max_length=MAX_MOVEMENTS)]


PAYLOADS: dict[str, type[OpPayload]] = {
    model.KIND: model
    for model in (
        TransactionDocument,
        ThresholdsPayload,
        ShiftOpenPayload,
        ShiftClosePayload,
        ProductPayload,
        CashMovementPayload,
        SaleVoidPayload,
    )
}


class OpPayloadError(ValueError):
    """A payload that does not fit its kind's model; `field` is its path in the payload."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def first_error(exc: ValidationError, prefix: str) -> OpPayloadError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return OpPayloadError(f"{prefix}.{where}" if where else prefix, message)


def parse_payload(kind: str, payload: Any) -> OpPayload:
    """The payload as its kind's model, or OpPayloadError naming the first bad field.

    The whole payload, keys this version ignores included, must be JSON that PostgreSQL can
    store (no NUL anywhere), since the cloud keeps every op's payload as it came.
    """
    model = PAYLOADS.get(kind)
    if model is None:
        raise OpPayloadError("kind", f"{kind!r} is not an operation kind")
    try:
        check_json(payload)
    except ValueError as exc:
        raise OpPayloadError("payload", str(exc)) from exc
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise first_error(exc, "payload") from exc


def payload_json(payload: OpPayload) -> dict[str, Any]:
    """The payload as it travels: decimal strings, ISO times, wire names."""
    return payload.model_dump(mode="json", by_alias=True, exclude_none=False)
