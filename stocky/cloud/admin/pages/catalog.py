"""The Catalog screen: the tenant's products, searched and filtered on the server, one
cursor page at a time (50,000 products never travel whole); create, edit with version
conflicts, deactivate, images, CSV import and export. Live on product and barcode notices.

Every role that enters the admin reads the catalog; the API lets managers and above edit
it (the whole tenant's catalog: products are not per sede), so the screen offers the same
actions to owner, admin and manager.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nicegui import PageArguments, ui

from stocky.cloud.admin.api import AdminApi, ApiError
from stocky.cloud.admin.layout import framed, handled, page_title
from stocky.cloud.admin.live import live_refresh
from stocky.cloud.admin.pages import catalog_text as _texts  # noqa: F401  (registers keys)
from stocky.cloud.admin.pages.catalog_form import ProductDialog, percent
from stocky.cloud.admin.pages.catalog_import import ImportDialog, export_csv
from stocky.cloud.admin.session import AdminSession
from stocky.ui.formats import format_money
from stocky.ui.i18n import t

PAGE_SIZE = 50
ENTITIES = ("products", "product_barcodes")
EDITORS = ("owner", "admin", "manager")
# Columns a phone drops (Quasar's gt-sm: shown from 1024 px); the table scrolls inside.
WIDE_ONLY = "gt-sm"

_IMAGE_SLOT = r"""
<q-td :props="props">
  <img v-if="props.value" :src="props.value" loading="lazy"
       class="w-9 h-9 rounded object-cover" :data-testid="'thumb-' + props.row.sku" />
  <q-icon v-else name="image_not_supported" size="20px" color="grey-5" />
</q-td>
"""
_ACTIVE_SLOT = r"""
<q-td :props="props">
  <q-badge :color="props.row.active ? 'positive' : 'grey-6'" outline :label="props.value" />
</q-td>
"""
_EDIT_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense round icon="edit" :data-testid="'edit-' + props.row.sku"
         @click="() => $parent.$emit('edit', props.row.id)" />
</q-td>
"""


def _columns() -> list[dict[str, Any]]:
    def col(
        name: str, *, wide_only: bool = False, align: str = "left", wrap: bool = False
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": name,
            "label": t(f"admin.catalog.col.{name}") if name != "edit" else "",
            "field": name,
            "align": align,
        }
        if wide_only:
            spec |= {"classes": WIDE_ONLY, "headerClasses": WIDE_ONLY}
        if wrap:  # a long name wraps instead of pushing the phone's columns out
            spec |= {"classes": "whitespace-normal min-w-[140px]"}
        return spec

    return [
        col("image"),
        col("sku", wide_only=True),
        col("name", wrap=True),
        col("category", wide_only=True),
        col("price", align="right"),
        col("tax", wide_only=True, align="right"),
        col("unit", wide_only=True),
        col("active", wide_only=True),
        col("barcodes", wide_only=True),
        col("edit"),
    ]


