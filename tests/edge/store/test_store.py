from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stocky.edge.store import Store, StoreClosedError, StoreError
from stocky.edge.store.connection import INTEGRITY_ERRORS
from tests.edge.store.factories import open_store


def _set(key: str, value: object) -> Callable[[sqlite3.Connection], None]:
    def fn(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    return fn


def _get(key: str) -> Callable[[sqlite3.Connection], object]:
    def fn(conn: sqlite3.Connection) -> object:
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    return fn


def _count(conn: sqlite3.Connection) -> int:
    count: int = conn.execute("SELECT count(*) FROM sync_state").fetchone()[0]
    return count


def _increment(conn: sqlite3.Connection) -> int:
    # Read-modify-write: loses updates unless writes are truly serialized.
    value: int = conn.execute("SELECT value FROM sync_state WHERE key = 'n'").fetchone()[0]
    conn.execute("UPDATE sync_state SET value = ? WHERE key = 'n'", (value + 1,))
    return value + 1


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


class TestWrite:
    def test_returns_the_result(self, store: Store) -> None:
        assert store.write(lambda conn: conn.execute("SELECT 41 + 1").fetchone()[0]) == 42

    def test_exception_rolls_back_and_is_raised(self, store: Store) -> None:
        class Boom(Exception):
            pass

        def fails(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('a', 1)")
            raise Boom("no")

        with pytest.raises(Boom, match="no"):
            store.write(fails)
        assert store.read(_count) == 0
        store.write(_set("b", 2))  # the writer is still healthy
        assert store.read(_get("b")) == 2

    def test_constraint_error_rolls_back_every_statement(self, store: Store) -> None:
        def half(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('a', 1)")
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('a', 2)")

        with pytest.raises(INTEGRITY_ERRORS):
            store.write(half)
        assert store.read(_count) == 0

    def test_callback_must_not_commit_itself(self, store: Store) -> None:
        with pytest.raises(StoreError, match="must not end"):
            store.write(lambda conn: conn.execute("COMMIT"))
        store.write(_set("ok", 1))

    def test_nested_write_is_refused(self, store: Store) -> None:
        with pytest.raises(StoreError, match="inside a write"):
            store.write(lambda conn: store.write(_set("a", 1)))
        assert store.read(_count) == 0

    def test_many_threads_write_serially(self, store: Store) -> None:
        store.write(_set("n", 0))
        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(lambda _: store.write(_increment), range(400)))
        assert sorted(results) == list(range(1, 401))
        assert store.read(_get("n")) == 400


class TestRead:
    def test_reader_sees_old_state_during_a_long_write(self, store: Store) -> None:
        inside, release = threading.Event(), threading.Event()

        def long_write(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('a', 1)")
            inside.set()
            assert release.wait(10)

        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(store.write, long_write)
            assert inside.wait(5)
            started = time.monotonic()
            assert store.read(_count) == 0
            assert time.monotonic() - started < 1.0  # not blocked behind the writer
            release.set()
            pending.result(timeout=5)
        assert store.read(_count) == 1

    def test_one_read_is_one_snapshot(self, store: Store) -> None:
        store.write(_set("n", 0))

        def read_twice(conn: sqlite3.Connection) -> tuple[object, object]:
            first = _get("n")(conn)
            store.write(_increment)  # commits on the writer between our two queries
            return first, _get("n")(conn)

        assert store.read(read_twice) == (0, 0)
        assert store.read(_get("n")) == 1

    def test_readers_are_reused(self, store: Store) -> None:
        first = store.read(id)
        assert store.read(id) == first


class TestClose:
    def test_close_drains_queued_writes(self, tmp_path: Path) -> None:
        store = open_store(tmp_path)
        gate = threading.Event()
        total = 50
        with ThreadPoolExecutor(max_workers=total + 2) as pool:
            pool.submit(store.write, lambda conn: gate.wait(10))
            writes = [pool.submit(store.write, _set(f"k{i}", i)) for i in range(total)]
            # Every write is queued behind the held writer before close() starts.
            _wait_for(lambda: store._jobs.qsize() == total)
            closing = pool.submit(store.close)
            _wait_for(lambda: store.closed)
            gate.set()
            closing.result(timeout=10)
            assert [w.result(timeout=1) for w in writes] == [None] * total

        reopened = open_store(tmp_path)
        try:
            assert reopened.read(_count) == total
        finally:
            reopened.close()

    def test_writes_and_reads_after_close_raise(self, tmp_path: Path) -> None:
        store = open_store(tmp_path)
        store.close()
        with pytest.raises(StoreClosedError, match="closed"):
            store.write(_set("a", 1))
        with pytest.raises(StoreClosedError):
            store.read(_count)
        store.close()  # idempotent

    def test_context_manager_closes(self, tmp_path: Path) -> None:
        with open_store(tmp_path) as store:
            store.write(_set("a", 1))
        assert store.closed


class TestAsync:
    @pytest.mark.asyncio
    async def test_awrite_and_aread(self, store: Store) -> None:
        await store.awrite(_set("a", 1))
        assert await store.aread(_get("a")) == 1

    @pytest.mark.asyncio
    async def test_awrite_raises_and_rolls_back(self, store: Store) -> None:
        def fails(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('a', 1)")
            raise ValueError("bad")

        with pytest.raises(ValueError, match="bad"):
            await store.awrite(fails)
        assert await store.aread(_count) == 0

    @pytest.mark.asyncio
    async def test_awrite_durability(self, store: Store) -> None:
        def synchronous(conn: sqlite3.Connection) -> int:
            level: int = conn.execute("PRAGMA synchronous").fetchone()[0]
            return level

        assert await store.awrite(synchronous) == 2
        assert await store.awrite(synchronous, durable=False) == 1

    @pytest.mark.asyncio
    async def test_concurrent_awrites_are_serialized(self, store: Store) -> None:
        await store.awrite(_set("n", 0))
        results = await asyncio.gather(*(store.awrite(_increment) for _ in range(200)))
        assert sorted(results) == list(range(1, 201))

    @pytest.mark.asyncio
    async def test_aread_does_not_wait_for_a_long_write(self, store: Store) -> None:
        release = threading.Event()

        def long_write(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sync_state (key, value) VALUES ('a', 1)")
            assert release.wait(10)

        writing = asyncio.ensure_future(store.awrite(long_write))
        await asyncio.sleep(0.05)
        assert await asyncio.wait_for(store.aread(_count), timeout=1) == 0
        release.set()
        await writing
        assert await store.aread(_count) == 1

    @pytest.mark.asyncio
    async def test_aclose_drains_awrites(self, tmp_path: Path) -> None:
        store = open_store(tmp_path)
        tasks = [asyncio.ensure_future(store.awrite(_set(f"k{i}", i))) for i in range(30)]
        await asyncio.sleep(0)  # let every task queue its write
        await store.aclose()
        await asyncio.gather(*tasks)
        with pytest.raises(StoreClosedError):
            await store.awrite(_set("late", 1))
        reopened = open_store(tmp_path)
        try:
            assert reopened.read(_count) == 30
        finally:
            reopened.close()
