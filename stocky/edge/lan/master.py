"""The master's duties on its sede's LAN: take each slave's ops into this caja's outbox (their
effect shown at once), broadcast every op the outbox gains to every slave, ask the cloud for
the slaves' pages, pass the cloud's answers back to each op's caja, and drop a slave that may
no longer take part."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from pydantic import ValidationError

from stocky.core.sync import (
    Operation,
    OpResult,
    PullRequest,
    RefetchRequest,
)
from stocky.edge import outbox
from stocky.edge.lan import protocol as p
from stocky.edge.lan.base import NodeBase
from stocky.edge.lan.effects import hold_relayed
from stocky.edge.lan.transport import PeerConnection
from stocky.edge.outbox import QueuedOp
from stocky.edge.sync.client import CloudError
from stocky.edge.sync.push import queued_operation

log = logging.getLogger(__name__)

# Relayed ops remembered as already broadcast (a few seconds' worth at the busiest counter).
EARLY_LIMIT = 10_000


class MasterRole(NodeBase):
    async def relayed_results(self, results: list[OpResult], ops: dict[str, QueuedOp]) -> None:
        by_origin: dict[str, list[dict[str, Any]]] = {}
        for result in results:
            op = ops.get(str(result.op_id))
            if op is not None and op.origin_device_id:
                by_origin.setdefault(op.origin_device_id, []).append(result.model_dump(mode="json"))
        for origin, answers in by_origin.items():
            conn = self._slaves.get(origin)
            if conn is not None:
                await self._send(conn, p.message(p.RESULTS, self.current_epoch, results=answers))

    async def announce_changes(self) -> None:
        """As master: a pull applied something new; the slaves pull it through us."""
        if self.role != "master":
            return
        msg = p.message(p.CHANGES, self.current_epoch)
        for conn in list(self._slaves.values()):
            await self._send(conn, msg)

    async def _beat_slaves(self) -> None:
        """The heartbeat every slave waits for; a slave revoked or moved since it joined (the
        devices feed says) is dropped instead (an idle slave sends nothing to be refused)."""
        beat = p.message(p.HEARTBEAT, self.current_epoch)
        for device, conn in list(self._slaves.items()):
            if (refused := self._authorize(conn.peer)) is not None:
                log.warning("LAN: slave %s may no longer take part (%s)", device, refused)
                await conn.close()
                continue
            await self._send(conn, beat)

    async def _step_down(self) -> None:
        await self._close_slaves()
        await self._set_role("electing")

    async def _serve_slave(self, conn: PeerConnection) -> None:
        slave = conn.peer.device_id
        old = self._slaves.get(slave)
        self._slaves[slave] = conn
        if old is not None:
            await old.close()
        try:
            await self._send_backlog(conn)
            while self.role == "master":
                msg = await conn.recv()
                if p.epoch_of(msg) > self.current_epoch:
                    # The slave has heard of a newer master: this one is stale. An older
                    # epoch is a slave that has not yet seen this master's renewed lease.
                    log.warning("LAN: slave %s knows a newer epoch: stepping down", slave)
                    await self._step_down()
                    return
                refused = self._authorize(conn.peer)
                if refused is not None:  # revoked (or moved) since it joined: the feed says
                    log.warning("LAN: %s may no longer take part (%s)", slave, refused)
                    return
                kind = msg.get("t")
                if kind == p.OPS:
                    await self._take_ops(conn, msg)
                elif kind in (p.PULL, p.REFETCH):
                    task = asyncio.create_task(self._proxy(conn, msg))
                    self._proxies.add(task)
                    task.add_done_callback(self._proxies.discard)
        finally:
            if self._slaves.get(slave) is conn:
                del self._slaves[slave]

    async def _take_ops(self, conn: PeerConnection, msg: dict[str, Any]) -> None:
        sender = conn.peer.device_id
        try:
            ops = [Operation.model_validate(o) for o in msg.get("ops") or []]
        except ValidationError as exc:
            await conn.send(
                p.message(p.ERROR, self.current_epoch, id=msg.get("id"), reason=str(exc))
            )
            return
        # Ops it held for others as an earlier master keep their caja; the rest are its own.
        by_origin: dict[str, list[Operation]] = {}
        for op in ops:
            origin = str(op.origin_device_id) if op.origin_device_id else sender
            by_origin.setdefault(origin, []).append(op)
        # The other slaves see each op before this caja's own write, which may queue behind
        # the pushes and pulls of its single writer. Safe: the sender keeps the op until the
        # cloud has it, and every caja shows an op's effect once, by movement id.
        for origin, group in by_origin.items():
            for op in group:
                await self._broadcast(self._op_broadcast(op, origin), origin)
                if len(self._broadcast_early) < EARLY_LIMIT:
                    self._broadcast_early.add(str(op.op_id))
        held = []
        for origin, group in by_origin.items():
            held += await self.store.awrite(
                functools.partial(hold_relayed, ops=group, origin_device_id=origin)
            )
        for h in held:
            if not h.new:  # already in the outbox: the broadcast loop will not meet it
                self._broadcast_early.discard(h.op_id)
        await conn.send(
            p.message(
                p.OPS_ACK,
                self.current_epoch,
                id=msg.get("id"),
                held=[
                    {
                        "op_id": h.op_id,
                        "stored": True,
                        "status": h.status,
                        "result": None if h.result is None else h.result.model_dump(mode="json"),
                    }
                    for h in held
                ],
            )
        )

    async def _proxy(self, conn: PeerConnection, msg: dict[str, Any]) -> None:
        """A slave's pull or re-fetch, asked of the cloud with this master's credential."""
        try:
            if msg.get("t") == p.PULL:
                pull = PullRequest.model_validate(msg.get("request"))
                if str(pull.sede_id) != self.sede_id:
                    raise ValueError("sede_id: not this sede")
                response: Any = await self.cloud.pull(pull)
            else:
                refetch = RefetchRequest.model_validate(msg.get("request"))
                if str(refetch.sede_id) != self.sede_id:
                    raise ValueError("sede_id: not this sede")
                response = await self.cloud.refetch(refetch)
        except (CloudError, ValidationError, ValueError) as exc:
            answer = p.message(p.ERROR, self.current_epoch, id=msg.get("id"), reason=str(exc))
        else:
            answer = p.message(
                p.PAGE,
                self.current_epoch,
                id=msg.get("id"),
                response=response.model_dump(mode="json"),
            )
        await self._send(conn, answer)

    async def _send_backlog(self, conn: PeerConnection) -> None:
        """A slave that joins sees at once what the cloud does not have yet."""
        for op in await self.store.aread(functools.partial(outbox.ops_after, seq=0, pending=True)):
            if op.origin_device_id != conn.peer.device_id:
                await conn.send(self._op_message(op))

    def _op_message(self, op: QueuedOp) -> dict[str, Any]:
        return self._op_broadcast(queued_operation(op), op.origin_device_id or self.device_id)

    def _op_broadcast(self, operation: Operation, origin: str) -> dict[str, Any]:
        return p.message(
            p.OP,
            self.current_epoch,
            origin_device_id=origin,
            op=operation.model_dump(mode="json") | {"origin_device_id": origin},
        )

    async def _broadcast(self, message: dict[str, Any], origin: str | None) -> None:
        """To every slave but the op's own caja."""
        for device, conn in list(self._slaves.items()):
            if device != origin:
                await self._send(conn, message)

    async def _broadcast_loop(self) -> None:
        """As master: every op the outbox gains (its own or a slave's) goes to the slaves."""
        while True:
            await self._broadcast_wake.wait()
            self._broadcast_wake.clear()
            if self.role != "master" or not self._slaves:
                if self.role == "master":
                    self._broadcast_seq = await self.store.aread(outbox.last_seq)
                continue
            try:
                ops = await self.store.aread(
                    functools.partial(outbox.ops_after, seq=self._broadcast_seq, pending=False)
                )
                for op in ops:
                    self._broadcast_seq = max(self._broadcast_seq, op.seq)
                    if op.op_id in self._broadcast_early:
                        self._broadcast_early.discard(op.op_id)
                        continue
                    await self._broadcast(self._op_message(op), op.origin_device_id)
            except Exception:
                log.exception("LAN broadcast failed")

    async def _close_slaves(self) -> None:
        slaves, self._slaves = list(self._slaves.values()), {}
        for conn in slaves:
            await conn.close()
