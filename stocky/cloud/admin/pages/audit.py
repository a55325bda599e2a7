"""The audit log (GET /api/audit-logs): who changed what and when, newest first, cursor
pages on demand, each row unfolding into the change (before and after, field by field).

Owner and admin only, as the API: an entry is not always one sede's, so a manager gets a
sentence saying so instead of a refusal. The filter panel and the unfolding table are
shared with the sync log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.pages import audit_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_datetime
from stocky.ui.i18n import t

PAGE = 50
_BIND = re.compile(r"_\d+$")
# The tables the audit trail names most (entity_type is the table); any other can be typed.
ENTITY_TYPES = (
    "products",
    "product_barcodes",
    "inventory",
    "sedes",
    "devices",
    "activation_codes",
    "users",
    "customers",
    "tenants",
)
AUDIT_DETAIL = """
<div class="text-sm stocky-muted break-all">@ENTITY@: {{ props.row.entity }}
  {{ props.row.entity_id }} · {{ props.row.address }}</div>
<div v-if="props.row.changes.length" class="w-full overflow-x-auto">
  <table class="text-sm" :data-testid="'change-' + props.row.id">
    <tr class="text-left"><th class="pr-4">@FIELD@</th><th class="pr-4">@BEFORE@</th>
        <th>@AFTER@</th></tr>
    <tr v-for="c in props.row.changes" :key="c.field" class="align-top">
      <td class="pr-4 font-mono">{{ c.field }}</td>
      <td class="pr-4 text-negative whitespace-pre-wrap break-all">{{ c.before }}</td>
      <td class="text-positive whitespace-pre-wrap break-all">{{ c.after }}</td>
    </tr>
  </table>
</div>
<div v-else class="stocky-muted">@NONE@</div>
"""


def timezone_of(session: AdminSession) -> str:
    return str(session.tenant.get("timezone") or "UTC")


def when(session: AdminSession, iso: Any) -> str:
    return format_datetime(str(iso) if iso else None, timezone_of(session), seconds=True)


def day_bounds(text: str, timezone: str, *, end: bool) -> str | None:
    """A date picked in the tenant's days as the API's instant: its start, or the next
    day's start for the end of the range (the API's `to` is exclusive)."""
    if not text:
        return None
    day = date.fromisoformat(text) + (timedelta(days=1) if end else timedelta())
    return datetime.combine(day, time(0), ZoneInfo(timezone)).isoformat()


def expandable_template(testid: str, detail: str, tone: str = "") -> str:
    """A q-table body whose rows unfold into `detail` (a template over props.row);
    `tone` is a JS expression giving the row's extra classes."""
    return f"""
<q-tr :props="props" :data-testid="'{testid}-' + props.row.id" :class="{tone or "''"}">
  <q-td v-for="col in props.cols" :key="col.name" :props="props" class="whitespace-normal">
    <q-btn v-if="col.name === 'expand'" size="sm" round dense flat
           :icon="props.expand ? 'expand_less' : 'expand_more'"
           :data-testid="'expand-' + props.row.id" @click="props.expand = !props.expand" />
    <span v-else :class="props.row['class_' + col.name] || ''"
          :style="col.name === 'action' ? 'overflow-wrap: anywhere' : ''">{{{{ col.value }}}}</span>
  </q-td>
</q-tr>
<q-tr v-show="props.expand" :props="props">
  <q-td colspan="100%" class="bg-slate-50">{detail}</q-td>
</q-tr>
"""


# The first column holds the unfold button (its cell is drawn by expandable_template).
EXPAND = {"name": "expand", "label": "", "field": "id", "style": "width: 40px"}


def column(name: str, key: str, *, wide_only: bool = False) -> dict[str, Any]:
    hide = "gt-sm" if wide_only else ""
    return {
        "name": name,
        "label": t(key),
        "field": name,
        "align": "left",
        "classes": hide,
        "headerClasses": hide,
    }


def options(items: list[dict[str, Any]]) -> dict[str, str]:
    return {str(i["id"]): str(i.get("name") or i.get("email") or i["id"]) for i in items}


