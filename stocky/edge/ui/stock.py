"""Stock screen: the inventory table (search, paging, low and negative flagged, thresholds),
with tabs for a stock entry and a physical count."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from stocky.core.errors import StockyError
from stocky.edge.auth.session import LocalUser
from stocky.edge.inventory.schemas import InventoryItem, ThresholdsIn
from stocky.edge.inventory.service import set_thresholds
from stocky.edge.store.timestamps import utc_now
from stocky.edge.ui import repository as repo
from stocky.edge.ui.runtime import CajaRuntime
from stocky.edge.ui.stock_forms import count_form, entry_form
from stocky.ui.formats import format_quantity, parse_decimal
from stocky.ui.i18n import t

PAGE_SIZE = 50

_QTY_CELL = """
<q-td :props="props">
  <q-badge :color="props.row.negative ? 'negative' : (props.row.low ? 'warning' : 'grey-2')"
           :text-color="props.row.negative || props.row.low ? 'white' : 'grey-9'"
           class="text-base px-3 py-1 stocky-num" :label="props.value" />
</q-td>
"""
_EDIT_CELL = """
<q-td :props="props" auto-width>
  <q-btn flat round dense icon="tune" color="primary" data-testid="edit-thresholds"
         @click="() => $parent.$emit('edit', props.row)" />
</q-td>
"""


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    with ui.tabs().classes("w-full").props("align=left no-caps active-color=primary") as tabs:
        table_tab = ui.tab(t("stock.title"), icon="inventory_2")
        # Entries and counts are a manager's: a cashier does not see tabs it cannot use.
        manager = user.at_least("manager")
        if manager:
            entry_tab = ui.tab(t("stock.entry"), icon="move_to_inbox")
            count_tab = ui.tab(t("stock.count"), icon="fact_check")
    with ui.tab_panels(tabs, value=table_tab).classes("w-full bg-transparent"):
        with ui.tab_panel(table_tab).classes("p-0"):
            await inventory_table(runtime, user)
        if manager:
            with ui.tab_panel(entry_tab).classes("p-0"):
                entry_form(runtime, user)
            with ui.tab_panel(count_tab).classes("p-0"):
                count_form(runtime, user)


def _row(item: InventoryItem, locale: str) -> dict[str, Any]:
    return {
        "id": item.product_id,
        "sku": item.sku,
        "name": item.name,
        "barcode": item.barcode or "",
        "quantity": format_quantity(item.quantity, item.unit, locale),
        "min": format_quantity(item.min_stock, item.unit, locale),
        "max": "—"
        if item.max_stock is None
        else format_quantity(item.max_stock, item.unit, locale),
        "low": item.low,
        "negative": item.negative,
        "unit": item.unit,
    }


async def inventory_table(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    locale = runtime.sede.locale if runtime.sede else "es-CO"
    state: dict[str, Any] = {"offset": 0, "status": "all", "text": ""}
    with ui.row().classes("w-full items-center gap-3"):
        search = (
            ui.input(placeholder=t("stock.search"))
            .props('outlined dense clearable data-testid="stock-search"')
            .classes("w-[420px] bg-white")
        )
        with search.add_slot("prepend"):
            ui.icon("search")
        status = ui.toggle(
            {s: t(f"stock.filter.{s}") for s in ("all", "low", "negative")}, value="all"
        ).props("no-caps unelevated toggle-color=primary")
        ui.space()
        pager = ui.label().classes("stocky-muted")
        prev_btn = ui.button(icon="chevron_left", on_click=lambda: move(-1)).props("flat round")
        next_btn = ui.button(icon="chevron_right", on_click=lambda: move(1)).props("flat round")
    columns = [
        {"name": "name", "label": t("common.product"), "field": "name", "align": "left"},
        {"name": "sku", "label": t("stock.sku"), "field": "sku", "align": "left"},
        {"name": "barcode", "label": t("stock.barcode"), "field": "barcode", "align": "left"},
        {"name": "quantity", "label": t("stock.quantity"), "field": "quantity", "align": "right"},
        {"name": "min", "label": t("stock.min"), "field": "min", "align": "right"},
        {"name": "max", "label": t("stock.max"), "field": "max", "align": "right"},
    ]
    manager = user.at_least("manager")
    if manager:
        columns.append({"name": "edit", "label": "", "field": "id"})
    table = ui.table(columns=columns, rows=[], row_key="id").classes("w-full stocky-card")
    table.props('flat hide-pagination :rows-per-page-options="[0]" data-testid="stock-table"')
    table.add_slot("body-cell-quantity", _QTY_CELL)
    if manager:
        table.add_slot("body-cell-edit", _EDIT_CELL)

    async def load() -> None:
        text, flt, offset = state["text"], state["status"], state["offset"]
        page = await store.aread(
            lambda conn: repo.stock_page(
                conn, text=text, status=flt, limit=PAGE_SIZE, offset=offset
            )
        )
        table.rows = [_row(i, locale) for i in page.items]
        table.update()
        pages = max(1, -(-page.total // PAGE_SIZE))
        pager.text = t("common.page", page=offset // PAGE_SIZE + 1, pages=pages)
        prev_btn.set_enabled(offset > 0)
        next_btn.set_enabled(offset + PAGE_SIZE < page.total)

    async def move(step: int) -> None:
        state["offset"] = max(0, state["offset"] + step * PAGE_SIZE)
        await load()

    async def refilter() -> None:
        state.update(text=search.value or "", status=status.value, offset=0)
        await load()

    def edit(row: dict[str, Any]) -> None:
        with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[380px]"):
            ui.label(t("stock.thresholds")).classes("text-lg font-bold")
            ui.label(row["name"]).classes("stocky-muted")
            low = ui.input(t("stock.min"), value=row["min"]).props(
                'outlined inputmode=decimal data-testid="threshold-min"'
            )
            high = ui.input(t("stock.max"), value="" if row["max"] == "—" else row["max"]).props(
                "outlined inputmode=decimal"
            )

            async def save() -> None:
                try:
                    cmd = ThresholdsIn(
                        min_stock=parse_decimal(low.value, locale),
                        max_stock=parse_decimal(high.value, locale)
                        if (high.value or "").strip()
                        else None,
                    )
                except ValueError:
                    ui.notify(
                        t("error.invalid_number", field=t("stock.thresholds")), type="negative"
                    )
                    return
                try:
                    await store.awrite(
                        lambda conn: set_thresholds(
                            conn, row["id"], cmd, user_id=user.id, now=utc_now()
                        )
                    )
                except StockyError as exc:
                    ui.notify(str(exc), type="negative")
                    return
                dialog.close()
                ui.notify(t("stock.thresholds_saved"), type="positive")
                await load()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("common.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("common.save"), on_click=save).props(
                    'unelevated data-testid="threshold-save"'
                )
        dialog.open()

    table.on("edit", lambda e: edit(e.args))
    search.on("update:model-value", refilter, throttle=0.3, leading_events=False)
    status.on_value_change(refilter)
    await load()
