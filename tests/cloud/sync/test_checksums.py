"""The last page of a pull carries per-table checksums consistent with its cursor; re-fetch
serves a table's current rows by key."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import psycopg
import pytest

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.sync.checksums import refetch_page, table_checksums
from stocky.cloud.sync.pull import pull_changes
from stocky.core.sync import (
    CHECKSUM_TABLES,
    Cursor,
    PullResponse,
    RefetchResponse,
    table_checksum,
)
from tests.cloud.sync.conftest import SyncWorld
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio


def _milli(value: Decimal | None) -> str:
    return "" if value is None else str(int(value * 1000))


def expected(owner_url: str, tenant: uuid.UUID, sede: uuid.UUID) -> dict[str, str]:
    """The checksums computed in Python from the rows themselves (stocky.core.sync rules)."""
    with psycopg.connect(libpq_url(owner_url)) as conn:
        q = conn.execute
        rows = {
            "products": [
                f"{i}:{v}"
                for i, v in q("SELECT id, version FROM products WHERE tenant_id = %s", (tenant,))
            ],
            "product_barcodes": [
                f"{b}:{p}"
                for b, p in q(
                    "SELECT barcode, product_id FROM product_barcodes WHERE tenant_id = %s",
                    (tenant,),
                )
            ],
            "users": [
                f"{i}:{v}"
                for i, v in q("SELECT id, version FROM users WHERE tenant_id = %s", (tenant,))
            ],
            "inventory": [
                f"{p}:{_milli(qty)}:{_milli(low)}:{_milli(high)}"
                for p, qty, low, high in q(
                    "SELECT product_id, quantity, min_stock, max_stock FROM inventory"
                    " WHERE tenant_id = %s AND sede_id = %s",
                    (tenant, sede),
                )
            ],
        }
    return {table: table_checksum(values) for table, values in rows.items()}


class Shop:
    def __init__(self, database: DatabaseUrls) -> None:
        self.tenant, self.sede, self.other_sede = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        self.url = libpq_url(database.app_url)
        with self.connect() as conn:
            conn.execute(
                "INSERT INTO tenants (id, name, slug) VALUES (%s, 'T', %s)",
                (self.tenant, str(self.tenant)),
            )
            for sede in (self.sede, self.other_sede):
                conn.execute(
                    "INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, %s)",
                    (self.tenant, sede, str(sede)),
                )

    def connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.url)
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", (str(self.tenant),))
        return conn

    def product(self, conn: psycopg.Connection, sku: str, *, stock: str | None = None) -> uuid.UUID:
        pid = uuid.uuid4()
        conn.execute(
            "INSERT INTO products (tenant_id, id, sku, name, price, barcode)"
            " VALUES (%s, %s, %s, %s, 1, %s)",
            (self.tenant, pid, sku, f"P {sku}", f"77{sku}"),
        )
        conn.execute(
            "INSERT INTO product_barcodes (tenant_id, barcode, product_id) VALUES (%s, %s, %s)",
            (self.tenant, f"B-{sku}", pid),
        )
        if stock is not None:
            for sede, qty in ((self.sede, stock), (self.other_sede, "999")):
                conn.execute(
                    "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity, max_stock)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (self.tenant, sede, pid, qty, "50.5" if sku.endswith("1") else None),
                )
        return pid


@pytest.fixture
def shop(database: DatabaseUrls) -> Shop:
    made = Shop(database)
    with made.connect() as conn:
        for n in range(7):
            made.product(conn, f"S{n}", stock=f"{n}.25")
        conn.execute(
            "INSERT INTO users (tenant_id, id, email, name, role, password_hash)"
            " VALUES (%s, %s, 'a@b.co', 'A',"
            " 'cashier', 'x')",
            (made.tenant, uuid.uuid4()),
        )
    return made


async def pull_to_end(
    sm: SessionMaker, shop: Shop, cursor: str | None = None, limit: int = 4
) -> list[PullResponse]:
    pages: list[PullResponse] = []
    while True:
        async with tenant_transaction(sm, shop.tenant) as session:
            page = await pull_changes(
                session, tenant_id=shop.tenant, sede_id=shop.sede, cursor_token=cursor, limit=limit
            )
        pages.append(page)
        cursor = page.cursor
        if not page.has_more:
            return pages


class TestChecksums:
    async def test_last_page_carries_every_tables_sum(
        self, app_sessionmaker: SessionMaker, database: DatabaseUrls, shop: Shop
    ) -> None:
        pages = await pull_to_end(app_sessionmaker, shop)
        assert len(pages) > 2
        assert all(page.checksums is None for page in pages[:-1]), "only the last page"
        assert pages[-1].checksums == expected(database.owner_url, shop.tenant, shop.sede)
        assert set(pages[-1].checksums) == set(CHECKSUM_TABLES)

    async def test_an_empty_pull_at_the_end_still_carries_them(
        self, app_sessionmaker: SessionMaker, database: DatabaseUrls, shop: Shop
    ) -> None:
        pages = await pull_to_end(app_sessionmaker, shop, limit=500)
        again = await pull_to_end(app_sessionmaker, shop, cursor=pages[-1].cursor)
        assert again[-1].changes == []
        assert again[-1].checksums == expected(database.owner_url, shop.tenant, shop.sede)

    async def test_table_with_rows_the_feed_has_not_served_is_left_out(
        self, app_sessionmaker: SessionMaker, database: DatabaseUrls, shop: Shop
    ) -> None:
        """A slow writer holds xmin back: a faster commit is in the table but not served."""
        cursor = (await pull_to_end(app_sessionmaker, shop))[-1].cursor
        slow, fast = shop.connect(), shop.connect()
        try:
            slow.execute("UPDATE users SET name = 'slow' WHERE tenant_id = %s", (shop.tenant,))
            shop.product(fast, "FAST")
            fast.commit()
            pages = await pull_to_end(app_sessionmaker, shop, cursor)
            assert pages[-1].changes == [], "nothing past the slow writer is served"
            sums = pages[-1].checksums
            assert sums is not None
            assert "products" not in sums
            assert "product_barcodes" not in sums
            assert "inventory" in sums, "the new product has no stock row: nothing unserved"
            slow.commit()
        finally:
            slow.close()
            fast.close()
        pages = await pull_to_end(app_sessionmaker, shop, pages[-1].cursor)
        assert pages[-1].checksums == expected(database.owner_url, shop.tenant, shop.sede)

    async def test_another_sedes_stock_change_does_not_hide_ours(
        self, app_sessionmaker: SessionMaker, shop: Shop
    ) -> None:
        cursor = (await pull_to_end(app_sessionmaker, shop))[-1].cursor
        with shop.connect() as conn:
            conn.execute(
                "UPDATE inventory SET quantity = quantity + 1 WHERE sede_id = %s",
                (shop.other_sede,),
            )
        pages = await pull_to_end(app_sessionmaker, shop, cursor)
        assert pages[-1].changes == []
        assert pages[-1].checksums is not None
        assert "inventory" in pages[-1].checksums


class TestRefetch:
    @pytest.mark.parametrize("table", CHECKSUM_TABLES)
    async def test_pages_cover_the_table_in_binary_key_order(
        self, app_sessionmaker: SessionMaker, database: DatabaseUrls, shop: Shop, table: str
    ) -> None:
        with shop.connect() as conn:  # keys whose collation order differs from binary order
            for sku in ("a1", "B2", "_3", "b4"):
                shop.product(conn, sku, stock="1")
        keys: list[str] = []
        after: str | None = None
        pages = 0
        while True:
            async with tenant_transaction(app_sessionmaker, shop.tenant) as session:
                page = await refetch_page(
                    session,
                    tenant_id=shop.tenant,
                    sede_id=shop.sede,
                    device_id=None,
                    epoch="e",
                    table=table,  # type: ignore[arg-type]
                    after=after,
                    limit=3,
                )
            pages += 1
            page_keys = [
                c.entity_id.split(":")[-1] if table == "inventory" else c.entity_id
                for c in page.changes
            ]
            assert all(c.op == "upsert" and c.data for c in page.changes)
            keys += page_keys
            if not page.has_more:
                assert page.upto is None
                break
            assert page.upto == page_keys[-1]
            after = page.upto
        assert keys == sorted(keys, key=lambda k: k.encode())
        assert len(keys) == len(set(keys))
        with psycopg.connect(libpq_url(database.owner_url)) as conn:
            logged = conn.execute(
                "SELECT count(*) FROM sync_logs WHERE tenant_id = %s AND status = 'diverged'"
                " AND details->>'table' = %s",
                (shop.tenant, table),
            ).fetchone()
        assert logged == (1,), "one divergence logged per re-fetch, not per page"
        counts = {"products": 11, "product_barcodes": 11, "users": 1, "inventory": 11}
        assert len(keys) == counts[table]


class TestCache:
    async def test_a_change_after_a_cached_sum_is_summed_again(
        self, app_sessionmaker: SessionMaker, database: DatabaseUrls, shop: Shop
    ) -> None:
        first = (await pull_to_end(app_sessionmaker, shop))[-1]
        again = (await pull_to_end(app_sessionmaker, shop, first.cursor))[-1]
        assert again.checksums == first.checksums, "nothing changed: the cached sums"
        with shop.connect() as conn:
            conn.execute("UPDATE products SET version = version + 1 WHERE sku = 'S3'")
            conn.execute(
                "UPDATE inventory SET quantity = quantity - 1 WHERE sede_id = %s", (shop.sede,)
            )
        later = (await pull_to_end(app_sessionmaker, shop, again.cursor))[-1]
        assert later.checksums == expected(database.owner_url, shop.tenant, shop.sede)
        assert later.checksums is not None
        assert first.checksums is not None
        assert later.checksums["products"] != first.checksums["products"]
        assert later.checksums["users"] == first.checksums["users"]

    async def test_a_caja_behind_a_cached_sum_gets_no_stale_one(
        self, app_sessionmaker: SessionMaker, database: DatabaseUrls, shop: Shop
    ) -> None:
        """A sum cached at a later position is not handed to a caja that has not been
        served the changes in between."""
        early = (await pull_to_end(app_sessionmaker, shop, limit=500))[-1]
        with shop.connect() as conn:
            shop.product(conn, "LATE", stock="3")
        late = (await pull_to_end(app_sessionmaker, shop, early.cursor))[-1]
        assert late.checksums == expected(database.owner_url, shop.tenant, shop.sede)
        async with tenant_transaction(app_sessionmaker, shop.tenant) as session:
            behind = await table_checksums(
                session,
                tenant_id=shop.tenant,
                sede_id=shop.sede,
                cursor=Cursor.decode(early.cursor),
            )
        assert "products" not in behind
        assert "inventory" not in behind
        assert behind["users"] == late.checksums["users"]  # type: ignore[index]


class TestRefetchApi:
    async def test_a_caja_refetches_its_sede_and_the_admin_sees_the_divergence(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        body = {"sede_id": str(world.shop.sede_id), "table": "products", "limit": 1}
        r = await client.post("/api/sync/refetch", json=body, headers=world.caja.headers)
        assert r.status_code == 200, r.text
        page = RefetchResponse.model_validate(r.json())
        assert page.has_more
        assert page.upto == page.changes[0].entity_id
        assert page.changes[0].data is not None
        assert page.changes[0].data["sku"] in {"ARZ-500", "QSO-KG"}
        r = await client.post(
            "/api/sync/refetch", json={**body, "after": page.upto}, headers=world.caja.headers
        )
        assert RefetchResponse.model_validate(r.json()).upto is None

        other = {**body, "sede_id": str(uuid.uuid4())}
        r = await client.post("/api/sync/refetch", json=other, headers=world.caja.headers)
        assert r.status_code == 403
        r = await client.post(
            "/api/sync/refetch", json={**body, "table": "sales"}, headers=world.caja.headers
        )
        assert r.status_code == 422

        status = (await client.get("/api/sync/status", headers=world.shop.owner)).json()
        assert [s["divergences_last_24h"] for s in status["sedes"]] == [1]
