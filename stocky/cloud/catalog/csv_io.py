"""Catalog CSV files: reading what spreadsheets write, and writing what reads back unchanged.

Reading accepts UTF-8 with or without a BOM, `,` `;` or tab separators, and headers in
English or Spanish, in either locale's numbers. Nothing here touches the database: parsing
yields rows and per-line errors. Decoding, numbers and the formula-injection quoting every
CSV shares are in `stocky.cloud.kit.csv_text`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stocky.cloud.kit.csv_text import (
    CsvFileError,
    decode,
    escape_cell,
    normalize_header,
    parse_decimal,
    sniff_separator,
    unescape_cell,
)
from stocky.core.money import AmountError, money

# Canonical column -> accepted header names (normalized), in priority order.
ALIASES: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "codigo", "referencia", "ref", "codigo_interno"),
    # canonical/raw_name: the AI normalizer's files (its clean name first).
    "name": ("name", "nombre", "producto", "descripcion", "canonical", "raw_name"),
    "category": ("category", "categoria"),
    "barcode": ("barcode", "codigo_barras", "codigo_de_barras", "ean", "upc"),
    "barcodes": ("barcodes", "codigos_barras_adicionales", "otros_codigos", "codigos_adicionales"),
    "price": ("price", "precio", "precio_venta"),
    "cost": ("cost", "costo", "precio_compra", "costo_unitario"),
    "tax_rate": ("tax_rate", "iva", "impuesto", "tasa_impuesto"),
    "unit": ("unit", "unidad", "unidad_venta"),
    "active": ("active", "activo"),
    "image_url": ("image_url", "imagen", "url_imagen"),
}
EXPORT_COLUMNS = tuple(ALIASES)
NULLABLE = frozenset({"category", "barcode", "image_url"})
MAX_ROWS = 50_000
BARCODE_RE = re.compile(r"^[0-9A-Za-z\-._]{1,64}$")
SCIENTIFIC_RE = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$")
UNIT_WORDS = {
    "unit": ("unit", "unidad", "unidades", "und", "un", "u", "ud", "pza", "pieza", "ea"),
    # Sizes of packaged goods (g, ml, L) name the content, not how the item is sold.
    "weight": ("weight", "peso", "granel", "kg", "kilo", "kilos", "kilogramo", "lb"),
}
PACKAGE_SIZES = ("g", "gr", "grs", "gramos", "ml", "cc", "l", "lt", "lts", "litro", "litros")
TRUE_WORDS = ("true", "1", "si", "yes", "y", "s", "activo", "x")
FALSE_WORDS = ("false", "0", "no", "n", "inactivo")
TEXT_COLUMNS = frozenset({"sku", "name", "category", "barcode", "barcodes", "image_url"})


@dataclass
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ParsedRow:
    line: int
    sku: str
    # Only the columns the file has; an empty nullable cell is None (clears the value),
    # an empty cell of a required column is absent (keeps the current value).
    values: dict[str, Any]


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    total_rows: int = 0


def _money(text: str, decimal_comma: bool) -> Decimal:
    value = parse_decimal(text, decimal_comma)
    if value < 0:
        raise ValueError("must be 0 or more")
    try:
        return money(value)
    except AmountError as exc:
        raise ValueError(str(exc)) from exc


def _tax_rate(text: str, decimal_comma: bool) -> Decimal:
    percent = text.strip().endswith("%")
    value = parse_decimal(text.strip().rstrip("%"), decimal_comma)
    # "19" and "19%" mean 19 %; the stored rate is a fraction below 1.
    if percent or value >= 1:
        value = value / 100
    if value < 0 or value >= 1:
        raise ValueError("must be a rate from 0 to 0.9999 (or a percentage below 100)")
    if value != value.quantize(Decimal("0.0001")):
        raise ValueError("has more than 4 decimal places as a fraction")
    return value.quantize(Decimal("0.0001"))


def _unit(text: str) -> str:
    word = normalize_header(text)
    for unit, words in UNIT_WORDS.items():
        if word in words:
            return unit
    if word in PACKAGE_SIZES:
        return "unit"
    raise ValueError(f"{text.strip()!r} is not a unit: use 'unit' (unidad) or 'weight' (peso)")


def _active(text: str) -> bool:
    word = normalize_header(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text.strip()!r} is not yes or no")


def _barcode(text: str) -> str:
    code = text.strip()
    if SCIENTIFIC_RE.match(code):
        raise ValueError(
            f"{code!r} looks like a number a spreadsheet rewrote in scientific notation; "
            "format the column as text"
        )
    if not BARCODE_RE.match(code):
        raise ValueError(f"{code!r} is not a barcode (letters, digits, - . _; at most 64)")
    return code


def _text(text: str, limit: int) -> str:
    value = text.strip()
    if len(value) > limit:
        raise ValueError(f"is longer than {limit} characters")
    return value


def _parse_cell(column: str, raw: str, decimal_comma: bool) -> Any:
    if column in TEXT_COLUMNS:
        raw = unescape_cell(raw.strip())
    if column == "sku":
        return _text(raw, 64)
    if column == "name":
        return _text(raw, 300)
    if column == "category":
        return _text(raw, 120)
    if column == "image_url":
        return _text(raw, 2000)
    if column in ("price", "cost"):
        return _money(raw, decimal_comma)
    if column == "tax_rate":
        return _tax_rate(raw, decimal_comma)
    if column == "unit":
        return _unit(raw)
    if column == "active":
        return _active(raw)
    if column == "barcode":
        return _barcode(raw)
    codes = [_barcode(c) for c in re.split(r"[|\s]+", raw.strip()) if c]
    if len(set(codes)) != len(codes):
        raise ValueError("the same barcode appears twice")
    return sorted(codes)


def derive_sku(name: str) -> str:
    """A stable SKU from a name, for files that have none (re-importing finds the same)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")[:64]


