"""The admin's one page: every URL under /admin loads it and sub_pages shows the screen.

Each screen's module lists its own ROUTES (paths relative to /admin), so adding a screen
touches its module and the import below, nothing else.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nicegui import ui

from stocky.cloud.admin.layout import framed
from stocky.cloud.admin.pages import (
    account,
    audit,
    catalog,
    dashboard,
    normalize,
    reconciliation,
    reports,
    sales,
    sedes,
    stock,
    sync_log,
    transfers,
    users,
)
from stocky.ui.theme import apply_theme

FIRST_RENDER_WAIT_S = 1.5
SCREENS = (
    dashboard,
    sedes,
    users,
    normalize,  # before catalog: /catalogo/normalizar, not /catalogo/{product_id}
    catalog,
    stock,
    transfers,
    sales,
    reports,
    reconciliation,
    audit,
    sync_log,
)


def all_routes() -> dict[str, Any]:
    routes: dict[str, Any] = {
        "/login": account.login_page,
        "/registro": account.signup_page,
        "/cuenta": framed("/cuenta", account.account_body),
    }
    for screen in SCREENS:
        for path in screen.ROUTES:
            if path in routes:
                raise RuntimeError(f"two admin screens claim {path}")
        routes.update(screen.ROUTES)
    return routes


async def root() -> None:
    apply_theme()
    ui.query("body").classes("bg-slate-100")
    pages = ui.sub_pages(all_routes()).classes("w-full")
    # A screen's builder is async (it reads the API), so sub_pages runs it as a task and
    # its content would reach the browser only after the websocket connects: a second
    # round trip and render. Waiting briefly here puts the first screen in the page's HTML;
    # a slower build still streams in as before (never the page's 3 s build timeout).
    building = list(getattr(pages, "_active_tasks", ()))
    if building:
        await asyncio.wait(building, timeout=FIRST_RENDER_WAIT_S)
