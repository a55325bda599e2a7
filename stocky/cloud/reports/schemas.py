"""What GET /api/reports answers: money as Decimal strings, days in the sede's time zone."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

GroupBy = Literal["sede", "caja", "cashier", "day", "hour", "product", "category", "payment_method"]
RankBy = Literal["net", "units"]


class ReportRow(BaseModel):
    """One group's sums. net = gross - discounts; margin = (net - returns) - (cost - the
    returned units' cost). A payment method's row: gross is what it took (less change),
    returns what it gave back, net the difference; it has no units, discounts or cost."""

    key: str | None = Field(description="The group: an id, a date, an hour 0-23, a method")
    label: str | None = Field(description="Its name, when it has one")
    units: Decimal | None
    gross: Decimal
    discounts: Decimal | None
    net: Decimal
    cost: Decimal | None
    margin: Decimal | None
    returned_units: Decimal | None
    returns: Decimal
    count: int = Field(
        description="Receipts; sale lines when grouped by product or category; payments "
        "when grouped by payment method"
    )


class SalesReport(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    group_by: GroupBy
    sede_id: uuid.UUID | None
    currency: str
    rows: list[ReportRow]
    totals: ReportRow


class TopProducts(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    by: RankBy
    sede_id: uuid.UUID | None
    currency: str
    rows: list[ReportRow]


class CoverRow(BaseModel):
    product_id: uuid.UUID
    sku: str
    name: str
    units_sold: Decimal = Field(description="Over the last `days` days, returns deducted")
    per_day: Decimal
    on_hand: Decimal
    days_of_cover: Decimal | None = Field(description="on_hand / per_day; null: none sold")


class CoverReport(BaseModel):
    sede_id: uuid.UUID | None
    days: int
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    rows: list[CoverRow]
