"""The shell of every screen: the guard that sends a person to activation or login, and
the frame (top bar, content, status bar) every screen shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.ui import scanner
from stocky.edge.ui.language import toggle_language
from stocky.edge.ui.login import confirm_logout
from stocky.edge.ui.runtime import CajaRuntime, get_runtime
from stocky.edge.ui.session import current_user
from stocky.edge.ui.status_bar import status_bar
from stocky.edge.ui.transfers import watch_notices
from stocky.edge.ui.update_banner import update_banner
from stocky.ui.i18n import t

_NAV = (
    ("/vender", "nav.pos", "point_of_sale"),
    ("/devoluciones", "nav.returns", "assignment_return"),
    ("/historial", "nav.history", "receipt_long"),
    ("/inventario", "nav.stock", "inventory_2"),
    ("/turno", "nav.shifts", "schedule"),
    ("/traslados", "nav.transfers", "local_shipping"),
    ("/sincronizacion", "nav.sync", "sync"),
)

Page = Callable[[CajaRuntime, LocalUser], Awaitable[None]]
scanner.install_page_script()


async def guard() -> tuple[CajaRuntime, LocalUser] | None:
    """The runtime and the logged-in user, or None after sending the browser elsewhere."""
    runtime = get_runtime()
    if not runtime.activated:
        ui.navigate.to("/activar")
        return None
    user = await current_user(runtime)
    if user is None:
        ui.navigate.to("/login")
        return None
    return runtime, user


def top_bar(runtime: CajaRuntime, user: LocalUser, active: str) -> None:
    scanner.wire()  # every screen with the bar: scans at the receipt start the next sale
    with ui.row().classes("w-full items-center gap-2 px-4 py-2 bg-white shadow-sm"):
        ui.icon("storefront", size="28px").classes("text-primary")
        ui.label(runtime.sede.tenant_name if runtime.sede else "Stocky").classes(
            "text-lg font-bold text-slate-800"
        )
        ui.label(runtime.sede.device_name if runtime.sede else "").classes("stocky-muted mr-4")
        for path, key, icon in _NAV:
            ui.button(t(key), icon=icon, on_click=lambda p=path: ui.navigate.to(p)).props(
                # padding "xs sm": all the screens' buttons fit one row at 1366 px
                f"{'unelevated' if path == active else 'flat'} no-caps size=md padding='xs sm'"
                f' data-testid="nav-{path.strip("/")}"'
            ).classes("rounded-lg")
        ui.space()
        ui.button(t("lang.switch"), on_click=toggle_language).props(
            'flat no-caps dense data-testid="language-toggle"'
        )
        # Icon only (its name on hover and for screen readers), so the bar keeps one row.
        with ui.button(icon="logout", on_click=lambda: confirm_logout(runtime)).props(
            f'flat round data-testid="logout" aria-label="{t("nav.logout")}"'
        ):
            ui.tooltip(t("nav.logout"))


def framed(path: str, body: Page) -> Callable[[], Awaitable[None]]:
    """A screen behind the guard, inside the top bar and the status bar."""

    async def page() -> None:
        found = await guard()
        if found is None:
            return
        runtime, user = found
        top_bar(runtime, user, path)
        with ui.column().classes("w-full max-w-[1400px] mx-auto px-4 pt-4 pb-16 gap-4"):
            await body(runtime, user)
        status_bar(runtime, user)
        update_banner(runtime)  # a staged update, offered only between sales
        await watch_notices(runtime)  # a transfer of this sede changed: toast it anywhere

    return page


async def home() -> None:
    found = await guard()
    if found is not None:
        ui.navigate.to("/vender")
