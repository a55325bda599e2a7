"""Stock entry and physical count forms (managers): pick products, type amounts, confirm.

A count shows the difference against what the caja shows before it is confirmed, and sends
that expected quantity along, so a sale rung up during the count is not overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.core.errors import StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.inventory.schemas import AdjustmentCreate, AdjustmentLine, EntryCreate, EntryLine
from stocky.edge.inventory.service import record_adjustment, record_entry
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui import repository as repo
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_quantity, parse_decimal
from stocky.ui.i18n import t


def _picker(runtime: CajaRuntime, on_pick: Callable[[repo.ProductHit], None], testid: str) -> None:
    """A scan-or-search field: Enter on a barcode picks it, text shows suggestions."""
    store = runtime.require_store()
    field = (
        ui.input(placeholder=t("pos.scan"))
        .props(f'outlined dense clearable data-testid="{testid}"')
        .classes("w-[420px] bg-white")
    )
    with field.add_slot("prepend"):
        ui.icon("qr_code_scanner")
    found = ui.column().classes("w-[420px] gap-0")

    def pick(hit: repo.ProductHit) -> None:
        found.clear()
        field.value = ""
        on_pick(hit)

    async def enter() -> None:
        text = (field.value or "").strip()
        if not text:
            return
        hit = await store.aread(lambda conn: repo.by_barcode(conn, text))
        hits = [hit] if hit else await store.aread(lambda conn: repo.suggest(conn, text))
        if len(hits) == 1:
            pick(hits[0])
            return
        found.clear()
        if not hits:
            ui.notify(t("pos.not_found", code=text), type="warning")
        with found:
            for h in hits:
                ui.item(f"{h.name} · {h.sku}", on_click=lambda h=h: pick(h)).props(
                    "clickable dense"
                )

    field.on("keydown.enter", enter)


def _forbidden(user: LocalUser) -> bool:
    if user.at_least("manager"):
        return False
    with ui.row().classes("stocky-card w-full p-6 items-center gap-3"):
        ui.icon("lock", size="32px").classes("text-slate-400")
        ui.label(t("error.forbidden")).classes("text-lg stocky-muted")
    return True


def entry_form(runtime: CajaRuntime, user: LocalUser) -> None:
    if _forbidden(user):
        return
    store = runtime.require_store()
    locale = runtime.sede.locale if runtime.sede else "es-CO"
    lines: list[dict[str, Any]] = []
    with ui.column().classes("stocky-card w-full p-5 gap-3"):
        with ui.row().classes("w-full items-start gap-3"):
            _picker(runtime, lambda hit: add(hit), "entry-scan")
            supplier = ui.input(t("stock.entry.supplier")).props("outlined dense").classes("w-64")
        box = ui.column().classes("w-full gap-2")

    def add(hit: repo.ProductHit) -> None:
        lines.append({"hit": hit, "qty": "1", "cost": ""})
        render()

    def drop(line: dict[str, Any]) -> None:
        lines.remove(line)
        render()

    def render() -> None:
        box.clear()
        with box:
            if not lines:
                ui.label(t("stock.lines_empty")).classes("stocky-muted")
            for line in lines:
                hit = line["hit"]
                with ui.row().classes("w-full items-center gap-3 border-b py-2"):
                    ui.label(hit.name).classes("grow font-medium")
                    ui.label(
                        f"{t('stock.quantity')}: {format_quantity(hit.quantity, hit.unit, locale)}"
                    ).classes("stocky-muted")
                    ui.input(t("common.quantity")).bind_value(line, "qty").props(
                        'outlined dense inputmode=decimal data-testid="entry-qty"'
                    ).classes("w-32")
                    ui.input(t("stock.entry.cost")).bind_value(line, "cost").props(
                        'outlined dense inputmode=decimal data-testid="entry-cost"'
                    ).classes("w-40")
                    ui.button(icon="delete", on_click=lambda ln=line: drop(ln)).props(
                        "flat round color=negative"
                    )
            if lines:
                ui.button(t("common.confirm"), icon="check", on_click=submit).props(
                    'unelevated size=lg no-caps data-testid="entry-submit"'
                ).classes("stocky-big-btn self-end")

    async def submit() -> None:
        try:
            cmd = EntryCreate(
                lines=[
                    EntryLine(
                        product_id=ln["hit"].id,
                        quantity=parse_decimal(ln["qty"], locale),
                        unit_cost=parse_decimal(ln["cost"] or "0", locale),
                    )
                    for ln in lines
                ],
                supplier=(supplier.value or "").strip() or None,
            )
            doc = await store.awrite(
                lambda conn: record_entry(conn, cmd, user_id=user.id, now=utc_now())
            )
        except (ValueError, StockyError) as exc:
            ui.notify(str(exc), type="negative")
            return
        ui.notify(t("stock.entry.saved", count=len(doc.movements)), type="positive")
        lines.clear()
        supplier.value = ""
        render()

    render()


def count_form(runtime: CajaRuntime, user: LocalUser) -> None:
    if _forbidden(user):
        return
    CountForm(runtime, user).build()


def _signed(delta: Decimal | None, unit: str, locale: str) -> str:
    if delta is None:
        return "?"
    return ("+" if delta > 0 else "") + format_quantity(delta, unit, locale)


class CountForm:
    """Counted quantities per product, reviewed against what the caja shows, then saved."""

    box: ui.column

    def __init__(self, runtime: CajaRuntime, user: LocalUser) -> None:
        self.runtime = runtime
        self.store = runtime.require_store()
        self.user = user
        self.locale = runtime.sede.locale if runtime.sede else "es-CO"
        self.lines: list[dict[str, Any]] = []

    def build(self) -> None:
        with ui.column().classes("stocky-card w-full p-5 gap-3"):
            _picker(self.runtime, self.add, "count-scan")
            self.box = ui.column().classes("w-full gap-2")
        self.render()

    def add(self, hit: repo.ProductHit) -> None:
        if any(ln["hit"].id == hit.id for ln in self.lines):
            return
        self.lines.append({"hit": hit, "counted": ""})
        self.render()

    def delta(self, line: dict[str, Any]) -> Decimal | None:
        try:
            shown: Decimal = line["hit"].quantity
            return parse_decimal(line["counted"], self.locale) - shown
        except ValueError:
            return None

    def render(self) -> None:
        self.box.clear()
        with self.box:
            if not self.lines:
                ui.label(t("stock.lines_empty")).classes("stocky-muted")
            for line in self.lines:
                self._line_row(line)
            if self.lines:
                ui.button(t("common.confirm"), icon="fact_check", on_click=self.review).props(
                    'unelevated size=lg no-caps data-testid="count-review"'
                ).classes("stocky-big-btn self-end")

    def _line_row(self, line: dict[str, Any]) -> None:
        hit = line["hit"]
        with ui.row().classes("w-full items-center gap-3 border-b py-2"):
            ui.label(hit.name).classes("grow font-medium")
            ui.label(
                f"{t('stock.count.expected')}: "
                f"{format_quantity(hit.quantity, hit.unit, self.locale)}"
            ).classes("stocky-muted")
            ui.input(t("stock.count.counted")).bind_value(line, "counted").props(
                'outlined dense inputmode=decimal data-testid="count-counted"'
            ).classes("w-36")

    def review(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[560px]"):
            ui.label(t("stock.count.review")).classes("text-lg font-bold")
            for line in self.lines:
                self._delta_row(line)

            async def confirm() -> None:
                if await self.save():
                    dialog.close()
                    ui.notify(t("stock.count.saved"), type="positive")
                    self.lines.clear()
                    self.render()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("common.confirm"), on_click=confirm).props(
                    'unelevated color=positive data-testid="count-confirm"'
                )
        dialog.open()

    def _delta_row(self, line: dict[str, Any]) -> None:
        d = self.delta(line)
        with ui.row().classes("w-full justify-between"):
            ui.label(line["hit"].name)
            text = _signed(d, line["hit"].unit, self.locale)
            color = "text-negative" if d is None or d < 0 else "text-positive"
            ui.label(f"{t('stock.count.delta')}: {text}").classes(
                f"font-bold stocky-num {color}"
            ).props('data-testid="count-delta"')

    async def save(self) -> bool:
        """Record the adjustment; False (after telling why) if a count does not parse."""
        try:
            cmd = AdjustmentCreate(
                lines=[
                    AdjustmentLine(
                        product_id=ln["hit"].id,
                        counted=parse_decimal(ln["counted"], self.locale),
                        expected=ln["hit"].quantity,
                    )
                    for ln in self.lines
                ]
            )
            user_id = self.user.id
            await self.store.awrite(
                lambda conn: record_adjustment(conn, cmd, user_id=user_id, now=utc_now())
            )
        except (ValueError, StockyError) as exc:
            ui.notify(str(exc), type="negative")
            return False
        return True
