"""The transfers screens' dialogs: a new request (POST /api/transfers/request), a reject
with its reason, a cancel.

The form checks what it can (sedes picked and different, at least one line, each quantity
a positive number with at most 3 decimals, whole for products counted in units); the API
judges the rest and its fields come back on the inputs they name (lines.2.quantity on the
third line). A sede without a caja online is a 409 the form says in plain words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors, notify_error
from stocky.cloud.admin.layout import handled
from stocky.cloud.admin.pages import transfers_text  # noqa: F401  (registers the texts)
from stocky.cloud.admin.session import AdminSession
from stocky.ui.i18n import t

SEARCH_LIMIT = 8
Done = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Line:
    product: dict[str, Any]
    quantity: ui.input
    row: ui.row


def check_quantity(errors: FormErrors, element: ui.input, unit: str, locale: str) -> str | None:
    """The quantity typed (comma or dot) as the API's exact decimal string, or None."""
    label = t("admin.transfers.form.quantity")
    value = errors.decimal(element, label, locale)
    if value is None:
        return None
    if value <= 0:
        errors.add(element, t("admin.transfers.form.positive", field=label))
        return None
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -3:
        errors.add(element, t("admin.transfers.form.places", field=label))
        return None
    if unit == "unit" and value != value.to_integral_value():
        errors.add(element, t("admin.transfers.form.whole", field=label))
        return None
    return str(value.quantize(Decimal("0.001")))


class RequestForm:
    """The dialog's inputs, its lines and the answer to the API's refusals."""

    def __init__(
        self, api: AdminApi, session: AdminSession, sedes: list[dict[str, Any]], on_done: Done
    ) -> None:
        self.api = api
        self.session = session
        self.on_done = on_done
        self.sede_names = {str(s["id"]): str(s["name"]) for s in sedes}
        self.errors = FormErrors()
        self.lines: list[Line] = []
        own = None if session.sees_every_sede else str(session.sede_id)
        with (
            ui.dialog() as self.dialog,
            ui.card()
            .classes("w-full max-w-[640px] p-5 gap-3")
            .props('data-testid="transfer-form"'),
        ):
            ui.label(t("admin.transfers.form.title")).classes("text-lg font-bold")
            ui.label(t("admin.transfers.form.help")).classes("stocky-muted text-sm")
            with ui.row().classes("w-full gap-3 no-wrap max-sm:flex-wrap"):
                self.origin = ui.select(
                    {k: v for k, v in self.sede_names.items() if k != own},
                    label=t("admin.transfers.form.origin"),
                ).props('outlined dense data-testid="transfer-origin"')
                self.origin.classes("grow basis-[200px]")
                self.destination = ui.select(
                    self.sede_names, label=t("admin.transfers.form.destination"), value=own
                ).props('outlined dense data-testid="transfer-destination"')
                self.destination.classes("grow basis-[200px]")
                if own is not None:
                    self.destination.disable()  # a manager asks for its own sede
            self.banner = (
                ui.label()
                .classes("w-full text-negative bg-red-50 rounded p-2 text-sm")
                .props('data-testid="transfer-form-banner"')
            )
            self.banner.set_visibility(False)
            self.search = ui.input(t("admin.transfers.form.search")).props(
                'outlined dense clearable data-testid="transfer-search"'
            )
            self.search.classes("w-full")
            self.search.on("keydown.enter", handled(self.find))
            with self.search.add_slot("append"):
                ui.button(icon="search", on_click=handled(self.find)).props(
                    'flat round dense data-testid="transfer-search-go"'
                )
            self.found = ui.column().classes("w-full gap-1").props('data-testid="transfer-found"')
            ui.label(t("admin.transfers.form.lines")).classes("font-semibold")
            self.no_lines = ui.label(t("admin.transfers.form.no_lines")).classes(
                "stocky-muted text-sm"
            )
            self.box = ui.column().classes("w-full gap-2").props('data-testid="transfer-lines"')
            self.note = ui.input(t("admin.transfers.form.note")).props(
                'outlined dense data-testid="transfer-note"'
            )
            self.note.classes("w-full")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("admin.common.close"), on_click=self.dialog.close).props(
                    'flat no-caps data-testid="transfer-form-close"'
                )
                ui.button(t("admin.transfers.form.submit"), on_click=handled(self.submit)).props(
                    'unelevated no-caps data-testid="transfer-submit"'
                )

    async def find(self, *_: object) -> None:
        q = str(self.search.value or "").strip()
        self.found.clear()
        if not q:
            return
        page = await self.api.get("/api/products", q=q, active=True, limit=SEARCH_LIMIT)
        with self.found:
            if not page["items"]:
                ui.label(t("admin.transfers.form.search_none")).classes("stocky-muted text-sm")
            for product in page["items"]:
                with ui.row().classes("w-full items-center no-wrap gap-2 text-sm"):
                    ui.label(f"{product['name']} · {product['sku']}").classes("grow truncate")
                    ui.button(
                        t("admin.transfers.form.add"),
                        icon="add",
                        on_click=lambda _, p=product: self.add(p),
                    ).props(f'flat dense no-caps data-testid="add-{product["sku"]}"')

    def add(self, product: dict[str, Any]) -> None:
        for line in self.lines:
            if line.product["id"] == product["id"]:
                line.quantity.run_method("focus")
                return
        sku = str(product["sku"])
        with self.box, ui.row().classes("w-full items-start no-wrap gap-2") as row:
            with ui.column().classes("grow min-w-0 gap-0 pt-2"):
                ui.label(str(product["name"])).classes("font-semibold truncate w-full")
                ui.label(sku).classes("stocky-muted text-xs")
            quantity = ui.input(t("admin.transfers.form.quantity")).props(
                f'outlined dense inputmode=decimal data-testid="line-qty-{sku}"'
            )
            quantity.classes("w-[130px] shrink-0")
            line = Line(product, quantity, row)
            ui.button(icon="delete", on_click=lambda: self.remove(line)).props(
                f'flat round dense data-testid="line-remove-{sku}"'
            ).tooltip(t("admin.transfers.form.remove"))
        self.lines.append(line)
        self.no_lines.set_visibility(False)
        self.found.clear()
        self.search.value = ""

    def remove(self, line: Line) -> None:
        self.lines.remove(line)
        line.row.delete()
        self.no_lines.set_visibility(not self.lines)

    def _body(self) -> dict[str, Any] | None:
        errors = self.errors
        errors.clear(self.origin, self.destination, self.search, self.note)
        errors.clear(*(line.quantity for line in self.lines))
        self.banner.set_visibility(False)
        origin_label = t("admin.transfers.form.origin")
        destination_label = t("admin.transfers.form.destination")
        if not self.origin.value:
            errors.add(self.origin, t("admin.form.required", field=origin_label))
        if not self.destination.value:
            errors.add(self.destination, t("admin.form.required", field=destination_label))
        elif self.destination.value == self.origin.value:
            errors.add(
                self.destination, t("admin.transfers.form.same_sede", field=destination_label)
            )
        if not self.lines:
            errors.add(self.search, t("admin.transfers.form.no_lines"))
        lines = []
        for line in self.lines:
            unit = str(line.product.get("unit") or "unit")
            quantity = check_quantity(errors, line.quantity, unit, self.session.locale)
            lines.append({"product_id": str(line.product["id"]), "quantity": quantity})
        if not errors.ok:
            return None
        body: dict[str, Any] = {
            "from_sede_id": self.origin.value,
            "to_sede_id": self.destination.value,
            "lines": lines,
        }
        if str(self.note.value or "").strip():
            body["note"] = str(self.note.value).strip()
        return body

    async def submit(self, *_: object) -> None:
        body = self._body()
        if body is None:
            return
        try:
            transfer: dict[str, Any] = await self.api.post("/api/transfers/request", body)
        except ApiError as error:
            if not self.show_error(error):
                notify_error(error)
            return
        self.dialog.close()
        ui.notify(t("admin.transfers.requested"), type="positive")
        await self.on_done(transfer)

    def show_error(self, error: ApiError) -> bool:
        """Place the API's refusal on the form; False when it names nothing here."""
        if error.status == 409 and error.body.get("sede_id"):
            sede_id = str(error.body["sede_id"])
            name = self.sede_names.get(sede_id, sede_id)
            key = "deactivated" if "deactivated" in error.message else "offline"
            message = t(f"admin.transfers.form.{key}", sede=name)
            self.banner.set_text(message)
            self.banner.set_visibility(True)
            for select in (self.origin, self.destination):
                if select.value == sede_id:
                    self.errors.add(select, message)
            return True
        placed = False
        for fault in error.fields:
            parts = fault.field.split(".")
            element = self._element_for(parts)
            if element is not None:
                self.errors.add(element, fault.message)
                placed = True
        return placed

    def _element_for(self, parts: list[str]) -> ui.input | ui.select | None:
        if "lines" in parts:
            at = parts.index("lines")
            if at + 1 < len(parts) and parts[at + 1].isdigit():
                index = int(parts[at + 1])
                if index < len(self.lines):
                    return self.lines[index].quantity
            return self.search
        inputs: dict[str, ui.input | ui.select] = {
            "from_sede_id": self.origin,
            "to_sede_id": self.destination,
            "note": self.note,
        }
        return inputs.get(parts[-1])