class CatalogList:
    """The filters, the table and the cursor pages (a stack: back goes to the cursor used)."""

    def __init__(self, session: AdminSession, api: AdminApi) -> None:
        self.session = session
        self.api = api
        self.cursors: list[str | None] = [None]
        self.next_cursor: str | None = None
        self.categories: set[str] = set()
        self.can_edit = session.role in EDITORS

    def build(self) -> None:
        with ui.row().classes("w-full items-end gap-2 flex-wrap"):
            self.q = (
                ui.input(t("admin.catalog.search"), on_change=self._filtered)
                .props('outlined dense clearable debounce=350 data-testid="catalog-search"')
                .classes("grow min-w-[220px] basis-[320px]")
            )
            with self.q.add_slot("prepend"):
                ui.icon("search")
            self.category = (
                ui.input(t("admin.catalog.category_filter"), on_change=self._filtered)
                .props('outlined dense clearable debounce=350 data-testid="catalog-category"')
                .classes("w-[180px] grow sm:grow-0")
            )
            self.status = (
                ui.select(
                    {
                        "all": t("admin.catalog.status_all"),
                        "active": t("admin.catalog.status_active"),
                        "inactive": t("admin.catalog.status_inactive"),
                    },
                    value="all",
                    label=t("admin.catalog.status_filter"),
                    on_change=self._filtered,
                )
                .props('outlined dense data-testid="catalog-status"')
                .classes("w-[150px]")
            )
        with ui.row().classes("w-full gap-2 flex-wrap"):
            if self.can_edit:
                ui.button(t("admin.catalog.new"), icon="add", on_click=self.new).props(
                    'unelevated no-caps data-testid="catalog-new"'
                )
                ui.button(
                    t("admin.catalog.import"),
                    icon="upload_file",
                    on_click=lambda: ImportDialog(self.api, self.load).open(),
                ).props('outline no-caps data-testid="catalog-import"')
                ui.button(
                    t("admin.catalog.normalize"),
                    icon="auto_fix_high",
                    on_click=lambda: ui.navigate.to("/catalogo/normalizar"),
                ).props('outline no-caps data-testid="catalog-normalize"')
            ui.button(
                t("admin.catalog.export"),
                icon="download",
                on_click=handled(lambda: export_csv(self.api)),
            ).props('outline no-caps data-testid="catalog-export"')
        with ui.element("div").classes("w-full overflow-x-auto"):
            self.table = (
                ui.table(columns=_columns(), rows=[], row_key="id", pagination=0)
                .props('flat bordered dense hide-pagination data-testid="catalog-table"')
                .classes("w-full stocky-card")
            )
        self.table.add_slot("body-cell-image", _IMAGE_SLOT)
        self.table.add_slot("body-cell-active", _ACTIVE_SLOT)
        if self.can_edit:
            self.table.add_slot("body-cell-edit", _EDIT_SLOT)
            self.table.on("edit", lambda e: self.edit(str(e.args)))
        self.empty = ui.label(t("admin.catalog.empty")).classes("stocky-muted")
        self.empty.props('data-testid="catalog-empty"')
        self.empty.set_visibility(False)
        with ui.row().classes("w-full items-center gap-2"):
            self.prev = ui.button(
                t("admin.common.previous"), icon="chevron_left", on_click=handled(self.back)
            ).props('flat no-caps data-testid="catalog-prev"')
            self.page_label = ui.label("").props('data-testid="catalog-page"')
            self.next = ui.button(
                t("admin.common.next"), icon="chevron_right", on_click=handled(self.forward)
            ).props('flat no-caps data-testid="catalog-next"')

    def _params(self) -> dict[str, Any]:
        status = self.status.value
        return {
            "q": str(self.q.value or "").strip() or None,
            "category": str(self.category.value or "").strip() or None,
            "active": {"active": True, "inactive": False}.get(str(status)),
            "limit": PAGE_SIZE,
        }

    async def load(self) -> None:
        """The page at the current cursor, with the current filters (live redraws too)."""
        data = await self.api.get("/api/products", cursor=self.cursors[-1], **self._params())
        items = list(data.get("items") or [])
        self.next_cursor = data.get("next_cursor")
        self.table.rows = [self._row(p) for p in items]
        self.table.update()
        self.empty.set_visibility(not items)
        fresh = {str(p["category"]) for p in items if p.get("category")} - self.categories
        if fresh:
            self.categories |= fresh
            self.category.set_autocomplete(sorted(self.categories))
        self.prev.set_enabled(len(self.cursors) > 1)
        self.next.set_enabled(bool(self.next_cursor))
        self.page_label.text = t("admin.catalog.page", n=len(self.cursors))

    def _row(self, p: dict[str, Any]) -> dict[str, Any]:
        barcodes = [b for b in [p.get("barcode"), *(p.get("barcodes") or [])] if b]
        return {
            "id": str(p["id"]),
            "image": p.get("image_url") or "",
            "sku": p["sku"],
            "name": p["name"],
            "category": p.get("category") or t("admin.common.none"),
            "price": format_money(
                Decimal(str(p["price"])), self.session.currency, self.session.locale
            ),
            "tax": f"{percent(Decimal(str(p.get('tax_rate') or 0)), self.session.locale)} %",
            "unit": t(f"admin.catalog.unit.{p.get('unit') or 'unit'}"),
            "active": t("admin.common.yes" if p.get("active") else "admin.common.no"),
            "barcodes": ", ".join(barcodes) or t("admin.common.none"),
        }

    async def _filtered(self) -> None:
        self.cursors = [None]
        await handled(self.load)()

    async def forward(self) -> None:
        if self.next_cursor:
            self.cursors.append(self.next_cursor)
            await self.load()

    async def back(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            await self.load()

    def new(self) -> None:
        ProductDialog(self.session, self.api, None, self.load).open()

    async def open_product(self, product_id: str) -> bool:
        """The product's dialog from a fresh read; False when it is not the tenant's."""
        try:
            product = await self.api.get(f"/api/products/{product_id}")
        except ApiError as error:
            if error.status in (404, 422):
                ui.notify(t("admin.catalog.not_found"), type="warning")
                return False
            raise
        if self.can_edit:
            ProductDialog(self.session, self.api, product, self.load).open()
        return True

    async def edit(self, product_id: str) -> None:
        async def run() -> None:
            await self.open_product(product_id)

        await handled(run)()


async def _screen(session: AdminSession, api: AdminApi) -> CatalogList:
    page_title(t("admin.catalog.title"))
    catalog = CatalogList(session, api)
    catalog.build()
    await catalog.load()
    live_refresh(session, catalog.load, entities=ENTITIES)
    return catalog


async def body(session: AdminSession, api: AdminApi) -> None:
    await _screen(session, api)


async def product_body(session: AdminSession, api: AdminApi, args: PageArguments) -> None:
    """/catalogo/{product_id}: the list with that product's dialog open (a shareable link)."""
    catalog = await _screen(session, api)
    product_id = str(args.path_parameters.get("product_id") or "")
    if not await catalog.open_product(product_id):
        ui.label(t("admin.catalog.not_found")).classes("text-negative").props(
            'data-testid="catalog-not-found"'
        )


ROUTES = {
    "/catalogo": framed("/catalogo", body),
    "/catalogo/{product_id}": framed("/catalogo", product_body, with_args=True),
}
