"""Stock: the matrix product x sede with totals, low and negative cells highlighted,
thresholds per sede, opening stock; the movements of one product are in stock_movements.

Two reads back the screen. Every sede at once is GET /api/inventory/consolidated (search
and paging only); one sede is GET /api/inventory?sede_id (search, status and paging, with
each row's minimum and maximum). A status filter therefore needs a sede, and a manager
always works on its own sede's list: the API lets every role read any sede, but the issue
keeps a manager's pages to its store, so the UI never shows another column.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import stock_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.pages.stock_dialogs import open_opening, open_thresholds
from stocky.cloud.admin.pages.stock_movements import ROUTES as MOVEMENT_ROUTES
from stocky.cloud.admin.pages.stock_paging import Pager, pager_row
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_datetime, format_quantity
from stocky.ui.i18n import t

ENTITIES = ("inventory", "transactions", "products")
PAGE_SIZE = 50
STATUSES = ("low", "negative", "over")
CELL = "px-2 py-1 text-right stocky-num whitespace-nowrap"
HEAD = "px-2 py-2 text-left text-slate-600 font-bold whitespace-nowrap bg-slate-50"


def may_set_thresholds(session: AdminSession, sede_id: str) -> bool:
    """The API's rule: admins at any sede, a manager only at its own."""
    return session.sees_every_sede or str(session.sede_id) == sede_id


def may_set_opening(session: AdminSession) -> bool:
    """The API's rule: only admins (and the owner) record opening stock."""
    return session.sees_every_sede


def tone(low: bool, negative: bool) -> str:
    return "stocky-negative" if negative else "stocky-low" if low else ""


