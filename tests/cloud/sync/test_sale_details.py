"""A sale's customer and discount approver (issue 12 items 9, 12) land in the cloud's sales
row; a sale without them (an older caja's payload) still applies, with NULLs."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Sale
from tests.cloud.sync.conftest import SyncWorld
from tests.cloud.sync.ops import push_body, sale_op

pytestmark = pytest.mark.asyncio


async def test_customer_and_approver_land_in_the_sales_row(
    client, cloud_app, world: SyncWorld
) -> None:
    approver = uuid.uuid4()
    with_customer = sale_op([(world.rice.id, "2", "2500.00")], number=1)
    header = with_customer["payload"]["sale"]
    header["customer"] = {"name": "Ana Gómez", "tax_id": "900123456-7"}
    header["discount_approved_by"] = str(approver)
    plain = sale_op([(world.rice.id, "1", "2500.00")], number=2)
    response = await client.post(
        "/api/sync/push", json=push_body(world, [with_customer, plain]), headers=world.caja.headers
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["applied", "applied"]
    async with tenant_transaction(cloud_app.state.sessionmaker, world.shop.tenant_id) as s:
        rows = {row.number: row for row in (await s.execute(select(Sale))).scalars()}
    assert (rows[1].customer_name, rows[1].customer_tax_id) == ("Ana Gómez", "900123456-7")
    assert rows[1].discount_approved_by == approver
    assert (rows[2].customer_name, rows[2].customer_tax_id, rows[2].discount_approved_by) == (
        None,
        None,
        None,
    )


async def test_a_customer_name_with_a_control_character_is_rejected(
    client, world: SyncWorld
) -> None:
    op = sale_op([(world.rice.id, "1", "2500.00")])
    op["payload"]["sale"]["customer"] = {"name": "Ana\x07"}
    response = await client.post(
        "/api/sync/push", json=push_body(world, [op]), headers=world.caja.headers
    )
    assert response.json()["results"][0]["status"] == "rejected"
