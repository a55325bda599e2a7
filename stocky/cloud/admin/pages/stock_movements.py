"""The movements of one product (/inventario/{product_id}): type, quantity, sede, caja and
user, the caja's time and the cloud's time (both in the tenant's zone), the note; newest
first with the API's keyset paging; a sede and a type filter. A manager sees its sede's.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import stock_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.pages.stock_paging import Pager, pager_row
from stocky.cloud.admin.session import AdminSession
from stocky.cloud.models.movements import MOVEMENT_TYPES
from stocky.ui.formats import format_datetime, format_quantity
from stocky.ui.i18n import t

PAGE_SIZE = 50
HEAD = "px-2 py-2 text-left text-slate-600 font-bold whitespace-nowrap bg-slate-50"
CELL = "px-2 py-1 whitespace-nowrap"


async def _names(api: AdminApi, path: str, key: str) -> dict[str, str]:
    """Id -> name of the cajas or users this role may list (ids shown otherwise)."""
    try:
        rows = await api.get(path)
    except ApiError:
        return {}
    return {str(r["id"]): str(r.get(key) or r.get("email") or r["id"]) for r in rows or []}


def _not_found() -> None:
    page_title(t("admin.stock.movements"))
    ui.label(t("admin.error.not_found")).classes("text-negative").props('data-testid="not-found"')
    ui.link(t("admin.stock.mv_back"), "/inventario").props('data-testid="back-to-stock"')


async def body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    raw_id = str(args.path_parameters.get("product_id") or "")
    try:
        product_id = str(uuid.UUID(raw_id))
    except ValueError:
        _not_found()
        return
    try:
        product = await api.get(f"/api/products/{product_id}")
    except ApiError as error:
        if error.status in (404, 422):
            _not_found()
            return
        raise
    timezone = str(session.tenant.get("timezone") or "UTC")
    page_title(t("admin.stock.mv_title", product=product["name"]))
    sedes_rows, devices, users = await api.gather(
        api.get("/api/sedes"),
        _names(api, "/api/devices", "name"),
        _names(api, "/api/users", "name"),
    )
    own = None if session.sees_every_sede else str(session.sede_id)
    sedes = {str(s["id"]): str(s["name"]) for s in sedes_rows if own is None or s["id"] == own}
    state: dict[str, str | None] = {"sede_id": own, "type": None}
    pager = Pager()
    with ui.row().classes("w-full items-end gap-3 flex-wrap"):
        ui.label(f"{product['sku']}").classes("stocky-muted").props('data-testid="mv-sku"')
        ui.link(t("admin.stock.mv_back"), "/inventario").props('data-testid="back-to-stock"')
        ui.space()
        if own is None:
            sede_select = ui.select(
                {"": t("admin.stock.all_sedes")} | sedes,
                value="",
                label=t("admin.stock.sede_filter"),
            ).props('dense outlined data-testid="mv-sede-filter"')
            sede_select.classes("min-w-[180px]")
        else:
            ui.badge(sedes.get(own, own[:8]), color="primary").props(
                'outline data-testid="mv-own-sede"'
            ).classes("text-sm py-2")
        type_select = ui.select(
            {"": t("admin.stock.mv_all_types")}
            | {k: t(f"admin.stock.type.{k}") for k in MOVEMENT_TYPES},
            value="",
            label=t("admin.stock.mv_type"),
        ).props('dense outlined data-testid="mv-type-filter"')
        type_select.classes("min-w-[170px]")
    ui.label(t("admin.stock.mv_times_hint", timezone=timezone)).classes("stocky-muted text-xs")
    table = ui.column().classes("w-full gap-2")

    async def draw() -> None:
        page = await api.get(
            "/api/transactions",
            product_id=product_id,
            sede_id=state["sede_id"],
            type=state["type"],
            cursor=pager.cursor,
            limit=PAGE_SIZE,
        )
        pager.next_cursor = page.get("next_cursor")
        table.clear()
        with table:
            with (
                ui.element("div")
                .classes("w-full overflow-x-auto stocky-card")
                .props('data-testid="mv-scroll"')
            ):
                _movements_table(session, page["items"], product, sedes, devices, users, timezone)
            if not page["items"]:
                ui.label(t("admin.common.empty")).classes("stocky-muted").props(
                    'data-testid="mv-empty"'
                )
            pager_row(pager, handled(draw), prefix="mv")

    async def filtered(*_: object) -> None:
        if own is None:
            state["sede_id"] = str(sede_select.value or "") or None
        state["type"] = str(type_select.value or "") or None
        pager.reset()
        await draw()

    if own is None:
        sede_select.on_value_change(handled(filtered))
    type_select.on_value_change(handled(filtered))
    await draw()
    live_refresh(session, handled(draw), entities=("transactions", "products"), sede_id=own)


def _movements_table(
    session: AdminSession,
    items: list[dict[str, Any]],
    product: dict[str, Any],
    sedes: dict[str, str],
    devices: dict[str, str],
    users: dict[str, str],
    timezone: str,
) -> None:
    unit = str(product.get("unit") or "unit")
    heads = [
        ("admin.stock.mv_type", ""),
        ("admin.stock.mv_quantity", "text-right"),
        ("admin.common.sede", ""),
        ("admin.stock.mv_client_time", ""),
        ("admin.stock.mv_server_time", ""),
        ("admin.common.caja", ""),
        ("admin.common.user", ""),
        ("admin.stock.mv_note", ""),
    ]
    with (
        ui.element("table")
        .classes("w-full border-collapse text-sm")
        .props('data-testid="mv-table"')
    ):
        with ui.element("thead"), ui.element("tr"):
            for key, extra in heads:
                with ui.element("th").classes(f"{HEAD} {extra}"):
                    ui.label(t(key))
        with ui.element("tbody"):
            for row in items:
                quantity = Decimal(str(row["quantity"]))
                device = row.get("device_id")
                user = row.get("user_id")
                cells = [
                    (t(f"admin.stock.type.{row['type']}"), "mv-kind"),
                    (
                        ("+" if quantity > 0 else "")
                        + format_quantity(quantity, unit, session.locale),
                        "mv-qty",
                    ),
                    (sedes.get(str(row["sede_id"]), str(row["sede_id"])[:8]), "mv-sede"),
                    (format_datetime(row["client_timestamp"], timezone, seconds=True), "mv-client"),
                    (format_datetime(row["server_timestamp"], timezone, seconds=True), "mv-server"),
                    (
                        devices.get(str(device), str(device)[:8])
                        if device
                        else t("admin.stock.mv_cloud"),
                        "mv-caja",
                    ),
                    (users.get(str(user), str(user)[:8]) if user else "—", "mv-user"),
                    (str(row.get("note") or "—"), "mv-note"),
                ]
                with (
                    ui.element("tr")
                    .classes("border-t border-slate-100")
                    .props(f'data-testid="mv-row-{row["id"]}"')
                ):
                    for text, testid in cells:
                        classes = CELL
                        if testid == "mv-qty":
                            tone = "text-negative" if quantity < 0 else "text-positive"
                            classes += f" text-right stocky-num font-bold {tone}"
                        if testid == "mv-note":
                            classes = "px-2 py-1 min-w-[140px] max-w-[280px] break-words"
                        with ui.element("td").classes(classes).props(f'data-testid="{testid}"'):
                            ui.label(text)


ROUTES = {
    "/inventario/{product_id}": framed("/inventario", body, with_args=True),
}
