"""Point of sale: the scan field keeps the cursor, the cart, the totals and the shortcuts.

The cart lives in the caja's store (stocky.edge.pos.cart_store), not in the page: a reload
or a crashed tab finds the sale where it was. Codes from the scanner are queued and rung up
in order (stocky.edge.ui.scanner), so none is lost however fast they come.
"""

from __future__ import annotations

import re
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from decimal import Decimal

from nicegui import background_tasks, context, ui
from nicegui.events import GenericEventArguments

from stocky.core.money import cents_to_money
from stocky.edge.auth.session import LocalUser
from stocky.edge.errors import ForbiddenError, StockyError
from stocky.edge.pos import cart_store
from stocky.edge.pos.approval import approval_options, approver
from stocky.edge.pos.customers import CustomerHit, search_customers
from stocky.edge.pos.schemas import CustomerIn, ManagerLogin, SaleOut
from stocky.edge.pos.service import record_sale
from stocky.edge.shifts.policy import CajaPolicy, caja_policy
from stocky.edge.shifts.service import current_shift
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui import repository as repo
from stocky.edge.ui import scanner
from stocky.edge.ui.approval_dialog import manager_dialog, refusal_text
from stocky.edge.ui.cart import ONE, Cart, CartError, CartLine
from stocky.edge.ui.errors import show_error
from stocky.edge.ui.payment import open_payment
from stocky.edge.ui.pos_dialogs import (
    ask_weight,
    confirm_void,
    parked_dialog,
    ticket_discount_dialog,
)
from stocky.edge.ui.pos_lines import cart_line_row, confirm_quantity, edit_line, empty_cart
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_money, format_quantity, parse_decimal
from stocky.ui.i18n import t

# A keyboard-wedge scanner types digits then Enter; "0,75*7701234" sells 0.75 of a product.
_QTY_PREFIX = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*\*\s*(.+)$")
_TOTAL_ROWS = ("pos.subtotal", "pos.discount", "pos.tax")
_SHORTCUTS = ("shortcut.search", "shortcut.pay", "shortcut.park", "shortcut.cancel")
# The lines scroll inside the screen, so the totals and the scan field stay in view.
_LINES_STYLE = "max-height: calc(100vh - 230px); overflow-y: auto"
_SCROLL_JS = """requestAnimationFrame(() => requestAnimationFrame(() => {
  const el = document.querySelector('[data-newest="1"]');
  if (el) el.scrollIntoView({ block: "nearest" });
}));"""


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    if await runtime.require_store().aread(current_shift) is None:
        _no_shift_banner()
    screen = PosScreen(runtime, user)
    screen.build()
    await screen.restore()


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
    with ui.row().classes("gap-x-3 gap-y-1 justify-center w-full"):
        for key in _SHORTCUTS:
            key_name, _, action = t(key).partition(" ")
            with ui.row().classes("items-center gap-1 text-sm stocky-muted"):
                ui.label(key_name).classes("stocky-kbd")
                ui.label(action)


def _sale_labels() -> dict[str, str]:
    """What a sale's fields are called on this screen."""
    return {
        "payments": t("pay.title"),
        "lines": t("pos.cart"),
        "discount": t("pos.discount"),
        "quantity": t("common.quantity"),
        "shift": t("nav.shifts"),
    }


