"""The sync log: each sede's sync health on top (GET /api/sync/status) and every op the cajas
pushed below (GET /api/sync/logs), newest first by the cloud's time, cursor pages on demand;
rejected and conflicted ops stand out and unfold into their reason and what the caja sent.

Owner and admin see every sede (sede filter); a manager its own, as the API holds it.
"""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages.audit import (
    EXPAND,
    DateRange,
    PagedTable,
    column,
    expandable_template,
    filter_panel,
    options,
    picker,
    searcher,
    when,
)
from stocky.cloud.admin.session import AdminSession
from stocky.cloud.admin.widgets import age, info_line
from stocky.ui.i18n import t

STATUSES = ("applied", "duplicate", "conflict", "rejected")
KINDS = (
    "transaction.create",
    "product.upsert",
    "inventory.thresholds",
    "shift.open",
    "shift.close",
    "cash.movement",
    "sale.void",
)
# A push moves these (sales, movements, shifts, stock); a ping moves presence. Rejected ops
# write nothing to the feed: they show on the next notice or when the filters are applied.
ENTITIES = (
    "sales",
    "transactions",
    "shifts",
    "inventory",
    "products",
    "devices",
    "sedes",
    "sync_ops",
)
TONES = {"rejected": "bg-red-50", "conflict": "bg-amber-50"}
STATUS_CLASS = {
    "rejected": "text-negative font-bold",
    "conflict": "text-warning font-bold",
    "applied": "text-positive",
}
SYNC_DETAIL = """
<div class="text-sm break-all">
  <div v-if="props.row.reason" class="text-negative font-semibold">{{ props.row.reason }}</div>
  <div class="stocky-muted">op {{ props.row.id }} · {{ props.row.entity_full }}</div>
  <div class="stocky-muted">@CLIENT@: {{ props.row.client_ts }}</div>
  <div v-if="props.row.payload" class="font-semibold q-mt-xs">@PAYLOAD@</div>
  <pre v-if="props.row.payload" class="text-xs whitespace-pre-wrap break-all bg-white p-2
       rounded border" :data-testid="'payload-' + props.row.id">{{ props.row.payload }}</pre>
  <div v-else class="stocky-muted">@NO_PAYLOAD@</div>
</div>
"""


def _sede_health(session: AdminSession, sede: dict[str, Any]) -> None:
    sede_id = sede["sede_id"]
    online = bool(sede.get("is_online"))
    counts: dict[str, int] = sede.get("ops_last_24h") or {}
    errors = int(counts.get("rejected", 0)) + int(counts.get("conflict", 0))
    with (
        ui.card()
        .classes("stocky-card p-3 gap-1 grow min-w-[250px] basis-[300px]")
        .props(f'data-testid="health-{sede_id}"')
    ):
        with ui.row().classes("w-full items-center justify-between no-wrap"):
            ui.label(str(sede["name"])).classes("font-bold truncate")
            ui.badge(
                t("admin.sync.online") if online else t("admin.sync.offline"),
                color="positive" if online else "grey-7",
            ).props(f'data-testid="health-online-{sede_id}"')
        info_line(t("admin.sync.last_ping"), age(sede.get("last_ping_at"), t("admin.sync.never")))
        last_sync = sede.get("last_sync_at")
        info_line(
            t("admin.sync.last_sync"),
            when(session, last_sync) if last_sync else t("admin.sync.never"),
        )
        info_line(t("admin.sync.ops_24h"), str(sum(int(n) for n in counts.values())))
        info_line(
            t("admin.sync.errors_24h"),
            str(errors),
            f"health-errors-{sede_id}",
            "text-negative font-bold" if errors else "",
        )
        divergences = int(sede.get("divergences_last_24h") or 0)
        if divergences:
            info_line(t("admin.sync.divergences"), str(divergences), tone="text-warning")


def _status(value: str) -> str:
    key = f"admin.sync.status.{value}"
    text = t(key)
    return value if text == key else text


def _kind(value: str) -> str:
    key = f"admin.sync.kind.{value}"
    text = t(key)
    return value if text == key else text


def _op_row(session: AdminSession, op: dict[str, Any]) -> dict[str, Any]:
    status = str(op["status"])
    payload = op.get("payload")
    entity = str(op.get("entity_id") or "—")
    return {
        "id": str(op["op_id"]),
        "server_ts": when(session, op["server_ts"]),
        "client_ts": when(session, op.get("client_ts")),
        "kind": _kind(str(op["kind"])),
        "status": _status(status),
        "class_status": STATUS_CLASS.get(status, ""),
        "tone": TONES.get(status, ""),
        "reason": str(op.get("reason") or ""),
        "class_reason": "text-negative",
        "sede": str(op.get("sede_name") or "—"),
        "caja": str(op.get("device_name") or "—"),
        "entity": entity if len(entity) <= 14 else entity[:8] + "…",
        "entity_full": f"{op['kind']} {entity}",
        "payload": None
        if payload is None
        else json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True),
    }


