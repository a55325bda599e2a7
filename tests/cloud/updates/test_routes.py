"""The cloud's update routes: the repository folder served per channel (only the names a
release makes; nothing outside the folder), a caja's reports under its own tenant, sede and
device, and the list only owners read (another tenant sees none)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from stocky.cloud.config import Settings
from tests.cloud.factories import create_device, create_shop

pytestmark = pytest.mark.asyncio


async def test_the_repository_is_served_by_safe_names_only(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    channel = settings.data_dir / "updates" / "stable"
    (channel / "metadata").mkdir(parents=True)
    (channel / "targets").mkdir(parents=True)
    (channel / "metadata" / "timestamp.json").write_text('{"signed": {}}')
    (channel / "targets" / "stocky-caja-1.3.0.tar.gz").write_bytes(b"\x1f\x8b archive")
    (settings.data_dir / "secret.json").write_text("{}")

    r = await client.get("/updates/stable/metadata/timestamp.json")
    assert r.status_code == 200
    assert r.json() == {"signed": {}}
    assert r.headers["cache-control"] == "no-cache"
    r = await client.get("/updates/stable/targets/stocky-caja-1.3.0.tar.gz")
    assert (r.status_code, r.content) == (200, b"\x1f\x8b archive")

    assert (await client.get("/updates/stable/metadata/2.root.json")).status_code == 404
    assert (await client.get("/updates/beta/metadata/timestamp.json")).status_code == 404
    for path in (
        "/updates/stable/metadata/..%2F..%2Fsecret.json",
        "/updates/stable/metadata/passwd",
        "/updates/stable/targets/timestamp.json",
        "/updates/stable/targets/stocky-caja-..tar.gz",
    ):
        r = await client.get(path)
        assert r.status_code in (404, 422), (path, r.status_code)
        assert r.status_code != 200
    r = await client.get("/updates/stable/metadata/passwd")
    assert r.status_code == 422
    assert "file" in r.text
    assert (await client.get("/updates/nightly/metadata/root.json")).status_code == 422


async def test_reports_are_the_cajas_and_only_owners_list_them(
    client: httpx.AsyncClient, cloud_app: FastAPI
) -> None:
    shop = await create_shop(cloud_app)
    caja = await create_device(cloud_app.state.sessionmaker, shop.tenant_id, shop.sede_id)
    body = {
        "version": "1.4.0",
        "previous_version": "1.3.0",
        "outcome": "rolled_back",
        "reason": "sync is refused by the cloud",
        "happened_at": datetime.now(UTC).isoformat(),
    }
    assert (await client.post("/api/devices/me/update-reports", json=body)).status_code == 401
    r = await client.post(
        "/api/devices/me/update-reports", json={**body, "outcome": "maybe"}, headers=caja.headers
    )
    assert r.status_code == 422
    assert "outcome" in r.text
    for hostile in (
        {"reason": "a\x00b"},
        {"reason": "x" * 2001},
        {"version": "1.4.0\x00"},
        {"happened_at": "2026-12-04T10:00:00"},  # no zone: ambiguous
        {"happened_at": "9999-12-31T23:59:59-23:59"},
    ):
        r = await client.post(
            "/api/devices/me/update-reports", json={**body, **hostile}, headers=caja.headers
        )
        assert r.status_code == 422, (hostile, r.status_code, r.text)
    r = await client.post("/api/devices/me/update-reports", json=body, headers=caja.headers)
    assert r.status_code == 201, r.text
    assert (r.json()["device_id"], r.json()["sede_id"]) == (
        str(caja.device_id),
        str(shop.sede_id),
    )

    r = await client.get("/api/update-reports", headers=shop.owner)
    assert r.status_code == 200, r.text
    [report] = r.json()
    assert (report["version"], report["outcome"], report["reason"]) == (
        "1.4.0",
        "rolled_back",
        "sync is refused by the cloud",
    )
    for role in (shop.admin, shop.cashier):
        assert (await client.get("/api/update-reports", headers=role)).status_code == 403
    other = await create_shop(cloud_app, "Otra")
    r = await client.get("/api/update-reports", headers=other.owner)
    assert (r.status_code, r.json()) == (200, [])
