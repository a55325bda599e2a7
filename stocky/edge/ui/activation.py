"""Activation screen: shown while the data dir holds no activated caja."""

from __future__ import annotations

import socket

from nicegui import ui

from stocky.edge.activation.service import ActivationError
from stocky.edge.ui.runtime import get_runtime
from stocky.ui.i18n import t


def cashier_message(error: ActivationError) -> str:
    """The activation service's message in words a cashier understands, in their language."""
    text = str(error).lower()
    for needle, key in (
        ("not valid", "activation.err.wrong_code"),
        ("letters and digits", "activation.err.code_format"),
        ("cannot reach", "activation.err.offline"),
        ("expired", "activation.err.expired"),
        ("already used", "activation.err.used"),
        ("too many", "activation.err.too_many"),
    ):
        if needle in text:
            return t(key)
    return t("activation.err.other", message=str(error))


def card_shell(title: str, subtitle: str) -> ui.column:
    ui.query("body").classes("bg-gradient-to-br from-teal-700 to-slate-800")
    with ui.column().classes("w-full min-h-screen items-center justify-center p-6"):
        card = ui.column().classes("stocky-card w-full max-w-md p-8 gap-4")
        with card:
            with ui.row().classes("items-center gap-3"):
                ui.icon("storefront", size="40px").classes("text-primary")
                ui.label("Stocky").classes("text-3xl font-extrabold text-slate-800")
            ui.label(title).classes("text-xl font-bold text-slate-800")
            ui.label(subtitle).classes("stocky-muted")
    return card


async def page() -> None:
    runtime = get_runtime()
    if runtime.activated:
        ui.navigate.to("/login")
        return
    with card_shell(t("activation.title"), t("activation.help")):
        cloud = ui.input(t("activation.cloud"), value="https://").props(
            'outlined data-testid="activation-cloud"'
        )
        cloud.classes("w-full")
        code = ui.input(t("activation.code")).props(
            'outlined maxlength=20 autocapitalize=characters data-testid="activation-code"'
        )
        code.classes("w-full text-2xl tracking-widest")
        name = ui.input(t("activation.name"), value=socket.gethostname()[:120]).props("outlined")
        name.classes("w-full")
        error = (
            ui.label().classes("text-negative font-medium").props('data-testid="activation-error"')
        )
        error.visible = False

        async def submit() -> None:
            error.visible = False
            button.props("loading")
            try:
                done = await runtime.activate(
                    cloud_url=cloud.value.strip(),
                    code=(code.value or "").strip(),
                    device_name=(name.value or "Caja").strip()[:120] or "Caja",
                )
            except ActivationError as exc:
                error.text = cashier_message(exc)
                error.visible = True
                return
            finally:
                button.props(remove="loading")
            ui.notify(
                t("activation.done", sede=done.sede_name, tenant=done.tenant_name), type="positive"
            )
            ui.navigate.to("/login")

        button = ui.button(t("activation.submit"), on_click=submit).props(
            'unelevated size=lg data-testid="activation-submit"'
        )
        button.classes("w-full stocky-big-btn")
        code.on("keydown.enter", submit)
