"""The product dialog: create, edit (based on a version), image, deactivate, and the
stale-edit screen that shows the current row beside the person's change.

An edit sends only the fields the person changed, with the version the form was filled
from. When someone else saved first the API answers 409 with the current row; the dialog
then shows both and lets the person apply their changes on top of the current version
(the fields they did not touch take the other person's values) or discard theirs.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from nicegui import ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.forms import FormErrors, notify_error
from stocky.cloud.admin.layout import handled
from stocky.cloud.admin.pages import catalog_text as _texts  # noqa: F401  (registers keys)
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_money, format_number
from stocky.ui.i18n import t

Done = Callable[[], Awaitable[None]]
FIELDS = ("sku", "name", "category", "barcode", "barcodes", "price", "cost", "tax_rate", "unit")
FIELDS_ALL = (*FIELDS, "active")
_BARCODE = re.compile(r"^[0-9A-Za-z\-._]{1,64}$")
HUNDRED = Decimal(100)
IMAGE_TYPES = ".jpg,.jpeg,.png,.webp"
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def values_of(product: dict[str, Any]) -> dict[str, Any]:
    """The editable fields of an API row, typed (Decimal money, list of extra barcodes)."""
    return {
        "sku": str(product["sku"]),
        "name": str(product["name"]),
        "category": product.get("category") or None,
        "barcode": product.get("barcode") or None,
        "barcodes": list(product.get("barcodes") or []),
        "price": Decimal(str(product["price"])),
        "cost": Decimal(str(product.get("cost") or 0)),
        "tax_rate": Decimal(str(product.get("tax_rate") or 0)),
        "unit": str(product.get("unit") or "unit"),
        "active": bool(product.get("active", True)),
    }


def _typed(value: Decimal, locale: str) -> str:
    """A number as the person would type it: no decimals when whole."""
    places = 0 if value == value.to_integral_value() else 2
    return format_number(value, places, locale)


def percent(rate: Decimal, locale: str) -> str:
    return _typed((rate * HUNDRED).normalize(), locale)


def shown(session: AdminSession, name: str, value: Any) -> str:
    """A field's value for a person to read (the conflict comparison)."""
    if value is None or value == [] or value == "":
        return t("admin.common.none")
    if name in ("price", "cost"):
        return format_money(Decimal(value), session.currency, session.locale)
    if name == "tax_rate":
        return f"{percent(Decimal(value), session.locale)} %"
    if name == "unit":
        return t(f"admin.catalog.unit.{value}")
    if name == "active":
        return t("admin.common.yes" if value else "admin.common.no")
    if name == "barcodes":
        return ", ".join(value)
    return str(value)


def _json(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in changes.items()}


def _label(name: str) -> str:
    return t("admin.catalog.form.tax" if name == "tax_rate" else f"admin.catalog.form.{name}")


