"""Sync throughput: a caja drains a week-offline backlog; a fresh caja pulls a big catalog.

    python bench/sync.py [--ops 100000] [--products 50000]

One process, fresh embedded PostgreSQL and Redis in a temporary folder:
- drain: a caja's outbox holds N one-line sales (`record_sale`, seeded with durable=False);
  the PushWorker sends them in batches of 50 to the cloud app through httpx's ASGITransport
  (in-process: routing, validation, auth, JSON and PostgreSQL, without a TCP hop). Time is
  split into cloud (the request, as the caja waits for it), of which the cloud's own
  database work (sync_logs.duration_ms), and the caja (reading the queue, marking results);
- pull: the cloud holds M products (one CSV import); a fresh caja (activated without its
  catalog) pulls them all through the PullWorker, split into cloud and caja (apply) time;
- baseline: the same rows inserted into PostgreSQL directly: the drained movements and
  sales copied (COPY) into plain copies of their tables, and the M products likewise.
Prints ops/s, rows/s, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi import FastAPI

from stocky.cloud.app import create_app
from stocky.cloud.cli import migrate_schema
from stocky.cloud.config import Settings
from stocky.cloud.embedded import libpq_url, running_services
from stocky.edge.activation.store import save_activation
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.shifts.schemas import ShiftOpen
from stocky.edge.shifts.service import open_shift
from stocky.edge.store import Store, utc_now
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from stocky.edge.sync.push import PushWorker

PASSWORD = "bench-password-1"
SEED_CHUNK = 5_000


@dataclass
class TimedTransport(httpx.AsyncBaseTransport):
    """The cloud app in-process, with the time the caja spends waiting for it."""

    inner: httpx.AsyncBaseTransport
    seconds: float = 0.0
    requests: int = 0
    sizes: list[int] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.seconds += time.perf_counter() - started
        self.requests += 1
        self.sizes.append(len(response.content))
        return response


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise SystemExit(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


async def activate(client: httpx.AsyncClient, owner: dict[str, str], name: str) -> dict[str, Any]:
    sede = _ok(await client.post("/api/sedes", json={"name": name}, headers=owner))["id"]
    _ok(
        await client.post(
            "/api/users",
            json={
                "email": f"cashier-{name.lower()}@bench.co",
                "name": "Cashier",
                "password": PASSWORD,
                "role": "cashier",
                "sede_id": sede,
            },
            headers=owner,
        )
    )
    code = _ok(await client.post(f"/api/sedes/{sede}/activation-codes", headers=owner))["code"]
    answer: dict[str, Any] = _ok(
        await client.post("/api/activate", json={"code": code, "device_name": name})
    )
    return answer


def seed_backlog(store: Store, ops: int, barcodes: list[str], user_id: str) -> None:
    def chunk(n: int) -> Callable[[Any], None]:
        def write(conn: Any) -> None:
            now = utc_now()
            for i in range(n):
                code = barcodes[i % len(barcodes)]
                sale = SaleCreate.model_validate(
                    {
                        "lines": [{"barcode": code, "quantity": "1"}],
                        "payments": [{"method": "cash", "amount": "200000.00"}],
                    }
                )
                record_sale(conn, sale, user_id=user_id, now=now)

        return write

    # Cash sales need an open shift (stocky.edge.shifts.policy); its open is one more op.
    store.write(
        lambda conn: open_shift(
            conn, ShiftOpen(opening_float=Decimal("0")), user_id=user_id, now=utc_now()
        )
    )
    left = ops
    while left:
        n = min(SEED_CHUNK, left)
        store.write(chunk(n), durable=False)
        left -= n


def copy_baseline(owner_url: str, table: str, where: str = "") -> tuple[int, float]:
    """COPY the table's rows out, then time COPYing them into a plain copy of the table."""
    with psycopg.connect(libpq_url(owner_url)) as conn:
        buffer = io.BytesIO()
        with conn.cursor().copy(f"COPY (SELECT * FROM {table} {where}) TO STDOUT") as out:
            for data in out:
                buffer.write(data)
        rows = buffer.getvalue().count(b"\n")
        conn.execute(f"CREATE TEMP TABLE bench_{table} (LIKE {table} INCLUDING ALL)")
        started = time.perf_counter()
        with conn.cursor().copy(f"COPY bench_{table} FROM STDIN") as into:
            into.write(buffer.getvalue())
        conn.commit()
        return rows, time.perf_counter() - started


def catalog_csv(products: int) -> bytes:
    lines = ["sku,name,barcode,price,tax_rate"]
    lines += [
        f"B{i:07d},Producto {i},{7_000_000_000_000 + i},{1000 + i % 90_000}.00,0.19"
        for i in range(products)
    ]
    return ("\n".join(lines) + "\n").encode()


def report(label: str, count: int, unit: str, seconds: float, baseline: float) -> None:
    rate = count / seconds if seconds else float("inf")
    base = count / baseline if baseline else float("inf")
    print(
        f"{label:<7} {count:>8} {unit} in {seconds:7.2f} s = {rate:>9,.0f} {unit}/s   "
        f"COPY of the same rows {base:>10,.0f} rows/s   ratio {rate / base:6.3f}"
    )


@dataclass
class BenchCloud:
    app: FastAPI
    asgi: httpx.ASGITransport
    client: httpx.AsyncClient
    owner: dict[str, str]
    owner_url: str


