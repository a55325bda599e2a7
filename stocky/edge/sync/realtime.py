"""The caja's subscription to its sede's Socket.IO room.

Connects with the caja's device credential (the server puts it in `sede:{id}`) and calls
`on_changes` when `sync.changes` arrives. Socket.IO delivers at most once, so a nudge sent
while the link was down is simply lost: after every (re)connect `on_changes` runs once more
and the pull cursor catches up on whatever was missed. Reconnects back off exponentially
with jitter. Calls to `on_changes` never overlap: nudges arriving during one run coalesce
into a single follow-up run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable

import aiohttp
import socketio

from stocky.edge.sync.backoff import full_jitter
from stocky.edge.tls import ssl_context

log = logging.getLogger(__name__)

SYNC_CHANGES = "sync.changes"
# A transfer touching this sede changed (stocky.cloud.transfers.events): pull now, so the
# screens show its status (and toast it) from the local copy, as for any pulled change.
TRANSFER_EVENTS = (
    "transfer.requested",
    "transfer.approved",
    "transfer.rejected",
    "transfer.cancelled",
    "transfer.completed",
    "transfer.failed",
)
OnChanges = Callable[[], Awaitable[None]]


class SedeSubscription:
    """start()/stop(); `connected` tells whether the socket is up right now."""

    def __init__(
        self,
        cloud_url: str,
        credential: str,
        on_changes: OnChanges,
        *,
        min_delay_s: float = 1.0,
        max_delay_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.cloud_url = cloud_url.rstrip("/")
        self.tls = tls or ssl_context()
        self.credential = credential
        self.on_changes = on_changes
        self.min_delay_s = min_delay_s
        self.max_delay_s = max_delay_s
        self.connect_timeout_s = connect_timeout_s
        self.connects = 0  # successful connections so far (tests and status read it)
        self.last_error: str | None = None
        self._sio: socketio.AsyncClient | None = None
        self._dirty = asyncio.Event()
        self._up = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    @property
    def transport(self) -> str | None:
        """The engine.io transport of the live socket ('websocket'), None when down."""
        sio = self._sio
        return None if sio is None else str(sio.transport())

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._up.wait(), timeout)

    def nudge(self) -> None:
        """Ask for one more `on_changes` run (coalesced with any already pending)."""
        self._dirty.set()

    def retry_delay(self, failures: int) -> float:
        """Seconds before the next attempt: at least min_delay, jittered up to the cap."""
        return max(
            self.min_delay_s, full_jitter(failures, base=self.min_delay_s, cap=self.max_delay_s)
        )

    async def _changes_loop(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                await self.on_changes()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The periodic poll is still there; a failed pull must not end the loop.
                log.exception("on_changes failed after a sync.changes nudge")

    async def _on_event(self, data: object = None) -> None:
        self.nudge()

    async def _connect_once(self, gone: asyncio.Event) -> socketio.AsyncClient:
        # The session factory, not ssl_verify: engineio would verify the websocket against
        # aiohttp's default store and never see STOCKY_EDGE_CA_BUNDLE.
        sio = socketio.AsyncClient(
            reconnection=False,
            http_session=lambda: aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=self.tls)
            ),
        )
        sio.on(SYNC_CHANGES, self._on_event)
        for name in TRANSFER_EVENTS:
            sio.on(name, self._on_event)

        async def on_disconnect(*args: object) -> None:
            gone.set()

        sio.on("disconnect", on_disconnect)
        await sio.connect(
            self.cloud_url,
            auth={"token": self.credential},
            transports=["websocket"],
            wait_timeout=self.connect_timeout_s,
        )
        return sio

    async def _connection_loop(self) -> None:
        failures = 0
        while not self._stopping:
            gone = asyncio.Event()
            try:
                sio = await self._connect_once(gone)
            except (socketio.exceptions.ConnectionError, OSError, TimeoutError) as exc:
                self.last_error = str(exc) or type(exc).__name__
                await asyncio.sleep(self.retry_delay(failures))
                failures += 1
                continue
            self._sio = sio
            failures = 0
            self.connects += 1
            self.last_error = None
            self._up.set()
            self.nudge()  # catch up on whatever was emitted while we were away
            try:
                # Not sio.wait(): it polls once a second; the disconnect handler is immediate.
                await gone.wait()
            finally:
                self._up.clear()
                self._sio = None
                await _close(sio)
            if not self._stopping:
                await asyncio.sleep(self.retry_delay(0))

    async def drop(self) -> None:
        """Abandon the socket as if the link died; the loop reconnects and catches up."""
        sio = self._sio
        if sio is not None:
            await sio.eio.disconnect(abort=True)

    async def start(self) -> None:
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._changes_loop(), name="sede-subscription-changes"),
            asyncio.create_task(self._connection_loop(), name="sede-subscription"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        sio = self._sio
        if sio is not None:
            await _close(sio)
        await cancel_and_wait(self._tasks)
        self._tasks = []


CLOSE_TIMEOUT_S = 5.0


async def _close(sio: socketio.AsyncClient) -> None:
    """Disconnect politely, but never wait on a peer that stopped answering."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await sio.disconnect()
    except Exception as exc:  # a dead link or a slow peer: drop the transport instead
        log.info("socket close did not complete (%s): aborting it", type(exc).__name__)
        with contextlib.suppress(Exception):
            await sio.eio.disconnect(abort=True)


async def cancel_and_wait(
    tasks: list[asyncio.Task[None]], timeout: float = CLOSE_TIMEOUT_S
) -> None:
    """Cancel `tasks` and wait for them; a task still running after `timeout` is logged with
    its stack (a shutdown must end, and the stack says what held it)."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, stuck = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s had failed", task.get_name(), exc_info=task.exception())
    for task in stuck:
        frames = "".join(f"\n  {f.f_code.co_filename}:{f.f_lineno}" for f in task.get_stack())
        log.error("task %s did not stop within %.0f s, at:%s", task.get_name(), timeout, frames)
