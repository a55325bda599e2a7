from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from stocky.core.ids import new_id_str
from stocky.core.money import cents_to_money, milli_to_quantity, money_to_cents, quantity_to_milli
from stocky.edge.store import Store, utc_now
from stocky.edge.store.connection import INTEGRITY_ERRORS
from tests.edge.store.factories import create_product, create_user

TS = "2026-01-01T00:00:00.000000Z"


def _insert(table: str, row: dict[str, Any]) -> Callable[[sqlite3.Connection], None]:
    def fn(conn: sqlite3.Connection) -> None:
        columns = ", ".join(row)
        params = ", ".join(f":{key}" for key in row)
        conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({params})", row)

    return fn


def _movement(product_id: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": new_id_str(),
        "type": "sale",
        "product_id": product_id,
        "quantity_milli": -1000,
        "unit_price_cents": 1000,
        "document_id": new_id_str(),
        "user_id": new_id_str(),
        "client_ts": TS,
    }
    row.update(overrides)
    return row


def _sale(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": new_id_str(),
        "number": 1,
        "user_id": new_id_str(),
        "subtotal_cents": 1000,
        "total_cents": 1000,
        "paid_cents": 1000,
        "client_ts": TS,
    }
    row.update(overrides)
    return row


def _op(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "op_id": new_id_str(),
        "kind": "transaction.create",
        "entity_id": new_id_str(),
        "payload": "{}",
        "client_ts": TS,
        "created_at": TS,
    }
    row.update(overrides)
    return row


@pytest.fixture
def product_id(store: Store) -> str:
    row = store.write(lambda conn: create_product(conn))
    product: str = row["id"]
    return product


class TestEnumChecks:
    @pytest.mark.parametrize(
        ("table", "row"),
        [
            ("products", {"unit": "kg"}),
            ("users", {"role": "superuser"}),
            ("sale_payments", {"method": "bitcoin"}),
            ("sales", {"status": "lost"}),
            ("shifts", {"status": "paused"}),
            ("sync_queue", {"status": "sent"}),
            ("lan_peers", {"role": "boss"}),
            ("transactions", {"type": "theft"}),
        ],
    )
    def test_bad_enum_value_is_rejected(
        self, store: Store, product_id: str, table: str, row: dict[str, Any]
    ) -> None:
        sale = _sale()
        store.write(_insert("sales", sale))
        base: dict[str, dict[str, Any]] = {
            "products": {
                "id": new_id_str(),
                "sku": "X",
                "name": "x",
                "price_cents": 1,
                "last_modified_at": TS,
            },
            "users": {
                "id": new_id_str(),
                "tenant_id": "t",
                "email": "a@b.c",
                "name": "a",
                "role": "cashier",
                "updated_at": TS,
            },
            "sale_payments": {
                "id": new_id_str(),
                "sale_id": sale["id"],
                "method": "cash",
                "amount_cents": 1000,
            },
            "sales": _sale(number=2),
            "shifts": {
                "id": new_id_str(),
                "user_id": "u",
                "opened_at": TS,
                "opening_float_cents": 0,
            },
            "sync_queue": _op(),
            "lan_peers": {
                "device_id": "d",
                "address": "10.0.0.2",
                "port": 3001,
                "rank": 1,
                "last_seen_at": TS,
            },
            "transactions": _movement(product_id),
        }
        store.write(_insert(table, base[table]))  # the valid row is accepted
        bad = {**base[table], **row}
        for key in ("id", "op_id", "device_id"):
            if key in bad:
                bad[key] = new_id_str()
        if table == "sales":
            bad["number"] = 3
        if table == "products":
            bad["sku"] = "Y"
        if table == "shifts":
            bad["closed_at"] = TS  # another open shift would hit the one-open index first
        with pytest.raises(INTEGRITY_ERRORS, match="CHECK constraint failed"):
            store.write(_insert(table, bad))


