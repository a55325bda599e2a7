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
from stocky.edge.ui.cart import ONE, Cart, CartError, CartLine
from stocky.edge.ui.payment import open_payment
from stocky.edge.ui.pos_lines import cart_line_row, edit_line, empty_cart
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_money, format_quantity, parse_decimal
from stocky.ui.i18n import t

# A keyboard-wedge scanner types digits then Enter; "0,75*7701234" sells 0.75 of a product.
_QTY_PREFIX = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*\*\s*(.+)$")
_TOTAL_ROWS = ("pos.subtotal", "pos.discount", "pos.tax")
_SHORTCUTS = ("shortcut.search", "shortcut.pay", "shortcut.cancel")


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    if await runtime.require_store().aread(current_shift) is None:
        _no_shift_banner()
    PosScreen(runtime, user).build()


def _no_shift_banner() -> None:
    with ui.row().classes(
        "w-full items-center gap-3 bg-amber-100 text-amber-900 rounded-xl px-4 py-2"
    ):
        ui.icon("warning")
        ui.label(t("pos.no_shift")).classes("font-medium")
        ui.space()
        ui.button(t("pos.open_shift"), on_click=lambda: ui.navigate.to("/turno")).props(
            "unelevated color=warning no-caps"
        )


def _shortcut_hints() -> None:
    with ui.row().classes("gap-2 justify-center w-full"):
        for key in _SHORTCUTS:
            key_name, _, action = t(key).partition(" ")
            with ui.row().classes("items-center gap-1 text-sm stocky-muted"):
                ui.label(key_name).classes("stocky-kbd")
                ui.label(action)


