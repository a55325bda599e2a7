"""Sales history: the caja's tickets by day, searched by number, amount or product; open one
to see and reprint it, or start its return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from nicegui import app, ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.pos.history import TicketPage, TicketQuery, find_tickets
from stocky.edge.pos.service import day_bounds
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_datetime, format_money
from stocky.ui.i18n import t

PAGE = 50
# The ticket the returns screen should open with (set here, taken there).
RETURN_HANDOFF = "return_receipt"
PERIODS = ("today", "week", "all")


@dataclass
class _View:
    period: str = "today"
    offset: int = 0


def start_return(receipt: str) -> None:
    """Open the returns screen on this ticket (handed over in this browser's storage)."""
    app.storage.user[RETURN_HANDOFF] = receipt
    ui.navigate.to("/devoluciones")


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    sede = runtime.sede
    currency, locale, tz = (
        (sede.currency, sede.locale, sede.timezone) if sede else ("COP", "es-CO", "UTC")
    )
    state = _View()

    with ui.row().classes("stocky-card w-full p-4 items-center gap-3"):
        search = (
            ui.input(t("history.search"))
            .props('outlined dense clearable autofocus debounce=300 data-testid="history-search"')
            .classes("w-96")
        )
        period = ui.toggle({p: t(f"history.period.{p}") for p in PERIODS}, value="today").props(
            'no-caps data-testid="history-period"'
        )
        ui.space()
        count = ui.label().classes("stocky-muted").props('data-testid="history-count"')
    table = (
        ui.table(
            columns=[
                {"name": "number", "label": t("history.number"), "field": "number"},
                {"name": "when", "label": t("sync.when"), "field": "when", "align": "left"},
                {"name": "cashier", "label": t("history.cashier"), "field": "cashier"},
                {"name": "lines", "label": t("history.lines"), "field": "lines"},
                {"name": "methods", "label": t("history.methods"), "field": "methods"},
                {"name": "status", "label": t("history.status"), "field": "status"},
                {"name": "total", "label": t("pos.total"), "field": "total", "align": "right"},
                {"name": "actions", "label": "", "field": "id"},
            ],
            rows=[],
            row_key="id",
        )
        .classes("w-full stocky-card")
        .props('flat data-testid="history-table"')
    )
    table.add_slot(
        "body-cell-number",
        '<q-td :props="props"><a class="text-primary font-semibold cursor-pointer" '
        ":data-testid=\"'ticket-' + props.row.number\" "
        "@click=\"$parent.$emit('open', props.row)\">{{ props.row.receipt }}</a></q-td>",
    )
    table.add_slot(
        "body-cell-actions",
        '<q-td :props="props"><q-btn v-if="props.row.returnable" flat dense no-caps '
        'icon="assignment_return" color="primary" :label="props.row.return_label" '
        ":data-testid=\"'return-' + props.row.number\" "
        "@click=\"$parent.$emit('return', props.row)\" /></q-td>",
    )
    table.on("open", lambda e: ui.navigate.to(f"/recibo/{e.args['id']}"))
    table.on("return", lambda e: start_return(e.args["receipt"]))
    with ui.row().classes("w-full justify-center gap-2"):
        prev_btn = ui.button(t("history.previous"), on_click=lambda: move(-PAGE)).props(
            "flat no-caps"
        )
        next_btn = ui.button(t("history.next"), on_click=lambda: move(PAGE)).props("flat no-caps")

    def bounds() -> tuple[str | None, str | None]:
        today = datetime.now(ZoneInfo(tz)).date()
        if state.period == "all":
            return None, None
        first: date = today if state.period == "today" else today - timedelta(days=6)
        start = store.read(lambda conn: day_bounds(conn, first))[0]
        return start, store.read(lambda conn: day_bounds(conn, today))[1]

    async def refresh() -> None:
        start, end = bounds()
        query = TicketQuery(
            text=search.value or None,
            start=start,
            end=end,
            limit=PAGE + 1,
            offset=state.offset,
        )
        page: TicketPage = await store.aread(lambda conn: find_tickets(conn, query))
        items = page.items[:PAGE]
        table.rows = [
            {
                "id": r.id,
                "number": r.number,
                # C01-000012, or "#12" for a ticket printed before the caja had a prefix.
                "receipt": r.receipt if r.receipt_prefix else f"#{r.number}",
                "when": format_datetime(r.client_ts, tz),
                "cashier": r.cashier,
                "lines": r.lines,
                "methods": ", ".join(t(f"pay.{m}") for m in r.methods),
                "status": t(f"history.state.{r.status}"),
                "total": format_money(r.total, currency, locale),
                "returnable": r.status in ("completed", "partially_returned"),
                "return_label": t("history.return"),
            }
            for r in items
        ]
        table.update()
        count.text = t("history.count", count=len(items))
        prev_btn.visible = state.offset > 0
        next_btn.visible = len(page.items) > PAGE

    async def move(delta: int) -> None:
        state.offset = max(0, state.offset + delta)
        await refresh()

    async def changed() -> None:
        state.offset = 0
        state.period = period.value
        await refresh()

    search.on_value_change(changed)
    period.on_value_change(changed)
    await refresh()
