"""Product lookup: full-text search over name/sku/barcode/category, and exact barcodes."""

from __future__ import annotations

import re
import sqlite3

_TOKEN = re.compile(r"[^\W_]+")


def fts_query(text: str) -> str | None:
    """Turn what a cashier typed into a safe FTS5 query: every word, as a prefix, all required.

    Returns None when there is nothing to search for. Words are quoted, so FTS5 syntax typed
    by a user (AND, *, quotes, column filters) is matched literally instead of raising.
    """
    words = _TOKEN.findall(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def search_products(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 50,
    offset: int = 0,
    include_inactive: bool = False,
) -> list[sqlite3.Row]:
    """Products matching every word of `text` as a prefix, best match first."""
    query = fts_query(text)
    if query is None:
        return []
    return conn.execute(
        """
        SELECT p.* FROM products_fts
        JOIN products AS p ON p.rowid = products_fts.rowid
        WHERE products_fts MATCH :query AND (:all OR p.active = 1)
        ORDER BY products_fts.rank, p.name
        LIMIT :limit OFFSET :offset
        """,
        {"query": query, "all": include_inactive, "limit": limit, "offset": offset},
    ).fetchall()


def product_by_barcode(conn: sqlite3.Connection, barcode: str) -> sqlite3.Row | None:
    """The product with this main or extra barcode, if any."""
    row: sqlite3.Row | None = conn.execute(
        """
        SELECT * FROM products WHERE barcode = :code
        UNION ALL
        SELECT p.* FROM product_barcodes AS b JOIN products AS p ON p.id = b.product_id
        WHERE b.barcode = :code
        LIMIT 1
        """,
        {"code": barcode},
    ).fetchone()
    return row


def rebuild_product_search(conn: sqlite3.Connection) -> None:
    """Rebuild the FTS index from products (after a full VACUUM, which may renumber rowids)."""
    conn.execute("INSERT INTO products_fts (products_fts) VALUES ('rebuild')")
