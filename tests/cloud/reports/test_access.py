"""Who sees which reports: owner and admin every sede (or one), a manager only its own, a
cashier and a caja's credential none; another tenant sees nothing of this one. Bad
parameters answer 422 naming the field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from tests.cloud.factories import Caja, create_device, create_sede, create_shop
from tests.cloud.reports.conftest import ReportWorld, local, push, sale

pytestmark = pytest.mark.asyncio
URL = "/api/reports/sales"
RANGE = {"from": "2026-11-19", "to": "2026-11-20"}


@pytest_asyncio.fixture
async def two_sedes(cloud_app: FastAPI, client: httpx.AsyncClient, rw: ReportWorld) -> Caja:
    """A sale in each sede: 2500 in Centro, 5000 in Norte."""
    sm = cloud_app.state.sessionmaker
    norte = await create_sede(sm, rw.shop.tenant_id, "Norte")
    caja_norte = await create_device(sm, rw.shop.tenant_id, norte)
    one = sale([(rw.rice, "1", "0.00")], when=local(20, 9), user=rw.cashier, number=1)
    two = sale([(rw.rice, "2", "0.00")], when=local(20, 9), user=rw.cashier, number=1)
    assert await push(client, rw.caja, [one]) == ["applied"]
    assert await push(client, caja_norte, [two]) == ["applied"]
    return caja_norte


def nets(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 200, r.text
    return {row["label"]: row["net"] for row in r.json()["rows"]}


async def test_owner_and_admin_see_every_sede_or_one(
    client: httpx.AsyncClient, rw: ReportWorld, two_sedes: Caja
) -> None:
    for headers in (rw.shop.owner, rw.shop.admin):
        r = await client.get(URL, params={"group_by": "sede", **RANGE}, headers=headers)
        assert nets(r) == {"Centro": "2500.00", "Norte": "5000.00"}
    one = {"group_by": "sede", "sede_id": str(two_sedes.sede_id), **RANGE}
    assert nets(await client.get(URL, params=one, headers=rw.shop.owner)) == {"Norte": "5000.00"}


async def test_a_manager_sees_only_its_sede(
    client: httpx.AsyncClient, rw: ReportWorld, two_sedes: Caja
) -> None:
    for path in ("sales", "top-products"):
        r = await client.get(f"/api/reports/{path}", params=RANGE, headers=rw.shop.manager)
        assert r.status_code == 200, r.text
        assert r.json()["sede_id"] == str(rw.shop.sede_id)
    r = await client.get(URL, params={"group_by": "sede", **RANGE}, headers=rw.shop.manager)
    assert nets(r) == {"Centro": "2500.00"}
    other = {"sede_id": str(two_sedes.sede_id), **RANGE}
    for path in ("sales", "top-products", "cover"):
        r = await client.get(f"/api/reports/{path}", params=other, headers=rw.shop.manager)
        assert r.status_code == 403, r.text


async def test_cashier_caja_and_nobody_are_refused(
    client: httpx.AsyncClient, rw: ReportWorld, two_sedes: Caja
) -> None:
    for path in ("sales", "top-products", "cover"):
        r = await client.get(f"/api/reports/{path}", headers=rw.shop.cashier)
        assert r.status_code == 403, r.text
        assert (
            await client.get(f"/api/reports/{path}", headers=rw.caja.headers)
        ).status_code == 401
        assert (await client.get(f"/api/reports/{path}")).status_code == 401


async def test_another_tenant_sees_nothing(
    cloud_app: FastAPI, client: httpx.AsyncClient, rw: ReportWorld, two_sedes: Caja
) -> None:
    other = await create_shop(cloud_app, "Otra")
    for group_by in ("sede", "day", "product", "payment_method", "cashier"):
        r = await client.get(URL, params={"group_by": group_by, **RANGE}, headers=other.owner)
        assert r.status_code == 200, r.text
        assert r.json()["rows"] == []
    r = await client.get(
        URL, params={"sede_id": str(rw.shop.sede_id), **RANGE}, headers=other.owner
    )
    assert r.status_code == 404, r.text


BAD: list[tuple[dict[str, Any], str]] = [
    ({"from": "2026-11-21", "to": "2026-11-20"}, "from"),
    ({"from": "2025-01-01", "to": "2026-11-20"}, "to"),
    ({"group_by": "weekday"}, "group_by"),
    ({"from": "yesterday"}, "from"),
    ({"sede_id": "not-a-uuid"}, "sede_id"),
    ({"format": "xlsx"}, "format"),
    ({"csv_locale": "fr"}, "csv_locale"),
]


@pytest.mark.parametrize(("params", "field"), BAD)
async def test_bad_params_422_name_the_field(
    client: httpx.AsyncClient, rw: ReportWorld, params: dict[str, Any], field: str
) -> None:
    r = await client.get(URL, params=params, headers=rw.shop.owner)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["fields"]], r.text


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("top-products", {"by": "margin"}, "by"),
        ("top-products", {"limit": "0"}, "limit"),
        ("cover", {"days": "0"}, "days"),
        ("cover", {"days": "400"}, "days"),
    ],
)
async def test_bad_params_of_the_other_reports(
    client: httpx.AsyncClient, rw: ReportWorld, path: str, params: dict[str, str], field: str
) -> None:
    r = await client.get(f"/api/reports/{path}", params=params, headers=rw.shop.owner)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["fields"]], r.text