class PosScreen:
    """The sale being rung up on one browser tab: the cart and the widgets that show it."""

    scan: ui.input
    suggestions: ui.column
    lines_box: ui.column
    count_label: ui.label
    total_rows: dict[str, ui.label]
    total_label: ui.label
    pay_btn: ui.button
    park_btn: ui.button
    parked_btn: ui.button

    def __init__(self, runtime: CajaRuntime, user: LocalUser) -> None:
        self.store = runtime.require_store()
        self.user = user
        sede = runtime.sede
        self.currency, self.locale = (sede.currency, sede.locale) if sede else ("COP", "es-CO")
        self.cart = Cart()
        # Scans are rung up on a background task, which must name the tab it draws on.
        self.client = context.client
        self.dialogs: list[ui.dialog] = []
        self.codes: deque[str] = deque()
        self.scanning = False
        self.saving = False
        self.dirty = False
        self.newest: CartLine | None = None
        self.parked_count = 0
        self.policy: CajaPolicy | None = None

    def money(self, value: Decimal) -> str:
        return format_money(value, self.currency, self.locale)

    def show_error(self, exc: BaseException) -> None:
        """The service's refusal as a sentence in this browser's language, naming the field."""
        show_error(exc, _sale_labels(), currency=self.currency, locale=self.locale)
        self.focus_scan()

    # -- layout ---------------------------------------------------------------------------

    def build(self) -> None:
        with ui.row().classes("w-full gap-4 items-start no-wrap"):
            with ui.column().classes("grow gap-3 min-w-0"):
                self._build_scan()
                # The sede's favourites (items without a barcode), one scrolling row so the
                # cart keeps its lines in view; filled by restore().
                self.favourites_box = (
                    ui.row()
                    .classes("w-full gap-2 no-wrap overflow-x-auto")
                    .props('data-testid="favourites"')
                )
                self.favourites_box.visible = False
                self.lines_box = (
                    ui.column()
                    .classes("w-full gap-1")
                    .style(_LINES_STYLE)
                    .props('data-testid="cart-lines"')
                )
            with ui.column().classes("w-[380px] shrink-0 gap-3"):
                self._build_totals()
                _shortcut_hints()
        scanner.scan_field_events(self.scan, self.on_enter)
        self.scan.on("update:model-value", self.on_type, throttle=0.15, leading_events=False)
        self.render()

    def _build_scan(self) -> None:
        with ui.card().classes("stocky-card w-full p-3"):
            self.scan = (
                ui.input(placeholder=t("pos.scan"))
                .props(
                    'outlined autofocus clearable data-testid="scan" input-class="text-xl"'
                    ' autocomplete="off"'
                )
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
            with ui.row().classes("w-full gap-2 no-wrap"):
                self.park_btn = (
                    ui.button(t("pos.park"), icon="pause_circle", on_click=self.park)
                    .props('outline no-caps data-testid="park"')
                    .classes("grow")
                )
                self.parked_btn = (
                    ui.button(icon="playlist_play", on_click=self.show_parked)
                    .props('outline no-caps data-testid="parked"')
                    .classes("grow")
                )
            self.discount_btn = (
                ui.button(
                    t("pos.ticket_discount_btn"), icon="percent", on_click=self.ticket_discount
                )
                .props('outline no-caps data-testid="ticket-discount-open"')
                .classes("w-full")
            )
            ui.button(t("pos.cancel_sale"), icon="close", on_click=self.cancel).props(
                'flat color=negative no-caps data-testid="cancel-sale"'
            ).classes("w-full")

    async def restore(self) -> None:
        """The open cart from the store, then whatever was scanned before this screen was."""
        held, parked, self.policy, favourites = await self.store.aread(
            lambda conn: (
                cart_store.open_cart(conn),
                len(cart_store.parked_carts(conn)),
                caja_policy(conn),
                repo.favourites(conn),
            )
        )
        self.parked_count = parked
        self._render_favourites(favourites)
        await self._load(held)
        for code in scanner.attach(self):
            self.enqueue(code)

    async def _load(self, held: cart_store.HeldCart) -> None:
        def hits(conn: sqlite3.Connection) -> dict[str, repo.ProductHit | None]:
            return {ln.product_id: repo.by_id(conn, ln.product_id) for ln in held.lines}

        products = await self.store.aread(hits) if held.lines else {}
        self.cart.clear()
        for ln in held.lines:
            product = products.get(ln.product_id)
            if product is None:  # no longer sold: the line cannot be rung up
                continue
            own = ln.discount if ln.percent is None else Decimal("0.00")
            self.cart.lines.append(CartLine(product, ln.quantity, own, ln.percent))
        if self.cart.lines:
            self.cart.ticket_amount = held.discount.amount
            self.cart.ticket_percent = held.discount.percent
        self.newest = self.cart.lines[-1] if self.cart.lines else None
        self.render()

    def alive(self) -> bool:
        return not self.scan.is_deleted

    # -- showing the cart -----------------------------------------------------------------

    def render(self) -> None:
        self.cart.spread()
        self.lines_box.clear()
        with self.lines_box:
            if not self.cart.lines:
                empty_cart()
            for line in self.cart.lines:
                row = cart_line_row(line, self.money, self.locale, self.edit, self.remove)
                if line is self.newest:
                    row.props('data-newest="1"')
        self._render_totals()
        if self.newest is not None:
            self.client.run_javascript(_SCROLL_JS)

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
        self.park_btn.set_enabled(bool(cart.lines))
        self.discount_btn.set_enabled(bool(cart.lines))
        self.parked_btn.text = t("pos.parked", count=self.parked_count)
        self.parked_btn.set_enabled(self.parked_count > 0)

    def focus_scan(self) -> None:
        self.scan.run_method("focus")

    def show_suggestions(self, hits: list[repo.ProductHit]) -> None:
        self.suggestions.clear()
        with self.suggestions:
            for hit in hits:
                with (
                    ui.item(on_click=lambda h=hit: self.pick(h))
                    .classes("w-full rounded-lg")
                    .props('clickable data-testid="suggestion"')
                ):
                    with ui.item_section():
                        ui.item_label(hit.name).classes("font-medium")
                        ui.item_label(f"{hit.sku} · {hit.barcode or ''}").props("caption")
                    with ui.item_section().props("side"):
                        ui.item_label(self.money(hit.price)).classes("font-semibold text-slate-800")

    # -- changing the cart ----------------------------------------------------------------

    def _changed(self) -> None:
        """Show the cart and keep it in the store (one write at a time, the latest wins)."""
        self.render()
        self.dirty = True
        if not self.saving:
            self.saving = True
            background_tasks.create(self._save(), name="pos.save_cart")

    async def _save(self) -> None:
        try:
            while self.dirty:
                self.dirty = False
                await self.store.awrite(self._save_write(self.held_cart()), durable=False)
        finally:
            self.saving = False

    def _save_write(self, held: cart_store.HeldCart) -> Callable[[sqlite3.Connection], None]:
        user_id = self.user.id
        return lambda conn: cart_store.save_open_cart(
            conn, held.lines, user_id=user_id, now=utc_now(), discount=held.discount
        )

    def held_cart(self) -> cart_store.HeldCart:
        """The cart as the store keeps it: lines as typed, and the ticket's discount."""
        lines = [
            cart_store.HeldLine(
                ln.product.id, ln.quantity, cents_to_money(ln.own_cents), ln.percent
            )
            for ln in self.cart.lines
        ]
        discount = cart_store.TicketDiscount(self.cart.ticket_amount, self.cart.ticket_percent)
        return cart_store.HeldCart(lines, discount)

    def add(self, hit: repo.ProductHit, qty: Decimal = ONE) -> None:
        """Add to the cart; an unusually large quantity asks first (a 500 kg typo)."""
        self.suggestions.clear()
        before = sum((ln.quantity for ln in self.cart.lines if ln.product.id == hit.id), Decimal(0))
        limit = None if self.policy is None else self.policy.quantity_limit(hit.unit)
        if limit is not None and before + qty > limit:
            shown = format_quantity(before + qty, hit.unit, self.locale)
            confirm_quantity(hit.name, shown, lambda: self._add(hit, qty, before), self.focus_scan)
            return
        self._add(hit, qty, before)

    def _add(self, hit: repo.ProductHit, qty: Decimal, before: Decimal) -> None:
        try:
            self.newest = self.cart.add(hit, qty)
        except CartError:
            ui.notify(t("error.invalid_number", field=t("common.quantity")), type="negative")
        else:
            # Sales never wait for stock (the goods left the store), but the cashier is told.
            if before <= hit.quantity < before + qty:
                left = format_quantity(hit.quantity, hit.unit, self.locale)
                ui.notify(t("pos.negative_stock", name=hit.name, left=left), type="warning")
        self._changed()

    def _render_favourites(self, hits: list[repo.ProductHit]) -> None:
        self.favourites_box.clear()
        self.favourites_box.visible = bool(hits)
        with self.favourites_box:
            for hit in hits:
                with (
                    ui.button(on_click=lambda h=hit: self.favourite(h))
                    .props(f'outline no-caps data-testid="favourite-{hit.sku}"')
                    .classes("shrink-0 min-w-[120px]")
                ):
                    with ui.column().classes("gap-0 items-start"):
                        ui.label(hit.name).classes("text-sm font-semibold leading-tight")
                        ui.label(self.money(hit.price)).classes("text-xs stocky-num")

    def favourite(self, hit: repo.ProductHit) -> None:
        """A favourite tapped: one unit, or the weight asked for a product sold by weight."""
        if hit.unit == "weight":
            ask_weight(hit.name, self.locale, lambda qty: self.add(hit, qty), self.focus_scan)
            return
        self.add(hit)
        self.focus_scan()

    def ticket_discount(self) -> None:
        if self.cart.lines:
            ticket_discount_dialog(self.cart, self.locale, self._changed, self.focus_scan)

    def pick(self, hit: repo.ProductHit) -> None:
        """A suggestion chosen with the mouse or the arrows and Enter."""
        self.add(hit)
        self.scan.value = ""
        self.focus_scan()

    def edit(self, line: CartLine) -> None:
        limit = None if self.policy is None else self.policy.quantity_limit(line.product.unit)
        edit_line(line, self.locale, on_saved=self._changed, on_hide=self.focus_scan, limit=limit)

    def remove(self, line: CartLine) -> None:
        self.cart.remove(line)
        if self.newest is line:
            self.newest = None
        self._changed()
        self.focus_scan()

    def cancel(self) -> None:
        """Cancelling a sale with lines asks first, then records it as voided."""
        self.suggestions.clear()
        if not self.cart.lines:
            self.focus_scan()
            return
        confirm_void(len(self.cart.lines), self.money(self.cart.total), self.void, self.focus_scan)

    async def void(self) -> None:
        lines = [
            cart_store.VoidedLine(ln.product.id, ln.quantity, ln.product.price, ln.discount)
            for ln in self.cart.lines
        ]
        total, user_id = self.cart.total, self.user.id

        def write(conn: sqlite3.Connection) -> str:
            shift = current_shift(conn)
            return cart_store.void_cart(
                conn,
                lines,
                total=total,
                user_id=user_id,
                shift_id=None if shift is None else shift.id,
                now=utc_now(),
            )

        try:
            await self.store.awrite(write)
        except StockyError as exc:
            self.show_error(exc)
            return
        self.cart.clear()
        self.newest = None
        self.render()
        ui.notify(t("pos.voided"), type="info")
        self.focus_scan()

    # -- parked sales ---------------------------------------------------------------------

    async def park(self) -> None:
        if not self.cart.lines:
            return
        held, user_id = self.held_cart(), self.user.id
        await self.store.awrite(
            lambda conn: cart_store.park_open_cart(
                conn, held.lines, user_id=user_id, now=utc_now(), discount=held.discount
            )
        )
        self.cart.clear()
        self.newest = None
        self.parked_count += 1
        self.render()
        ui.notify(t("pos.parked_done"), type="info")
        self.focus_scan()

    async def show_parked(self) -> None:
        carts = await self.store.aread(cart_store.parked_carts)
        self.parked_count = len(carts)
        self._render_totals()
        if carts:
            parked_dialog(carts, self.locale, self.resume, self.focus_scan)

    async def resume(self, cart_id: str) -> None:
        current, user_id = self.held_cart(), self.user.id

        def write(conn: sqlite3.Connection) -> tuple[cart_store.HeldCart | None, int]:
            found = cart_store.resume_parked(
                conn,
                cart_id,
                current,
                user_id=user_id,
                now=utc_now(),
            )
            return found, len(cart_store.parked_carts(conn))

        held, self.parked_count = await self.store.awrite(write)
        if held is None:
            ui.notify(t("pos.parked_gone"), type="warning")
            self.render()
            return
        await self._load(held)
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

    def on_enter(self, e: GenericEventArguments) -> None:
        """The browser sends the code it read at Enter (and has cleared the field)."""
        if isinstance(e.args, str):
            code = e.args
        else:  # a simulated user (tests) types into the server's copy of the field
            code, self.scan.value = self.scan.value or "", ""
        self.enqueue(code)

    def enqueue(self, code: str) -> None:
        if not code.strip():
            return
        self.codes.append(code.strip())
        if not self.scanning:
            self.scanning = True
            background_tasks.create(self._ring_up(), name="pos.scan")

    async def _ring_up(self) -> None:
        try:
            with self.client:
                while self.codes and self.alive():
                    await self.look_up(self.codes.popleft())
        finally:
            self.scanning = False

    async def look_up(self, raw: str) -> None:
        qty, text = self._split_quantity(raw)
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
        if self.cart.lines and not self._dialog_open() and not self.codes:
            self.dialogs[:] = [
                open_payment(
                    self.cart.total,
                    self.currency,
                    self.locale,
                    self.record,
                    find_customers=self.find_customers,
                )
            ]

    async def find_customers(self, typed: str) -> list[CustomerHit]:
        """The synced customers matching what was typed at payment (name or NIT/CC)."""
        return await self.store.aread(lambda conn: search_customers(conn, typed))

    async def record(
        self,
        paid: dict[str, Decimal],
        customer: CustomerIn | None = None,
        approved_by: str | None = None,
    ) -> None:
        """Record the sale; a discount that needs a manager asks for one first."""
        command = self.cart.sale(paid, customer)
        user_id = self.user.id
        by = approved_by or (user_id if self.user.at_least("manager") else None)

        def write(conn: sqlite3.Connection) -> SaleOut:
            # The sale and the end of the held cart commit together: a reload never
            # brings back a cart that was already sold.
            sale = record_sale(conn, command, user_id=user_id, now=utc_now(), approved_by=by)
            cart_store.save_open_cart(conn, [], user_id=user_id, now=utc_now())
            return sale

        try:
            sale = await self.store.awrite(write)
        except ForbiddenError as exc:
            if not str(exc).startswith("manager:") or by is not None:
                self.show_error(exc)
                return
            await self.ask_manager(paid, customer)
            return
        except StockyError as exc:
            self.show_error(exc)
            return
        self.cart.clear()
        ui.navigate.to(f"/recibo/{sale.id}")

    async def ask_manager(self, paid: dict[str, Decimal], customer: CustomerIn | None) -> None:
        """A manager approves the discount (PIN or login, as the policy says); then the
        sale is recorded with their id."""

        async def approve(login: ManagerLogin) -> str | None:
            try:
                by = await approver(self.store, self.user, login)
            except StockyError as exc:
                return refusal_text(exc, login)
            await self.record(paid, customer, approved_by=by)
            return None

        options = await self.store.aread(approval_options)
        reason = t("pos.manager_needed", amount=self.money(self.cart.discount))
        manager_dialog(options, reason, approve, self.focus_scan)

    def on_shortcut(self, key: str) -> None:
        """F2, F4, F8 and Esc, sent by the page only while no dialog is open."""
        if key == "F2":
            self.focus_scan()
        elif key == "F4":
            self.pay()
        elif key == "F8":
            background_tasks.create(self._in_tab(self.park()), name="pos.park")
        elif key == "Escape":
            self._escape()

    async def _in_tab(self, work: Awaitable[None]) -> None:
        with self.client:
            await work

    def _escape(self) -> None:
        """Esc drops a typed search first; on an empty field it asks to cancel the sale."""
        if self.scan.value or self.suggestions.default_slot.children:
            self.suggestions.clear()
            self.scan.value = ""
            return
        self.cancel()
