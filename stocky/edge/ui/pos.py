"""Point of sale: the scan field keeps the cursor, the cart, the totals and the shortcuts.
This module lays the screen out and owns the keyboard; the cart is pos_cart's, the scan
field pos_scan's, paying pos_checkout's, and what they share pos_state's.

The cart lives in the caja's store (stocky.edge.pos.cart_store), not in the page: a reload
or a crashed tab finds the sale where it was. Codes from the scanner are queued and rung up
in order (stocky.edge.ui.scanner), so none is lost however fast they come.
"""

from __future__ import annotations

from collections.abc import Awaitable

from nicegui import background_tasks, ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.pos import cart_store
from stocky.edge.shifts.policy import caja_policy
from stocky.edge.shifts.service import current_shift
from stocky.edge.ui import repository as repo
from stocky.edge.ui import scanner
from stocky.edge.ui.pos_checkout import Checkout
from stocky.edge.ui.pos_scan import ScanField
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.i18n import t

_TOTAL_ROWS = ("pos.subtotal", "pos.discount", "pos.tax")
_SHORTCUTS = ("shortcut.search", "shortcut.pay", "shortcut.park", "shortcut.cancel")
# The lines scroll inside the screen, so the totals and the scan field stay in view.
_LINES_STYLE = "max-height: calc(100vh - 230px); overflow-y: auto"


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


class PosScreen(ScanField, Checkout):
    """The point of sale on one browser tab: its layout, and the keyboard's shortcuts."""

    # -- layout ----------------------------------------------------------------------

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

    # -- the keyboard ----------------------------------------------------------------

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
