"""The point of sale's scan field: codes are queued and rung up in order on a background
task (a scanner types faster than a lookup), "0,75*7701234" sells 0.75 of a product, and
typing letters suggests products."""

from __future__ import annotations

import re
from decimal import Decimal

from nicegui import background_tasks, ui
from nicegui.events import GenericEventArguments

from stocky.edge.ui import repository as repo
from stocky.edge.ui.cart import ONE
from stocky.edge.ui.pos_cart import CartView
from stocky.ui.formats import parse_decimal
from stocky.ui.i18n import t

# A keyboard-wedge scanner types digits then Enter; "0,75*7701234" sells 0.75 of a product.
_QTY_PREFIX = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*\*\s*(.+)$")


class ScanField(CartView):
    """What the scan field does with what is typed or scanned into it."""

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
