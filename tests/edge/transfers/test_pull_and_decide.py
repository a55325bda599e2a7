"""A transfer between two sedes seen from their cajas (issue 15 item 5), on a live cloud
with its worker: the pull brings the transfer, its lines and the movements to both cajas,
stock changes with no op of their own, and a manager of the origin decides at the caja.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from stocky.edge.api.app import PREFIX, create_local_app
from stocky.edge.config import EdgeSettings
from stocky.edge.sync.state import set_state
from tests.edge.transfers.world import PASSWORD, Caja, World, build_world
from tests.fixtures.live import _free_port

pytestmark = pytest.mark.asyncio


@pytest.fixture
def world(jobs_cloud: str, tmp_path: Path) -> Iterator[World]:
    built = build_world(jobs_cloud, tmp_path)
    try:
        yield built
    finally:
        built.close()


def local_api(caja: Caja, cloud_url: str | None = None) -> httpx.AsyncClient:
    settings = EdgeSettings(data_dir=caja.data_dir, cloud_url=cloud_url)
    app = create_local_app(caja.store, settings)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=f"http://127.0.0.1{PREFIX}"
    )


async def signed_in(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await api.post("/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest_asyncio.fixture
async def centro_api(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with local_api(world.caja_centro) as api:
        yield api


async def requested(world: World, lines: dict[str, str]) -> dict[str, Any]:
    """Both cajas online (the cloud refuses a request otherwise), then Norte asks."""
    assert await world.caja_centro.ping()
    assert await world.caja_norte.ping()
    transfer = world.request(lines)
    for caja in (world.caja_centro, world.caja_norte):
        await caja.pull_until("SELECT 1 FROM transfers WHERE id = ?", (transfer["id"],))
    return transfer


class TestPull:
    async def test_transfer_lines_and_movements_reach_both_cajas_and_move_their_stock(
        self, world: World, centro_api: httpx.AsyncClient
    ) -> None:
        centro, norte = world.caja_centro, world.caja_norte
        await centro.pull()
        await norte.pull()
        assert centro.stock(world.arroz) == Decimal("20")
        assert centro.stock(world.queso) == Decimal("5.5")
        assert norte.stock(world.arroz) == Decimal("0")

        transfer = await requested(world, {world.arroz: "4", world.queso: "1.250"})
        tid = transfer["id"]
        for caja in (centro, norte):
            row = caja.store.read(
                lambda c: c.execute("SELECT * FROM transfers WHERE id = ?", (tid,)).fetchone()
            )
            assert row["status"] == "pending"
            assert row["note"] == "reposición"
            assert (row["from_sede_id"], row["to_sede_id"]) == (world.centro, world.norte)
            lines = caja.store.read(
                lambda c: c.execute(
                    "SELECT product_id, quantity_milli FROM transfer_lines WHERE transfer_id = ?",
                    (tid,),
                ).fetchall()
            )
            assert sorted((r[0], r[1]) for r in lines) == sorted(
                [(world.arroz, 4000), (world.queso, 1250)]
            )

        # The local list: Centro sees it outgoing, with product and sede names.
        headers = await signed_in(centro_api, "gerente.centro@example.com")
        r = await centro_api.get("/transfers", headers=headers)
        assert r.status_code == 200, r.text
        [item] = r.json()["items"]
        assert item["direction"] == "outgoing"
        assert (item["from_sede_name"], item["to_sede_name"]) == ("Centro", "Norte")
        assert item["status"] == "pending"
        assert {(line["name"], line["quantity"]) for line in item["lines"]} == {
            ("Arroz Diana 1 kg", "4.000"),
            ("Queso campesino (kg)", "1.250"),
        }

        r = await centro_api.get("/transfers?direction=incoming", headers=headers)
        assert r.json()["items"] == []
        r = await centro_api.get("/transfers?direction=outgoing&status=pending", headers=headers)
        assert [i["id"] for i in r.json()["items"]] == [tid]

        # Centro's manager approves at the caja; the cloud's job moves the stock.
        r = await centro_api.post(f"/transfers/{tid}/approve", json={}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["status"] in ("processing", "completed")
        done = await world.wait_status(tid)
        assert done["status"] == "completed", done["failure_reason"]
        assert done["decided_by"]["id"] == world.manager_centro

        for caja in (centro, norte):
            await caja.pull_until(
                "SELECT 1 FROM transfers WHERE id = ? AND status = 'completed'"
                " AND (SELECT count(*) FROM transactions WHERE transfer_id = ?) = 2",
                (tid, tid),
            )
        # The stock moved with no op of the cajas' own: nothing queued, nothing to push.
        assert centro.stock(world.arroz) == Decimal("16")
        assert centro.stock(world.queso) == Decimal("4.25")
        assert norte.stock(world.arroz) == Decimal("4")
        assert norte.stock(world.queso) == Decimal("1.25")
        assert centro.pending_ops() == norte.pending_ops() == 0
        moves = norte.store.read(
            lambda c: c.execute(
                "SELECT type, product_id, quantity_milli, document_id, user_id FROM transactions"
                " WHERE transfer_id = ? ORDER BY quantity_milli",
                (tid,),
            ).fetchall()
        )
        assert {(m[0], m[1], m[2]) for m in moves} == {
            ("transfer_in", world.arroz, 4000),
            ("transfer_in", world.queso, 1250),
        }
        assert {m[3] for m in moves} == {tid}
        assert {m[4] for m in moves} == {world.manager_centro}

        # Norte's list shows it incoming and completed, with what moved here.
        async with local_api(norte) as norte_api:
            nh = await signed_in(norte_api, "gerente.norte@example.com")
            [item] = (await norte_api.get("/transfers", headers=nh)).json()["items"]
        assert item["direction"] == "incoming"
        assert item["status"] == "completed"
        assert item["completed_at"] is not None
        assert {(m["type"], m["quantity"]) for m in item["movements"]} == {
            ("transfer_in", "4.000"),
            ("transfer_in", "1.250"),
        }
        # Each caja noticed the request and the outcome (the toasts' source).
        notices = norte.store.read(
            lambda c: [
                r[0]
                for r in c.execute(
                    "SELECT status FROM transfer_notices WHERE transfer_id = ? ORDER BY seq",
                    (tid,),
                )
            ]
        )
        assert notices[0] == "pending"
        assert notices[-1] == "completed"

        # The cloud's 409 (not pending any more) is passed on with its message.
        r = await centro_api.post(f"/transfers/{tid}/approve", json={}, headers=headers)
        assert r.status_code == 409, r.text
        assert "completed" in r.json()["message"]


class TestDecideAtTheCaja:
    async def test_only_a_manager_of_the_origin_decides(
        self, world: World, centro_api: httpx.AsyncClient
    ) -> None:
        transfer = await requested(world, {world.arroz: "1"})
        tid = transfer["id"]
        cashier = await signed_in(centro_api, "cajero.centro@example.com")
        r = await centro_api.post(f"/transfers/{tid}/approve", json={}, headers=cashier)
        assert r.status_code == 403, r.text
        r = await centro_api.post(
            f"/transfers/{tid}/reject", json={"reason": "no"}, headers=cashier
        )
        assert r.status_code == 403, r.text
        # Norte's manager at Norte's caja: Norte is the destination, not the origin.
        async with local_api(world.caja_norte) as norte_api:
            nh = await signed_in(norte_api, "gerente.norte@example.com")
            r = await norte_api.post(f"/transfers/{tid}/approve", json={}, headers=nh)
            assert r.status_code == 403, r.text
            assert "origen" in r.json()["message"]
        # A rejection needs a reason, named.
        manager = await signed_in(centro_api, "gerente.centro@example.com")
        r = await centro_api.post(
            f"/transfers/{tid}/reject", json={"reason": "  "}, headers=manager
        )
        assert r.status_code == 422, r.text
        assert "reason" in r.text
        # Centro's manager rejects; the reason travels to the cloud and back by pull.
        r = await centro_api.post(
            f"/transfers/{tid}/reject",
            json={"reason": "sin existencias para vender"},
            headers=manager,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        await world.caja_norte.pull_until(
            "SELECT 1 FROM transfers WHERE id = ? AND status = 'rejected'"
            " AND reason = 'sin existencias para vender'",
            (tid,),
        )
        assert world.caja_norte.stock(world.arroz) == Decimal("0")

    async def test_offline_or_unreachable_cloud_answers_503(
        self, world: World, centro_api: httpx.AsyncClient
    ) -> None:
        transfer = await requested(world, {world.arroz: "1"})
        tid = transfer["id"]
        manager = await signed_in(centro_api, "gerente.centro@example.com")

        # The monitor says offline: refused at once, saying the cloud is needed.
        world.caja_centro.store.write(lambda c: set_state(c, online=0))
        r = await centro_api.post(f"/transfers/{tid}/approve", json={}, headers=manager)
        assert r.status_code == 503, r.text
        assert "requiere conexión con la nube" in r.json()["message"]
        assert "needs a connection to the cloud" in r.json()["message"]

        # Online by the last ping, but the cloud does not answer now (nothing listens).
        world.caja_centro.store.write(lambda c: set_state(c, online=1))
        dead = f"http://127.0.0.1:{_free_port()}"
        async with local_api(world.caja_centro, cloud_url=dead) as api:
            headers = await signed_in(api, "gerente.centro@example.com")
            r = await api.post(f"/transfers/{tid}/reject", json={"reason": "no"}, headers=headers)
        assert r.status_code == 503, r.text
        assert "requiere conexión con la nube" in r.json()["message"]

        # Nothing was decided: the transfer is still pending in the cloud.
        async with httpx.AsyncClient(base_url=world.url, headers=world.admin.headers) as http:
            assert (await http.get(f"/api/transfers/{tid}")).json()["status"] == "pending"

    async def test_unknown_transfer_is_the_clouds_404(
        self, world: World, centro_api: httpx.AsyncClient
    ) -> None:
        assert await world.caja_centro.ping()
        manager = await signed_in(centro_api, "gerente.centro@example.com")
        missing = "01930000-0000-7000-8000-000000000000"
        r = await centro_api.post(f"/transfers/{missing}/approve", json={}, headers=manager)
        assert r.status_code == 404, r.text
