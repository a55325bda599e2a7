"""Stock reconciliation (issue 17, item 3): a stock row that is not the sum of its movements
is found (never overwritten), and an admin's correction writes an adjustment movement."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from stocky.cloud.embedded import libpq_url
from tests.cloud.reconciliation.conftest import ReconWorld, findings, push, run_jobs
from tests.cloud.sync.ops import entry_op
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio


def _owner_sql(database: DatabaseUrls, sql: str, *args: object) -> list[tuple[object, ...]]:
    """As the schema owner, outside the API: what a bug or a hand-made change would do."""
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        cur = conn.execute(sql, args)
        return cur.fetchall() if cur.description else []


def _stock_and_movements(
    database: DatabaseUrls, world: ReconWorld, product_id: uuid.UUID
) -> tuple[Decimal, Decimal]:
    ((held, moved),) = _owner_sql(
        database,
        "SELECT (SELECT quantity FROM inventory WHERE tenant_id = %s AND sede_id = %s"
        " AND product_id = %s), (SELECT sum(quantity) FROM transactions WHERE tenant_id = %s"
        " AND sede_id = %s AND product_id = %s)",
        *(world.shop.tenant_id, world.shop.sede_id, product_id) * 2,
    )
    assert isinstance(held, Decimal)
    assert isinstance(moved, Decimal)
    return held, moved


async def _run_checks(client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]) -> None:
    r = await client.post("/api/reconciliation/stock/run", headers=headers)
    assert r.status_code == 202, r.text
    assert isinstance(r.json()["job_id"], int)
    await run_jobs(app)


class TestStockDrift:
    async def test_injected_drift_is_found_and_corrected_by_an_adjustment(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        world: ReconWorld,
        database: DatabaseUrls,
    ) -> None:
        entries = [entry_op(world.rice.id, "10"), entry_op(world.cheese.id, "2.5")]
        assert {r["status"] for r in await push(client, world.caja, entries)} == {"applied"}
        await _run_checks(client, cloud_app, world.shop.admin)
        assert await findings(client, world.shop.admin, kind="stock_drift") == []

        _owner_sql(
            database,
            "UPDATE inventory SET quantity = quantity + 3 WHERE tenant_id = %s AND product_id = %s",
            world.shop.tenant_id,
            world.rice.id,
        )
        await _run_checks(client, cloud_app, world.shop.admin)
        await _run_checks(client, cloud_app, world.shop.owner)  # twice: still one finding
        (drift,) = await findings(client, world.shop.admin, kind="stock_drift")
        assert drift["status"] == "open"
        assert drift["sede_id"] == str(world.shop.sede_id)
        assert drift["subject"] == f"{world.shop.sede_id}:{world.rice.id}"
        details = drift["details"]
        assert Decimal(details["difference"]) == Decimal(3)
        assert Decimal(details["stock_quantity"]) == Decimal(13)
        assert Decimal(details["movements_quantity"]) == Decimal(10)
        assert details["sku"] == "ARZ-500"
        (last,) = details["last_movements"]
        assert last["type"] == "entry"
        assert Decimal(last["quantity"]) == Decimal(10)
        # Found, never overwritten.
        assert _stock_and_movements(database, world, world.rice.id) == (Decimal(13), Decimal(10))

        cashier = await client.post(
            f"/api/reconciliation/{drift['id']}/correct", headers=world.shop.manager
        )
        assert cashier.status_code == 403, cashier.text
        r = await client.post(
            f"/api/reconciliation/{drift['id']}/correct",
            json={"note": "recuento de bodega"},
            headers=world.shop.admin,
        )
        assert r.status_code == 200, r.text
        corrected = r.json()
        assert Decimal(corrected["quantity"]) == Decimal(3)
        assert corrected["finding"]["status"] == "resolved"
        assert corrected["finding"]["details"]["resolution"] == "corrected"
        movement_id = corrected["movement_id"]
        ((kind, qty, note),) = _owner_sql(
            database, "SELECT type, quantity, note FROM transactions WHERE id = %s", movement_id
        )
        assert (kind, qty) == ("adjustment", Decimal(3))
        assert "recuento de bodega" in str(note)
        assert _stock_and_movements(database, world, world.rice.id) == (Decimal(13), Decimal(13))
        # Audited, as the person who corrected it.
        audited = _owner_sql(
            database,
            "SELECT entity_type FROM audit_logs WHERE tenant_id = %s"
            " AND metadata->>'path' LIKE '/api/reconciliation/%%/correct'",
            world.shop.tenant_id,
        )
        assert {"reconciliation_findings", "transactions"} <= {row[0] for row in audited}

        await _run_checks(client, cloud_app, world.shop.admin)
        assert await findings(client, world.shop.admin, kind="stock_drift", status="open") == []
        again = await client.post(
            f"/api/reconciliation/{drift['id']}/correct", headers=world.shop.admin
        )
        assert again.status_code == 409, again.text

    async def test_a_drift_that_went_away_resolves_itself(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        world: ReconWorld,
        database: DatabaseUrls,
    ) -> None:
        assert (await push(client, world.caja, [entry_op(world.rice.id, "4")]))[0][
            "status"
        ] == "applied"
        update = "UPDATE inventory SET quantity = %s WHERE tenant_id = %s AND product_id = %s"
        _owner_sql(database, update, Decimal(1), world.shop.tenant_id, world.rice.id)
        await _run_checks(client, cloud_app, world.shop.admin)
        (drift,) = await findings(client, world.shop.admin, kind="stock_drift")
        assert Decimal(drift["details"]["difference"]) == Decimal(-3)
        _owner_sql(database, update, Decimal(4), world.shop.tenant_id, world.rice.id)
        await _run_checks(client, cloud_app, world.shop.admin)
        (gone,) = await findings(client, world.shop.admin, kind="stock_drift")
        assert gone["status"] == "resolved"
        assert gone["details"]["resolution"] == "no longer drifts"
