"""The counter's carts in the store: the open one (a reload or a crashed tab keeps it),
parked ones (served later), and a cancelled one (voided: audited and queued for the cloud).

Every function here that writes takes the connection of a running store.write/awrite.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stocky.core.ids import new_id_str
from stocky.core.ops import SaleVoidPayload
from stocky.edge.inventory.queries import product_versions
from stocky.edge.outbox import append_op, op_payload, write_audit


@dataclass(frozen=True, slots=True)
class HeldLine:
    """A cart line as kept in the store: the product and what the cashier set."""

    product_id: str
    quantity: Decimal
    discount: Decimal = Decimal("0.00")
    # The line's discount as a percentage of its gross, when it was typed as one (the
    # amount then follows the quantity).
    percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TicketDiscount:
    """The discount on the whole ticket as the cashier typed it: an amount or a percentage."""

    amount: Decimal | None = None
    percent: Decimal | None = None

    def __bool__(self) -> bool:
        return self.amount is not None or self.percent is not None


@dataclass(frozen=True, slots=True)
class HeldCart:
    """The lines of a cart and its ticket discount."""

    lines: list[HeldLine]
    discount: TicketDiscount = TicketDiscount()


@dataclass(frozen=True, slots=True)
class ParkedCart:
    id: str
    user_id: str | None
    lines: list[HeldLine]
    created_at: str
    discount: TicketDiscount = TicketDiscount()


@dataclass(frozen=True, slots=True)
class VoidedLine:
    product_id: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal


def _dump(lines: list[HeldLine]) -> str:
    return json.dumps([_line(ln) for ln in lines], separators=(",", ":"))


def _line(ln: HeldLine) -> dict[str, str]:
    found = {
        "product_id": ln.product_id,
        "quantity": str(ln.quantity),
        "discount": str(ln.discount),
    }
    if ln.percent is not None:
        found["percent"] = str(ln.percent)
    return found


def _load(text: str) -> list[HeldLine]:
    return [
        HeldLine(
            d["product_id"],
            Decimal(d["quantity"]),
            Decimal(d["discount"]),
            None if d.get("percent") is None else Decimal(d["percent"]),
        )
        for d in json.loads(text)
    ]


def _dump_discount(discount: TicketDiscount) -> str | None:
    if discount.percent is not None:
        return json.dumps({"percent": str(discount.percent)})
    if discount.amount is not None:
        return json.dumps({"amount": str(discount.amount)})
    return None


def _load_discount(text: str | None) -> TicketDiscount:
    found = json.loads(text) if text else {}
    if not isinstance(found, dict):
        return TicketDiscount()
    amount, percent = found.get("amount"), found.get("percent")
    return TicketDiscount(
        amount=None if amount is None else Decimal(amount),
        percent=None if percent is None else Decimal(percent),
    )


def open_cart(conn: sqlite3.Connection) -> HeldCart:
    """The sale being rung up (no lines when there is none)."""
    row = conn.execute("SELECT lines, discount FROM held_carts WHERE status = 'open'").fetchone()
    return HeldCart([]) if row is None else HeldCart(_load(row[0]), _load_discount(row[1]))


def save_open_cart(
    conn: sqlite3.Connection,
    lines: list[HeldLine],
    *,
    user_id: str | None,
    now: str,
    discount: TicketDiscount = TicketDiscount(),
) -> None:
    """Keep the open cart as it is now, with its ticket discount; an empty cart leaves no row."""
    if not lines:
        conn.execute("DELETE FROM held_carts WHERE status = 'open'")
        return
    conn.execute(
        """
        INSERT INTO held_carts (id, status, user_id, lines, discount, created_at, updated_at)
        VALUES (?, 'open', ?, ?, ?, ?, ?)
        ON CONFLICT (status) WHERE status = 'open'
        DO UPDATE SET lines = excluded.lines, discount = excluded.discount,
                      user_id = excluded.user_id, updated_at = excluded.updated_at
        """,
        (new_id_str(), user_id, _dump(lines), _dump_discount(discount), now, now),
    )


def park_open_cart(
    conn: sqlite3.Connection,
    lines: list[HeldLine],
    *,
    user_id: str | None,
    now: str,
    discount: TicketDiscount = TicketDiscount(),
) -> str | None:
    """Put the current sale on hold (the counter is empty after); its id, or None if empty."""
    conn.execute("DELETE FROM held_carts WHERE status = 'open'")
    if not lines:
        return None
    cart_id = new_id_str()
    kept = _dump_discount(discount)
    conn.execute(
        "INSERT INTO held_carts (id, status, user_id, lines, discount, created_at, updated_at) "
        "VALUES (?, 'parked', ?, ?, ?, ?, ?)",
        (cart_id, user_id, _dump(lines), kept, now, now),
    )
    after: dict[str, Any] = {"lines": json.loads(_dump(lines))}
    if kept is not None:
        after["discount"] = json.loads(kept)
    write_audit(
        conn,
        user_id=user_id,
        action="sale.park",
        entity_type="held_cart",
        entity_id=cart_id,
        ts=now,
        after=after,
    )
    return cart_id


def parked_carts(conn: sqlite3.Connection) -> list[ParkedCart]:
    """Sales on hold, oldest first."""
    rows = conn.execute(
        "SELECT id, user_id, lines, created_at, discount FROM held_carts "
        "WHERE status = 'parked' ORDER BY created_at, id"
    ).fetchall()
    return [ParkedCart(r[0], r[1], _load(r[2]), r[3], _load_discount(r[4])) for r in rows]


def resume_parked(
    conn: sqlite3.Connection,
    cart_id: str,
    current: HeldCart,
    *,
    user_id: str | None,
    now: str,
) -> HeldCart | None:
    """Bring a parked sale back to the counter; a sale being rung up is parked in its place.

    None when that parked sale is gone (resumed at another tab).
    """
    row = conn.execute(
        "SELECT lines, discount FROM held_carts WHERE id = ? AND status = 'parked'", (cart_id,)
    ).fetchone()
    if row is None:
        return None
    park_open_cart(conn, current.lines, user_id=user_id, now=now, discount=current.discount)
    conn.execute(
        "UPDATE held_carts SET status = 'open', user_id = ?, updated_at = ? WHERE id = ?",
        (user_id, now, cart_id),
    )
    write_audit(
        conn,
        user_id=user_id,
        action="sale.resume",
        entity_type="held_cart",
        entity_id=cart_id,
        ts=now,
    )
    return HeldCart(_load(row[0]), _load_discount(row[1]))


def void_cart(
    conn: sqlite3.Connection,
    lines: list[VoidedLine],
    *,
    total: Decimal,
    user_id: str,
    shift_id: str | None,
    now: str,
    reason: str | None = None,
) -> str:
    """Cancel the sale being rung up: audited here with its lines, queued as `sale.void`."""
    void_id = new_id_str()
    versions = product_versions(conn, [ln.product_id for ln in lines])
    data: dict[str, Any] = {
        "id": void_id,
        "user_id": user_id,
        "shift_id": shift_id,
        "voided_at": now,
        "total": total,
        "reason": reason,
        "lines": [
            {
                "product_id": ln.product_id,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "discount": ln.discount,
                "product_version": versions.get(ln.product_id),
            }
            for ln in lines
        ],
    }
    payload = op_payload(SaleVoidPayload, data)
    conn.execute("DELETE FROM held_carts WHERE status = 'open'")
    write_audit(
        conn,
        user_id=user_id,
        action="sale.void",
        entity_type="sale",
        entity_id=void_id,
        ts=now,
        before=payload.model_dump(mode="json"),
    )
    append_op(conn, entity_id=void_id, payload=payload, client_ts=now)
    return void_id