@asynccontextmanager
async def seeded_cloud(data_dir: Path, products: int) -> AsyncIterator[BenchCloud]:
    """The cloud app in this process on embedded services, a tenant, `products` imported."""
    settings = Settings(data_dir=data_dir / "cloud")
    with running_services(settings) as services:
        migrate_schema(settings, services)
        app = create_app(settings, services)
        async with app.router.lifespan_context(app):
            asgi = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=asgi, base_url="http://cloud") as client:
                signup = _ok(
                    await client.post(
                        "/api/signup",
                        json={"tenant_name": "Bench", "email": "o@bench.co", "password": PASSWORD},
                    )
                )
                owner = {"Authorization": f"Bearer {signup['tokens']['access_token']}"}
                started = time.perf_counter()
                _ok(
                    await client.post(
                        "/api/products/import",
                        content=catalog_csv(products),
                        headers={**owner, "Content-Type": "text/csv"},
                    )
                )
                print(
                    f"seed: {products} products imported in {time.perf_counter() - started:.1f} s"
                )
                yield BenchCloud(app, asgi, client, owner, services.database_url)


async def run(ops: int, products: int, data_dir: Path) -> None:
    async with seeded_cloud(data_dir, products) as cloud:
        busy = await activate(cloud.client, cloud.owner, "Busy")
        fresh = await activate(cloud.client, cloud.owner, "Fresh")
        await drain(busy, cloud.asgi, data_dir, ops, cloud.owner_url)
        await pull(fresh, cloud.asgi, data_dir, products, cloud.owner_url)


async def drain(
    answer: dict[str, Any], asgi: httpx.ASGITransport, data_dir: Path, ops: int, owner_url: str
) -> None:
    barcodes = [p["barcode"] for p in answer["catalog"]["products"][:500]]
    store = Store.open(data_dir / "busy.db")
    try:
        store.write(lambda conn: save_activation(conn, answer))
        user_id = store.read(
            lambda conn: conn.execute("SELECT id FROM users WHERE role = 'cashier'").fetchone()[0]
        )
        started = time.perf_counter()
        seed_backlog(store, ops, barcodes, user_id)
        print(f"seed: {ops} sales queued at the caja in {time.perf_counter() - started:.1f} s")
        timed = TimedTransport(asgi)
        client = CloudClient("http://cloud", answer["device_credential"], transport=timed)
        worker = PushWorker(
            store,
            client,
            sede_id=answer["sede"]["id"],
            device_id=answer["device"]["id"],
            batch_size=50,
        )
        started = time.perf_counter()
        outcome = await worker.run_once(ignore_backoff=True)
        seconds = time.perf_counter() - started
        await client.aclose()
    finally:
        store.close()
    if outcome.applied != ops + 1:  # the sales and the shift's open
        raise SystemExit(f"drain: {outcome.applied} of {ops + 1} applied ({outcome})")
    with psycopg.connect(libpq_url(owner_url)) as conn:
        db_ms = conn.execute("SELECT coalesce(sum(duration_ms), 0) FROM sync_logs").fetchone()
    db_s = float(db_ms[0] if db_ms else 0) / 1000
    rows, copy_s = copy_baseline(owner_url, "transactions", "WHERE type = 'sale'")
    sales, sales_copy_s = copy_baseline(owner_url, "sales")
    report("drain", ops, "ops", seconds, (copy_s + sales_copy_s) * ops / max(rows, 1))
    print(
        f"        {timed.requests} pushes; cloud {timed.seconds:.2f} s "
        f"({timed.seconds / timed.requests * 1000:.1f} ms per batch of 50; push handler incl. DB, "
        f"per sync_logs: {db_s:.2f} s), caja {seconds - timed.seconds:.2f} s "
        f"(queue reads, marking results); {rows} movements + {sales} sales rows"
    )


async def pull(
    answer: dict[str, Any], asgi: httpx.ASGITransport, data_dir: Path, products: int, owner_url: str
) -> None:
    # A fresh caja that got no catalog at activation: everything comes through the pull.
    bare = json.loads(json.dumps(answer))
    bare["catalog"] = {k: [] for k in answer["catalog"]}
    store = Store.open(data_dir / "fresh.db")
    try:
        store.write(lambda conn: save_activation(conn, bare))
        timed = TimedTransport(asgi)
        client = CloudClient("http://cloud", answer["device_credential"], transport=timed)
        worker = PullWorker(store, client, sede_id=answer["sede"]["id"])
        started = time.perf_counter()
        outcome = await worker.run_once()
        seconds = time.perf_counter() - started
        await client.aclose()
        got = store.read(lambda conn: conn.execute("SELECT count(*) FROM products").fetchone()[0])
    finally:
        store.close()
    if got < products:
        raise SystemExit(f"pull: {got} of {products} products at the caja ({outcome})")
    _rows, copy_s = copy_baseline(owner_url, "products")
    report("pull", outcome.changes, "rows", seconds, copy_s * outcome.changes / max(_rows, 1))
    mb = sum(timed.sizes) / 1e6
    print(
        f"        {outcome.pages} pages ({mb:.1f} MB JSON); cloud {timed.seconds:.2f} s, "
        f"caja apply not overlapped by a page request {seconds - timed.seconds:.2f} s "
        f"(the next page is fetched while one applies; here both share one process and its "
        f"GIL); {got} products at the caja"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=100_000, help="backlog of sales to drain")
    parser.add_argument("--products", type=int, default=50_000, help="products to pull (<= 50000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stocky-bench-sync-") as tmp:
        asyncio.run(run(args.ops, args.products, Path(tmp)))


if __name__ == "__main__":
    main()
