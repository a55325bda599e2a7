"""Durable 5-line sales at a caja: through the store, through the local API, and bare sqlite3.

    python bench/caja_sales.py [--sales N] [--products P]

Runs, in one process, on fresh files in a temporary folder:
- store FULL / NORMAL: `record_sale` inside `Store.write` (durable=True is synchronous=FULL);
- api: POST /local/api/sales through httpx's ASGITransport (in-process: the app, validation,
  auth and JSON, without the TCP hop of a real uvicorn);
- baseline FULL / NORMAL: the same rows (sale, payment, 5 movements, 5 inventory updates,
  audit row, sync_queue row) inserted by a bare sqlite3 loop with the same PRAGMAs.
Prints sales/s, p50 and p99 latency, and the ratio to the baseline at the same synchronous.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx

from stocky.core.ids import new_id_str
from stocky.core.passwords import hash_password
from stocky.edge.api.app import create_local_app
from stocky.edge.config import EdgeSettings
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.shifts.schemas import ShiftOpen
from stocky.edge.shifts.service import open_shift
from stocky.edge.store import Store, connect_writer, utc_now

PASSWORD = "bench-password"


def seed(store: Store, products: int) -> tuple[str, list[str]]:
    def fill(conn: sqlite3.Connection) -> tuple[str, list[str]]:
        now = utc_now()
        conn.execute(
            """INSERT INTO sede_info (id, tenant_id, tenant_name, sede_id, sede_name, device_id,
               device_name, device_credential, cloud_url, currency, locale, timezone,
               activated_at) VALUES (1, ?, 'T', ?, 'S', ?, 'C1', 'x', 'http://x', 'COP',
               'es-CO', 'America/Bogota', ?)""",
            (new_id_str(), new_id_str(), new_id_str(), now),
        )
        user = new_id_str()
        conn.execute(
            """INSERT INTO users (id, tenant_id, email, name, password_hash, role, updated_at)
               VALUES (?, ?, 'bench@example.com', 'Bench', ?, 'cashier', ?)""",
            (user, new_id_str(), hash_password(PASSWORD), now),
        )
        ids = []
        for i in range(products):
            pid = new_id_str()
            ids.append(pid)
            conn.execute(
                """INSERT INTO products (id, sku, name, barcode, price_cents, tax_rate,
                   last_modified_at) VALUES (?, ?, ?, ?, ?, '0.19', ?)""",
                (pid, f"SKU{i}", f"Producto {i}", f"770{i:010d}", 1000 + i, now),
            )
            conn.execute(
                "INSERT INTO inventory (product_id, quantity_milli, updated_at) VALUES (?, ?, ?)",
                (pid, 1_000_000, now),
            )
        # Cash sales need an open shift (the caja's default policy), as at a real counter.
        open_shift(conn, ShiftOpen(opening_float=Decimal("0")), user_id=user, now=now)
        return user, ids

    return store.write(fill)


def lines_for(n: int, ids: list[str]) -> list[str]:
    return [ids[(n * 5 + k) % len(ids)] for k in range(5)]


def timed(n: int, one: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        one(i)
        out.append(time.perf_counter() - start)
    return out


def bench_store(folder: Path, n: int, products: int, durable: bool) -> list[float]:
    with Store.open(folder / f"store-{durable}.db") as store:
        user, ids = seed(store, products)

        def one(i: int) -> None:
            cmd = SaleCreate.model_validate(
                {
                    "lines": [{"product_id": p, "quantity": "1"} for p in lines_for(i, ids)],
                    "payments": [{"method": "cash", "amount": "100"}],
                }
            )
            store.write(lambda c: record_sale(c, cmd, user_id=user, now=utc_now()), durable=durable)

        return timed(n, one)


def bench_api(folder: Path, n: int, products: int) -> list[float]:
    async def run() -> list[float]:
        async with Store.open(folder / "api.db") as store:
            _, ids = seed(store, products)
            app = create_local_app(store, EdgeSettings(data_dir=folder))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1/local/api"
            ) as client:
                login = await client.post(
                    "/login", json={"email": "bench@example.com", "password": PASSWORD}
                )
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                out = []
                for i in range(n):
                    body = {
                        "lines": [{"product_id": p, "quantity": "1"} for p in lines_for(i, ids)],
                        "payments": [{"method": "cash", "amount": "100"}],
                    }
                    start = time.perf_counter()
                    response = await client.post("/sales", json=body, headers=headers)
                    out.append(time.perf_counter() - start)
                    assert response.status_code == 201, response.text
                return out

    return asyncio.run(run())


def bench_baseline(folder: Path, n: int, products: int, synchronous: str) -> list[float]:
    path = folder / f"baseline-{synchronous}.db"
    with Store.open(path) as store:
        user, ids = seed(store, products)
    conn = connect_writer(path)  # the store's own PRAGMAs: WAL, foreign keys, busy timeout
    conn.execute(f"PRAGMA synchronous={synchronous}")
    number = 0

    def one(i: int) -> None:
        nonlocal number
        number += 1
        now = utc_now()
        sale_id = new_id_str()
        products_in = lines_for(i, ids)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            """INSERT INTO sales (id, number, user_id, subtotal_cents, tax_cents, total_cents,
               paid_cents, change_cents, client_ts) VALUES (?, ?, ?, 5000, 798, 5000, 10000,
               5000, ?)""",
            (sale_id, number, user, now),
        )
        conn.execute(
            "INSERT INTO sale_payments (id, sale_id, method, amount_cents) VALUES (?, ?, ?, ?)",
            (new_id_str(), sale_id, "cash", 10000),
        )
        moves = []
        for pid in products_in:
            mid = new_id_str()
            moves.append({"id": mid, "product_id": pid, "quantity": "-1.000"})
            conn.execute(
                """INSERT INTO transactions (id, type, product_id, quantity_milli,
                   unit_price_cents, product_version, sale_id, document_id, user_id, client_ts)
                   VALUES (?, 'sale', ?, -1000, 1000, 1, ?, ?, ?, ?)""",
                (mid, pid, sale_id, sale_id, user, now),
            )
            conn.execute(
                """UPDATE inventory SET quantity_milli = quantity_milli - 1000, updated_at = ?
                   WHERE product_id = ?""",
                (now, pid),
            )
        conn.execute(
            """INSERT INTO audit_logs (id, user_id, action, entity_type, entity_id, after_data,
               ts) VALUES (?, ?, 'sale.create', 'sale', ?, '{}', ?)""",
            (new_id_str(), user, sale_id, now),
        )
        conn.execute(
            """INSERT INTO sync_queue (op_id, kind, entity_id, payload, client_ts, created_at)
               VALUES (?, 'transaction.create', ?, ?, ?, ?)""",
            (new_id_str(), sale_id, json.dumps({"movements": moves}), now, now),
        )
        conn.execute("COMMIT")

    try:
        return timed(n, one)
    finally:
        conn.close()


def report(name: str, samples: list[float], baseline: list[float] | None) -> None:
    total = sum(samples)
    rate = len(samples) / total
    q = statistics.quantiles(samples, n=100)
    ratio = "" if baseline is None else f"{rate / (len(baseline) / sum(baseline)):.2f}x"
    print(f"{name:<22}{rate:>10.0f}{q[49] * 1000:>10.3f}{q[98] * 1000:>10.3f}{ratio:>12}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument("--products", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base_full = bench_baseline(folder, args.sales, args.products, "FULL")
        base_normal = bench_baseline(folder, args.sales, args.products, "NORMAL")
        store_full = bench_store(folder, args.sales, args.products, durable=True)
        store_normal = bench_store(folder, args.sales, args.products, durable=False)
        api = bench_api(folder, args.sales, args.products)
    print(
        f"{args.sales} sales of 5 lines, {args.products} products, files in {tempfile.gettempdir()}"
    )
    print(f"{'':<22}{'sales/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs baseline':>12}")
    report("baseline FULL", base_full, None)
    report("baseline NORMAL", base_normal, None)
    report("store FULL (durable)", store_full, base_full)
    report("store NORMAL", store_normal, base_normal)
    report("api FULL (ASGI)", api, base_full)
    full = statistics.median(store_full)
    normal = statistics.median(store_normal)
    print(
        f"synchronous=FULL costs {(full - normal) * 1000:.3f} ms per sale at p50 "
        f"({full / normal:.2f}x NORMAL) through the store"
    )


if __name__ == "__main__":
    main()
