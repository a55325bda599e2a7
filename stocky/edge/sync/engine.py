"""The sync engine of one caja: push worker, pull worker and network monitor together.

The caja's runtime (stocky.edge.runtime) starts it with the store and stops it first, and
flushes the outbox through it before a shift closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import TYPE_CHECKING

from stocky.edge.config import CloudTimeouts, EdgeSettings
from stocky.edge.outbox import outbox_stats
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.monitor import NetworkMonitor
from stocky.edge.sync.pull import VERIFY_SECONDS, PullWorker
from stocky.edge.sync.push import PushWorker
from stocky.edge.sync.realtime import SedeSubscription, cancel_and_wait
from stocky.edge.tls import check_cloud_url, ssl_context

if TYPE_CHECKING:
    from stocky.edge.lan.node import LanNode

log = logging.getLogger(__name__)


def _credentials(conn: sqlite3.Connection) -> tuple[str, str, str, str]:
    row = conn.execute(
        "SELECT cloud_url, device_credential, sede_id, device_id FROM sede_info WHERE id = 1"
    ).fetchone()
    if row is None:
        raise RuntimeError("the caja is not activated")
    return row[0], row[1], row[2], row[3]


class SyncEngine:
    def __init__(
        self,
        store: Store,
        client: CloudClient,
        *,
        sede_id: str,
        device_id: str,
        ping_seconds: float = 15.0,
        poll_seconds: float = 300.0,
        verify_seconds: float = VERIFY_SECONDS,
        subscription: SedeSubscription | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.subscription = subscription
        self.pull = PullWorker(
            store,
            client,
            sede_id=sede_id,
            poll_seconds=poll_seconds,
            verify_seconds=verify_seconds,
        )
        self.push = PushWorker(
            store, client, sede_id=sede_id, device_id=device_id, on_applied=self._pull_soon
        )
        self.monitor = NetworkMonitor(
            store, client, interval=ping_seconds, on_online=self._back_online
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.lan: LanNode | None = None

    @classmethod
    def for_store(
        cls,
        store: Store,
        *,
        ping_seconds: float = 15.0,
        poll_seconds: float = 300.0,
        verify_seconds: float = VERIFY_SECONDS,
        timeouts: CloudTimeouts | None = None,
        cloud_url: str | None = None,
        settings: EdgeSettings | None = None,
    ) -> SyncEngine:
        """The engine of an activated caja, subscribed to its sede's real-time room; at
        `cloud_url` when given (STOCKY_EDGE_CLOUD_URL), else at the address it stores."""
        stored_url, credential, sede_id, device_id = store.read(_credentials)
        cloud_url = cloud_url or stored_url
        if settings is not None:
            check_cloud_url(cloud_url, settings)
        tls = ssl_context(settings)
        client = CloudClient(cloud_url, credential, timeouts=timeouts, verify=tls)
        engine = cls(
            store,
            client,
            sede_id=sede_id,
            device_id=device_id,
            ping_seconds=ping_seconds,
            poll_seconds=poll_seconds,
            verify_seconds=verify_seconds,
        )
        engine.subscription = SedeSubscription(
            cloud_url, credential, engine._changes_announced, tls=tls
        )
        if settings is not None and settings.lan != "off":
            # Imported here: a caja kept off the LAN never loads TLS and mDNS.
            from stocky.edge.lan.node import LanNode

            engine.attach_lan(
                LanNode(
                    store,
                    settings,
                    client,
                    sede_id=sede_id,
                    device_id=device_id,
                    pull_now=engine.pull.notify,
                )
            )
        return engine

    def attach_lan(self, node: LanNode) -> None:
        """Sync through the sede's LAN: the node decides whether this caja pushes (master
        or alone) and where its pages come from (a slave pulls through its master)."""
        self.lan = node
        self.push.lan = node
        self.pull.client = node
        self.pull.on_changes = node.announce_changes

    async def _changes_announced(self) -> None:
        # The cloud committed something for this sede: pull now, not at the next poll.
        self.pull.notify()

    async def _pull_soon(self) -> None:
        self.pull.notify()

    async def _back_online(self) -> None:
        # Ops that failed while offline may be backed off for minutes: send them now.
        await self.push.retry_now()
        self.pull.notify()

    async def start(self) -> None:
        self.push.attach(asyncio.get_running_loop())
        self.store.add_commit_listener(self.push.notify_threadsafe)
        self._tasks = [
            asyncio.create_task(self.monitor.run(), name="sync-monitor"),
            asyncio.create_task(self.push.run(), name="sync-push"),
            asyncio.create_task(self.pull.run(), name="sync-pull"),
        ]
        if self.subscription is not None:
            await self.subscription.start()
        if self.lan is not None:
            await self.lan.start()

    async def stop(self) -> None:
        if self.lan is not None:
            await self.lan.stop()
        if self.subscription is not None:
            await self.subscription.stop()
        with contextlib.suppress(ValueError):
            self.store.remove_commit_listener(self.push.notify_threadsafe)
        await cancel_and_wait(self._tasks)
        self._tasks = []
        await self.client.aclose()

    async def flush(self, timeout: float = 10.0) -> int:
        """Push everything pending now (before a shift closes); returns what is left."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.push.run_once(ignore_backoff=True)
                await self.pull.run_once()
        return (await self.store.aread(outbox_stats)).pending