def picker(label: str, choices: dict[str, str], testid: str, **kwargs: Any) -> ui.select:
    return (
        ui.select(choices, label=label, clearable=True, **kwargs)
        .props(f'dense outlined data-testid="{testid}"')
        .classes("w-full sm:w-48")
    )


def text_input(label: str, testid: str, *, date_input: bool = False) -> ui.input:
    element = ui.input(label).props(f'dense outlined clearable data-testid="{testid}"')
    if date_input:
        element.props("type=date stack-label")
    return element.classes("w-full sm:w-44")


class DateRange:
    """From and to dates in the tenant's days, as the API's from (inclusive) and to."""

    def __init__(self) -> None:
        self.since = text_input(t("admin.log.from"), "filter-from", date_input=True)
        self.until = text_input(t("admin.log.to"), "filter-to", date_input=True)

    def params(self, session: AdminSession, errors: FormErrors) -> dict[str, str | None]:
        since, until = str(self.since.value or ""), str(self.until.value or "")
        if since and until and until < since:
            errors.add(self.until, t("admin.log.dates_order", field=t("admin.log.to")))
        timezone = timezone_of(session)
        return {
            "from": day_bounds(since, timezone, end=False),
            "to": day_bounds(until, timezone, end=True),
        }

    def api_fields(self) -> dict[str, tuple[ui.input, str]]:
        return {"from": (self.since, t("admin.log.from")), "to": (self.until, t("admin.log.to"))}


@dataclass
class FilterPanel:
    inputs: ui.row
    apply: ui.button
    clear: ui.button


def filter_panel() -> FilterPanel:
    """A card of filters that a phone shows folded behind a button (wide screens: open)."""
    toggle = ui.button(t("admin.log.filters"), icon="filter_list").props(
        'outline no-caps dense data-testid="filters-toggle"'
    )
    toggle.classes("lt-md")
    panel = ui.card().classes("stocky-card w-full p-3 gap-2 gt-sm")
    panel.props('data-testid="filters-panel"')
    with panel:
        inputs = ui.row().classes("w-full gap-2 items-start")
        with ui.row().classes("gap-2"):
            apply = ui.button(t("admin.log.apply"), icon="search").props(
                'unelevated no-caps data-testid="filters-apply"'
            )
            clear = ui.button(t("admin.log.clear")).props(
                'flat no-caps data-testid="filters-clear"'
            )

    def fold() -> None:
        if "gt-sm" in panel.classes:
            panel.classes(remove="gt-sm")
        else:
            panel.classes(add="gt-sm")

    toggle.on_click(fold)
    return FilterPanel(inputs, apply, clear)


@dataclass
class Pages:
    """A cursor-paged list: the rows loaded so far and where the next page starts."""

    params: dict[str, Any] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None


