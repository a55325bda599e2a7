"""The point of sale's dialogs: confirm a cancelled sale, sales on hold, the ticket's discount,
and the weight of a favourite (a manager's approval: approval_dialog)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

from nicegui import ui

from stocky.edge.pos.cart_store import ParkedCart
from stocky.edge.store.timestamps import from_iso
from stocky.edge.ui.cart import Cart, CartError
from stocky.edge.ui.pos_lines import discount_kind, gone_on_hide
from stocky.ui.formats import NumberError, format_quantity, parse_decimal
from stocky.ui.i18n import t


def confirm_void(
    lines: int, total: str, on_confirm: Callable[[], Awaitable[None]], on_hide: Callable[[], None]
) -> None:
    """Ask before a sale with lines is cancelled; Esc or "Volver" keep it."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[440px]"):
        ui.label(t("pos.void_title")).classes("text-xl font-bold")
        ui.label(t("pos.void_body", lines=lines, total=total)).classes("text-base")

        async def confirm() -> None:
            dialog.close()
            await on_confirm()

        with ui.row().classes("w-full justify-end gap-2 mt-2"):
            ui.button(t("pos.void_keep"), on_click=dialog.close).props(
                'flat no-caps autofocus data-testid="void-keep"'
            )
            ui.button(t("pos.void_confirm"), icon="delete_forever", on_click=confirm).props(
                'unelevated color=negative no-caps data-testid="void-confirm"'
            )
    dialog.on("hide", on_hide)
    dialog.open()


def _age(created_at: str) -> str:
    minutes = max(0, int((datetime.now(UTC) - from_iso(created_at)).total_seconds() // 60))
    return t("pos.parked_age", minutes=minutes)


def parked_dialog(
    carts: list[ParkedCart],
    locale: str,
    on_resume: Callable[[str], Awaitable[None]],
    on_hide: Callable[[], None],
) -> None:
    """Sales on hold, oldest first; "Retomar" brings one back (the current one waits)."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[520px]"):
        ui.label(t("pos.parked_title")).classes("text-xl font-bold")
        for cart in carts:
            items = sum((ln.quantity for ln in cart.lines), start=Decimal(0))

            async def resume(cart_id: str = cart.id) -> None:
                dialog.close()
                await on_resume(cart_id)

            with (
                ui.row()
                .classes("stocky-card w-full items-center px-4 py-2 no-wrap")
                .props('data-testid="parked-cart"')
            ):
                with ui.column().classes("grow gap-0"):
                    ui.label(t("pos.parked_lines", lines=len(cart.lines))).classes("font-semibold")
                    ui.label(
                        f"{format_quantity(items, 'x', locale)} · {_age(cart.created_at)}"
                    ).classes("text-sm stocky-muted")
                ui.button(t("pos.resume"), icon="play_arrow", on_click=resume).props(
                    'unelevated no-caps data-testid="resume"'
                )
        with ui.row().classes("w-full justify-end"):
            ui.button(t("common.close"), on_click=dialog.close).props("flat no-caps")
    dialog.on("hide", on_hide)
    dialog.open()


def ticket_discount_dialog(
    cart: Cart, locale: str, on_saved: Callable[[], None], on_hide: Callable[[], None]
) -> None:
    """A discount on the whole sale, an amount or a percentage, spread over its lines."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[420px]"):
        ui.label(t("pos.ticket_discount")).classes("text-xl font-bold")
        ui.label(t("pos.ticket_discount_hint")).classes("text-sm stocky-muted")
        percent = cart.ticket_percent is not None
        shown = cart.ticket_percent if percent else cart.ticket_amount
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            value = ui.input(
                t("pos.discount"), value=format_quantity(shown or Decimal(0), "x", locale)
            )
            value.props('outlined autofocus inputmode=decimal data-testid="ticket-discount"')
            value.classes("grow")
            kind = discount_kind(percent)

        def save() -> None:
            try:
                typed = parse_decimal(value.value or "0", locale)
                cart.set_ticket_discount(typed, percent=kind.value == "percent")
            except (ValueError, CartError):
                ui.notify(t("error.invalid_number", field=t("pos.discount")), type="negative")
                return
            dialog.close()
            on_saved()

        value.on("keydown.enter", save)
        with ui.row().classes("w-full justify-end"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat no-caps")
            ui.button(t("common.save"), on_click=save).props(
                'unelevated no-caps data-testid="ticket-discount-save"'
            )
    gone_on_hide(dialog, on_hide)
    dialog.open()


def ask_weight(
    name: str, locale: str, on_weight: Callable[[Decimal], None], on_hide: Callable[[], None]
) -> None:
    """How much of a weighed product (a favourite has no scale label to read it from)."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[400px]"):
        ui.label(name).classes("text-xl font-bold")
        weight = ui.input(t("pos.weight_kg")).props(
            'outlined autofocus inputmode=decimal data-testid="favourite-weight"'
        )

        def add() -> None:
            try:
                qty = parse_decimal(weight.value or "", locale, field=t("pos.weight_kg"))
            except NumberError as exc:
                ui.notify(str(exc), type="negative")
                return
            if qty <= 0:
                ui.notify(t("error.positive_number", field=t("pos.weight_kg")), type="negative")
                return
            dialog.close()
            on_weight(qty)

        weight.on("keydown.enter", add)
        with ui.row().classes("w-full justify-end gap-2 mt-2"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat no-caps")
            ui.button(t("pos.add"), on_click=add).props(
                'unelevated no-caps data-testid="favourite-weight-add"'
            )
    gone_on_hide(dialog, on_hide)
    dialog.open()
