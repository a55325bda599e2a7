"""The caja's one ASGI app: NiceGUI screens at /, the local API under /local/api.

The local API exists only once the caja is activated, and activation may happen from the
screen while the server runs: a small dispatcher forwards /local/api to whichever local app
the runtime holds (503 before activation) instead of mounting it at build time.
"""

from __future__ import annotations

import secrets
import threading
import time
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from nicegui import ui
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from stocky.edge.api.app import PREFIX
from stocky.edge.api.focus import router as focus_router
from stocky.edge.api.hosts import HostCheckMiddleware, allowed_hosts
from stocky.edge.config import EdgeSettings
from stocky.edge.desktop.window import Focuser, WindowMode
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


def create_ui_app(settings: EdgeSettings, focuser: Focuser | None = None) -> FastAPI:
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
    if focuser is not None:
        # Before NiceGUI's pages, so its catch-all never shadows the route.
        app.state.focuser = focuser
        app.include_router(focus_router)
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


def _open_when_started(server: uvicorn.Server, url: str) -> None:
    # Opening before the server listens shows the browser's own error page.
    deadline = time.monotonic() + 60
    while not server.started and not server.should_exit and time.monotonic() < deadline:
        time.sleep(0.1)
    if server.started:
        webbrowser.open(url)


def _serve_native(server: uvicorn.Server, url: str, focuser: Focuser) -> None:
    import webview

    thread = threading.Thread(target=server.run, name="caja-server", daemon=True)
    thread.start()
    # A window on a server that failed to bind (the port taken) would show a blank page.
    while not server.started and thread.is_alive():
        time.sleep(0.1)
    if not server.started:
        raise SystemExit(1)
    focuser.window = webview.create_window("Stocky · Caja", url, width=1366, height=820)
    webview.start()
    server.should_exit = True
    thread.join(timeout=15)


def serve_ui(settings: EdgeSettings, focuser: Focuser) -> None:
    """Run the caja with its screens, shown as `focuser.mode` says (stocky.edge.desktop)."""
    url = focuser.url
    # Never a reloader or worker processes: in the frozen bundle they would start the
    # executable again, a second caja on the same data dir.
    config = uvicorn.Config(
        create_ui_app(settings, focuser), host=settings.host, port=settings.port, reload=False
    )
    server = uvicorn.Server(config)
    if focuser.mode is WindowMode.NATIVE:
        _serve_native(server, url, focuser)
        return
    print(f"Stocky caja: {url}")  # noqa: T201 - the person at the caja needs the address
    if focuser.mode is WindowMode.BROWSER:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    server.run()
