"""Property: whatever the caja times (ties included) and the page size, following
GET /api/sales's cursor yields every sale of the filter exactly once, newest first by
(caja time, id), and a page never holds more than the limit."""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cloud.factories import create_device
from tests.cloud.sales.helpers import BASE, a_sale, push
from tests.cloud.sync.conftest import SyncWorld, world

__all__ = ["world"]
_NUMBERS = itertools.count(1)


@settings(
    max_examples=int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    # Minutes after BASE, from a small range so several sales share a time.
    minutes=st.lists(st.integers(0, 4), min_size=0, max_size=14),
    limit=st.integers(1, 6),
    min_total=st.sampled_from([None, "2500.00", "5000.00"]),
)
@pytest.mark.asyncio
async def test_cursor_pages_cover_the_filter_once_in_order(
    client: httpx.AsyncClient,
    cloud_app: FastAPI,
    world: SyncWorld,
    minutes: list[int],
    limit: int,
    min_total: str | None,
) -> None:
    # A caja of its own per example: its device_id filter keeps the examples apart.
    caja = await create_device(
        cloud_app.state.sessionmaker, world.shop.tenant_id, world.shop.sede_id
    )
    ops = [
        a_sale(world, next(_NUMBERS), units=str(1 + i % 3), when=BASE + timedelta(minutes=m))
        for i, m in enumerate(minutes)
    ]
    if ops:
        await push(client, caja, ops)
    wanted = [
        op
        for op in ops
        if min_total is None or Decimal(op["payload"]["sale"]["total"]) >= Decimal(min_total)
    ]
    wanted.sort(
        key=lambda op: (op["client_ts"], uuid.UUID(op["payload"]["document_id"])), reverse=True
    )
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(ops) + 2):
        params: dict[str, Any] = {"device_id": str(caja.device_id), "limit": limit}
        if min_total is not None:
            params["min_total"] = min_total
        if cursor is not None:
            params["cursor"] = cursor
        r = await client.get("/api/sales", params=params, headers=world.shop.owner)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None, "the pages did not end"
    assert seen == [op["payload"]["document_id"] for op in wanted]