class StockScreen:
    def __init__(self, session: AdminSession, api: AdminApi) -> None:
        self.session = session
        self.api = api
        self.sedes: list[dict[str, Any]] = []
        self.sede_id: str | None = None if session.sees_every_sede else str(session.sede_id)
        self.q = ""
        self.status: str | None = None
        self.pager = Pager()
        self.table = ui.column().classes("w-full gap-2")

    def sede_name(self, sede_id: str) -> str:
        for sede in self.sedes:
            if str(sede["id"]) == sede_id:
                return str(sede["name"])
        return sede_id[:8]

    async def load_sedes(self) -> None:
        sedes = await self.api.get("/api/sedes")
        self.sedes = [s for s in sedes if self.session.sees_every_sede or s["id"] == self.sede_id]

    async def draw(self) -> None:
        if self.sede_id is None:
            page = await self.api.get(
                "/api/inventory/consolidated",
                q=self.q,
                cursor=self.pager.cursor,
                limit=PAGE_SIZE,
            )
            self.sedes = [{"id": str(s["id"]), "name": s["name"]} for s in page["sedes"]]
        else:
            page = await self.api.get(
                "/api/inventory",
                sede_id=self.sede_id,
                q=self.q,
                status=self.status,
                cursor=self.pager.cursor,
                limit=PAGE_SIZE,
            )
        self.pager.next_cursor = page.get("next_cursor")
        self.table.clear()
        with self.table:
            with (
                ui.element("div")
                .classes("w-full overflow-x-auto stocky-card max-h-[70vh] overflow-y-auto")
                .props('data-testid="stock-scroll"')
            ):
                if self.sede_id is None:
                    self._matrix(page["items"])
                else:
                    self._sede_list(page["items"])
            if not page["items"]:
                ui.label(t("admin.common.empty")).classes("stocky-muted").props(
                    'data-testid="stock-empty"'
                )
            pager_row(self.pager, handled(self.draw))

    def _product_cell(self, item: dict[str, Any]) -> None:
        with ui.element("td").classes(
            "px-2 py-1 sticky left-0 bg-white z-[1] min-w-[140px] max-w-[220px]"
        ):
            ui.link(str(item["name"]), f"/inventario/{item['product_id']}").classes(
                "font-semibold text-primary no-underline block truncate"
            ).props(f'data-testid="product-link-{item["sku"]}"')
            ui.label(str(item["sku"])).classes("stocky-muted text-xs")

    def _head(self, labels: list[tuple[str, str]]) -> None:
        with ui.element("thead").classes("sticky top-0 z-[2]"), ui.element("tr"):
            for index, (label, extra) in enumerate(labels):
                sticky = " sticky left-0 z-[3]" if index == 0 else ""
                with ui.element("th").classes(f"{HEAD}{sticky} {extra}"):
                    ui.label(label)

    def _matrix(self, items: list[dict[str, Any]]) -> None:
        with (
            ui.element("table")
            .classes("w-full border-collapse text-sm")
            .props('data-testid="stock-matrix"')
        ):
            self._head(
                [(t("admin.stock.product"), "")]
                + [(str(s["name"]), "text-right") for s in self.sedes]
                + [(t("admin.stock.total"), "text-right")]
            )
            with ui.element("tbody"):
                for item in items:
                    by_sede = {str(c["sede_id"]): c for c in item["sedes"]}
                    with ui.element("tr").classes("border-t border-slate-100"):
                        self._product_cell(item)
                        for sede in self.sedes:
                            self._matrix_cell(item, str(sede["id"]), by_sede.get(str(sede["id"])))
                        total = Decimal(str(item["total"]))
                        with (
                            ui.element("td")
                            .classes(f"{CELL} font-bold {tone(False, total < 0)}")
                            .props(f'data-testid="total-{item["sku"]}"')
                        ):
                            ui.label(self._qty(total, item["unit"]))

    def _matrix_cell(self, item: dict[str, Any], sede_id: str, cell: dict[str, Any] | None) -> None:
        quantity = Decimal(str(cell["quantity"])) if cell else Decimal(0)
        low = bool(cell and cell["low"])
        negative = bool(cell and cell["negative"])
        state = "negative" if negative else "low" if low else "ok"
        td = ui.element("td").classes(f"{CELL} {tone(low, negative)}")
        td.props(f'data-testid="cell-{item["sku"]}-{sede_id}" data-state="{state}"')
        with td:
            label = ui.label(self._qty(quantity, item["unit"]))
            if cell is None:
                label.classes("stocky-muted")
        if may_set_thresholds(self.session, sede_id):
            td.classes("cursor-pointer hover:bg-slate-100")
            td.on("click", handled(lambda *_: self._thresholds(item, sede_id)))

    def _sede_list(self, items: list[dict[str, Any]]) -> None:
        allowed = self.sede_id is not None and may_set_thresholds(self.session, self.sede_id)
        with (
            ui.element("table")
            .classes("w-full border-collapse text-sm")
            .props('data-testid="stock-list"')
        ):
            self._head(
                [
                    (t("admin.stock.product"), ""),
                    (t("admin.stock.quantity"), "text-right"),
                    (t("admin.stock.min"), "text-right"),
                    (t("admin.stock.max"), "text-right"),
                    (t("admin.stock.last_movement"), "gt-sm"),
                    ("", ""),
                ]
            )
            with ui.element("tbody"):
                for item in items:
                    self._sede_row(item, allowed)

    def _sede_row(self, item: dict[str, Any], allowed: bool) -> None:
        assert self.sede_id is not None
        unit = str(item["unit"])
        state = "negative" if item["negative"] else "low" if item["low"] else "ok"
        if state == "ok" and item.get("over_max"):
            state = "over"
        timezone = str(self.session.tenant.get("timezone") or "UTC")
        with ui.element("tr").classes("border-t border-slate-100"):
            self._product_cell(item)
            over = " text-orange-700" if state == "over" else ""
            td = ui.element("td").classes(
                f"{CELL} font-bold {tone(item['low'], item['negative'])}{over}"
            )
            td.props(f'data-testid="cell-{item["sku"]}-{self.sede_id}" data-state="{state}"')
            with td:
                ui.label(self._qty(Decimal(str(item["quantity"])), unit))
            if allowed:
                td.classes("cursor-pointer hover:bg-slate-100")
                td.on("click", handled(lambda *_: self._thresholds(item, str(self.sede_id))))
            with ui.element("td").classes(CELL).props(f'data-testid="min-{item["sku"]}"'):
                ui.label(self._qty(Decimal(str(item["min_stock"])), unit))
            with ui.element("td").classes(CELL).props(f'data-testid="max-{item["sku"]}"'):
                maximum = item.get("max_stock")
                ui.label("—" if maximum is None else self._qty(Decimal(str(maximum)), unit))
            with ui.element("td").classes("px-2 py-1 whitespace-nowrap stocky-muted gt-sm"):
                ui.label(format_datetime(item.get("last_movement_at"), timezone))
            with ui.element("td").classes("px-1 py-1 whitespace-nowrap"):
                if allowed:
                    ui.button(
                        icon="tune",
                        on_click=handled(lambda *_: self._thresholds(item, str(self.sede_id))),
                    ).props(f'flat round dense data-testid="thresholds-{item["sku"]}"').tooltip(
                        t("admin.stock.set_thresholds")
                    )

    def _qty(self, value: Decimal, unit: str) -> str:
        return format_quantity(value, unit, self.session.locale)

    async def _thresholds(self, item: dict[str, Any], sede_id: str) -> None:
        current = await self._stock_row(item, sede_id)
        await open_thresholds(
            self.api,
            self.session,
            item,
            sede_id,
            self.sede_name(sede_id),
            current,
            on_saved=handled(self.draw),
        )

    async def _stock_row(self, item: dict[str, Any], sede_id: str) -> dict[str, Any] | None:
        """The product's row at that sede (its current minimum and maximum)."""
        if self.sede_id == sede_id and "min_stock" in item:
            return item
        page = await self.api.get("/api/inventory", sede_id=sede_id, q=item["sku"], limit=100)
        for row in page["items"]:
            if str(row["product_id"]) == str(item["product_id"]):
                return dict(row)
        return None

    async def restart(self) -> None:
        self.pager.reset()
        await self.draw()


