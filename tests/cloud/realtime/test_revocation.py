"""A socket does not outlive its credential: a revoked caja, a disabled or changed user and an
expired token lose their sockets, and cannot reconnect. In one process and across two."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
import socketio
from sqlalchemy import update

from stocky.cloud.auth.tokens import issue_access_token
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import Device, User
from tests.cloud.realtime.conftest import Listener, Live, bearer
from tests.cloud.realtime.world import RealtimeWorld, build_world

pytestmark = pytest.mark.asyncio

DROPPED_WITHIN_S = 5.0  # generous: a drop is one Redis round trip, not a timer


@pytest.fixture
def live_overrides() -> dict[str, Any]:
    # The presence job's recheck would also drop these sockets; keep it out of the way so
    # the tests prove the immediate path. TestRecheck turns it back on.
    return {"presence_interval_s": 600.0}


async def api(url: str, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.request(method, path, headers=headers, **kw)
    assert response.status_code == 200, response.text
    return response.json()


async def dropped(listener: Listener) -> None:
    await asyncio.wait_for(listener.gone.wait(), DROPPED_WITHIN_S)
    assert not listener.sio.connected


class TestRevokedCaja:
    async def test_its_socket_is_dropped_and_a_reconnect_refused(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        revoked, other = listeners(), listeners()
        await revoked.connect(live.url, bearer(world.caja.headers))
        await other.connect(live.url, bearer(world.caja_norte.headers))
        device = world.caja.device_id
        body = await api(live.url, "POST", f"/api/devices/{device}/revoke", world.owner)
        assert body["status"] == "revoked"
        await dropped(revoked)
        with pytest.raises(socketio.exceptions.ConnectionError, match="revoked"):
            await listeners().connect(live.url, bearer(world.caja.headers))
        assert other.sio.connected, "only the revoked caja goes"
        assert not other.gone.is_set()


class TestChangedUser:
    async def test_a_disabled_users_socket_is_dropped_and_its_token_refused(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        manager, owner = listeners(), listeners()
        await manager.connect(live.url, bearer(world.manager))
        await owner.connect(live.url, bearer(world.owner))
        body = await api(live.url, "DELETE", f"/api/users/{world.manager_id}", world.owner)
        assert body["active"] is False
        await dropped(manager)
        # The access token itself has not expired; the connect checks the user row.
        with pytest.raises(socketio.exceptions.ConnectionError, match="disabled"):
            await listeners().connect(live.url, bearer(world.manager))
        assert owner.sio.connected
        assert not owner.gone.is_set()

    async def test_a_role_change_drops_the_socket_it_was_let_in_with(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        manager = listeners()
        await manager.connect(live.url, bearer(world.manager))
        path = f"/api/users/{world.manager_id}"
        await api(live.url, "PATCH", path, world.owner, json={"role": "cashier"})
        await dropped(manager)
        # Its token still says manager (and the manager's sede room): refused.
        with pytest.raises(socketio.exceptions.ConnectionError, match="changed"):
            await listeners().connect(live.url, bearer(world.manager))

    async def test_a_rename_keeps_the_socket(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        manager = listeners()
        await manager.connect(live.url, bearer(world.manager))
        path = f"/api/users/{world.manager_id}"
        await api(live.url, "PATCH", path, world.owner, json={"name": "Renamed"})
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(manager.gone.wait(), 1.0)


class TestExpiry:
    async def test_a_socket_ends_when_its_token_expires(
        self, live: Live, world: RealtimeWorld, listeners
    ) -> None:
        owner_id = jwt.decode(bearer(world.owner), options={"verify_signature": False})["sub"]
        token, _ = issue_access_token(
            live.app.state.keys,
            user_id=uuid.UUID(owner_id),
            tenant_id=world.tenant_id,
            sede_id=None,
            role="owner",
            ttl=timedelta(seconds=2),
        )
        short = listeners()
        await short.connect(live.url, token)
        assert short.sio.connected
        await asyncio.wait_for(short.gone.wait(), 2 + DROPPED_WITHIN_S)
        with pytest.raises(socketio.exceptions.ConnectionError, match="expired"):
            await listeners().connect(live.url, token)


class TestRecheck:
    """Revoked or disabled behind the API's back (SQL, another tool): the presence job's
    recheck drops the socket on its next tick."""

    @pytest.fixture
    def live_overrides(self) -> dict[str, Any]:
        return {"presence_interval_s": 0.2}

    async def test_revoked_in_the_database_directly(
        self, live: Live, world: RealtimeWorld, listeners, app_sessionmaker: SessionMaker
    ) -> None:
        caja, manager, owner = listeners(), listeners(), listeners()
        await caja.connect(live.url, bearer(world.caja.headers))
        await manager.connect(live.url, bearer(world.manager))
        await owner.connect(live.url, bearer(world.owner))
        async with tenant_transaction(app_sessionmaker, world.tenant_id) as session:
            await session.execute(
                update(Device).where(Device.id == world.caja.device_id).values(status="revoked")
            )
            await session.execute(
                update(User).where(User.id == world.manager_id).values(active=False)
            )
        await dropped(caja)
        await dropped(manager)
        assert owner.sio.connected
        assert not owner.gone.is_set()


async def test_a_drop_reaches_the_other_process(
    two_servers: tuple[str, str], cloud_app, app_sessionmaker: SessionMaker
) -> None:
    url_a, url_b = two_servers
    # cloud_app shares the servers' data dir, so its key ring signs tokens they accept.
    world = await build_world(cloud_app, app_sessionmaker)
    caja_at_b, manager_at_b, again = Listener(), Listener(), Listener()
    await caja_at_b.connect(url_b, bearer(world.caja.headers))
    await manager_at_b.connect(url_b, bearer(world.manager))
    try:
        # Both changes go through process A; the sockets live in process B.
        await api(url_a, "POST", f"/api/devices/{world.caja.device_id}/revoke", world.owner)
        await dropped(caja_at_b)
        await api(url_a, "DELETE", f"/api/users/{world.manager_id}", world.owner)
        await dropped(manager_at_b)
        with pytest.raises(socketio.exceptions.ConnectionError, match="revoked"):
            await again.connect(url_b, bearer(world.caja.headers))
    finally:
        for listener in (caja_at_b, manager_at_b, again):
            await listener.close()
