"""The cart's lines on the point of sale: one row per line, and the dialog that edits one."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from nicegui import ui

from stocky.edge.ui.cart import Cart, CartError, CartLine
from stocky.ui.formats import format_quantity, parse_decimal
from stocky.ui.i18n import t

Money = Callable[[Decimal], str]
LineAction = Callable[[CartLine], None]


def empty_cart() -> None:
    with ui.column().classes("stocky-card w-full items-center p-10 gap-2"):
        ui.icon("shopping_cart", size="56px").classes("text-slate-300")
        ui.label(t("pos.empty_cart")).classes("text-lg stocky-muted")


def cart_line_row(
    line: CartLine, money: Money, locale: str, on_edit: LineAction, on_remove: LineAction
) -> ui.row:
    """Name and price, the quantity button that opens the editor, the total, delete.

    Compact (one card ~56 px high), so 8 lines and more fit at 1366x768.
    """
    p = line.product
    with (
        ui.row()
        .classes("stocky-card w-full items-center px-4 py-1 gap-4 no-wrap shrink-0")
        .props('data-testid="cart-line"') as row
    ):
        with ui.column().classes("grow gap-0"):
            ui.label(p.name).classes("text-base font-semibold text-slate-800")
            detail = f"{money(p.price)} · {p.sku}"
            if line.by_weight:
                detail += f" · {t('pos.by_weight')}"
            ui.label(detail).classes("text-sm stocky-muted")
        ui.button(
            format_quantity(line.quantity, p.unit, locale),
            on_click=lambda: on_edit(line),
        ).props('outline no-caps data-testid="line-qty"').classes("min-w-[90px] stocky-num")
        with ui.column().classes("items-end gap-0 w-[140px]"):
            ui.label(money(line.total)).classes("text-lg font-bold stocky-num")
            if line.discount:
                ui.label(f"-{money(line.discount)}").classes("text-sm text-negative")
        ui.button(icon="delete", on_click=lambda: on_remove(line)).props(
            f'flat round color=negative aria-label="{t("pos.remove")}"'
        )
    return row


def discount_kind(percent: bool) -> ui.toggle:
    """The "$ / %" switch beside a discount field."""
    return ui.toggle(
        {"amount": "$", "percent": "%"}, value="percent" if percent else "amount"
    ).props('no-caps unelevated toggle-color=primary data-testid="discount-kind"')


def _apply_edit(
    line: CartLine, quantity: str, discount: str, locale: str, *, percent: bool = False
) -> bool:
    """Set the typed quantity then discount; False (after telling why) if one is refused."""
    try:
        Cart.set_quantity(line, parse_decimal(quantity, locale))
    except (ValueError, CartError):
        ui.notify(t("error.invalid_number", field=t("common.quantity")), type="negative")
        return False
    try:
        Cart.set_discount(line, parse_decimal(discount or "0", locale), percent=percent)
    except (ValueError, CartError):
        ui.notify(t("error.invalid_number", field=t("pos.discount")), type="negative")
        return False
    return True


def edit_line(
    line: CartLine, locale: str, on_saved: Callable[[], None], on_hide: Callable[[], None]
) -> None:
    """A dialog for the line's quantity and discount; Enter in either field saves."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[420px]"):
        ui.label(line.product.name).classes("text-lg font-bold")
        qty = ui.input(
            t("common.quantity"),
            value=format_quantity(line.quantity, line.product.unit, locale),
        ).props('outlined autofocus inputmode=decimal data-testid="line-quantity"')
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            shown = line.own_discount if line.percent is None else line.percent
            disc = ui.input(t("pos.discount"), value=format_quantity(shown, "x", locale))
            disc.props('outlined inputmode=decimal data-testid="line-discount"').classes("grow")
            kind = discount_kind(line.percent is not None)

        def save() -> None:
            if _apply_edit(line, qty.value, disc.value, locale, percent=kind.value == "percent"):
                dialog.close()
                on_saved()

        qty.on("keydown.enter", save)
        disc.on("keydown.enter", save)
        with ui.row().classes("w-full justify-end"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("common.save"), on_click=save).props('unelevated data-testid="line-save"')
    dialog.on("hide", on_hide)
    dialog.open()
