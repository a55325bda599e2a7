"""The services' errors as sentences in the person's language, naming the field.

The services raise StockyError with an English message ("lines.0.quantity: only 1.000 left
to return") and the field at fault (`extra["field"]`, or `extra["fields"]` for a
FieldError); the screens show `error_text(exc, labels)` instead, `labels` naming a field the
way the screen does ("lines.0.quantity" -> "Arroz Diana 1 kg"). Never raw English: a case
not mapped here reads as a generic sentence naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from nicegui import ui
from pydantic import ValidationError

from stocky.core.errors import ForbiddenError, StockyError
from stocky.ui.formats import NumberError, format_money, format_quantity
from stocky.ui.i18n import t

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def error_field(exc: BaseException) -> str | None:
    """The field a service error names ("shift", "lines.0.quantity"), if any."""
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        return ".".join(str(p) for p in errors[0]["loc"]) if errors else None
    if not isinstance(exc, StockyError):
        return None
    field = exc.extra.get("field")
    if field:
        return str(field)
    fields = exc.extra.get("fields")
    if isinstance(fields, list) and fields and isinstance(fields[0], dict):
        return str(fields[0].get("field") or "") or None
    return None


def _number_in(message: str) -> Decimal | None:
    found = _NUMBER.findall(message.split(":", 1)[-1])
    try:
        return Decimal(found[0]) if found else None
    except InvalidOperation:
        return None


def _label(field: str, labels: Mapping[str, str]) -> str:
    """How the screen names a field: its own label, or the last part's label, or a word."""
    if field in labels:
        return labels[field]
    for key in (field.rsplit(".", 1)[-1], field.split(".", 1)[0]):
        if key in labels:
            return labels[key]
    return labels.get("*", t("error.this_field"))


def _by_field(
    exc: StockyError, field: str, labels: Mapping[str, str], currency: str, locale: str
) -> str | None:
    message = exc.message
    root = field.split(".", 1)[0]
    if root == "shift":
        return t("error.shift_needed" if "cash" in message else "error.shift_needed_sale")
    if root == "manager":
        if "not a manager" in message:
            return t("error.manager_wrong")
        above = _number_in(message) if "above" in message else None
        if above is not None:
            return t("error.manager_above", amount=format_money(above, currency, locale))
        return t("error.manager_whole")
    if root == "lines" and field == "lines":
        return t("error.return_none", field=labels.get("lines", t("returns.to_return")))
    if field.endswith(".quantity") and "left to return" in message:
        left = _number_in(message) or Decimal(0)
        return t(
            "error.return_left",
            field=_label(field, labels),
            left=format_quantity(left, "x", locale),
        )
    if root == "sale_id" and "already returned" in message:
        return t("error.all_returned")
    if root == "sale_id" and "voided" in message:
        return t("error.sale_voided")
    if root == "refund_method":
        return t("error.refund_method", field=_label(field, labels))
    if root == "amount" and "drawer" in message:
        held = _number_in(message) or Decimal(0)
        return t("error.drawer_short", amount=format_money(held, currency, locale))
    if root == "reason":
        return t("error.reason_needed", field=_label(field, labels))
    return None


def error_text(
    exc: BaseException,
    labels: Mapping[str, str] | None = None,
    *,
    currency: str = "COP",
    locale: str = "es-CO",
) -> str:
    """A sentence in the current language for a service or validation error."""
    labels = labels or {}
    if isinstance(exc, NumberError):
        return str(exc)  # parse_decimal already says it in words, naming the field
    field = error_field(exc)
    if isinstance(exc, ValidationError):
        if field is None:
            return t("error.unexpected")
        root = field.split(".", 1)[0]
        if root == "reason":
            return t("error.reason_needed", field=_label(field, labels))
        if root == "amount" or field.endswith("quantity"):
            return t("error.positive_number", field=_label(field, labels))
        return t("error.field", field=_label(field, labels))
    if isinstance(exc, StockyError):
        if field is not None:
            text = _by_field(exc, field, labels, currency, locale)
            if text is not None:
                return text
            return t("error.field", field=_label(field, labels))
        if isinstance(exc, ForbiddenError):
            return t("error.forbidden")
        if "no shift is open" in exc.message:
            return t("shift.none")
    return t("error.unexpected")


def needs_shift(exc: BaseException) -> bool:
    field = error_field(exc)
    return isinstance(exc, StockyError) and field is not None and field.split(".")[0] == "shift"


def needs_manager(exc: BaseException) -> bool:
    """A refusal a manager's login would lift (not a wrong login, which is also `manager`)."""
    return (
        isinstance(exc, ForbiddenError)
        and error_field(exc) == "manager"
        and "not a manager" not in exc.message
    )


def shift_needed_dialog(text: str) -> None:
    """The shift-needed sentence with a button to the shift screen (Esc closes it)."""
    with ui.dialog() as dialog, ui.card().classes("p-6 gap-3 w-[460px]"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("lock_clock", size="32px").classes("text-warning")
            ui.label(text).classes("text-base").props('data-testid="error-shift"')
        with ui.row().classes("w-full justify-end gap-2 mt-2"):
            ui.button(t("common.back"), on_click=dialog.close).props("flat no-caps")

            def go() -> None:
                dialog.close()
                ui.navigate.to("/turno")

            ui.button(t("shift.open"), icon="lock_open", on_click=go).props(
                'unelevated no-caps autofocus data-testid="error-open-shift"'
            )
    dialog.open()


def show_error(
    exc: BaseException,
    labels: Mapping[str, str] | None = None,
    *,
    currency: str = "COP",
    locale: str = "es-CO",
) -> str:
    """Tell the person what went wrong (a dialog with "Abrir turno" when a shift is needed)."""
    text = error_text(exc, labels, currency=currency, locale=locale)
    if needs_shift(exc):
        shift_needed_dialog(text)
    else:
        ui.notify(text, type="negative", multi_line=True)
    return text
