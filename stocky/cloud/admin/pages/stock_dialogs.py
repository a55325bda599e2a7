"""The Stock screen's dialogs: a product's minimum and maximum at a sede, and a sede's
opening stock (typed lines or a CSV file, with a dry run and the per-line report)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from nicegui import events, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors, notify_error
from stocky.cloud.admin.layout import handled
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_quantity
from stocky.ui.i18n import t

_SEPARATOR = re.compile(r"[;\t]")


def _plain(value: Any, unit: str, locale: str) -> str:
    return "" if value is None else format_quantity(Decimal(str(value)), unit, locale)


async def open_thresholds(
    api: AdminApi,
    session: AdminSession,
    item: dict[str, Any],
    sede_id: str,
    sede_name: str,
    current: dict[str, Any] | None,
    *,
    on_saved: Callable[[], Awaitable[None]],
) -> None:
    """Min and max of one product at one sede (PUT .../thresholds)."""
    unit = str(item.get("unit") or "unit")
    locale = session.locale
    min_label, max_label = t("admin.stock.min"), t("admin.stock.max")
    errors = FormErrors()
    with (
        ui.dialog() as dialog,
        ui.card().classes("w-full max-w-[440px] p-5 gap-3").props('data-testid="thresholds"'),
    ):
        ui.label(t("admin.stock.thresholds_title", product=item["name"], sede=sede_name)).classes(
            "text-lg font-bold"
        )
        minimum = ui.input(
            min_label, value=_plain((current or {}).get("min_stock", 0), unit, locale)
        ).props('outlined inputmode=decimal data-testid="threshold-min"')
        minimum.classes("w-full")
        maximum = ui.input(
            max_label, value=_plain((current or {}).get("max_stock"), unit, locale)
        ).props(f'outlined inputmode=decimal hint="{t("admin.stock.max_hint")}"')
        maximum.props('data-testid="threshold-max"').classes("w-full")

        async def save(*_: object) -> None:
            errors.clear(minimum, maximum)
            low = errors.decimal(minimum, min_label, locale)
            high = errors.decimal(maximum, max_label, locale, required=False)
            if low is not None and high is not None and high < low:
                errors.add(maximum, t("admin.stock.max_below_min", field=max_label))
            if not errors.ok:
                return
            body = {"min_stock": str(low), "max_stock": None if high is None else str(high)}
            try:
                await api.put(f"/api/inventory/{sede_id}/{item['product_id']}/thresholds", body)
            except ApiError as error:
                fields = {"min_stock": (minimum, min_label), "max_stock": (maximum, max_label)}
                if error.status != 422 or not errors.show_api_error(error, fields):
                    notify_error(error)
                return
            dialog.close()
            ui.notify(t("admin.stock.thresholds_saved"), type="positive")
            await on_saved()

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.common.cancel"), on_click=dialog.close).props("flat no-caps")
            ui.button(t("admin.common.save"), on_click=handled(save)).props(
                'unelevated no-caps data-testid="threshold-save"'
            )
    dialog.open()


def _field_label(field: str) -> str:
    key = f"admin.stock.field_{field.split('.')[-1]}"
    text = t(key)
    return field if text == key else text


def _report(box: ui.column, report: dict[str, Any]) -> None:
    """The API's OpeningReport: how many lines applied (or would), and each bad line."""
    box.clear()
    with box:
        key = (
            "admin.stock.opening_would_apply"
            if report["dry_run"]
            else "admin.stock.opening_applied"
        )
        ui.label(t(key, n=report["applied"])).classes("font-bold").props(
            'data-testid="opening-applied"'
        )
        faults = list(report.get("errors") or [])
        if not faults:
            return
        ui.label(t("admin.stock.opening_errors", n=len(faults))).classes("text-negative")
        with ui.element("div").classes("w-full overflow-x-auto max-h-[240px] overflow-y-auto"):
            with (
                ui.element("table").classes("w-full text-sm").props('data-testid="opening-errors"')
            ):
                with ui.element("tr"):
                    for head in ("admin.stock.line", "admin.stock.field", "admin.stock.message"):
                        with ui.element("th").classes("text-left px-2 text-slate-600"):
                            ui.label(t(head))
                for fault in faults:
                    with ui.element("tr").classes("border-t border-slate-100"):
                        with ui.element("td").classes("px-2 stocky-num"):
                            ui.label(str(fault["line"]))
                        with ui.element("td").classes("px-2"):
                            ui.label(_field_label(str(fault["field"])))
                        with ui.element("td").classes("px-2"):
                            ui.label(str(fault["message"]))


def _line_faults(error: ApiError) -> list[dict[str, Any]]:
    """A 422 on the request's shape (body.lines.3.quantity) as the report's lines."""
    faults = []
    for fault in error.fields if error.status == 422 else []:
        parts = fault.field.split(".")
        if "lines" in parts:
            at = parts.index("lines")
            if at + 1 < len(parts) and parts[at + 1].isdigit():
                field = parts[at + 2] if at + 2 < len(parts) else "line"
                faults.append(
                    {"line": int(parts[at + 1]) + 1, "field": field, "message": fault.message}
                )
    return faults


