"""The owner's dashboard: GET /api/dashboard over many sales, beside a bare round trip.

    python bench/dashboard.py [--sales 120000] [--days 365] [--products 5000] [--repeat 50]

One process, fresh embedded PostgreSQL and Redis in a temporary folder. A tenant with three
sedes (a caja each) and --products products stocked at every sede; --sales sales inserted
by SQL, spread evenly over the last --days days among the three cajas (--days 30 puts them
all in the dashboard's window: the worst case); a second tenant holds a quarter as many, so
the tenant filter matters. Then, each the median (and p95) of --repeat calls:
- the endpoint through the app in-process (routing, auth, the tenant session, JSON), with
  the stock counts cached (as between two stock changes) and cold (generation bumped);
- baseline: `SELECT 1` through the app's sessionmaker (pool checkout, BEGIN, round trip,
  ROLLBACK), in the same run; and GET /api/tenant, the cost of any authenticated read (the
  token, the tenant session, the user's row, one row out).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

from bench.sync import activate, seeded_cloud
from stocky.cloud.embedded import libpq_url

SALES_SQL = """
INSERT INTO sales (tenant_id, id, sede_id, device_id, number, subtotal, discount, tax,
                   total, paid, change, client_timestamp, server_timestamp)
SELECT %(tenant)s, gen_random_uuid(), %(sede)s, %(device)s, g, a, 0, 0, a, a, 0, ts, ts
FROM (
    SELECT g, round((random() * 200000)::numeric, 2) AS a,
           now() - random() * make_interval(days => %(days)s) AS ts
    FROM generate_series(1, %(n)s) AS g
) AS s
"""


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, float]:
    """(median, p95) in ms."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def seed(owner_url: str, tenant: str, cajas: list[dict[str, Any]], sales: int, days: int) -> None:
    """Sales straight into the table (triggers off: the feed is not what is measured) and a
    stock row per product and sede, a tenth of them low and a few negative."""
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        for i, caja in enumerate(cajas):
            n = sales // len(cajas) + (1 if i < sales % len(cajas) else 0)
            conn.execute(
                SALES_SQL,
                {"tenant": tenant, "sede": caja["sede"], "device": caja["device"]}
                | {"days": days, "n": n},
            )
        conn.execute(
            "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity, min_stock)"
            " SELECT p.tenant_id, s.id, p.id, (random() * 110 - 5)::numeric(18, 3), 10"
            " FROM products p JOIN sedes s ON s.tenant_id = p.tenant_id"
            " WHERE p.tenant_id = %s ON CONFLICT DO NOTHING",
            (tenant,),
        )
        conn.execute("VACUUM ANALYZE sales")
        conn.execute("VACUUM ANALYZE inventory")
        conn.execute("VACUUM ANALYZE products")


def other_tenant(owner_url: str, like: dict[str, Any], sales: int, days: int) -> None:
    """A second tenant's sales: same table and index, another tenant_id."""
    tenant = str(uuid.uuid4())
    with psycopg.connect(libpq_url(owner_url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES (%s, 'Otra', %s)", (tenant, tenant)
        )
        sede = str(uuid.uuid4())
        conn.execute("INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, 'X')", (tenant, sede))
        conn.execute(
            SALES_SQL,
            {"tenant": tenant, "sede": sede, "device": like["device"], "days": days, "n": sales},
        )


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    async with seeded_cloud(data_dir, args.products) as cloud:
        cajas = []
        for name in ("Centro", "Norte", "Sur"):
            answer = await activate(cloud.client, cloud.owner, name)
            cajas.append({"sede": answer["sede"]["id"], "device": answer["device"]["id"]})
            tenant = answer["tenant"]["id"]
        started = time.perf_counter()
        seed(cloud.owner_url, tenant, cajas, args.sales, args.days)
        other_tenant(cloud.owner_url, cajas[0], args.sales // 4, args.days)
        print(
            f"seed: {args.sales} sales over {args.days} days in 3 sedes, "
            f"{args.sales // 4} of another tenant, {args.products} products x 3 sedes of stock "
            f"in {time.perf_counter() - started:.1f} s"
        )
        app = cloud.app

        async def call(params: dict[str, str] | None = None) -> dict[str, Any]:
            r = await cloud.client.get("/api/dashboard", params=params, headers=cloud.owner)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        async def cold() -> None:
            await app.state.redis.incr(f"stocky:inventory:gen:{tenant}")
            await call()

        async def select_one() -> None:
            async with app.state.sessionmaker() as session:
                await session.execute(text("SELECT 1"))

        async def tenant_read() -> None:
            r = await cloud.client.get("/api/tenant", headers=cloud.owner)
            assert r.status_code == 200, r.text

        body = await call()
        window = sum(d["count"] for d in body["last_30_days"])
        print(
            f"answer: today {body['today']['count']} sales, {window} in the 30 days, "
            f"low {body['low_stock_count']}, negative {body['negative_stock_count']}"
        )
        base, base95 = await timed(select_one, args.repeat)
        row, row95 = await timed(tenant_read, args.repeat)
        warm, warm95 = await timed(call, args.repeat)
        cold_ms, cold95 = await timed(cold, args.repeat)
        one = {"sede_id": cajas[1]["sede"]}
        sede_ms, sede95 = await timed(lambda: call(one), args.repeat)
        print(f"baseline: SELECT 1 round trip        {base:7.2f} ms (p95 {base95:.2f})")
        for label, ms, p95 in (
            ("GET /api/tenant (one-row read)   ", row, row95),
            ("GET /api/dashboard, stock cached ", warm, warm95),
            ("GET /api/dashboard, stock cold   ", cold_ms, cold95),
            ("GET /api/dashboard?sede_id=      ", sede_ms, sede95),
        ):
            print(f"{label}    {ms:7.2f} ms (p95 {p95:.2f}), {ms / base:5.1f}x the baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=120_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--products", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stocky-bench-dashboard-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
