"""The caja's one ASGI app: NiceGUI screens at /, the local API under /local/api.

The local API exists only once the caja is activated, and activation may happen from the
screen while the server runs: a small dispatcher forwards /local/api to whichever local app
the runtime holds (503 before activation) instead of mounting it at build time.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.util import find_spec

import uvicorn
from fastapi import FastAPI
from nicegui import ui
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from stocky.edge.api.app import PREFIX
from stocky.edge.api.hosts import HostCheckMiddleware, allowed_hosts
from stocky.edge.config import EdgeSettings
from stocky.edge.ui.routes import root
from stocky.edge.ui.runtime import CajaRuntime, set_runtime

SECRET_FILE = "ui-secret"


class LocalApiDispatch:
    def __init__(self, app: ASGIApp, runtime: CajaRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(PREFIX):
            api = self.runtime.api
            if api is None:
                response = JSONResponse(
                    {"code": "not_activated", "message": "this caja is not activated yet"},
                    status_code=503,
                )
                await response(scope, receive, send)
                return
            await api(scope, receive, send)
            return
        await self.app(scope, receive, send)


def storage_secret(settings: EdgeSettings) -> str:
    """Signs the browser-id cookie; kept in the data dir so a restart keeps sessions."""
    path = settings.data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def create_ui_app(settings: EdgeSettings) -> FastAPI:
    runtime = CajaRuntime(settings)
    set_runtime(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(LocalApiDispatch, runtime=runtime)
    # The screens too (their websocket included), before any page or the local API runs.
    app.add_middleware(HostCheckMiddleware, allowed=allowed_hosts(settings.host))
    ui.run_with(
        app,
        root=root,
        title="Stocky · Caja",
        favicon="🛒",
        language="es",
        storage_secret=storage_secret(settings),
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )
    return app


def native_available() -> bool:
    return find_spec("webview") is not None


def _has_desktop() -> bool:
    # A headless box (CI, a server) has no browser to show: only print the address there.
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve_ui(settings: EdgeSettings, *, native: bool = False, open_browser: bool = True) -> None:
    """Run the caja with its screens; a pywebview window when asked and installed."""
    url = f"http://{settings.host}:{settings.port}/"
    server = uvicorn.Server(
        uvicorn.Config(create_ui_app(settings), host=settings.host, port=settings.port)
    )
    if native and native_available():
        import webview

        thread = threading.Thread(target=server.run, name="caja-server", daemon=True)
        thread.start()
        webview.create_window("Stocky · Caja", url, width=1366, height=820)
        webview.start()
        server.should_exit = True
        thread.join(timeout=15)
        return
    print(f"Stocky caja: {url}")  # noqa: T201 - the person at the caja needs the address
    if open_browser and _has_desktop():
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    server.run()