def parse_lines(text: str) -> tuple[list[dict[str, str]], list[int], list[int]]:
    """'SKU; quantity' per line (or a tab, or the first comma: a decimal comma may follow);
    the API judges the numbers. Returns the lines, the text line of each (blank lines are
    skipped, so the API's item numbers are mapped back), and the unreadable lines."""
    lines: list[dict[str, str]] = []
    numbers: list[int] = []
    bad: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = _SEPARATOR.split(raw, maxsplit=1)
        if len(parts) < 2:
            parts = raw.split(",", 1)
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            bad.append(number)
            continue
        lines.append({"sku": parts[0].strip(), "quantity": parts[1].strip()})
        numbers.append(number)
    return lines, numbers, bad


def _api_quantity(text: str, locale: str) -> str:
    """The person's number (1.250,5 in es-CO) as the API's plain decimal, when it reads."""
    from stocky.ui.formats import parse_decimal

    try:
        return str(parse_decimal(text, locale))
    except ValueError:
        return text  # the API names the line and the field


async def _post_lines(
    api: AdminApi, sede_id: str, body: dict[str, Any], dry_run: bool, numbers: list[int]
) -> dict[str, Any]:
    """POST the typed lines; the report's item numbers become the text's line numbers."""
    try:
        answer: dict[str, Any] = await api.call(
            "POST",
            f"/api/inventory/{sede_id}/opening",
            json=body,
            params={"dry_run": "true" if dry_run else None},
        )
    except ApiError as error:
        faults = _line_faults(error)
        if not faults:
            raise
        answer = {"dry_run": True, "applied": 0, "errors": faults}
    for fault in answer.get("errors") or []:
        item = int(fault["line"])
        if 1 <= item <= len(numbers):
            fault["line"] = numbers[item - 1]
    return answer


async def open_opening(
    api: AdminApi, session: AdminSession, sedes: list[dict[str, Any]], sede_id: str | None
) -> None:
    """A sede's opening stock: lines typed here or a CSV file; try first, then load."""
    errors = FormErrors()
    lines_label = t("admin.stock.opening_lines")
    sede_label = t("admin.stock.sede_filter")
    with (
        ui.dialog() as dialog,
        ui.card().classes("w-full max-w-[620px] p-5 gap-3").props('data-testid="opening"'),
    ):
        ui.label(t("admin.stock.opening_title")).classes("text-lg font-bold")
        sede = ui.select(
            {str(s["id"]): str(s["name"]) for s in sedes},
            value=sede_id or (str(sedes[0]["id"]) if sedes else None),
            label=sede_label,
        ).props('outlined data-testid="opening-sede"')
        sede.classes("w-full")
        ui.label(t("admin.stock.opening_help")).classes("stocky-muted text-sm")
        text = ui.textarea(lines_label).props('outlined autogrow data-testid="opening-lines"')
        text.classes("w-full")
        note = ui.input(t("admin.stock.opening_note")).props(
            'outlined dense data-testid="opening-note"'
        )
        note.classes("w-full")
        report = ui.column().classes("w-full gap-1").props('data-testid="opening-report"')

        async def send(dry_run: bool) -> None:
            errors.clear(text, sede)
            if not sede.value:
                errors.add(sede, t("admin.form.required", field=sede_label))
            lines, numbers, bad = parse_lines(str(text.value or ""))
            if bad:
                errors.add(text, t("admin.stock.opening_bad_line", line=bad[0]))
            elif not lines:
                errors.add(text, t("admin.form.required", field=lines_label))
            if not errors.ok:
                return
            for line in lines:
                line["quantity"] = _api_quantity(line["quantity"], session.locale)
            body: dict[str, Any] = {"lines": lines}
            if str(note.value or "").strip():
                body["note"] = str(note.value).strip()
            answer = await _post_lines(api, str(sede.value), body, dry_run, numbers)
            _report(report, answer)

        async def uploaded(event: events.UploadEventArguments) -> None:
            errors.clear(text, sede)
            if not sede.value:
                errors.add(sede, t("admin.form.required", field=sede_label))
                return
            data = await event.file.read()
            answer = await api.call(
                "POST",
                f"/api/inventory/{sede.value}/opening/import",
                content=data,
                headers={"Content-Type": "text/csv"},
                params={"dry_run": "true" if csv_dry_run.value else None},
            )
            _report(report, answer)
            upload.reset()

        async def upload_handler(event: events.UploadEventArguments) -> None:
            # NiceGUI hands the event only to a handler that names a parameter.
            await handled(uploaded)(event)

        with ui.row().classes("w-full justify-end gap-2 flex-wrap"):
            ui.button(t("admin.common.close"), on_click=dialog.close).props(
                'flat no-caps data-testid="opening-close"'
            )
            ui.button(
                t("admin.stock.opening_dry_run"), on_click=handled(lambda *_: send(True))
            ).props('outline no-caps data-testid="opening-try"')
            ui.button(
                t("admin.stock.opening_apply"), on_click=handled(lambda *_: send(False))
            ).props('unelevated no-caps data-testid="opening-apply"')
        ui.separator()
        csv_dry_run = ui.checkbox(t("admin.stock.opening_csv_dry_run"), value=True).props(
            'data-testid="opening-csv-dry-run"'
        )
        upload = (
            ui.upload(
                label=t("admin.stock.opening_csv"), auto_upload=True, on_upload=upload_handler
            )
            .props('accept=".csv,text/csv" flat bordered data-testid="opening-csv"')
            .classes("w-full")
        )
    dialog.open()
