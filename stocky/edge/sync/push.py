"""The push worker: drains the outbox to the cloud in queue order, 50 ops at a time.

Woken at once by every local commit, and by its own timer for retries, so a queue never
waits for the next sale to move. Each batch's results are written back in ONE store write;
a failed batch gets an exponential, fully jittered retry time that is persisted with its
attempt count, so a restart neither hammers the cloud nor forgets how long to wait.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import ValidationError

from stocky.core.ops import TransactionDocument
from stocky.core.sync import MAX_PUSH_BATCH, Operation, OpResult, PushRequest
from stocky.edge import outbox
from stocky.edge.outbox import QueuedOp
from stocky.edge.store import Store
from stocky.edge.store.timestamps import from_iso, to_iso
from stocky.edge.sync.backoff import full_jitter
from stocky.edge.sync.checkpoint import release
from stocky.edge.sync.client import (
    CloudClient,
    CloudRefusedError,
    CloudUnavailableError,
    CredentialRefusedError,
    StaleEpochError,
)
from stocky.edge.sync.state import set_state

log = logging.getLogger(__name__)

# What the caja records for each answer: a duplicate takes its first delivery's outcome; a
# deferred op stays pending and is sent again after its own backoff.
LOCAL_STATUS = {
    "applied": "synced",
    "conflict": "conflict",
    "rejected": "rejected",
    "deferred": "pending",
}
# A local movement the cloud refused: it no longer counts in the stock the caja shows.
REJECTED_POSITION = "rejected"


@dataclass
class PushOutcome:
    sent: int = 0
    applied: int = 0
    failed: bool = False
    retry_at: datetime | None = None


def undo_movements(conn: sqlite3.Connection, document_id: str) -> int:
    """Take a refused document's movements out of the stock the caja shows (they stay in
    the journal, marked, beside the op and its reason); returns how many."""
    conn.execute(
        """
        UPDATE inventory SET quantity_milli = quantity_milli - d.total
        FROM (SELECT product_id, sum(quantity_milli) AS total FROM transactions
              WHERE document_id = ? AND cloud_position IS NULL GROUP BY product_id) AS d
        WHERE inventory.product_id = d.product_id
        """,
        (document_id,),
    )
    return conn.execute(
        "UPDATE transactions SET cloud_position = ? WHERE document_id = ? "
        "AND cloud_position IS NULL",
        (REJECTED_POSITION, document_id),
    ).rowcount


def _defer(conn: sqlite3.Connection, op: QueuedOp, result: OpResult, now: datetime) -> None:
    attempts = op.attempts + 1
    retry_at = now + timedelta(seconds=full_jitter(attempts))
    outbox.mark_deferred(
        conn,
        op.op_id,
        attempts=attempts,
        retry_at=to_iso(retry_at),
        result=result.model_dump_json(),
        reason=result.reason,
    )


def queued_operation(op: QueuedOp) -> Operation:
    return Operation.model_validate(
        {
            "op_id": op.op_id,
            "kind": op.kind,
            "entity_id": op.entity_id,
            "payload": json.loads(op.payload),
            "base_version": op.base_version,
            "client_ts": op.client_ts,
            "origin_device_id": op.origin_device_id,
        }
    )


def mark_results(
    conn: sqlite3.Connection, results: list[OpResult], kinds: dict[str, QueuedOp], now: datetime
) -> int:
    """Record each result; undo what a refused document did to the stock shown; release
    pulled rows an acknowledged op was holding back."""
    applied = 0
    now_iso = to_iso(now)
    for result in results:
        status = result.original_status if result.status == "duplicate" else result.status
        local = LOCAL_STATUS.get(status or "applied", "synced")
        op = kinds[str(result.op_id)]
        if status == "deferred":
            _defer(conn, op, result, now)
            continue
        applied += local == "synced"
        if local == "rejected" and op.kind == TransactionDocument.KIND:
            undo_movements(conn, op.entity_id)
        outbox.mark_result(
            conn,
            str(result.op_id),
            status=local,
            result=result.model_dump_json(),
            synced_at=now_iso,
            reason=result.reason,
        )
        release(conn, op.kind, op.entity_id, now_iso)
    set_state(conn, last_push_at=now_iso, last_push_error=None)
    return applied


def _reject_locally(conn: sqlite3.Connection, op: QueuedOp, reason: str, now: str) -> None:
    outbox.reject_locally(conn, op.seq, reason, now)
    if op.kind == TransactionDocument.KIND:
        undo_movements(conn, op.entity_id)


def _record_failure(
    conn: sqlite3.Connection, batch: list[QueuedOp], error: str, now: datetime
) -> datetime:
    attempts = max(op.attempts for op in batch) + 1
    retry_at = now + timedelta(seconds=full_jitter(attempts))
    outbox.back_off(conn, [op.seq for op in batch], to_iso(retry_at), error[:500])
    set_state(conn, last_push_error=error[:500], last_push_attempt_at=to_iso(now))
    return retry_at


class PushLan(Protocol):
    """What the LAN node tells the push worker (stocky.edge.lan.node)."""

    def may_push(self) -> bool:
        """False while a slave's master carries its ops: it must not push them itself."""

    def epoch(self) -> int | None:
        """The epoch to stamp a push with (as master), else None."""

    async def relayed_results(self, results: list[OpResult], ops: dict[str, QueuedOp]) -> None:
        """The cloud answered ops this master holds for other cajas: tell them."""

    async def stale(self, current_epoch: int | None) -> None:
        """The cloud refused this master's epoch: another caja is master now."""


