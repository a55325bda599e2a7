"""Request and response bodies for stock operations, and the exact decimal field types.

Money and quantities are Decimal: JSON numbers or strings in, strings out, never floats.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stocky.core.values import (
    Line,
    NonNegativeMoney,
    NonNegativeQuantity,
    PositiveQuantity,
    Quantity,
    Text,
)

# The same field types as the op payloads the cloud parses (stocky.core.values), so a value
# the cloud could not store is refused here, at the request, with its field named.
Id = Annotated[Line, Field(min_length=1, max_length=64)]
Barcode = Annotated[Line, Field(min_length=1, max_length=64)]
Note = Annotated[Text, Field(max_length=500)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductRef(Strict):
    """A line names its product by id or by a barcode the scanner read: exactly one."""

    product_id: Id | None = None
    barcode: Barcode | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> ProductRef:
        if (self.product_id is None) == (self.barcode is None):
            raise ValueError("give exactly one of product_id or barcode")
        return self


class EntryLine(ProductRef):
    quantity: PositiveQuantity
    unit_cost: NonNegativeMoney


class EntryCreate(Strict):
    lines: list[EntryLine] = Field(min_length=1, max_length=500)
    supplier: Annotated[Text, Field(max_length=200)] | None = None
    note: Note | None = None


class AdjustmentLine(ProductRef):
    counted: NonNegativeQuantity
    # What the caja showed when the person counted; the delta is against this, so a sale
    # recorded during the count is not overwritten. Omitted: the quantity shown now.
    expected: Quantity | None = None


class AdjustmentCreate(Strict):
    lines: list[AdjustmentLine] = Field(min_length=1, max_length=500)
    note: Note | None = None


class ThresholdsIn(Strict):
    """`min_stock`/`max_stock`, the cloud's words. `min`/`max` (this API's first spelling) stay
    accepted because released UIs and scripts send them; a refusal names the key sent."""

    min_stock: NonNegativeQuantity = Field(
        validation_alias=AliasChoices("min_stock", "min"),
        description="Low stock is quantity <= min_stock. Also accepted as `min` (deprecated).",
    )
    max_stock: NonNegativeQuantity | None = Field(
        default=None,
        validation_alias=AliasChoices("max_stock", "max"),
        description="Optional ceiling. Also accepted as `max` (deprecated).",
    )

    @field_validator("max_stock")
    @classmethod
    def _not_below_min(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        low = info.data.get("min_stock")
        if value is not None and low is not None and value < low:
            raise ValueError("must be greater than or equal to min_stock")
        return value


class MovementOut(BaseModel):
    id: str
    type: str
    product_id: str
    quantity: Decimal
    unit_price: Decimal
    unit_cost: Decimal | None
    discount: Decimal
    product_version: int | None
    sale_id: str | None
    ref_id: str | None
    note: str | None


class DocumentOut(BaseModel):
    """An entry or an adjustment: one document, its movements, its queued op."""

    id: str
    type: Literal["entry", "adjustment"]
    client_ts: str
    user_id: str
    op_id: str
    movements: list[MovementOut]


class ThresholdsOut(BaseModel):
    product_id: str
    min_stock: Decimal
    max_stock: Decimal | None
    op_id: str


class InventoryItem(BaseModel):
    product_id: str
    sku: str
    name: str
    barcode: str | None
    unit: str
    quantity: Decimal
    min_stock: Decimal
    max_stock: Decimal | None
    low: bool
    negative: bool


class InventoryPage(BaseModel):
    items: list[InventoryItem]
    total: int
    limit: int
    offset: int
