"""Sales: the list (GET /api/sales: filters, cursor pages, newest first by the caja's time,
live) and one sale (GET /api/sales/{id}: lines, payments, returns and their refunds).

The list merges each notice's first page into what is shown instead of starting over, so a
person who loaded three pages keeps them while new sales appear on top.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import sales_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.pages.audit import (
    DateRange,
    filter_panel,
    text_input,
    when,
)
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_money, format_quantity
from stocky.ui.i18n import t

# A sale lands in `sales`; a return against one moves `transactions` (its returned amount).
ENTITIES = ("sales", "transactions")
PAGE = 50
ROW_TEMPLATE = r"""
<q-tr :props="props" class="cursor-pointer" :data-testid="'sale-row-' + props.row.receipt"
      @click="$parent.$emit('open', props.row)">
  <q-td v-for="col in props.cols" :key="col.name" :props="props">
    <span :class="col.name === 'receipt' ? 'font-semibold text-primary' : ''">{{ col.value }}</span>
    <q-badge v-if="col.name === 'receipt' && props.row.voided" color="grey-7" class="q-ml-xs"
             :label="props.row.voided" />
  </q-td>
</q-tr>
"""


def money(session: AdminSession, value: Any) -> str:
    return format_money(Decimal(str(value or 0)), session.currency, session.locale)


def qty(session: AdminSession, value: Decimal) -> str:
    # A line does not say its unit: whole numbers plain, weights with their decimals.
    return format_quantity(value, "weight", session.locale)


def method_name(method: str) -> str:
    key = f"pay.{method}"
    text = t(key)
    return method if text == key else text


def payments_text(session: AdminSession, payments: list[dict[str, Any]]) -> str:
    return ", ".join(f"{method_name(p['method'])} {money(session, p['amount'])}" for p in payments)


def _column(name: str, key: str, *, right: bool = False, wide_only: bool = False) -> dict[str, Any]:
    hide = "gt-sm" if wide_only else ""
    return {
        "name": name,
        "label": t(key),
        "field": name,
        "align": "right" if right else "left",
        "classes": hide,
        "headerClasses": hide,
    }


def _columns(session: AdminSession) -> list[dict[str, Any]]:
    columns = [
        _column("receipt", "admin.sales.col.receipt"),
        _column("when", "admin.sales.col.when"),
        _column("sede", "admin.sales.col.sede", wide_only=True),
        _column("caja", "admin.sales.col.caja", wide_only=True),
        _column("cashier", "admin.sales.col.cashier", wide_only=True),
        _column("total", "admin.sales.col.total", right=True),
        _column("payments", "admin.sales.col.payments", wide_only=True),
        _column("returned", "admin.sales.col.returned", right=True, wide_only=True),
        _column("received", "admin.sales.col.received", wide_only=True),
    ]
    if not session.sees_every_sede:
        columns = [c for c in columns if c["name"] != "sede"]
    return columns


def _row(session: AdminSession, sale: dict[str, Any]) -> dict[str, Any]:
    returned = Decimal(str(sale.get("returned") or 0))
    return {
        "id": str(sale["id"]),
        "receipt": str(sale["receipt"]),
        "voided": t("admin.sales.voided") if sale.get("status") == "voided" else "",
        "when": when(session, sale["client_ts"]),
        "sede": str(sale.get("sede_name") or "—"),
        "caja": str((sale.get("caja") or {}).get("name") or "—"),
        "cashier": str((sale.get("cashier") or {}).get("name") or "—"),
        "total": money(session, sale["total"]),
        "payments": payments_text(session, list(sale.get("payments") or [])),
        "returned": money(session, returned) if returned else "—",
        "received": when(session, sale["received_at"]),
    }


def _sort_key(sale: dict[str, Any]) -> tuple[datetime, str]:
    stamp = datetime.fromisoformat(str(sale["client_ts"]).replace("Z", "+00:00"))
    return stamp, str(sale["id"])


@dataclass
class Listing:
    """What the list shows: the sales loaded so far (by id) and the next page's cursor."""

    params: dict[str, Any] = field(default_factory=dict)
    sales: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None

    def reset(self, params: dict[str, Any]) -> None:
        self.params = params
        self.sales = {}
        self.cursor = None

    def take(self, items: list[dict[str, Any]]) -> None:
        for sale in items:
            self.sales[str(sale["id"])] = sale

    def ordered(self) -> list[dict[str, Any]]:
        return sorted(self.sales.values(), key=_sort_key, reverse=True)


def _options(items: list[dict[str, Any]], label_key: str = "name") -> dict[str, str]:
    return {str(i["id"]): str(i.get(label_key) or i["id"]) for i in items}


def _picked(options: dict[str, str], value: str | None) -> dict[str, str]:
    """The options, plus a value from the URL that is not among them (the API judges it:
    another sede's caja finds nothing, an unknown sede is named as not found)."""
    return {**options, value: value} if value and value not in options else options


