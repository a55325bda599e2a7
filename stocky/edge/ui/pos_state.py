"""What the point of sale's parts share: the sale being rung up on one browser tab (its
cart, its store, its widgets) and the small helpers every part uses. The parts are
pos_cart (showing and changing the cart, parked sales), pos_scan (the scan field),
pos_checkout (paying, a manager's approval) and pos (the layout and the keyboard)."""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from nicegui import Client, context, ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.shifts.policy import CajaPolicy
from stocky.edge.ui.cart import Cart, CartLine
from stocky.edge.ui.errors import show_error
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_money
from stocky.ui.i18n import t


def _sale_labels() -> dict[str, str]:
    """What a sale's fields are called on this screen."""
    return {
        "payments": t("pay.title"),
        "lines": t("pos.cart"),
        "discount": t("pos.discount"),
        "quantity": t("common.quantity"),
        "shift": t("nav.shifts"),
    }


class PosState:
    """The sale being rung up on one browser tab: the cart and the widgets that show it."""

    scan: ui.input
    suggestions: ui.column
    favourites_box: ui.row
    lines_box: ui.column
    count_label: ui.label
    total_rows: dict[str, ui.label]
    total_label: ui.label
    pay_btn: ui.button
    park_btn: ui.button
    parked_btn: ui.button
    discount_btn: ui.button

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
        if runtime.updates is not None:  # a restart waits until this tab is between sales
            runtime.updates.register_sale_screen(self)

    def busy(self) -> bool:
        """A sale is open here: lines in the cart, a sale being saved, or a dialog open
        (a closed tab's screen is gone, whatever its cart held)."""
        if not hasattr(self, "scan") or not self.alive():
            return False
        return bool(self.cart.lines) or self.saving or any(d.value for d in self.dialogs)

    def money(self, value: Decimal) -> str:
        return format_money(value, self.currency, self.locale)

    def show_error(self, exc: BaseException) -> None:
        """The service's refusal as a sentence in this browser's language, naming the field."""
        show_error(exc, _sale_labels(), currency=self.currency, locale=self.locale)
        self.focus_scan()

    def focus_scan(self) -> None:
        self.scan.run_method("focus")

    def alive(self) -> bool:
        # A tab whose client is gone (closed, or dropped by a reset of the UI) holds no
        # sale, even while its elements are still in memory.
        return not self.scan.is_deleted and self.scan.client.id in Client.instances
