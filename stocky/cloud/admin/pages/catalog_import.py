"""CSV import (a trial run first, with the API's per-line report, then for real) and export.

The file stays in this dialog's memory between the trial and the import, so what is
imported is exactly what was tried.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi
from stocky.cloud.admin.layout import handled
from stocky.cloud.admin.pages import catalog_text as _texts  # noqa: F401  (registers keys)
from stocky.ui.i18n import t

MAX_CSV_BYTES = 20 * 1024 * 1024
SHOWN_ERRORS = 200  # the report's lines beyond these are summed up, not drawn


class ImportDialog:
    def __init__(self, api: AdminApi, done: Callable[[], Awaitable[None]]) -> None:
        self.api = api
        self.done = done
        self.file: tuple[str, bytes] | None = None
        self.dialog = ui.dialog()
        # Each opening builds a new dialog: a closed one is dropped, not kept hidden.
        self.dialog.on("hide", self.dialog.delete)
        with self.dialog, ui.card().classes("w-full max-w-[760px] gap-3"):
            ui.label(t("admin.catalog.import.title")).classes("text-lg font-bold")
            ui.label(t("admin.catalog.import.help")).classes("text-sm stocky-muted")
            ui.upload(
                label=t("admin.catalog.import.file"),
                on_upload=self._take,
                auto_upload=True,
                max_file_size=MAX_CSV_BYTES,
            ).props('accept=".csv,.txt,text/csv" flat bordered data-testid="import-file"').classes(
                "w-full max-w-[420px]"
            )
            self.file_note = ui.label("").classes("text-sm").props('data-testid="import-file-note"')
            self.report = ui.column().classes("w-full gap-2")
            with ui.row().classes("w-full justify-end gap-2 flex-wrap"):
                ui.button(t("admin.common.close"), on_click=self.dialog.close).props(
                    'flat no-caps data-testid="import-close"'
                )
                ui.button(
                    t("admin.catalog.import.dry_run"), on_click=handled(lambda: self.run(True))
                ).props('outline no-caps data-testid="import-dry-run"')
                self.real = ui.button(
                    t("admin.catalog.import.run"), on_click=handled(lambda: self.run(False))
                ).props('unelevated no-caps data-testid="import-run"')
                self.real.disable()

    async def _take(self, event: Any) -> None:
        self.file = (event.file.name, await event.file.read())
        self.file_note.text = t("admin.catalog.import.file_ready", name=event.file.name)
        self.report.clear()
        self.real.disable()  # a new file is tried before it is imported

    async def run(self, dry_run: bool) -> None:
        if self.file is None:
            ui.notify(t("admin.catalog.import.no_file"), type="warning")
            return
        name, data = self.file
        report = await self.api.call(
            "POST",
            "/api/products/import",
            params={"dry_run": "true" if dry_run else "false"},
            files={"file": (name, data, "text/csv")},
        )
        self._show(report)
        if dry_run:
            self.real.enable()
        else:
            self.real.disable()
            await self.done()

    def _show(self, report: dict[str, Any]) -> None:
        errors = list(report.get("errors") or [])
        self.report.clear()
        with self.report:
            key = "report_dry" if report["dry_run"] else "report_done"
            ui.label(t(f"admin.catalog.import.{key}")).classes("font-bold").props(
                'data-testid="import-report-title"'
            )
            ui.label(
                t(
                    "admin.catalog.import.summary",
                    rows=report["rows"],
                    created=report["created"],
                    updated=report["updated"],
                    unchanged=report["unchanged"],
                    errors=len(errors),
                )
            ).props('data-testid="import-summary"')
            if report.get("ignored_columns"):
                ui.label(
                    t("admin.catalog.import.ignored", columns=", ".join(report["ignored_columns"]))
                ).classes("text-sm stocky-muted")
            for warning in report.get("warnings") or []:
                ui.label(f"{t('admin.catalog.import.warnings')}: {warning}").classes(
                    "text-sm text-amber-800"
                )
            if errors:
                with ui.element("div").classes("w-full overflow-x-auto max-h-[320px]"):
                    ui.table(
                        columns=[
                            {
                                "name": c,
                                "label": t(f"admin.catalog.import.{c}"),
                                "field": c,
                                "align": "left",
                            }
                            for c in ("line", "field", "message")
                        ],
                        rows=[{"key": i, **e} for i, e in enumerate(errors[:SHOWN_ERRORS])],
                        row_key="key",
                        pagination=0,
                    ).props('flat dense hide-bottom data-testid="import-errors"').classes("w-full")

    def open(self) -> None:
        self.dialog.open()


async def export_csv(api: AdminApi) -> None:
    """The whole catalog as the API writes it, handed to the browser as a download."""
    data = await api.call("GET", "/api/products/export")
    content = data if isinstance(data, bytes) else str(data).encode("utf-8")
    ui.download.content(content, "productos.csv", "text/csv")
