from __future__ import annotations

import sqlite3
import time

import pytest

from stocky.core.ids import new_id_str
from stocky.edge.store import (
    Store,
    fts_query,
    product_by_barcode,
    rebuild_product_search,
    search_products,
)
from tests.edge.store.factories import create_product


def _names(store: Store, text: str, **kwargs: bool) -> list[str]:
    return [row["name"] for row in store.read(lambda c: search_products(c, text, **kwargs))]


def _fts_consistent(conn: sqlite3.Connection) -> None:
    # rank=1 makes integrity-check compare the index with the products table itself.
    conn.execute("INSERT INTO products_fts (products_fts, rank) VALUES ('integrity-check', 1)")


@pytest.fixture
def catalog(store: Store) -> Store:
    def seed(conn: sqlite3.Connection) -> None:
        create_product(conn, name="Coca Cola 350ml", sku="BEB-001", category="Bebidas")
        create_product(conn, name="Azúcar Manuelita 1kg", sku="ABA-010", barcode="7702001")
        create_product(conn, name="Arroz Diana 500g", sku="ABA-020", category="Abarrotes")
        create_product(conn, name="Colcafé clásico", sku="BEB-002", active=0)

    store.write(seed)
    return store


class TestSearchProducts:
    def test_name_prefix(self, catalog: Store) -> None:
        assert _names(catalog, "coc") == ["Coca Cola 350ml"]
        assert _names(catalog, "co") == ["Coca Cola 350ml"]
        assert _names(catalog, "co", include_inactive=True) == [
            "Coca Cola 350ml",
            "Colcafé clásico",
        ]

    def test_every_word_must_match(self, catalog: Store) -> None:
        assert _names(catalog, "arroz dia") == ["Arroz Diana 500g"]
        assert _names(catalog, "arroz coca") == []

    def test_accents_and_case_do_not_matter(self, catalog: Store) -> None:
        assert _names(catalog, "AZUCAR") == ["Azúcar Manuelita 1kg"]

    def test_sku_barcode_and_category(self, catalog: Store) -> None:
        assert _names(catalog, "ABA-020") == ["Arroz Diana 500g"]
        assert _names(catalog, "7702") == ["Azúcar Manuelita 1kg"]
        assert _names(catalog, "bebidas") == ["Coca Cola 350ml"]

    @pytest.mark.parametrize("text", ['"', "AND", "name:x", "*", "a OR", "(", "NEAR(a b)", ""])
    def test_fts_syntax_typed_by_a_user_never_raises(self, catalog: Store, text: str) -> None:
        catalog.read(lambda c: search_products(c, text))

    def test_fts_query(self) -> None:
        assert fts_query("  coca  co-la ") == '"coca"* "co"* "la"*'
        assert fts_query("¿?") is None

    def test_limit_and_offset(self, catalog: Store) -> None:
        everything = _names(catalog, "a", include_inactive=True)
        page = catalog.read(lambda c: search_products(c, "a", limit=1, offset=1))
        assert [row["name"] for row in page] == everything[1:2]


class TestIndexFollowsProducts:
    def test_update_and_delete(self, catalog: Store) -> None:
        catalog.write(
            lambda c: c.execute("UPDATE products SET name = 'Pepsi 350ml' WHERE sku = 'BEB-001'")
        )
        assert _names(catalog, "coca") == []
        assert _names(catalog, "pepsi") == ["Pepsi 350ml"]

        catalog.write(
            lambda c: c.execute("UPDATE products SET price_cents = 1 WHERE sku = 'BEB-001'")
        )
        assert _names(catalog, "pepsi") == ["Pepsi 350ml"]

        catalog.write(lambda c: c.execute("DELETE FROM products WHERE sku = 'BEB-001'"))
        assert _names(catalog, "pepsi") == []
        catalog.write(_fts_consistent)

    def test_insert_or_replace_does_not_leave_ghosts(self, catalog: Store) -> None:
        # REPLACE deletes the conflicting row; only recursive_triggers makes that fire the
        # delete trigger that removes it from the index.
        catalog.write(
            lambda c: c.execute(
                "INSERT OR REPLACE INTO products (id, sku, name, price_cents, last_modified_at)"
                " VALUES (?, 'ABA-020', 'Lentejas', 100, '2026-01-01T00:00:00.000000Z')",
                (new_id_str(),),
            )
        )
        assert _names(catalog, "arroz") == []
        assert _names(catalog, "lentejas") == ["Lentejas"]
        catalog.write(_fts_consistent)

    def test_rebuild(self, catalog: Store) -> None:
        catalog.write(rebuild_product_search)
        assert _names(catalog, "coca") == ["Coca Cola 350ml"]
        catalog.write(_fts_consistent)


class TestBarcode:
    def test_main_and_extra_barcodes(self, catalog: Store) -> None:
        def add_extra(conn: sqlite3.Connection) -> None:
            product_id = conn.execute("SELECT id FROM products WHERE sku = 'ABA-020'").fetchone()[0]
            conn.execute("INSERT INTO product_barcodes VALUES ('9990001', ?)", (product_id,))

        catalog.write(add_extra)
        main = catalog.read(lambda c: product_by_barcode(c, "7702001"))
        extra = catalog.read(lambda c: product_by_barcode(c, "9990001"))
        assert main is not None
        assert main["sku"] == "ABA-010"
        assert extra is not None
        assert extra["sku"] == "ABA-020"
        assert catalog.read(lambda c: product_by_barcode(c, "0000")) is None


class TestScale:
    def test_search_50k_products_is_fast(self, store: Store) -> None:
        words = ["leche", "pan", "queso", "arroz", "jabón", "café", "aceite", "galletas"]

        def seed(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO products (id, sku, name, category, barcode, price_cents,"
                " last_modified_at) VALUES (?, ?, ?, ?, ?, 100, '2026-01-01T00:00:00.000000Z')",
                (
                    (
                        new_id_str(),
                        f"SKU-{i:06d}",
                        f"{words[i % 8]} marca{i % 97} {i}",
                        words[(i + 3) % 8],
                        f"77{i:011d}",
                    )
                    for i in range(50_000)
                ),
            )

        store.write(seed, durable=False)
        started = time.perf_counter()
        rows = store.read(lambda c: search_products(c, "queso marca1", limit=50))
        elapsed = time.perf_counter() - started
        assert len(rows) == 50
        for row in rows:
            text = f"{row['name']} {row['category']}"
            assert "queso" in text
            assert " marca1" in text
        assert elapsed < 0.5, f"search took {elapsed:.3f}s"
