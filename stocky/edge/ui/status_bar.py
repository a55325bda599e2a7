"""The bar at the foot of every screen: link to the cloud, outbox, LAN role, clock, user and
sede."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.status import caja_status
from stocky.edge.ui.runtime import CajaRuntime
from stocky.edge.ui.status_lan import lan_epoch_text, lan_role_text
from stocky.ui.clock_health import clock_skew_text
from stocky.ui.formats import format_age, format_datetime
from stocky.ui.i18n import t

REFRESH_S = 1.0
# On the dark bar: green reads as "all well"; offline is a solid red badge a cashier sees
# from across the counter, and the pending count turns amber while nothing can leave.
ONLINE_CLASSES = "font-semibold text-green-400"
OFFLINE_CLASSES = "font-bold px-2 rounded bg-red-600 text-white"
PENDING_CLASSES = "stocky-num"
PENDING_OFFLINE_CLASSES = "stocky-num font-semibold text-amber-300"


def _last_sync(status: dict[str, Any]) -> str | None:
    moments = [m for m in (status.get("last_push_at"), status.get("last_pull_at")) if m]
    return max(moments) if moments else None


def status_bar(runtime: CajaRuntime, user: LocalUser | None) -> None:
    store = runtime.require_store()
    tz = runtime.sede.timezone if runtime.sede else "UTC"
    with ui.row().classes(
        "stocky-statusbar fixed bottom-0 left-0 right-0 items-center gap-5 px-4 py-1 z-50"
    ):
        link = ui.label().classes("font-semibold").props('data-testid="status-online"')
        pending = ui.label().classes("stocky-num").props('data-testid="status-pending"')
        synced = ui.label()
        drift = ui.label().classes("text-amber-400 font-semibold")
        drift.props('data-testid="status-clock"').mark("status-clock")
        rejected = ui.link("", "/sincronizacion").classes("text-red-300 font-semibold")
        with ui.row().classes("items-baseline gap-1 no-wrap"):
            lan_role = ui.label().props('data-testid="status-lan"').mark("status-lan")
            lan_epoch = ui.label().classes("text-xs opacity-70 stocky-num")
            lan_epoch.props('data-testid="status-lan-epoch"').mark("status-lan-epoch")
            lan_role.tooltip(t("status.lan.tooltip"))
        ui.space()
        clock = ui.label().classes("stocky-num")
        if user is not None:
            ui.label(f"{user.name} · {runtime.sede.sede_name if runtime.sede else ''}").classes(
                "font-medium"
            )

    threshold = runtime.settings.clock_skew_threshold_seconds

    async def refresh() -> None:
        status = await store.aread(lambda conn: caja_status(conn, clock_skew_threshold_s=threshold))
        online = bool(status["online"])
        link.text = ("● " + t("status.online")) if online else ("⚠ " + t("status.offline"))
        link.classes(replace=ONLINE_CLASSES if online else OFFLINE_CLASSES)
        count = status["pending_ops"]
        pending.classes(replace=PENDING_CLASSES if online or not count else PENDING_OFFLINE_CLASSES)
        text = t("status.pending_one") if count == 1 else t("status.pending", count=count)
        if status["pending_ops"]:
            text += " · " + t("status.oldest", age=format_age(status["oldest_pending_age_seconds"]))
        pending.text = text
        last = _last_sync(status)
        synced.text = t(
            "status.last_sync",
            when=format_datetime(last, tz) if last else t("status.never"),
        )
        # Past the threshold sales get the wrong hour in reports, and far past it the
        # cloud refuses their timestamps: the cashier is told to fix the PC's clock.
        drift.visible = bool(status["clock_skewed"])
        if drift.visible:
            offset = int(status["clock_offset_ms"])
            drift.text = f"⚠ {clock_skew_text(offset)} · {t('clock.check_pc')}"
        bad = int(status["rejected_ops"]) + int(status["conflict_ops"])
        held = int(status.get("waiting_ops", 0)) + int(status.get("stuck_ops", 0))
        rejected.visible = bad > 0 or held > 0
        warnings = [t("status.rejected", count=bad)] if bad else []
        if held:
            warnings.append(t("status.held", count=held))
        rejected.text = "⚠ " + " · ".join(warnings)
        lan = status["lan"]
        lan_role.text = lan_role_text(lan)
        lan_epoch.text = lan_epoch_text(lan)
        lan_epoch.visible = bool(lan_epoch.text)
        clock.text = format_datetime(utc_now(), tz)

    ui.timer(REFRESH_S, refresh, immediate=True)