class Filters:
    """The filter inputs; `params()` turns them into the API's query (None: a field is wrong)."""

    def __init__(
        self,
        session: AdminSession,
        query: Any,
        sedes: list[dict[str, Any]],
        devices: list[dict[str, Any]],
        users: list[dict[str, Any]],
    ) -> None:
        self.session = session
        self.devices = devices
        self.errors = FormErrors()
        self.sede: ui.select | None = None
        if session.sees_every_sede:
            self.sede = (
                ui.select(
                    _picked(_options(sedes), query.get("sede_id")),
                    label=t("admin.sales.sede"),
                    value=query.get("sede_id") or None,
                    clearable=True,
                    on_change=lambda _: self._narrow_cajas(),
                )
                .props('dense outlined data-testid="filter-sede"')
                .classes("w-full sm:w-48")
            )
        self.caja = (
            ui.select(
                _picked(_options(devices), query.get("device_id")),
                label=t("admin.sales.caja"),
                value=query.get("device_id") or None,
                clearable=True,
            )
            .props('dense outlined data-testid="filter-caja"')
            .classes("w-full sm:w-44")
        )
        self.cashier = (
            ui.select(
                _picked(_options(users), query.get("user_id")),
                label=t("admin.sales.cashier"),
                value=query.get("user_id") or None,
                clearable=True,
            )
            .props('dense outlined data-testid="filter-cashier"')
            .classes("w-full sm:w-48")
        )
        self.shift = text_input(t("admin.sales.shift"), "filter-shift")
        self.shift.value = str(query.get("shift_id") or "")
        self.dates = DateRange()
        self.receipt = text_input(t("admin.sales.receipt"), "filter-receipt")
        self.receipt.props('placeholder="C01-42"')
        self.min_total = text_input(t("admin.sales.min_total"), "filter-min-total")
        self.max_total = text_input(t("admin.sales.max_total"), "filter-max-total")
        self._narrow_cajas(keep=True)

    def _narrow_cajas(self, keep: bool = False) -> None:
        sede = self.sede.value if self.sede is not None else None
        shown = [d for d in self.devices if not sede or str(d["sede_id"]) == sede]
        if keep:
            self.caja.set_options(_picked(_options(shown), self.caja.value))
            return
        if self.caja.value not in {str(d["id"]) for d in shown}:
            self.caja.value = None
        self.caja.set_options(_options(shown))

    def inputs(self) -> list[Any]:
        fields = [self.caja, self.cashier, self.shift, self.dates.since, self.dates.until]
        fields.append(self.receipt)
        return [*fields, self.min_total, self.max_total]

    def clear(self) -> None:
        for element in [self.sede, *self.inputs()]:
            if element is not None:
                element.value = None if isinstance(element, ui.select) else ""

    def params(self) -> dict[str, Any] | None:
        errors = self.errors
        errors.clear(*self.inputs())
        locale = self.session.locale
        low = errors.decimal(self.min_total, t("admin.sales.min_total"), locale, required=False)
        high = errors.decimal(self.max_total, t("admin.sales.max_total"), locale, required=False)
        shift = str(self.shift.value or "").strip()
        if shift:
            try:
                uuid.UUID(shift)
            except ValueError:
                errors.add(self.shift, t("admin.sales.bad_shift", field=t("admin.sales.shift")))
        dates = self.dates.params(self.session, errors)
        if not errors.ok:
            return None
        return {
            **dates,
            "sede_id": self.sede.value if self.sede is not None else None,
            "device_id": self.caja.value,
            "user_id": self.cashier.value,
            "shift_id": shift or None,
            "receipt": str(self.receipt.value or "").strip() or None,
            "min_total": None if low is None else str(low),
            "max_total": None if high is None else str(high),
        }

    def show_api_error(self, error: ApiError) -> bool:
        return self.errors.show_api_error(
            error,
            {
                "sede_id": (self.sede, t("admin.sales.sede")) if self.sede else (self.caja, ""),
                "device_id": (self.caja, t("admin.sales.caja")),
                "user_id": (self.cashier, t("admin.sales.cashier")),
                "shift_id": (self.shift, t("admin.sales.shift")),
                **self.dates.api_fields(),
                "receipt": (self.receipt, t("admin.sales.receipt")),
                "min_total": (self.min_total, t("admin.sales.min_total")),
                "max_total": (self.max_total, t("admin.sales.max_total")),
            },
        )


