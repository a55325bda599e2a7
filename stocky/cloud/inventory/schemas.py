"""Stock per sede in and out of the API. Quantities travel as JSON strings."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Qty = Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), decimal_places=3)]


class InventoryItem(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    unit: str
    active: bool
    quantity: Decimal
    min_stock: Decimal
    max_stock: Decimal | None
    low: bool
    negative: bool
    over_max: bool
    last_movement_at: datetime | None
    version: int | None


class InventoryPage(BaseModel):
    sede_id: uuid.UUID
    items: list[InventoryItem]
    next_cursor: str | None


class SedeStock(BaseModel):
    sede_id: uuid.UUID
    quantity: Decimal
    low: bool
    negative: bool


class ConsolidatedItem(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    unit: str
    total: Decimal
    # Only the sedes that hold a stock row for the product.
    sedes: list[SedeStock]


class ConsolidatedItems(BaseModel):
    """The cached part of a consolidated page."""

    items: list[ConsolidatedItem]
    next_cursor: str | None


class SedeName(BaseModel):
    id: uuid.UUID
    name: str


class ConsolidatedPage(ConsolidatedItems):
    sedes: list[SedeName]


class ThresholdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_stock: Qty
    max_stock: Qty | None = None

    @model_validator(mode="after")
    def _max_above_min(self) -> ThresholdsIn:
        if self.max_stock is not None and self.max_stock < self.min_stock:
            raise ValueError("max_stock must be at least min_stock")
        return self


class OpeningLine(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    product_id: uuid.UUID | None = None
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    quantity: Annotated[Decimal, Field(gt=0, lt=Decimal("1e12"), decimal_places=3)]
    unit_cost: Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), decimal_places=2)] | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> OpeningLine:
        if (self.product_id is None) == (self.sku is None):
            raise ValueError("give exactly one of product_id or sku")
        return self


class OpeningStockIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lines: list[OpeningLine] = Field(min_length=1, max_length=20_000)
    note: str | None = Field(default=None, max_length=500)


class OpeningError(BaseModel):
    line: int
    field: str
    message: str


class OpeningReport(BaseModel):
    sede_id: uuid.UUID
    document_id: uuid.UUID | None
    dry_run: bool
    applied: int
    errors: list[OpeningError]
