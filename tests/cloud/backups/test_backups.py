"""The cloud's caja backups: a caja writes and reads only its own, the owner any of the
tenant's, retention keeps the newest K (objects too), sha256 and size are checked.

Real PostgreSQL and the local object storage folder; the cajas are device credentials."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from stocky.cloud.config import Settings
from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import SyncOp
from stocky.core.ids import new_id
from tests.cloud.factories import Caja, Shop, create_device, create_sede, create_shop

pytestmark = pytest.mark.asyncio
KEEP = 3
MAX_BYTES = 64 * 1024


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"backup_keep_per_device": KEEP, "max_backup_bytes": MAX_BYTES}
    )


@pytest_asyncio.fixture
async def shop(cloud_app: FastAPI) -> Shop:
    return await create_shop(cloud_app)


@pytest_asyncio.fixture
async def caja(cloud_app: FastAPI, shop: Shop) -> Caja:
    return await create_device(cloud_app.state.sessionmaker, shop.tenant_id, shop.sede_id)


def _snapshot(tag: str, size: int = 4096) -> bytes:
    return (tag.encode() * size)[:size]


async def _upload(
    client: httpx.AsyncClient, caja: Caja, data: bytes, **params: Any
) -> httpx.Response:
    query = {
        "sha256": hashlib.sha256(data).hexdigest(),
        "reason": "scheduled",
        "taken_at": "2026-12-04T12:00:00Z",
        "last_op_seq": 7,
        **params,
    }
    return await client.post(
        "/api/backups",
        params=query,
        content=data,
        headers={**caja.headers, "Content-Type": "application/octet-stream"},
    )


def _objects(settings: Settings) -> list[str]:
    root = settings.media_root / "backups"
    return sorted(str(p.relative_to(settings.media_root)) for p in root.rglob("*.db"))


class TestUpload:
    async def test_caja_uploads_under_its_own_prefix_and_downloads_it(
        self, client: httpx.AsyncClient, caja: Caja, settings: Settings
    ) -> None:
        data = _snapshot("a")
        op_id = str(new_id())
        response = await _upload(client, caja, data, last_op_id=op_id)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["device_id"] == str(caja.device_id)
        assert body["sede_id"] == str(caja.sede_id)
        assert (body["size"], body["last_op_seq"], body["last_op_id"]) == (len(data), 7, op_id)
        assert _objects(settings) == [f"backups/{caja.tenant_id}/{caja.device_id}/{body['id']}.db"]
        got = await client.get(f"/api/backups/{body['id']}/download", headers=caja.headers)
        assert got.status_code == 200
        assert got.content == data
        assert got.headers["x-backup-sha256"] == hashlib.sha256(data).hexdigest()

    async def test_wrong_sha256_is_refused_naming_the_field(
        self, client: httpx.AsyncClient, caja: Caja, settings: Settings
    ) -> None:
        response = await _upload(client, caja, _snapshot("a"), sha256="0" * 64)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "sha256"
        assert _objects(settings) == []

    async def test_too_large_is_413(self, client: httpx.AsyncClient, caja: Caja) -> None:
        response = await _upload(client, caja, _snapshot("a", MAX_BYTES + 1))
        assert response.status_code == 413
        assert "MB" in response.json()["message"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"reason": "Not Ok"}, "reason"),
            ({"last_op_seq": -1}, "last_op_seq"),
            ({"taken_at": "yesterday"}, "taken_at"),
        ],
    )
    async def test_bad_query_names_the_field(
        self, client: httpx.AsyncClient, caja: Caja, params: dict[str, Any], field: str
    ) -> None:
        response = await _upload(client, caja, _snapshot("a"), **params)
        assert response.status_code == 422
        assert field in response.text

    async def test_a_user_cannot_upload(self, client: httpx.AsyncClient, shop: Shop) -> None:
        data = _snapshot("a")
        response = await client.post(
            "/api/backups",
            params={"sha256": hashlib.sha256(data).hexdigest(), "taken_at": "2026-12-04T12:00:00Z"},
            content=data,
            headers=shop.owner,
        )
        assert response.status_code == 403

    async def test_retention_keeps_the_newest_k_per_caja_and_deletes_objects(
        self,
        client: httpx.AsyncClient,
        cloud_app: FastAPI,
        shop: Shop,
        caja: Caja,
        settings: Settings,
    ) -> None:
        other = await create_device(cloud_app.state.sessionmaker, shop.tenant_id, shop.sede_id)
        assert (await _upload(client, other, _snapshot("o"))).status_code == 201
        ids = []
        for n in range(KEEP + 2):
            response = await _upload(client, caja, _snapshot(str(n)))
            assert response.status_code == 201
            ids.append(response.json()["id"])
        listed = await client.get("/api/backups", headers=caja.headers)
        assert [b["id"] for b in listed.json()["items"]] == ids[::-1][:KEEP]
        mine = [k for k in _objects(settings) if str(caja.device_id) in k]
        assert sorted(mine) == sorted(
            f"backups/{caja.tenant_id}/{caja.device_id}/{i}.db" for i in ids[-KEEP:]
        )
        assert len(_objects(settings)) == KEEP + 1  # the other caja's is kept
        gone = await client.get(f"/api/backups/{ids[0]}/download", headers=caja.headers)
        assert gone.status_code == 404


class TestIsolation:
    async def test_cajas_and_tenants_read_only_their_own(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, shop: Shop, caja: Caja
    ) -> None:
        sm = cloud_app.state.sessionmaker
        second = await create_device(sm, shop.tenant_id, shop.sede_id)
        other_shop = await create_shop(cloud_app, "Otra")
        stranger = await create_device(sm, other_shop.tenant_id, other_shop.sede_id)
        backup_id = (await _upload(client, caja, _snapshot("a"))).json()["id"]
        url = f"/api/backups/{backup_id}/download"
        for headers in (second.headers, stranger.headers, other_shop.owner):
            assert (await client.get(url, headers=headers)).status_code == 404
        for headers in (shop.admin, shop.manager, shop.cashier):
            assert (await client.get(url, headers=headers)).status_code == 403
        assert (await client.get(url, headers=shop.owner)).status_code == 200
        assert (await client.get("/api/backups", headers=second.headers)).json()["items"] == []
        assert (await client.get("/api/backups", headers=stranger.headers)).json()["items"] == []
        spy = await client.get(
            "/api/backups", params={"device_id": str(caja.device_id)}, headers=second.headers
        )
        assert spy.status_code == 403
        assert (await client.get("/api/backups", headers=other_shop.owner)).json()["items"] == []
        assert (await client.get("/api/backups", headers=shop.cashier)).status_code == 403

    async def test_admin_lists_the_tenants_filtered_by_sede_and_caja(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, shop: Shop, caja: Caja
    ) -> None:
        sm = cloud_app.state.sessionmaker
        north = await create_sede(sm, shop.tenant_id, "Norte")
        far = await create_device(sm, shop.tenant_id, north)
        mine = (await _upload(client, caja, _snapshot("a"))).json()["id"]
        theirs = (await _upload(client, far, _snapshot("b"))).json()["id"]
        every = await client.get("/api/backups", headers=shop.admin)
        assert {b["id"] for b in every.json()["items"]} == {mine, theirs}
        by_sede = await client.get(
            "/api/backups", params={"sede_id": str(north)}, headers=shop.admin
        )
        assert [b["id"] for b in by_sede.json()["items"]] == [theirs]
        by_caja = await client.get(
            "/api/backups", params={"device_id": str(caja.device_id)}, headers=shop.owner
        )
        assert [b["id"] for b in by_caja.json()["items"]] == [mine]


class TestDeviceOps:
    async def test_counts_the_ops_received_and_those_past_an_op_id(
        self, client: httpx.AsyncClient, cloud_app: FastAPI, shop: Shop, caja: Caja
    ) -> None:
        op_ids = [new_id() for _ in range(5)]
        async with tenant_transaction(cloud_app.state.sessionmaker, shop.tenant_id) as session:
            for op_id in op_ids:
                session.add(
                    SyncOp(
                        tenant_id=shop.tenant_id,
                        op_id=op_id,
                        sede_id=shop.sede_id,
                        device_id=caja.device_id,
                        kind="sale.create",
                        entity_id=None,
                        body_hash="0" * 64,
                        status="applied",
                        result={},
                    )
                )
        response = await client.get(
            "/api/backups/device-ops", params={"after_op_id": str(op_ids[1])}, headers=caja.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["ops_total"], body["ops_after"]) == (5, 3)
        assert body["last_op_id"] == str(op_ids[-1])
        owner = await client.get(
            "/api/backups/device-ops",
            params={"device_id": str(caja.device_id)},
            headers=shop.owner,
        )
        assert owner.json()["ops_total"] == 5
        other = await create_device(cloud_app.state.sessionmaker, shop.tenant_id, shop.sede_id)
        spy = await client.get(
            "/api/backups/device-ops",
            params={"device_id": str(caja.device_id)},
            headers=other.headers,
        )
        assert spy.status_code == 403
        assert (await client.get("/api/backups/device-ops", headers=shop.owner)).status_code == 422
        random = await client.get(
            "/api/backups/device-ops", params={"device_id": str(uuid.uuid4())}, headers=shop.owner
        )
        assert random.json()["ops_total"] == 0
