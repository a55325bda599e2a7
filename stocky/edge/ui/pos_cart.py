"""The point of sale's cart: showing it (lines, totals, favourites, suggestions), changing
it (add, edit, remove, the ticket's discount, cancel) and keeping it in the caja's store, and
the sales on hold. Every change is saved in the background, the latest winning."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal

from nicegui import background_tasks, ui

from stocky.core.errors import StockyError
from stocky.core.money import cents_to_money
from stocky.edge.images.cache import cached_path, image_keys, local_url
from stocky.edge.pos import cart_store
from stocky.edge.shifts.service import current_shift
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui import repository as repo
from stocky.edge.ui.cart import ONE, CartError, CartLine
from stocky.edge.ui.pos_dialogs import (
    ask_weight,
    confirm_void,
    parked_dialog,
    ticket_discount_dialog,
)
from stocky.edge.ui.pos_lines import cart_line_row, confirm_quantity, edit_line, empty_cart
from stocky.edge.ui.pos_state import PosState
from stocky.edge.ui.runtime import get_runtime
from stocky.ui.formats import format_quantity
from stocky.ui.i18n import t

_SCROLL_JS = """requestAnimationFrame(() => requestAnimationFrame(() => {
  const el = document.querySelector('[data-newest="1"]');
  if (el) el.scrollIntoView({ block: "nearest" });
}));"""


class CartView(PosState):
    """The cart on screen and every change to it, parked sales included."""

    # -- showing the cart ------------------------------------------------------------

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

    def show_suggestions(self, hits: list[repo.ProductHit]) -> None:
        self.suggestions.clear()
        # The caja's own copies (stocky.edge.images): they show with the cloud out of reach.
        keys = self.store.read(lambda conn: image_keys(conn, [h.id for h in hits]))
        data_dir = get_runtime().settings.data_dir
        with self.suggestions:
            for hit in hits:
                with (
                    ui.item(on_click=lambda h=hit: self.pick(h))
                    .classes("w-full rounded-lg")
                    .props('clickable data-testid="suggestion"')
                ):
                    key = keys.get(hit.id)
                    if key is not None and cached_path(data_dir, key) is not None:
                        with ui.item_section().props("avatar"):
                            ui.image(local_url(key)).classes("w-12 h-12 rounded").props(
                                'fit=contain no-spinner data-testid="suggestion-image"'
                            )
                    with ui.item_section():
                        ui.item_label(hit.name).classes("font-medium")
                        ui.item_label(f"{hit.sku} · {hit.barcode or ''}").props("caption")
                    with ui.item_section().props("side"):
                        ui.item_label(self.money(hit.price)).classes("font-semibold text-slate-800")

    # -- loading a held cart --------------------------------------------------------

    async def _load(self, held: cart_store.HeldCart) -> None:
        """Show a held cart (the open one at start, a parked one resumed)."""

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

    # -- changing the cart -----------------------------------------------------------

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

    # -- parked sales ----------------------------------------------------------------

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
