"""reports.rebuild: sales pushed before the rollups existed (emptied here) are counted once
the job has run, and running it again changes nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import ReportHourly, ReportPaymentDaily, ReportProductDaily
from stocky.cloud.reports.jobs import TASKS, rebuild_job
from tests.cloud.reports.conftest import ReportWorld, local, push, sale

pytestmark = pytest.mark.asyncio


async def day_net(client: httpx.AsyncClient, rw: ReportWorld) -> list[tuple[str, str, int]]:
    r = await client.get(
        "/api/reports/sales",
        params={"group_by": "day", "from": "2026-11-20", "to": "2026-11-20"},
        headers=rw.shop.owner,
    )
    assert r.status_code == 200, r.text
    return [(row["key"], row["net"], row["count"]) for row in r.json()["rows"]]


async def test_rebuild_backfills_and_is_idempotent(
    cloud_app: FastAPI, client: httpx.AsyncClient, rw: ReportWorld
) -> None:
    ops = [
        sale([(rw.rice, "2", "100.00")], when=local(20, 9), user=rw.cashier, number=1),
        sale([(rw.cheese, "0.333", "0.00")], when=local(20, 11), user=rw.cashier, number=2),
    ]
    assert await push(client, rw.caja, ops) == ["applied", "applied"]
    expected = [("2026-11-20", "10228.00", 2)]  # 5000 - 100 + round(0.333 x 16000) = 5328
    assert await day_net(client, rw) == expected
    async with tenant_transaction(cloud_app.state.sessionmaker, rw.shop.tenant_id) as session:
        for model in (ReportHourly, ReportProductDaily, ReportPaymentDaily):
            await session.execute(delete(model))
    assert await day_net(client, rw) == []
    context = cast(Any, SimpleNamespace(additional_context={"app": cloud_app}))
    for _ in range(2):
        assert await rebuild_job(context, tenant_id=str(rw.shop.tenant_id)) == str(
            rw.shop.tenant_id
        )
        assert await day_net(client, rw) == expected
    assert [t.name for t in TASKS] == ["reports.rebuild"]
