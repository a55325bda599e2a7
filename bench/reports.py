"""Sales reports: GET /api/reports/sales over 90 days read from the rollups, beside the bare
scan of the sale lines that the rollups replace, in the same run.

    python bench/reports.py [--lines 2000000] [--days 90] [--products 500] [--repeat 50]

One process, fresh embedded PostgreSQL and Redis in a temporary folder. A tenant with three
sedes (a caja each) and --products products; --lines sale lines (a return every 50th)
inserted by SQL (generate_series, triggers off), spread over the last --days days among the
three cajas, three lines a sale; then the tenant's rollups built by rollups.rebuild (timed:
the backfill job's cost). Then, each the median and p99 of --repeat calls:
- GET /api/reports/sales?group_by=day (and =product, and one sede's by hour) through the
  app in-process (routing, auth, the tenant session, JSON), over the --days days;
- baseline: the same by-day figures computed by scanning `transactions` (what a report
  without rollups does), fewer repeats; and SELECT 1 through the app's sessionmaker.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time as clock
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import text

from bench.sync import activate, seeded_cloud
from stocky.cloud.db import tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.reports import rollups

BOGOTA = ZoneInfo("America/Bogota")

LINES_SQL = """
INSERT INTO transactions (tenant_id, id, sede_id, product_id, type, quantity, unit_price,
    unit_cost, discount, document_id, sale_id, device_id, user_id, client_timestamp,
    server_timestamp, synced_at)
SELECT %(tenant)s::uuid, gen_random_uuid(), %(sede)s::uuid,
    ids[1 + (g::bigint * 7919) %% cardinality(ids)],
    CASE WHEN g %% 50 = 0 THEN 'return' ELSE 'sale' END,
    CASE WHEN g %% 50 = 0 THEN q ELSE -q END,
    price, round(price * 0.7, 2), CASE WHEN g %% 10 = 0 THEN 100 ELSE 0 END,
    sale_id, sale_id, %(device)s::uuid, %(user)s::uuid, ts, ts, ts
FROM (
    SELECT g, md5(%(sede)s || (g / 3)::text)::uuid AS sale_id,
           CASE WHEN g %% 7 = 0 THEN round((random() * 2 + 0.1)::numeric, 3)
                ELSE 1 + (g %% 3) END AS q,
           (1000 + (g %% 900) * 100)::numeric(18, 2) AS price,
           now() - make_interval(secs => (g / 3)::float8 * %(span)s / %(sales)s) AS ts
    FROM generate_series(1, %(n)s) AS g
) AS s, (SELECT array_agg(id) AS ids FROM products WHERE tenant_id = %(tenant)s::uuid) AS p
"""

SCAN_SQL = text("""
SELECT (client_timestamp AT TIME ZONE 'America/Bogota')::date AS day,
       sum(CASE WHEN type = 'sale' THEN -quantity ELSE 0 END),
       sum(CASE WHEN type = 'sale' THEN round(unit_price * -quantity, 2) ELSE 0 END),
       sum(CASE WHEN type = 'sale' THEN discount ELSE 0 END),
       sum(CASE WHEN type = 'sale' THEN round(unit_cost * -quantity, 2) ELSE 0 END),
       sum(CASE WHEN type = 'return' THEN round(unit_price * quantity, 2) - discount ELSE 0 END),
       count(DISTINCT sale_id) FILTER (WHERE type = 'sale')
FROM transactions
WHERE tenant_id = :tenant AND type IN ('sale', 'return')
  AND client_timestamp >= :since
