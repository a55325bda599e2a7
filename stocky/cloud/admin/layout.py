"""The frame of every admin page: the guard (signed in, not a cashier), the top bar, the
navigation drawer (beside the page on a wide screen, behind a menu button on a phone)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError, SessionExpiredError
from stocky.cloud.admin.context import api_for
from stocky.cloud.admin.forms import notify_error
from stocky.cloud.admin.session import AdminSession, current_session, end_session
from stocky.ui.i18n import t

Body = Callable[[AdminSession, AdminApi], Awaitable[None]]
BodyWithArgs = Callable[[AdminSession, AdminApi, PageArguments], Awaitable[None]]

NAV: tuple[tuple[str, str, str], ...] = (
    ("/", "admin.nav.dashboard", "dashboard"),
    ("/sedes", "admin.nav.sedes", "storefront"),
    ("/usuarios", "admin.nav.users", "group"),
    ("/catalogo", "admin.nav.catalog", "category"),
    ("/inventario", "admin.nav.stock", "inventory_2"),
    ("/traslados", "admin.nav.transfers", "local_shipping"),
    ("/ventas", "admin.nav.sales", "point_of_sale"),
    ("/informes", "admin.nav.reports", "bar_chart"),
    ("/conciliacion", "admin.nav.reconciliation", "fact_check"),
    ("/auditoria", "admin.nav.audit", "history"),
    ("/sincronizacion", "admin.nav.sync", "sync"),
)


def go_to_login(expired: bool = False) -> None:
    end_session()
    ui.navigate.to("/login?expired=1" if expired else "/login")


def _nav_testid(path: str) -> str:
    return "nav-" + (path.strip("/") or "dashboard")


# Screens whose API refuses a manager (the audit trail is not one sede's).
ADMINS_ONLY = frozenset({"/auditoria"})


def _nav_buttons(active: str, role: str, *, compact: bool = False) -> None:
    for path, key, icon in NAV:
        if path in ADMINS_ONLY and role not in ("owner", "admin"):
            continue
        selected = path == active
        suffix = "-m" if compact else ""
        ui.button(t(key), icon=icon, on_click=lambda p=path: ui.navigate.to(p)).props(
            f"{'unelevated' if selected else 'flat'} no-caps align=left"
            f' data-testid="{_nav_testid(path)}{suffix}"'
        ).classes("w-full rounded-lg justify-start")


def frame(session: AdminSession, active: str) -> ui.column:
    """The top bar and the side navigation; returns the column the page's content goes in.

    Quasar's header and drawer cannot live inside sub_pages, so the bar is a plain row and
    the navigation a column beside the content on a wide screen, a menu on a phone.
    """
    from stocky.cloud.admin.pages.account import log_out, toggle_language

    with ui.row().classes(
        "w-full items-center gap-1 px-2 py-1 bg-white shadow-sm no-wrap sticky top-0 z-10"
    ):
        with ui.button(icon="menu").props('flat round dense data-testid="menu"').classes("lt-md"):
            with ui.menu().classes("w-64 p-2"):
                _nav_buttons(active, session.role, compact=True)
        ui.icon("storefront", size="26px").classes("text-primary")
        ui.label(str(session.tenant.get("name") or "Stocky")).classes(
            "text-lg font-bold truncate"
        ).props('data-testid="tenant-name"')
        ui.space()
        ui.button(t("admin.lang.switch"), on_click=toggle_language).props(
            'flat no-caps dense data-testid="language-toggle"'
        )
        with ui.button(icon="account_circle").props('flat round dense data-testid="user-menu"'):
            with ui.menu():
                ui.menu_item(str(session.user.get("name") or session.user.get("email"))).props(
                    "disable"
                )
                ui.menu_item(t(f"admin.role.{session.role}")).props("disable")
                ui.separator()
                ui.menu_item(t("admin.nav.account"), lambda: ui.navigate.to("/cuenta")).props(
                    'data-testid="nav-account"'
                )
                ui.menu_item(t("admin.nav.logout"), log_out).props('data-testid="logout"')
    with ui.row().classes("w-full no-wrap items-start gap-0"):
        with ui.column().classes("gt-sm w-[230px] shrink-0 p-2 gap-1 sticky top-[60px]"):
            _nav_buttons(active, session.role)
        return ui.column().classes("grow min-w-0 max-w-[1400px] p-3 md:p-5 gap-4")


def framed(path: str, body: Body | BodyWithArgs, *, with_args: bool = False) -> Any:
    """A page behind the guard, inside the frame; an ended session goes to the login.

    `with_args`: the body also takes the route's PageArguments (path and query parameters).
    """

    async def page(args: PageArguments) -> None:
        session = current_session()
        if session is None:
            go_to_login()
            return
        with frame(session, path):
            try:
                if with_args:
                    await body(session, api_for(session), args)  # type: ignore[call-arg]
                else:
                    await body(session, api_for(session))  # type: ignore[call-arg]
            except SessionExpiredError:
                go_to_login(expired=True)
            except ApiError as error:
                notify_error(error)

    # sub_pages hands PageArguments by the annotation's identity, which postponed
    # annotations (a string here) would hide.
    page.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                "args", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PageArguments
            )
        ]
    )
    return page


def page_title(text: str) -> None:
    ui.label(text).classes("text-2xl font-bold text-slate-800").props('data-testid="page-title"')


def handled(
    action: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """A button's or dialog's action: an API refusal becomes a notification, an ended
    session the login screen, never a traceback in the browser."""

    async def run(*args: object, **kwargs: object) -> None:
        try:
            await action(*args, **kwargs)
        except SessionExpiredError:
            go_to_login(expired=True)
        except ApiError as error:
            notify_error(error)

    return run
