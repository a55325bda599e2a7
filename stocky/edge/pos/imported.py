"""A ticket sold at another caja of the sede, found in the cloud for a return here.

The caja holds only its own sales; another caja's reach it as movements (`transactions`,
pulled). To take one back, the sale is fetched from the cloud (GET /api/sales/lookup) and
stored here with `origin = 'cloud'`: its row, its payments, and those of its sale and return
movements the caja lacks. Nothing is queued (the cloud has it all) and stock does not move:
the inserted movements carry `cloud_position = 'imported'`, so they are not among the
unconfirmed movements added on top of the cloud's quantity (which already counts them);
when the pull brings them later, they are marked like any other movement.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from stocky.core.errors import StockyError
from stocky.core.money import money_to_cents, quantity_to_milli
from stocky.core.receipts import parse_receipt
from stocky.core.sale_lookup import SaleLookup
from stocky.edge.store import Store
from stocky.edge.store.timestamps import to_iso
from stocky.edge.sync.client import CloudClient, CloudError

IMPORTED = "imported"  # cloud_position of a movement stored from a lookup, not a pull
_UNKNOWN_USER = "cloud"


def _iso(moment: datetime) -> str:
    return to_iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _status(found: SaleLookup) -> str:
    if found.status == "voided":
        return "voided"
    returned = [line.returned for line in found.lines]
    if found.lines and all(line.returned >= line.quantity for line in found.lines):
        return "returned"
    return "partially_returned" if any(returned) else "completed"


def import_cloud_sale(conn: sqlite3.Connection, found: SaleLookup) -> str:
    """Store another caja's sale as the cloud holds it (idempotent); returns its id.

    Runs on the store's writer. Writes no outbox op and changes no stock figure.
    """
    sale_id = str(found.id)
    conn.execute(
        """
        INSERT INTO sales (id, number, user_id, shift_id, subtotal_cents, discount_cents,
            tax_cents, total_cents, paid_cents, change_cents, client_ts, status, receipt_prefix,
            customer_name, customer_tax_id, origin, device_id)
        VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'cloud', ?)
        ON CONFLICT (id) DO NOTHING
        """,
        (
            sale_id,
            found.number,
            str(found.user_id) if found.user_id else _UNKNOWN_USER,
            money_to_cents(found.subtotal),
            money_to_cents(found.discount),
            money_to_cents(found.tax),
            money_to_cents(found.total),
            money_to_cents(found.paid),
            money_to_cents(found.change),
            _iso(found.client_ts),
            _status(found),
            found.receipt_prefix,
            found.customer_name,
            found.customer_tax_id,
            str(found.device_id),
        ),
    )
    conn.executemany(
        """
        INSERT INTO sale_payments (id, sale_id, method, amount_cents) VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO NOTHING
        """,
        [(str(p.id), sale_id, p.method, money_to_cents(p.amount)) for p in found.payments],
    )
    user = str(found.user_id) if found.user_id else _UNKNOWN_USER
    rows = [
        (
            str(line.id),
            "sale",
            str(line.product_id),
            -quantity_to_milli(line.quantity),
            money_to_cents(line.unit_price),
            money_to_cents(line.discount),
            line.product_version,
            sale_id,
            None,
            sale_id,
            user,
            _iso(line.client_ts),
            None,
        )
        for line in found.lines
    ] + [
        (
            str(r.id),
            "return",
            str(r.product_id),
            quantity_to_milli(r.quantity),
            money_to_cents(r.unit_price),
            money_to_cents(r.discount),
            r.product_version,
            sale_id,
            str(r.ref_id) if r.ref_id else None,
            str(r.document_id),
            str(r.user_id) if r.user_id else _UNKNOWN_USER,
            _iso(r.client_ts),
            r.note,
        )
        for r in found.returns
    ]
    # Insert-if-absent by id: a movement already pulled (or one of this caja's own returns)
    # is left as it is, so nothing is counted twice.
    conn.executemany(
        f"""
        INSERT INTO transactions (id, type, product_id, quantity_milli, unit_price_cents,
            discount_cents, product_version, sale_id, ref_id, document_id, user_id, client_ts,
            note, cloud_position)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{IMPORTED}')
        ON CONFLICT (id) DO NOTHING
        """,
        rows,
    )
    return sale_id


def local_sale_id(conn: sqlite3.Connection, text: str) -> str | None:
    """The sale held here of a receipt number as a person types it: "42", "#42" (this
    caja's own), "C01-000042" (its own or one imported before)."""
    typed = text.strip().lstrip("#").strip()
    if typed.isdigit() and len(typed) <= 18:
        row = conn.execute(
            "SELECT id FROM sales WHERE number = ? AND origin = 'local'", (int(typed),)
        ).fetchone()
        return None if row is None else str(row[0])
    readable = parse_receipt(typed)
    if readable is None:
        return None
    prefix, number = readable
    # A sale printed before the caja had a prefix matches the caja's own prefix only, so it
    # never hides another caja's ticket of the same number.
    row = conn.execute(
        """
        SELECT id FROM sales
        WHERE number = ? AND (receipt_prefix = ? OR (receipt_prefix IS NULL AND origin = 'local'
              AND coalesce((SELECT receipt_prefix FROM sede_info WHERE id = 1), ?) = ?))
        ORDER BY receipt_prefix IS NULL, origin = 'cloud'
        LIMIT 1
        """,
        (number, prefix, prefix, prefix),
    ).fetchone()
    return None if row is None else str(row[0])


class CloudLookupUnavailableError(StockyError):
    """The ticket is not here and the cloud could not be asked (offline, timed out)."""

    status_code = 503
    code = "offline"


def _client_for(conn: sqlite3.Connection) -> tuple[str, str]:
    row = conn.execute("SELECT cloud_url, device_credential FROM sede_info WHERE id = 1").fetchone()
    if row is None or not row[0] or not row[1]:
        raise CloudLookupUnavailableError("this caja is not activated: no cloud to ask")
    return str(row[0]), str(row[1])


async def find_sale(
    store: Store, text: str, *, client: CloudClient | None = None, seconds: float = 4.0
) -> str | None:
    """The sale of a typed receipt number: held here, else fetched from the cloud (another
    caja of the sede sold it) and stored; None if neither has it.

    Raises CloudLookupUnavailableError when it is not here and the cloud cannot answer.
    """
    sale_id = await store.aread(lambda conn: local_sale_id(conn, text))
    if sale_id is not None or parse_receipt(text.strip().lstrip("#").strip()) is None:
        return sale_id
    receipt = text.strip().lstrip("#").strip()
    owned = client is None
    if client is None:
        url, credential = await store.aread(_client_for)
        client = CloudClient(url, credential)
    try:
        found = await client.lookup_sale(receipt, seconds)
    except CloudError as exc:
        raise CloudLookupUnavailableError(
            f"receipt: {receipt} is not a ticket of this caja and the cloud cannot be asked "
            f"({exc})",
            field="receipt",
        ) from exc
    finally:
        if owned:
            await client.aclose()
    if found is None:
        return None
    return await store.awrite(lambda conn: import_cloud_sale(conn, found))
