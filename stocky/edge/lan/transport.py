"""The LAN's wire: JSON messages over a WebSocket over mutual TLS, at wss://<caja>:3001/lan.

Who may talk is decided twice. TLS refuses anyone without a certificate of this tenant's
CA (stocky.edge.lan.tls); then the WebSocket handshake asks `authorize(peer)` about the
certified device (another sede, revoked, unknown) and refuses with HTTP 403 and the reason,
so the refused caja can log why. The client asks the same of the server it reached: a slave
must not follow a "master" of another sede that happens to answer on the address.

Messages are JSON objects; numbers with a fraction decode as Decimal (quantities and money
are never floats here); Decimals, UUIDs and datetimes encode as strings.
"""

from __future__ import annotations

import json
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
from websockets.http11 import Request, Response
from websockets.protocol import State

from stocky.edge.lan.identity import LanIdentity
from stocky.edge.lan.tls import (
    PeerCertificateError,
    PeerId,
    client_context,
    peer_id,
    server_context,
)

log = logging.getLogger(__name__)

PATH = "/lan"
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
Authorize = Callable[[PeerId], str | None]


class LanError(Exception):
    """Something on the LAN failed."""


class LanRefusedError(LanError):
    """The other end is not a caja this one may talk to (or it refused this one)."""


class LanClosedError(LanError):
    """The connection is gone (closed by either end, or broken)."""


def _json_default(value: object) -> str:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, default=_json_default, separators=(",", ":"), ensure_ascii=False)


def decode(text: str | bytes) -> dict[str, Any]:
    message = json.loads(text, parse_float=Decimal)
    if not isinstance(message, dict):
        raise ValueError("a LAN message is a JSON object")
    return message


def _transport_peer(connection: ServerConnection | ClientConnection) -> PeerId:
    ssl_object = connection.transport.get_extra_info("ssl_object")
    if ssl_object is None:
        raise PeerCertificateError("not a TLS connection")
    return peer_id(ssl_object)


class PeerConnection:
    """One open connection to another caja, whichever end opened it."""

    def __init__(self, websocket: ServerConnection | ClientConnection, peer: PeerId) -> None:
        self._ws = websocket
        self.peer = peer

    @property
    def closed(self) -> bool:
        return self._ws.state in (State.CLOSING, State.CLOSED)

    @property
    def remote_address(self) -> Any:
        return self._ws.remote_address

    async def send(self, message: dict[str, Any]) -> None:
        try:
            await self._ws.send(encode(message))
        except ConnectionClosed as exc:
            raise LanClosedError(f"connection to {self.peer.device_id} closed: {exc}") from exc

    async def recv(self) -> dict[str, Any]:
        try:
            text = await self._ws.recv()
        except ConnectionClosed as exc:
            raise LanClosedError(f"connection to {self.peer.device_id} closed: {exc}") from exc
        try:
            return decode(text)
        except ValueError as exc:
            # Garbage from a certified caja is a bug there; this link is no use any more.
            await self._ws.close(1003, "not a JSON object")
            raise LanClosedError(f"{self.peer.device_id} sent a bad message: {exc}") from exc

    async def close(self) -> None:
        await self._ws.close()

    def __repr__(self) -> str:
        return f"PeerConnection({self.peer.device_id})"


class LanServer:
    """The master's listener. `port=0` lets the OS choose (tests); `.port` is the real one."""

    def __init__(
        self,
        identity: LanIdentity,
        host: str,
        port: int,
        authorize: Authorize,
        handler: Callable[[PeerConnection], Awaitable[None]],
    ) -> None:
        self.identity = identity
        self.host = host
        self._port = port
        self._authorize = authorize
        self._handler = handler
        self._server: Server | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        for sock in self._server.sockets:
            return int(sock.getsockname()[1])
        return self._port

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path != PATH:
            return connection.respond(404, f"nothing at {request.path}; the LAN is at {PATH}\n")
        try:
            peer = _transport_peer(connection)
            reason = self._authorize(peer)
        except PeerCertificateError as exc:
            reason = str(exc)
        except Exception:  # never let a store hiccup open the door
            log.exception("LAN authorization failed")
            reason = "this caja could not check who is connecting"
        if reason is not None:
            log.info("LAN connection from %s refused: %s", connection.remote_address, reason)
            return connection.respond(403, reason + "\n")
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        conn = PeerConnection(connection, _transport_peer(connection))
        try:
            await self._handler(conn)
        except LanClosedError:
            pass
        finally:
            await connection.close()

    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await serve(
            self._serve,
            self.host,
            self._port,
            ssl=server_context(self.identity),
            process_request=self._process_request,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,  # small messages, latency first
            server_header=None,
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        await server.wait_closed()


async def connect(
    identity: LanIdentity,
    host: str,
    port: int,
    *,
    authorize: Authorize,
    timeout: float,
) -> PeerConnection:
    """Open a connection to the caja at host:port and check who it is. Raises
    LanRefusedError (either end refused the other, or TLS failed), TimeoutError or OSError
    (nobody there)."""
    uri = f"wss://{_host_for_uri(host)}:{port}{PATH}"
    try:
        websocket = await ws_connect(
            uri,
            ssl=client_context(identity),
            server_hostname=host,
            open_timeout=timeout,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,
            proxy=None,  # a shop's HTTP proxy settings must not route caja-to-caja traffic
            user_agent_header=None,
        )
    except InvalidStatus as exc:
        body = exc.response.body.decode("utf-8", "replace").strip()
        raise LanRefusedError(
            f"{host}:{port} refused this caja ({exc.response.status_code}): {body}"
        ) from exc
    except ConnectionClosed as exc:
        raise LanClosedError(f"{host}:{port} closed the connection: {exc}") from exc
    except WebSocketException as exc:
        raise LanRefusedError(f"{host}:{port}: {exc}") from exc
    except ssl.SSLError as exc:  # TLS refused: another tenant's CA, or ours refused
        raise LanRefusedError(f"{host}:{port}: TLS handshake failed: {exc}") from exc
    try:
        peer = _transport_peer(websocket)
        reason = authorize(peer)
    except PeerCertificateError as exc:
        reason = str(exc)
    if reason is not None:
        await websocket.close(1008, "refused")
        raise LanRefusedError(f"{host}:{port} is not a caja to talk to: {reason}")
    return PeerConnection(websocket, peer)


def _host_for_uri(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
