"""GET /metrics of the API in-process: route templates, sync counters, the job queue, the
pool, Redis errors, who may read it, and the request id."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr
from redis.exceptions import RedisError

from stocky.cloud.observability.hooks import CountingRedis
from tests.cloud.factories import Caja, Shop, create_device, create_product, create_shop
from tests.cloud.observability.scrape import value
from tests.cloud.sync.ops import sale_op
from tests.fixtures.cloud_process import free_port

pytestmark = pytest.mark.asyncio


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


@pytest_asyncio.fixture
async def shop_caja(cloud_app: FastAPI) -> tuple[Shop, Caja, Any]:
    shop = await create_shop(cloud_app)
    sm = cloud_app.state.sessionmaker
    caja = await create_device(sm, shop.tenant_id, shop.sede_id)
    rice = await create_product(sm, shop.tenant_id, name="Arroz 500 g", sku="ARZ-500")
    return shop, caja, rice


class TestRoutes:
    async def test_a_request_counts_under_its_route_template(self, client) -> None:
        product = uuid.uuid4()
        before = value(
            await scrape(client),
            "stocky_http_request_duration_seconds_count",
            route="/api/products/{product_id}",
            method="GET",
            status="4xx",
        )
        response = await client.get(f"/api/products/{product}")
        assert response.status_code == 401
        text = await scrape(client)
        after = value(
            text,
            "stocky_http_request_duration_seconds_count",
            route="/api/products/{product_id}",
            method="GET",
            status="4xx",
        )
        assert after == before + 1
        assert str(product) not in text  # the raw path never becomes a label

    async def test_unknown_paths_share_one_label(self, client) -> None:
        for n in range(3):
            assert (await client.get(f"/no/such/{uuid.uuid4()}/{n}")).status_code == 404
        text = await scrape(client)
        assert (
            value(
                text,
                "stocky_http_request_duration_seconds_count",
                route="unmatched",
                method="GET",
                status="4xx",
            )
            >= 3
        )
        assert "/no/such/" not in text


class TestSync:
    async def test_push_ops_by_status(self, client, shop_caja) -> None:
        shop, caja, rice = shop_caja
        before = await scrape(client)
        op = sale_op([(rice.id, "1", "2500.00")])
        body = {"sede_id": str(caja.sede_id), "device_id": str(caja.device_id), "operations": [op]}
        for _ in range(2):  # the second delivery is a duplicate
            response = await client.post("/api/sync/push", json=body, headers=caja.headers)
            assert response.status_code == 200, response.text
        bad = {**op, "op_id": str(uuid.uuid4()), "payload": {"type": "sale"}}
        response = await client.post(
            "/api/sync/push", json={**body, "operations": [bad]}, headers=caja.headers
        )
        assert response.json()["results"][0]["status"] == "rejected"
        after = await scrape(client)
        for status in ("applied", "duplicate", "rejected"):
            delta = value(after, "stocky_sync_push_ops_total", status=status) - value(
                before, "stocky_sync_push_ops_total", status=status
            )
            assert delta == 1, status
        assert (
            value(after, "stocky_sede_last_contact_timestamp_seconds", sede_id=str(shop.sede_id))
            > 0
        )

    async def test_pull_rows_pages_and_divergences(self, client, shop_caja) -> None:
        _shop, caja, _rice = shop_caja
        before = await scrape(client)
        response = await client.post(
            "/api/sync/pull", json={"sede_id": str(caja.sede_id)}, headers=caja.headers
        )
        assert response.status_code == 200, response.text
        served = len(response.json()["changes"])
        assert served > 0  # the product, its users, the sede
        refetch = {"sede_id": str(caja.sede_id), "table": "products"}
        response = await client.post("/api/sync/refetch", json=refetch, headers=caja.headers)
        assert response.status_code == 200, response.text
        after = await scrape(client)

        def delta(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert delta("stocky_sync_pull_pages_total") == 1
        assert delta("stocky_sync_pull_rows_total") == served
        assert delta("stocky_sync_checksum_divergences_total", table="products") == 1


class TestScrapedFigures:
    async def test_queue_depth_from_the_jobs_table(self, client, cloud_app) -> None:
        jobs = cloud_app.state.jobs
        before = value(await scrape(client), "stocky_jobs_queue", queue="default", status="todo")
        async with jobs.open_async():
            task = jobs.tasks["jobs.retry_stalled"]
            for n in range(2):
                await task.defer_async(timestamp=n)
        text = await scrape(client)
        assert value(text, "stocky_db_up") == 1
        assert value(text, "stocky_jobs_queue", queue="default", status="todo") == before + 2

    async def test_pool_size_and_use(self, client, cloud_app) -> None:
        text = await scrape(client)
        assert value(text, "stocky_db_pool_size") >= cloud_app.state.settings.db_pool_size
        engine = cloud_app.state.engine
        async with engine.connect():
            held = value(await scrape(client), "stocky_db_pool_checked_out")
        assert held >= 1  # ours, while the scrape itself has given its own back

    async def test_redis_errors_are_counted(self, client) -> None:
        before = value(await scrape(client), "stocky_redis_errors_total")
        nowhere = CountingRedis.from_url(f"redis://127.0.0.1:{free_port()}", socket_timeout=2)
        with pytest.raises(RedisError, match=r"(?i)connect"):
            await nowhere.get("x")
        await nowhere.aclose()
        assert value(await scrape(client), "stocky_redis_errors_total") == before + 1


class TestAccess:
    async def test_other_addresses_need_the_token(self, cloud_app) -> None:
        transport = httpx.ASGITransport(app=cloud_app, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            refused = await c.get("/metrics")
            assert refused.status_code == 403
            assert "metrics" in refused.json()["message"]
            settings = cloud_app.state.settings
            cloud_app.state.settings = settings.model_copy(
                update={"metrics_token": SecretStr("s3cret-scrape-token")}
            )
            try:
                wrong = await c.get("/metrics", headers={"Authorization": "Bearer nope"})
                assert wrong.status_code == 403
                ok = await c.get(
                    "/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"}
                )
                assert ok.status_code == 200
                assert "stocky_http_request_duration_seconds" in ok.text
            finally:
                cloud_app.state.settings = settings


class TestRequestId:
    async def test_a_sane_id_is_echoed(self, client) -> None:
        response = await client.get("/health", headers={"X-Request-ID": "caja-1234abcd"})
        assert response.headers["x-request-id"] == "caja-1234abcd"

    @pytest.mark.parametrize("hostile", ["a b c d e f g h", "x" * 65, "short", "ab\"cd'efgh"])
    async def test_anything_else_is_replaced(self, client, hostile: str) -> None:
        response = await client.get("/health", headers={"X-Request-ID": hostile})
        echoed = response.headers["x-request-id"]
        assert echoed != hostile
        assert len(echoed) == 32
        assert int(echoed, 16) >= 0

    async def test_every_answer_has_one(self, client) -> None:
        first = (await client.get("/health")).headers["x-request-id"]
        second = (await client.get("/health")).headers["x-request-id"]
        assert first != second
