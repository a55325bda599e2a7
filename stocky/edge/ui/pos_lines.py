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


def _typed(text: str | None, locale: str) -> Decimal | None:
    try:
        return parse_decimal(text or "", locale)
    except ValueError:
        return None  # _apply_edit says why


def confirm_quantity(
    name: str, quantity: str, on_confirm: Callable[[], None], on_hide: Callable[[], None]
) -> None:
    """Ask before an unusually large quantity goes into the cart (a 500 kg typo)."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[440px]"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("warning", size="32px").classes("text-warning")
            ui.label(t("pos.big_quantity_title")).classes("text-xl font-bold")
        ui.label(t("pos.big_quantity_body", quantity=quantity, name=name)).classes("text-base")

        def confirm() -> None:
            dialog.close()
            on_confirm()

        with ui.row().classes("w-full justify-end gap-2 mt-2"):
            ui.button(t("common.cancel"), on_click=dialog.close).props(
                'flat no-caps autofocus data-testid="quantity-cancel"'
            )
            ui.button(t("pos.big_quantity_confirm"), on_click=confirm).props(
                'unelevated color=warning no-caps data-testid="quantity-confirm"'
            )
    gone_on_hide(dialog, on_hide)
    dialog.open()


def edit_line(
    line: CartLine,
    locale: str,
    on_saved: Callable[[], None],
    on_hide: Callable[[], None],
    limit: Decimal | None = None,
) -> None:
    """A dialog for the line's quantity and discount; Enter in either field saves. Raising
    the quantity above `limit` (the caja policy's) asks first, as a scan does."""
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

        def apply() -> None:
            if _apply_edit(line, qty.value, disc.value, locale, percent=kind.value == "percent"):
                dialog.close()
                on_saved()

        def save() -> None:
            typed = _typed(qty.value, locale)
            if limit is not None and typed is not None and line.quantity < typed and typed > limit:
                shown = format_quantity(typed, line.product.unit, locale)
                confirm_quantity(line.product.name, shown, apply, lambda: None)
                return
            apply()

        qty.on("keydown.enter", save)
        disc.on("keydown.enter", save)
        with ui.row().classes("w-full justify-end"):
            ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
            ui.button(t("common.save"), on_click=save).props('unelevated data-testid="line-save"')
    dialog.on("hide", on_hide)
    dialog.open()


def gone_on_hide(dialog: ui.dialog, on_hide: Callable[[], None]) -> None:
    """A closed dialog leaves the page (no hidden copy left behind for the next one)."""

    def hidden() -> None:
        on_hide()
        dialog.delete()

    dialog.on("hide", hidden)