def _columns(session: AdminSession) -> list[dict[str, Any]]:
    columns = [
        EXPAND,
        column("server_ts", "admin.sync.col.server_ts"),
        column("kind", "admin.sync.col.kind"),
        column("status", "admin.sync.col.status"),
        column("reason", "admin.sync.col.reason", wide_only=True),
        column("sede", "admin.sync.col.sede", wide_only=True),
        column("caja", "admin.sync.col.caja", wide_only=True),
        column("client_ts", "admin.sync.col.client_ts", wide_only=True),
        column("entity", "admin.sync.col.entity", wide_only=True),
    ]
    if not session.sees_every_sede:
        columns = [c for c in columns if c["name"] != "sede"]
    return columns


class SyncFilters:
    def __init__(
        self, session: AdminSession, sedes: list[dict[str, Any]], devices: list[dict[str, Any]]
    ) -> None:
        self.session = session
        self.errors = FormErrors()
        self.sede = (
            picker(t("admin.log.sede"), options(sedes), "filter-sede")
            if session.sees_every_sede
            else None
        )
        self.caja = picker(t("admin.sync.caja"), options(devices), "filter-caja")
        self.status = picker(
            t("admin.sync.status"), {s: _status(s) for s in STATUSES}, "filter-status"
        )
        self.kind = picker(t("admin.sync.kind"), {k: _kind(k) for k in KINDS}, "filter-kind")
        self.dates = DateRange()

    def all(self) -> list[Any]:
        fields = [self.caja, self.status, self.kind, self.dates.since, self.dates.until]
        return [self.sede, *fields] if self.sede is not None else fields

    def clear(self) -> None:
        for element in self.all():
            element.value = None if isinstance(element, ui.select) else ""

    def params(self) -> dict[str, Any] | None:
        self.errors.clear(*self.all())
        dates = self.dates.params(self.session, self.errors)
        if not self.errors.ok:
            return None
        return {
            "sede_id": self.sede.value if self.sede is not None else None,
            "device_id": self.caja.value,
            "status": self.status.value,
            "kind": self.kind.value,
            **dates,
        }

    def show_api_error(self, error: ApiError) -> bool:
        fields: dict[str, Any] = {
            "device_id": (self.caja, t("admin.sync.caja")),
            "status": (self.status, t("admin.sync.status")),
            "kind": (self.kind, t("admin.sync.kind")),
            **self.dates.api_fields(),
        }
        if self.sede is not None:
            fields["sede_id"] = (self.sede, t("admin.log.sede"))
        return self.errors.show_api_error(error, fields)


async def body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.sync.title"))
    ui.label(t("admin.sync.health")).classes("text-lg font-bold")
    health = ui.row().classes("w-full gap-3").props('data-testid="sync-health"')
    sedes, devices = await api.gather(api.get("/api/sedes"), api.get("/api/devices"))
    panel = filter_panel()
    with panel.inputs:
        filters = SyncFilters(session, sedes, devices)
    detail = (
        SYNC_DETAIL.replace("@PAYLOAD@", t("admin.sync.payload"))
        .replace("@NO_PAYLOAD@", t("admin.sync.no_payload"))
        .replace("@CLIENT@", t("admin.sync.col.client_ts"))
    )
    table = PagedTable(
        api,
        "/api/sync/logs",
        _columns(session),
        expandable_template("sync-row", detail, "props.row.tone"),
        lambda op: _op_row(session, op),
        ("admin.sync.shown", "admin.sync.empty"),
        "sync",
        key="op_id",
    )

    async def draw_health() -> None:
        status = await api.get("/api/sync/status")
        health.clear()
        with health:
            for sede in status.get("sedes") or []:
                _sede_health(session, sede)

    search = searcher(table, filters.params, filters.show_api_error)

    async def reset() -> None:
        filters.clear()
        await search()

    async def on_notice() -> None:
        await draw_health()
        await table.merge_top()

    panel.apply.on_click(handled(search))
    panel.clear.on_click(handled(reset))
    await draw_health()
    await search()
    live_refresh(
        session,
        handled(on_notice),
        entities=ENTITIES,
        presence=True,
        sede_id=None if session.sees_every_sede else str(session.sede_id),
    )


ROUTES = {"/sincronizacion": framed("/sincronizacion", body)}
