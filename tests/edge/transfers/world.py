"""Two sedes of one tenant, each with an activated caja on disk, and stock at the origin.

Seeded through the live cloud's HTTP API (CloudAdmin); the cajas are real SQLite stores,
synced with the real pull worker and pinged with the real network monitor.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from stocky.core.money import milli_to_quantity
from stocky.edge.activation.service import activate
from stocky.edge.config import store_path
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.monitor import NetworkMonitor
from stocky.edge.sync.pull import PullWorker
from tests.fixtures.cloud_admin import PASSWORD, CloudAdmin

__all__ = ["PASSWORD", "Caja", "World", "build_world"]

ARROZ_SKU, QUESO_SKU = "ARZ-1", "QSO-K"


@dataclass
class Caja:
    url: str
    data_dir: Path
    sede: str
    credential: str
    store: Store

    def client(self) -> CloudClient:
        return CloudClient(self.url, self.credential)

    async def ping(self) -> bool:
        client = self.client()
        try:
            return await NetworkMonitor(self.store, client).run_once()
        finally:
            await client.aclose()

    async def pull(self) -> None:
        client = self.client()
        try:
            outcome = await PullWorker(self.store, client, sede_id=self.sede).run_once()
            assert not outcome.failed, "pull failed"
        finally:
            await client.aclose()

    async def pull_until(self, sql: str, args: tuple[Any, ...], timeout: float = 30.0) -> None:
        """Pull until `sql` finds a row: the feed serves only what committed below the
        cluster's oldest open transaction, so a fresh change may take a few pulls."""
        deadline = time.monotonic() + timeout
        while True:
            await self.pull()
            if self.store.read(lambda c: c.execute(sql, args).fetchone()) is not None:
                return
            assert time.monotonic() < deadline, f"never pulled: {sql} {args}"
            await asyncio.sleep(0.1)

    def stock(self, product_id: str) -> Decimal:
        row = self.store.read(
            lambda c: c.execute(
                "SELECT quantity_milli FROM inventory WHERE product_id = ?", (product_id,)
            ).fetchone()
        )
        return milli_to_quantity(int(row[0])) if row else Decimal("0.000")

    def pending_ops(self) -> int:
        return int(
            self.store.read(
                lambda c: c.execute(
                    "SELECT count(*) FROM sync_queue WHERE status = 'pending'"
                ).fetchone()[0]
            )
        )

    def close(self) -> None:
        self.store.close()


@dataclass
class World:
    url: str
    admin: CloudAdmin
    centro: str
    norte: str
    arroz: str
    queso: str
    manager_centro: str
    manager_norte: str
    cashier_centro: str
    caja_centro: Caja
    caja_norte: Caja

    def close(self) -> None:
        self.caja_centro.close()
        self.caja_norte.close()

    def token(self, email: str) -> dict[str, str]:
        r = httpx.post(f"{self.url}/api/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def request(self, lines: dict[str, str], note: str = "reposición") -> dict[str, Any]:
        """Norte's manager asks Centro for stock (POST /api/transfers/request)."""
        body = {
            "from_sede_id": self.centro,
            "to_sede_id": self.norte,
            "lines": [{"product_id": p, "quantity": q} for p, q in lines.items()],
            "note": note,
        }
        r = httpx.post(
            f"{self.url}/api/transfers/request",
            json=body,
            headers=self.token("gerente.norte@example.com"),
        )
        assert r.status_code == 201, r.text
        found: dict[str, Any] = r.json()
        return found

    async def wait_status(self, transfer_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll the cloud until the transfer's job has finished (completed or failed)."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url, headers=self.admin.headers) as http:
            while True:
                r = await http.get(f"/api/transfers/{transfer_id}")
                assert r.status_code == 200, r.text
                body: dict[str, Any] = r.json()
                if body["status"] in ("completed", "failed"):
                    return body
                assert time.monotonic() < deadline, f"transfer still {body['status']}"
                await asyncio.sleep(0.1)


def _caja(url: str, admin: CloudAdmin, sede: str, data_dir: Path, name: str) -> Caja:
    activate(cloud_url=url, code=admin.activation_code(sede), data_dir=data_dir, device_name=name)
    store = Store.open(store_path(data_dir))
    credential = store.read(
        lambda c: c.execute("SELECT device_credential FROM sede_info").fetchone()[0]
    )
    return Caja(url, data_dir, sede, str(credential), store)


def build_world(url: str, root: Path) -> World:
    """Signup; sedes Centro (stock) and Norte with their managers; a caja in each."""
    admin = CloudAdmin.signup(url, "Mercado Traslados", "dueno.traslados@example.com")
    centro = admin.sede("Centro")
    norte = admin.sede("Norte")
    manager_centro = admin.user("gerente.centro@example.com", "Gloria Centro", "manager", centro)
    manager_norte = admin.user("gerente.norte@example.com", "Nelson Norte", "manager", norte)
    cashier_centro = admin.user("cajero.centro@example.com", "Carlos Cajero", "cashier", centro)
    arroz = admin.product(sku=ARROZ_SKU, name="Arroz Diana 1 kg", price="4500", unit="unit")
    queso = admin.product(sku=QUESO_SKU, name="Queso campesino (kg)", price="24000", unit="weight")
    admin.opening(centro, {ARROZ_SKU: "20", QUESO_SKU: "5.5"})
    return World(
        url,
        admin,
        centro,
        norte,
        arroz,
        queso,
        manager_centro,
        manager_norte,
        cashier_centro,
        _caja(url, admin, centro, root / "centro", "Caja Centro"),
        _caja(url, admin, norte, root / "norte", "Caja Norte"),
    )
