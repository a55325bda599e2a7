"""Sync convergence, as a hypothesis state machine over real processes' parts.

Three cajas (two in one sede, one in another) of one tenant sell, receive stock and edit
products while a real cloud (uvicorn on 127.0.0.1, PostgreSQL) edits products too. Pushes
are lost before the cloud commits, lost after it commits, or delivered twice; pulls page in
small steps; cajas restart. When everything has finally been delivered: every movement is
exactly once in the cloud and at its caja, every caja's stock equals the cloud's, which
equals the sum of its movements, and every conflict is logged on both sides.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
    run_state_machine_as_test,
)

from stocky.cloud.embedded import libpq_url
from stocky.core.money import cents_to_money, milli_to_quantity
from stocky.core.ops import ProductPayload
from stocky.edge.activation.service import activate
from stocky.edge.config import store_path
from stocky.edge.inventory.schemas import EntryCreate
from stocky.edge.inventory.service import record_entry
from stocky.edge.outbox import append_op
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store import Store, utc_now
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from stocky.edge.sync.push import PushWorker
from tests.fixtures.database import DatabaseUrls

PASSWORD = "correct horse battery"
FAULTS = ("none", "lost_before", "lost_after", "twice")
_tenants = itertools.count()


class FaultyNetwork(httpx.AsyncBaseTransport):
    """A real HTTP transport to the cloud with one armed fault."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.fault = "none"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault, self.fault = self.fault, "none"
        if fault == "lost_before":
            raise httpx.ConnectError("cable unplugged", request=request)
        body = await request.aread()
        if fault == "twice":
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            first = await self.inner.handle_async_request(copy)
            await first.aread()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if fault == "lost_after":
            raise httpx.ReadError("connection reset after the cloud answered", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class CajaUnderTest:
    name: str
    data_dir: Path
    sede: str
    device_id: str
    credential: str
    cloud_url: str
    network: FaultyNetwork = field(default_factory=FaultyNetwork)
    store: Store | None = None

    def open(self) -> Store:
        if self.store is None:
            self.store = Store.open(store_path(self.data_dir))
        return self.store

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def _workers(self, client: CloudClient) -> tuple[PushWorker, PullWorker]:
        store = self.open()
        push = PushWorker(store, client, sede_id=self.sede, device_id=self.device_id)
        pull = PullWorker(store, client, sede_id=self.sede, limit=7)
        return push, pull

    def push(self, fault: str = "none") -> None:
        async def run() -> None:
            self.network.fault = fault
            client = CloudClient(self.cloud_url, self.credential, transport=self.network)
            push, _ = self._workers(client)
            await push.run_once(ignore_backoff=True)
            self.network.fault = "none"  # unused when nothing was pending
            await client.aclose()

        asyncio.run(run())

    def pull(self) -> None:
        async def run() -> None:
            client = CloudClient(self.cloud_url, self.credential, transport=self.network)
            _, pull = self._workers(client)
            outcome = await pull.run_once()
            assert not outcome.failed
            await client.aclose()

        asyncio.run(run())

    def read(self, sql: str, *args: object) -> list[sqlite3.Row]:
        return self.open().read(lambda c: c.execute(sql, args).fetchall())


class ConvergenceMachine(RuleBasedStateMachine):
    cloud_url: str
    database: DatabaseUrls
    workdir: Path

    @initialize()
    def seed(self) -> None:
        n = next(_tenants)
        url = self.cloud_url
        r = httpx.post(
            f"{url}/api/signup",
            json={"tenant_name": f"T{n}", "email": f"o{n}@example.com", "password": PASSWORD},
        )
        assert r.status_code == 201, r.text
        self.tenant = r.json()["tenant"]["id"] if "tenant" in r.json() else None
        self.owner = {"Authorization": f"Bearer {r.json()['tokens']['access_token']}"}
        sedes = [
            httpx.post(f"{url}/api/sedes", json={"name": name}, headers=self.owner).json()["id"]
            for name in ("Centro", "Norte")
        ]
        self.cashier = httpx.post(
            f"{url}/api/users",
            json={
                "email": f"c{n}@example.com",
                "name": "Caja",
                "password": PASSWORD,
                "role": "cashier",
                "sede_id": sedes[0],
            },
            headers=self.owner,
        ).json()["id"]
        self.products = []
        for i, unit in enumerate(("unit", "weight")):
            p = httpx.post(
                f"{url}/api/products",
                json={"sku": f"P{i}", "name": f"Producto {i}", "price": "1000.00", "unit": unit},
                headers=self.owner,
            )
            assert p.status_code == 201, p.text
            self.products.append(p.json()["id"])
        self.cajas: list[CajaUnderTest] = []
        for i, sede in enumerate((sedes[0], sedes[0], sedes[1])):
            code = httpx.post(
                f"{url}/api/sedes/{sede}/activation-codes", headers=self.owner
            ).json()["code"]
            data_dir = self.workdir / f"t{n}-caja{i}"
            done = activate(cloud_url=url, code=code, data_dir=data_dir, device_name=f"Caja {i}")
            conn = sqlite3.connect(store_path(data_dir))
            credential = conn.execute("SELECT device_credential FROM sede_info").fetchone()[0]
            conn.close()
            self.cajas.append(
                CajaUnderTest(f"caja{i}", data_dir, sede, done.device_id, credential, url)
            )

    def teardown(self) -> None:
        for caja in getattr(self, "cajas", []):
            caja.close()

    @rule(caja=st.integers(0, 2), product=st.integers(0, 1), qty=st.integers(1, 4000))
    def sell(self, caja: int, product: int, qty: int) -> None:
        quantity = str(qty) if product == 0 else str(milli_to_quantity(qty))
        cmd = SaleCreate.model_validate(
            {
                "lines": [{"product_id": self.products[product], "quantity": quantity}],
                "payments": [{"method": "cash", "amount": "99999999"}],
            }
        )
        self.cajas[caja].open().write(
            lambda c: record_sale(c, cmd, user_id=self.cashier, now=utc_now())
        )

    @rule(caja=st.integers(0, 2), product=st.integers(0, 1), qty=st.integers(1, 50))
    def receive_stock(self, caja: int, product: int, qty: int) -> None:
        cmd = EntryCreate.model_validate(
            {
                "lines": [
                    {
                        "product_id": self.products[product],
                        "quantity": str(qty),
                        "unit_cost": "500.00",
                    }
                ]
            }
        )
        self.cajas[caja].open().write(
            lambda c: record_entry(c, cmd, user_id=self.cashier, now=utc_now())
        )

    @rule(caja=st.integers(0, 2), fault=st.sampled_from(FAULTS))
    def push(self, caja: int, fault: str) -> None:
        self.cajas[caja].push(fault)

    @rule(caja=st.integers(0, 2))
    def pull(self, caja: int) -> None:
        self.cajas[caja].pull()

    @rule(caja=st.integers(0, 2))
    def restart(self, caja: int) -> None:
        self.cajas[caja].close()

    @rule(product=st.integers(0, 1), cents=st.integers(100, 900_000))
    def cloud_edits_product(self, product: int, cents: int) -> None:
        pid = self.products[product]
        current = httpx.get(f"{self.cloud_url}/api/products/{pid}", headers=self.owner).json()
        r = httpx.patch(
            f"{self.cloud_url}/api/products/{pid}",
            json={"version": current["version"], "price": str(cents_to_money(cents))},
            headers=self.owner,
        )
        assert r.status_code == 200, r.text

    @rule(caja=st.integers(0, 2), product=st.integers(0, 1), cents=st.integers(100, 900_000))
    def caja_edits_product(self, caja: int, product: int, cents: int) -> None:
        """An edit made at the caja: the local row and its versioned op in one write."""
        pid = self.products[product]
        price = str(cents_to_money(cents))

        def edit(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT * FROM products WHERE id = ?", (pid,)).fetchone()
            conn.execute("UPDATE products SET price_cents = ? WHERE id = ?", (cents, pid))
            payload = {
                "id": pid,
                "sku": row["sku"],
                "name": row["name"],
                "price": price,
                "unit": row["unit"],
                "tax_rate": row["tax_rate"],
            }
            append_op(
                conn,
                entity_id=pid,
                payload=ProductPayload.model_validate(payload),
                client_ts=utc_now(),
                base_version=row["version"],
            )

        self.cajas[caja].open().write(edit)

    def check_convergence(self) -> None:
        # Deliver everything: no faults, every caja pushes, then every caja pulls.
        for caja in self.cajas:
            caja.push()
            caja.push()
        for caja in self.cajas:
            caja.pull()
        with psycopg.connect(libpq_url(self.database.owner_url)) as conn:
            tenant = conn.execute(
                "SELECT tenant_id FROM devices WHERE id = %s", (self.cajas[0].device_id,)
            ).fetchone()[0]
            cloud_moves = {
                str(r[0]): (str(r[1]), str(r[2]), Decimal(r[3]))
                for r in conn.execute(
                    "SELECT id, sede_id, product_id, quantity FROM transactions "
                    "WHERE tenant_id = %s",
                    (tenant,),
                )
            }
            cloud_stock = {
                (str(r[0]), str(r[1])): Decimal(r[2])
                for r in conn.execute(
                    "SELECT sede_id, product_id, quantity FROM inventory WHERE tenant_id = %s",
                    (tenant,),
                )
            }
            conflicts = {
                str(r[0])
                for r in conn.execute(
                    "SELECT op_id FROM sync_ops WHERE tenant_id = %s AND status = 'conflict'",
                    (tenant,),
                )
            }
        # Stock is the sum of movements, per sede and product.
        sums: dict[tuple[str, str], Decimal] = {}
        for sede, product, qty in cloud_moves.values():
            sums[(sede, product)] = sums.get((sede, product), Decimal(0)) + qty
        for key, qty in sums.items():
            assert cloud_stock.get(key, Decimal(0)) == qty, key
        for caja in self.cajas:
            pending = caja.read("SELECT count(*) FROM sync_queue WHERE status = 'pending'")[0][0]
            assert pending == 0, caja.name
            local = caja.read("SELECT id, quantity_milli FROM transactions")
            own = caja.read(
                "SELECT t.id FROM transactions t WHERE t.document_id IN "
                "(SELECT entity_id FROM sync_queue WHERE kind = 'transaction.create')"
            )
            for row in own:
                assert row[0] in cloud_moves, (
                    f"{caja.name} movement {row[0]} never reached the cloud"
                )
            sede_moves = {k for k, v in cloud_moves.items() if v[0] == caja.sede}
            assert {r[0] for r in local} == sede_moves, f"{caja.name} sees its sede's movements"
            for product in self.products:
                row = caja.read(
                    "SELECT quantity_milli FROM inventory WHERE product_id = ?", product
                )
                shown = milli_to_quantity(row[0][0]) if row else Decimal(0)
                assert shown == cloud_stock.get((caja.sede, product), Decimal(0)), (
                    caja.name,
                    product,
                )
            for op_id, result in caja.read(
                "SELECT op_id, result FROM sync_queue WHERE status = 'conflict'"
            ):
                assert op_id in conflicts, "a conflict the caja saw is logged in the cloud"
                assert json.loads(result)["status"] in ("conflict", "duplicate")
            # Products: once nothing is pending, every caja holds the cloud's row.
            for product in self.products:
                cloud = httpx.get(
                    f"{self.cloud_url}/api/products/{product}", headers=self.owner
                ).json()
                local_p = caja.read(
                    "SELECT version, price_cents FROM products WHERE id = ?", product
                )[0]
                assert local_p[0] == cloud["version"], (caja.name, "version")
                assert cents_to_money(local_p[1]) == Decimal(cloud["price"]), (caja.name, "price")


@pytest.mark.slow
def test_cajas_and_cloud_converge(live_cloud: str, database: DatabaseUrls, tmp_path: Path) -> None:
    class Machine(ConvergenceMachine):
        def teardown(self) -> None:
            try:
                if getattr(self, "cajas", None):
                    self.check_convergence()
            finally:
                super().teardown()

    Machine.cloud_url = live_cloud
    Machine.workdir = tmp_path
    Machine.database = database
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", "12")),
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
