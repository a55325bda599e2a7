"""GET /api/reports: sales by group, top products and days of cover, as JSON or CSV
(users only; owner and admin every sede or one, a manager its own, a cashier 403)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from stocky.cloud.auth.deps import CurrentUser, TenantSession
from stocky.cloud.reports import service
from stocky.cloud.reports.schemas import (
    CoverReport,
    CoverRow,
    GroupBy,
    RankBy,
    ReportRow,
    SalesReport,
    TopProducts,
)
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/reports", tags=["reports"])

From = Annotated[date | None, Query(alias="from", description="First local day (inclusive)")]
To = Annotated[date | None, Query(alias="to", description="Last local day (inclusive)")]
SedeId = Annotated[uuid.UUID | None, Query(description="Owner and admin: one sede only")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: a spreadsheet download")]
CsvLocale = Annotated[
    Literal["en", "es"] | None, Query(description="es: ';' between fields, decimal comma")
]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}
ROW_COLUMNS = list(ReportRow.model_fields)
COVER_COLUMNS = list(CoverRow.model_fields)


def _csv(rows: list[BaseModel], columns: list[str], locale: str | None, name: str) -> Response:
    return Response(
        content=service.to_csv(rows, columns, locale=locale),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/sales",
    summary="Sales by sede, caja, cashier, day, hour, product, category or payment method",
    response_model=SalesReport,
    responses={**error_responses(401, 403, 404, 422), **CSV},
)
async def sales(
    user: CurrentUser,
    session: TenantSession,
    start: From = None,
    end: To = None,
    group_by: GroupBy = "day",
    sede_id: SedeId = None,
    format: Format = "json",
    csv_locale: CsvLocale = None,
) -> SalesReport | Response:
    report = await service.sales_report(session, user, group_by, start, end, sede_id)
    if format == "csv":
        name = f"ventas-{group_by}-{report.date_from}-{report.date_to}"
        return _csv(list(report.rows), ROW_COLUMNS, csv_locale, name)
    return report


@router.get(
    "/top-products",
    summary="The products that sold most, by net amount or by units",
    response_model=TopProducts,
    responses={**error_responses(401, 403, 404, 422), **CSV},
)
async def top_products(
    user: CurrentUser,
    session: TenantSession,
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    by: RankBy = "net",
    sede_id: SedeId = None,
    format: Format = "json",
    csv_locale: CsvLocale = None,
) -> TopProducts | Response:
    report = await service.top_products(session, user, by, limit, start, end, sede_id)
    if format == "csv":
        name = f"top-productos-{report.date_from}-{report.date_to}"
        return _csv(list(report.rows), ROW_COLUMNS, csv_locale, name)
    return report


@router.get(
    "/cover",
    summary="Units sold per day over the last days against the stock on hand (days of cover)",
    response_model=CoverReport,
    responses={**error_responses(401, 403, 404, 422), **CSV},
)
async def cover(
    user: CurrentUser,
    session: TenantSession,
    sede_id: SedeId = None,
    days: Annotated[int, Query(ge=1, le=service.MAX_DAYS)] = 30,
    format: Format = "json",
    csv_locale: CsvLocale = None,
) -> CoverReport | Response:
    report = await service.cover(session, user, days, sede_id)
    if format == "csv":
        return _csv(list(report.rows), COVER_COLUMNS, csv_locale, f"cobertura-{report.date_to}")
    return report
