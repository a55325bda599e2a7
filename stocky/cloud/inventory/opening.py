"""Opening stock: a sede's first quantities, recorded as entry movements, never overwritten.

A product that already has movements at the sede is refused (its stock is already being
counted; later corrections are entries or adjustments). Like the catalog import, every
line is validated first, bad lines are reported by number, and the good ones are applied
in the request's transaction as one document.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as repo
from stocky.cloud.inventory.schemas import OpeningError, OpeningReport, OpeningStockIn
from stocky.cloud.inventory.service import Movement, record_movements, require_sede
from stocky.cloud.kit.csv_text import (
    CsvFileError,
    decode,
    normalize_header,
    parse_decimal,
    sniff_separator,
    unescape_cell,
)
from stocky.cloud.kit.pagination import InvalidFieldError
from stocky.core.ids import new_id
from stocky.core.money import AmountError, money, quantity
from stocky.core.ops import whole_units_problem

SKU_HEADERS = ("sku", "codigo", "referencia", "ref")
QTY_HEADERS = ("quantity", "cantidad", "qty", "existencias", "stock")
COST_HEADERS = ("unit_cost", "cost", "costo", "costo_unitario")


@dataclass
class _Line:
    line: int
    quantity: Decimal
    product_id: uuid.UUID | None = None
    sku: str | None = None
    unit_cost: Decimal | None = None


async def _apply(
    session: AsyncSession,
    user: Principal,
    sede_id: uuid.UUID,
    lines: list[_Line],
    errors: list[OpeningError],
    *,
    note: str | None,
    dry_run: bool,
) -> OpeningReport:
    await require_sede(session, user, sede_id)
    by_id = await repo.products_by_id(
        session, user.tenant_id, [ln.product_id for ln in lines if ln.product_id]
    )
    by_sku = await repo.products_by_sku(session, user.tenant_id, [ln.sku for ln in lines if ln.sku])
    started = await repo.products_with_movements(
        session, user.tenant_id, sede_id, [p.id for p in [*by_id.values(), *by_sku.values()]]
    )
    seen: dict[uuid.UUID, int] = {}
    movements: list[Movement] = []
    document_id = new_id()
    now = datetime.now(UTC)
    for ln in lines:
        product = by_id.get(ln.product_id) if ln.product_id else by_sku.get(ln.sku or "")
        field = "product_id" if ln.product_id else "sku"
        if product is None:
            errors.append(OpeningError(line=ln.line, field=field, message="no such product"))
        elif product.id in seen:
            message = f"the product repeats line {seen[product.id]}"
            errors.append(OpeningError(line=ln.line, field=field, message=message))
        elif product.id in started:
            message = "already has movements at this sede: record an entry or adjustment"
            errors.append(OpeningError(line=ln.line, field=field, message=message))
        elif problem := whole_units_problem(product.unit, ln.quantity):
            errors.append(OpeningError(line=ln.line, field="quantity", message=problem))
        else:
            seen[product.id] = ln.line
            movements.append(
                Movement(
                    product_id=product.id,
                    type="entry",
                    quantity=ln.quantity,
                    client_timestamp=now,
                    document_id=document_id,
                    unit_cost=ln.unit_cost if ln.unit_cost is not None else product.cost,
                    product_version=product.version,
                    user_id=user.user_id,
                    note=note or "opening stock",
                )
            )
    if movements and not dry_run:
        await record_movements(session, user.tenant_id, sede_id, movements)
    return OpeningReport(
        sede_id=sede_id,
        document_id=document_id if movements and not dry_run else None,
        dry_run=dry_run,
        applied=len(movements),
        errors=sorted(errors, key=lambda e: (e.line, e.field)),
    )


async def opening_from_lines(
    session: AsyncSession,
    user: Principal,
    sede_id: uuid.UUID,
    body: OpeningStockIn,
    *,
    dry_run: bool,
) -> OpeningReport:
    """Opening stock from JSON lines; `line` in the report is the 1-based item number."""
    lines = [
        _Line(i, ln.quantity, ln.product_id, ln.sku, ln.unit_cost)
        for i, ln in enumerate(body.lines, start=1)
    ]
    return await _apply(session, user, sede_id, lines, [], note=body.note, dry_run=dry_run)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    normalized = [normalize_header(h) for h in header]
    return next((normalized.index(n) for n in names if n in normalized), None)


def parse_opening_csv(data: bytes) -> tuple[list[_Line], list[OpeningError]]:
    """Lines `sku;quantity[;cost]` (English or Spanish headers, either locale's numbers)."""
    try:
        text = decode(data)
    except CsvFileError as exc:
        raise InvalidFieldError("file", str(exc)) from exc
    separator = sniff_separator(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    header = next(reader, None) or []
    sku_col, qty_col = _column(header, SKU_HEADERS), _column(header, QTY_HEADERS)
    cost_col = _column(header, COST_HEADERS)
    if sku_col is None or qty_col is None:
        raise InvalidFieldError("file", "the header needs a sku and a quantity column")
    lines: list[_Line] = []
    errors: list[OpeningError] = []
    line_no = reader.line_num + 1
    for cells in reader:
        start, line_no = line_no, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue

        def cell(index: int | None, cells: list[str] = cells) -> str:
            return cells[index].strip() if index is not None and index < len(cells) else ""

        sku = unescape_cell(cell(sku_col))  # as the catalog export wrote it
        if not sku:
            errors.append(OpeningError(line=start, field="sku", message="required"))
            continue
        try:
            qty = quantity(parse_decimal(cell(qty_col), separator == ";"))
            if qty <= 0:
                raise ValueError("must be more than 0")
        except (ValueError, AmountError) as exc:
            errors.append(OpeningError(line=start, field="quantity", message=str(exc)))
            continue
        cost = None
        if cell(cost_col):
            try:
                cost = money(parse_decimal(cell(cost_col), separator == ";"))
                if cost < 0:
                    raise ValueError("must be 0 or more")
            except (ValueError, AmountError) as exc:
                errors.append(OpeningError(line=start, field="unit_cost", message=str(exc)))
                continue
        lines.append(_Line(start, qty, sku=sku, unit_cost=cost))
    return lines, errors


async def opening_from_csv(
    session: AsyncSession, user: Principal, sede_id: uuid.UUID, data: bytes, *, dry_run: bool
) -> OpeningReport:
    lines, errors = parse_opening_csv(data)
    return await _apply(session, user, sede_id, lines, errors, note=None, dry_run=dry_run)
