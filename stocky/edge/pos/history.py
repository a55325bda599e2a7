"""The caja's past tickets: found by receipt number, amount or product, newest first.

Reads only (the store's read connections). "#12" finds receipt 12 and nothing else;
otherwise a text matches a readable receipt number ("C01-000012", "c01-12"), a receipt
number, a total (as an amount typed in either locale), or a product sold on the ticket
(name, SKU or barcode).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, computed_field

from stocky.core.money import cents_to_money
from stocky.core.receipts import format_receipt, parse_receipt

MAX_PAGE = 200


class TicketRow(BaseModel):
    """One ticket in the history list."""

    id: str
    number: int
    receipt_prefix: str | None = None
    client_ts: str
    status: str
    total: Decimal
    lines: int
    cashier: str
    methods: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def receipt(self) -> str:
        """The readable number printed on the ticket (C01-000012)."""
        return format_receipt(self.receipt_prefix, self.number)


class TicketPage(BaseModel):
    items: list[TicketRow]
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class TicketQuery:
    text: str | None = None
    # [start, end) as stored UTC timestamps; None: no bound.
    start: str | None = None
    end: str | None = None
    limit: int = 50
    offset: int = 0


def _amount_cents(text: str) -> int | None:
    """The text as an amount in cents, if it reads as one ("12500", "12.500", "12,5")."""
    cleaned = text.replace("$", "").replace(" ", "")
    if not cleaned:
        return None
    # Thousands separators of either locale; a comma followed by 1-2 digits is decimal.
    head, sep, tail = cleaned.rpartition(",")
    if sep and 1 <= len(tail) <= 2 and tail.isdigit():
        cleaned = head.replace(".", "") + "." + tail
    else:
        cleaned = cleaned.replace(".", "").replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        return None
    return int(value * 100) if value == value.quantize(Decimal("0.01")) else None


def find_tickets(conn: sqlite3.Connection, query: TicketQuery) -> TicketPage:
    """Tickets matching the query, newest first, paged."""
    where = ["1 = 1"]
    params: dict[str, object] = {}
    if query.start is not None:
        where.append("s.client_ts >= :start")
        params["start"] = query.start
    if query.end is not None:
        where.append("s.client_ts < :end")
        params["end"] = query.end
    raw = (query.text or "").strip()
    text = raw.lstrip("#").strip()
    if raw.startswith("#") and text.isdigit() and len(text) <= 18:
        # "#12" is a receipt number and nothing else.
        where.append("s.number = :number")
        params["number"] = int(text)
    elif text:
        matches = [
            "EXISTS (SELECT 1 FROM transactions t JOIN products p ON p.id = t.product_id "
            "WHERE t.sale_id = s.id AND t.type = 'sale' AND (p.name LIKE :like ESCAPE '\\' "
            "OR p.sku = :text OR p.barcode = :text))"
        ]
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["text"] = text
        params["like"] = f"%{escaped}%"
        readable = parse_receipt(raw)
        if readable is not None:
            # "C01-000012" reads as a receipt number; "Leche 2" does too, so a product's
            # name is still searched beside it.
            matches.append("(s.receipt_prefix = :prefix AND s.number = :receipt_number)")
            params["prefix"], params["receipt_number"] = readable
        if text.isdigit() and len(text) <= 18:
            matches.append("s.number = :number")
            params["number"] = int(text)
        cents = _amount_cents(text)
        if cents is not None:
            matches.append("s.total_cents = :cents")
            params["cents"] = cents
        where.append("(" + " OR ".join(matches) + ")")
    limit = max(1, min(query.limit, MAX_PAGE))
    offset = max(0, query.offset)
    rows = conn.execute(
        f"""
        SELECT s.id, s.number, s.receipt_prefix, s.client_ts, s.status, s.total_cents,
               (SELECT count(*) FROM transactions t
                WHERE t.sale_id = s.id AND t.type = 'sale') AS lines,
               coalesce(u.name, s.user_id) AS cashier,
               (SELECT group_concat(DISTINCT method) FROM sale_payments sp
                WHERE sp.sale_id = s.id AND sp.amount_cents > 0) AS methods
        FROM sales s LEFT JOIN users u ON u.id = s.user_id
        WHERE {" AND ".join(where)}
        ORDER BY s.client_ts DESC, s.number DESC
        LIMIT :limit OFFSET :offset
        """,
        {**params, "limit": limit, "offset": offset},
    ).fetchall()
    items = [
        TicketRow(
            id=r["id"],
            number=r["number"],
            receipt_prefix=r["receipt_prefix"],
            client_ts=r["client_ts"],
            status=r["status"],
            total=cents_to_money(r["total_cents"]),
            lines=r["lines"],
            cashier=r["cashier"],
            methods=sorted((r["methods"] or "").split(",")) if r["methods"] else [],
        )
        for r in rows
    ]
    return TicketPage(items=items, limit=limit, offset=offset)
