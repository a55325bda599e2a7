"""A slave's link to its sede's master: join it (refusing a stale one), hand it every pending
op as soon as it is written, apply what it broadcasts, ask it for pages, record what it says
of each op, and notice when it falls silent."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from stocky.core.sync import (
    Operation,
    OpResult,
    PullRequest,
    PullResponse,
    RefetchRequest,
    RefetchResponse,
)
from stocky.edge import outbox
from stocky.edge.lan import protocol as p
from stocky.edge.lan.base import PROBE_TIMEOUT_S, NodeBase
from stocky.edge.lan.effects import show_broadcast
from stocky.edge.lan.election import PeerView
from stocky.edge.lan.peers import view_of
from stocky.edge.lan.transport import LanClosedError, PeerConnection, connect
from stocky.edge.outbox import QueuedOp
from stocky.edge.store.connection import SQLITE_ERRORS
from stocky.edge.store.timestamps import to_iso
from stocky.edge.sync.client import CloudUnavailableError
from stocky.edge.sync.push import mark_results, queued_operation

log = logging.getLogger(__name__)
# sqlite3's and sqlcipher3's errors both: an encrypted caja's connections are the latter.
_BAD_MESSAGE: tuple[type[Exception], ...] = (ValidationError, ValueError, *SQLITE_ERRORS)

RELAY_BATCH = 50
REQUEST_TIMEOUT_S = 10.0


def _take_results(conn: sqlite3.Connection, results: list[OpResult], now: datetime) -> int:
    """The cloud's answers for this slave's ops, as its master relayed them."""
    kinds = outbox.queued_ops(conn, [str(r.op_id) for r in results])
    known = [r for r in results if str(r.op_id) in kinds]
    if known:
        mark_results(conn, known, kinds, now)
    return len(known)


def _take_ack(
    conn: sqlite3.Connection,
    held: list[dict[str, Any]],
    sent: dict[str, QueuedOp],
    *,
    master_device_id: str,
    epoch: int,
    now: datetime,
) -> None:
    """Record what the master said of a batch this slave handed it."""
    relayed: list[str] = []
    handed: list[str] = []
    finished: list[OpResult] = []
    for answer in held:
        op_id = str(answer.get("op_id"))
        op = sent.get(op_id)
        if op is None:
            continue
        result = answer.get("result")
        if isinstance(result, dict) and result.get("status") in (
            "applied",
            "duplicate",
            "conflict",
            "rejected",
        ):
            finished.append(OpResult.model_validate(result))
        elif op.origin_device_id is not None:
            handed.append(op_id)  # held for another caja: the new master has it now
        else:
            relayed.append(op_id)
    outbox.mark_relayed(conn, relayed, epoch)
    outbox.hand_over(conn, handed, master_device_id=master_device_id, epoch=epoch, now=to_iso(now))
    if finished:
        mark_results(conn, finished, sent, now)


class SlaveRole(NodeBase):
    async def pull(self, request: PullRequest) -> PullResponse:
        if self._link is None:
            return await self.cloud.pull(request)
        answer = await self._ask(p.PULL, request=request.model_dump(mode="json"))
        return PullResponse.model_validate(answer["response"])

    async def refetch(self, request: RefetchRequest) -> RefetchResponse:
        if self._link is None:
            return await self.cloud.refetch(request)
        answer = await self._ask(p.REFETCH, request=request.model_dump(mode="json"))
        return RefetchResponse.model_validate(answer["response"])

    async def _join(self, master: PeerView) -> bool:
        assert self.identity is not None
        assert master.address is not None
        try:
            conn = await connect(
                self.identity,
                master.address[0],
                master.address[1],
                authorize=self._authorize,
                timeout=PROBE_TIMEOUT_S,
            )
            await conn.send(self._hello(p.HELLO, join=True) | {"epoch": master.epoch})
            async with asyncio.timeout(PROBE_TIMEOUT_S * 2):
                welcome = await conn.recv()
        except Exception as exc:
            log.info("LAN: could not join %s: %s", master.device_id, exc)
            return False
        view = view_of(welcome, master.address)
        if view is None or view.role != "master" or view.device_id != master.device_id:
            await conn.close()
            return False
        if view.epoch < self.current_epoch:
            # A stale master (it has not seen the newer epoch yet): refuse its word.
            await conn.send(p.message(p.STALE, self.current_epoch))
            await conn.close()
            return False
        await self.store.awrite(outbox.forget_relayed, durable=False)
        self._link = conn
        self._last_heard = time.monotonic()
        await self._set_role("slave", epoch=view.epoch, master=view.device_id)
        self._link_tasks = [
            asyncio.create_task(self._read_master(conn), name="lan-slave-read"),
            asyncio.create_task(self._relay(conn), name="lan-slave-relay"),
        ]
        self._relay_wake.set()
        self.pull_now()  # catch up through the new master
        return True

    async def _slave_tick(self) -> None:
        link = self._link
        silent = time.monotonic() - self._last_heard
        if link is not None and not link.closed and (refused := self._authorize(link.peer)):
            log.warning("LAN: master %s may no longer take part (%s)", link.peer, refused)
            await self._drop_link()
            await self._set_role("electing")
            return
        if link is None or link.closed or silent > self.settings.lan_master_timeout_seconds:
            if link is None or link.closed:
                log.warning("LAN: the link to master %s closed", self.master_device_id)
            else:
                log.warning("LAN: master %s silent for %.1f s", self.master_device_id, silent)
            await self._drop_link()
            await self._set_role("electing")
            return
        await asyncio.sleep(self.settings.lan_heartbeat_seconds / 2)

    async def _drop_link(self) -> None:
        link, self._link = self._link, None
        tasks, self._link_tasks = self._link_tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if link is not None:
            await link.close()
        for future in self._requests.values():
            if not future.done():
                future.set_exception(CloudUnavailableError("the LAN master is gone"))
        self._requests.clear()

    async def _read_master(self, conn: PeerConnection) -> None:
        try:
            while True:
                msg = await conn.recv()
                epoch = p.epoch_of(msg)
                if epoch < self.current_epoch:
                    await conn.send(p.message(p.STALE, self.current_epoch))
                    await conn.close()
                    return
                self._last_heard = time.monotonic()
                if epoch > self.current_epoch:  # the master's lease moved on
                    await self._set_role("slave", epoch=epoch, master=self.master_device_id)
                try:
                    await self._on_master_message(msg)
                except _BAD_MESSAGE as exc:
                    # One bad message costs that message, not the link.
                    log.warning("LAN: message from the master not applied: %s", exc)
        except LanClosedError:
            return

    async def _on_master_message(self, msg: dict[str, Any]) -> None:
        kind = msg.get("t")
        if kind == p.OP:
            op = Operation.model_validate(msg.get("op"))
            await self.store.awrite(
                functools.partial(show_broadcast, op=op, own_device_id=self.device_id),
                durable=False,
            )
        elif kind == p.RESULTS:
            results = [OpResult.model_validate(r) for r in msg.get("results") or []]
            await self.store.awrite(
                functools.partial(_take_results, results=results, now=datetime.now(UTC)),
                durable=False,
            )
        elif kind == p.CHANGES:
            self.pull_now()
        elif kind in (p.OPS_ACK, p.PAGE, p.ERROR):
            future = self._requests.pop(str(msg.get("id")), None)
            if future is not None and not future.done():
                future.set_result(msg)
        elif kind == p.STALE:
            await self._link_closed()

    async def _link_closed(self) -> None:
        if self._link is not None:
            await self._link.close()

    async def _ask(self, kind: str, **fields: Any) -> dict[str, Any]:
        """One request to the master, answered by id; CloudUnavailableError if it fails."""
        link = self._link
        if link is None:
            raise CloudUnavailableError("no LAN master")
        request_id = str(next(self._ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._requests[request_id] = future
        try:
            await link.send(p.message(kind, self.current_epoch, id=request_id, **fields))
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                answer = await future
        except (TimeoutError, LanClosedError, OSError) as exc:
            raise CloudUnavailableError(f"the LAN master did not answer: {exc}") from exc
        finally:
            self._requests.pop(request_id, None)
        if answer.get("t") == p.ERROR:
            raise CloudUnavailableError(f"the LAN master: {answer.get('reason')}")
        return answer

    async def _relay(self, conn: PeerConnection) -> None:
        """Hand every pending op to the master, in queue order, as soon as it is written."""
        while True:
            self._relay_wake.clear()
            epoch = self.current_epoch
            batch = await self.store.aread(
                functools.partial(outbox.unrelayed, epoch=epoch, limit=RELAY_BATCH)
            )
            if not batch:
                await self._relay_wake.wait()
                continue
            sent = {op.op_id: op for op in batch}
            ops = [queued_operation(op).model_dump(mode="json") for op in batch]
            try:
                answer = await self._ask(p.OPS, ops=ops)
            except CloudUnavailableError as exc:
                log.info("LAN: relay to the master failed: %s", exc)
                await conn.close()
                return
            await self.store.awrite(
                functools.partial(
                    _take_ack,
                    held=list(answer.get("held") or []),
                    sent=sent,
                    master_device_id=self.master_device_id or "",
                    epoch=epoch,
                    now=datetime.now(UTC),
                ),
                durable=False,
            )
