"""The transfers API refuses bad input and the wrong callers, each answer naming the field,
the sede or the rule; lists filter and page; the audit trail shows who did what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Sede
from tests.cloud.factories import (
    create_device,
    create_product,
    create_sede,
    create_tenant_with_owner,
    create_user,
    token_for,
)
from tests.cloud.transfers.world import TransferWorld, request, stock_in, wait_status

pytestmark = pytest.mark.asyncio(loop_scope="session")


def fields(r: httpx.Response) -> list[str]:
    return [f["field"] for f in r.json().get("fields") or []]


def body_for(world: TransferWorld, lines: list[dict[str, Any]], **over: Any) -> dict[str, Any]:
    return {
        "from_sede_id": str(world.centro),
        "to_sede_id": str(world.norte),
        "lines": lines,
    } | over


async def post_request(
    client: httpx.AsyncClient, world: TransferWorld, body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/api/transfers/request", json=body, headers=world.owner)


async def pending(client: httpx.AsyncClient, world: TransferWorld, qty: str = "1") -> str:
    r = await request(client, world, {world.products[0]: qty}, headers=world.manager_norte)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


class TestUnknownIds:
    async def test_unknown_sede_and_product_are_404_naming_the_field(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        line = [{"product_id": str(world.products[0]), "quantity": "1"}]
        nobody = str(uuid.uuid4())
        r = await post_request(jobs_client, world, body_for(world, line, from_sede_id=nobody))
        assert r.status_code == 404, r.text
        assert r.json()["field"] == "from_sede_id"
        r = await post_request(jobs_client, world, body_for(world, line, to_sede_id=nobody))
        assert r.status_code == 404, r.text
        assert r.json()["field"] == "to_sede_id"
        lines = [line[0], {"product_id": nobody, "quantity": "1"}]
        r = await post_request(jobs_client, world, body_for(world, lines))
        assert r.status_code == 404, r.text
        assert r.json()["field"] == "lines.1.product_id"
        assert nobody in r.json()["message"]
        r = await jobs_client.get(f"/api/transfers/{nobody}", headers=world.owner)
        assert r.status_code == 404
        assert r.json()["field"] == "transfer_id"

    async def test_another_tenants_sede_product_and_transfer_are_unknown(
        self, jobs_app: FastAPI, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        sm = jobs_app.state.sessionmaker
        other = await create_tenant_with_owner(sm, "Otra Tienda")
        their_sede = await create_sede(sm, other.tenant_id, "Sur")
        their_product = await create_product(sm, other.tenant_id, sku="OTRO")
        line = [{"product_id": str(world.products[0]), "quantity": "1"}]
        r = await post_request(
            jobs_client, world, body_for(world, line, from_sede_id=str(their_sede))
        )
        assert r.status_code == 404, r.text
        assert r.json()["field"] == "from_sede_id"
        theirs = [{"product_id": str(their_product.id), "quantity": "1"}]
        r = await post_request(jobs_client, world, body_for(world, theirs))
        assert r.status_code == 404, r.text
        assert r.json()["field"] == "lines.0.product_id"

        # A transfer of ours is nothing to the other tenant's owner, whatever the verb.
        mine = await pending(jobs_client, world)
        their_owner = token_for(jobs_app, other)
        r = await jobs_client.get(f"/api/transfers/{mine}", headers=their_owner)
        assert r.status_code == 404
        assert r.json()["field"] == "transfer_id"
        for verb, body in (("approve", {}), ("reject", {"reason": "x"}), ("cancel", {})):
            r = await jobs_client.post(
                f"/api/transfers/{mine}/{verb}", json=body, headers=their_owner
            )
            assert r.status_code == 404, (verb, r.text)
        r = await jobs_client.get("/api/transfers", headers=their_owner)
        assert r.status_code == 200
        assert r.json()["items"] == []
        # And it is still pending for us.
        r = await jobs_client.get(f"/api/transfers/{mine}", headers=world.owner)
        assert r.json()["status"] == "pending"


class TestBody:
    async def test_same_sede_is_422_on_to_sede_id(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        line = [{"product_id": str(world.products[0]), "quantity": "1"}]
        r = await post_request(
            jobs_client, world, body_for(world, line, to_sede_id=str(world.centro))
        )
        assert r.status_code == 422, r.text
        assert fields(r) == ["to_sede_id"]
        assert r.json()["message"].startswith("to_sede_id:")

    @pytest.mark.parametrize("qty", ["0", "-1", "abc", "1.2345", 0, -2])
    async def test_bad_quantity_is_422_naming_the_line(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld, qty: object
    ) -> None:
        line = [{"product_id": str(world.products[1]), "quantity": qty}]
        r = await post_request(jobs_client, world, body_for(world, line))
        assert r.status_code == 422, r.text
        assert fields(r) == ["lines.0.quantity"]
        assert r.json()["message"].startswith("lines.0.quantity:")

    async def test_fraction_of_a_unit_product_is_422(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        lines = [
            {"product_id": str(world.products[1]), "quantity": "0.5"},  # weighed: fine
            {"product_id": str(world.products[0]), "quantity": "1.5"},  # by unit: not
        ]
        r = await post_request(jobs_client, world, body_for(world, lines))
        assert r.status_code == 422, r.text
        assert fields(r) == ["lines.1.quantity"]
        assert "sold by unit" in r.json()["message"]

    async def test_weighed_product_takes_exact_thousandths(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        line = [{"product_id": str(world.products[1]), "quantity": "1.250"}]
        r = await post_request(jobs_client, world, body_for(world, line))
        assert r.status_code == 201, r.text
        assert [ln["quantity"] for ln in r.json()["lines"]] == ["1.250"]
        assert r.json()["lines"][0]["unit"] == "weight"

    async def test_a_json_number_is_read_by_its_decimal_text(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        # The API takes a JSON number as the decimal it is written as (pydantic parses the
        # literal, not a binary float): 1.1 is exactly 1.100, never 1.1000000000000000888.
        # Quantities stay exact decimals; a number with more than 3 places is refused.
        line = [{"product_id": str(world.products[1]), "quantity": 1.1}]
        r = await post_request(jobs_client, world, body_for(world, line))
        assert r.status_code == 201, r.text
        assert r.json()["lines"][0]["quantity"] == "1.100"
        line = [{"product_id": str(world.products[1]), "quantity": 2}]
        r = await post_request(jobs_client, world, body_for(world, line))
        assert r.status_code == 201, r.text
        assert r.json()["lines"][0]["quantity"] == "2.000"
        for noisy in (1.0000000000000002, 0.1 + 0.2):
            line = [{"product_id": str(world.products[1]), "quantity": noisy}]
            r = await post_request(jobs_client, world, body_for(world, line))
            assert r.status_code == 422, r.text
            assert fields(r) == ["lines.0.quantity"]

    async def test_duplicate_product_lines_are_merged(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        p0, p1, _ = world.products
        lines = [
            {"product_id": str(p1), "quantity": "0.250"},
            {"product_id": str(p0), "quantity": "2"},
            {"product_id": str(p1), "quantity": "1"},
        ]
        r = await post_request(jobs_client, world, body_for(world, lines))
        assert r.status_code == 201, r.text
        got = {ln["product_id"]: ln["quantity"] for ln in r.json()["lines"]}
        assert got == {str(p1): "1.250", str(p0): "2.000"}
        assert len(r.json()["lines"]) == 2

    async def test_line_count_bounds(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        r = await post_request(jobs_client, world, body_for(world, []))
        assert r.status_code == 422, r.text
        assert fields(r) == ["lines"]
        many = [{"product_id": str(world.products[0]), "quantity": "1"}] * 501
        r = await post_request(jobs_client, world, body_for(world, many))
        assert r.status_code == 422, r.text
        assert fields(r) == ["lines"]
        # 500 is the limit, not past it (they are one product: merged into one line).
        r = await post_request(jobs_client, world, body_for(world, many[:500]))
        assert r.status_code == 201, r.text
        assert r.json()["lines"][0]["quantity"] == "500.000"

    async def test_inactive_product_is_422(
        self, jobs_app: FastAPI, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        old = await create_product(
            jobs_app.state.sessionmaker, world.tenant_id, sku="VIEJO", name="Viejo", active=False
        )
        lines = [
            {"product_id": str(world.products[0]), "quantity": "1"},
            {"product_id": str(old.id), "quantity": "1"},
        ]
        r = await post_request(jobs_client, world, body_for(world, lines))
        assert r.status_code == 422, r.text
        assert fields(r) == ["lines.1.product_id"]
        assert "Viejo is inactive" in r.json()["message"]

    async def test_offline_sede_is_409_naming_it(
        self, jobs_app: FastAPI, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        async with tenant_transaction(jobs_app.state.sessionmaker, world.tenant_id) as session:
            await session.execute(
                update(Sede)
                .where(Sede.id == world.norte)
                .values(last_ping_at=datetime.now(UTC) - timedelta(hours=1))
            )
        line = [{"product_id": str(world.products[0]), "quantity": "1"}]
        r = await post_request(jobs_client, world, body_for(world, line))
        assert r.status_code == 409, r.text
        assert "'Norte' is offline" in r.json()["message"]
        assert "60 min ago" in r.json()["message"]
        assert r.json()["sede_id"] == str(world.norte)

        # A sede none of whose cajas ever called is offline too, and said so.
        sm = jobs_app.state.sessionmaker
        quiet = await create_sede(sm, world.tenant_id, "Silenciosa")
        r = await post_request(jobs_client, world, body_for(world, line, from_sede_id=str(quiet)))
        assert r.status_code == 409, r.text
        assert "'Silenciosa' is offline" in r.json()["message"]
        assert "ever contacted" in r.json()["message"]
        assert r.json()["sede_id"] == str(quiet)


class TestWhoMay:
    async def test_who_requests(self, jobs_client: httpx.AsyncClient, world: TransferWorld) -> None:
        lines = {world.products[0]: "1"}
        for headers in (world.cashier_norte, world.manager_centro):
            r = await request(jobs_client, world, lines, headers=headers)
            assert r.status_code == 403, r.text
        r = await jobs_client.post(
            "/api/transfers/request",
            json=body_for(world, [{"product_id": str(world.products[0]), "quantity": "1"}]),
            headers=world.caja_norte.headers,
        )
        # A caja does not request (a person does): its credential is no user's token there.
        assert r.status_code == 401, r.text
        r = await request(jobs_client, world, lines, headers=world.manager_norte)
        assert r.status_code == 201, r.text
        assert r.json()["requested_by"]["id"] is not None

    async def test_who_decides(self, jobs_client: httpx.AsyncClient, world: TransferWorld) -> None:
        await stock_in(jobs_client, world, world.centro, {world.products[0]: "10"})
        first, second = await pending(jobs_client, world), await pending(jobs_client, world)
        for verb, body in (("approve", {}), ("reject", {"reason": "no"})):
            for headers in (world.manager_norte, world.cashier_norte):
                r = await jobs_client.post(
                    f"/api/transfers/{first}/{verb}", json=body, headers=headers
                )
                assert r.status_code == 403, (verb, r.text)
        r = await jobs_client.post(
            f"/api/transfers/{first}/approve", json={}, headers=world.manager_centro
        )
        assert r.status_code == 200, r.text
        assert r.json()["decided_by"]["id"] == str(world.manager_centro_id)
        r = await jobs_client.post(
            f"/api/transfers/{second}/reject", json={"reason": "no"}, headers=world.manager_centro
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        # A reject needs its reason.
        third = await pending(jobs_client, world)
        r = await jobs_client.post(
            f"/api/transfers/{third}/reject", json={"reason": "  "}, headers=world.manager_centro
        )
        assert r.status_code == 422, r.text
        assert fields(r) == ["reason"]
        await wait_status(jobs_client, world, first)

    async def test_cancel_by_the_requester_only(
        self, jobs_app: FastAPI, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        sm = jobs_app.state.sessionmaker
        other_manager = token_for(
            jobs_app, await create_user(sm, world.tenant_id, "manager", world.norte)
        )
        tid = await pending(jobs_client, world)
        for headers in (other_manager, world.manager_centro, world.cashier_norte):
            r = await jobs_client.post(f"/api/transfers/{tid}/cancel", headers=headers)
            assert r.status_code == 403, r.text
        r = await jobs_client.post(
            f"/api/transfers/{tid}/cancel", json={"reason": "ya no"}, headers=world.manager_norte
        )
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["reason"]) == ("cancelled", "ya no")
        r = await jobs_client.post(f"/api/transfers/{tid}/cancel", headers=world.manager_norte)
        assert r.status_code == 409
        assert r.json()["status"] == "cancelled"
        assert "This transfer is cancelled" in r.json()["message"]
        # A caja holds no user of its own: it does not cancel.
        tid = await pending(jobs_client, world)
        r = await jobs_client.post(f"/api/transfers/{tid}/cancel", headers=world.caja_norte.headers)
        assert r.status_code == 401, r.text


class TestCaja:
    async def test_caja_lists_its_sedes_and_approves_for_its_manager(
        self, jobs_app: FastAPI, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        sm = jobs_app.state.sessionmaker
        sur = await create_sede(sm, world.tenant_id, "Sur")
        caja_sur = await create_device(sm, world.tenant_id, sur)
        r = await jobs_client.post("/api/sync/ping", json={}, headers=caja_sur.headers)
        assert r.status_code == 200
        cashier_centro = await create_user(sm, world.tenant_id, "cashier", world.centro)
        await stock_in(jobs_client, world, world.centro, {world.products[0]: "10"})
        await stock_in(jobs_client, world, sur, {world.products[0]: "10"})

        to_norte = await pending(jobs_client, world)
        r = await request(
            jobs_client, world, {world.products[0]: "1"}, origin=sur, destination=world.centro
        )
        assert r.status_code == 201, r.text
        from_sur = r.json()["id"]
        r = await request(
            jobs_client, world, {world.products[0]: "1"}, origin=sur, destination=world.norte
        )
        sur_norte = r.json()["id"]

        r = await jobs_client.get("/api/transfers", headers=world.caja_centro.headers)
        assert r.status_code == 200, r.text
        assert {t["id"] for t in r.json()["items"]} == {to_norte, from_sur}
        r = await jobs_client.get(f"/api/transfers/{sur_norte}", headers=world.caja_centro.headers)
        assert r.status_code == 404
        r = await jobs_client.get(
            f"/api/transfers?sede_id={sur}", headers=world.caja_centro.headers
        )
        assert r.status_code == 403

        approve = f"/api/transfers/{to_norte}/approve"
        r = await jobs_client.post(approve, json={}, headers=world.caja_centro.headers)
        assert r.status_code == 422, r.text
        assert fields(r) == ["acting_user_id"]
        r = await jobs_client.post(
            approve,
            json={"acting_user_id": str(cashier_centro.user_id)},
            headers=world.caja_centro.headers,
        )
        assert r.status_code == 403, r.text
        r = await jobs_client.post(
            approve, json={"acting_user_id": str(uuid.uuid4())}, headers=world.caja_centro.headers
        )
        assert r.status_code == 422, r.text
        assert fields(r) == ["acting_user_id"]
        # The caja of the destination may not approve what leaves the origin.
        r = await jobs_client.post(
            approve,
            json={"acting_user_id": str(world.manager_centro_id)},
            headers=world.caja_norte.headers,
        )
        assert r.status_code == 403, r.text
        # Nor the origin's caja a transfer whose origin is another sede (it is incoming).
        r = await jobs_client.post(
            f"/api/transfers/{from_sur}/approve",
            json={"acting_user_id": str(world.manager_centro_id)},
            headers=world.caja_centro.headers,
        )
        assert r.status_code == 403, r.text
        r = await jobs_client.post(
            approve,
            json={"acting_user_id": str(world.manager_centro_id)},
            headers=world.caja_centro.headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["decided_by"]["id"] == str(world.manager_centro_id)
        done = await wait_status(jobs_client, world, to_norte)
        assert done["status"] == "completed", done["failure_reason"]
        # The caja rejects for its manager the same way.
        again = await pending(jobs_client, world)
        r = await jobs_client.post(
            f"/api/transfers/{again}/reject",
            json={"reason": "no", "acting_user_id": str(world.manager_centro_id)},
            headers=world.caja_centro.headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "rejected"
        # Audited as the caja, for its manager, with the state before and after.
        r = await jobs_client.get(
            "/api/audit-logs?entity_type=transfers&limit=100", headers=world.owner
        )
        (decided,) = [
            row
            for row in r.json()["items"]
            if row["entity_id"] == again and (row["after_data"] or {}).get("status") == "rejected"
        ]
        assert decided["device_id"] == str(world.caja_centro.device_id)
        assert decided["user_id"] == str(world.manager_centro_id)
        assert decided["before_data"]["status"] == "pending"


class TestList:
    async def test_filters_and_cursor_paging(
        self, jobs_app: FastAPI, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        made = [await pending(jobs_client, world) for _ in range(5)]
        r = await request(
            jobs_client,
            world,
            {world.products[0]: "1"},
            origin=world.norte,
            destination=world.centro,
        )
        back = r.json()["id"]
        made.append(back)
        last = await pending(jobs_client, world)
        made.append(last)
        r = await jobs_client.post(
            f"/api/transfers/{last}/reject", json={"reason": "no"}, headers=world.owner
        )
        assert r.status_code == 200

        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            url = "/api/transfers?limit=3" + (f"&cursor={cursor}" if cursor else "")
            r = await jobs_client.get(url, headers=world.owner)
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= 3
            assert all(t["movements"] == [] and t["lines"] for t in page["items"])
            seen += [t["id"] for t in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == list(reversed(made))  # newest first, each once

        async def ids(query: str, headers: dict[str, str] | None = None) -> list[str]:
            r = await jobs_client.get(f"/api/transfers?{query}", headers=headers or world.owner)
            assert r.status_code == 200, r.text
            return [t["id"] for t in r.json()["items"]]

        assert await ids("status=rejected") == [last]
        assert set(await ids("status=pending")) == set(made) - {last}
        assert await ids(f"sede_id={world.centro}&direction=incoming") == [back]
        assert await ids(f"sede_id={world.norte}&direction=outgoing") == [back]
        assert set(await ids(f"sede_id={world.centro}&direction=outgoing")) == set(made) - {back}
        assert await ids(f"sede_id={world.norte}&direction=outgoing&status=pending") == [back]
        # A manager sees their sede's; direction without a sede there is their own sede.
        assert await ids("direction=incoming", world.manager_centro) == [back]
        r = await jobs_client.get("/api/transfers?direction=incoming", headers=world.owner)
        assert r.status_code == 422
        assert fields(r) == ["direction"]
        r = await jobs_client.get("/api/transfers?status=lost", headers=world.owner)
        assert r.status_code == 422
        assert fields(r) == ["status"]
        r = await jobs_client.get("/api/transfers?limit=0", headers=world.owner)
        assert r.status_code == 422
        assert fields(r) == ["limit"]

    @pytest.mark.parametrize("cursor", ["forged", "bm90LWEtY3Vyc29y", "WyJ4IiwgInkiXQ"])
    async def test_forged_cursor_is_422(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld, cursor: str
    ) -> None:
        r = await jobs_client.get(f"/api/transfers?cursor={cursor}", headers=world.owner)
        assert r.status_code == 422, r.text
        assert fields(r) == ["cursor"]


class TestDetailAndAudit:
    async def test_detail_lines_movements_and_audit_trail(
        self, jobs_client: httpx.AsyncClient, world: TransferWorld
    ) -> None:
        p0, p1, _ = world.products
        await stock_in(jobs_client, world, world.centro, {p0: "5", p1: "3"})
        r = await request(jobs_client, world, {p0: "2", p1: "0.5"}, headers=world.manager_norte)
        tid = r.json()["id"]
        r = await jobs_client.get(f"/api/transfers/{tid}", headers=world.manager_norte)
        assert r.status_code == 200
        detail = r.json()
        assert detail["movements"] == []
        assert {(ln["sku"], ln["quantity"]) for ln in detail["lines"]} == {
            ("P000", "2.000"),
            ("P001", "0.500"),
        }
        assert detail["from_sede_name"] == "Centro"
        assert detail["to_sede_name"] == "Norte"
        r = await jobs_client.post(
            f"/api/transfers/{tid}/approve", json={}, headers=world.manager_centro
        )
        assert r.status_code == 200
        done = await wait_status(jobs_client, world, tid)
        assert done["status"] == "completed"
        assert done["completed_at"] is not None
        movements: list[dict[str, str]] = done["movements"]  # type: ignore[assignment]
        moves = sorted((m["sede_id"], m["type"], m["quantity"]) for m in movements)
        assert moves == sorted(
            [
                (str(world.centro), "transfer_out", "-2.000"),
                (str(world.centro), "transfer_out", "-0.500"),
                (str(world.norte), "transfer_in", "2.000"),
                (str(world.norte), "transfer_in", "0.500"),
            ]
        )

        # Every change of the transfer is one audit row of the entity, with before and after.
        r = await jobs_client.get(
            "/api/audit-logs?entity_type=transfers&limit=100", headers=world.owner
        )
        assert r.status_code == 200, r.text
        rows = r.json()["items"]
        mine = [row for row in rows if row["entity_id"] == tid]
        by_path = {row["metadata"]["path"]: row for row in mine}
        assert set(by_path) == {
            "/api/transfers/request",
            f"/api/transfers/{tid}/approve",
            "job:transfers.execute",
        }, mine
        asked = by_path["/api/transfers/request"]
        assert (asked["action"], asked["after_data"]["status"]) == ("transfers.created", "pending")
        assert asked["after_data"]["requested_by"] == asked["user_id"]
        approved = by_path[f"/api/transfers/{tid}/approve"]
        assert approved["before_data"]["status"] == "pending"
        assert approved["after_data"]["status"] == "processing"
        assert approved["user_id"] == str(world.manager_centro_id)
        ran = by_path["job:transfers.execute"]
        assert (ran["before_data"]["status"], ran["after_data"]["status"]) == (
            "processing",
            "completed",
        )
        assert ran["metadata"]["method"] == "JOB"
        # The job acts for whoever approved; the stock it moved is in the trail under it too.
        assert ran["user_id"] == str(world.manager_centro_id)
        r = await jobs_client.get("/api/audit-logs?limit=500", headers=world.owner)
        job_tables = {
            row["entity_type"]
            for row in r.json()["items"]
            if row["metadata"].get("path") == "job:transfers.execute"
        }
        assert {"transfers", "inventory", "transactions"} <= job_tables, job_tables
