"""Transfers between sedes: the list (GET /api/transfers: status, sede and direction, cursor
pages, newest first, live) and one transfer (GET /api/transfers/{id}: lines, who asked and
who decided, the reason, the movements it wrote at both sedes), with the request, approve,
reject and cancel actions.

The buttons follow the API's rules so a person is not offered what would be refused:
approve and reject for an admin or a manager of the origin while pending, cancel for whoever
asked (or an admin) while pending, a new request for an admin or a manager (for its own
sede). The API still decides. Both screens redraw on a `transfers` change notice, so an
approved transfer turns completed (with its movements) without a reload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import transfers_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.pages.audit import when
from stocky.cloud.admin.pages.transfers_dialogs import open_reason, open_request
from stocky.cloud.admin.session import AdminSession
from stocky.cloud.admin.widgets import info_line
from stocky.ui.formats import format_quantity
from stocky.ui.i18n import t

ENTITIES = ("transfers",)
PAGE = 50
MAX_PAGE = 200
STATUSES = ("pending", "processing", "completed", "failed", "rejected", "cancelled")
COLOURS = {
    "pending": "orange-8",
    "processing": "blue-7",
    "completed": "positive",
    "failed": "negative",
    "rejected": "red-9",
    "cancelled": "grey-7",
}
ROW_TEMPLATE = r"""
<q-tr :props="props" class="cursor-pointer" :data-testid="'transfer-row-' + props.row.id"
      @click="$parent.$emit('open', props.row)">
  <q-td v-for="col in props.cols" :key="col.name" :props="props">
    <q-badge v-if="col.name === 'status'" :color="props.row.colour" :label="col.value"
             :data-testid="'transfer-status-' + props.row.id" class="text-sm py-1 px-2" />
    <template v-else-if="col.name === 'route'">
      <div class="font-semibold whitespace-normal">{{ col.value }}</div>
      <div class="lt-md stocky-muted text-xs">{{ props.row.when }}</div>
    </template>
    <span v-else>{{ col.value }}</span>
  </q-td>
</q-tr>
"""


def status_text(status: str) -> str:
    return t(f"admin.transfers.status.{status}")


def status_chip(status: str, testid: str) -> None:
    ui.badge(status_text(status), color=COLOURS.get(status, "grey-7")).props(
        f'data-testid="{testid}" data-status="{status}"'
    ).classes("text-sm py-1 px-2")


def may_request(session: AdminSession) -> bool:
    return session.sees_every_sede or (session.role == "manager" and session.sede_id is not None)


def may_decide(session: AdminSession, transfer: dict[str, Any]) -> bool:
    """The API's rule: an admin, or a manager of the origin, while pending."""
    if transfer["status"] != "pending":
        return False
    return session.sees_every_sede or str(session.sede_id) == str(transfer["from_sede_id"])


def may_cancel(session: AdminSession, transfer: dict[str, Any]) -> bool:
    """The API's rule: whoever asked, or an admin, while pending."""
    if transfer["status"] != "pending":
        return False
    asked = (transfer.get("requested_by") or {}).get("id")
    return session.sees_every_sede or str(asked) == str(session.user_id)


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


def _columns() -> list[dict[str, Any]]:
    return [
        # On a phone the time goes under the route (the template) and the extras hide.
        _column("when", "admin.transfers.col.when", wide_only=True),
        _column("route", "admin.transfers.col.route"),
        _column("status", "admin.transfers.col.status"),
        _column("lines", "admin.transfers.col.lines", wide_only=True),
        _column("requested_by", "admin.transfers.col.requested_by", wide_only=True),
        _column("decided_by", "admin.transfers.col.decided_by", wide_only=True),
    ]


def _lines_summary(lines: list[dict[str, Any]]) -> str:
    if len(lines) == 1:
        return t("admin.transfers.lines_summary_one")
    return t("admin.transfers.lines_summary", n=len(lines))


