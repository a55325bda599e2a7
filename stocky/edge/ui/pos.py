"""Point of sale: the scan field keeps the cursor, the cart, the totals and the shortcuts."""

from __future__ import annotations

import re
from decimal import Decimal

from nicegui import ui
from nicegui.events import KeyEventArguments

from stocky.edge.auth.session import LocalUser
from stocky.edge.errors import StockyError
from stocky.edge.pos.service import record_sale
from stocky.edge.shifts.service import current_shift
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui import repository as repo
from stocky.edge.ui.cart import Cart, CartError, CartLine
from stocky.edge.ui.payment import open_payment
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_money, format_quantity, parse_decimal
from stocky.ui.i18n import t

# A keyboard-wedge scanner types digits then Enter; "0,75*7701234" sells 0.75 of a product.
_QTY_PREFIX = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*\*\s*(.+)$")


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    sede = runtime.sede
    currency, locale = (sede.currency, sede.locale) if sede else ("COP", "es-CO")
    cart = Cart()

    def money(value: Decimal) -> str:
        return format_money(value, currency, locale)

    if await store.aread(current_shift) is None:
        with ui.row().classes(
            "w-full items-center gap-3 bg-amber-100 text-amber-900 rounded-xl px-4 py-2"
        ):
            ui.icon("warning")
            ui.label(t("pos.no_shift")).classes("font-medium")
            ui.space()
            ui.button(t("pos.open_shift"), on_click=lambda: ui.navigate.to("/turno")).props(
                "unelevated color=warning no-caps"
            )

    with ui.row().classes("w-full gap-4 items-start no-wrap"):
        with ui.column().classes("grow gap-3"):
            with ui.card().classes("stocky-card w-full p-3"):
                scan = (
                    ui.input(placeholder=t("pos.scan"))
                    .props('outlined autofocus clearable data-testid="scan" input-class="text-xl"')
                    .classes("w-full")
                )
                with scan.add_slot("prepend"):
                    ui.icon("qr_code_scanner").classes("text-primary")
                suggestions = ui.column().classes("w-full gap-0")
            lines_box = ui.column().classes("w-full gap-2")
        with ui.column().classes("w-[380px] shrink-0 gap-3"):
            with ui.card().classes("stocky-card w-full p-5 gap-2"):
                count_label = ui.label().classes("stocky-muted")
                rows: dict[str, ui.label] = {}
                for key in ("pos.subtotal", "pos.discount", "pos.tax"):
                    with ui.row().classes("w-full justify-between"):
                        ui.label(t(key)).classes("stocky-muted")
                        rows[key] = ui.label().classes("stocky-num font-medium")
                ui.separator()
                ui.label(t("pos.total")).classes("text-sm font-semibold uppercase stocky-muted")
                total_label = ui.label().classes("stocky-total").props('data-testid="cart-total"')
                pay_btn = (
                    ui.button(t("pos.pay"), icon="payments", on_click=lambda: pay())
                    .props('unelevated size=xl color=positive no-caps data-testid="pay"')
                    .classes("w-full stocky-big-btn mt-2")
                )
                ui.button(t("pos.cancel_sale"), icon="close", on_click=lambda: cancel()).props(
                    "flat color=negative no-caps"
                ).classes("w-full")
            with ui.row().classes("gap-2 justify-center w-full"):
                for key in ("shortcut.search", "shortcut.pay", "shortcut.cancel"):
                    key_name, _, action = t(key).partition(" ")
                    with ui.row().classes("items-center gap-1 text-sm stocky-muted"):
                        ui.label(key_name).classes("stocky-kbd")
                        ui.label(action)

    def focus_scan() -> None:
        scan.run_method("focus")

    def edit_line(line: CartLine) -> None:
        with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[420px]"):
            ui.label(line.product.name).classes("text-lg font-bold")
            qty = ui.input(
                t("common.quantity"),
                value=format_quantity(line.quantity, line.product.unit, locale),
            ).props('outlined autofocus inputmode=decimal data-testid="line-quantity"')
            disc = ui.input(t("pos.discount"), value=format_quantity(line.discount, "x", locale))
            disc.props('outlined inputmode=decimal data-testid="line-discount"')

            def save() -> None:
                try:
                    Cart.set_quantity(line, parse_decimal(qty.value, locale))
                except (ValueError, CartError):
                    ui.notify(
                        t("error.invalid_number", field=t("common.quantity")), type="negative"
                    )
                    return
                try:
                    Cart.set_discount(line, parse_decimal(disc.value or "0", locale))
                except (ValueError, CartError):
                    ui.notify(t("error.invalid_number", field=t("pos.discount")), type="negative")
                    return
                dialog.close()
                render()

            qty.on("keydown.enter", save)
            disc.on("keydown.enter", save)
            with ui.row().classes("w-full justify-end"):
                ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("common.save"), on_click=save).props(
                    'unelevated data-testid="line-save"'
                )
        dialog.on("hide", focus_scan)
        dialog.open()

    def render() -> None:
        lines_box.clear()
        with lines_box:
            if not cart.lines:
                with ui.column().classes("stocky-card w-full items-center p-10 gap-2"):
                    ui.icon("shopping_cart", size="56px").classes("text-slate-300")
                    ui.label(t("pos.empty_cart")).classes("text-lg stocky-muted")
            for line in cart.lines:
                p = line.product
                with (
                    ui.row()
                    .classes("stocky-card w-full items-center px-4 py-3 gap-4 no-wrap")
                    .props('data-testid="cart-line"')
                ):
                    with ui.column().classes("grow gap-0"):
                        ui.label(p.name).classes("text-base font-semibold text-slate-800")
                        detail = f"{money(p.price)} · {p.sku}"
                        if line.by_weight:
                            detail += f" · {t('pos.by_weight')}"
                        ui.label(detail).classes("text-sm stocky-muted")
                    ui.button(
                        format_quantity(line.quantity, p.unit, locale),
                        on_click=lambda ln=line: edit_line(ln),
                    ).props('outline no-caps size=lg data-testid="line-qty"').classes(
                        "min-w-[90px] stocky-num"
                    )
                    with ui.column().classes("items-end gap-0 w-[140px]"):
                        ui.label(money(line.total)).classes("text-lg font-bold stocky-num")
                        if line.discount:
                            ui.label(f"-{money(line.discount)}").classes("text-sm text-negative")
                    ui.button(icon="delete", on_click=lambda ln=line: remove(ln)).props(
                        f'flat round color=negative aria-label="{t("pos.remove")}"'
                    )
        count_label.text = t("pos.items", count=format_quantity(cart.count, "unit", locale))
        rows["pos.subtotal"].text = money(cart.subtotal)
        rows["pos.discount"].text = money(-cart.discount) if cart.discount else money(Decimal(0))
        rows["pos.tax"].text = money(cart.tax)
        total_label.text = money(cart.total)
        pay_btn.set_enabled(bool(cart.lines))

    def remove(line: CartLine) -> None:
        cart.remove(line)
        render()
        focus_scan()

    def add(hit: repo.ProductHit, qty: Decimal = Decimal("1.000")) -> None:
        try:
            cart.add(hit, qty)
        except CartError:
            ui.notify(t("error.invalid_number", field=t("common.quantity")), type="negative")
        suggestions.clear()
        scan.value = ""
        render()
        focus_scan()

    def show_suggestions(hits: list[repo.ProductHit]) -> None:
        suggestions.clear()
        with suggestions:
            for hit in hits:
                with (
                    ui.item(on_click=lambda h=hit: add(h))
                    .classes("w-full rounded-lg")
                    .props('clickable data-testid="suggestion"')
                ):
                    with ui.item_section():
                        ui.item_label(hit.name).classes("font-medium")
                        ui.item_label(f"{hit.sku} · {hit.barcode or ''}").props("caption")
                    with ui.item_section().props("side"):
                        ui.item_label(money(hit.price)).classes("font-semibold text-slate-800")

    async def on_enter() -> None:
        text = (scan.value or "").strip()
        if not text:
            return
        qty = Decimal("1.000")
        if (m := _QTY_PREFIX.match(text)) is not None:
            try:
                qty = parse_decimal(m.group(1), locale)
            except ValueError:
                pass
            text = m.group(2).strip()
        hit = await store.aread(lambda conn: repo.by_barcode(conn, text))
        if hit is not None:
            add(hit, qty)
            return
        hits = [] if text.isdigit() else await store.aread(lambda conn: repo.suggest(conn, text))
        if len(hits) == 1:
            add(hits[0], qty)
        elif hits:
            show_suggestions(hits)
        else:
            scan.value = ""
            ui.notify(t("pos.not_found", code=text), type="warning", position="top")

    async def on_type() -> None:
        text = (scan.value or "").strip()
        # Digits are a scanner (or a barcode typed): wait for Enter instead of searching.
        if len(text) < 2 or text.replace("*", "").isdigit():
            suggestions.clear()
            return
        hits = await store.aread(lambda conn: repo.suggest(conn, text))
        show_suggestions(hits)

    async def record(paid: dict[str, Decimal]) -> None:
        command = cart.sale(paid)
        try:
            sale = await store.awrite(
                lambda conn: record_sale(conn, command, user_id=user.id, now=utc_now())
            )
        except StockyError as exc:
            ui.notify(str(exc), type="negative")
            return
        cart.clear()
        ui.navigate.to(f"/recibo/{sale.id}")

    dialogs: list[ui.dialog] = []

    def pay() -> None:
        if cart.lines and not any(d.value for d in dialogs):
            dialogs[:] = [open_payment(cart.total, currency, locale, record)]

    def cancel() -> None:
        cart.clear()
        suggestions.clear()
        scan.value = ""
        render()
        focus_scan()

    def on_key(e: KeyEventArguments) -> None:
        if not e.action.keydown:
            return
        if e.key == "F2":
            focus_scan()
        elif e.key == "F4":
            pay()
        elif e.key.escape:
            if any(d.value for d in dialogs):
                for d in dialogs:
                    d.close()
                focus_scan()
            else:
                cancel()

    scan.on("keydown.enter", on_enter)
    scan.on("update:model-value", on_type, throttle=0.15, leading_events=False)
    ui.keyboard(on_key=on_key, ignore=[])
    render()