class PosScreen:
    """The sale being rung up on one browser tab: the cart and the widgets that show it."""

    scan: ui.input
    suggestions: ui.column
    lines_box: ui.column
    count_label: ui.label
    total_rows: dict[str, ui.label]
    total_label: ui.label
    pay_btn: ui.button

    def __init__(self, runtime: CajaRuntime, user: LocalUser) -> None:
        self.store = runtime.require_store()
        self.user = user
        sede = runtime.sede
        self.currency, self.locale = (sede.currency, sede.locale) if sede else ("COP", "es-CO")
        self.cart = Cart()
        self.dialogs: list[ui.dialog] = []

    def money(self, value: Decimal) -> str:
        return format_money(value, self.currency, self.locale)

    # -- layout ---------------------------------------------------------------------------

    def build(self) -> None:
        with ui.row().classes("w-full gap-4 items-start no-wrap"):
            with ui.column().classes("grow gap-3"):
                self._build_scan()
                self.lines_box = ui.column().classes("w-full gap-2")
            with ui.column().classes("w-[380px] shrink-0 gap-3"):
                self._build_totals()
                _shortcut_hints()
        self.scan.on("keydown.enter", self.on_enter)
        self.scan.on("update:model-value", self.on_type, throttle=0.15, leading_events=False)
        ui.keyboard(on_key=self.on_key, ignore=[])
        self.render()

    def _build_scan(self) -> None:
        with ui.card().classes("stocky-card w-full p-3"):
            self.scan = (
                ui.input(placeholder=t("pos.scan"))
                .props('outlined autofocus clearable data-testid="scan" input-class="text-xl"')
                .classes("w-full")
            )
            with self.scan.add_slot("prepend"):
                ui.icon("qr_code_scanner").classes("text-primary")
            self.suggestions = ui.column().classes("w-full gap-0")

    def _build_totals(self) -> None:
        with ui.card().classes("stocky-card w-full p-5 gap-2"):
            self.count_label = ui.label().classes("stocky-muted")
            self.total_rows = {}
            for key in _TOTAL_ROWS:
                with ui.row().classes("w-full justify-between"):
                    ui.label(t(key)).classes("stocky-muted")
                    self.total_rows[key] = ui.label().classes("stocky-num font-medium")
            ui.separator()
            ui.label(t("pos.total")).classes("text-sm font-semibold uppercase stocky-muted")
            self.total_label = ui.label().classes("stocky-total").props('data-testid="cart-total"')
            self.pay_btn = (
                ui.button(t("pos.pay"), icon="payments", on_click=self.pay)
                .props('unelevated size=xl color=positive no-caps data-testid="pay"')
                .classes("w-full stocky-big-btn mt-2")
            )
            ui.button(t("pos.cancel_sale"), icon="close", on_click=self.cancel).props(
                "flat color=negative no-caps"
            ).classes("w-full")

    # -- showing the cart -----------------------------------------------------------------

    def render(self) -> None:
        self.lines_box.clear()
        with self.lines_box:
            if not self.cart.lines:
                empty_cart()
            for line in self.cart.lines:
                cart_line_row(line, self.money, self.locale, self.edit, self.remove)
        self._render_totals()

    def _render_totals(self) -> None:
        cart, money = self.cart, self.money
        self.count_label.text = t(
            "pos.items", count=format_quantity(cart.count, "unit", self.locale)
        )
        self.total_rows["pos.subtotal"].text = money(cart.subtotal)
        self.total_rows["pos.discount"].text = (
            money(-cart.discount) if cart.discount else money(Decimal(0))
        )
        self.total_rows["pos.tax"].text = money(cart.tax)
        self.total_label.text = money(cart.total)
        self.pay_btn.set_enabled(bool(cart.lines))

    def focus_scan(self) -> None:
        self.scan.run_method("focus")

    def show_suggestions(self, hits: list[repo.ProductHit]) -> None:
        self.suggestions.clear()
        with self.suggestions:
            for hit in hits:
                with (
                    ui.item(on_click=lambda h=hit: self.add(h))
                    .classes("w-full rounded-lg")
                    .props('clickable data-testid="suggestion"')
                ):
                    with ui.item_section():
                        ui.item_label(hit.name).classes("font-medium")
                        ui.item_label(f"{hit.sku} · {hit.barcode or ''}").props("caption")
                    with ui.item_section().props("side"):
                        ui.item_label(self.money(hit.price)).classes("font-semibold text-slate-800")

    # -- changing the cart ----------------------------------------------------------------

    def add(self, hit: repo.ProductHit, qty: Decimal = ONE) -> None:
        try:
            self.cart.add(hit, qty)
        except CartError:
            ui.notify(t("error.invalid_number", field=t("common.quantity")), type="negative")
        self.suggestions.clear()
        self.scan.value = ""
        self.render()
        self.focus_scan()

    def edit(self, line: CartLine) -> None:
        edit_line(line, self.locale, on_saved=self.render, on_hide=self.focus_scan)

    def remove(self, line: CartLine) -> None:
        self.cart.remove(line)
        self.render()
        self.focus_scan()

    def cancel(self) -> None:
        self.cart.clear()
        self.suggestions.clear()
        self.scan.value = ""
        self.render()
        self.focus_scan()

    # -- the scan field -------------------------------------------------------------------

    def _split_quantity(self, text: str) -> tuple[Decimal, str]:
        """ "0,5*code" is half of code; a quantity that does not parse is taken as 1."""
        if (m := _QTY_PREFIX.match(text)) is None:
            return ONE, text
        try:
            qty = parse_decimal(m.group(1), self.locale)
        except ValueError:
            qty = ONE
        return qty, m.group(2).strip()

    async def on_enter(self) -> None:
        text = (self.scan.value or "").strip()
        if not text:
            return
        qty, text = self._split_quantity(text)
        hit = await self.store.aread(lambda conn: repo.by_barcode(conn, text))
        if hit is not None:
            self.add(hit, qty)
            return
        hits = (
            [] if text.isdigit() else await self.store.aread(lambda conn: repo.suggest(conn, text))
        )
        if len(hits) == 1:
            self.add(hits[0], qty)
        elif hits:
            self.show_suggestions(hits)
        else:
            self.scan.value = ""
            ui.notify(t("pos.not_found", code=text), type="warning", position="top")

    async def on_type(self) -> None:
        text = (self.scan.value or "").strip()
        # Digits are a scanner (or a barcode typed): wait for Enter instead of searching.
        if len(text) < 2 or text.replace("*", "").isdigit():
            self.suggestions.clear()
            return
        hits = await self.store.aread(lambda conn: repo.suggest(conn, text))
        self.show_suggestions(hits)

    # -- paying and the keyboard ----------------------------------------------------------

    def _dialog_open(self) -> bool:
        return any(d.value for d in self.dialogs)

    def pay(self) -> None:
        if self.cart.lines and not self._dialog_open():
            self.dialogs[:] = [
                open_payment(self.cart.total, self.currency, self.locale, self.record)
            ]

    async def record(self, paid: dict[str, Decimal]) -> None:
        command = self.cart.sale(paid)
        user_id = self.user.id
        try:
            sale = await self.store.awrite(
                lambda conn: record_sale(conn, command, user_id=user_id, now=utc_now())
            )
        except StockyError as exc:
            ui.notify(str(exc), type="negative")
            return
        self.cart.clear()
        ui.navigate.to(f"/recibo/{sale.id}")

    def on_key(self, e: KeyEventArguments) -> None:
        if not e.action.keydown:
            return
        if e.key == "F2":
            self.focus_scan()
        elif e.key == "F4":
            self.pay()
        elif e.key.escape:
            self._escape()

    def _escape(self) -> None:
        """Esc closes an open dialog, or else cancels the sale."""
        if not self._dialog_open():
            self.cancel()
            return
        for d in self.dialogs:
            d.close()
        self.focus_scan()