def _row(session: AdminSession, transfer: dict[str, Any]) -> dict[str, Any]:
    status = str(transfer["status"])
    return {
        "id": str(transfer["id"]),
        "when": when(session, transfer["requested_at"]),
        "route": f"{transfer['from_sede_name']} → {transfer['to_sede_name']}",
        "status": status_text(status),
        "colour": COLOURS.get(status, "grey-7"),
        "lines": _lines_summary(list(transfer.get("lines") or [])),
        "requested_by": str((transfer.get("requested_by") or {}).get("name") or "—"),
        "decided_by": str((transfer.get("decided_by") or {}).get("name") or "—"),
    }


@dataclass
class Listing:
    params: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None


class TransfersList:
    """The filters, the table, the count, the empty note and "load more"."""

    def __init__(self, session: AdminSession, api: AdminApi, sedes: list[dict[str, Any]]) -> None:
        self.session = session
        self.api = api
        self.listing = Listing()
        with ui.row().classes("w-full items-end gap-3 flex-wrap"):
            self.status = ui.select(
                {"": t("admin.transfers.status_all")} | {s: status_text(s) for s in STATUSES},
                value="",
                label=t("admin.transfers.status"),
                on_change=handled(self.search),
            ).props('dense outlined data-testid="filter-status"')
            self.status.classes("w-full sm:w-44")
            self.sede: ui.select | None = None
            if session.sees_every_sede:
                self.sede = ui.select(
                    {"": t("admin.transfers.all_sedes")}
                    | {str(s["id"]): str(s["name"]) for s in sedes},
                    value="",
                    label=t("admin.transfers.sede"),
                    on_change=handled(self.sede_changed),
                ).props('dense outlined data-testid="filter-sede"')
                self.sede.classes("w-full sm:w-48")
            else:
                own = next((s for s in sedes if str(s["id"]) == str(session.sede_id)), None)
                ui.badge(str(own["name"]) if own else "—", color="primary").props(
                    'outline data-testid="transfers-own-sede"'
                ).classes("text-sm py-2")
            self.direction = ui.select(
                {"": t("admin.transfers.direction_all")}
                | {d: t(f"admin.transfers.direction.{d}") for d in ("incoming", "outgoing")},
                value="",
                label=t("admin.transfers.direction"),
                on_change=handled(self.search),
            ).props('dense outlined data-testid="filter-direction"')
            self.direction.classes("w-full sm:w-56")
            if self.sede is not None:
                self.direction.disable()
                self.direction.tooltip(t("admin.transfers.direction_needs_sede"))
            ui.space()
            if may_request(session):
                ui.button(
                    t("admin.transfers.new"),
                    icon="add",
                    on_click=handled(lambda *_: open_request(api, session, sedes, self.requested)),
                ).props('unelevated no-caps data-testid="transfer-new"')
        ui.badge(t("admin.common.updated_live"), color="positive").props(
            'outline data-testid="live-badge"'
        )
        self.shown = (
            ui.label().classes("stocky-muted text-sm").props('data-testid="transfers-count"')
        )
        with ui.element("div").classes("w-full overflow-x-auto"):
            self.table = ui.table(columns=_columns(), rows=[], row_key="id", pagination=0)
        self.table.classes("w-full").props(
            'flat bordered dense hide-bottom data-testid="transfers-table"'
        )
        self.table.add_slot("body", ROW_TEMPLATE)
        self.table.on("open", lambda e: ui.navigate.to(f"/traslados/{e.args['id']}"))
        self.empty = ui.label(t("admin.transfers.empty")).classes("stocky-muted")
        self.empty.props('data-testid="transfers-empty"')
        self.more = ui.button(t("admin.transfers.load_more"), icon="expand_more").props(
            'outline no-caps data-testid="load-more"'
        )
        self.more.on_click(handled(self.load_more))

    async def requested(self, transfer: dict[str, Any]) -> None:
        ui.navigate.to(f"/traslados/{transfer['id']}")

    async def sede_changed(self, *_: object) -> None:
        assert self.sede is not None
        if self.sede.value:
            self.direction.enable()
        else:
            self.direction.disable()
            self.direction.value = ""  # its own change handler searches too
        await self.search()

    def params(self) -> dict[str, Any]:
        sede = self.sede.value if self.sede is not None else None
        return {
            "status": self.status.value or None,
            "sede_id": sede or None,
            "direction": self.direction.value or None,
        }

    def redraw(self) -> None:
        rows = [_row(self.session, item) for item in self.listing.items]
        self.table.rows = rows
        self.table.update()
        self.shown.set_text(t("admin.transfers.shown", n=len(rows)))
        self.empty.set_visibility(not rows)
        self.more.set_visibility(self.listing.cursor is not None)

    async def fetch(self, params: dict[str, Any], cursor: str | None, limit: int) -> Any:
        return await self.api.get("/api/transfers", **params, cursor=cursor, limit=limit)

    async def search(self, *_: object) -> None:
        params = self.params()
        page = await self.fetch(params, None, PAGE)
        self.listing = Listing(params, list(page["items"]), page["next_cursor"])
        self.redraw()

    async def load_more(self, *_: object) -> None:
        if self.listing.cursor is None:
            return
        page = await self.fetch(self.listing.params, self.listing.cursor, PAGE)
        self.listing.items.extend(page["items"])
        self.listing.cursor = page["next_cursor"]
        self.redraw()

    async def refresh(self) -> None:
        """On a notice: as many as are shown, again (a status changes in place, a new
        request lands on top, the pages a person loaded stay)."""
        limit = min(max(PAGE, len(self.listing.items)), MAX_PAGE)
        page = await self.fetch(self.listing.params, None, limit)
        self.listing.items = list(page["items"])
        self.listing.cursor = page["next_cursor"]
        self.redraw()


