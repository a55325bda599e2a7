"""The pull worker: fetches the sede's changes page by page and applies each atomically.

Runs every few minutes, at once after a push applied something, on demand, and when the
cloud's `sync.changes` event arrives. Each page and its cursor land in ONE store write.
After the last page it checks the local copy against the page's checksums and re-fetches
a table that differs (stocky.edge.sync.checksums), then catches up with the feed once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from stocky.core.sync import (
    CHECKSUM_TABLES,
    DEFAULT_PULL_LIMIT,
    PullRequest,
    PullResponse,
    RefetchRequest,
    RefetchResponse,
)
from stocky.edge.store import Store, utc_now
from stocky.edge.store.connection import SQLITE_ERRORS
from stocky.edge.sync.checksums import apply_refetch, compare_tables, record_divergence
from stocky.edge.sync.client import CloudError
from stocky.edge.sync.entities import ApplyError

log = logging.getLogger(__name__)
# sqlite3's and sqlcipher3's errors both: an encrypted caja's connections are the latter.
_PAGE_ERRORS: tuple[type[Exception], ...] = (ApplyError, *SQLITE_ERRORS)
POLL_SECONDS = 300.0
# Hashing the local copy costs ~0.3 s of a caja's CPU at 50k products: a table whose cloud
# sum has not moved since the copy last matched it is compared again only this often.
VERIFY_SECONDS = 300.0


@dataclass
class PullOutcome:
    pages: int = 0
    changes: int = 0
    reset: bool = False
    failed: bool = False
    # Tables whose checksum differed (each re-fetched), and the local rows that repair took
    # away because the cloud does not have them.
    diverged: list[str] = field(default_factory=list)
    refetched: int = 0
    removed: int = 0


class Feed(Protocol):
    """Where pages come from: the cloud, or on a LAN slave its master (which asks the cloud
    for it: stocky.edge.lan.node)."""

    async def pull(self, request: PullRequest) -> PullResponse: ...

    async def refetch(self, request: RefetchRequest) -> RefetchResponse: ...


class PullWorker:
    def __init__(
        self,
        store: Store,
        client: Feed,
        *,
        sede_id: str,
        limit: int = DEFAULT_PULL_LIMIT,
        poll_seconds: float = POLL_SECONDS,
        verify_seconds: float = VERIFY_SECONDS,
        on_changes: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        # Called after a pull applied changes (a LAN master tells its slaves to pull).
        self.on_changes = on_changes
        self.client = client
        self.sede_id = sede_id
        self.limit = limit
        self.poll_seconds = poll_seconds
        self.verify_seconds = verify_seconds
        # The cloud sums the local copy last matched, and when every table was last compared.
        self._matched: dict[str, str] = {}
        self._verified_at: float | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def notify(self) -> None:
        self._wake.set()

    async def run_once(self) -> PullOutcome:
        """Pull until the cloud has nothing more (one caller at a time)."""
        outcome = PullOutcome()
        async with self._lock:
            last = await self._pull_feed(outcome)
            if outcome.changes and self.on_changes is not None:
                await self.on_changes()
            if last is None or not last.checksums:
                return outcome
            diverged = await self._compare(last)
            if not diverged:
                return outcome
            log.warning("local copy differs from the cloud's checksums: %s", diverged)
            await self.store.awrite(
                functools.partial(record_divergence, tables=diverged, now=utc_now())
            )
            outcome.diverged = diverged
            for table in diverged:
                if not await self._refetch(table, outcome):
                    return outcome
            # The re-fetched rows may be newer than the cursor: catch the feed up to them
            # (compared again at the next pull, never in a loop here).
            await self._pull_feed(outcome)
        return outcome

    async def _compare(self, last: PullResponse) -> list[str]:
        """The tables whose local copy differs from the last page's sums.

        A table whose sum equals the one its copy last matched is skipped, unless every
        table is due (verify_seconds since the last full comparison).
        """
        assert last.checksums is not None
        now = time.monotonic()
        due = self._verified_at is None or now - self._verified_at >= self.verify_seconds
        wanted = {
            table: value
            for table, value in last.checksums.items()
            if table in CHECKSUM_TABLES and (due or self._matched.get(table) != value)
        }
        if not wanted:
            return []
        result = await self.store.aread(
            functools.partial(compare_tables, checksums=wanted, cursor=last.cursor)
        )
        for table in result.compared:
            if table in result.diverged:
                self._matched.pop(table, None)
            else:
                self._matched[table] = wanted[table]
        if due and set(result.compared) == set(wanted):
            self._verified_at = now
        return result.diverged

    async def _pull_feed(self, outcome: PullOutcome) -> PullResponse | None:
        """Apply pages until has_more is false; the last page, or None on failure.

        The next page is requested while this one is applied (the cloud's query and the
        caja's apply take about as long). Its cursor is this page's, which is exactly what
        applying this page stores; if the apply fails, the early request is dropped.
        """
        from stocky.edge.sync.apply import apply_page, pull_state

        cursor, _epoch = await self.store.aread(pull_state)
        fetch = asyncio.create_task(self._fetch(cursor))
        try:
            while True:
                try:
                    page = await fetch
                except CloudError as exc:
                    log.info("pull failed: %s", exc)
                    outcome.failed = True
                    return None
                if page.has_more:
                    fetch = asyncio.create_task(self._fetch(page.cursor))
                await self.store.awrite(
                    functools.partial(apply_page, page=page, sede_id=self.sede_id, now=utc_now()),
                    durable=False,
                )
                outcome.pages += 1
                outcome.changes += len(page.changes)
                outcome.reset = outcome.reset or page.reset
                if not page.has_more:
                    return page
        finally:
            await _drop(fetch)

    async def _fetch(self, cursor: str | None) -> PullResponse:
        request = PullRequest(sede_id=uuid.UUID(self.sede_id), cursor=cursor, limit=self.limit)
        return await self.client.pull(request)

    async def _refetch(self, table: str, outcome: PullOutcome) -> bool:
        """Re-fetch one table whole, one store write per page; False if the cloud failed."""
        after: str | None = None
        while True:
            request = RefetchRequest.model_validate(
                {"sede_id": self.sede_id, "table": table, "after": after, "limit": self.limit}
            )
            try:
                page = await self.client.refetch(request)
            except CloudError as exc:
                log.info("re-fetch of %s failed: %s", table, exc)
                outcome.failed = True
                return False
            try:
                stats = await self.store.awrite(
                    functools.partial(
                        apply_refetch, page=page, after=after, sede_id=self.sede_id, now=utc_now()
                    ),
                    durable=False,
                )
            except _PAGE_ERRORS as exc:
                # e.g. stock rows of a product the caja lacks while its products wait on a
                # pending edit: the page rolled back; the next comparison tries again.
                log.warning("re-fetch of %s could not be applied: %s", table, exc)
                outcome.failed = True
                return False
            outcome.refetched += len(page.changes)
            outcome.removed += stats.removed
            if not page.has_more:
                return True
            after = page.upto

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("pull worker iteration failed")
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass


async def _drop(task: asyncio.Task[PullResponse]) -> None:
    """Cancel a page request nobody will apply, and collect its outcome either way."""
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
