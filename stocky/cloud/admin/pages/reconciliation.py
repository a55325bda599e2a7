"""Reconciliation findings (GET /api/reconciliation): kind, status and sede filters, cursor
pages, newest first; acknowledging one with a note, correcting a stock drift (admin or
owner), and running the checks now.

Findings are not in the change feed, so the screen does not redraw on notices: after "check
now" it re-reads the list for a little while (the job runs in seconds), and "refresh" reads
it again on demand. The buttons follow the API's rules; the API still decides.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import notify_error
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.pages import reconciliation_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.pages.audit import when
from stocky.cloud.admin.session import AdminSession
from stocky.ui.i18n import t

PAGE = 50
KINDS = ("shift_gap", "stock_drift", "clock_skew", "rejected_ops")
STATUSES = ("open", "acknowledged", "resolved")
COLOURS = {"open": "negative", "acknowledged": "orange-8", "resolved": "positive"}
# After "check now": re-read the list every second this many times (the job is quick).
FOLLOW_TICKS = 20


def summary(finding: dict[str, Any]) -> str:
    """One line that says what does not add up."""
    details = finding.get("details") or {}
    kind = finding["kind"]
    if kind == "shift_gap":
        diffs = ", ".join(f"{k} {v}" for k, v in sorted((details.get("differences") or {}).items()))
        return t("admin.recon.summary.shift_gap", shift=str(finding["subject"])[-6:], diffs=diffs)
    if kind == "stock_drift":
        return t(
            "admin.recon.summary.stock_drift",
            sku=details.get("sku", ""),
            name=details.get("name", ""),
            stock=details.get("stock_quantity", "?"),
            moved=details.get("movements_quantity", "?"),
        )
    if kind == "clock_skew":
        seconds = round(int(details.get("clock_offset_ms") or 0) / 1000)
        return t(
            "admin.recon.summary.clock_skew", device=details.get("device_name", ""), seconds=seconds
        )
    return t("admin.recon.summary.rejected_ops", n=details.get("count", 0))


class FindingsScreen:
    def __init__(self, session: AdminSession, api: AdminApi, sedes: list[dict[str, Any]]) -> None:
        self.session = session
        self.api = api
        self.sede_names = {str(s["id"]): str(s["name"]) for s in sedes}
        self.items: list[dict[str, Any]] = []
        self.cursor: str | None = None
        self.ticks = 0
        ui.label(t("admin.recon.help")).classes("stocky-muted text-sm")
        with ui.row().classes("w-full items-end gap-3 flex-wrap"):
            self.kind = ui.select(
                {"": t("admin.recon.kind_all")} | {k: t(f"admin.recon.kind.{k}") for k in KINDS},
                value="",
                label=t("admin.recon.kind"),
                on_change=handled(self.search),
            ).props('dense outlined data-testid="filter-kind"')
            self.kind.classes("w-full sm:w-56")
            self.status = ui.select(
                {"": t("admin.recon.status_all")}
                | {s: t(f"admin.recon.status.{s}") for s in STATUSES},
                value="open",
                label=t("admin.recon.status"),
                on_change=handled(self.search),
            ).props('dense outlined data-testid="filter-status"')
            self.status.classes("w-full sm:w-44")
            self.sede: ui.select | None = None
            if session.sees_every_sede:
                self.sede = ui.select(
                    {"": t("admin.recon.all_sedes")} | self.sede_names,
                    value="",
                    label=t("admin.recon.sede"),
                    on_change=handled(self.search),
                ).props('dense outlined data-testid="filter-sede"')
                self.sede.classes("w-full sm:w-48")
            ui.space()
            ui.button(
                t("admin.recon.refresh"), icon="refresh", on_click=handled(self.search)
            ).props('flat no-caps data-testid="recon-refresh"')
            if session.sees_every_sede:
                ui.button(
                    t("admin.recon.run"), icon="fact_check", on_click=handled(self.run)
                ).props('unelevated no-caps data-testid="recon-run"')
        self.shown = ui.label().classes("stocky-muted text-sm").props('data-testid="recon-count"')
        self.list = ui.column().classes("w-full gap-2").props('data-testid="recon-list"')
        self.empty = ui.label(t("admin.recon.empty")).classes("stocky-muted")
        self.empty.props('data-testid="recon-empty"')
        self.more = ui.button(t("admin.recon.load_more"), icon="expand_more").props(
            'outline no-caps data-testid="load-more"'
        )
        self.more.on_click(handled(self.load_more))
        self.timer = ui.timer(1.0, handled(self.follow), active=False)
        self.before_run: set[str] = set()
        # Dialogs live outside the list: a redraw clears the list (and what was made in it).
        self.dialogs = ui.element("div")

    def params(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value or None,
            "status": self.status.value or None,
            "sede_id": (self.sede.value or None) if self.sede is not None else None,
        }

    async def search(self, *_: object) -> None:
        page = await self.api.get("/api/reconciliation", **self.params(), limit=PAGE)
        self.items, self.cursor = list(page["items"]), page["next_cursor"]
        self.redraw()

    async def load_more(self, *_: object) -> None:
        if self.cursor is None:
            return
        page = await self.api.get(
            "/api/reconciliation", **self.params(), cursor=self.cursor, limit=PAGE
        )
        self.items += list(page["items"])
        self.cursor = page["next_cursor"]
        self.redraw()

    async def run(self, *_: object) -> None:
        await self.api.post("/api/reconciliation/stock/run")
        ui.notify(t("admin.recon.run_queued"), type="info")
        self.ticks = FOLLOW_TICKS
        self.before_run = {str(f["id"]) for f in self.items}
        self.timer.activate()

    async def follow(self) -> None:
        """Re-read until the job's findings show (or a while has passed)."""
        self.ticks -= 1
        await self.search()
        if self.ticks <= 0 or {str(f["id"]) for f in self.items} != self.before_run:
            self.timer.deactivate()

    def redraw(self) -> None:
        self.list.clear()
        with self.list:
            for finding in self.items:
                self._card(finding)
        self.shown.set_text(t("admin.recon.shown", n=len(self.items)))
        self.empty.set_visibility(not self.items)
        self.more.set_visibility(self.cursor is not None)

    def _card(self, finding: dict[str, Any]) -> None:
        fid, status, kind = str(finding["id"]), str(finding["status"]), str(finding["kind"])
        details = finding.get("details") or {}
        with (
            ui.card()
            .classes("w-full p-3 gap-1")
            .props(f'flat bordered data-testid="finding-{fid}" data-kind="{kind}"')
        ):
            with ui.row().classes("w-full items-center gap-2 no-wrap"):
                ui.badge(t(f"admin.recon.kind.{kind}"), color="primary").props("outline")
                ui.label(self.sede_names.get(str(finding["sede_id"]), "")).classes(
                    "stocky-muted text-sm"
                )
                ui.space()
                ui.badge(t(f"admin.recon.status.{status}"), color=COLOURS[status]).props(
                    f'data-testid="finding-status-{fid}"'
                )
            ui.label(summary(finding)).classes("font-semibold").props(
                f'data-testid="finding-summary-{fid}"'
            )
            ui.label(f"{t('admin.recon.detected')}: {when(self.session, finding['detected_at'])}")
            if kind == "shift_gap" and details.get("waiting_for_caja"):
                ui.label(t("admin.recon.waiting", n=details.get("pending_ops"))).classes(
                    "text-orange-8 text-sm"
                )
            if finding.get("ack_note"):
                ui.label(t("admin.recon.note", note=finding["ack_note"])).classes(
                    "stocky-muted text-sm"
                ).props(f'data-testid="finding-note-{fid}"')
            if status == "resolved":
                return
            with ui.row().classes("gap-2"):
                if status == "open":
                    ui.button(
                        t("admin.recon.acknowledge"),
                        icon="done",
                        on_click=lambda f=finding: self.open_ack(f),
                    ).props(f'flat no-caps dense data-testid="ack-{fid}"')
                if kind == "stock_drift" and self.session.sees_every_sede:
                    ui.button(
                        t("admin.recon.correct"),
                        icon="build",
                        on_click=lambda f=finding: self.open_correct(f),
                    ).props(f'flat no-caps dense color=negative data-testid="correct-{fid}"')

    def _dialog(self, testid: str, title: str, help_text: str | None, path: str, done: str) -> None:
        with (
            self.dialogs,
            ui.dialog() as dialog,
            ui.card().classes("w-full max-w-[480px] p-5 gap-3").props(f'data-testid="{testid}"'),
        ):
            ui.label(title).classes("text-lg font-bold")
            if help_text:
                ui.label(help_text).classes("stocky-muted text-sm")
            note = ui.textarea(t("admin.recon.ack_note")).props(
                f'outlined autogrow data-testid="{testid}-note"'
            )
            note.classes("w-full")

            async def send(*_: object) -> None:
                text = str(note.value or "").strip()
                try:
                    await self.api.post(path, {"note": text} if text else {})
                except ApiError as error:
                    notify_error(error)
                    return
                dialog.close()
                ui.notify(t(done), type="positive")
                await self.search()

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("admin.recon.keep"), on_click=dialog.close).props("flat no-caps")
                ui.button(title, on_click=handled(send)).props(
                    f'unelevated no-caps data-testid="{testid}-confirm"'
                )
        dialog.open()

    def open_ack(self, finding: dict[str, Any]) -> None:
        self._dialog(
            "ack-dialog",
            t("admin.recon.ack_title"),
            None,
            f"/api/reconciliation/{finding['id']}/acknowledge",
            "admin.recon.acknowledged",
        )

    def open_correct(self, finding: dict[str, Any]) -> None:
        difference = Decimal(str((finding.get("details") or {}).get("difference", "0")))
        self._dialog(
            "correct-dialog",
            t("admin.recon.correct_title"),
            t("admin.recon.correct_help", difference=f"{difference:+}"),
            f"/api/reconciliation/{finding['id']}/correct",
            "admin.recon.corrected",
        )


async def list_body(session: AdminSession, api: AdminApi) -> None:
    page_title(t("admin.recon.title"))
    sedes = list(await api.get("/api/sedes"))
    screen = FindingsScreen(session, api, sedes)
    await screen.search()


ROUTES = {"/conciliacion": framed("/conciliacion", list_body)}
