"""Sales reports (GET /api/reports/sales): a date range in the tenant's days, a bar chart of
net sales per day, a table by the chosen group with its total, and the same rows as a CSV
download (semicolons and decimal commas when the screen is in Spanish).

Rollups are not in the change feed, so the screen reads them when asked ("show"); a manager
gets its own sede's figures (the API holds it there).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.pages import reports_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.pages.audit import text_input, timezone_of
from stocky.cloud.admin.pages.sales import method_name, money
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import display_locale, format_quantity
from stocky.ui.i18n import t

GROUPS = ("day", "sede", "caja", "cashier", "hour", "product", "category", "payment_method")
COLUMNS = ("units", "gross", "discounts", "returns", "net", "cost", "margin", "count")
DAYS = 30


def every_day(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The by-day rows with the days that sold nothing as zeros (the API lists only days
    with sales), so the chart's bars stand on a true calendar."""
    have = {str(r["key"]): r for r in report.get("rows", [])}
    if "from" not in report:
        return list(have.values())
    first, last = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [have.get(str(d), {"key": str(d), "net": "0"}) for d in days]


def chart_options(session: AdminSession, days: list[dict[str, Any]]) -> dict[str, Any]:
    shown = display_locale(session.locale)
    return {
        # Drawn at once: a screenshot (and a person) sees the figures, not a growing bar.
        "animation": False,
        "grid": {"left": 8, "right": 8, "top": 24, "bottom": 24, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(d["key"])[5:] for d in days]},
        "yAxis": {
            "type": "value",
            "axisLabel": {":formatter": f"v => v.toLocaleString({shown!r})"},
        },
        "tooltip": {"trigger": "axis", ":valueFormatter": f"v => v.toLocaleString({shown!r})"},
        "series": [
            {
                "name": t("admin.reports.net"),
                "type": "bar",
                "data": [float(Decimal(str(d["net"]))) for d in days],  # only for drawing
                "itemStyle": {"color": "#0f766e"},
            }
        ],
    }


def _label(group_by: str, row: dict[str, Any]) -> str:
    if group_by == "payment_method":
        return method_name(str(row["key"]))
    if group_by == "hour":
        return f"{int(row['key']):02d}:00"
    return str(row.get("label") or row.get("key") or t("admin.reports.none"))


def table_row(session: AdminSession, group_by: str, row: dict[str, Any], i: int) -> dict[str, Any]:
    out: dict[str, Any] = {"id": i, "group": _label(group_by, row), "count": str(row["count"])}
    for name in COLUMNS[:-1]:
        value = row.get(name)
        if value is None:
            out[name] = ""
        elif name == "units":
            out[name] = format_quantity(Decimal(str(value)), "weight", session.locale)
        else:
            out[name] = money(session, value)
    return out


def _columns() -> list[dict[str, Any]]:
    first = {"name": "group", "label": t("admin.reports.col.group"), "field": "group"}
    return [
        {**first, "align": "left"},
        *(
            {"name": c, "label": t(f"admin.reports.col.{c}"), "field": c, "align": "right"}
            for c in COLUMNS
        ),
    ]


class ReportsScreen:
    def __init__(self, session: AdminSession, api: AdminApi, sedes: list[dict[str, Any]]) -> None:
        self.session = session
        self.api = api
        today = datetime.now(ZoneInfo(timezone_of(session))).date()
        ui.label(t("admin.reports.help")).classes("stocky-muted text-sm")
        with ui.row().classes("w-full items-end gap-3 flex-wrap"):
            self.since = text_input(t("admin.reports.from"), "report-from", date_input=True)
            self.since.value = str(today - timedelta(days=DAYS - 1))
            self.until = text_input(t("admin.reports.to"), "report-to", date_input=True)
            self.until.value = str(today)
            self.group = ui.select(
                {g: t(f"admin.reports.group.{g}") for g in GROUPS},
                value="day",
                label=t("admin.reports.group_by"),
            ).props('dense outlined data-testid="report-group"')
            self.group.classes("w-full sm:w-48")
            self.sede: ui.select | None = None
            if session.sees_every_sede:
                self.sede = ui.select(
                    {"": t("admin.reports.all_sedes")} | {str(s["id"]): s["name"] for s in sedes},
                    value="",
                    label=t("admin.reports.sede"),
                ).props('dense outlined data-testid="report-sede"')
                self.sede.classes("w-full sm:w-48")
            ui.button(
                t("admin.reports.show"), icon="query_stats", on_click=handled(self.load)
            ).props('unelevated no-caps data-testid="report-show"')
            ui.space()
            ui.button(
                t("admin.reports.csv"), icon="download", on_click=handled(self.download)
            ).props('outline no-caps data-testid="report-csv"')
        with ui.card().classes("stocky-card p-4 w-full"):
            ui.label(t("admin.reports.chart")).classes("font-bold")
            self.chart = ui.echart(chart_options(session, [])).classes("w-full h-64")
            self.chart.props('data-testid="report-chart"')
        with ui.element("div").classes("w-full overflow-x-auto"):
            self.table = (
                ui.table(columns=_columns(), rows=[], row_key="id", pagination=0)
                .props('flat bordered dense hide-pagination data-testid="report-table"')
                .classes("w-full stocky-card")
            )
        self.empty = ui.label(t("admin.reports.empty")).classes("stocky-muted")
        self.empty.props('data-testid="report-empty"')

    def params(self, group_by: str | None = None) -> dict[str, Any]:
        return {
            "from": str(self.since.value or "") or None,
            "to": str(self.until.value or "") or None,
            "group_by": group_by or self.group.value,
            "sede_id": (self.sede.value or None) if self.sede is not None else None,
        }

    async def load(self, *_: object) -> None:
        group_by = str(self.group.value)
        report, days = await self.api.gather(
            self.api.get("/api/reports/sales", **self.params()),
            self.api.get("/api/reports/sales", **self.params("day")),
        )
        self.chart.options.clear()
        self.chart.options.update(chart_options(self.session, every_day(days)))
        self.chart.update()
        rows = [table_row(self.session, group_by, r, i) for i, r in enumerate(report["rows"])]
        if rows:
            total = table_row(self.session, group_by, report["totals"], len(rows))
            rows.append(total | {"group": t("admin.reports.total")})
        self.table.rows = rows
        self.table.update()
        self.empty.set_visibility(not report["rows"])

    async def download(self, *_: object) -> None:
        spanish = self.session.locale.startswith("es")
        params = self.params() | {"format": "csv", "csv_locale": "es" if spanish else "en"}
        response = await self.api.raw("GET", "/api/reports/sales", params=params)
        if response.status_code != 200:
            ui.notify(response.text, type="negative")
            return
        name = f"ventas-{params['group_by']}-{params['from'] or date.today()}.csv"
        ui.download.content(response.content, name, "text/csv")


async def body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.reports.title"))
    sedes = list(await api.get("/api/sedes")) if session.sees_every_sede else []
    screen = ReportsScreen(session, api, sedes)
    await screen.load()


ROUTES = {"/informes": framed("/informes", body)}
