"""A cloud restored from a backup: new epoch, and the cajas heal what it lost.

The backup is a copy of the cloud's database taken mid-day; later sales reach the live
database; then the cloud is "restored" onto the copy. The caja's next pull sees another
epoch, re-queues everything it had pushed, and the cloud re-applies what it lost and
answers `duplicate` for the rest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest
import pytest_asyncio
from fastapi import FastAPI
from psycopg import sql

from stocky.cloud.app import create_app
from stocky.cloud.config import Settings
from stocky.cloud.embedded import Services, app_role_url, libpq_url
from stocky.edge.activation.store import save_activation
from stocky.edge.pos.schemas import SaleCreate
from stocky.edge.pos.service import record_sale
from stocky.edge.store import Store, utc_now
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from stocky.edge.sync.push import PushWorker
from tests.fixtures.database import APP_PASSWORD, APP_ROLE, DatabaseUrls

pytestmark = pytest.mark.asyncio
PASSWORD = "correct horse battery"


@pytest_asyncio.fixture
async def restored(
    pg_server_url: str, database: DatabaseUrls
) -> AsyncIterator[tuple[str, DatabaseUrls]]:
    """The name of the backup database, dropped at the end."""
    name = f"{database.name}_backup"
    owner = database.owner_url.replace(f"/{database.name}", f"/{name}")
    yield name, DatabaseUrls(owner, app_role_url(owner, APP_ROLE, APP_PASSWORD), name)
    with psycopg.connect(libpq_url(pg_server_url), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _sell(store: Store, product: str, cashier: str) -> None:
    cmd = SaleCreate.model_validate(
        {
            "lines": [{"product_id": product, "quantity": "1"}],
            "payments": [{"method": "cash", "amount": "5000"}],
        }
    )
    store.write(lambda c: record_sale(c, cmd, user_id=cashier, now=utc_now()))


async def _sync(store: Store, client: CloudClient, sede: str, device: str) -> None:
    push = PushWorker(store, client, sede_id=sede, device_id=device)
    pull = PullWorker(store, client, sede_id=sede, limit=50)
    for _ in range(3):
        await pull.run_once()
        await push.run_once(ignore_backoff=True)
    await pull.run_once()


def _cloud_sales(owner_url: str) -> tuple[int, int, Decimal]:
    with psycopg.connect(libpq_url(owner_url)) as conn:
        moves, ops = conn.execute(
            "SELECT count(*), count(DISTINCT id) FROM transactions WHERE type = 'sale'"
        ).fetchone()  # type: ignore[misc]
        stock = conn.execute("SELECT quantity FROM inventory").fetchone()
    return moves, ops, stock[0] if stock else Decimal(0)


async def test_cajas_heal_a_cloud_restored_from_backup(
    cloud_app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    database: DatabaseUrls,
    pg_server_url: str,
    restored: tuple[str, DatabaseUrls],
    tmp_path: Path,
) -> None:
    signup = await client.post(
        "/api/signup",
        json={"tenant_name": "Tienda", "email": "owner@example.com", "password": PASSWORD},
    )
    owner = {"Authorization": f"Bearer {signup.json()['tokens']['access_token']}"}
    sede = (await client.post("/api/sedes", json={"name": "Centro"}, headers=owner)).json()["id"]
    cashier = (
        await client.post(
            "/api/users",
            json={
                "email": "c@example.com",
                "name": "C",
                "password": PASSWORD,
                "role": "cashier",
                "sede_id": sede,
            },
            headers=owner,
        )
    ).json()["id"]
    product = (
        await client.post(
            "/api/products", json={"sku": "A", "name": "Arroz", "price": "4500.00"}, headers=owner
        )
    ).json()["id"]
    code = (await client.post(f"/api/sedes/{sede}/activation-codes", headers=owner)).json()["code"]
    answer = json.loads(
        (await client.post("/api/activate", json={"code": code, "device_name": "C1"})).content
    )
    device = answer["device"]["id"]
    store = Store.open(tmp_path / "caja.db")
    store.write(lambda c: save_activation(c, answer))
    live = CloudClient(
        "http://t", answer["device_credential"], transport=httpx.ASGITransport(app=cloud_app)
    )
    try:
        for _ in range(3):
            _sell(store, product, cashier)
        await _sync(store, live, sede, device)
        assert _cloud_sales(database.owner_url)[0] == 3

        # The nightly backup: a copy of the database as it is now.
        await cloud_app.state.engine.dispose()
        backup_name, backup = restored
        with psycopg.connect(libpq_url(pg_server_url), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(backup_name), sql.Identifier(database.name)
                )
            )
        for _ in range(2):
            _sell(store, product, cashier)
        await _sync(store, live, sede, device)
        assert _cloud_sales(database.owner_url)[0] == 5
        assert _cloud_sales(backup.owner_url)[0] == 3, "the backup misses the last two"

        # Disaster: the cloud comes back on the backup.
        restored_app = create_app(
            settings.model_copy(update={"app_database_url": backup.app_url}),
            Services(backup.owner_url, backup.app_url, str(settings.redis_url)),
        )
        async with restored_app.router.lifespan_context(restored_app):
            cloud = CloudClient(
                "http://t",
                answer["device_credential"],
                transport=httpx.ASGITransport(app=restored_app),
            )
            pull = PullWorker(store, cloud, sede_id=sede)
            outcome = await pull.run_once()
            assert outcome.reset, "the caja noticed the new epoch"
            await _sync(store, cloud, sede, device)
            await cloud.aclose()
        moves, distinct, stock = _cloud_sales(backup.owner_url)
        assert (moves, distinct) == (5, 5), "lost sales re-pushed, none doubled"
        assert stock == Decimal("-5")
        local = store.read(
            lambda c: c.execute(
                "SELECT quantity_milli, cloud_position IS NOT NULL FROM inventory"
            ).fetchone()
        )
        assert local[0] == -5000
        statuses = store.read(
            lambda c: c.execute("SELECT DISTINCT status FROM sync_queue").fetchall()
        )
        assert [s[0] for s in statuses] == ["synced"]
        assert uuid.UUID(device)
    finally:
        await live.aclose()
        store.close()
