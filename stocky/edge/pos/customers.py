"""The customers pulled from the cloud, searched at payment by name or NIT/CC."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")
_TAX_ID_NOISE = re.compile(r"[\s.\-]")


@dataclass(frozen=True, slots=True)
class CustomerHit:
    id: str
    name: str
    tax_id: str | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_customers(conn: sqlite3.Connection, text: str, *, limit: int = 8) -> list[CustomerHit]:
    """Active customers whose name holds every word typed, or whose tax id holds the digits
    typed (dots, dashes and spaces ignored on both sides: 900.123.456-7 is 9001234567)."""
    words = _WORD.findall(text)
    if not words:
        return []
    digits = _TAX_ID_NOISE.sub("", text.strip())
    by_name = " AND ".join("name LIKE ? ESCAPE '\\'" for _ in words)
    rows = conn.execute(
        f"""
        SELECT id, name, tax_id FROM customers
        WHERE active = 1 AND (({by_name}) OR (? <> '' AND
            replace(replace(replace(coalesce(tax_id, ''), '.', ''), '-', ''), ' ', '')
            LIKE ? ESCAPE '\\'))
        ORDER BY name COLLATE NOCASE, id LIMIT ?
        """,
        (*(_like(w) for w in words), digits, _like(digits), limit),
    ).fetchall()
    return [CustomerHit(id=row[0], name=row[1], tax_id=row[2]) for row in rows]
