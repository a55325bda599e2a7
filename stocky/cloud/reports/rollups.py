"""The report rollups: added to as a push applies sales and returns, rebuilt from a scan.

`record` runs inside the push's savepoint, after the movements went in, so a rejected op
or a rolled-back batch leaves the rollups as they were, and a duplicate op (which the push
answers without applying) never counts twice. The buckets are sums, so the order ops
arrive in does not matter. `rebuild` recomputes a tenant's rollups from transactions,
sales, payments and refunds; the two must agree to the cent (tests/cloud/reports).

A line's bucket is its sede's local day and hour (the sede's time zone, else the tenant's)
of the caja's time corrected by its measured offset, the time GET /api/sales shows.
Amounts per line: gross = round(price x units, 2), as the caja prints it; cost = round(cost
x units, 2); a returned line's amount is round(price x units, 2) - its discount (what was
given back for it).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.inventory.service import Movement
from stocky.cloud.kit.locks import hold_tenant_lock
from stocky.cloud.kit.sql import rows_from_json
from stocky.cloud.models import (
    Product,
    ReportHourly,
    ReportPaymentDaily,
    ReportProductDaily,
    Sede,
    Tenant,
)
from stocky.cloud.models.reports import NOBODY
from stocky.cloud.sync.context import OpContext
from stocky.cloud.sync.returns import refund_split
from stocky.core.ops import TransactionDocument

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
HOURLY = cast(Table, ReportHourly.__table__)
PRODUCT_DAILY = cast(Table, ReportProductDaily.__table__)
PAYMENT_DAILY = cast(Table, ReportPaymentDaily.__table__)
SUMS = ("units", "gross", "discounts", "cost", "returned_units", "returned", "returned_cost")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named zone; UTC for a name this machine does not know (logged, never a 500)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("time zone %r unknown: reports bucket its sales in UTC", name)
        return ZoneInfo("UTC")


async def sede_zones(
    session: AsyncSession, tenant_id: uuid.UUID, sede_ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, ZoneInfo]:
    """Each sede's reporting zone: its own if set, else its tenant's."""
    stmt = (
        select(Sede.id, Sede.timezone, Tenant.timezone)
        .join(Tenant, Tenant.id == Sede.tenant_id)
        .where(Sede.tenant_id == tenant_id)
    )
    if sede_ids is not None:
        stmt = stmt.where(Sede.id.in_(list(sede_ids)))
    return {s: zone_or_utc(own or tenant) for s, own, tenant in await session.execute(stmt)}


async def product_costs(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    stmt = select(Product.id, Product.cost).where(
        Product.tenant_id == tenant_id, Product.id.in_(ids)
    )
    costs: dict[uuid.UUID, Decimal] = {}
    for pid, cost in await session.execute(stmt):
        costs[pid] = cost
    return costs


@dataclass
class _Sums:
    units: Decimal = Decimal("0")
    gross: Decimal = Decimal("0")
    discounts: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")
    returned_units: Decimal = Decimal("0")
    returned: Decimal = Decimal("0")
    returned_cost: Decimal = Decimal("0")
    lines: int = 0

    def add(self, m: Movement) -> None:
        price = m.unit_price or Decimal("0")
        cost = m.unit_cost or Decimal("0")
        if m.type == "sale":
            units = -m.quantity
            self.units += units
            self.gross += money(price * units)
            self.discounts += m.discount
            self.cost += money(cost * units)
            self.lines += 1
        else:
            self.returned_units += m.quantity
            self.returned += money(price * m.quantity) - m.discount
            self.returned_cost += money(cost * m.quantity)

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*SUMS, "lines")}


def _upsert(table: Table, keys: list[str], sums: list[str]) -> Any:
    columns = [*keys, *sums]
    stmt = insert(table).from_select(columns, rows_from_json(table, columns))
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c: table.c[c] + stmt.excluded[c] for c in sums}
    )


HOURLY_KEYS = ["tenant_id", "sede_id", "device_id", "user_id", "day", "hour"]
PRODUCT_KEYS = ["tenant_id", "sede_id", "day", "product_id"]
PAYMENT_KEYS = ["tenant_id", "sede_id", "device_id", "day", "method"]
_UPSERT_HOURLY = _upsert(HOURLY, HOURLY_KEYS, [*SUMS, "sales", "lines"])
_UPSERT_PRODUCT = _upsert(PRODUCT_DAILY, PRODUCT_KEYS, [*SUMS, "lines"])
_UPSERT_PAYMENT = _upsert(
    PAYMENT_DAILY, PAYMENT_KEYS, ["amount", "payments", "refunded", "refunds"]
)


# A rebuild holds the tenant's lock exclusively, each push's additions shared: a rebuild waits
# for the pushes that added already to commit (its scan then sees them) and a push that adds
# after waits for the rebuild (and adds to its rows), so no sale counts twice or not at all.


def _local(ts: datetime, zone: ZoneInfo) -> tuple[date, int]:
    here = ts.astimezone(zone)
    return here.date(), here.hour


async def with_costs(
    session: AsyncSession, tenant_id: uuid.UUID, movements: list[Movement]
) -> list[Movement]:
    """Sale and return lines that came without a cost (older cajas) take the product's cost
    now: the cost at the time of sale, as well as the cloud knows it. No query when every
    line has one."""

    def lacks(m: Movement) -> bool:
        return m.type in ("sale", "return") and m.unit_cost is None

    missing = {m.product_id for m in movements if lacks(m)}
    if not missing:
        return movements
    costs = await product_costs(session, tenant_id, missing)
    return [replace(m, unit_cost=costs.get(m.product_id)) if lacks(m) else m for m in movements]


async def record(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    movements: list[Movement],
    docs: list[tuple[OpContext, TransactionDocument]],
) -> None:
    """Add these just-applied movements (one sede's) and their documents' payments and
    refunds to the rollups."""
    lines = [m for m in movements if m.type in ("sale", "return")]
    if not lines:
        return
    await hold_tenant_lock(session, "reports", tenant_id, shared=True)
    zone = (await sede_zones(session, tenant_id, [sede_id])).get(sede_id, ZoneInfo("UTC"))
    hourly: defaultdict[tuple[Any, ...], _Sums] = defaultdict(_Sums)
    sales: defaultdict[tuple[Any, ...], set[uuid.UUID]] = defaultdict(set)
    daily: defaultdict[tuple[Any, ...], _Sums] = defaultdict(_Sums)
    for m in lines:
        day, hour = _local(m.client_timestamp, zone)
        key = (m.device_id or NOBODY, m.user_id or NOBODY, day, hour)
        hourly[key].add(m)
        if m.type == "sale" and m.sale_id is not None:
            sales[key].add(m.sale_id)
        daily[(day, m.product_id)].add(m)
    base = {"tenant_id": tenant_id, "sede_id": sede_id}
    hourly_rows = [
        {
            **base,
            **dict(zip(HOURLY_KEYS[2:], key, strict=True)),
            **s.row(),
            "sales": len(sales[key]),
        }
        for key, s in sorted(hourly.items())
    ]
    daily_rows = [
        {**base, "day": day, "product_id": pid, **s.row()}
        for (day, pid), s in sorted(daily.items())
    ]
    await session.execute(_UPSERT_HOURLY, {"rows": hourly_rows})
    await session.execute(_UPSERT_PRODUCT, {"rows": daily_rows})
    payment_rows = _payment_rows(docs, zone)
    if payment_rows:
        await session.execute(_UPSERT_PAYMENT, {"rows": payment_rows})


def _payment_rows(
    docs: list[tuple[OpContext, TransactionDocument]], zone: ZoneInfo
) -> list[dict[str, Any]]:
    sums: defaultdict[tuple[Any, ...], list[Any]] = defaultdict(
        lambda: [Decimal("0"), 0, Decimal("0"), 0]
    )
    tenant_id = sede_id = None
    for ctx, doc in docs:
        tenant_id, sede_id = ctx.tenant_id, ctx.sede_id
        day, _ = _local(ctx.corrected(doc.client_ts), zone)
        device = ctx.device_id or NOBODY
        if doc.sale is not None:
            change = doc.sale.change
            for p in doc.sale.payments:
                bucket = sums[(device, day, p.method)]
                # Only cash gives change (the caja refuses card or transfer above the total).
                given = min(change, p.amount) if p.method == "cash" else Decimal("0")
                change -= given
                bucket[0] += p.amount - given
                bucket[1] += 1
        for method, amount in refund_split(doc):
            bucket = sums[(device, day, method)]
            bucket[2] += amount
            bucket[3] += 1
    return [
        {
            "tenant_id": tenant_id,
            "sede_id": sede_id,
            "device_id": device,
            "day": day,
            "method": method,
            "amount": s[0],
            "payments": s[1],
            "refunded": s[2],
            "refunds": s[3],
        }
        for (device, day, method), s in sorted(sums.items())
    ]


# The rebuild's scan: the same sums in SQL, each sede's zone given by the caller (so Python
# and the rebuild agree on which zone a sede reports in; PostgreSQL applies its rules).
_ZONES = """
    zones AS (
        SELECT (z ->> 'sede_id')::uuid AS sede_id, z ->> 'zone' AS zone
        FROM jsonb_array_elements(CAST(:zones AS jsonb)) AS z
    )"""
_LINES = f"""
WITH {_ZONES},
    lines AS (
        SELECT t.sede_id, coalesce(t.device_id, '{NOBODY}') AS device_id,
               coalesce(t.user_id, '{NOBODY}') AS user_id, t.product_id, t.sale_id, t.type,
               (t.client_timestamp AT TIME ZONE z.zone) AS local_ts,
               CASE WHEN t.type = 'sale' THEN -t.quantity ELSE 0 END AS units,
               CASE WHEN t.type = 'sale'
                    THEN round(coalesce(t.unit_price, 0) * -t.quantity, 2) ELSE 0 END AS gross,
               CASE WHEN t.type = 'sale' THEN t.discount ELSE 0 END AS discounts,
               CASE WHEN t.type = 'sale'
                    THEN round(coalesce(t.unit_cost, 0) * -t.quantity, 2) ELSE 0 END AS cost,
               CASE WHEN t.type = 'return' THEN t.quantity ELSE 0 END AS returned_units,
               CASE WHEN t.type = 'return'
                    THEN round(coalesce(t.unit_price, 0) * t.quantity, 2) - t.discount
                    ELSE 0 END AS returned,
               CASE WHEN t.type = 'return'
                    THEN round(coalesce(t.unit_cost, 0) * t.quantity, 2) ELSE 0 END
                    AS returned_cost
        FROM transactions t JOIN zones z ON z.sede_id = t.sede_id
        WHERE t.tenant_id = :tenant_id AND t.type IN ('sale', 'return')
    )"""
_SUM_COLUMNS = ", ".join(f"sum({c})" for c in SUMS)
REBUILD_HOURLY = text(f"""
{_LINES}
INSERT INTO report_hourly (tenant_id, sede_id, device_id, user_id, day, hour,
    {", ".join(SUMS)}, sales, lines)
SELECT :tenant_id, sede_id, device_id, user_id, local_ts::date, extract(hour FROM local_ts),
    {_SUM_COLUMNS}, count(DISTINCT sale_id) FILTER (WHERE type = 'sale'),
    count(*) FILTER (WHERE type = 'sale')
FROM lines GROUP BY 2, 3, 4, 5, 6
""")
REBUILD_PRODUCT = text(f"""
{_LINES}
INSERT INTO report_product_daily (tenant_id, sede_id, day, product_id, {", ".join(SUMS)}, lines)
SELECT :tenant_id, sede_id, local_ts::date, product_id, {_SUM_COLUMNS},
    count(*) FILTER (WHERE type = 'sale')
FROM lines GROUP BY 2, 3, 4
""")
REBUILD_PAYMENT = text(f"""
WITH {_ZONES},
    paid AS (
        SELECT s.sede_id, coalesce(s.device_id, '{NOBODY}') AS device_id,
               (s.client_timestamp AT TIME ZONE z.zone)::date AS day, p.method,
               sum(p.amount) AS amount, count(*) AS payments, s.change
        FROM sales s
        JOIN zones z ON z.sede_id = s.sede_id
        JOIN sale_payments p ON p.tenant_id = s.tenant_id AND p.sale_id = s.id
        WHERE s.tenant_id = :tenant_id
        GROUP BY s.tenant_id, s.id, z.zone, p.method
    ),
    refunded AS (
        SELECT r.sede_id, coalesce(r.device_id, '{NOBODY}') AS device_id,
               (r.client_timestamp AT TIME ZONE z.zone)::date AS day, r.method,
               sum(r.amount) AS refunded, count(*) AS refunds
        FROM refunds r JOIN zones z ON z.sede_id = r.sede_id
        WHERE r.tenant_id = :tenant_id
        GROUP BY 1, 2, 3, 4
    ),
    took AS (
        SELECT sede_id, device_id, day, method,
               sum(amount - CASE WHEN method = 'cash' THEN least(change, amount) ELSE 0 END)
                   AS amount,
               sum(payments) AS payments
        FROM paid GROUP BY 1, 2, 3, 4
    )
INSERT INTO report_payment_daily (tenant_id, sede_id, device_id, day, method, amount,
    payments, refunded, refunds)
SELECT :tenant_id, sede_id, device_id, day, method, coalesce(t.amount, 0),
    coalesce(t.payments, 0), coalesce(r.refunded, 0), coalesce(r.refunds, 0)
FROM took t FULL JOIN refunded r USING (sede_id, device_id, day, method)
""")


_REBUILDS = [
    stmt.bindparams(bindparam("zones", type_=JSONB))
    for stmt in (REBUILD_HOURLY, REBUILD_PRODUCT, REBUILD_PAYMENT)
]


async def rebuild(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Recompute the tenant's rollups from its movements, payments and refunds (a backfill,
    or a repair); takes the same zones `record` does."""
    await hold_tenant_lock(session, "reports", tenant_id, shared=False)
    zones = await sede_zones(session, tenant_id)
    params = {
        "tenant_id": tenant_id,
        "zones": [{"sede_id": str(s), "zone": z.key} for s, z in zones.items()],
    }
    for table in (HOURLY, PRODUCT_DAILY, PAYMENT_DAILY):
        await session.execute(delete(table).where(table.c.tenant_id == tenant_id))
    for stmt in _REBUILDS:
        await session.execute(stmt, params)
