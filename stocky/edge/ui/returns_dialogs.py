"""The returns screen's dialogs: confirm what is refunded (a manager's approval is
stocky.edge.ui.approval_dialog's, shared with the sale screen)."""

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
