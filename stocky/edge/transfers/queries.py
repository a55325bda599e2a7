"""Reads of the caja's copy of its sede's transfers (read-only connections)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from stocky.core.money import milli_to_quantity
from stocky.edge.transfers.schemas import (
    MovementOut,
    PersonOut,
    ShortageOut,
    TransferLineOut,
    TransferOut,
)

MAX_LIST = 200


def sede_names(conn: sqlite3.Connection) -> dict[str, str]:
    """The tenant's sedes by id (pulled), this caja's own from sede_info if not among them."""
    names: dict[str, str] = {}
    row = conn.execute("SELECT value FROM app_config WHERE key = 'sedes'").fetchone()
    for sede in [] if row is None else json.loads(row[0]):
        names[str(sede.get("id"))] = str(sede.get("name"))
    own = conn.execute("SELECT sede_id, sede_name FROM sede_info WHERE id = 1").fetchone()
    if own is not None:
        names.setdefault(str(own[0]), str(own[1]))
    return names


def own_sede(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT sede_id FROM sede_info WHERE id = 1").fetchone()
    return None if row is None else str(row[0])


def _person(
    conn: sqlite3.Connection, user_id: str | None, as_recorded: str | None
) -> PersonOut | None:
    """The person by today's name here, else as the cloud recorded it (another sede's)."""
    if user_id is None:
        return None
    row = conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()
    return PersonOut(id=user_id, name=as_recorded if row is None else str(row[0]))


def _lines(conn: sqlite3.Connection, transfer_id: str) -> list[TransferLineOut]:
    rows = conn.execute(
        """
        SELECT l.product_id, l.quantity_milli, p.sku, p.name, p.unit
        FROM transfer_lines l LEFT JOIN products p ON p.id = l.product_id
        WHERE l.transfer_id = ? ORDER BY p.name COLLATE NOCASE, l.product_id
        """,
        (transfer_id,),
    ).fetchall()
    return [
        TransferLineOut(
            product_id=str(r["product_id"]),
            sku=r["sku"],
            name=r["name"],
            unit=r["unit"],
            quantity=milli_to_quantity(int(r["quantity_milli"])),
        )
        for r in rows
    ]


def _movements(conn: sqlite3.Connection, transfer_id: str) -> list[MovementOut]:
    rows = conn.execute(
        "SELECT id, type, product_id, quantity_milli, server_ts FROM transactions"
        " WHERE transfer_id = ? ORDER BY id",
        (transfer_id,),
    ).fetchall()
    return [
        MovementOut(
            id=str(r["id"]),
            type=str(r["type"]),
            product_id=str(r["product_id"]),
            quantity=milli_to_quantity(int(r["quantity_milli"])),
            server_ts=r["server_ts"],
        )
        for r in rows
    ]


def _out(conn: sqlite3.Connection, row: Any, sede: str, names: dict[str, str]) -> TransferOut:
    transfer_id = str(row["id"])
    return TransferOut(
        id=transfer_id,
        direction="outgoing" if row["from_sede_id"] == sede else "incoming",
        from_sede_id=row["from_sede_id"],
        from_sede_name=names.get(row["from_sede_id"], row["from_sede_id"]),
        to_sede_id=row["to_sede_id"],
        to_sede_name=names.get(row["to_sede_id"], row["to_sede_id"]),
        status=row["status"],
        note=row["note"],
        reason=row["reason"],
        failure_reason=row["failure_reason"],
        failure_code=row["failure_code"],
        shortages=[ShortageOut.model_validate(s) for s in json.loads(row["shortages"] or "[]")],
        requested_by=_person(conn, row["requested_by"], row["requested_by_name"]),
        requested_at=row["requested_at"],
        decided_by=_person(conn, row["decided_by"], row["decided_by_name"]),
        decided_at=row["decided_at"],
        completed_at=row["completed_at"],
        version=int(row["version"]),
        lines=_lines(conn, transfer_id),
        movements=_movements(conn, transfer_id),
    )


def list_transfers(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    direction: str | None = None,
    limit: int = 50,
) -> list[TransferOut]:
    """This sede's transfers (incoming, outgoing or both), newest first."""
    sede = own_sede(conn)
    if sede is None:
        return []
    rows = conn.execute(
        """
        SELECT * FROM transfers
        WHERE ((:direction IS NULL AND (from_sede_id = :sede OR to_sede_id = :sede))
               OR (:direction = 'outgoing' AND from_sede_id = :sede)
               OR (:direction = 'incoming' AND to_sede_id = :sede))
          AND (:status IS NULL OR status = :status)
        ORDER BY requested_at DESC, id DESC LIMIT :limit
        """,
        {"sede": sede, "status": status, "direction": direction, "limit": min(limit, MAX_LIST)},
    ).fetchall()
    names = sede_names(conn)
    return [_out(conn, row, sede, names) for row in rows]


def get_transfer(conn: sqlite3.Connection, transfer_id: str) -> TransferOut | None:
    sede = own_sede(conn)
    row = conn.execute("SELECT * FROM transfers WHERE id = ?", (transfer_id,)).fetchone()
    if row is None or sede is None:
        return None
    return _out(conn, row, sede, sede_names(conn))


def notices_after(conn: sqlite3.Connection, seq: int) -> list[tuple[int, TransferOut]]:
    """Transfers noticed (new or a new status) after `seq`, oldest first, as they are now."""
    rows = conn.execute(
        "SELECT seq, transfer_id, status FROM transfer_notices WHERE seq > ? ORDER BY seq",
        (seq,),
    ).fetchall()
    found: list[tuple[int, TransferOut]] = []
    for r in rows:
        transfer = get_transfer(conn, str(r["transfer_id"]))
        if transfer is not None:
            found.append((int(r["seq"]), transfer.model_copy(update={"status": r["status"]})))
    return found


def last_notice(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT coalesce(max(seq), 0) FROM transfer_notices").fetchone()
    return int(row[0])


def fingerprint(conn: sqlite3.Connection) -> tuple[Any, ...]:
    """Changes whenever the list would: the screen redraws only then."""
    row = conn.execute(
        "SELECT count(*), max(synced_at), (SELECT count(*) FROM transfer_lines),"
        " (SELECT count(*) FROM transactions WHERE transfer_id IS NOT NULL) FROM transfers"
    ).fetchone()
    return tuple(row)