class TestConstraints:
    def test_sede_info_is_a_single_row(self, store: Store) -> None:
        row = {
            "id": 2,
            "tenant_id": "t",
            "tenant_name": "T",
            "sede_id": "s",
            "sede_name": "S",
            "device_id": "d",
            "device_name": "Caja 1",
            "device_credential": "secret",
            "cloud_url": "https://x",
            "currency": "COP",
            "locale": "es-CO",
            "timezone": "America/Bogota",
            "activated_at": TS,
        }
        with pytest.raises(INTEGRITY_ERRORS, match="CHECK"):
            store.write(_insert("sede_info", row))
        store.write(_insert("sede_info", {**row, "id": 1}))

    def test_strict_tables_refuse_floats_for_cents(self, store: Store) -> None:
        with pytest.raises(INTEGRITY_ERRORS):
            store.write(lambda conn: create_product(conn, price_cents=10.5))

    def test_json_columns_must_be_valid(self, store: Store) -> None:
        with pytest.raises(INTEGRITY_ERRORS, match="CHECK"):
            store.write(_insert("app_config", {"key": "k", "value": "{not json"}))
        with pytest.raises(INTEGRITY_ERRORS, match="CHECK"):
            store.write(_insert("sync_queue", _op(payload="nope")))

    def test_tax_rate_is_a_decimal_string(self, store: Store) -> None:
        store.write(lambda conn: create_product(conn, tax_rate="0.19"))
        with pytest.raises(INTEGRITY_ERRORS, match="CHECK"):
            store.write(lambda conn: create_product(conn, tax_rate="19%"))

    def test_unique_sku_and_barcode(self, store: Store) -> None:
        store.write(lambda conn: create_product(conn, sku="A", barcode="1"))
        store.write(lambda conn: create_product(conn, sku="B", barcode=None))
        store.write(lambda conn: create_product(conn, sku="C", barcode=None))
        with pytest.raises(INTEGRITY_ERRORS, match="UNIQUE"):
            store.write(lambda conn: create_product(conn, sku="A"))
        with pytest.raises(INTEGRITY_ERRORS, match="UNIQUE"):
            store.write(lambda conn: create_product(conn, sku="D", barcode="1"))

    def test_only_one_open_shift(self, store: Store) -> None:
        def shift() -> dict[str, Any]:
            return {"id": new_id_str(), "user_id": "u", "opened_at": TS, "opening_float_cents": 0}

        store.write(_insert("shifts", shift()))
        with pytest.raises(INTEGRITY_ERRORS, match="UNIQUE"):
            store.write(_insert("shifts", shift()))

    def test_foreign_keys_are_enforced(self, store: Store) -> None:
        with pytest.raises(INTEGRITY_ERRORS, match="FOREIGN KEY"):
            store.write(_insert("transactions", _movement(new_id_str())))
        with pytest.raises(INTEGRITY_ERRORS, match="FOREIGN KEY"):
            store.write(
                _insert(
                    "sale_payments",
                    {"id": "p", "sale_id": "nope", "method": "cash", "amount_cents": 1},
                )
            )

    def test_product_fks_are_checked_at_commit(self, store: Store) -> None:
        # A pulled page may carry a movement before the product it names.
        product = new_id_str()

        def movement_first(conn: sqlite3.Connection) -> None:
            _insert("transactions", _movement(product))(conn)
            create_product(conn, id=product)

        store.write(movement_first, durable=False)

    def test_session_goes_with_its_user(self, store: Store) -> None:
        user = store.write(lambda conn: create_user(conn))
        session = {
            "token_hash": "h",
            "user_id": user["id"],
            "created_at": TS,
            "last_seen_at": TS,
            "expires_at": TS,
        }
        store.write(_insert("auth_session", session))
        store.write(lambda conn: conn.execute("DELETE FROM users WHERE id = ?", (user["id"],)))
        assert (
            store.read(lambda c: c.execute("SELECT count(*) FROM auth_session").fetchone()[0]) == 0
        )


class TestTransactions:
    @pytest.mark.parametrize(
        ("kind", "quantity_milli"),
        [("sale", 1000), ("return", -1000), ("entry", -1), ("transfer_out", 5), ("sale", 0)],
    )
    def test_sign_follows_the_type(
        self, store: Store, product_id: str, kind: str, quantity_milli: int
    ) -> None:
        row = _movement(product_id, type=kind, quantity_milli=quantity_milli)
        with pytest.raises(INTEGRITY_ERRORS, match="CHECK"):
            store.write(_insert("transactions", row))

    def test_append_only(self, store: Store, product_id: str) -> None:
        row = _movement(product_id)
        store.write(_insert("transactions", row))
        with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
            store.write(lambda c: c.execute("UPDATE transactions SET quantity_milli = -2000"))
        with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
            store.write(lambda c: c.execute("DELETE FROM transactions"))
        # What the cloud tells us later may be recorded.
        store.write(
            lambda c: c.execute(
                "UPDATE transactions SET cloud_position = '42', server_ts = ?", (TS,)
            )
        )

    def test_sums_are_exact(self, store: Store, product_id: str) -> None:
        quantities = ["0.333", "0.333", "0.334", "1.1", "2.2"]
        prices = ["0.10", "0.20", "0.30"]

        def seed(conn: sqlite3.Connection) -> None:
            for q in quantities:
                _insert(
                    "transactions",
                    _movement(
                        product_id, type="entry", quantity_milli=quantity_to_milli(Decimal(q))
                    ),
                )(conn)
            for i, p in enumerate(prices, start=1):
                _insert("sales", _sale(number=i, total_cents=money_to_cents(Decimal(p))))(conn)

        store.write(seed)
        milli, cents = store.read(
            lambda c: c.execute(
                "SELECT (SELECT sum(quantity_milli) FROM transactions),"
                " (SELECT sum(total_cents) FROM sales)"
            ).fetchone()
        )
        assert str(milli_to_quantity(milli)) == "4.300"
        assert str(cents_to_money(cents)) == "0.60"


class TestSyncQueue:
    def test_seq_is_queue_order_and_op_id_unique(self, store: Store) -> None:
        ops = [_op() for _ in range(3)]
        for op in ops:
            store.write(_insert("sync_queue", op))
        rows = store.read(
            lambda c: c.execute(
                "SELECT op_id, status, attempts FROM sync_queue"
                " WHERE status = 'pending' ORDER BY seq"
            ).fetchall()
        )
        assert [tuple(r) for r in rows] == [(op["op_id"], "pending", 0) for op in ops]
        with pytest.raises(INTEGRITY_ERRORS, match="UNIQUE"):
            store.write(_insert("sync_queue", _op(op_id=ops[0]["op_id"])))

    def test_pending_scan_uses_the_partial_index(self, store: Store) -> None:
        plan = store.read(
            lambda c: c.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM sync_queue WHERE status = 'pending'"
                " ORDER BY seq LIMIT 50"
            ).fetchall()
        )
        assert any("sync_queue_pending" in row["detail"] for row in plan)


def test_utc_now_sorts_as_text() -> None:
    first = utc_now()
    assert first.endswith("Z")
    assert len(first) == len(TS)
    assert utc_now() >= first
