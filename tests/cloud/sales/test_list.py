"""GET /api/sales and GET /api/sales/{id}: sales pushed by real cajas, listed newest first
by the caja's (corrected) time with each filter, paged by cursor, held to the caller's sede
below admin and to the tenant always; the detail shows lines, payments and returns."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.cloud.factories import create_device, create_sede, create_shop, create_user, token_for
from tests.cloud.sales.helpers import BASE, a_sale, open_shift_op, push
from tests.cloud.sync.conftest import SyncWorld, world
from tests.cloud.sync.ops import return_op

pytestmark = pytest.mark.asyncio
__all__ = ["world"]
URL = "/api/sales"


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def receipts(items: list[dict[str, Any]]) -> list[str]:
    return [i["receipt"] for i in items]


class TestList:
    async def test_newest_first_with_names_totals_and_payments(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        cashier = await create_user(
            cloud_app.state.sessionmaker, world.shop.tenant_id, "cashier", world.shop.sede_id
        )
        first = a_sale(world, 1, when=BASE, user_id=cashier.user_id)
        second = a_sale(world, 2, units="2", when=BASE + timedelta(minutes=5))
        second["payload"]["sale"]["payments"] = [
            {"id": str(uuid.uuid4()), "method": "cash", "amount": "1000.00"},
            {"id": str(uuid.uuid4()), "method": "card", "amount": "4000.00"},
        ]
        await push(client, world.caja, [first, second])
        items = await listed(client, world.shop.owner)
        assert receipts(items) == ["C01-000002", "C01-000001"]
        newest, oldest = items
        assert Decimal(newest["total"]) == Decimal("5000.00")
        assert {(p["method"], Decimal(p["amount"])) for p in newest["payments"]} == {
            ("cash", Decimal("1000.00")),
            ("card", Decimal("4000.00")),
        }
        assert newest["caja"]["device_id"] == str(world.caja.device_id)
        assert newest["caja"]["name"]
        assert newest["sede_id"] == str(world.shop.sede_id)
        assert newest["sede_name"] == "Centro"
        assert oldest["cashier"] == {"user_id": str(cashier.user_id), "name": "Cashier"}
        assert oldest["client_ts"].startswith("2026-11-01T12:00:00")
        assert oldest["received_at"]
        assert Decimal(oldest["returned"]) == 0
        for key in ("subtotal", "discount", "tax", "total"):
            assert isinstance(oldest[key], str)

    async def test_each_filter(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        tenant = world.shop.tenant_id
        cashier = await create_user(sm, tenant, "cashier", world.shop.sede_id)
        caja2 = await create_device(sm, tenant, world.shop.sede_id)
        norte = await create_sede(sm, tenant, "Norte")
        caja_norte = await create_device(sm, tenant, norte)
        shift = str(uuid.uuid4())
        await push(client, world.caja, [open_shift_op(shift, cashier.user_id)])
        await push(
            client,
            world.caja,
            [
                a_sale(world, 1, when=BASE, user_id=cashier.user_id, shift_id=shift),
                a_sale(world, 2, units="4", when=BASE + timedelta(hours=1)),
            ],
        )
        await push(client, caja2, [a_sale(world, 1, when=BASE + timedelta(hours=2), prefix="C02")])
        await push(
            client, caja_norte, [a_sale(world, 1, when=BASE + timedelta(hours=3), prefix="N01")]
        )
        owner = world.shop.owner
        everything = await listed(client, owner)
        assert receipts(everything) == ["N01-000001", "C02-000001", "C01-000002", "C01-000001"]
        by = {
            "sede_id": (str(norte), ["N01-000001"]),
            "device_id": (str(caja2.device_id), ["C02-000001"]),
            "user_id": (str(cashier.user_id), ["C01-000001"]),
            "shift_id": (shift, ["C01-000001"]),
            "receipt": ("c01-2", ["C01-000002"]),
            "min_total": ("5000", ["C01-000002"]),
            "max_total": ("2500.00", ["N01-000001", "C02-000001", "C01-000001"]),
        }
        for name, (value, expected) in by.items():
            assert receipts(await listed(client, owner, **{name: value})) == expected, name
        window = {
            "from": (BASE + timedelta(hours=1)).isoformat(),
            "to": (BASE + timedelta(hours=3)).isoformat(),
        }
        assert receipts(await listed(client, owner, **window)) == ["C02-000001", "C01-000002"]
        both = await listed(client, owner, sede_id=str(world.shop.sede_id), min_total="2500.01")
        assert receipts(both) == ["C01-000002"]

    async def test_pages_follow_the_cursor_to_the_end(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        # Three sales share one caja time: the id breaks the tie, none lost nor repeated.
        times = [BASE, BASE, BASE, BASE + timedelta(seconds=1), BASE - timedelta(days=1)]
        await push(client, world.caja, [a_sale(world, n, when=t) for n, t in enumerate(times, 1)])
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            r = await client.get(URL, params=params, headers=world.shop.admin)
            assert r.status_code == 200, r.text
            seen += receipts(r.json()["items"])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == 5
        assert seen[0] == "C01-000004"
        assert seen[-1] == "C01-000005"


class TestRoles:
    async def test_manager_and_cashier_see_their_sede_only(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        norte = await create_sede(sm, world.shop.tenant_id, "Norte")
        caja_norte = await create_device(sm, world.shop.tenant_id, norte)
        await push(client, world.caja, [a_sale(world, 1)])
        await push(client, caja_norte, [a_sale(world, 1, prefix="N01")])
        for headers in (world.shop.manager, world.shop.cashier):
            assert receipts(await listed(client, headers)) == ["C01-000001"]
            mine = await listed(client, headers, sede_id=str(world.shop.sede_id))
            assert receipts(mine) == ["C01-000001"]
            r = await client.get(URL, params={"sede_id": str(norte)}, headers=headers)
            assert r.status_code == 403, r.text
        for headers in (world.shop.owner, world.shop.admin):
            assert len(await listed(client, headers)) == 2

    async def test_other_tenant_sees_nothing_and_a_caja_may_not_list(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        await push(client, world.caja, [a_sale(world, 1)])
        other = await create_shop(cloud_app, "Otra")
        assert await listed(client, other.owner) == []
        r = await client.get(URL, params={"sede_id": str(world.shop.sede_id)}, headers=other.owner)
        assert r.status_code == 404, r.text
        assert r.json()["error"] == "not_found"
        r = await client.get(URL, headers=world.caja.headers)
        assert r.status_code == 401, r.text
        assert (await client.get(URL)).status_code == 401


class TestDetail:
    async def test_lines_payments_and_a_return(
        self, client: httpx.AsyncClient, world: SyncWorld
    ) -> None:
        sale = a_sale(world, 7, units="3")
        sale["payload"]["movements"].append(
            {
                "id": str(uuid.uuid4()),
                "product_id": str(world.cheese.id),
                "type": "sale",
                "quantity": "-0.5",
                "unit_price": "30000.00",
                "discount": "0.00",
                "product_version": 1,
                "sale_id": sale["payload"]["document_id"],
            }
        )
        header = sale["payload"]["sale"]
        header.update(subtotal="22500.00", total="22500.00", paid="22500.00")
        header["payments"][0]["amount"] = "22500.00"
        back = return_op(sale, [(0, "1")])
        back["payload"]["return"].update(refund_total="2500.00", refund_method="cash")
        await push(client, world.caja, [sale])
        await push(client, world.caja, [back])
        sale_id = sale["payload"]["document_id"]
        r = await client.get(f"{URL}/{sale_id}", headers=world.shop.manager)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["receipt"], Decimal(body["total"])) == ("C01-000007", Decimal("22500.00"))
        assert Decimal(body["returned"]) == Decimal("2500.00")
        lines = {line["sku"]: line for line in body["lines"]}
        assert (Decimal(lines["ARZ-500"]["quantity"]), Decimal(lines["ARZ-500"]["returned"])) == (
            3,
            1,
        )
        assert Decimal(lines["QSO-KG"]["unit_price"]) == Decimal("30000.00")
        assert [(p["method"], Decimal(p["amount"])) for p in body["payments"]] == [
            ("cash", Decimal("22500.00"))
        ]
        (returned,) = body["returns"]
        assert returned["document_id"] == back["payload"]["document_id"]
        assert [(x["method"], Decimal(x["amount"])) for x in returned["refunds"]] == [
            ("cash", Decimal("2500.00"))
        ]
        assert [x["ref_id"] for x in returned["lines"]] == [lines["ARZ-500"]["id"]]
        assert body["client_ts"]
        assert body["received_at"]
        assert returned["received_at"]
        summary = (await listed(client, world.shop.owner))[0]
        assert Decimal(summary["returned"]) == Decimal("2500.00")

    async def test_another_sede_or_tenant_answers_404(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, world: SyncWorld
    ) -> None:
        sm = cloud_app.state.sessionmaker
        sale = a_sale(world, 1)
        await push(client, world.caja, [sale])
        path = f"{URL}/{sale['payload']['document_id']}"
        norte = await create_sede(sm, world.shop.tenant_id, "Norte")
        for role in ("manager", "cashier"):
            elsewhere = token_for(
                cloud_app, await create_user(sm, world.shop.tenant_id, role, norte)
            )
            assert (await client.get(path, headers=elsewhere)).status_code == 404
        other = await create_shop(cloud_app, "Otra")
        r = await client.get(path, headers=other.owner)
        assert r.status_code == 404, r.text
        assert r.json()["error"] == "not_found"
        assert (await client.get(path, headers=world.shop.admin)).status_code == 200
        assert (
            await client.get(f"{URL}/{uuid.uuid4()}", headers=world.shop.owner)
        ).status_code == 404
        assert (await client.get(path, headers=world.caja.headers)).status_code == 401


BAD = [
    ({"sede_id": "nope"}, "sede_id"),
    ({"device_id": "1"}, "device_id"),
    ({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "from"),
    ({"from": "2026-11-02T00:00:00"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"min_total": "-1"}, "min_total"),
    ({"max_total": "abc"}, "max_total"),
    ({"min_total": "NaN"}, "min_total"),
    ({"min_total": "10", "max_total": "5"}, "min_total"),
    ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "WyJ4IiwieSJd"}, "cursor"),
    ({"receipt": "C01000042"}, "receipt"),
]


@pytest.mark.parametrize(("params", "field"), BAD)
async def test_bad_input_422_names_the_field(
    client: httpx.AsyncClient, world: SyncWorld, params: dict[str, str], field: str
) -> None:
    r = await client.get(URL, params=params, headers=world.shop.owner)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["fields"]], r.text


async def test_bad_sale_id_422(client: httpx.AsyncClient, world: SyncWorld) -> None:
    r = await client.get(f"{URL}/not-a-uuid", headers=world.shop.owner)
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0]["field"] == "sale_id"
