"""Only requests addressed to this caja: a check of the Host header on the whole caja app.

The local API and the screens listen on loopback without a login for some pages (status),
so a web page on any site could resolve its own name to 127.0.0.1 (DNS rebinding) and read
them from the cashier's browser. Such a request still carries the page's host name in its
Host header: anything but a loopback name, or the host the caja was configured to serve,
is refused with 421 Misdirected Request.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def host_name(header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8765` -> `::1`."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    name, _, port = value.rpartition(":")
    if name and port.isdigit():
        return name
    return value


def allowed_hosts(configured_host: str) -> frozenset[str]:
    configured = host_name(configured_host)
    return LOOPBACK_NAMES | ({configured} if configured not in _WILDCARDS else set())


class HostCheckMiddleware:
    """Answer 421 to any HTTP or WebSocket request whose Host is not one of `allowed`."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        host = headers.get(b"host", b"").decode("latin-1")
        if host_name(host) in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        message = (
            f"this caja answers only requests addressed to {', '.join(sorted(self.allowed))} "
            f"(this one named {host or 'no host'!r}); open it at http://127.0.0.1:<port>/"
        )
        body = json.dumps({"error": "misdirected_request", "message": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 421,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
