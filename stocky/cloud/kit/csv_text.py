"""What every CSV upload and download shares: decoding the file, reading a spreadsheet's
numbers, and cells no spreadsheet runs as formulas.

Files separated by `;` come from Spanish-locale spreadsheets, which write decimal commas
and dots as thousands separators ("1.234,50"); `parse_decimal` understands both.

Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or CR) as a
formula, so every text cell written starts with a single quote when it would start with
one of those, or with a quote itself (OWASP's advice); numbers are written as they are, so
"-5" stays a number. Reading takes that one quote off again, so an exported file imports
back unchanged: `'=x` reads as `=x`, `''x` as `'x`, and `'x` (no formula after) stays `'x`.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# What a spreadsheet would read as the start of a formula, and the quote that protects it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_STARTS = (*FORMULA_STARTS, "'")


def escape_cell(text: str) -> str:
    """A text cell no spreadsheet runs as a formula (a leading quote when needed)."""
    return "'" + text if text.startswith(_QUOTED_STARTS) else text


def unescape_cell(text: str) -> str:
    """The inverse of escape_cell: the protective quote it added comes off."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_QUOTED_STARTS) else text


class CsvFileError(ValueError):
    """The file as a whole cannot be read (encoding, no header, no usable columns)."""


def normalize_header(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.strip().lower()).strip("_")


def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvFileError(
            f"the file is not UTF-8 (line {line}); save it as 'CSV UTF-8' and upload again"
        ) from exc
    return text


def sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def parse_decimal(text: str, decimal_comma: bool) -> Decimal:
    """An exact decimal from a spreadsheet cell, in either locale's notation."""
    s = text.strip().replace("\u00a0", "").replace(" ", "").lstrip("$")
    if decimal_comma:
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", s):
            s = s.replace(".", "").replace(",", ".")
        elif re.fullmatch(r"-?\d+,\d+", s):
            s = s.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"-?\d+,\d{1,2}", s):
        # A quoted decimal comma in a comma-separated file ("12,50").
        s = s.replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?", s):
        raise ValueError(f"{text.strip()!r} is not a number")
    try:
        return Decimal(s)
    except InvalidOperation as exc:
        raise ValueError(f"{text.strip()!r} is not a number") from exc