class ProductDialog:
    """One dialog for one product (or a new one); `done` redraws the list after a save."""

    def __init__(
        self, session: AdminSession, api: AdminApi, product: dict[str, Any] | None, done: Done
    ) -> None:
        self.session = session
        self.api = api
        self.product = product
        self.done = done
        self.base = values_of(product) if product else None
        self.image: tuple[str, bytes, str] | None = None
        self.remove_image = False
        self.errors = FormErrors()
        self.dialog = ui.dialog().props("persistent")
        # Each opening builds a new dialog: a closed one is dropped, not kept hidden.
        self.dialog.on("hide", self.dialog.delete)
        with self.dialog, ui.card().classes("w-full max-w-[680px] gap-3"):
            self._build()
        if product:
            self._fill(values_of(product))

    # --- layout --------------------------------------------------------------------
    def _build(self) -> None:
        editing = self.product is not None
        with ui.row().classes("w-full items-center"):
            ui.label(
                t("admin.catalog.form.edit_title" if editing else "admin.catalog.form.new_title")
            ).classes("text-lg font-bold")
            ui.space()
            self.version_label = ui.label("").classes("stocky-muted text-sm")
            self.version_label.props('data-testid="product-version"')
        self.conflict = ui.column().classes("w-full gap-2")
        self.conflict.set_visibility(False)
        self.inputs: dict[str, Any] = {}
        with ui.element("div").classes("w-full grid grid-cols-1 sm:grid-cols-2 gap-x-4 gap-y-1"):
            for name in ("sku", "name", "category", "barcode"):
                self.inputs[name] = self._input(name)
            self.inputs["barcodes"] = self._input("barcodes").classes("sm:col-span-2")
            for name in ("price", "cost", "tax_rate"):
                self.inputs[name] = self._input(name)
            self.inputs["unit"] = (
                ui.select(
                    {
                        "unit": t("admin.catalog.unit.unit"),
                        "weight": t("admin.catalog.unit.weight"),
                    },
                    value="unit",
                    label=_label("unit"),
                )
                .props('outlined dense data-testid="product-unit"')
                .classes("w-full")
            )
        self.active = ui.switch(t("admin.catalog.form.active"), value=True).props(
            'data-testid="product-active"'
        )
        self._image_block()
        with ui.row().classes("w-full items-center justify-end gap-2 flex-wrap"):
            if self.product is not None and self.product.get("active"):
                ui.button(t("admin.catalog.deactivate"), on_click=self._confirm_deactivate).props(
                    'flat color=negative no-caps data-testid="product-deactivate"'
                )
            ui.space()
            ui.button(t("admin.common.cancel"), on_click=self.dialog.close).props(
                'flat no-caps data-testid="product-cancel"'
            )
            ui.button(t("admin.common.save"), on_click=handled(self.save)).props(
                'unelevated no-caps data-testid="product-save"'
            )

    def _input(self, name: str) -> ui.input:
        return (
            ui.input(_label(name))
            .props(f'outlined dense data-testid="product-{name.replace("_", "-")}"')
            .classes("w-full")
        )

    def _image_block(self) -> None:
        with ui.row().classes("w-full items-center gap-3 flex-wrap"):
            url = (self.product or {}).get("image_url")
            if url:
                ui.image(str(url)).classes("w-16 h-16 rounded object-cover").props(
                    'data-testid="product-image-current"'
                )
            ui.upload(
                label=t("admin.catalog.form.image"),
                on_upload=self._take_image,
                auto_upload=True,
                max_file_size=MAX_IMAGE_BYTES,
            ).props(f'accept="{IMAGE_TYPES}" flat bordered data-testid="product-image"').classes(
                "max-w-full w-[280px]"
            ).style("max-height: 120px")
            if url:
                ui.button(
                    t("admin.catalog.form.image_remove"), icon="delete", on_click=self._drop_image
                ).props('flat dense no-caps data-testid="product-image-remove"')
        self.image_note = ui.label("").classes("text-sm text-primary")
        self.image_note.props('data-testid="product-image-note"')

    # --- values --------------------------------------------------------------------
    def _fill(self, values: dict[str, Any]) -> None:
        locale = self.session.locale
        for name in ("sku", "name", "category", "barcode"):
            self.inputs[name].value = values[name] or ""
        self.inputs["barcodes"].value = ", ".join(values["barcodes"])
        self.inputs["price"].value = _typed(values["price"], locale)
        self.inputs["cost"].value = _typed(values["cost"], locale)
        self.inputs["tax_rate"].value = percent(values["tax_rate"], locale)
        self.inputs["unit"].value = values["unit"]
        self.active.value = values["active"]
        if self.product is not None:
            self.version_label.text = t("admin.catalog.form.version", n=self.product["version"])

    def read(self) -> dict[str, Any] | None:
        """The form's values, typed; None (with the fields marked) when something is wrong."""
        errors, locale = self.errors, self.session.locale
        errors.clear(*self.inputs.values())
        sku = errors.required(self.inputs["sku"], _label("sku"))
        name = errors.required(self.inputs["name"], _label("name"))
        price = errors.decimal(self.inputs["price"], _label("price"), locale)
        cost = errors.decimal(self.inputs["cost"], _label("cost"), locale, required=False)
        tax = errors.decimal(self.inputs["tax_rate"], _label("tax_rate"), locale, required=False)
        for element, key, value in (("price", "price", price), ("cost", "cost", cost)):
            if value is not None and value < 0:
                errors.add(
                    self.inputs[element], t("admin.catalog.form.not_negative", field=_label(key))
                )
        if tax is not None and not (0 <= tax < HUNDRED):
            errors.add(
                self.inputs["tax_rate"], t("admin.catalog.form.tax_range", field=_label("tax_rate"))
            )
        barcode = str(self.inputs["barcode"].value or "").strip() or None
        if barcode and not _BARCODE.match(barcode):
            errors.add(
                self.inputs["barcode"], t("admin.catalog.form.bad_barcode", field=_label("barcode"))
            )
        extra_text = str(self.inputs["barcodes"].value or "")
        extras = [b.strip() for b in extra_text.split(",") if b.strip()]
        if any(not _BARCODE.match(b) for b in extras):
            errors.add(
                self.inputs["barcodes"],
                t("admin.catalog.form.bad_barcode", field=_label("barcodes")),
            )
        if not errors.ok:
            return None
        return {
            "sku": sku,
            "name": name,
            "category": str(self.inputs["category"].value or "").strip() or None,
            "barcode": barcode,
            "barcodes": list(dict.fromkeys(extras)),
            "price": (price or Decimal(0)).quantize(Decimal("0.01")),
            "cost": (cost or Decimal(0)).quantize(Decimal("0.01")),
            "tax_rate": ((tax or Decimal(0)) / HUNDRED).quantize(Decimal("0.0001")),
            "unit": str(self.inputs["unit"].value or "unit"),
            "active": bool(self.active.value),
        }

    def _changes(self, wanted: dict[str, Any]) -> dict[str, Any]:
        assert self.base is not None
        return {k: v for k, v in wanted.items() if v != self.base[k]}

    # --- actions -------------------------------------------------------------------
    async def _take_image(self, event: Any) -> None:
        data = await event.file.read()
        self.image = (event.file.name, data, event.file.content_type or "application/octet-stream")
        self.remove_image = False
        self.image_note.text = t("admin.catalog.form.image_pending")

    def _drop_image(self) -> None:
        self.image, self.remove_image = None, True
        self.image_note.text = t("admin.catalog.form.image_removed")

    async def save(self) -> None:
        wanted = self.read()
        if wanted is None:
            ui.notify(t("admin.form.fix"), type="warning")
            return
        try:
            if self.product is None:
                saved = await self.api.post("/api/products", _json(wanted))
                message = t("admin.catalog.created")
            else:
                changes = self._changes(wanted)
                if not changes and self.image is None and not self.remove_image:
                    ui.notify(t("admin.catalog.nothing_changed"))
                    return
                saved = self.product
                if changes:
                    body = {"version": self.product["version"], **_json(changes)}
                    saved = await self.api.patch(f"/api/products/{self.product['id']}", body)
                message = t("admin.catalog.saved")
        except ApiError as error:
            self._refused(error, wanted)
            return
        await self._save_image(str(saved["id"]))
        self.dialog.close()
        ui.notify(message, type="positive")
        await self.done()

    async def _save_image(self, product_id: str) -> None:
        try:
            if self.image is not None:
                name, data, mime = self.image
                await self.api.call(
                    "PUT", f"/api/products/{product_id}/image", files={"file": (name, data, mime)}
                )
            elif self.remove_image:
                await self.api.call("DELETE", f"/api/products/{product_id}/image")
        except ApiError as error:
            ui.notify(
                t("admin.catalog.image_failed", message=error.message),
                type="negative",
                multi_line=True,
                close_button=True,
            )

    def _refused(self, error: ApiError, wanted: dict[str, Any]) -> None:
        current = error.body.get("current")
        if error.status == 409 and isinstance(current, dict):
            self._show_conflict(current, wanted)
            return
        field = str(error.body.get("field") or "")
        if error.status == 409 and field in self.inputs:
            self.errors.add(self.inputs[field], t("admin.catalog.form.taken", field=_label(field)))
            return
        placed = self.errors.show_api_error(
            error, {name: (element, _label(name)) for name, element in self.inputs.items()}
        )
        if not placed:
            notify_error(error)

    # --- a stale edit ----------------------------------------------------------------
    def _show_conflict(self, current: dict[str, Any], wanted: dict[str, Any]) -> None:
        mine = self._changes(wanted)
        theirs = values_of(current)
        assert self.base is not None
        moved = {k for k in FIELDS_ALL if theirs[k] != self.base[k]}
        rows = [
            {
                "field": _label(k) if k != "active" else t("admin.catalog.col.active"),
                "current": shown(self.session, k, theirs[k]),
                "yours": shown(self.session, k, mine[k])
                if k in mine
                else t("admin.catalog.conflict.unchanged"),
            }
            for k in FIELDS_ALL
            if k in mine or k in moved
        ]
        self.conflict.clear()
        with self.conflict, ui.card().classes("w-full bg-amber-50 p-3 gap-2"):
            ui.label(t("admin.catalog.conflict.title")).classes("font-bold text-amber-900").props(
                'data-testid="conflict-title"'
            )
            ui.label(t("admin.catalog.conflict.explain", n=current["version"])).classes("text-sm")
            with ui.element("div").classes("w-full overflow-x-auto"):
                ui.table(
                    columns=[
                        {
                            "name": c,
                            "label": t(f"admin.catalog.conflict.{c}"),
                            "field": c,
                            "align": "left",
                        }
                        for c in ("field", "current", "yours")
                    ],
                    rows=rows,
                    row_key="field",
                    pagination=0,
                ).props('flat dense hide-bottom data-testid="conflict-table"').classes("w-full")
            with ui.row().classes("w-full gap-2 flex-wrap"):
                ui.button(
                    t("admin.catalog.conflict.redo"),
                    on_click=handled(lambda: self._redo(current, mine)),
                ).props('unelevated no-caps data-testid="conflict-redo"')
                ui.button(
                    t("admin.catalog.conflict.discard"), on_click=lambda: self._discard(current)
                ).props('flat no-caps data-testid="conflict-discard"')
        self.conflict.set_visibility(True)

    def _rebase(self, current: dict[str, Any]) -> None:
        self.product, self.base = current, values_of(current)
        self.conflict.set_visibility(False)

    async def _redo(self, current: dict[str, Any], mine: dict[str, Any]) -> None:
        """The person's changes on top of the current row, saved again on its version."""
        self._rebase(current)
        assert self.base is not None
        self._fill({**self.base, **mine})
        await self.save()

    def _discard(self, current: dict[str, Any]) -> None:
        self._rebase(current)
        assert self.base is not None
        self.image, self.remove_image = None, False
        self.image_note.text = ""
        self._fill(self.base)

    # --- deactivate ----------------------------------------------------------------
    def _confirm_deactivate(self) -> None:
        assert self.product is not None
        with ui.dialog() as confirm, ui.card().classes("w-full max-w-[460px]"):
            ui.label(t("admin.catalog.deactivate_confirm", name=self.product["name"]))
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(t("admin.common.cancel"), on_click=confirm.close).props("flat no-caps")

                async def go() -> None:
                    assert self.product is not None
                    confirm.close()
                    await self.api.call(
                        "DELETE",
                        f"/api/products/{self.product['id']}",
                        params={"version": self.product["version"]},
                    )
                    self.dialog.close()
                    ui.notify(t("admin.catalog.deactivated"), type="positive")
                    await self.done()

                ui.button(t("admin.catalog.deactivate"), on_click=handled(go)).props(
                    'unelevated color=negative no-caps data-testid="deactivate-confirm"'
                )
        confirm.open()

    def open(self) -> None:
        self.dialog.open()
