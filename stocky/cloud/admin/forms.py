"""Form checks and error messages in the person's language, naming the field.

A form checks what it can before calling the API (required, length, number, email), with
messages from the catalog; what only the API can judge comes back as an ErrorOut whose
`fields` name the API's field, mapped here to the form's own label and input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from nicegui import ui

from stocky.cloud.admin.api import ApiError
from stocky.ui.formats import parse_decimal
from stocky.ui.i18n import t

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FormErrors:
    """Collects per-input errors; shows them on the inputs (Quasar's error slot)."""

    def __init__(self) -> None:
        self.messages: dict[ui.input | ui.number | ui.select | ui.textarea, str] = {}

    def clear(self, *inputs: ui.input | ui.number | ui.select | ui.textarea) -> None:
        for element in inputs:
            element.props(remove="error error-message")
        self.messages.clear()

    def add(self, element: ui.input | ui.number | ui.select | ui.textarea, message: str) -> None:
        self.messages.setdefault(element, message)
        element.props(f'error error-message="{_attr(message)}"')

    def required(self, element: ui.input | ui.textarea, label: str) -> str:
        value = str(element.value or "").strip()
        if not value:
            self.add(element, t("admin.form.required", field=label))
        return value

    def min_length(self, element: ui.input, label: str, n: int) -> str:
        value = str(element.value or "")
        if len(value) < n:
            self.add(element, t("admin.form.min_length", field=label, n=n))
        return value

    def email(self, element: ui.input, label: str) -> str:
        value = self.required(element, label).lower()
        if value and not _EMAIL.match(value):
            self.add(element, t("admin.form.invalid_email", field=label))
        return value

    def decimal(
        self, element: ui.input, label: str, locale: str, *, required: bool = True
    ) -> Decimal | None:
        text = str(element.value or "").strip()
        if not text:
            if required:
                self.add(element, t("admin.form.required", field=label))
            return None
        try:
            return parse_decimal(text, locale, field=label)
        except ValueError:
            self.add(element, t("admin.form.invalid_number", field=label))
            return None

    @property
    def ok(self) -> bool:
        return not self.messages

    def show_api_error(
        self,
        error: ApiError,
        inputs: Mapping[str, tuple[ui.input | ui.number | ui.select | ui.textarea, str]],
    ) -> bool:
        """Put each field the API named on its input ({api field: (input, label)});
        True when at least one was placed (else the caller shows a notification)."""
        placed = False
        for fault in error.fields:
            name = fault.field.split(".")[-1]
            if name in inputs:
                element, label = inputs[name]
                self.add(element, f"{label}: {fault.message}")
                placed = True
        return placed


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;")


def error_text(error: ApiError) -> str:
    """A sentence for a notification, in the person's language where the status says enough."""
    if error.status == 403:
        return f"{t('admin.error.forbidden')} ({error.message})"
    if error.status == 404:
        return t("admin.error.not_found")
    if error.status == 409 and error.code in ("conflict", "stale_version", "version_conflict"):
        return t("admin.error.conflict")
    if error.status in (502, 503, 504):
        return t("admin.error.unavailable")
    return t("admin.error.generic", message=error.message)


def notify_error(error: ApiError) -> None:
    ui.notify(error_text(error), type="negative", multi_line=True, close_button=True)
