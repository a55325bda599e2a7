"""The returns screen's dialogs: confirm what is refunded, and a manager's approval."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from nicegui import ui

from stocky.ui.i18n import t


def split_rows(split: list[tuple[str, Decimal]], money: Callable[[Decimal], str]) -> None:
    """One row per refund method: "Tarjeta  $ 4.500"."""
    for method, amount in split:
        with ui.row().classes("w-full justify-between text-base"):
            ui.label(t(f"pay.{method}"))
            ui.label(money(amount)).classes("stocky-num font-semibold").props(
                f'data-testid="refund-{method}"'
            )


def confirm_return(
    items: list[str],
    split: list[tuple[str, Decimal]],
    total: str,
    money: Callable[[Decimal], str],
    on_confirm: Callable[[], Awaitable[None]],
) -> None:
    """What comes back and how it is refunded; nothing is recorded until "Sí, registrar"."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[480px]"):
        ui.label(t("returns.confirm_title")).classes("text-xl font-bold")
        for item in items:
            ui.label(item).classes("text-base")
        ui.separator()
        ui.label(t("returns.split_title")).classes("font-semibold")
        split_rows(split, money)
        with ui.row().classes("w-full justify-between text-lg font-bold"):
            ui.label(t("common.total"))
            ui.label(total).classes("stocky-num")

        async def confirm() -> None:
            dialog.close()
            await on_confirm()

        with ui.row().classes("w-full justify-end gap-2 mt-2"):
            ui.button(t("common.back"), on_click=dialog.close).props(
                'flat no-caps data-testid="return-back"'
            )
            ui.button(t("returns.confirm"), icon="assignment_return", on_click=confirm).props(
                'unelevated no-caps color=primary autofocus data-testid="return-confirm"'
            )
    dialog.open()


def manager_dialog(why: str, on_login: Callable[[str, str], Awaitable[str | None]]) -> None:
    """A manager types an email and password; `on_login` answers None (done) or a problem."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[440px]"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("admin_panel_settings", size="32px").classes("text-primary")
            ui.label(t("returns.manager_title")).classes("text-xl font-bold")
        ui.label(why).classes("text-base").props('data-testid="manager-why"')
        email = (
            ui.input(t("returns.manager_email"))
            .props('outlined autofocus data-testid="manager-email"')
            .classes("w-full")
        )
        password = (
            ui.input(t("returns.manager_password"), password=True)
            .props('outlined data-testid="manager-password"')
            .classes("w-full")
        )
        problem = (
            ui.label("").classes("text-negative font-medium").props('data-testid="manager-problem"')
        )
        problem.visible = False

        async def approve() -> None:
            button.props("loading")
            try:
                answer = await on_login((email.value or "").strip(), password.value or "")
            finally:
                button.props(remove="loading")
            if answer is None:
                dialog.close()
                return
            problem.text = answer
            problem.visible = True
            password.set_value("")

        password.on("keydown.enter", approve)
        with ui.row().classes("w-full justify-end gap-2 mt-2"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat no-caps")
            button = ui.button(
                t("returns.manager_approve"), icon="verified", on_click=approve
            ).props('unelevated no-caps data-testid="manager-approve"')
    dialog.open()