class PagedTable:
    """An unfolding table over one API list, with a count, an empty note and "load more"."""

    def __init__(
        self,
        api: AdminApi,
        path: str,
        columns: list[dict[str, Any]],
        template: str,
        to_row: Callable[[dict[str, Any]], dict[str, Any]],
        texts: tuple[str, str],
        testid: str,
        key: str = "id",
    ) -> None:
        self.api = api
        self.key = key
        self.path = path
        self.to_row = to_row
        self.shown_key, empty_key = texts
        self.pages = Pages()
        self.shown = ui.label().classes("stocky-muted text-sm")
        self.shown.props(f'data-testid="{testid}-count"')
        with ui.element("div").classes("w-full overflow-x-auto"):
            self.table = ui.table(columns=columns, rows=[], row_key="id", pagination=0)
        self.table.classes("w-full").props(
            f'flat bordered dense hide-bottom wrap-cells data-testid="{testid}-table"'
        )
        self.table.add_slot("body", template)
        self.empty = ui.label(t(empty_key)).classes("stocky-muted")
        self.empty.props(f'data-testid="{testid}-empty"')
        self.more = ui.button(t("admin.log.load_more"), icon="expand_more").props(
            'outline no-caps data-testid="load-more"'
        )
        self.more.on_click(handled(self.load_more))

    def redraw(self) -> None:
        self.table.rows = [self.to_row(item) for item in self.pages.items]
        self.table.update()
        self.shown.set_text(t(self.shown_key, n=len(self.pages.items)))
        self.empty.set_visibility(not self.pages.items)
        self.more.set_visibility(self.pages.cursor is not None)

    async def show(self, params: dict[str, Any]) -> None:
        """The first page for these filters (an API refusal propagates: the caller maps it)."""
        try:
            page = await self.api.get(self.path, **params, limit=PAGE)
        except ApiError:
            self.pages = Pages(params)
            self.redraw()
            raise
        self.pages = Pages(params, list(page["items"]), page["next_cursor"])
        self.redraw()

    async def merge_top(self) -> None:
        """On a notice: the newest page again; what is not shown yet goes on top (the
        pages a person loaded stay, and so do the rows they unfolded)."""
        page = await self.api.get(self.path, **self.pages.params, limit=PAGE)
        known = {str(item[self.key]) for item in self.pages.items}
        fresh = [item for item in page["items"] if str(item[self.key]) not in known]
        if fresh:
            if not self.pages.items:
                self.pages.cursor = page["next_cursor"]
            self.pages.items[:0] = fresh
            self.redraw()

    async def load_more(self) -> None:
        if self.pages.cursor is None:
            return
        page = await self.api.get(
            self.path, **self.pages.params, cursor=self.pages.cursor, limit=PAGE
        )
        self.pages.items.extend(page["items"])
        self.pages.cursor = page["next_cursor"]
        self.redraw()


def shown_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


def _statement(entry: dict[str, Any]) -> dict[str, Any] | None:
    """A set-based write's bound values ({"statement": {...}}), as the recorder keeps them."""
    after = entry.get("after_data") or {}
    params = after.get("statement") if set(after) == {"statement"} else None
    return params if isinstance(params, dict) else None


def changes(entry: dict[str, Any]) -> list[dict[str, str]]:
    """Field by field; an update shows what changed (the recorder also keeps the rest)."""
    params = _statement(entry)
    if params is not None:
        # The WHERE's binds end in _1, _2 (id_1, version_1); the SET's are plain names.
        sets = {k: v for k, v in params.items() if not _BIND.search(k)}
        return [{"field": k, "before": "—", "after": shown_value(v)} for k, v in sets.items()]
    before = entry.get("before_data") or {}
    after = entry.get("after_data") or {}
    keys = list(dict.fromkeys([*before, *after]))
    moved = [k for k in keys if before.get(k) != after.get(k)]
    return [
        {"field": k, "before": shown_value(before.get(k)), "after": shown_value(after.get(k))}
        for k in (moved or keys)
    ]


def entity_of(entry: dict[str, Any]) -> str:
    if entry.get("entity_id"):
        return str(entry["entity_id"])
    params = _statement(entry) or {}
    return str(params.get("id_1") or "—")


def _audit_row(
    session: AdminSession, names: dict[str, str], entry: dict[str, Any]
) -> dict[str, Any]:
    actor = names.get(str(entry.get("user_id")), "") or names.get(str(entry.get("device_id")), "")
    if not actor:
        actor = t("admin.audit.system") if not entry.get("user_id") else str(entry["user_id"])
    return {
        "id": str(entry["id"]),
        "when": when(session, entry["created_at"]),
        "actor": actor,
        "action": str(entry["action"]),
        "entity": str(entry["entity_type"]),
        "entity_id": entity_of(entry),
        "address": str(entry.get("client_address") or "—"),
        "changes": changes(entry),
    }


def _columns() -> list[dict[str, Any]]:
    return [
        EXPAND,
        column("when", "admin.audit.col.when"),
        column("actor", "admin.audit.col.actor"),
        column("action", "admin.audit.col.action"),
        column("entity_id", "admin.audit.entity_id", wide_only=True),
        column("address", "admin.audit.col.address", wide_only=True),
    ]


