"""Products in and out of the API. Money travels as JSON strings, never floats."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Unit = Literal["unit", "weight"]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
Barcode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z\-._]+$")]
Price = Annotated[Decimal, Field(ge=0, lt=Decimal("1e12"), decimal_places=2)]
TaxRate = Annotated[Decimal, Field(ge=0, lt=1, decimal_places=4)]
MAX_EXTRA_BARCODES = 20


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("barcodes", check_fields=False)
    @classmethod
    def _unique_barcodes(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("the same barcode appears twice")
        return value


class ProductCreate(_In):
    sku: Sku
    name: str = Field(min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=120)
    barcode: Barcode | None = None
    barcodes: list[Barcode] = Field(default_factory=list, max_length=MAX_EXTRA_BARCODES)
    price: Price
    cost: Price = Decimal("0")
    tax_rate: TaxRate = Decimal("0")
    unit: Unit = "unit"
    active: bool = True
    image_url: str | None = Field(default=None, max_length=2000)


# Columns that may not be set to null by an update.
REQUIRED_ON_UPDATE = ("sku", "name", "price", "cost", "tax_rate", "unit", "active", "barcodes")


class ProductUpdate(_In):
    """A partial edit; `version` is the version the client's copy was based on."""

    version: int = Field(ge=1)
    sku: Sku | None = None
    name: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=120)
    barcode: Barcode | None = None
    barcodes: list[Barcode] | None = Field(default=None, max_length=MAX_EXTRA_BARCODES)
    price: Price | None = None
    cost: Price | None = None
    tax_rate: TaxRate | None = None
    unit: Unit | None = None
    active: bool | None = None
    image_url: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _no_null_required(self) -> ProductUpdate:
        for name in REQUIRED_ON_UPDATE:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set if k != "version"}


class ProductOut(BaseModel):
    id: uuid.UUID
    sku: str
    name: str
    category: str | None
    barcode: str | None
    barcodes: list[str]
    price: Decimal
    cost: Decimal
    tax_rate: Decimal
    unit: str
    active: bool
    # An uploaded image's URL (signed or presigned, it expires: reload the row for a fresh
    # one); else the image_url set by an edit or an import; else null.
    image_url: str | None
    # Where the uploaded image is stored: the router turns it into image_url. Not sent.
    image_key: str | None = Field(default=None, exclude=True)
    version: int
    last_modified_at: datetime
    last_modified_by: uuid.UUID | None
    created_at: datetime


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None


class ImportRowError(BaseModel):
    line: int
    field: str
    message: str


class ImportReport(BaseModel):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportRowError]
    warnings: list[str]
    ignored_columns: list[str]
    elapsed_ms: int