class SalesList:
    """The list's table, count, empty note and "load more", over one Listing."""

    def __init__(self, session: AdminSession, api: AdminApi, filters: Filters) -> None:
        self.session = session
        self.api = api
        self.filters = filters
        self.listing = Listing()
        self.shown = ui.label().classes("stocky-muted text-sm").props('data-testid="sales-count"')
        with ui.element("div").classes("w-full overflow-x-auto"):
            self.table = ui.table(columns=_columns(session), rows=[], row_key="id", pagination=0)
        self.table.classes("w-full").props(
            'flat bordered dense hide-bottom data-testid="sales-table"'
        )
        self.table.add_slot("body", ROW_TEMPLATE)
        self.table.on("open", lambda e: ui.navigate.to(f"/ventas/{e.args['id']}"))
        self.empty = ui.label(t("admin.sales.empty")).classes("stocky-muted")
        self.empty.props('data-testid="sales-empty"')
        self.more = ui.button(t("admin.sales.load_more"), icon="expand_more").props(
            'outline no-caps data-testid="load-more"'
        )
        self.more.on_click(handled(self.load_more))

    def redraw(self) -> None:
        rows = [_row(self.session, s) for s in self.listing.ordered()]
        self.table.rows = rows
        self.table.update()
        self.shown.set_text(t("admin.sales.shown", n=len(rows)))
        self.empty.set_visibility(not rows)
        self.more.set_visibility(self.listing.cursor is not None)

    async def fetch(self, params: dict[str, Any], cursor: str | None = None) -> dict[str, Any]:
        page: dict[str, Any] = await self.api.get("/api/sales", **params, cursor=cursor, limit=PAGE)
        return page

    async def search(self) -> None:
        params = self.filters.params()
        if params is None:
            return
        try:
            page = await self.fetch(params)
        except ApiError as error:
            if error.status in (404, 422) and self.filters.show_api_error(error):
                self.listing.reset(params)
                self.redraw()
                return
            raise
        self.listing.reset(params)
        self.listing.take(page["items"])
        self.listing.cursor = page["next_cursor"]
        self.redraw()

    async def load_more(self) -> None:
        if self.listing.cursor is None:
            return
        page = await self.fetch(self.listing.params, self.listing.cursor)
        self.listing.take(page["items"])
        self.listing.cursor = page["next_cursor"]
        self.redraw()

    async def refresh_top(self) -> None:
        """On a notice: the newest page again, merged (new sales on top, changed ones
        updated), so the pages a person already loaded stay."""
        page = await self.fetch(self.listing.params)
        before = len(self.listing.sales)
        self.listing.take(page["items"])
        if before == 0:
            self.listing.cursor = page["next_cursor"]
        self.redraw()

    async def reset_filters(self) -> None:
        self.filters.clear()
        await self.search()


async def list_body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    page_title(t("admin.sales.title"))
    options = await api.gather(
        api.get("/api/sedes"), api.get("/api/devices"), api.get("/api/users")
    )
    panel = filter_panel()
    with panel.inputs:
        filters = Filters(session, args.query_parameters, *options)
    sales = SalesList(session, api, filters)
    panel.apply.on_click(handled(sales.search))
    panel.clear.on_click(handled(sales.reset_filters))
    await sales.search()
    live_refresh(
        session,
        handled(sales.refresh_top),
        entities=ENTITIES,
        sede_id=None if session.sees_every_sede else str(session.sede_id),
    )


def _pair(label: str, value: str, testid: str | None = None) -> None:
    with ui.row().classes("w-full justify-between no-wrap gap-3 text-sm"):
        ui.label(label).classes("stocky-muted shrink-0")
        value_label = ui.label(value).classes("stocky-num text-right break-all")
        if testid:
            value_label.props(f'data-testid="{testid}"')


def _lines_table(session: AdminSession, lines: list[dict[str, Any]]) -> None:
    columns = [
        _column("sku", "admin.sales.line.sku", wide_only=True),
        _column("product", "admin.sales.line.product"),
        _column("quantity", "admin.sales.line.quantity", right=True),
        _column("unit_price", "admin.sales.line.unit_price", right=True, wide_only=True),
        _column("discount", "admin.sales.line.discount", right=True, wide_only=True),
        _column("amount", "admin.sales.line.total", right=True),
        _column("returned", "admin.sales.line.returned", right=True, wide_only=True),
    ]
    rows = []
    for line in lines:
        quantity = Decimal(str(line["quantity"]))
        price = Decimal(str(line["unit_price"]))
        discount = Decimal(str(line.get("discount") or 0))
        returned = Decimal(str(line.get("returned") or 0))
        rows.append(
            {
                "id": str(line["id"]),
                "sku": str(line.get("sku") or ""),
                "product": str(line.get("product_name") or ""),
                "quantity": qty(session, quantity),
                "unit_price": money(session, price),
                "discount": money(session, discount) if discount else "—",
                "amount": money(session, quantity * price - discount),
                "returned": qty(session, returned) if returned else "—",
            }
        )
    with ui.element("div").classes("w-full overflow-x-auto"):
        ui.table(columns=columns, rows=rows, row_key="id", pagination=0).classes("w-full").props(
            'flat bordered dense hide-bottom data-testid="sale-lines"'
        )


