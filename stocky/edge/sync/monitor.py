"""The network monitor: pings the cloud, keeps online/offline with hysteresis, and
measures the clock offset between the caja and the cloud."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from stocky.core.receipts import business_details
from stocky.core.sync import PingIn
from stocky.edge.activation.store import adopt_receipt_prefix, receipt_prefix
from stocky.edge.auth.tokens import CloudTokenError, replace_jwks, stored_key_ids
from stocky.edge.outbox import outbox_stats
from stocky.edge.store import Store
from stocky.edge.store.sede import set_business, stored_business
from stocky.edge.store.timestamps import to_iso
from stocky.edge.sync.client import CloudClient, CloudError
from stocky.edge.sync.state import set_state

log = logging.getLogger(__name__)
PING_SECONDS = 3.0
# One lost ping on a flaky line should not flip the UI to "sin conexión".
FAILURES_TO_GO_OFFLINE = 2
# ...but the confirming ping goes out at once, so a hung or refused link shows as offline
# within interval + 2 x ping timeout + this (about 8 s with the defaults), not minutes.
RECHECK_SECONDS = 0.5


class NetworkMonitor:
    def __init__(
        self,
        store: Store,
        client: CloudClient,
        *,
        interval: float = PING_SECONDS,
        on_online: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.interval = interval
        self.on_online = on_online
        self.online: bool | None = None
        self.failures = 0
        self.clock_offset_ms: int | None = None

    async def run_once(self) -> bool:
        """Ping once; returns the (possibly unchanged) online state."""
        sent = datetime.now(UTC)
        try:
            stats = await self.store.aread(outbox_stats)
            answer = await self.client.ping(
                PingIn(client_now=sent, pending_ops=stats.pending, stuck_ops=stats.stuck)
            )
        except CloudError as exc:
            self.failures += 1
            if self.failures >= FAILURES_TO_GO_OFFLINE and self.online is not False:
                log.info("cloud unreachable, caja offline: %s", exc)
                await self._record(False, None)
            return bool(self.online)
        received = datetime.now(UTC)
        midpoint = sent + (received - sent) / 2
        self.clock_offset_ms = int((midpoint - answer.server_time).total_seconds() * 1000)
        self.failures = 0
        came_back = self.online is not True
        await self._record(True, self.clock_offset_ms)
        await self._follow_key_rotation(answer.signing_keys)
        await self._adopt_receipt_prefix(answer.receipt_prefix)
        await self._adopt_business(answer.business)
        if came_back and self.on_online is not None:
            await self.on_online()
        return True

    async def _follow_key_rotation(self, announced: list[str]) -> None:
        """Fetch the JWKS when the cloud signs with keys this caja does not hold (or drops one).

        Cloud tokens are verified offline against the stored JWKS, so a rotation would
        otherwise lock out every token signed with the new key until re-activation.
        """
        if not announced:  # an older cloud that does not announce its keys
            return
        held = await self.store.aread(stored_key_ids)
        if held == set(announced):
            return
        try:
            jwks = await self.client.jwks()
            await self.store.awrite(lambda conn: replace_jwks(conn, jwks))
        except (CloudError, CloudTokenError) as exc:
            log.warning("could not refresh the cloud's signing keys: %s", exc)
            return
        log.info("cloud signing keys refreshed: %s", ", ".join(sorted(announced)))

    async def _adopt_receipt_prefix(self, announced: str | None) -> None:
        """A caja activated before receipts had prefixes learns its own here (issue 12)."""
        if announced is None or announced == await self.store.aread(receipt_prefix):
            return
        if await self.store.awrite(lambda conn: adopt_receipt_prefix(conn, announced)):
            log.info("receipt prefix set by the cloud: %s", announced)

    async def _adopt_business(self, announced: dict[str, str] | None) -> None:
        """The owner changed what receipts print about the business: the next ticket shows it."""
        # Every ping carries them: compare on a reader, so the writer is only busy on a change.
        if announced is None or business_details(announced) == await self.store.aread(
            stored_business
        ):
            return
        if await self.store.awrite(lambda conn: set_business(conn, announced)):
            log.info("business details for receipts updated by the cloud")

    async def _record(self, online: bool, offset: int | None) -> None:
        self.online = online
        values: dict[str, Any] = {
            "online": int(online),
            "last_ping_at": to_iso(datetime.now(UTC)),
        }
        if offset is not None:
            # Whether it is too far off is judged on reading (stocky.edge.sync.status).
            values["clock_offset_ms"] = offset
        await self.store.awrite(lambda conn: set_state(conn, **values), durable=False)

    def next_delay(self) -> float:
        """Seconds until the next ping: sooner while a first failure awaits confirmation."""
        if 0 < self.failures < FAILURES_TO_GO_OFFLINE:
            return min(self.interval, RECHECK_SECONDS)
        return self.interval

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("network monitor iteration failed")
            await asyncio.sleep(self.next_delay())
