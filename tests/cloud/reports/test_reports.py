"""GET /api/reports against hand-computed figures: a Bogotá shop (UTC-5) whose sales cross
a local midnight, a line discount, a weighed (fractional) line, a return, cash with change
and card, a cost the caja sent and costs the cloud filled from the product, and a caja whose
clock runs two hours ahead (its sale lands on the corrected local day and hour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import select, update

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Sede, Transaction
from stocky.cloud.reports import service
from tests.cloud.reports.conftest import ReportWorld, entry, local, push, return_of, sale

pytestmark = pytest.mark.asyncio
URL = "/api/reports"
RANGE = {"from": "2026-11-19", "to": "2026-11-20"}


async def get(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    r = await client.get(f"{URL}/{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def by_key(body: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


def figures(row: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(row[n] for n in names)


MONEY = ("units", "gross", "discounts", "net", "cost", "margin", "returned_units", "returns")


@pytest_asyncio.fixture
async def pushed(client: httpx.AsyncClient, rw: ReportWorld) -> dict[str, Any]:
    """The fixture's sales, as a caja pushes them. Figures (COP):
    s1 19 Nov 23:30 (04:30 UTC the 20th), caja A: rice 2 x 2500 less 500, cheese 0.750 kg x
      16000 = 12000; total 16500, paid 20000 cash (3500 change); no costs sent: the cloud
      fills 1800 and 12000 a unit -> cost 3600 + 9000.
    s2 20 Nov 00:10, caja A: rice 1 x 2500 by card, the caja sent cost 1700.
    r1 20 Nov 10:00, caja A: 1 rice of s1 back, 2250 in cash (half the line's net).
    s3 20 Nov 22:30 by the true time, caja B two hours ahead (it stamps 00:30 the 21st):
      cheese 0.500 kg = 8000 by card, cost 6000.
    """
    s1 = sale(
        [(rw.rice, "2", "500.00"), (rw.cheese, "0.750", "0.00")],
        when=local(19, 23, 30),
        user=rw.cashier,
        number=1,
        payments=[("cash", "20000.00")],
    )
    s2 = sale(
        [(rw.rice, "1", "0.00")],
        when=local(20, 0, 10),
        user=rw.cashier,
        number=2,
        payments=[("card", "2500.00")],
        costs=["1700.00"],
    )
    r1 = return_of(s1, [(0, "1", "2250.00")], when=local(20, 10), user=rw.cashier)
    stock = [entry(rw.rice, "100"), entry(rw.cheese, "10")]
    assert await push(client, rw.caja, [*stock, s1, s2, r1]) == ["applied"] * 5
    ahead = timedelta(hours=2)
    s3 = sale(
        [(rw.cheese, "0.500", "0.00")],
        when=local(20, 22, 30) + ahead,
        user=rw.cashier_b,
        number=1,
        payments=[("card", "8000.00")],
    )
    client_now = datetime.now(UTC) + ahead
    assert await push(client, rw.caja_b, [s3], client_now=client_now) == ["applied"]
    return {"s1": s1, "s2": s2, "r1": r1, "s3": s3}


class TestSales:
    async def test_by_day_in_the_tenant_zone(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        body = await get(client, "sales", rw.shop.owner, group_by="day", **RANGE)
        rows = by_key(body)
        assert list(rows) == ["2026-11-19", "2026-11-20"]
        assert figures(rows["2026-11-19"], *MONEY, "count") == (
            "2.750",
            "17000.00",
            "500.00",
            "16500.00",
            "12600.00",
            "3900.00",
            "0.000",
            "0.00",
            1,
        )
        # s2, s3 (its skewed clock corrected back to the 20th) and r1.
        assert figures(rows["2026-11-20"], *MONEY, "count") == (
            "1.500",
            "10500.00",
            "0.00",
            "10500.00",
            "7700.00",
            "2350.00",
            "1.000",
            "2250.00",
            2,
        )
        assert figures(body["totals"], "net", "margin", "returns", "count") == (
            "27000.00",
            "6250.00",
            "2250.00",
            3,
        )
        assert body["currency"] == "COP"
        assert (body["from"], body["to"]) == ("2026-11-19", "2026-11-20")

    async def test_by_hour_caja_and_cashier(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        hours = by_key(await get(client, "sales", rw.shop.owner, group_by="hour", **RANGE))
        assert {h: (r["net"], r["returns"], r["count"]) for h, r in hours.items()} == {
            "0": ("2500.00", "0.00", 1),
            "10": ("0.00", "2250.00", 0),
            "22": ("8000.00", "0.00", 1),
            "23": ("16500.00", "0.00", 1),
        }
        cajas = by_key(await get(client, "sales", rw.shop.owner, group_by="caja", **RANGE))
        assert {k: (r["net"], r["count"]) for k, r in cajas.items()} == {
            str(rw.caja.device_id): ("19000.00", 2),
            str(rw.caja_b.device_id): ("8000.00", 1),
        }
        assert cajas[str(rw.caja.device_id)]["label"].startswith("Caja ")
        people = by_key(await get(client, "sales", rw.shop.owner, group_by="cashier", **RANGE))
        assert {k: (r["label"], r["net"]) for k, r in people.items()} == {
            str(rw.cashier.user_id): ("Cashier", "19000.00"),
            str(rw.cashier_b.user_id): ("Cashier", "8000.00"),
        }
        sedes = by_key(await get(client, "sales", rw.shop.owner, group_by="sede", **RANGE))
        assert {k: (r["label"], r["net"]) for k, r in sedes.items()} == {
            str(rw.shop.sede_id): ("Centro", "27000.00")
        }

    async def test_by_product_and_category(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        products = by_key(await get(client, "sales", rw.shop.owner, group_by="product", **RANGE))
        rice, cheese = products[str(rw.rice.id)], products[str(rw.cheese.id)]
        assert figures(rice, "label", *MONEY, "count") == (
            "Arroz 500 g",
            "3.000",
            "7500.00",
            "500.00",
            "7000.00",
            "5300.00",
            "1250.00",
            "1.000",
            "2250.00",
            2,
        )
        assert figures(cheese, *MONEY, "count") == (
            "1.250",
            "20000.00",
            "0.00",
            "20000.00",
            "15000.00",
            "5000.00",
            "0.000",
            "0.00",
            2,
        )
        categories = by_key(await get(client, "sales", rw.shop.owner, group_by="category", **RANGE))
        assert {k: r["net"] for k, r in categories.items()} == {
            "Granos": "7000.00",
            "Lácteos": "20000.00",
        }

    async def test_by_payment_method(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        body = await get(client, "sales", rw.shop.owner, group_by="payment_method", **RANGE)
        methods = by_key(body)
        # Cash took 20000 less 3500 change, and gave 2250 back.
        assert figures(methods["cash"], "gross", "returns", "net", "count", "units") == (
            "16500.00",
            "2250.00",
            "14250.00",
            1,
            None,
        )
        assert figures(methods["card"], "gross", "returns", "net", "count") == (
            "10500.00",
            "0.00",
            "10500.00",
            2,
        )

    async def test_one_day_and_the_cloud_filled_costs(
        self, cloud_app: FastAPI, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        body = await get(
            client,
            "sales",
            rw.shop.owner,
            group_by="day",
            **{"from": "2026-11-20", "to": "2026-11-20"},
        )
        assert [r["key"] for r in body["rows"]] == ["2026-11-20"]
        async with tenant_transaction(cloud_app.state.sessionmaker, rw.shop.tenant_id) as session:
            costs = {
                (t.type, t.product_id, t.unit_cost)
                for t in (
                    await session.execute(select(Transaction).where(Transaction.type != "entry"))
                ).scalars()
            }
        assert costs == {
            ("sale", rw.rice.id, Decimal("1800.00")),  # filled from the product
            ("sale", rw.rice.id, Decimal("1700.00")),  # as the caja sent it
            ("sale", rw.cheese.id, Decimal("12000.00")),
            ("return", rw.rice.id, Decimal("1800.00")),
        }


class TestTopAndCover:
    async def test_top_products_by_net_and_units(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        by_net = await get(client, "top-products", rw.shop.owner, by="net", **RANGE)
        assert [r["label"] for r in by_net["rows"]] == ["Queso campesino", "Arroz 500 g"]
        by_units = await get(client, "top-products", rw.shop.owner, by="units", limit=1, **RANGE)
        assert [(r["label"], r["units"]) for r in by_units["rows"]] == [("Arroz 500 g", "3.000")]

    async def test_days_of_cover(
        self,
        client: httpx.AsyncClient,
        rw: ReportWorld,
        pushed: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(service, "_now", lambda: local(20, 23).astimezone(UTC))
        body = await get(client, "cover", rw.shop.owner, sede_id=str(rw.shop.sede_id), days=30)
        assert (body["from"], body["to"], body["days"]) == ("2026-10-22", "2026-11-20", 30)
        rows = [
            figures(r, "name", "units_sold", "per_day", "on_hand", "days_of_cover")
            for r in body["rows"]
        ]
        # Cheese: 1.250 kg sold, 10 - 1.250 on hand; rice: 3 sold, 1 back, 98 on hand.
        assert rows == [
            ("Queso campesino", "1.250", "0.042", "8.750", "210.0"),
            ("Arroz 500 g", "2.000", "0.067", "98.000", "1470.0"),
        ]


class TestCsv:
    async def test_spanish_csv(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        r = await client.get(
            f"{URL}/sales",
            params={"group_by": "day", "format": "csv", "csv_locale": "es", **RANGE},
            headers=rw.shop.owner,
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        assert (
            r.headers["content-disposition"]
            == 'attachment; filename="ventas-day-2026-11-19-2026-11-20.csv"'
        )
        lines = r.text.splitlines()
        assert lines[0] == (
            "key;label;units;gross;discounts;net;cost;margin;returned_units;returns;count"
        )
        assert (
            lines[1] == "2026-11-19;;2,750;17000,00;500,00;16500,00;12600,00;3900,00;0,000;0,00;1"
        )
        assert len(lines) == 3

    async def test_plain_csv_and_other_reports(
        self, client: httpx.AsyncClient, rw: ReportWorld, pushed: dict[str, Any]
    ) -> None:
        r = await client.get(
            f"{URL}/sales",
            params={"group_by": "day", "format": "csv", **RANGE},
            headers=rw.shop.owner,
        )
        assert r.text.splitlines()[1].startswith("2026-11-19,,2.750,17000.00,500.00,")
        for path in ("top-products", "cover"):
            r = await client.get(f"{URL}/{path}", params={"format": "csv"}, headers=rw.shop.owner)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("text/csv")
            assert "attachment" in r.headers["content-disposition"]


class TestSedeZone:
    async def test_a_sede_zone_overrides_the_tenant_zone(
        self, cloud_app: FastAPI, client: httpx.AsyncClient, rw: ReportWorld
    ) -> None:
        async with tenant_transaction(cloud_app.state.sessionmaker, rw.shop.tenant_id) as session:
            await session.execute(
                update(Sede).where(Sede.id == rw.shop.sede_id).values(timezone="Europe/Madrid")
            )
        # 23:30 in Bogotá on the 19th is 05:30 on the 20th in Madrid (UTC+1 in November).
        late = sale([(rw.rice, "1", "0.00")], when=local(19, 23, 30), user=rw.cashier, number=1)
        assert await push(client, rw.caja, [late]) == ["applied"]
        hours = await get(client, "sales", rw.shop.owner, group_by="hour", **RANGE)
        assert [r["key"] for r in hours["rows"]] == ["5"]
        days = await get(client, "sales", rw.shop.owner, group_by="day", **RANGE)
        assert [(r["key"], r["net"]) for r in days["rows"]] == [("2026-11-20", "2500.00")]