class AuditFilters:
    def __init__(
        self,
        session: AdminSession,
        sedes: list[dict[str, Any]],
        users: list[dict[str, Any]],
        devices: list[dict[str, Any]],
    ) -> None:
        self.session = session
        self.errors = FormErrors()
        self.user = picker(t("admin.audit.user"), options(users), "filter-user")
        self.caja = picker(t("admin.audit.caja"), options(devices), "filter-caja")
        self.entity_type = picker(
            t("admin.audit.entity_type"),
            {name: name for name in ENTITY_TYPES},
            "filter-entity-type",
            with_input=True,
            new_value_mode="add-unique",
        )
        self.entity_id = text_input(t("admin.audit.entity_id"), "filter-entity-id")
        self.sede = picker(t("admin.log.sede"), options(sedes), "filter-sede")
        self.dates = DateRange()

    def all(self) -> list[Any]:
        return [
            self.user,
            self.caja,
            self.entity_type,
            self.entity_id,
            self.sede,
            self.dates.since,
            self.dates.until,
        ]

    def clear(self) -> None:
        for element in self.all():
            element.value = None if isinstance(element, ui.select) else ""

    def params(self) -> dict[str, Any] | None:
        self.errors.clear(*self.all())
        dates = self.dates.params(self.session, self.errors)
        if not self.errors.ok:
            return None
        return {
            "user_id": self.user.value,
            "device_id": self.caja.value,
            "entity_type": self.entity_type.value,
            "entity_id": str(self.entity_id.value or "").strip() or None,
            "sede_id": self.sede.value,
            **dates,
        }

    def show_api_error(self, error: ApiError) -> bool:
        return self.errors.show_api_error(
            error,
            {
                "user_id": (self.user, t("admin.audit.user")),
                "device_id": (self.caja, t("admin.audit.caja")),
                "entity_type": (self.entity_type, t("admin.audit.entity_type")),
                "entity_id": (self.entity_id, t("admin.audit.entity_id")),
                "sede_id": (self.sede, t("admin.log.sede")),
                **self.dates.api_fields(),
            },
        )


def searcher(
    table: PagedTable,
    params: Callable[[], dict[str, Any] | None],
    show_error: Callable[[ApiError], bool],
) -> Callable[[], Awaitable[None]]:
    """Apply the filters: a refusal naming a filter lands on it, others are notified."""

    async def search() -> None:
        query = params()
        if query is None:
            return
        try:
            await table.show(query)
        except ApiError as error:
            if not (error.status in (404, 422) and show_error(error)):
                raise

    return search


async def body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.audit.title"))
    if not session.sees_every_sede:
        ui.label(t("admin.audit.admins_only")).classes("stocky-muted").props(
            'data-testid="audit-admins-only"'
        )
        return
    sedes, users, devices = await api.gather(
        api.get("/api/sedes"), api.get("/api/users"), api.get("/api/devices")
    )
    names = {**options(devices), **options(users)}
    panel = filter_panel()
    with panel.inputs:
        filters = AuditFilters(session, sedes, users, devices)
    detail = (
        AUDIT_DETAIL.replace("@FIELD@", t("admin.audit.field"))
        .replace("@BEFORE@", t("admin.audit.before"))
        .replace("@AFTER@", t("admin.audit.after"))
        .replace("@NONE@", t("admin.audit.no_change"))
        .replace("@ENTITY@", t("admin.audit.col.entity"))
    )
    table = PagedTable(
        api,
        "/api/audit-logs",
        _columns(),
        expandable_template("audit-row", detail),
        lambda entry: _audit_row(session, names, entry),
        ("admin.audit.shown", "admin.audit.empty"),
        "audit",
    )
    search = searcher(table, filters.params, filters.show_api_error)

    async def reset() -> None:
        filters.clear()
        await search()

    panel.apply.on_click(handled(search))
    panel.clear.on_click(handled(reset))
    await search()


ROUTES = {"/auditoria": framed("/auditoria", body)}
