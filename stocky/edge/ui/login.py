"""Login screen (offline, against the synced hashes) and logout with its unsynced warning."""

from __future__ import annotations

from nicegui import ui

from stocky.core.errors import RateLimitedError
from stocky.edge.ui.activation import card_shell
from stocky.edge.ui.runtime import CajaRuntime, get_runtime
from stocky.edge.ui.session import current_user, log_in, log_out, pending_ops
from stocky.ui.i18n import t


async def page() -> None:
    runtime = get_runtime()
    if not runtime.activated:
        ui.navigate.to("/activar")
        return
    if await current_user(runtime) is not None:
        ui.navigate.to("/vender")
        return
    sede = runtime.sede
    subtitle = f"{sede.tenant_name} · {sede.sede_name} · {sede.device_name}" if sede else ""
    with card_shell(t("login.title"), subtitle):
        email = ui.input(t("login.email")).props(
            'outlined autofocus autocomplete=username data-testid="login-email"'
        )
        email.classes("w-full")
        password = ui.input(t("login.password"), password=True, password_toggle_button=True)
        password.props('outlined autocomplete=current-password data-testid="login-password"')
        password.classes("w-full")
        error = ui.label(t("login.wrong")).classes("text-negative font-medium")
        error.visible = False

        async def submit() -> None:
            error.visible = False
            try:
                user = await log_in(runtime, (email.value or "").strip(), password.value or "")
            except RateLimitedError:
                user = None
                error.text = t("activation.err.too_many")  # "Too many wrong attempts..."
            else:
                error.text = t("login.wrong")
            if user is None:
                error.visible = True
                password.value = ""
                return
            ui.navigate.to("/vender")

        ui.button(t("login.submit"), on_click=submit).props(
            'unelevated size=lg data-testid="login-submit"'
        ).classes("w-full stocky-big-btn")
        password.on("keydown.enter", submit)
        with ui.row().classes("items-center gap-1 stocky-muted text-sm"):
            ui.icon("cloud_off", size="16px")
            ui.label(t("login.offline_ok"))


async def confirm_logout(runtime: CajaRuntime) -> None:
    """Log out; with unsynced ops, say how many first (they stay queued on the caja)."""
    pending = await pending_ops(runtime)
    if pending == 0:
        await log_out(runtime)
        ui.navigate.to("/login")
        return
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 max-w-md"):
        ui.label(t("logout.pending_title")).classes("text-lg font-bold text-warning")
        ui.label(t("logout.pending_body", count=pending))

        async def anyway() -> None:
            dialog.close()
            await log_out(runtime)
            ui.navigate.to("/login")

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("logout.anyway"), on_click=anyway).props(
                'unelevated color=warning data-testid="logout-anyway"'
            )
    dialog.open()
