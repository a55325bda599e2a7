"""The sync screen: the outbox in numbers and the ops the cloud rejected, with reasons."""

from __future__ import annotations

from nicegui import ui

from stocky.edge.auth.session import LocalUser
from stocky.edge.sync.status import caja_status
from stocky.edge.ui import repository as repo
from stocky.edge.ui.runtime import CajaRuntime
from stocky.ui.formats import format_age, format_datetime
from stocky.ui.i18n import t


async def body(runtime: CajaRuntime, user: LocalUser) -> None:
    store = runtime.require_store()
    tz = runtime.sede.timezone if runtime.sede else "UTC"
    status = await store.aread(caja_status)
    with ui.row().classes("w-full gap-4"):
        for label, value in (
            (t("status.online") if status["online"] else t("status.offline"), "●"),
            (t("status.pending", count=""), str(status["pending_ops"])),
            (t("status.oldest", age=""), format_age(status["oldest_pending_age_seconds"])),
            (t("status.rejected", count=""), str(status["rejected_ops"] + status["conflict_ops"])),
            (t("status.held", count=""), str(status["waiting_ops"] + status["stuck_ops"])),
        ):
            with ui.column().classes("stocky-card p-4 gap-0 min-w-[180px]"):
                ui.label(value).classes("text-3xl font-bold stocky-num")
                ui.label(label.strip()).classes("stocky-muted")
    if status["held_ops"]:
        ui.label(t("sync.held_title")).classes("text-lg font-bold mt-2")
        held_columns = [
            {"name": "when", "label": t("sync.when"), "field": "when", "align": "left"},
            {"name": "kind", "label": t("sync.kind"), "field": "kind", "align": "left"},
            {"name": "attempts", "label": t("sync.attempts"), "field": "attempts"},
            {"name": "reason", "label": t("sync.reason"), "field": "reason", "align": "left"},
        ]
        held_rows = [
            {
                "op_id": op["op_id"],
                "when": format_datetime(op["created_at"], tz),
                "kind": t(f"kind.{op['kind']}"),
                "attempts": op["attempts"],
                "reason": op["reason"] or "",
            }
            for op in status["held_ops"]
        ]
        ui.table(columns=held_columns, rows=held_rows, row_key="op_id").classes(
            "w-full stocky-card"
        ).props("flat")
    ui.label(t("sync.rejected_title")).classes("text-lg font-bold mt-2")
    ops = await store.aread(repo.rejected_ops)
    if not ops:
        ui.label(t("sync.none_rejected")).classes("stocky-muted")
        return
    columns = [
        {"name": "when", "label": t("sync.when"), "field": "when", "align": "left"},
        {"name": "kind", "label": t("sync.kind"), "field": "kind", "align": "left"},
        {"name": "reason", "label": t("sync.reason"), "field": "reason", "align": "left"},
    ]
    rows = [
        {
            "seq": op.seq,
            "when": format_datetime(op.client_ts, tz),
            "kind": t(f"kind.{op.kind}"),
            "reason": op.reason,
        }
        for op in ops
    ]
    ui.table(columns=columns, rows=rows, row_key="seq").classes("w-full stocky-card").props("flat")
