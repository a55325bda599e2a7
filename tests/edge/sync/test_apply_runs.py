"""A page applies consecutive products, stock rows and movements together: the result must
be the same as applying its changes one page each, in order."""

from __future__ import annotations

import sqlite3
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.core.ops import ProductPayload
from stocky.core.sync import Change
from stocky.edge.outbox import append_op
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.apply import apply_page
from tests.edge.factories import Caja, caja, create_activated_store
from tests.edge.sync.cloud_rows import (
    change,
    inventory_change,
    inventory_row,
    page,
    product_row,
    transaction_row,
)

__all__ = ["caja"]

NOW = "2026-02-01T10:00:00.000000Z"

# (product index, sku index, barcode index or None, delete?)
product_steps = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 2),
        st.one_of(st.none(), st.integers(0, 1)),
        st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


class _Undo(Exception):
    def __init__(self, state: Any) -> None:
        self.state = state


def _state(conn: sqlite3.Connection) -> Any:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.execute(sql).fetchall()]

    return (
        rows("SELECT * FROM products ORDER BY id"),
        rows("SELECT entity, entity_id, position, data FROM pull_deferred ORDER BY 1, 2"),
        rows("SELECT * FROM inventory ORDER BY product_id"),
        rows("SELECT * FROM transactions ORDER BY id"),
    )


def _one_by_one_and_together(caja: Caja, changes: list[Change]) -> tuple[Any, Any]:
    sede = caja.sede["sede_id"]

    def one_by_one(conn: sqlite3.Connection) -> None:
        for c in changes:
            apply_page(conn, page([c]), sede_id=sede, now=NOW)
        raise _Undo(_state(conn))

    try:
        caja.store.write(one_by_one)
    except _Undo as undone:
        expected = undone.state

    def together(conn: sqlite3.Connection) -> Any:
        apply_page(conn, page(changes), sede_id=sede, now=NOW)
        return _state(conn)

    return expected, caja.store.write(together)


def _product_changes(caja: Caja, steps: list[tuple[int, int, int | None, bool]]) -> list[Change]:
    tenant = caja.sede["tenant_id"]
    changes = []
    for version, (p, sku, barcode, delete) in enumerate(steps, start=2):
        product = caja.products[p]
        row = product_row(
            tenant,
            id=product["id"],
            sku=f"SKU-{sku:05d}",
            barcode=None if barcode is None else f"770{barcode:010d}",
            version=version,
            name=f"v{version}",
        )
        changes.append(change("products", product["id"], row, op="delete" if delete else "upsert"))
    return changes


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=product_steps, pending=st.booleans())
def test_products_together_as_one_by_one(steps, pending: bool) -> None:
    # SKUs and barcodes move between products, also "early" (a change whose transaction
    # took a lower xid but committed after the one freeing the value).
    with tempfile.TemporaryDirectory() as tmp:
        caja = create_activated_store(Path(tmp), products=4)
        try:
            if pending:  # a local edit of product 1 is still unsent: its rows wait
                pid = caja.products[1]["id"]
                caja.store.write(
                    lambda c: append_op(
                        c,
                        entity_id=pid,
                        payload=ProductPayload(
                            id=pid, sku="LOCAL", name="local", price=Decimal("1")
                        ),
                        client_ts=utc_now(),
                        base_version=1,
                    )
                )
            expected, got = _one_by_one_and_together(caja, _product_changes(caja, steps))
            assert got == expected
        finally:
            caja.store.close()


def test_a_barcode_taken_before_its_holder_lets_go(caja: Caja) -> None:
    """Feed order [A takes b, B takes b, A lets b go]: never a unique violation."""
    a, b = caja.products[0], caja.products[1]
    tenant, code = caja.sede["tenant_id"], "7709999999999"
    rows = [
        product_row(tenant, id=a["id"], sku=a["sku"], barcode=code, version=2),
        product_row(tenant, id=b["id"], sku=b["sku"], barcode=code, version=2),
        product_row(tenant, id=a["id"], sku=a["sku"], barcode=None, version=3),
    ]
    expected, got = _one_by_one_and_together(caja, [change("products", r["id"], r) for r in rows])
    assert got == expected
    holders = [r[0] for r in got[0] if code in r]
    assert holders == [b["id"]]


def test_movements_and_stock_together_as_one_by_one(caja: Caja) -> None:
    tenant, sede = caja.sede["tenant_id"], caja.sede["sede_id"]
    p0, p1 = caja.products[0]["id"], caja.products[1]["id"]
    twice = transaction_row(tenant, sede, p0, "-1.000")
    changes = [
        change("transactions", twice["id"], twice),
        change("transactions", "x", transaction_row(tenant, sede, p1, "4.000")),
        change("transactions", twice["id"], {**twice, "server_timestamp": None}),
        change("transactions", "y", transaction_row(tenant, "another-sede", p1, "2.000")),
        inventory_change(inventory_row(tenant, sede, p0, Decimal("9.000"))),
        inventory_change(inventory_row(tenant, sede, p1, "14.000")),
        inventory_change(inventory_row(tenant, "another-sede", p1, "1.000")),
        inventory_change(inventory_row(tenant, sede, p0, Decimal("8.500"), min_stock="2")),
    ]
    expected, got = _one_by_one_and_together(caja, changes)
    assert got == expected
    assert len(got[3]) == 2, "one row per movement of this sede, the repeat marks it again"
