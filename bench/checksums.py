"""Sync checksums: what the last page's per-table sums cost on a big catalog, and a repair.

    python bench/checksums.py [--products 50000] [--repeat 20]

One process, fresh embedded PostgreSQL and Redis in a temporary folder. The cloud holds M
products (one CSV import), as many extra barcodes and a stock row per product at the sede;
a caja activated with that catalog pulls to the end. Then, each the median of --repeat runs:
- cloud: the checksum statement of stocky.cloud.sync.checksums alone, computed and cached;
- both: a whole empty pull at the end of the feed (the request that carries the sums and
  the caja's comparison) through the app in-process, hashing every local table each time
  (verify_seconds=0) and as by default (a table whose cloud sum has not moved is skipped);
- caja: `compare_tables` (the sums of its four tables in one read) and products alone;
- repair: one product's version changed behind the caja's back; the pull that finds it and
  re-fetches the products table whole.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.sync import activate, seeded_cloud
from stocky.cloud.db import tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.sync.checksums import clear_cache, table_checksums
from stocky.core.sync import Cursor
from stocky.edge.activation.store import save_activation
from stocky.edge.store import Store
from stocky.edge.sync.apply import pull_state
from stocky.edge.sync.checksums import compare_tables, local_checksum
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker


async def median_ms(fn: Callable[[], Awaitable[Any]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def seed_stock(owner_url: str, tenant: str, sede: str) -> None:
    with psycopg.connect(libpq_url(owner_url)) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (tenant,))
        conn.execute(
            "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity, min_stock)"
            " SELECT tenant_id, %s, id, (random() * 100)::numeric(18, 3), 2 FROM products"
            " ON CONFLICT DO NOTHING",
            (sede,),
        )
        conn.execute(
            "INSERT INTO product_barcodes (tenant_id, barcode, product_id)"
            " SELECT tenant_id, 'X' || sku, id FROM products"
        )
        conn.execute("ANALYZE")


async def run(products: int, repeat: int, data_dir: Path) -> None:
    async with seeded_cloud(data_dir, products) as cloud:
        answer = await activate(cloud.client, cloud.owner, "Caja")
        tenant, sede = answer["tenant"]["id"], answer["sede"]["id"]
        seed_stock(cloud.owner_url, tenant, sede)
        store = Store.open(data_dir / "caja.db")
        client = CloudClient("http://cloud", answer["device_credential"], transport=cloud.asgi)
        try:
            store.write(lambda conn: save_activation(conn, answer))
            worker = PullWorker(store, client, sede_id=sede)
            started = time.perf_counter()
            first = await worker.run_once()
            print(
                f"seed: {products} products, barcodes and stock rows; the caja pulled "
                f"{first.changes} changes in {time.perf_counter() - started:.1f} s "
                f"(diverged: {first.diverged or 'none'})"
            )
            await measure(cloud.app, store, worker, tenant, sede, repeat)
        finally:
            await client.aclose()
            store.close()


async def measure(
    app: Any, store: Store, worker: PullWorker, tenant: str, sede: str, repeat: int
) -> None:
    sm = app.state.sessionmaker
    cursor_token, _ = store.read(pull_state)
    cursor = Cursor.decode(cursor_token)

    async def cloud_sums() -> dict[str, str]:
        async with tenant_transaction(sm, uuid.UUID(tenant)) as session:
            return await table_checksums(
                session, tenant_id=uuid.UUID(tenant), sede_id=uuid.UUID(sede), cursor=cursor
            )

    async def cold_sums() -> dict[str, str]:
        clear_cache()
        return await cloud_sums()

    sums = await cold_sums()
    assert set(sums) == {"products", "product_barcodes", "users", "inventory"}, sums
    print(f"cloud: checksum statement, 4 tables    {await median_ms(cold_sums, repeat):7.1f} ms")
    print(f"cloud: the same, sums cached           {await median_ms(cloud_sums, repeat):7.1f} ms")

    async def empty_pull(pull: PullWorker) -> None:
        outcome = await pull.run_once()
        assert outcome.changes == 0
        assert not outcome.diverged

    always = PullWorker(store, worker.client, sede_id=sede, verify_seconds=0)
    ms = await median_ms(lambda: empty_pull(always), repeat)
    print(f"both:  empty pull, every table hashed  {ms:7.1f} ms")
    ms = await median_ms(lambda: empty_pull(worker), repeat)
    print(f"both:  empty pull, sums unchanged      {ms:7.1f} ms")

    async def caja_all() -> None:
        result = await store.aread(lambda c: compare_tables(c, checksums=sums, cursor=cursor_token))
        assert result.diverged == []

    async def caja_products() -> None:
        await store.aread(lambda c: local_checksum(c, "products"))

    print(f"caja:  compare_tables (4 tables)       {await median_ms(caja_all, repeat):7.1f} ms")
    print(
        f"caja:  products alone                  {await median_ms(caja_products, repeat):7.1f} ms"
    )

    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("UPDATE products SET version = 99 WHERE rowid = 17")
    conn.close()
    started = time.perf_counter()
    repair = await always.run_once()
    seconds = time.perf_counter() - started
    print(
        f"repair: found {repair.diverged}, re-fetched {repair.refetched} rows in "
        f"{seconds:.2f} s ({repair.pages} feed pages, {repair.removed} removed)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stocky-bench-checksums-") as tmp:
        asyncio.run(run(args.products, args.repeat, Path(tmp)))


if __name__ == "__main__":
    main()
