"""The caja's store: one writer thread owns every write, read-only connections serve reads.

Datasette's database.py pattern: writes are queued to a dedicated thread that runs each one
in BEGIN IMMEDIATE ... COMMIT, so SQLite never sees two writers and callers never see
SQLITE_BUSY from each other; reads run in parallel on `mode=ro` connections under WAL.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar

from stocky.edge.store.connection import connect_reader, connect_writer
from stocky.edge.store.errors import StoreClosedError as StoreClosedError
from stocky.edge.store.errors import StoreError as StoreError
from stocky.edge.store.migrations import migrate
from stocky.edge.store.schema import MIGRATIONS

T = TypeVar("T")
Synchronous = Literal["FULL", "NORMAL"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Job(Generic[T]):
    fn: Callable[[sqlite3.Connection], T]
    durable: bool
    on_result: Callable[[T], None]
    on_error: Callable[[BaseException], None]


def _set_result(fut: asyncio.Future[T], result: T) -> None:
    if not fut.cancelled():
        fut.set_result(result)


def _set_error(fut: asyncio.Future[Any], exc: BaseException) -> None:
    if not fut.cancelled():
        fut.set_exception(exc)


class Store:
    """One caja's SQLite file: `write`/`awrite` serialize on the writer, `read`/`aread` don't."""

    def __init__(
        self,
        path: Path | str,
        *,
        migrations: Sequence[str] = MIGRATIONS,
        readers: int = 4,
    ) -> None:
        self.path = Path(path)
        self._migrations = tuple(migrations)
        self._max_idle_readers = readers
        self._lock = threading.Lock()
        self._closed = False
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._idle_readers: list[sqlite3.Connection] = []
        self._synchronous: Synchronous = "NORMAL"
        self._commit_listeners: list[Callable[[], None]] = []
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._reader_pool = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="store-read")
        # Daemon, so a forgotten close() cannot hang interpreter exit; committed work is safe.
        self._writer = threading.Thread(
            target=self._run_writer, name=f"store-writer:{self.path.name}", daemon=True
        )
        self._writer.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._closed = True
            self._writer.join()
            self._reader_pool.shutdown()
            raise self._startup_error

    @classmethod
    def open(
        cls, path: Path | str, *, migrations: Sequence[str] = MIGRATIONS, readers: int = 4
    ) -> Self:
        """Create the parent directories and the file if needed, migrate, and start the writer."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return cls(path, migrations=migrations, readers=readers)

    @property
    def closed(self) -> bool:
        return self._closed

    # Writes -----------------------------------------------------------------------------

    def write(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run `fn(conn)` in one write transaction on the writer thread; return its result.

        `durable=True` commits with synchronous=FULL (survives a power cut); use False only for
        data the cloud can send again (pulled pages). An exception in fn rolls back and is raised.
        """
        self._refuse_nested("write")
        fut: Future[T] = Future()
        self._submit(_Job(fn, durable, fut.set_result, fut.set_exception))
        return fut.result()

    async def awrite(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """`write` for asyncio. Cancelling the awaiting task does not cancel a queued write."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()

        def on_result(result: T) -> None:
            loop.call_soon_threadsafe(_set_result, fut, result)

        def on_error(exc: BaseException) -> None:
            loop.call_soon_threadsafe(_set_error, fut, exc)

        self._submit(_Job(fn, durable, on_result, on_error))
        return await fut

    def _submit(self, job: _Job[Any]) -> None:
        # Checked and queued under one lock, so nothing lands behind close()'s sentinel.
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"store {self.path} is closed")
            self._jobs.put(job)

    def _refuse_nested(self, what: str) -> None:
        if threading.get_ident() == self._writer.ident:
            raise StoreError(
                f"{what}() called from inside a write: use the connection you were given"
            )

    def _run_writer(self) -> None:
        try:
            conn = connect_writer(self.path)
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            return
        try:
            migrate(conn, self._migrations)
        except BaseException as exc:
            conn.close()
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while (job := self._jobs.get()) is not None:
                self._execute(conn, job)
        finally:
            conn.close()

    def _execute(self, conn: sqlite3.Connection, job: _Job[T]) -> None:
        try:
            self._set_synchronous(conn, "FULL" if job.durable else "NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = job.fn(conn)
                if not conn.in_transaction:
                    raise StoreError("the write callback must not end its transaction")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except BaseException as exc:
            self._deliver(job.on_error, exc)
        else:
            if job.durable:
                self._notify_commit()
            self._deliver(job.on_result, result)

    def add_commit_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener()` on the writer thread after every durable (local) commit.

        This is how a local sale wakes the push worker at once. Listeners must be quick and
        thread-safe (e.g. `loop.call_soon_threadsafe(event.set)`).
        """
        self._commit_listeners.append(listener)

    def remove_commit_listener(self, listener: Callable[[], None]) -> None:
        self._commit_listeners.remove(listener)

    def _notify_commit(self) -> None:
        for listener in list(self._commit_listeners):
            try:
                listener()
            except Exception:
                log.exception("a commit listener failed")

    @staticmethod
    def _deliver(callback: Callable[[Any], None], value: object) -> None:
        try:
            callback(value)
        except Exception:
            # The caller is gone (its event loop closed): the write itself already finished.
            log.exception("could not deliver a write result")

    def _set_synchronous(self, conn: sqlite3.Connection, level: Synchronous) -> None:
        if self._synchronous != level:
            conn.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level

    # Reads ------------------------------------------------------------------------------

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on a read-only connection, inside one snapshot (a read transaction)."""
        conn = self._borrow_reader()
        try:
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        finally:
            self._return_reader(conn)

    async def aread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """`read` for asyncio, on the store's small reader thread pool."""
        if self._closed:
            raise StoreClosedError(f"store {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            pending = loop.run_in_executor(self._reader_pool, self.read, fn)
        except RuntimeError as exc:  # the pool shut down between the check and the submit
            raise StoreClosedError(f"store {self.path} is closed") from exc
        return await pending

    def _borrow_reader(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise StoreClosedError(f"store {self.path} is closed")
            if self._idle_readers:
                return self._idle_readers.pop()
        return connect_reader(self.path)

    def _return_reader(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed and len(self._idle_readers) < self._max_idle_readers:
                self._idle_readers.append(conn)
                return
        conn.close()

    # Lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Finish every queued write, then close all connections. Idempotent."""
        self._refuse_nested("close")
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(None)
        self._writer.join()
        self._reader_pool.shutdown(wait=True)
        with self._lock:
            idle, self._idle_readers = self._idle_readers, []
        for conn in idle:
            conn.close()

    async def aclose(self) -> None:
        """`close` without blocking the event loop while the queue drains."""
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