GROUP BY 1 ORDER BY 1
""")


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, float]:
    """(median, p99) in ms."""
    times = []
    for _ in range(repeat):
        started = clock.perf_counter()
        await fn()
        times.append((clock.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def seed(
    owner_url: str, tenant: str, user: str, cajas: list[dict[str, Any]], lines: int, days: int
) -> None:
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        for i, caja in enumerate(cajas):
            n = lines // len(cajas) + (1 if i < lines % len(cajas) else 0)
            conn.execute(
                LINES_SQL,
                {"tenant": tenant, "sede": caja["sede"], "device": caja["device"], "user": user}
                | {"n": n, "sales": max(1, n // 3), "span": days * 86400 - 3600},
            )
        conn.execute("VACUUM ANALYZE transactions")


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    async with seeded_cloud(data_dir, args.products) as cloud:
        app = cloud.app
        cajas = []
        for name in ("Centro", "Norte", "Sur"):
            answer = await activate(cloud.client, cloud.owner, name)
            cajas.append({"sede": answer["sede"]["id"], "device": answer["device"]["id"]})
            tenant = answer["tenant"]["id"]
        with psycopg.connect(libpq_url(cloud.owner_url)) as conn:
            row = conn.execute("SELECT id FROM users WHERE role = 'owner'").fetchone()
            assert row is not None
            user = str(row[0])
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(
                text("UPDATE tenants SET timezone = 'America/Bogota' WHERE id = :t"), {"t": tenant}
            )
        started = clock.perf_counter()
        seed(cloud.owner_url, tenant, user, cajas, args.lines, args.days)
        print(
            f"seed: {args.lines} sale lines over {args.days} days in 3 sedes, "
            f"{args.products} products, in {clock.perf_counter() - started:.1f} s"
        )
        started = clock.perf_counter()
        async with tenant_transaction(app.state.sessionmaker, tenant) as session:
            await rollups.rebuild(session, tenant)
        with psycopg.connect(libpq_url(cloud.owner_url), autocommit=True) as conn:
            for table in ("report_hourly", "report_product_daily", "report_payment_daily"):
                conn.execute(f"VACUUM ANALYZE {table}")
            counts = [
                conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                for t in ("report_hourly", "report_product_daily")
            ]
        print(
            f"rebuild: rollups from the scan in {clock.perf_counter() - started:.1f} s "
            f"({counts[0]} hourly rows, {counts[1]} product-day rows)"
        )
        today = datetime.now(BOGOTA).date()
        first = datetime.combine(today - timedelta(days=args.days - 1), time(0), BOGOTA)
        window = {"from": str(today - timedelta(days=args.days - 1)), "to": str(today)}

        async def report(params: dict[str, str]) -> dict[str, Any]:
            r = await cloud.client.get(
                "/api/reports/sales", params=window | params, headers=cloud.owner
            )
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        async def scan() -> list[Any]:
            async with tenant_transaction(app.state.sessionmaker, tenant) as session:
                return list(await session.execute(SCAN_SQL, {"tenant": tenant, "since": first}))

        async def select_one() -> None:
            async with app.state.sessionmaker() as session:
                await session.execute(text("SELECT 1"))

        body = await report({"group_by": "day"})
        rows = await scan()
        print(
            f"answer: {len(body['rows'])} days, {body['totals']['count']} sales, "
            f"net {body['totals']['net']}; the scan: {len(rows)} days, "
            f"{sum(r[6] for r in rows)} sales"
        )
        base, base99 = await timed(select_one, args.repeat)
        scan_ms, scan99 = await timed(scan, max(3, args.repeat // 10))
        print(f"baseline: SELECT 1 round trip                  {base:8.2f} ms (p99 {base99:.2f})")
        print(
            f"baseline: scan of the sale lines, by day        {scan_ms:8.2f} ms (p99 {scan99:.2f})"
        )
        one = {"group_by": "hour", "sede_id": cajas[1]["sede"]}
        for label, params in (
            ("GET /api/reports/sales?group_by=day     ", {"group_by": "day"}),
            ("GET /api/reports/sales?group_by=product ", {"group_by": "product"}),
            ("GET /api/reports/sales?group_by=hour&sede", one),
        ):
            ms, p99 = await timed(lambda p=params: report(p), args.repeat)  # type: ignore[misc]
            print(
                f"{label} {ms:8.2f} ms (p99 {p99:.2f}), {scan_ms / ms:6.1f}x faster than the scan"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stocky-bench-reports-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