async def tenant_sedes(session: AdminSession, api: AdminApi) -> list[dict[str, Any]]:
    """Every sede of the tenant, to ask one of them for stock.

    /api/sedes shows a manager only its own; the stock API names every sede to every role
    (a manager compares stock before asking), so a manager's choices come from there.
    """
    if session.sees_every_sede:
        return list(await api.get("/api/sedes"))
    page = await api.get("/api/inventory/consolidated", limit=1)
    return [{"id": str(s["id"]), "name": str(s["name"])} for s in page["sedes"]]


async def list_body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.transfers.title"))
    screen = TransfersList(session, api, await tenant_sedes(session, api))
    await screen.search()
    live_refresh(
        session,
        handled(screen.refresh),
        entities=ENTITIES,
        sede_id=None if session.sees_every_sede else str(session.sede_id),
    )


def _qty(session: AdminSession, value: Any, unit: str) -> str:
    return format_quantity(Decimal(str(value)), unit, session.locale)


def _table(testid: str, columns: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    with ui.element("div").classes("w-full overflow-x-auto"):
        ui.table(columns=columns, rows=rows, row_key="id", pagination=0).classes("w-full").props(
            f'flat bordered dense hide-bottom data-testid="{testid}"'
        )


def _lines(session: AdminSession, transfer: dict[str, Any]) -> None:
    ui.label(t("admin.transfers.lines")).classes("text-lg font-bold")
    rows = [
        {
            "id": str(line["product_id"]),
            "sku": str(line["sku"]),
            "name": str(line["name"]),
            "quantity": _qty(session, line["quantity"], str(line.get("unit") or "unit")),
        }
        for line in transfer.get("lines") or []
    ]
    columns = [
        _column("sku", "admin.transfers.line.sku"),
        _column("name", "admin.transfers.line.name"),
        _column("quantity", "admin.transfers.line.quantity", right=True),
    ]
    _table("transfer-lines", columns, rows)


def _movements(session: AdminSession, transfer: dict[str, Any]) -> None:
    ui.label(t("admin.transfers.movements")).classes("text-lg font-bold")
    movements = list(transfer.get("movements") or [])
    if not movements:
        waiting = transfer["status"] in ("pending", "processing")
        key = "admin.transfers.no_movements" if waiting else "admin.transfers.no_movements_final"
        ui.label(t(key)).classes("stocky-muted").props('data-testid="no-movements"')
        return
    sedes = {
        str(transfer["from_sede_id"]): str(transfer["from_sede_name"]),
        str(transfer["to_sede_id"]): str(transfer["to_sede_name"]),
    }
    products = {str(line["product_id"]): line for line in transfer.get("lines") or []}
    rows = []
    for move in movements:
        product = products.get(str(move["product_id"]), {})
        kind = str(move["type"])
        label = t(f"admin.transfers.mov.{kind}")
        rows.append(
            {
                "id": str(move["id"]),
                "sede": sedes.get(str(move["sede_id"]), str(move["sede_id"])[:8]),
                "product": f"{product.get('name', '')} ({product.get('sku', '')})",
                "type": kind if label == f"admin.transfers.mov.{kind}" else label,
                "quantity": _qty(session, move["quantity"], str(product.get("unit") or "unit")),
                "when": when(session, move["server_timestamp"]),
            }
        )
    columns = [
        _column("sede", "admin.transfers.mov.sede"),
        _column("product", "admin.transfers.mov.product"),
        _column("type", "admin.transfers.mov.type", wide_only=True),
        _column("quantity", "admin.transfers.mov.quantity", right=True),
        _column("when", "admin.transfers.mov.when", wide_only=True),
    ]
    _table("transfer-movements", columns, rows)


def _people(session: AdminSession, transfer: dict[str, Any]) -> None:
    status = str(transfer["status"])
    with ui.card().classes("stocky-card p-4 gap-1 grow min-w-[260px] basis-[340px] max-w-[640px]"):
        with ui.row().classes("w-full justify-between items-center no-wrap"):
            ui.label(t("admin.transfers.status")).classes("stocky-muted text-sm")
            status_chip(status, "transfer-status")
        info_line(t("admin.transfers.from"), str(transfer["from_sede_name"]), "transfer-from")
        info_line(t("admin.transfers.to"), str(transfer["to_sede_name"]), "transfer-to")
        asked = (transfer.get("requested_by") or {}).get("name") or "—"
        info_line(t("admin.transfers.requested_by"), str(asked), "transfer-requested-by")
        info_line(
            t("admin.transfers.requested_at"),
            when(session, transfer["requested_at"]),
            "transfer-requested-at",
        )
        if transfer.get("decided_by") or transfer.get("decided_at"):
            decision = {"rejected": "rejected", "cancelled": "cancelled"}.get(status, "approved")
            decided = (transfer.get("decided_by") or {}).get("name") or "—"
            info_line(
                t(f"admin.transfers.decided_by.{decision}"), str(decided), "transfer-decided-by"
            )
            info_line(
                t("admin.transfers.decided_at"),
                when(session, transfer.get("decided_at")),
                "transfer-decided-at",
            )
        if transfer.get("completed_at"):
            info_line(
                t("admin.transfers.completed_at"),
                when(session, transfer["completed_at"]),
                "transfer-completed-at",
            )


def failure_text(session: AdminSession, transfer: dict[str, Any]) -> str:
    """Why the job failed in the page's language (the API's failure_reason is English)."""
    code = transfer.get("failure_code")
    shortages = transfer.get("shortages") or []
    if code == "insufficient_stock" and shortages:
        units = {line["product_id"]: line.get("unit") or "unit" for line in transfer["lines"]}
        items = "; ".join(
            t(
                "admin.transfers.shortage",
                product=f"{s['sku']} {s['name']}",
                available=_qty(session, s["available"], units.get(s["product_id"], "unit")),
                requested=_qty(session, s["requested"], units.get(s["product_id"], "unit")),
            )
            for s in shortages
        )
        return t("admin.transfers.insufficient", origin=transfer["from_sede_name"], items=items)
    if code == "job_error":
        return t("admin.transfers.job_error")
    return str(transfer.get("failure_reason") or "")


def _notes(session: AdminSession, transfer: dict[str, Any]) -> None:
    status = str(transfer["status"])
    texts: list[tuple[str, str, str, str]] = []
    if transfer.get("note"):
        texts.append((t("admin.transfers.note"), str(transfer["note"]), "transfer-note", ""))
    if transfer.get("reason") and status in ("rejected", "cancelled"):
        label = t(f"admin.transfers.reason.{status}")
        texts.append((label, str(transfer["reason"]), "transfer-reason", "text-negative"))
    if transfer.get("failure_reason"):
        label = t("admin.transfers.failure_reason")
        failure = failure_text(session, transfer)
        texts.append((label, failure, "transfer-failure", "text-negative"))
    if status == "processing":
        texts.append(("", t("admin.transfers.processing_hint"), "transfer-processing", ""))
    if not texts:
        return
    with ui.card().classes("stocky-card p-4 gap-2 grow min-w-[260px] basis-[300px]"):
        for label, text, testid, tone in texts:
            if label:
                ui.label(label).classes("stocky-muted text-sm")
            ui.label(text).classes(f"whitespace-pre-wrap break-words {tone}").props(
                f'data-testid="{testid}"'
            )


class Detail:
    """One transfer, redrawn whole on a notice or after an action."""

    def __init__(self, session: AdminSession, api: AdminApi, transfer_id: str) -> None:
        self.session = session
        self.api = api
        self.transfer_id = transfer_id
        self.box = ui.column().classes("w-full gap-4")
        # Dialogs live outside the box: a notice redrawing it must not close one mid-reason.
        self.dialogs = ui.element("div")

    async def draw(self, *_: object) -> None:
        transfer: dict[str, Any] = await self.api.get(f"/api/transfers/{self.transfer_id}")
        self.box.clear()
        with self.box:
            page_title(
                t(
                    "admin.transfers.detail",
                    origin=transfer["from_sede_name"],
                    destination=transfer["to_sede_name"],
                )
            )
            with ui.row().classes("w-full gap-4 items-stretch"):
                _people(self.session, transfer)
                _notes(self.session, transfer)
            self._actions(transfer)
            _lines(self.session, transfer)
            _movements(self.session, transfer)

    async def _redrawn(self, _: dict[str, Any]) -> None:
        await self.draw()

    async def approve(self, *_: object) -> None:
        await self.api.post(f"/api/transfers/{self.transfer_id}/approve", {})
        ui.notify(t("admin.transfers.approved"), type="positive")
        await self.draw()

    def _reason(self, transfer: dict[str, Any], action: str) -> None:
        self.dialogs.clear()
        with self.dialogs:
            open_reason(self.api, transfer, action, self._redrawn)

    def _actions(self, transfer: dict[str, Any]) -> None:
        decide, cancel = may_decide(self.session, transfer), may_cancel(self.session, transfer)
        if not (decide or cancel):
            return
        with ui.row().classes("gap-2 flex-wrap").props('data-testid="transfer-actions"'):
            if decide:
                ui.button(
                    t("admin.transfers.approve"), icon="check", on_click=handled(self.approve)
                ).props('unelevated no-caps color=positive data-testid="transfer-approve"')
                ui.button(
                    t("admin.transfers.reject"),
                    icon="close",
                    on_click=lambda: self._reason(transfer, "reject"),
                ).props('outline no-caps color=negative data-testid="transfer-reject"')
            if cancel:
                ui.button(
                    t("admin.transfers.cancel"),
                    icon="undo",
                    on_click=lambda: self._reason(transfer, "cancel"),
                ).props('flat no-caps data-testid="transfer-cancel"')


async def detail_body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    transfer_id = args.path_parameters.get("transfer_id", "")
    ui.button(
        t("admin.transfers.back"), icon="arrow_back", on_click=lambda: ui.navigate.to("/traslados")
    ).props('flat no-caps dense data-testid="back-to-transfers"')
    detail = Detail(session, api, transfer_id)
    try:
        uuid.UUID(transfer_id)
        await detail.draw()
    except (ValueError, ApiError) as error:
        if isinstance(error, ApiError) and error.status not in (403, 404, 422):
            raise
        with detail.box:
            page_title(t("admin.transfers.title"))
            ui.label(t("admin.transfers.not_found")).classes("text-negative").props(
                'data-testid="transfer-not-found"'
            )
        return
    live_refresh(
        session,
        handled(detail.draw),
        entities=ENTITIES,
        sede_id=None if session.sees_every_sede else str(session.sede_id),
    )


ROUTES = {
    "/traslados": framed("/traslados", list_body),
    "/traslados/{transfer_id}": framed("/traslados", detail_body, with_args=True),
}