def _map_header(header: list[str], parsed: ParsedFile) -> dict[str, int]:
    by_name = {normalize_header(h): i for i, h in reversed(list(enumerate(header)))}
    positions: dict[str, int] = {}
    for column, aliases in ALIASES.items():
        for alias in aliases:
            if alias in by_name:
                positions[column] = by_name[alias]
                break
    used = set(positions.values())
    parsed.ignored_columns = [h for i, h in enumerate(header) if i not in used and h.strip()]
    if "name" not in positions and "sku" not in positions:
        raise CsvFileError("the header names neither a sku nor a name column")
    if "sku" not in positions:
        parsed.warnings.append("no sku column: each SKU is derived from the product name")
    if "price" not in positions:
        parsed.warnings.append("no price column: new products get price 0")
    return positions


def _parse_row(
    cells: list[str], line: int, positions: dict[str, int], decimal_comma: bool
) -> tuple[ParsedRow | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    for column, index in positions.items():
        raw = cells[index] if index < len(cells) else ""
        if not raw.strip():
            if column in NULLABLE or column == "barcodes":
                values[column] = None if column != "barcodes" else []
            continue
        try:
            values[column] = _parse_cell(column, raw, decimal_comma)
        except ValueError as exc:
            errors.append(RowError(line, column, str(exc)))
    sku = values.pop("sku", None)
    if sku is None and "sku" not in positions and values.get("name"):
        sku = derive_sku(values["name"])
    if not sku and not any(e.field == "sku" for e in errors):
        errors.append(RowError(line, "sku", "required"))
    if errors or not sku:
        return None, errors
    return ParsedRow(line, sku, values), []


def parse_catalog(data: bytes) -> ParsedFile:
    """Every row of a catalog file, or the reason each bad one was refused."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    separator = sniff_separator(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    parsed = ParsedFile()
    try:
        header = next(reader)
    except StopIteration:
        raise CsvFileError("the file is empty") from None
    except csv.Error as exc:
        raise CsvFileError(f"line 1: {exc}") from exc
    positions = _map_header(header, parsed)
    parsed.columns = [c for c in ALIASES if c in positions]
    decimal_comma = separator == ";"
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            parsed.total_rows += 1
            if parsed.total_rows > MAX_ROWS:
                raise CsvFileError(f"the file has more than {MAX_ROWS} rows; split it")
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                parsed.errors.append(
                    RowError(start, "row", f"{len(cells)} cells but the header has {len(header)}")
                )
                continue
            row, errors = _parse_row(cells, start, positions, decimal_comma)
            parsed.errors.extend(errors)
            if row is not None:
                parsed.rows.append(row)
    except csv.Error as exc:
        raise CsvFileError(f"line {line}: {exc}") from exc
    return parsed


def _format_decimal(value: Decimal, decimal_comma: bool) -> str:
    text = format(value, "f")
    return text.replace(".", ",") if decimal_comma else text


def export_catalog(rows: Iterable[dict[str, Any]], *, excel: bool = False) -> str:
    """CSV text with EXPORT_COLUMNS; `excel`: `;`, decimal commas and a BOM, as es-CO Excel.

    Importing it back changes nothing.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        cells: list[str] = []
        for column in EXPORT_COLUMNS:
            value = row.get(column)
            if value is None:
                cells.append("")
            elif isinstance(value, bool):
                cells.append("true" if value else "false")
            elif isinstance(value, Decimal):
                cells.append(_format_decimal(value, excel))
            elif isinstance(value, list):
                cells.append(escape_cell("|".join(value)))
            elif column in TEXT_COLUMNS:
                cells.append(escape_cell(str(value)))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return ("\ufeff" if excel else "") + out.getvalue()
