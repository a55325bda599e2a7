"""Stock rules at the caja: entries with cost, physical counts as deltas, min/max thresholds.

Every function runs inside one store.write (it takes its connection) and never commits:
the writer commits the domain rows, the audit row and the queued op together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from stocky.core.errors import FieldError, NotFoundError
from stocky.core.ids import new_id_str
from stocky.core.money import (
    cents_to_money,
    milli_to_quantity,
    money_to_cents,
    quantity_to_milli,
)
from stocky.core.ops import ThresholdsPayload
from stocky.edge.inventory import repository as repo
from stocky.edge.inventory.documents import record_document
from stocky.edge.inventory.repository import Movement
from stocky.edge.inventory.schemas import (
    AdjustmentCreate,
    DocumentOut,
    EntryCreate,
    MovementOut,
    ProductRef,
    ThresholdsIn,
    ThresholdsOut,
)
from stocky.edge.outbox import append_op, op_payload, write_audit
from stocky.edge.shifts.repository import open_shift_id

THRESHOLDS_OP = ThresholdsPayload.KIND


def resolve_product(conn: sqlite3.Connection, ref: ProductRef, field: str) -> sqlite3.Row:
    """The product a line names; 404 naming the field when the caja does not know it."""
    row = repo.find_product(conn, product_id=ref.product_id, barcode=ref.barcode)
    if row is None:
        if ref.product_id is not None:
            raise NotFoundError(
                f"{field}.product_id: unknown product {ref.product_id}",
                field=f"{field}.product_id",
            )
        raise NotFoundError(
            f"{field}.barcode: no product has barcode {ref.barcode}", field=f"{field}.barcode"
        )
    return row


def check_unit(product: sqlite3.Row, qty_milli: int, field: str) -> None:
    """Goods sold by the unit move in whole units; only goods sold by weight take fractions."""
    if product["unit"] == "unit" and qty_milli % 1000 != 0:
        raise FieldError(field, f"{product['name']} is counted in whole units")


def movement_out(m: Movement) -> MovementOut:
    return MovementOut(
        id=m.id,
        type=m.type,
        product_id=m.product_id,
        quantity=milli_to_quantity(m.quantity_milli),
        unit_price=cents_to_money(m.unit_price_cents),
        unit_cost=None if m.unit_cost_cents is None else cents_to_money(m.unit_cost_cents),
        discount=cents_to_money(m.discount_cents),
        product_version=m.product_version,
        sale_id=m.sale_id,
        ref_id=m.ref_id,
        note=m.note,
    )


def _document(
    conn: sqlite3.Connection,
    doc_type: str,
    movements: Sequence[Movement],
    *,
    user_id: str,
    now: str,
    header: dict[str, str | None],
) -> DocumentOut:
    document_id = new_id_str()
    op_id = record_document(
        conn,
        doc_type=doc_type,
        document_id=document_id,
        movements=movements,
        user_id=user_id,
        shift_id=open_shift_id(conn),
        client_ts=now,
        header=header,
    )
    return DocumentOut(
        id=document_id,
        type="entry" if doc_type == "entry" else "adjustment",
        client_ts=now,
        user_id=user_id,
        op_id=op_id,
        movements=[movement_out(m) for m in movements],
    )


def record_entry(
    conn: sqlite3.Connection, cmd: EntryCreate, *, user_id: str, now: str
) -> DocumentOut:
    """Goods received from a supplier, with their unit cost."""
    movements = []
    for i, line in enumerate(cmd.lines):
        field = f"lines.{i}"
        product = resolve_product(conn, line, field)
        qty = quantity_to_milli(line.quantity)
        check_unit(product, qty, f"{field}.quantity")
        movements.append(
            Movement(
                id=new_id_str(),
                type="entry",
                product_id=product["id"],
                quantity_milli=qty,
                unit_cost_cents=money_to_cents(line.unit_cost),
                product_version=product["version"],
                note=cmd.note,
            )
        )
    header = {"supplier": cmd.supplier, "note": cmd.note}
    return _document(conn, "entry", movements, user_id=user_id, now=now, header=header)


def record_adjustment(
    conn: sqlite3.Connection, cmd: AdjustmentCreate, *, user_id: str, now: str
) -> DocumentOut:
    """A physical count, stored as counted - expected so concurrent sales are kept."""
    movements = []
    seen: set[str] = set()
    for i, line in enumerate(cmd.lines):
        field = f"lines.{i}"
        product = resolve_product(conn, line, field)
        if product["id"] in seen:
            raise FieldError(field, "the product is counted twice in this adjustment")
        seen.add(product["id"])
        counted = quantity_to_milli(line.counted)
        check_unit(product, counted, f"{field}.counted")
        if line.expected is None:
            expected = repo.quantity_milli(conn, product["id"])
        else:
            expected = quantity_to_milli(line.expected)
        movements.append(
            Movement(
                id=new_id_str(),
                type="adjustment",
                product_id=product["id"],
                quantity_milli=counted - expected,
                product_version=product["version"],
                note=cmd.note,
            )
        )
    return _document(
        conn, "adjustment", movements, user_id=user_id, now=now, header={"note": cmd.note}
    )


def set_thresholds(
    conn: sqlite3.Connection, product_id: str, cmd: ThresholdsIn, *, user_id: str, now: str
) -> ThresholdsOut:
    """Min/max stock for one product at this sede (low stock is quantity <= min)."""
    if repo.get_product(conn, product_id) is None:
        raise NotFoundError(f"unknown product {product_id}", field="product_id")
    before = repo.get_thresholds(conn, product_id)
    min_milli = quantity_to_milli(cmd.min_stock)
    max_milli = None if cmd.max_stock is None else quantity_to_milli(cmd.max_stock)
    repo.set_thresholds(conn, product_id, min_milli, max_milli, now)
    # The op keeps `min`/`max`: that is the sync contract (stocky.core.ops.ThresholdsPayload)
    # every released cloud parses, not this API's spelling.
    payload = {
        "product_id": product_id,
        "min": str(cmd.min_stock),
        "max": None if cmd.max_stock is None else str(cmd.max_stock),
    }
    write_audit(
        conn,
        user_id=user_id,
        action="inventory.thresholds",
        entity_type="inventory",
        entity_id=product_id,
        ts=now,
        before=None
        if before is None
        else {
            "min": str(milli_to_quantity(before[0])),
            "max": None if before[1] is None else str(milli_to_quantity(before[1])),
        },
        after=payload,
    )
    op = op_payload(ThresholdsPayload, payload)
    op_id = append_op(conn, entity_id=product_id, payload=op, client_ts=now)
    return ThresholdsOut(
        product_id=product_id, min_stock=cmd.min_stock, max_stock=cmd.max_stock, op_id=op_id
    )
