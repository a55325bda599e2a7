"""Clock health (issue 17, item 4): a caja whose clock is off the cloud's past the
clock_skew_threshold_s setting is flagged, with its offset, in GET /api/devices, in the
sede's sync status and on the dashboard; one off by less is not. The offsets come from real
pings whose client_now is moved off the true time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.cloud.factories import Caja, create_device, create_shop

SKEWED = timedelta(minutes=3, seconds=12)
CLOSE = timedelta(seconds=30)


async def _ping(client: httpx.AsyncClient, caja: Caja, skew: timedelta) -> int:
    moved = datetime.now(UTC) + skew
    answer = await client.post(
        "/api/sync/ping", json={"client_now": moved.isoformat()}, headers=caja.headers
    )
    assert answer.status_code == 200, answer.text
    offset: int = answer.json()["clock_offset_ms"]
    return offset


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    answer = await client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.asyncio
async def test_a_caja_off_by_3_min_is_flagged_and_one_off_by_30_s_is_not(
    client: httpx.AsyncClient, cloud_app: FastAPI
) -> None:
    assert cloud_app.state.settings.clock_skew_threshold_s == 120
    shop = await create_shop(cloud_app)
    sm = cloud_app.state.sessionmaker
    fast = await create_device(sm, shop.tenant_id, shop.sede_id)
    close = await create_device(sm, shop.tenant_id, shop.sede_id)
    fast_offset = await _ping(client, fast, SKEWED)
    await _ping(client, close, -CLOSE)
    # What the ping measured, give or take its round trip (generous: machines are noisy).
    assert abs(fast_offset - SKEWED.total_seconds() * 1000) < 60_000

    devices = {d["id"]: d for d in await _get(client, "/api/devices", shop.admin)}
    assert devices[str(fast.device_id)]["clock_skewed"] is True
    assert devices[str(fast.device_id)]["clock_offset_ms"] == fast_offset
    assert devices[str(close.device_id)]["clock_skewed"] is False
    assert devices[str(close.device_id)]["clock_offset_ms"] < 0

    (sede,) = (await _get(client, "/api/sync/status", shop.admin))["sedes"]
    assert sede["clock_skewed_devices"] == 1
    assert sede["worst_clock_offset_ms"] == fast_offset
    flags = {d["id"]: d["clock_skewed"] for d in sede["devices"]}
    assert flags == {str(fast.device_id): True, str(close.device_id): False}

    (health,) = (await _get(client, "/api/dashboard", shop.owner))["sedes"]
    assert health["clock_skewed_devices"] == 1
    assert health["worst_clock_offset_ms"] == fast_offset


@pytest.mark.asyncio
async def test_the_threshold_is_the_cloud_setting(
    client: httpx.AsyncClient, cloud_app: FastAPI
) -> None:
    shop = await create_shop(cloud_app)
    caja = await create_device(cloud_app.state.sessionmaker, shop.tenant_id, shop.sede_id)
    offset = await _ping(client, caja, -CLOSE)
    (sede,) = (await _get(client, "/api/sync/status", shop.admin))["sedes"]
    assert sede["clock_skewed_devices"] == 0
    # Read at each request: a 20 s threshold makes the same 30 s behind a problem.
    cloud_app.state.settings.clock_skew_threshold_s = 20
    (device,) = await _get(client, "/api/devices", shop.admin)
    assert device["clock_skewed"] is True
    (sede,) = (await _get(client, "/api/sync/status", shop.admin))["sedes"]
    assert sede["clock_skewed_devices"] == 1
    assert sede["worst_clock_offset_ms"] == offset
    (health,) = (await _get(client, "/api/dashboard", shop.owner))["sedes"]
    assert health["clock_skewed_devices"] == 1


def test_the_setting_is_positive_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from stocky.cloud.config import Settings

    monkeypatch.setenv("STOCKY_CLOCK_SKEW_THRESHOLD_S", "300")
    assert Settings().clock_skew_threshold_s == 300
    monkeypatch.setenv("STOCKY_CLOCK_SKEW_THRESHOLD_S", "0")
    with pytest.raises(ValidationError):
        Settings()
