"""Mount the web admin on the cloud's FastAPI app, in the process that serves it.

NiceGUI keeps one app per process; only `stocky cloud serve` (and the demo's cloud) call
this, never `create_app`, which tests build many times in one process beside the caja's
screens.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.storage import Storage

from stocky.cloud.admin import language
from stocky.cloud.admin.context import AdminContext, set_context
from stocky.cloud.config import Settings

MOUNT_PATH = "/admin"
SECRET_FILE = "admin-ui-secret"


def storage_secret(data_dir: Path) -> str:
    """Signs the browser-id cookie; kept in the data dir so a restart keeps the cookie."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


def mount_admin(app: FastAPI, settings: Settings) -> None:
    from stocky.cloud.admin.routes import root

    set_context(AdminContext(api_app=app, watchers=app.state.gateway.watchers))
    language.install()
    # NiceGUI's per-browser storage (the language chosen before sign-in) lives with the
    # cloud's data, not in the working directory. Tokens are never written there.
    Storage.path = (settings.data_dir / "admin-ui").resolve()

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT_PATH}/")

    ui.run_with(
        app,
        root=root,
        mount_path=MOUNT_PATH,
        title="Stocky · Admin",
        favicon="📊",
        language="es",
        storage_secret=storage_secret(settings.data_dir),
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )
