"""The Socket.IO gateway: authenticated connections, rooms assigned by the server.

A client connects with `auth={"token": ...}`: a user's access token (JWT) or a caja's
device credential (`dc_...`). Anything else is refused. The server puts the connection in
its rooms (`tenant:{id}` for users, `sede:{id}` for cajas and for managers of that sede);
there is no event a client can send to join a room. With Redis (always, embedded or not)
the AsyncRedisManager relays every emit to the clients of every API process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import socketio
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from stocky.cloud.auth.service import authenticate_device
from stocky.cloud.auth.tokens import InvalidTokenError, Principal, verify_access_token
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.errors import StockyError
from stocky.cloud.realtime import repository as repo
from stocky.cloud.realtime.emit import emit_sede_presence
from stocky.cloud.realtime.schemas import SedePresenceEvent, sede_room, tenant_room

log = logging.getLogger(__name__)

# socket.io's own refusal: its message reaches the client's connect_error (the builtin
# ConnectionRefusedError would only say "Connection refused by server").
Refused = socketio.exceptions.ConnectionRefusedError

SOCKETIO_PATH = "socket.io"
REDIS_CHANNEL = "stocky-socketio"
DEVICE_CREDENTIAL_PREFIX = "dc_"


def rooms_for(principal: Principal) -> list[str]:
    """The rooms a connection joins; the only way into a room."""
    if principal.is_device:
        assert principal.sede_id is not None
        return [sede_room(principal.sede_id)]
    rooms = [tenant_room(principal.tenant_id)]
    if principal.role == "manager" and principal.sede_id is not None:
        rooms.append(sede_room(principal.sede_id))
    return rooms


class Gateway:
    """The socket server of one API process and the cajas connected to it."""

    def __init__(self, app: FastAPI, redis_url: str | None) -> None:
        self.app = app
        manager = (
            socketio.AsyncRedisManager(redis_url, channel=REDIS_CHANNEL) if redis_url else None
        )
        # Same-origin CORS (the default): the web admin is served by this API; cajas and
        # scripts send no Origin header, and credentials travel in `auth`, not cookies.
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
        # (tenant, sede) -> caja connections to this process, refreshed by the presence job.
        self.local_sedes: Counter[tuple[uuid.UUID, uuid.UUID]] = Counter()
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)

    async def _authenticate(self, auth: Any) -> Principal:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise Refused("auth.token: a user token or a caja credential is needed")
        if token.startswith(DEVICE_CREDENTIAL_PREFIX):
            sm: SessionMaker = self.app.state.sessionmaker
            try:
                return await authenticate_device(sm, token)
            except StockyError as exc:
                raise Refused(f"auth.token: {exc.message}") from exc
        try:
            return verify_access_token(self.app.state.keys, token)
        except InvalidTokenError as exc:
            raise Refused(f"auth.token: the access token was refused ({exc})") from exc

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        principal = await self._authenticate(auth)
        await self.sio.save_session(sid, {"principal": principal})
        for room in rooms_for(principal):
            await self.sio.enter_room(sid, room)
        if principal.is_device and principal.sede_id is not None:
            key = (principal.tenant_id, principal.sede_id)
            self.local_sedes[key] += 1
            await self.touch_sedes(principal.tenant_id, [principal.sede_id])

    async def _on_disconnect(self, sid: str, *args: Any) -> None:
        try:
            session = await self.sio.get_session(sid)
        except KeyError:
            return
        principal: Principal | None = session.get("principal")
        if principal is None or not principal.is_device or principal.sede_id is None:
            return
        key = (principal.tenant_id, principal.sede_id)
        self.local_sedes[key] -= 1
        if self.local_sedes[key] <= 0:
            del self.local_sedes[key]
        # The socket was alive until now; the presence job decides when silence is offline.
        await self.touch_sedes(principal.tenant_id, [principal.sede_id])

    async def touch_sedes(self, tenant_id: uuid.UUID, sede_ids: list[uuid.UUID]) -> None:
        """Record a sign of life of the sedes; announce those that just came online."""
        now = datetime.now(UTC)
        sm: SessionMaker = self.app.state.sessionmaker
        try:
            async with tenant_transaction(sm, tenant_id) as session:
                came_online = await repo.mark_online(session, tenant_id, sede_ids, now)
            for sede_id in came_online:
                event = SedePresenceEvent(sede_id=sede_id, online=True, last_ping_at=now)
                await emit_sede_presence(self.sio, tenant_id, event)
        except Exception:
            # Presence is advisory; a database hiccup must not refuse or crash a socket.
            log.exception("could not record presence of sedes %s", sede_ids)

    async def start(self, timeout_s: float = 5.0) -> None:
        """Subscribe to the Redis channel now, not at the first connection (the default).

        Otherwise a process would miss what other processes emit until a client of its own
        connects, and the first event after that could race the subscription.
        """
        manager = self.sio.manager
        if self.sio.manager_initialized or not hasattr(manager, "_redis_connect"):
            return
        self.sio.manager_initialized = True
        manager.initialize()
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not getattr(getattr(manager, "pubsub", None), "subscribed", False):
            if asyncio.get_running_loop().time() > deadline:
                log.warning("socket.io: not subscribed to Redis after %ss; continuing", timeout_s)
                return
            await asyncio.sleep(0.01)

    async def shutdown(self) -> None:
        await self.sio.shutdown()
        listener = getattr(self.sio.manager, "thread", None)
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
        client = getattr(self.sio.manager, "redis", None)
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()


class SocketIOMiddleware:
    """Serves /socket.io/ from the gateway and everything else from the FastAPI app."""

    def __init__(self, app: ASGIApp, server: socketio.AsyncServer) -> None:
        self.asgi = socketio.ASGIApp(server, other_asgi_app=app, socketio_path=SOCKETIO_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)
