"""The owner's first screen: today's sales per sede, the last 30 days, the sedes' health
(online, last contact, pending and rejected ops, clock drift), low stock; live."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.session import AdminSession
from stocky.cloud.admin.widgets import age, info_line
from stocky.ui.clock_health import clock_skew_text
from stocky.ui.formats import display_locale, format_datetime, format_money
from stocky.ui.i18n import t

# What a sale, a movement, a sede or a caja changing can move on this screen.
ENTITIES = (
    "sales",
    "transactions",
    "inventory",
    "sedes",
    "devices",
    "shifts",
    "products",
    "sync_ops",
    "transfers",
)


def _money(session: AdminSession, value: Any) -> str:
    return format_money(Decimal(str(value or 0)), session.currency, session.locale)


def _figure(
    label: str, value: str, testid: str, tone: str = "text-slate-800", to: str | None = None
) -> None:
    card = ui.card().classes("stocky-card p-4 gap-1 min-w-[150px] grow")
    if to is not None:  # the figure opens the screen that lists what it counts
        card.classes("cursor-pointer").on("click", lambda: ui.navigate.to(to))
    with card:
        ui.label(label).classes("stocky-muted text-sm")
        ui.label(value).classes(f"text-2xl font-bold stocky-num {tone}").props(
            f'data-testid="{testid}"'
        )


def _chart_options(session: AdminSession, days: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "grid": {"left": 8, "right": 8, "top": 24, "bottom": 24, "containLabel": True},
        "xAxis": {"type": "category", "data": [str(d["date"])[5:] for d in days]},
        # Figures as the person reads numbers (1.500.000 in es-CO), not echarts' English.
        "yAxis": {
            "type": "value",
            "axisLabel": {
                ":formatter": f"v => v.toLocaleString({display_locale(session.locale)!r})"
            },
        },
        "tooltip": {
            "trigger": "axis",
            ":valueFormatter": f"v => v.toLocaleString({display_locale(session.locale)!r})",
        },
        "series": [
            {
                "name": t("admin.dashboard.sales"),
                "type": "bar",
                "data": [float(Decimal(str(d["total"]))) for d in days],  # only for drawing
                "itemStyle": {"color": "#0f766e"},
            }
        ],
    }


async def body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.dashboard.title"))
    ui.badge(t("admin.common.updated_live"), color="positive").props(
        'data-testid="live-badge" outline'
    )
    figures = ui.row().classes("w-full gap-3")
    with ui.row().classes("w-full gap-4 items-stretch"):
        with ui.card().classes("stocky-card p-4 grow min-w-[300px] basis-[560px]"):
            ui.label(t("admin.dashboard.last_30")).classes("font-bold")
            chart = ui.echart(_chart_options(session, [])).classes("w-full h-64")
            chart.props('data-testid="chart-30-days"')
        per_sede = ui.card().classes("stocky-card p-4 grow min-w-[260px] basis-[320px]")
    sedes = ui.column().classes("w-full gap-2")

    async def draw() -> None:
        data = await api.get("/api/dashboard")
        timezone = str(data.get("timezone") or session.tenant.get("timezone") or "UTC")
        figures.clear()
        with figures:
            today = data["today"]
            _figure(t("admin.dashboard.today_total"), _money(session, today["total"]), "today")
            count = int(today["count"])
            _figure(
                t("admin.dashboard.count_label"),
                t("admin.dashboard.today_count_one")
                if count == 1
                else t("admin.dashboard.today_count", n=count),
                "today-count",
            )
            _figure(
                t("admin.dashboard.low_stock"),
                str(data.get("low_stock_count", 0)),
                "low-stock",
                "text-warning" if data.get("low_stock_count") else "text-slate-800",
            )
            _figure(
                t("admin.dashboard.negative_stock"),
                str(data.get("negative_stock_count", 0)),
                "negative-stock",
                "text-negative" if data.get("negative_stock_count") else "text-slate-800",
            )
            transfers = data.get("open_transfers")
            _figure(
                t("admin.dashboard.open_transfers"),
                "—" if transfers is None else str(transfers),
                "open-transfers",
                to="/traslados",
            )
        chart.options.update(_chart_options(session, list(data.get("last_30_days") or [])))
        chart.update()
        per_sede.clear()
        with per_sede:
            ui.label(t("admin.dashboard.per_sede")).classes("font-bold")
            for row in today.get("per_sede") or []:
                with ui.row().classes("w-full justify-between no-wrap gap-2"):
                    ui.label(str(row["name"])).classes("truncate")
                    ui.label(f"{_money(session, row['total'])} · {row['count']}").classes(
                        "stocky-num font-semibold"
                    ).props(f'data-testid="today-sede-{row["sede_id"]}"')
        sedes.clear()
        with sedes:
            ui.label(t("admin.dashboard.sedes")).classes("text-lg font-bold")
            with ui.row().classes("w-full gap-3"):
                for sede in data.get("sedes") or []:
                    _sede_card(sede, timezone)

    await draw()
    live_refresh(session, handled(draw), entities=ENTITIES, presence=True)


def _sede_card(sede: dict[str, Any], timezone: str) -> None:
    online = bool(sede.get("online"))
    with (
        ui.card()
        .classes("stocky-card p-4 gap-1 grow min-w-[260px] basis-[300px]")
        .props(f'data-testid="sede-card-{sede["sede_id"]}"')
    ):
        with ui.row().classes("w-full items-center justify-between no-wrap"):
            ui.label(str(sede["name"])).classes("font-bold truncate")
            ui.badge(
                t("admin.dashboard.online") if online else t("admin.dashboard.offline"),
                color="positive" if online else "grey-7",
            ).props(f'data-testid="sede-online-{sede["sede_id"]}"')
        info_line(
            t("admin.dashboard.last_ping"),
            age(sede.get("last_ping_at"), t("admin.dashboard.never")),
        )
        info_line(
            t("admin.dashboard.last_sync"),
            format_datetime(sede.get("last_sync_at"), timezone)
            if sede.get("last_sync_at")
            else t("admin.dashboard.never"),
        )
        info_line(t("admin.dashboard.pending"), str(sede.get("pending_ops") or 0))
        rejected = int(sede.get("rejected_ops") or 0)
        info_line(
            t("admin.dashboard.rejected"), str(rejected), tone="text-negative" if rejected else ""
        )
        drift = sede.get("max_clock_offset_ms")
        info_line(
            t("admin.dashboard.drift"), "—" if drift is None else f"{int(drift) / 1000:.1f} s"
        )
        # Some caja's clock is off past the cloud's threshold: the worst one, signed.
        worst = sede.get("worst_clock_offset_ms")
        if sede.get("clock_skewed_devices") and worst is not None:
            ui.label("⚠ " + clock_skew_text(int(worst))).classes(
                "text-amber-700 text-sm font-semibold"
            ).props(f'data-testid="sede-clock-{sede["sede_id"]}"')
        if sede.get("clock_untrusted"):
            ui.label(t("admin.dashboard.clock_untrusted")).classes("text-negative text-sm")


ROUTES = {"/": framed("/", body)}
