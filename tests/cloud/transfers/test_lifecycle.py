"""A transfer from request to COMPLETED (or FAILED, REJECTED, CANCELLED), on a real worker."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tests.cloud.transfers.world import TransferWorld, quantity, request, stock_in, wait_status

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def open_transfers(client: httpx.AsyncClient, world: TransferWorld) -> int:
    r = await client.get("/api/dashboard", headers=world.owner)
    assert r.status_code == 200, r.text
    return int(r.json()["open_transfers"])


async def test_request_approve_complete_moves_the_stock_once(
    jobs_client: httpx.AsyncClient, world: TransferWorld
) -> None:
    p0, p1, _ = world.products
    await stock_in(jobs_client, world, world.centro, {p0: "10", p1: "2.5"})
    r = await request(jobs_client, world, {p0: "4", p1: "1.250"}, headers=world.manager_norte)
    assert r.status_code == 201, r.text
    transfer = r.json()
    assert transfer["status"] == "pending"
    assert {line["quantity"] for line in transfer["lines"]} == {"4.000", "1.250"}
    assert await open_transfers(jobs_client, world) == 1

    r = await jobs_client.post(
        f"/api/transfers/{transfer['id']}/approve", json={}, headers=world.manager_centro
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] in ("processing", "completed")
    done = await wait_status(jobs_client, world, transfer["id"])
    assert done["status"] == "completed", done["failure_reason"]
    assert await open_transfers(jobs_client, world) == 0
    assert await quantity(jobs_client, world, world.centro, p0) == Decimal("6")
    assert await quantity(jobs_client, world, world.norte, p0) == Decimal("4")
    assert await quantity(jobs_client, world, world.centro, p1) == Decimal("1.25")
    assert await quantity(jobs_client, world, world.norte, p1) == Decimal("1.25")
    kinds = sorted((m["type"], m["quantity"]) for m in done["movements"])  # type: ignore[union-attr]
    assert kinds == [
        ("transfer_in", "1.250"),
        ("transfer_in", "4.000"),
        ("transfer_out", "-1.250"),
        ("transfer_out", "-4.000"),
    ]

    again = await jobs_client.post(
        f"/api/transfers/{transfer['id']}/approve", json={}, headers=world.owner
    )
    assert again.status_code == 409
    assert "completed" in again.json()["message"]


async def test_insufficient_stock_fails_and_moves_nothing(
    jobs_client: httpx.AsyncClient, world: TransferWorld
) -> None:
    p0 = world.products[0]
    await stock_in(jobs_client, world, world.centro, {p0: "3"})
    transfer = (await request(jobs_client, world, {p0: "5"})).json()
    r = await jobs_client.post(f"/api/transfers/{transfer['id']}/approve", headers=world.owner)
    assert r.status_code == 200, r.text
    done = await wait_status(jobs_client, world, transfer["id"])
    assert done["status"] == "failed"
    assert "insufficient stock" in str(done["failure_reason"])
    assert "has 3, needs 5" in str(done["failure_reason"])
    # What a screen needs to say it in its own language.
    assert done["failure_code"] == "insufficient_stock"
    assert done["shortages"] == [
        {
            "product_id": str(p0),
            "sku": "P000",
            "name": "Producto 0",
            "available": "3.000",
            "requested": "5.000",
        }
    ]
    assert done["movements"] == []
    assert await quantity(jobs_client, world, world.centro, p0) == Decimal("3")


async def test_reject_and_cancel(jobs_client: httpx.AsyncClient, world: TransferWorld) -> None:
    p0 = world.products[0]
    first = (await request(jobs_client, world, {p0: "1"}, headers=world.manager_norte)).json()
    # The destination's manager may not decide: the origin's does.
    r = await jobs_client.post(
        f"/api/transfers/{first['id']}/reject", json={"reason": "no"}, headers=world.manager_norte
    )
    assert r.status_code == 403
    r = await jobs_client.post(
        f"/api/transfers/{first['id']}/reject",
        json={"reason": "  no hay existencias  "},
        headers=world.manager_centro,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["reason"]) == ("rejected", "no hay existencias")
    r = await jobs_client.post(f"/api/transfers/{first['id']}/approve", headers=world.owner)
    assert r.status_code == 409
    assert "rejected" in r.json()["message"]

    second = (await request(jobs_client, world, {p0: "1"}, headers=world.manager_norte)).json()
    r = await jobs_client.post(
        f"/api/transfers/{second['id']}/cancel", headers=world.manager_centro
    )
    assert r.status_code == 403  # only the requester (or an admin)
    r = await jobs_client.post(f"/api/transfers/{second['id']}/cancel", headers=world.manager_norte)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