class PushWorker:
    def __init__(
        self,
        store: Store,
        client: CloudClient,
        *,
        sede_id: str,
        device_id: str,
        batch_size: int = MAX_PUSH_BATCH,
        on_applied: Callable[[], Awaitable[None]] | None = None,
        lan: PushLan | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.sede_id = sede_id
        self.device_id = device_id
        self.batch_size = min(batch_size, MAX_PUSH_BATCH)
        self.on_applied = on_applied
        self.lan = lan
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.credential_refused = False

    def notify(self) -> None:
        """Wake the worker (from the event loop)."""
        self._wake.set()

    async def retry_now(self) -> None:
        """The cloud is reachable again: drop the backoff and push at once."""
        await self.store.awrite(outbox.clear_backoff, durable=False)
        self._wake.set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to the loop that runs the worker, before any commit can wake it."""
        self._loop = loop

    def notify_threadsafe(self) -> None:
        """Wake the worker from any thread (the store's writer calls this after a commit)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run_once(self, *, ignore_backoff: bool = False) -> PushOutcome:
        """Push until the outbox is empty, a batch fails, or the head op must wait."""
        outcome = PushOutcome()
        size = self.batch_size
        while True:
            now_iso = to_iso(datetime.now(UTC))
            if self.lan is not None and not self.lan.may_push():
                return outcome  # a LAN slave: its master carries its ops to the cloud
            batch = await self.store.aread(
                functools.partial(outbox.next_batch, limit=size, now=now_iso)
            )
            if not batch:
                due = await self.store.aread(outbox.next_deferred_due)
                if due is not None:
                    outcome.retry_at = from_iso(due)
                return outcome
            now = datetime.now(UTC)
            head_due = batch[0].next_attempt_at
            if head_due and not ignore_backoff and from_iso(head_due) > now:
                outcome.retry_at = from_iso(head_due)
                return outcome
            sent = await self._send(batch, now, outcome)
            if outcome.failed:
                return outcome
            # A refused batch is retried op by op so one bad op cannot hold the rest.
            size = self.batch_size if sent else 1

    async def _send(self, batch: list[QueuedOp], now: datetime, outcome: PushOutcome) -> bool:
        now_iso = to_iso(now)
        operations: list[Operation] = []
        for op in batch:
            try:
                operations.append(queued_operation(op))
            except (ValidationError, ValueError) as exc:
                reason = f"the caja wrote an invalid operation: {exc}"
                await self.store.awrite(
                    functools.partial(_reject_locally, op=op, reason=reason, now=now_iso)
                )
                return True
        request = PushRequest(
            sede_id=uuid.UUID(self.sede_id),
            device_id=uuid.UUID(self.device_id),
            operations=operations,
            client_now=now,
            lan_epoch=None if self.lan is None else self.lan.epoch(),
        )
        try:
            response = await self.client.push(request)
        except StaleEpochError as exc:
            # Another caja is the sede's master now: nothing was applied, nothing is wrong
            # with the ops. Step down (the node hands them to the master) and retry later.
            outcome.failed = True
            outcome.retry_at = await self.store.awrite(
                functools.partial(_record_failure, batch=batch, error=str(exc), now=now),
                durable=False,
            )
            if self.lan is not None:
                await self.lan.stale(exc.epoch)
            return True
        except CloudRefusedError as exc:
            if len(batch) > 1:
                return False
            await self.store.awrite(
                functools.partial(_reject_locally, op=batch[0], reason=str(exc), now=now_iso)
            )
            return True
        except (CloudUnavailableError, CredentialRefusedError) as exc:
            self.credential_refused = isinstance(exc, CredentialRefusedError)
            outcome.failed = True
            outcome.retry_at = await self.store.awrite(
                functools.partial(_record_failure, batch=batch, error=str(exc), now=now),
                durable=False,
            )
            log.info("push failed, retrying at %s: %s", outcome.retry_at, exc)
            return True
        by_id = {op.op_id: op for op in batch}
        applied = await self.store.awrite(
            functools.partial(mark_results, results=response.results, kinds=by_id, now=now),
            durable=False,
        )
        outcome.sent += len(batch)
        outcome.applied += applied
        if self.lan is not None and any(op.origin_device_id for op in batch):
            await self.lan.relayed_results(response.results, by_id)
        if applied and self.on_applied is not None:
            await self.on_applied()
        return True

    async def run(self) -> None:
        """Loop until cancelled: push on wake-up or when the head op's retry time comes."""
        self._loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                outcome = await self.run_once()
            except Exception:
                log.exception("push worker iteration failed")
                outcome = PushOutcome(
                    failed=True, retry_at=datetime.now(UTC) + timedelta(seconds=5)
                )
            timeout = None
            if outcome.retry_at is not None:
                timeout = max((outcome.retry_at - datetime.now(UTC)).total_seconds(), 0.05)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass
