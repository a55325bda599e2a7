"""A ticket sold at caja 1 is taken back at caja 2 of the same sede (issue 12 item 6).

Two activated cajas against a live cloud: caja 2 finds caja 1's ticket through the cloud
(GET /api/sales/lookup), stores it without queueing anything or moving its stock, returns
part of it, and pushes only the return; stock converges everywhere and the cloud applies it.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest

from stocky.cloud.embedded import libpq_url
from stocky.core.receipts import format_receipt
from stocky.edge.api.app import PREFIX, create_local_app
from stocky.edge.config import EdgeSettings
from stocky.edge.pos.imported import CloudLookupUnavailableError, find_sale
from stocky.edge.pos.returns import record_return
from stocky.edge.pos.schemas import ReturnCreate
from stocky.edge.shifts.schemas import ShiftOpen
from stocky.edge.shifts.service import open_shift
from stocky.edge.store import Store, utc_now
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from stocky.edge.sync.push import PushWorker
from tests.edge.sync.live_shop import PASSWORD, Shop, open_store, seed_shop, sell
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio


def creds(store: Store) -> tuple[str, str, str]:
    row = store.read(
        lambda c: c.execute(
            "SELECT device_credential, sede_id, device_id FROM sede_info"
        ).fetchone()
    )
    return row[0], row[1], row[2]


async def push(store: Store, url: str) -> None:
    credential, sede, device = creds(store)
    client = CloudClient(url, credential)
    try:
        await PushWorker(store, client, sede_id=sede, device_id=device).run_once(
            ignore_backoff=True
        )
    finally:
        await client.aclose()


async def pull(store: Store, url: str) -> None:
    credential, sede, _ = creds(store)
    client = CloudClient(url, credential)
    try:
        outcome = await PullWorker(store, client, sede_id=sede).run_once()
        assert not outcome.failed
    finally:
        await client.aclose()


def one(store: Store, sql: str, *params: object) -> object:
    return store.read(lambda c: c.execute(sql, params).fetchone()[0])


def stock(store: Store, product: str) -> int:
    return int(one(store, "SELECT quantity_milli FROM inventory WHERE product_id = ?", product))


def receipt_of(store: Store, sale_id: str) -> str:
    row = store.read(
        lambda c: c.execute(
            "SELECT receipt_prefix, number FROM sales WHERE id = ?", (sale_id,)
        ).fetchone()
    )
    return format_receipt(row[0], row[1])


def queue_kinds(store: Store) -> list[str]:
    rows = store.read(lambda c: c.execute("SELECT kind FROM sync_queue ORDER BY seq").fetchall())
    return [r[0] for r in rows]


def cloud(database: DatabaseUrls, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        return list(conn.execute(sql, params).fetchall())


def local_api(store: Store, data_dir: Path) -> httpx.AsyncClient:
    app = create_local_app(store, EdgeSettings(data_dir=data_dir))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://127.0.0.1{PREFIX}"
    )


async def opening(shop: Shop, quantity: str) -> None:
    async with httpx.AsyncClient(base_url=shop.url, headers=shop.owner) as http:
        r = await http.post(
            f"/api/inventory/{shop.sede}/opening",
            json={"lines": [{"sku": "ARZ", "quantity": quantity}]},
        )
        assert r.status_code == 201, r.text


async def test_a_ticket_of_caja_1_is_returned_at_caja_2(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    shop = seed_shop(live_cloud, tmp_path / "c1", tmp_path / "c2")
    await opening(shop, "10")
    c1, c2 = (open_store(d) for d in shop.data_dirs)
    try:
        for store in (c1, c2):
            await pull(store, live_cloud)
        assert stock(c1, shop.product) == stock(c2, shop.product) == 10_000

        pulled_first = sell(c1, shop, "3")
        looked_up_first = sell(c1, shop, "2")
        await push(c1, live_cloud)
        receipts = [receipt_of(c1, s) for s in (pulled_first, looked_up_first)]
        assert receipts[0].startswith("C0")  # a prefixed, tenant-unique number

        # Sale 1: caja 2 already pulled its movements, as another caja's.
        await pull(c2, live_cloud)
        assert stock(c2, shop.product) == 5_000
        c2_queue = queue_kinds(c2)
        moves_before = one(c2, "SELECT count(*) FROM transactions")
        assert await find_sale(c2, receipts[0]) == pulled_first
        assert stock(c2, shop.product) == 5_000  # nothing counted twice
        assert one(c2, "SELECT count(*) FROM transactions") == moves_before
        assert queue_kinds(c2) == c2_queue  # nothing queued: the cloud has it
        assert one(c2, "SELECT origin FROM sales WHERE id = ?", pulled_first) == "cloud"
        # Found again, it is the copy now held here.
        assert await find_sale(c2, receipts[0].lower()) == pulled_first

        # Sale 2 of caja 1, looked up through caja 2's local API before any pull has its
        # movements: they are stored, and still do not move caja 2's stock.
        sale2 = sell(c1, shop, "1")
        await push(c1, live_cloud)
        receipt2 = receipt_of(c1, sale2)
        async with local_api(c2, shop.data_dirs[1]) as api:
            r = await api.post("/login", json={"email": "caja@example.com", "password": PASSWORD})
            assert r.status_code == 200, r.text
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
            r = await api.get("/sales/lookup", params={"receipt": receipt2}, headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["id"] == sale2
            r = await api.get("/sales/lookup", params={"receipt": "C77-000001"}, headers=headers)
            assert r.status_code == 404, r.text
        assert stock(c2, shop.product) == 5_000
        assert queue_kinds(c2) == c2_queue
        await pull(c2, live_cloud)
        assert stock(c2, shop.product) == 4_000
        assert one(c2, "SELECT count(*) FROM transactions WHERE sale_id = ?", sale2) == 1

        # Caja 2 takes back 1 of the 3 of sale 1, then pushes: only its own ops go.
        user = str(one(c2, "SELECT id FROM users WHERE email = 'caja@example.com'"))

        def give_back(conn: sqlite3.Connection) -> str:
            open_shift(conn, ShiftOpen(opening_float=Decimal("50000")), user_id=user, now=utc_now())
            line = conn.execute(
                "SELECT id FROM transactions WHERE sale_id = ? AND type = 'sale'", (pulled_first,)
            ).fetchone()[0]
            cmd = ReturnCreate.model_validate(
                {"sale_id": pulled_first, "lines": [{"line_id": line, "quantity": "1"}]}
            )
            return record_return(conn, cmd, user_id=user, now=utc_now()).id

        return_id = c2.write(give_back)
        assert stock(c2, shop.product) == 5_000
        await push(c2, live_cloud)
        assert one(c2, "SELECT count(*) FROM sync_queue WHERE status <> 'synced'") == 0
        assert queue_kinds(c2) == ["shift.open", "transaction.create"]

        statuses = cloud(
            database, "SELECT status FROM sync_ops WHERE entity_id::text = %s", return_id
        )
        assert statuses == [("applied",)]
        # Nothing was pushed twice: each sale once in the cloud, from caja 1, as one op.
        sales = cloud(
            database,
            "SELECT count(*), count(DISTINCT device_id) FROM sales WHERE sede_id::text = %s",
            shop.sede,
        )
        assert sales == [(3, 1)]
        ops = cloud(
            database,
            "SELECT count(*) FROM sync_ops WHERE entity_id::text = ANY(%s)",
            [pulled_first, looked_up_first, sale2],
        )
        assert ops == [(3,)]
        (quantity,) = cloud(
            database,
            "SELECT quantity FROM inventory WHERE sede_id::text = %s AND product_id::text = %s",
            shop.sede,
            shop.product,
        )[0]
        assert Decimal(quantity) == Decimal("5.000")  # 10 - 3 - 2 - 1 + 1
        for store in (c1, c2):
            await pull(store, live_cloud)
            assert stock(store, shop.product) == 5_000
        assert one(c2, "SELECT status FROM sales WHERE id = ?", pulled_first) == (
            "partially_returned"
        )
        # Caja 2's own sequence is untouched by the tickets it holds of caja 1.
        assert one(c2, "SELECT count(*) FROM sales WHERE origin = 'local'") == 0
    finally:
        c1.close()
        c2.close()


async def test_offline_and_not_here_says_so(live_cloud: str, tmp_path: Path) -> None:
    shop = seed_shop(live_cloud, tmp_path / "c1")
    store = open_store(shop.data_dir)
    try:
        store.write(lambda c: c.execute("UPDATE sede_info SET cloud_url = 'http://127.0.0.1:9'"))
        with pytest.raises(CloudLookupUnavailableError):
            await find_sale(store, "C09-000001", seconds=1.0)
        assert await find_sale(store, "nonsense") is None
    finally:
        store.close()
