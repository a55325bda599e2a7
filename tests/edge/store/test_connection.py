from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from stocky.edge.store import BUSY_TIMEOUT_MS, Store, connect_reader, connect_writer
from stocky.edge.store.connection import OPERATIONAL_ERRORS


def _pragma(conn: sqlite3.Connection, name: str) -> object:
    return conn.execute(f"PRAGMA {name}").fetchone()[0]


class TestWriterConnection:
    def test_pragmas(self, store: Store) -> None:
        values = store.write(
            lambda conn: {
                name: _pragma(conn, name)
                for name in (
                    "journal_mode",
                    "foreign_keys",
                    "auto_vacuum",
                    "busy_timeout",
                    "recursive_triggers",
                )
            }
        )
        assert values == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "auto_vacuum": 2,  # INCREMENTAL
            "busy_timeout": BUSY_TIMEOUT_MS,
            "recursive_triggers": 1,
        }

    def test_durable_writes_commit_with_synchronous_full(self, store: Store) -> None:
        def synchronous(conn: sqlite3.Connection) -> object:
            return _pragma(conn, "synchronous")

        assert store.write(synchronous) == 2
        assert store.write(synchronous, durable=False) == 1
        assert store.write(synchronous, durable=False) == 1
        assert store.write(synchronous, durable=True) == 2

    def test_writer_is_not_in_autocommit_only_inside_writes(self, store: Store) -> None:
        assert store.write(lambda conn: conn.in_transaction) is True
        assert store.write(lambda conn: conn.isolation_level) is None

    def test_auto_vacuum_set_before_wal_on_a_new_file(self, tmp_path: Path) -> None:
        conn = connect_writer(tmp_path / "new.db")
        try:
            conn.execute("CREATE TABLE t (x INTEGER) STRICT")
            assert _pragma(conn, "auto_vacuum") == 2
            assert _pragma(conn, "journal_mode") == "wal"
        finally:
            conn.close()


class TestReaderConnection:
    def test_pragmas(self, store: Store) -> None:
        values = store.read(
            lambda conn: (
                _pragma(conn, "journal_mode"),
                _pragma(conn, "foreign_keys"),
                _pragma(conn, "busy_timeout"),
                _pragma(conn, "synchronous"),
            )
        )
        assert values == ("wal", 1, BUSY_TIMEOUT_MS, 1)

    def test_reader_is_read_only(self, store: Store) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('cursor', 'x')")

        with pytest.raises(OPERATIONAL_ERRORS, match="readonly"):
            store.read(insert)

    def test_connect_reader_opens_by_uri(self, store: Store) -> None:
        conn = connect_reader(store.path)
        try:
            assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0
        finally:
            conn.close()

    def test_rows_are_addressable_by_name(self, store: Store) -> None:
        row = store.read(lambda conn: conn.execute("SELECT 1 AS one").fetchone())
        assert row["one"] == 1
