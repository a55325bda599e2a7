"""The Socket.IO gateway: authenticated connections, rooms assigned by the server.

A client connects with `auth={"token": ...}`: a user's access token (JWT) or a caja's
device credential (`dc_...`). Anything else is refused. The server puts the connection in
its rooms (`tenant:{id}` for users, `sede:{id}` for cajas and for managers of that sede);
there is no event a client can send to join a room. With Redis (always, embedded or not)
the AsyncRedisManager relays every emit to the clients of every API process.

A socket does not outlive its credential. Each connection also joins `device:{id}` or
`user:{id}`; revoking a caja or disabling (re-roling, re-keying) a user disconnects that room
in every process (`drop_device` / `drop_user`, after the commit), a user's socket is
disconnected when its JWT expires, and the presence job re-checks the credentials of the
sockets it holds (`recheck`) in case a drop was missed (a change made outside the API, a
Redis hiccup). A user's connect also checks the user row: disabled, or a token whose role or
sede is no longer the user's, is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
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
from stocky.cloud.observability.metrics import SOCKETS
from stocky.cloud.realtime import repository as repo
from stocky.cloud.realtime.emit import emit_sede_presence
from stocky.cloud.realtime.schemas import (
    SedePresenceEvent,
    device_room,
    sede_room,
    tenant_room,
    user_room,
)
from stocky.cloud.realtime.watchers import RoomWatchers
from stocky.core.errors import StockyError

log = logging.getLogger(__name__)

# socket.io's own refusal: its message reaches the client's connect_error (the builtin
# ConnectionRefusedError would only say "Connection refused by server").
Refused = socketio.exceptions.ConnectionRefusedError

SOCKETIO_PATH = "socket.io"
REDIS_CHANNEL = "stocky-socketio"
DEVICE_CREDENTIAL_PREFIX = "dc_"
# Rides the manager's channel like an emit, but no client ever receives it: every process
# that gets it disconnects its own sockets in the room instead.
DROP_EVENT = "stocky.internal.drop"
# Several emits in one message: a process delivers all of them before it runs anything else,
# where one message per room would let the pulls of the first rooms' clients queue ahead of
# the pubsub listener (a tenant-wide nudge to 50 sedes reached another process's last sede
# over a second late while its first sedes' cajas were pulling).
BATCH_EVENT = "stocky.internal.batch"
NAMESPACE = "/"
Emit = tuple[str, Any, str]  # event, data, room


def rooms_for(principal: Principal) -> list[str]:
    """The rooms a connection joins; the only way into a room."""
    if principal.is_device:
        assert principal.sede_id is not None
        assert principal.device_id is not None
        return [sede_room(principal.sede_id), device_room(principal.device_id)]
    assert principal.user_id is not None
    rooms = [tenant_room(principal.tenant_id), user_room(principal.user_id)]
    if principal.role == "manager" and principal.sede_id is not None:
        rooms.append(sede_room(principal.sede_id))
    return rooms


async def _drop_here(manager: socketio.AsyncManager, namespace: str, room: str) -> None:
    """Disconnect this process's sockets in `room` (each client gets a disconnect packet)."""
    for sid, _eio_sid in list(manager.get_participants(namespace, room)):
        await manager.server.disconnect(sid, namespace=namespace, ignore_queue=True)


async def _emit_here(manager: socketio.AsyncManager, namespace: str, emits: list[Emit]) -> None:
    """Deliver `emits` to this process's clients (no Redis).

    Concurrently: each room's emit awaits its sends, and one room after the other let the
    pulls of the first rooms' clients run in between (200 cajas: the last frame ~1 s late).
    """
    await asyncio.gather(
        *(
            socketio.AsyncManager.emit(manager, event, data, namespace=namespace, room=room)
            for event, data, room in emits
        )
    )


def _kind(principal: Principal) -> str:
    return "caja" if principal.is_device else "user"


class DroppingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """The Redis manager, plus two internal messages no client receives: DROP_EVENT (a room
    disconnected in every process) and BATCH_EVENT (several emits in one message).

    Every emit it handles is also told to this process's in-process `watchers` (the web
    admin's pages), after the sockets got it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watchers = RoomWatchers()

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        namespace = message.get("namespace") or NAMESPACE
        if event == DROP_EVENT:
            await _drop_here(self, namespace, message["room"])
        elif event == BATCH_EVENT:
            emits = [tuple(e) for e in message["data"][0]]
            await _emit_here(self, namespace, emits)
            for one_event, data, room in emits:
                self.watchers.deliver(one_event, data, room)
        else:
            await super()._handle_emit(message)
            data = message.get("data")
            if isinstance(data, list) and len(data) == 1 and not message.get("binary"):
                # One emit may name several rooms (each client hears it once).
                rooms = message.get("room")
                for room in rooms if isinstance(rooms, list) else [rooms]:
                    self.watchers.deliver(str(event), data[0], room)


class Gateway:
    """The socket server of one API process and the cajas connected to it."""

    def __init__(self, app: FastAPI, redis_url: str | None) -> None:
        self.app = app
        manager = DroppingRedisManager(redis_url, channel=REDIS_CHANNEL) if redis_url else None
        # In-process listeners (the web admin); without Redis nothing reaches them.
        self.watchers = manager.watchers if manager is not None else RoomWatchers()
        # Same-origin CORS (the default): the web admin is served by this API; cajas and
        # scripts send no Origin header, and credentials travel in `auth`, not cookies.
        self.sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
        # (tenant, sede) -> caja connections to this process, refreshed by the presence job.
        self.local_sedes: Counter[tuple[uuid.UUID, uuid.UUID]] = Counter()
        # sid -> who, for the sockets of this process (recheck reads it).
        self.connections: dict[str, Principal] = {}
        self._expiry: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)

    async def _authenticate(self, auth: Any) -> Principal:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise Refused("auth.token: a user token or a caja credential is needed")
        sm: SessionMaker = self.app.state.sessionmaker
        if token.startswith(DEVICE_CREDENTIAL_PREFIX):
            try:
                return await authenticate_device(sm, token)
            except StockyError as exc:
                raise Refused(f"auth.token: {exc.message}") from exc
        try:
            principal = verify_access_token(self.app.state.keys, token)
        except InvalidTokenError as exc:
            raise Refused(f"auth.token: the access token was refused ({exc})") from exc
        async with tenant_transaction(sm, principal.tenant_id) as session:
            stale = await repo.stale_users(session, principal.tenant_id, [principal])
        if stale:
            raise Refused(
                "auth.token: this user was disabled or changed since the token was issued;"
                " sign in again"
            )
        return principal

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        principal = await self._authenticate(auth)
        await self.sio.save_session(sid, {"principal": principal})
        for room in rooms_for(principal):
            await self.sio.enter_room(sid, room)
        self.connections[sid] = principal
        SOCKETS.labels(_kind(principal)).inc()
        if principal.expires_at is not None:  # the socket ends with the user's token
            delay = max(0.0, principal.expires_at - time.time())
            loop = asyncio.get_running_loop()
            self._expiry[sid] = loop.call_later(delay, self._spawn_expire, sid)
        if principal.is_device and principal.sede_id is not None:
            key = (principal.tenant_id, principal.sede_id)
            self.local_sedes[key] += 1
            await self.touch_sedes(principal.tenant_id, [principal.sede_id])

    async def _on_disconnect(self, sid: str, *args: Any) -> None:
        gone = self.connections.pop(sid, None)
        if gone is not None:
            SOCKETS.labels(_kind(gone)).dec()
        timer = self._expiry.pop(sid, None)
        if timer is not None:
            timer.cancel()
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

    def _spawn_expire(self, sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self._expire(sid))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _expire(self, sid: str) -> None:
        self._expiry.pop(sid, None)
        if sid in self.connections:
            log.info("socket %s: its access token expired; disconnecting", sid)
            await self.sio.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)

    async def emit_many(self, emits: list[Emit]) -> None:
        """Several emits, one Redis message: each process delivers them all in one go."""
        if not emits:
            return
        if len(emits) == 1:
            event, data, room = emits[0]
            await self.sio.emit(event, data, to=room, namespace=NAMESPACE)
        elif isinstance(self.sio.manager, DroppingRedisManager):
            batch = [list(e) for e in emits]
            await self.sio.emit(BATCH_EVENT, batch, namespace=NAMESPACE)
        else:
            await _emit_here(self.sio.manager, NAMESPACE, emits)

    async def drop_room(self, room: str) -> None:
        """Disconnect every socket in `room`, in every API process (through Redis)."""
        if isinstance(self.sio.manager, DroppingRedisManager):
            await self.sio.emit(DROP_EVENT, None, to=room, namespace=NAMESPACE)
        else:
            await _drop_here(self.sio.manager, NAMESPACE, room)

    async def drop_device(self, device_id: uuid.UUID) -> None:
        """A revoked caja: its sockets go now (call after the revocation committed)."""
        await self.drop_room(device_room(device_id))

    async def drop_user(self, user_id: uuid.UUID) -> None:
        """A disabled, re-roled or re-keyed user: its sockets go now (after the commit)."""
        await self.drop_room(user_room(user_id))

    async def recheck(self) -> list[str]:
        """Disconnect this process's sockets whose credential no longer stands; return them.

        The safety net behind drop_device / drop_user: one query per tenant and kind.
        """
        by_tenant: dict[uuid.UUID, list[tuple[str, Principal]]] = {}
        for sid, principal in list(self.connections.items()):
            by_tenant.setdefault(principal.tenant_id, []).append((sid, principal))
        sm: SessionMaker = self.app.state.sessionmaker
        dropped: list[str] = []
        for tenant_id, held in by_tenant.items():
            devices = [p.device_id for _, p in held if p.is_device and p.device_id is not None]
            users = [p for _, p in held if not p.is_device]
            async with tenant_transaction(sm, tenant_id) as session:
                bad_devices = await repo.unusable_devices(session, tenant_id, devices)
                bad_users = await repo.stale_users(session, tenant_id, users)
            for sid, p in held:
                if p.device_id in bad_devices or (not p.is_device and p.user_id in bad_users):
                    log.info("socket %s: its credential no longer stands; disconnecting", sid)
                    await self.sio.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
                    dropped.append(sid)
        return dropped

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
        for timer in self._expiry.values():
            timer.cancel()
        self._expiry.clear()
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