async def body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.stock.title"))
    toolbar = ui.row().classes("w-full items-end gap-3 flex-wrap")
    legend = ui.row().classes("w-full items-center gap-3 flex-wrap text-xs")
    screen = StockScreen(session, api)
    await screen.load_sedes()
    with toolbar:
        search = (
            ui.input(t("admin.stock.search"))
            .props('dense outlined clearable data-testid="stock-search"')
            .classes("grow min-w-[220px] max-w-[420px]")
        )

        async def searched(*_: object) -> None:
            screen.q = str(search.value or "").strip()
            await screen.restart()

        search.on("keydown.enter", handled(searched))
        search.on("clear", handled(searched))
        status_select = ui.select(
            {"": t("admin.stock.status_all")} | {s: t(f"admin.stock.status_{s}") for s in STATUSES},
            value="",
            label=t("admin.stock.status"),
        ).props('dense outlined data-testid="stock-status"')
        status_select.classes("min-w-[150px] grow sm:grow-0 basis-[150px]")

        async def status_changed(*_: object) -> None:
            screen.status = str(status_select.value or "") or None
            await screen.restart()

        status_select.on_value_change(handled(status_changed))
        if session.sees_every_sede:
            options = {"": t("admin.stock.all_sedes")} | {
                str(s["id"]): str(s["name"]) for s in screen.sedes
            }
            sede_select = ui.select(options, value="", label=t("admin.stock.sede_filter"))
            sede_select.props('dense outlined data-testid="stock-sede"')
            sede_select.classes("min-w-[150px] grow sm:grow-0 basis-[180px]")

            async def sede_changed(*_: object) -> None:
                screen.sede_id = str(sede_select.value or "") or None
                status_select.set_enabled(screen.sede_id is not None)
                if screen.sede_id is None:
                    status_select.value = ""  # its change handler redraws
                    screen.status = None
                await screen.restart()

            sede_select.on_value_change(handled(sede_changed))
            status_select.set_enabled(False)
            status_select.tooltip(t("admin.stock.status_needs_sede"))
        else:
            ui.badge(screen.sede_name(str(session.sede_id)), color="primary").props(
                'outline data-testid="stock-own-sede"'
            ).classes("text-sm py-2")
        ui.space()
        if may_set_opening(session):
            ui.button(
                t("admin.stock.opening"),
                icon="playlist_add",
                on_click=handled(
                    lambda *_: open_opening(api, session, screen.sedes, screen.sede_id)
                ),
            ).props('unelevated no-caps data-testid="opening-open"')
    with legend:
        ui.badge(t("admin.common.updated_live"), color="positive").props(
            'outline data-testid="live-badge"'
        )
        ui.label(t("admin.stock.legend_low")).classes("stocky-low px-2 py-1 rounded")
        ui.label(t("admin.stock.legend_negative")).classes("stocky-negative px-2 py-1 rounded")
        ui.label(t("admin.stock.cell_hint")).classes("stocky-muted")
    await screen.draw()
    live_refresh(
        session,
        handled(screen.draw),
        entities=ENTITIES,
        sede_id=None if session.sees_every_sede else str(session.sede_id),
    )


ROUTES = {"/inventario": framed("/inventario", body), **MOVEMENT_ROUTES}
