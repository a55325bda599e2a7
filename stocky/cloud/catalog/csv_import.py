"""Import and export of the catalog as CSV.

An import validates every row before writing anything, then applies all the good rows in
the request's one transaction with bulk statements, and reports each bad row with its line
number. Bad rows do not stop the good ones (the file's author fixes and re-imports only
those lines; re-importing good lines is harmless, they come back `unchanged`). A dry run
answers the same report and writes nothing.
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.catalog import repository as repo
from stocky.cloud.catalog.csv_io import (
    ParsedFile,
    ParsedRow,
    RowError,
    export_catalog,
    parse_catalog,
)
from stocky.cloud.catalog.schemas import ImportReport, ImportRowError
from stocky.cloud.catalog.service import unique_violations
from stocky.cloud.kit.csv_text import CsvFileError
from stocky.cloud.kit.pagination import InvalidFieldError
from stocky.cloud.models import Product
from stocky.core.ids import new_id

DEFAULTS: dict[str, Any] = {
    "category": None,
    "barcode": None,
    "price": Decimal("0.00"),
    "cost": Decimal("0.00"),
    "tax_rate": Decimal("0.0000"),
    "unit": "unit",
    "active": True,
    "image_url": None,
}
FIELDS = ("name", *DEFAULTS)


def _drop_duplicates(parsed: ParsedFile) -> list[ParsedRow]:
    """Rows whose SKU or barcode repeats an earlier row are errors, not silent merges."""
    seen_sku: dict[str, int] = {}
    seen_code: dict[str, int] = {}
    kept: list[ParsedRow] = []
    for row in parsed.rows:
        if row.sku in seen_sku:
            parsed.errors.append(
                RowError(row.line, "sku", f"{row.sku!r} repeats line {seen_sku[row.sku]}")
            )
            continue
        codes = _codes(row.values)
        clash = next(((f, c) for f, c in codes if c in seen_code), None)
        if clash is not None:
            field, code = clash
            parsed.errors.append(
                RowError(row.line, field, f"{code!r} repeats line {seen_code[code]}")
            )
            continue
        seen_sku[row.sku] = row.line
        seen_code.update({c: row.line for _, c in codes})
        kept.append(row)
    return kept


def _codes(values: dict[str, Any]) -> list[tuple[str, str]]:
    pairs = [("barcode", values["barcode"])] if values.get("barcode") else []
    return pairs + [("barcodes", c) for c in values.get("barcodes") or []]


def _current(product: Product) -> dict[str, Any]:
    return {name: getattr(product, name) for name in FIELDS}


def _check_barcodes(
    row: ParsedRow,
    target: dict[str, Any],
    extra: list[str],
    product_id: uuid.UUID | None,
    owners: dict[str, tuple[uuid.UUID, str]],
) -> RowError | None:
    if target["barcode"] is not None and target["barcode"] in extra:
        return RowError(row.line, "barcodes", f"{target['barcode']!r} is also the main barcode")
    for field, code in _codes({"barcode": target["barcode"], "barcodes": extra}):
        holder = owners.get(code)
        if holder is not None and holder[0] != product_id:
            return RowError(row.line, field, f"{code!r} is already used by SKU {holder[1]!r}")
    return None


class _Plan:
    def __init__(self) -> None:
        self.creates: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.barcodes: dict[uuid.UUID, list[str]] = {}
        self.unchanged = 0


async def _plan(
    session: AsyncSession, user: Principal, parsed: ParsedFile, rows: list[ParsedRow], lock: bool
) -> _Plan:
    existing = await repo.products_by_sku(session, user.tenant_id, [r.sku for r in rows], lock=lock)
    extras = await repo.extra_barcodes(session, user.tenant_id, [p.id for p in existing.values()])
    owners = await repo.barcode_owners(
        session, user.tenant_id, (c for r in rows for _, c in _codes(r.values))
    )
    has_price = "price" in parsed.columns
    plan = _Plan()
    for row in rows:
        product = existing.get(row.sku)
        values = dict(row.values)
        new_extra: list[str] | None = values.pop("barcodes", None)
        if product is None:
            missing = [f for f in ("name", "price") if f not in values]
            if "price" in missing and not has_price:
                missing.remove("price")
            if missing:
                parsed.errors.extend(
                    RowError(row.line, f, "required for a new product") for f in missing
                )
                continue
            target = DEFAULTS | values
            current_extra: list[str] = []
        else:
            target = _current(product) | values
            current_extra = extras.get(product.id, [])
        extra = current_extra if new_extra is None else new_extra
        error = _check_barcodes(row, target, extra, product.id if product else None, owners)
        if error is not None:
            parsed.errors.append(error)
            continue
        if product is None:
            product_id = new_id()
            plan.creates.append(
                target
                | {"tenant_id": user.tenant_id, "id": product_id, "sku": row.sku}
                | {"last_modified_by": user.user_id}
            )
            if extra:
                plan.barcodes[product_id] = extra
            continue
        barcodes_changed = sorted(extra) != sorted(current_extra)
        if target == _current(product) and not barcodes_changed:
            plan.unchanged += 1
            continue
        # Any change, even to the extra barcodes only, bumps the product's version.
        plan.updates.append(
            target | {"id": product.id, "sku": row.sku, "last_modified_by": user.user_id}
        )
        if barcodes_changed:
            plan.barcodes[product.id] = extra
    return plan


async def import_catalog(
    session: AsyncSession, user: Principal, data: bytes, *, dry_run: bool
) -> ImportReport:
    """Validate every row, then create or update by SKU in the caller's transaction."""
    started = time.perf_counter()
    try:
        parsed = parse_catalog(data)
    except CsvFileError as exc:
        raise InvalidFieldError("file", str(exc)) from exc
    rows = _drop_duplicates(parsed)
    plan = await _plan(session, user, parsed, rows, lock=not dry_run)
    if not dry_run:
        async with unique_violations():
            await repo.bulk_insert(session, plan.creates)
            await repo.bulk_update(session, user.tenant_id, plan.updates)
            await repo.replace_extra_barcodes(session, user.tenant_id, plan.barcodes)
    errors = sorted(parsed.errors, key=lambda e: (e.line, e.field))
    return ImportReport(
        dry_run=dry_run,
        rows=parsed.total_rows,
        created=len(plan.creates),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        errors=[ImportRowError(line=e.line, field=e.field, message=e.message) for e in errors],
        warnings=parsed.warnings,
        ignored_columns=parsed.ignored_columns,
        elapsed_ms=int((time.perf_counter() - started) * 1000),
    )


async def export_csv(session: AsyncSession, user: Principal, *, excel: bool) -> str:
    products = await repo.all_products(session, user.tenant_id)
    extras = await repo.extra_barcodes(session, user.tenant_id, [p.id for p in products])
    rows = ({"sku": p.sku, **_current(p), "barcodes": extras.get(p.id, [])} for p in products)
    return export_catalog(rows, excel=excel)
