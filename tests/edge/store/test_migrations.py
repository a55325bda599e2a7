from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from stocky.edge.store import MIGRATIONS, MigrationError, Store, migrate, schema_version
from stocky.edge.store.connection import OPERATIONAL_ERRORS
from stocky.edge.store.migrations import split_statements
from tests.edge.store.factories import open_store

TABLES = {
    "app_config",
    "sede_info",
    "users",
    "products",
    "product_barcodes",
    "products_fts",
    "inventory",
    "shifts",
    "sales",
    "sale_payments",
    "transactions",
    "sync_queue",
    "auth_session",
    "audit_logs",
    "sync_state",
    "lan_peers",
}


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


class TestMigrate:
    def test_new_file_gets_the_whole_schema(self, store: Store) -> None:
        names = store.read(
            lambda conn: {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        )
        assert names >= TABLES
        assert store.read(schema_version) == len(MIGRATIONS)

    def test_reopen_is_idempotent(self, tmp_path: Path) -> None:
        first = open_store(tmp_path)
        before = first.read(_schema)
        first.write(
            lambda conn: conn.execute("INSERT INTO sync_state (key, value) VALUES ('epoch', 7)")
        )
        first.close()

        for _ in range(2):
            again = open_store(tmp_path)
            assert again.read(_schema) == before
            assert again.read(schema_version) == len(MIGRATIONS)
            value = again.read(
                lambda conn: conn.execute("SELECT value FROM sync_state").fetchone()[0]
            )
            assert value == 7
            again.close()

    def test_new_migration_applies_on_top(self, tmp_path: Path) -> None:
        open_store(tmp_path).close()
        extra = "CREATE TABLE extra (id TEXT PRIMARY KEY) STRICT;"
        store = Store.open(tmp_path / "data" / "caja.db", migrations=(*MIGRATIONS, extra))
        try:
            assert store.read(schema_version) == len(MIGRATIONS) + 1
            store.write(lambda conn: conn.execute("INSERT INTO extra VALUES ('a')"))
        finally:
            store.close()

    def test_failing_migration_rolls_back_whole_step(self, tmp_path: Path) -> None:
        conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
        broken = "CREATE TABLE a (x INTEGER);\nCREATE TABLE a (x INTEGER);"
        with pytest.raises(OPERATIONAL_ERRORS, match="already exists"):
            migrate(conn, ("CREATE TABLE first (x INTEGER);", broken))
        assert schema_version(conn) == 1
        assert (
            conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'a'").fetchone()[0] == 0
        )
        conn.close()

    def test_newer_file_is_refused(self, tmp_path: Path) -> None:
        conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
        with pytest.raises(MigrationError, match="newer"):
            migrate(conn)
        conn.close()

    def test_store_open_surfaces_migration_errors(self, tmp_path: Path) -> None:
        with pytest.raises(OPERATIONAL_ERRORS):
            Store.open(tmp_path / "x.db", migrations=("CREATE TABLE broken (;",))


class TestSplitStatements:
    def test_trigger_bodies_stay_whole(self) -> None:
        script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x INTEGER);
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN
            SELECT 1;
            SELECT 2;
        END;
        -- trailing comment
        """
        statements = list(split_statements(script))
        assert len(statements) == 2
        assert statements[1].startswith("CREATE TRIGGER")
        assert statements[1].endswith("END;")

    def test_incomplete_statement_is_an_error(self) -> None:
        with pytest.raises(MigrationError, match="incomplete"):
            list(split_statements("CREATE TABLE t (x INTEGER)"))

    def test_schema_splits_cleanly(self) -> None:
        for script in MIGRATIONS:
            assert all(sqlite3.complete_statement(s) for s in split_statements(script))