def _returns(session: AdminSession, returns: list[dict[str, Any]]) -> None:
    ui.label(t("admin.sales.returns")).classes("text-lg font-bold")
    if not returns:
        ui.label(t("admin.sales.no_returns")).classes("stocky-muted").props(
            'data-testid="no-returns"'
        )
        return
    for doc in returns:
        with (
            ui.card()
            .classes("stocky-card w-full p-3 gap-1")
            .props(f'data-testid="return-{doc["document_id"]}"')
        ):
            ui.label(t("admin.sales.return_at", when=when(session, doc["client_ts"]))).classes(
                "font-semibold"
            )
            _pair(t("admin.sales.received_at"), when(session, doc["received_at"]))
            _pair(t("admin.sales.refunds"), payments_text(session, list(doc.get("refunds") or [])))
            for line in doc.get("lines") or []:
                quantity = Decimal(str(line["quantity"]))
                _pair(
                    f"{line.get('product_name')} ({line.get('sku')})",
                    f"{qty(session, quantity)} × {money(session, line['unit_price'])}",
                )


def _header(session: AdminSession, sale: dict[str, Any]) -> None:
    status = "admin.sales.voided" if sale.get("status") == "voided" else "admin.sales.completed"
    with ui.card().classes("stocky-card p-4 gap-1 grow min-w-[280px] basis-[360px]"):
        _pair(t("admin.sales.status"), t(status), "sale-status")
        if session.sees_every_sede:
            _pair(t("admin.sales.sede"), str(sale.get("sede_name") or "—"), "sale-sede")
        _pair(t("admin.sales.caja"), str(sale["caja"].get("name") or "—"), "sale-caja")
        _pair(t("admin.sales.cashier"), str(sale["cashier"].get("name") or "—"), "sale-cashier")
        _pair(t("admin.sales.client_ts"), when(session, sale["client_ts"]), "sale-client-ts")
        _pair(t("admin.sales.received_at"), when(session, sale["received_at"]), "sale-received")
        if sale.get("customer_name") or sale.get("customer_tax_id"):
            _pair(t("admin.sales.customer"), str(sale.get("customer_name") or "—"), "customer")
            _pair(t("admin.sales.customer_tax_id"), str(sale.get("customer_tax_id") or "—"))
    with ui.card().classes("stocky-card p-4 gap-1 grow min-w-[280px] basis-[300px]"):
        for key in ("subtotal", "discount", "tax", "total", "paid", "change", "returned"):
            _pair(t(f"admin.sales.{key}"), money(session, sale.get(key)), f"sale-{key}")
        ui.separator()
        ui.label(t("admin.sales.payments")).classes("font-semibold")
        for payment in sale.get("payments") or []:
            _pair(
                method_name(str(payment["method"])),
                money(session, payment["amount"]),
                f"payment-{payment['method']}",
            )


async def detail_body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    sale_id = args.path_parameters.get("sale_id", "")
    ui.button(
        t("admin.sales.back"), icon="arrow_back", on_click=lambda: ui.navigate.to("/ventas")
    ).props('flat no-caps dense data-testid="back-to-sales"')
    try:
        uuid.UUID(sale_id)
        sale: dict[str, Any] = await api.get(f"/api/sales/{sale_id}")
    except (ValueError, ApiError) as error:
        if isinstance(error, ApiError) and error.status not in (403, 404, 422):
            raise
        page_title(t("admin.sales.title"))
        ui.label(t("admin.sales.not_found")).classes("text-negative").props(
            'data-testid="sale-not-found"'
        )
        return
    page_title(t("admin.sales.detail", receipt=sale["receipt"]))
    with ui.row().classes("w-full gap-4 items-stretch"):
        _header(session, sale)
    ui.label(t("admin.sales.lines")).classes("text-lg font-bold")
    _lines_table(session, list(sale.get("lines") or []))
    _returns(session, list(sale.get("returns") or []))
    with ui.row().classes("gap-2 flex-wrap"):
        if sale.get("shift_id"):
            ui.button(
                t("admin.sales.same_shift"),
                icon="schedule",
                on_click=lambda: ui.navigate.to(f"/ventas?shift_id={sale['shift_id']}"),
            ).props('outline no-caps data-testid="same-shift"')
        ui.button(
            t("admin.sales.same_caja"),
            icon="point_of_sale",
            on_click=lambda: ui.navigate.to(f"/ventas?device_id={sale['caja']['device_id']}"),
        ).props('outline no-caps data-testid="same-caja"')


ROUTES = {
    "/ventas": framed("/ventas", list_body, with_args=True),
    "/ventas/{sale_id}": framed("/ventas", detail_body, with_args=True),
}