async def open_request(
    api: AdminApi, session: AdminSession, sedes: list[dict[str, Any]], on_done: Done
) -> None:
    RequestForm(api, session, [s for s in sedes if s.get("active", True)], on_done).dialog.open()


def open_reason(api: AdminApi, transfer: dict[str, Any], action: str, on_done: Done) -> None:
    """Reject (a reason is required) or cancel (a reason if the person gives one)."""
    required = action == "reject"
    label = t("admin.transfers.reject_reason" if required else "admin.transfers.cancel_reason")
    errors = FormErrors()
    with (
        ui.dialog() as dialog,
        ui.card().classes("w-full max-w-[480px] p-5 gap-3").props(f'data-testid="{action}-dialog"'),
    ):
        ui.label(t(f"admin.transfers.{action}_title")).classes("text-lg font-bold")
        if required:
            ui.label(t("admin.transfers.reject_help")).classes("stocky-muted text-sm")
        reason = ui.textarea(label).props(f'outlined autogrow data-testid="{action}-reason"')
        reason.classes("w-full")

        async def send(*_: object) -> None:
            errors.clear(reason)
            text = errors.required(reason, label) if required else str(reason.value or "").strip()
            if not errors.ok:
                return
            body = {"reason": text} if text else {}
            try:
                answer = await api.post(f"/api/transfers/{transfer['id']}/{action}", body)
            except ApiError as error:
                fields = {"reason": (reason, label)}
                if error.status != 422 or not errors.show_api_error(error, fields):
                    notify_error(error)
                return
            dialog.close()
            done = "rejected" if required else "cancelled"
            ui.notify(t(f"admin.transfers.{done}"), type="positive")
            await on_done(answer)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(t("admin.transfers.keep"), on_click=dialog.close).props("flat no-caps")
            confirm = "admin.transfers.reject" if required else "admin.transfers.cancel"
            ui.button(t(confirm), on_click=handled(send)).props(
                f'unelevated no-caps color=negative data-testid="{action}-confirm"'
            )
    dialog.open()
