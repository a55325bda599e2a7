"""The pull worker: fetches the sede's changes page by page and applies each atomically.

Runs every few minutes, at once after a push applied something, on demand, and when the
cloud's `sync.changes` event arrives. Each page and its cursor land in ONE store write.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from dataclasses import dataclass

from stocky.core.sync import DEFAULT_PULL_LIMIT, PullRequest
from stocky.edge.store import Store, utc_now
from stocky.edge.sync.client import CloudClient, CloudError

log = logging.getLogger(__name__)
POLL_SECONDS = 300.0


@dataclass
class PullOutcome:
    pages: int = 0
    changes: int = 0
    reset: bool = False
    failed: bool = False


class PullWorker:
    def __init__(
        self,
        store: Store,
        client: CloudClient,
        *,
        sede_id: str,
        limit: int = DEFAULT_PULL_LIMIT,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.store = store
        self.client = client
        self.sede_id = sede_id
        self.limit = limit
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def notify(self) -> None:
        self._wake.set()

    async def run_once(self) -> PullOutcome:
        """Pull until the cloud has nothing more (one caller at a time)."""
        from stocky.edge.sync.apply import apply_page, pull_state

        outcome = PullOutcome()
        async with self._lock:
            while True:
                cursor, _epoch = await self.store.aread(pull_state)
                request = PullRequest(
                    sede_id=uuid.UUID(self.sede_id), cursor=cursor, limit=self.limit
                )
                try:
                    page = await self.client.pull(request)
                except CloudError as exc:
                    log.info("pull failed: %s", exc)
                    outcome.failed = True
                    return outcome
                await self.store.awrite(
                    functools.partial(apply_page, page=page, sede_id=self.sede_id, now=utc_now()),
                    durable=False,
                )
                outcome.pages += 1
                outcome.changes += len(page.changes)
                outcome.reset = outcome.reset or page.reset
                if not page.has_more:
                    return outcome

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
