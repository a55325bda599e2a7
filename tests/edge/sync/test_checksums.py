"""A caja's copy corrupted behind the sync engine's back heals on the next pull.

A real cloud (uvicorn + PostgreSQL) and a real caja SQLite file: the last page of a pull
carries per-table checksums, the caja compares its copy, re-fetches a table that differs,
and counts the divergence (caja status and the cloud's sync log).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.cloud.embedded import libpq_url
from stocky.core.ops import ProductPayload
from stocky.core.sync import CHECKSUM_TABLES, PullRequest, RefetchRequest
from stocky.edge.outbox import append_op
from stocky.edge.store import Store, utc_now
from stocky.edge.sync.apply import pull_state
from stocky.edge.sync.checksums import apply_refetch, local_checksum
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullOutcome, PullWorker
from stocky.edge.sync.status import caja_status
from tests.edge.sync.live_shop import Shop, open_store, seed_shop
from tests.fixtures.database import DatabaseUrls

PRODUCTS = 6
_strays = itertools.count()


@dataclass
class Caja:
    shop: Shop
    store: Store
    database: DatabaseUrls
    tenant: str
    credential: str
    products: list[str]

    def pull(self, limit: int = 4) -> PullOutcome:
        async def run() -> PullOutcome:
            client = CloudClient(self.shop.url, self.credential)
            try:
                return await PullWorker(
                    self.store, client, sede_id=self.shop.sede, limit=limit
                ).run_once()
            finally:
                await client.aclose()

        return asyncio.run(run())

    def cloud_checksums(self) -> dict[str, str]:
        """The cloud's sums at the caja's cursor (nothing new was committed meanwhile)."""

        async def run() -> dict[str, str]:
            cursor, _ = self.store.read(pull_state)
            client = CloudClient(self.shop.url, self.credential)
            try:
                page = await client.pull(
                    PullRequest(sede_id=uuid.UUID(self.shop.sede), cursor=cursor)
                )
            finally:
                await client.aclose()
            assert page.changes == []
            assert page.checksums is not None
            return page.checksums

        return asyncio.run(run())

    def local_checksums(self) -> dict[str, str]:
        return {t: self.store.read(lambda c, t=t: local_checksum(c, t)) for t in CHECKSUM_TABLES}

    def corrupt(self, fn: Callable[[sqlite3.Connection], object]) -> None:
        """Write directly to the SQLite file, behind the store's and the engine's back."""
        conn = sqlite3.connect(self.store.path)
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            with conn:
                fn(conn)
        finally:
            conn.close()

    def cloud(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with psycopg.connect(libpq_url(self.database.owner_url)) as conn:
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (self.tenant,))
            cur = conn.execute(sql, args)
            return cur.fetchall() if cur.description else []


@pytest.fixture
def caja(live_cloud: str, database: DatabaseUrls, tmp_path: Path) -> Iterator[Caja]:
    shop = seed_shop(live_cloud, tmp_path / "c1")
    products = [shop.product]
    for n in range(PRODUCTS - 1):
        r = httpx.post(
            f"{live_cloud}/api/products",
            json={"sku": f"S{n}", "name": f"Producto {n}", "price": "100.00", "barcode": f"77{n}"},
            headers=shop.owner,
        )
        assert r.status_code == 201, r.text
        products.append(r.json()["id"])
    store = open_store(shop.data_dir)
    tenant, credential = store.read(
        lambda c: c.execute("SELECT tenant_id, device_credential FROM sede_info").fetchone()
    )
    made = Caja(shop, store, database, tenant, credential, products)
    for n, pid in enumerate(products):  # stock rows and extra barcodes in the cloud
        made.cloud(
            "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity, min_stock, max_stock)"
            " VALUES (%s, %s, %s, %s, 1, %s)",
            tenant,
            shop.sede,
            pid,
            f"{n}.5",
            None if n % 2 else "40",
        )
        made.cloud(
            "INSERT INTO product_barcodes (tenant_id, barcode, product_id) VALUES (%s, %s, %s)",
            tenant,
            f"B{n}",
            pid,
        )
    first = made.pull()
    assert not first.failed
    try:
        yield made
    finally:
        store.close()


def _diverged_logged(caja: Caja) -> list[str]:
    rows = caja.cloud(
        "SELECT details->>'table' FROM sync_logs WHERE tenant_id = %s AND status = 'diverged'"
        " ORDER BY created_at",
        caja.tenant,
    )
    return [str(r[0]) for r in rows]


class TestMatchingCopies:
    def test_a_synced_caja_matches_and_fetches_nothing_more(self, caja: Caja) -> None:
        assert caja.local_checksums() == caja.cloud_checksums()
        outcome = caja.pull()
        assert outcome.diverged == []
        assert outcome.refetched == 0
        assert outcome.pages == 1
        assert caja.store.read(caja_status)["checksum_divergences"] == 0
        assert _diverged_logged(caja) == []


def _stray_product(conn: sqlite3.Connection) -> None:
    n = next(_strays)
    conn.execute(
        "INSERT INTO products (id, sku, name, price_cents, version, last_modified_at)"
        " VALUES (?, ?, 'Stray', 100, 1, '2026-01-01T00:00:00.000000Z')",
        (f"ffffffff-0000-0000-0000-{n:012d}", f"STRAY-{n}"),
    )


class TestCorruptionHeals:
    @pytest.mark.parametrize(
        ("table", "damage"),
        [
            ("products", lambda c, p: c.execute("DELETE FROM products WHERE id = ?", (p[1],))),
            (
                "products",
                lambda c, p: c.execute("UPDATE products SET version = 9 WHERE id = ?", (p[2],)),
            ),
            ("products", lambda c, p: _stray_product(c)),
            ("product_barcodes", lambda c, p: c.execute("DELETE FROM product_barcodes")),
            (
                "product_barcodes",
                lambda c, p: c.execute(
                    "INSERT INTO product_barcodes (barcode, product_id) VALUES ('X', ?)", (p[0],)
                ),
            ),
            ("users", lambda c, p: c.execute("UPDATE users SET version = version + 1")),
            ("users", lambda c, p: c.execute("DELETE FROM users WHERE role = 'cashier'")),
            (
                "inventory",
                lambda c, p: c.execute(
                    "UPDATE inventory SET cloud_quantity_milli = cloud_quantity_milli + 1"
                    " WHERE product_id = ?",
                    (p[3],),
                ),
            ),
            (
                "inventory",
                lambda c, p: c.execute("DELETE FROM inventory WHERE product_id = ?", (p[4],)),
            ),
            ("inventory", lambda c, p: c.execute("UPDATE inventory SET max_milli = NULL")),
        ],
    )
    def test_next_pull_refetches_the_table_and_counts_it(
        self, caja: Caja, table: str, damage: Callable[[sqlite3.Connection, list[str]], object]
    ) -> None:
        before = caja.store.read(
            lambda c: c.execute("SELECT * FROM products ORDER BY id").fetchall()
        )
        caja.corrupt(lambda c: damage(c, caja.products))
        assert caja.local_checksums()[table] != caja.cloud_checksums()[table]

        outcome = caja.pull()

        assert table in outcome.diverged
        assert outcome.refetched > 0
        assert caja.local_checksums() == caja.cloud_checksums()
        status = caja.store.read(caja_status)
        assert status["checksum_divergences"] == len(outcome.diverged)
        assert table in status["last_divergence_tables"]
        assert table in _diverged_logged(caja)
        if table == "products":  # rows come back whole, not just their versions
            after = caja.store.read(
                lambda c: c.execute("SELECT * FROM products ORDER BY id").fetchall()
            )

            def unsynced(rows: list[sqlite3.Row]) -> list[dict[str, object]]:
                return [{k: r[k] for k in r.keys() if k != "synced_at"} for r in rows]

            assert unsynced(after) == unsynced(before)
        assert caja.pull().diverged == [], "healed: the next pull matches"

    def test_stock_keeps_the_cajas_own_unconfirmed_movements(self, caja: Caja) -> None:
        """A stock row shows cloud quantity + own unpushed sales; repair keeps the latter."""
        from tests.edge.sync.live_shop import sell

        sell(caja.store, caja.shop, "2")  # pending: not pushed
        shown = caja.store.read(
            lambda c: c.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?", (caja.products[0],)
            ).fetchone()[0]
        )
        caja.corrupt(
            lambda c: c.execute(
                "UPDATE inventory SET cloud_quantity_milli = 777, quantity_milli = 1"
                " WHERE product_id = ?",
                (caja.products[0],),
            )
        )
        outcome = caja.pull()
        assert outcome.diverged == ["inventory"]
        assert (
            caja.store.read(
                lambda c: c.execute(
                    "SELECT quantity_milli FROM inventory WHERE product_id = ?", (caja.products[0],)
                ).fetchone()[0]
            )
            == shown
        )


def _edit_locally(caja: Caja, pid: str, cents: int) -> None:
    def edit(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT * FROM products WHERE id = ?", (pid,)).fetchone()
        conn.execute("UPDATE products SET price_cents = ? WHERE id = ?", (cents, pid))
        append_op(
            conn,
            entity_id=pid,
            payload=ProductPayload(id=pid, sku=row["sku"], name=row["name"], price=Decimal("1.23")),
            client_ts=utc_now(),
            base_version=row["version"],
        )

    caja.store.write(edit)


class TestPendingOps:
    def test_a_table_with_pending_edits_is_not_compared(self, caja: Caja) -> None:
        _edit_locally(caja, caja.products[0], 123)
        caja.corrupt(
            lambda c: c.execute(
                "UPDATE products SET version = 50 WHERE id = ?", (caja.products[1],)
            )
        )
        outcome = caja.pull()
        assert "products" not in outcome.diverged
        price = caja.store.read(
            lambda c: c.execute(
                "SELECT price_cents FROM products WHERE id = ?", (caja.products[0],)
            ).fetchone()[0]
        )
        assert price == 123, "the local edit is untouched"

    def test_a_refetch_racing_a_local_edit_keeps_it(self, caja: Caja) -> None:
        """An edit queued between the comparison and the re-fetch: its row is kept, and a
        product the caja created (pending, unknown to the cloud) is not swept away."""
        _edit_locally(caja, caja.products[0], 321)
        created = "eeeeeeee-0000-0000-0000-000000000001"

        def create(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO products (id, sku, name, price_cents, last_modified_at)"
                " VALUES (?, 'NEW', 'Nuevo', 500, '2026-01-01T00:00:00.000000Z')",
                (created,),
            )
            append_op(
                conn,
                entity_id=created,
                payload=ProductPayload(id=created, sku="NEW", name="Nuevo", price=Decimal("5.00")),
                client_ts=utc_now(),
            )

        caja.store.write(create)

        async def refetch() -> None:
            client = CloudClient(caja.shop.url, caja.credential)
            after = None
            try:
                while True:
                    page = await client.refetch(
                        RefetchRequest.model_validate(
                            {
                                "sede_id": caja.shop.sede,
                                "table": "products",
                                "after": after,
                                "limit": 2,
                            }
                        )
                    )
                    caja.store.write(
                        lambda c, page=page, after=after: apply_refetch(
                            c, page, after=after, sede_id=caja.shop.sede, now=utc_now()
                        )
                    )
                    if not page.has_more:
                        return
                    after = page.upto
            finally:
                await client.aclose()

        asyncio.run(refetch())
        rows = dict(
            caja.store.read(
                lambda c: c.execute(
                    "SELECT id, price_cents FROM products WHERE id IN (?, ?)",
                    (caja.products[0], created),
                ).fetchall()
            )
        )
        assert rows == {caja.products[0]: 321, created: 500}
        deferred = caja.store.read(
            lambda c: c.execute("SELECT entity_id FROM pull_deferred").fetchall()
        )
        assert [r[0] for r in deferred] == [caja.products[0]], "the cloud's row waits its turn"


DAMAGE = st.sampled_from(
    [
        "delete_product",
        "bump_version",
        "stray_product",
        "delete_barcode",
        "stray_barcode",
        "user_version",
        "stock",
        "delete_stock",
        "thresholds",
    ]
)


def _apply_damage(conn: sqlite3.Connection, kind: str, pid: str, n: int) -> None:
    statements = {
        "delete_product": ("DELETE FROM products WHERE id = ?", (pid,)),
        "bump_version": ("UPDATE products SET version = version + ? WHERE id = ?", (n, pid)),
        "delete_barcode": ("DELETE FROM product_barcodes WHERE product_id = ?", (pid,)),
        "stray_barcode": (
            "INSERT OR IGNORE INTO product_barcodes (barcode, product_id) VALUES (?, ?)",
            (f"Z{n}", pid),
        ),
        "user_version": ("UPDATE users SET version = ?", (n,)),
        "stock": (
            "UPDATE inventory SET cloud_quantity_milli = ? WHERE product_id = ?",
            (n, pid),
        ),
        "delete_stock": ("DELETE FROM inventory WHERE product_id = ?", (pid,)),
        "thresholds": ("UPDATE inventory SET min_milli = ? WHERE product_id = ?", (n, pid)),
    }
    if kind == "stray_product":
        _stray_product(conn)
    else:
        conn.execute(*statements[kind])


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    damages=st.lists(
        st.tuples(DAMAGE, st.integers(0, PRODUCTS - 1), st.integers(1, 10_000)),
        min_size=1,
        max_size=5,
    )
)
def test_any_corruption_heals_in_one_pull(caja: Caja, damages: list[tuple[str, int, int]]) -> None:
    for kind, index, n in damages:
        # A damage the file's own constraints refuse (a barcode for a product an earlier
        # damage deleted) cannot exist on a caja: skip it.
        with contextlib.suppress(sqlite3.IntegrityError):
            caja.corrupt(lambda c, k=kind, i=index, n=n: _apply_damage(c, k, caja.products[i], n))
    caja.pull()
    assert caja.local_checksums() == caja.cloud_checksums()
    assert caja.pull().diverged == []


class TestVerifyInterval:
    def test_unchanged_sums_are_rechecked_only_when_due(self, caja: Caja) -> None:
        """Between full comparisons, only a table whose cloud sum moved is hashed again."""

        async def run() -> tuple[list[str], list[str], list[str]]:
            client = CloudClient(caja.shop.url, caja.credential)
            try:
                worker = PullWorker(caja.store, client, sede_id=caja.shop.sede)
                assert (await worker.run_once()).diverged == []  # full: everything matched
                caja.corrupt(lambda c: c.execute("UPDATE users SET version = 77"))
                quiet = (await worker.run_once()).diverged
                caja.cloud(
                    "UPDATE users SET name = 'Otra', version = version + 1"
                    " WHERE tenant_id = %s AND role = 'cashier'",
                    caja.tenant,
                )
                moved = (await worker.run_once()).diverged
                caja.corrupt(lambda c: c.execute("UPDATE products SET version = 77"))
                worker.verify_seconds = 0
                due = (await worker.run_once()).diverged
                return quiet, moved, due
            finally:
                await client.aclose()

        quiet, moved, due = asyncio.run(run())
        assert quiet == [], "users' cloud sum had not moved: not hashed again yet"
        assert moved == ["users"], "the cloud's users changed: compared, found, repaired"
        assert due == ["products"]
        assert caja.local_checksums() == caja.cloud_checksums()


def test_a_repair_that_cannot_apply_yet_fails_quietly_and_heals_later(caja: Caja) -> None:
    """Products wait on a pending edit while a product's barcodes and stock are repaired:
    they name a product the caja lacks, so that page rolls back; the pull does not raise,
    and once the edit is acknowledged everything heals."""
    _edit_locally(caja, caja.products[0], 555)
    caja.corrupt(lambda c: c.execute("DELETE FROM products WHERE id = ?", (caja.products[1],)))
    outcome = caja.pull()
    assert outcome.failed
    assert outcome.diverged == ["product_barcodes", "inventory"]
    price = caja.store.read(
        lambda c: c.execute(
            "SELECT price_cents FROM products WHERE id = ?", (caja.products[0],)
        ).fetchone()[0]
    )
    assert price == 555
    caja.store.write(lambda c: c.execute("UPDATE sync_queue SET status = 'synced'"))
    outcome = caja.pull()
    assert not outcome.failed
    assert caja.local_checksums() == caja.cloud_checksums()
