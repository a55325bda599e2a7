"""One activated caja against a live cloud, driven through its real local API.

For property tests that build the expensive world once (tenant, sede, manager, activated
caja, local API app) and run many examples in it: each example adds fresh products, drives
the caja over HTTP (ASGI transport on the caja's own app), drains its outbox with the real
push and pull workers, and reads both sides (the caja's SQLite, the cloud's PostgreSQL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from stocky.cloud.embedded import libpq_url
from stocky.core.money import milli_to_quantity
from stocky.edge.activation.service import activate
from stocky.edge.api.app import PREFIX, create_local_app
from stocky.edge.config import EdgeSettings, store_path
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from stocky.edge.sync.push import PushWorker
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin
from tests.fixtures.database import DatabaseUrls

MANAGER_EMAIL = "gerente@example.com"
# How many push rounds a drain may take before the queue counts as stuck.
DRAIN_ROUNDS = 8
_skus = itertools.count()


def property_settings(default_examples: int) -> hypothesis_settings:
    """Small by default; STOCKY_PROPERTY_EXAMPLES raises it for long runs.

    Each example costs real pushes and pulls (~0.3 s), so shrinking a failure can take
    minutes: it is off unless STOCKY_PROPERTY_SHRINK=1 (the failure messages list every op
    and what each side answered, which is usually enough without it).
    """
    phases = list(Phase)
    if os.environ.get("STOCKY_PROPERTY_SHRINK") != "1":
        phases.remove(Phase.shrink)
    return hypothesis_settings(
        max_examples=int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", default_examples)),
        phases=phases,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
        ],
    )


def dumps(body: Any) -> bytes:
    """JSON as a client might send it: ASCII escapes, so even a lone surrogate gets through."""
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


@dataclass(frozen=True)
class Product:
    id: str
    unit: str  # "unit" or "weight"
    price_cents: int
    tax_rate: str


@dataclass
class DrainReport:
    rounds: int = 0
    failures: list[str] = field(default_factory=list)
    pending_left: int = 0
    pull_failed: bool = False


@dataclass
class LiveCaja:
    url: str
    database: DatabaseUrls
    admin: CloudAdmin
    sede: str
    manager_id: str
    device_id: str
    credential: str
    store: Store
    data_dir: Path
    token: str = ""

    # World -------------------------------------------------------------------------------

    @classmethod
    def build(cls, url: str, database: DatabaseUrls, data_dir: Path) -> LiveCaja:
        """Signup, one sede with a manager, one activated caja with its store open."""
        admin = CloudAdmin.signup(url, "Tienda Propiedades", "dueno@example.com")
        sede = admin.sede("Centro")
        manager_id = admin.user(MANAGER_EMAIL, "Gerente", "manager", sede)
        done = activate(
            cloud_url=url, code=admin.activation_code(sede), data_dir=data_dir, device_name="C1"
        )
        store = Store.open(store_path(data_dir))
        credential = store.read(
            lambda c: c.execute("SELECT device_credential FROM sede_info").fetchone()[0]
        )
        return cls(
            url, database, admin, sede, manager_id, done.device_id, credential, store, data_dir
        )

    def close(self) -> None:
        self.store.close()

    def local_api(self) -> httpx.AsyncClient:
        """The caja's real local API app, over an ASGI transport (no network between)."""
        app = create_local_app(self.store, EdgeSettings(data_dir=self.data_dir))
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://127.0.0.1{PREFIX}"
        )

    async def login(self, api: httpx.AsyncClient) -> dict[str, str]:
        if not self.token:
            r = await api.post("/login", json={"email": MANAGER_EMAIL, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.token = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}

    def new_product(self, unit: str, price_cents: int, tax_rate: str = "0") -> Product:
        """A product created in the cloud (the caja gets it on its next pull)."""
        n = next(_skus)
        pid = self.admin.product(
            sku=f"P{n}",
            name=f"Producto {n}",
            price=str(Decimal(price_cents) / 100),
            unit=unit,
            tax_rate=tax_rate,
        )
        return Product(pid, unit, price_cents, tax_rate)

    # Sync --------------------------------------------------------------------------------

    async def drain(self) -> DrainReport:
        """Push until the outbox is empty (bounded), then pull until the feed is exhausted."""
        report = DrainReport()
        client = CloudClient(self.url, self.credential)
        try:
            push = PushWorker(self.store, client, sede_id=self.sede, device_id=self.device_id)
            while report.rounds < DRAIN_ROUNDS and self.pending() > 0:
                report.rounds += 1
                outcome = await push.run_once(ignore_backoff=True)
                if outcome.failed:
                    error = self.store.read(
                        lambda c: c.execute(
                            "SELECT value FROM sync_state WHERE key = 'last_push_error'"
                        ).fetchone()
                    )
                    report.failures.append(str(error[0] if error else "push failed"))
            report.pending_left = self.pending()
            pull = PullWorker(self.store, client, sede_id=self.sede)
            outcome = await pull.run_once()
            report.pull_failed = outcome.failed
        finally:
            await client.aclose()
        return report

    async def learn(self, product_ids: list[str], timeout: float = 20.0) -> None:
        """Pull until the caja holds these products. The feed serves only what commits below
        the cluster's oldest open transaction, so on a shared server a fresh row may take a
        few pulls to arrive."""
        deadline = time.monotonic() + timeout
        marks = ", ".join("?" * len(product_ids))
        while True:
            report = await self.drain()
            assert not report.pull_failed, "pull failed"
            known = self.store.read(
                lambda c: c.execute(
                    f"SELECT count(*) FROM products WHERE id IN ({marks})", product_ids
                ).fetchone()[0]
            )
            if known == len(product_ids):
                return
            assert time.monotonic() < deadline, f"the caja never pulled {product_ids}"
            await asyncio.sleep(0.1)

    def pending(self) -> int:
        return int(
            self.store.read(
                lambda c: c.execute(
                    "SELECT count(*) FROM sync_queue WHERE status = 'pending'"
                ).fetchone()[0]
            )
        )

    def quarantine_pending(self) -> int:
        """Take ops a failed example left pending out of the queue, so the next example starts
        clean (the example that left them has already failed on them)."""

        def mark(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "UPDATE sync_queue SET status = 'rejected', "
                "last_error = 'left pending by an earlier test example' WHERE status = 'pending'"
            )
            return cur.rowcount

        return int(self.store.write(mark))

    # Reading both sides ------------------------------------------------------------------

    def queue(self, op_ids: list[str]) -> dict[str, sqlite3.Row]:
        if not op_ids:
            return {}
        marks = ", ".join("?" * len(op_ids))
        rows = self.store.read(
            lambda c: c.execute(
                "SELECT op_id, kind, status, last_error, result, payload FROM sync_queue "
                f"WHERE op_id IN ({marks})",
                op_ids,
            ).fetchall()
        )
        return {r["op_id"]: r for r in rows}

    def caja_stock(self, product_id: str) -> Decimal:
        row = self.store.read(
            lambda c: c.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?", (product_id,)
            ).fetchone()
        )
        return milli_to_quantity(row[0]) if row else Decimal("0.000")

    def caja_movements(self, product_id: str) -> Decimal:
        total = self.store.read(
            lambda c: c.execute(
                "SELECT coalesce(sum(quantity_milli), 0) FROM transactions WHERE product_id = ?",
                (product_id,),
            ).fetchone()[0]
        )
        return milli_to_quantity(int(total))

    def _pg(self) -> psycopg.Connection[Any]:
        return psycopg.connect(libpq_url(self.database.owner_url))

    def cloud_ops(self, op_ids: list[str]) -> dict[str, tuple[str, Any]]:
        """op_id -> (status, result) as the cloud recorded it in sync_ops."""
        if not op_ids:
            return {}
        with self._pg() as conn:
            rows = conn.execute(
                "SELECT op_id::text, status, result FROM sync_ops WHERE op_id::text = ANY(%s)",
                (op_ids,),
            ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def cloud_stock(self, product_id: str) -> tuple[Decimal, Decimal]:
        """(inventory.quantity, sum of transactions.quantity) for this sede and product."""
        with self._pg() as conn:
            stock = conn.execute(
                "SELECT quantity FROM inventory WHERE sede_id = %s AND product_id = %s",
                (self.sede, product_id),
            ).fetchone()
            moves = conn.execute(
                "SELECT coalesce(sum(quantity), 0) FROM transactions "
                "WHERE sede_id = %s AND product_id = %s",
                (self.sede, product_id),
            ).fetchone()
        return (Decimal(stock[0]) if stock else Decimal(0)), Decimal(moves[0])


def run_examples(
    caja: LiveCaja, examples: int, example: Callable[[LiveCaja, st.DataObject], Awaitable[None]]
) -> None:
    """Run an async hypothesis example against one live caja, `examples` times; whatever an
    example left pending is taken out of the queue before the next one."""

    @property_settings(examples)
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        try:
            asyncio.run(example(caja, data))
        finally:
            caja.quarantine_pending()

    try:
        one()
    finally:
        caja.close()
