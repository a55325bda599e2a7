"""Reports over a range of days: checked parameters, the caller's scope, rows from the
rollups (never a scan of the sales), and the same rows as CSV.

Owners and admins see every sede or one; a manager only its own; a cashier none (403). Days
are the sede's local days (stocky.cloud.reports.rollups), inclusive at both ends.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as inventory_repo
from stocky.cloud.models.reports import NOBODY
from stocky.cloud.reports import repository as repo
from stocky.cloud.reports.rollups import zone_or_utc
from stocky.cloud.reports.schemas import (
    CoverReport,
    CoverRow,
    GroupBy,
    RankBy,
    ReportRow,
    SalesReport,
    TopProducts,
)
from stocky.core.errors import FieldError, ForbiddenError, NotFoundError

MAX_DAYS = 366
DEFAULT_DAYS = 30
ZERO = Decimal("0.00")


def _now() -> datetime:
    return datetime.now(UTC)  # apart, so tests can fix the clock


async def visible_sede(
    session: AsyncSession, user: Principal, sede_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The sede the report is held to (None: every sede)."""
    if not user.at_least("manager"):
        raise ForbiddenError("Reports are for owners, admins and managers.")
    if sede_id is not None and not await inventory_repo.sede_exists(
        session, user.tenant_id, sede_id
    ):
        raise NotFoundError("No such sede.", field="sede_id")
    if user.at_least("admin"):
        return sede_id
    if user.sede_id is None:
        raise ForbiddenError("A manager without a sede has no reports.")
    if sede_id is not None and sede_id != user.sede_id:
        raise ForbiddenError("Managers see only their own sede's reports.")
    return user.sede_id


async def _range(
    session: AsyncSession,
    user: Principal,
    start: date | None,
    end: date | None,
    sede_id: uuid.UUID | None,
) -> tuple[repo.Range, str]:
    """The checked range (default: the last 30 days to today, the tenant's today) and the
    tenant's currency."""
    currency, zone = await repo.tenant_currency_and_zone(session, user.tenant_id)
    if end is None:
        end = _now().astimezone(zone_or_utc(zone)).date()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise FieldError("from", f"must not be after to ({end.isoformat()})")
    if (end - start).days + 1 > MAX_DAYS:
        raise FieldError("to", f"the range spans more than {MAX_DAYS} days")
    scope = await visible_sede(session, user, sede_id)
    return repo.Range(user.tenant_id, start, end, scope), currency


def _row(s: repo.Sums) -> ReportRow:
    net = s.gross - s.discounts
    return ReportRow(
        # NOBODY: lines that came with no caja or cashier (their key is null).
        key=None if s.key is None or s.key == NOBODY else str(s.key),
        label=s.label,
        units=s.units,
        gross=s.gross,
        discounts=s.discounts,
        net=net,
        cost=s.cost,
        margin=(net - s.returned) - (s.cost - s.returned_cost),
        returned_units=s.returned_units,
        returns=s.returned,
        count=s.count,
    )


def _method_row(t: repo.Takings) -> ReportRow:
    return ReportRow(
        key=t.method,
        label=None,
        units=None,
        gross=t.amount,
        discounts=None,
        net=t.amount - t.refunded,
        cost=None,
        margin=None,
        returned_units=None,
        returns=t.refunded,
        count=t.payments,
    )


def _total(rows: list[ReportRow]) -> ReportRow:
    def add(name: str) -> Decimal | None:
        values = [getattr(r, name) for r in rows]
        if any(v is None for v in values):
            return None
        return sum(values, ZERO)

    return ReportRow(
        key=None,
        label=None,
        units=add("units"),
        gross=sum((r.gross for r in rows), ZERO),
        discounts=add("discounts"),
        net=sum((r.net for r in rows), ZERO),
        cost=add("cost"),
        margin=add("margin"),
        returned_units=add("returned_units"),
        returns=sum((r.returns for r in rows), ZERO),
        count=sum(r.count for r in rows),
    )


async def sales_report(
    session: AsyncSession,
    user: Principal,
    group_by: GroupBy,
    start: date | None,
    end: date | None,
    sede_id: uuid.UUID | None,
) -> SalesReport:
    r, currency = await _range(session, user, start, end, sede_id)
    if group_by == "payment_method":
        rows = [_method_row(t) for t in await repo.by_method(session, r)]
    elif group_by in ("product", "category"):
        sums = await repo.by_product(session, r, category=group_by == "category")
        rows = [_row(s) for s in sums]
    else:
        rows = [_row(s) for s in await repo.hourly(session, r, group_by)]
    return SalesReport(
        date_from=r.start,
        date_to=r.end,
        group_by=group_by,
        sede_id=r.sede_id,
        currency=currency,
        rows=rows,
        totals=_total(rows),
    )


async def top_products(
    session: AsyncSession,
    user: Principal,
    by: RankBy,
    limit: int,
    start: date | None,
    end: date | None,
    sede_id: uuid.UUID | None,
) -> TopProducts:
    r, currency = await _range(session, user, start, end, sede_id)
    sums = await repo.by_product(session, r, order=by, limit=limit)
    return TopProducts(
        date_from=r.start,
        date_to=r.end,
        by=by,
        sede_id=r.sede_id,
        currency=currency,
        rows=[_row(s) for s in sums],
    )


async def cover(
    session: AsyncSession, user: Principal, days: int, sede_id: uuid.UUID | None
) -> CoverReport:
    """Units sold per day over the last `days` days (to today) against the stock on hand."""
    r, _ = await _range(session, user, None, None, sede_id)
    r = repo.Range(r.tenant_id, r.end - timedelta(days=days - 1), r.end, r.sede_id)
    rows = []
    for s in await repo.cover(session, r):
        per_day = (s.sold / days).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        cover_days = None
        if s.sold > 0:
            cover_days = max(s.on_hand, ZERO) * days / s.sold
            cover_days = cover_days.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        rows.append(
            CoverRow(
                product_id=s.product_id,
                sku=s.sku,
                name=s.name,
                units_sold=s.sold,
                per_day=per_day,
                on_hand=s.on_hand,
                days_of_cover=cover_days,
            )
        )
    rows.sort(key=lambda c: (c.days_of_cover is None, c.days_of_cover or ZERO, c.name))
    return CoverReport(sede_id=r.sede_id, days=days, date_from=r.start, date_to=r.end, rows=rows)


def to_csv(rows: list[BaseModel], columns: list[str], *, locale: str | None) -> str:
    """A header row and one line per row; `locale='es'` separates by ';' and writes decimal
    commas (what a Spanish-locale spreadsheet opens as numbers)."""
    spanish = locale == "es"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if spanish else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = []
        for name in columns:
            value = getattr(row, name)
            if value is None:
                values.append("")
            elif isinstance(value, Decimal):
                values.append(str(value).replace(".", ",") if spanish else str(value))
            else:
                values.append(str(value))
        writer.writerow(values)
    return out.getvalue()
