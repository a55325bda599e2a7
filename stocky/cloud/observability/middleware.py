"""One ASGI middleware, outermost: request id in and out, latency histogram by route
template, and one access log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stocky.cloud.observability.logs import REQUEST_ID, TENANT_ID
from stocky.cloud.observability.metrics import REQUEST_SECONDS

access_log = logging.getLogger("stocky.access")

HEADER = "x-request-id"
# A client's id is kept when it is a plain token of sane length; anything else (spaces,
# quotes, control characters, 200 characters) could forge log lines or blow up labels.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SOCKETIO_PREFIX = "/socket.io"


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _SANE_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope, outer_root: str = "") -> str:
    """The route's path template (/api/products/{product_id}), never the raw path: the
    label set stays bounded whatever clients send."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    raw = str(scope.get("path", ""))
    if raw.startswith(SOCKETIO_PREFIX):
        return f"{SOCKETIO_PREFIX}/"
    # A mounted app (the web admin, static assets): its mount point is in root_path.
    root = str(scope.get("root_path", ""))
    if root and root != outer_root:
        return f"{root}/*"
    return "unmatched"


def _tenant_of(scope: Scope) -> str | None:
    state = scope.get("state")
    principal = state.get("principal") if isinstance(state, dict) else None
    tenant = getattr(principal, "tenant_id", None)
    return str(tenant) if tenant is not None else None


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        # The auth dependencies leave the principal in request.state, i.e. this dict.
        scope.setdefault("state", {})
        outer_root = str(scope.get("root_path", ""))
        rid_token = REQUEST_ID.set(request_id)
        tenant_token = TENANT_ID.set(None)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, outer_root, status, time.perf_counter() - started)
            TENANT_ID.reset(tenant_token)
            REQUEST_ID.reset(rid_token)

    @staticmethod
    def _record(scope: Scope, outer_root: str, status: int, seconds: float) -> None:
        route = route_template(scope, outer_root)
        method = str(scope.get("method", "")).upper()
        method = method if method in _METHODS else "OTHER"
        REQUEST_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)
        tenant = _tenant_of(scope)
        extra: dict[str, Any] = {
            "route": route,
            "method": method,
            # The path without its query string: signed URLs carry their signature there.
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
        }
        if tenant is not None:
            extra["tenant_id"] = tenant
        level = logging.ERROR if status >= 500 else logging.INFO
        access_log.log(
            level,
            "%s %s %s %.1fms",
            method,
            scope.get("path"),
            status,
            seconds * 1000,
            extra=extra,
        )
