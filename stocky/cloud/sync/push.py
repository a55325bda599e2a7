"""Push: a caja's batch of operations, applied in ONE transaction, one result per op.

Every op's payload is parsed by its stocky.core.ops model before anything is written: one
that does not fit is `rejected` with the field named (its payload is kept, with any NUL made
storable). Idempotent by op_id: the batch's ops are claimed in sync_ops first, in one
statement (a concurrent duplicate waits on the unique key, then sees the first delivery's
result). A rejected op never takes the rest of the batch with it: consecutive transactions
are checked and then written together in one savepoint, falling back to one savepoint per
op if the database refuses the set; other kinds run in a savepoint each, and a data error
inside one rejects that op. A `deferred` op (a return of a sale not here yet) leaves no
record, not even its claim. Only a transient failure propagates, and the request's
transaction rolls the whole batch back, for the caja to retry.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.catalog.merge import hold_merges_off
from stocky.cloud.lan import fence
from stocky.cloud.models import Device, Sede, SyncLog
from stocky.cloud.sync import repository
from stocky.cloud.sync.apply import apply_in_savepoint, apply_transactions
from stocky.cloud.sync.context import Applied, OpContext
from stocky.core.ids import new_id
from stocky.core.ops import OpPayload, OpPayloadError, parse_payload
from stocky.core.sync import Operation, OpResult, PushRequest, PushResponse

# A caja's clock may drift; an op stamped further than this past the cloud's now (after
# correcting by the measured offset) is refused rather than stored with a future time.
MAX_FUTURE = timedelta(minutes=10)
MAX_FUTURE_UNCORRECTED = timedelta(days=1)
# Past this offset a caja's clock is not trusted: its times are stored corrected by the
# offset measured on this push (the op's payload keeps what the caja said), and the drift is
# flagged in the sync log and the sede's status.
CLOCK_TRUST = timedelta(minutes=5)
DEVICES = cast(Table, Device.__table__)
SEDES = cast(Table, Sede.__table__)
SYNC_LOGS = cast(Table, SyncLog.__table__)


def body_hash(op: Operation) -> str:
    """A digest of what the op says, to refuse the same op_id carrying another body."""
    canonical = json.dumps(
        # Who relayed it is not what it says: a master's relay and its caja's own push of
        # one op hash alike (and hashes stored before the field existed still match).
        op.model_dump(mode="json", exclude={"op_id", "origin_device_id"}),
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def clock_offset_ms(client_now: datetime | None, server_now: datetime) -> int | None:
    if client_now is None:
        return None
    if client_now.tzinfo is None:
        client_now = client_now.replace(tzinfo=UTC)
    return int((client_now - server_now).total_seconds() * 1000)


def _future_reason(op: Operation, now: datetime, offset_ms: int | None) -> str | None:
    ts = op.client_ts if op.client_ts.tzinfo else op.client_ts.replace(tzinfo=UTC)
    if offset_ms is None:
        limit = MAX_FUTURE_UNCORRECTED
    else:
        ts -= timedelta(milliseconds=offset_ms)
        limit = MAX_FUTURE
    if ts > now + limit:
        return f"client_ts {op.client_ts.isoformat()} is in the future; check the caja's clock"
    return None


def storable(value: Any) -> Any:
    """JSON that JSONB can hold: NUL and lone surrogates in strings and keys become U+FFFD
    (a rejected op's payload is kept as evidence, and JSONB refuses a NUL)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode().replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _parsed(op: Operation) -> OpPayload | OpPayloadError:
    try:
        return parse_payload(op.kind, op.payload)
    except OpPayloadError as exc:
        return exc


def _claim_row(
    op: Operation, ids: tuple[uuid.UUID, uuid.UUID, uuid.UUID], digest: str, valid: bool
) -> dict[str, Any]:
    tenant_id, sede_id, device_id = ids
    return {
        "tenant_id": tenant_id,
        "op_id": op.op_id,
        "sede_id": sede_id,
        "device_id": device_id,
        "kind": op.kind,
        "entity_id": op.entity_id,
        "body_hash": digest,
        "status": "applied",
        "result": {},
        "payload": op.payload if valid else storable(op.payload),
        "client_ts": op.client_ts,  # for the sync log viewer (stocky.cloud.sync.logs)
    }


def clock_correction(offset_ms: int | None) -> timedelta | None:
    if offset_ms is None or abs(offset_ms) <= CLOCK_TRUST.total_seconds() * 1000:
        return None
    return timedelta(milliseconds=offset_ms)


def _rejected(op: Operation, now: datetime, reason: str) -> OpResult:
    return OpResult(op_id=op.op_id, status="rejected", server_ts=now, reason=reason)


def _replay(
    op: Operation,
    sede_id: uuid.UUID,
    now: datetime,
    digest: str,
    first_hash: str,
    first_sede: uuid.UUID,
    first: OpResult,
) -> OpResult:
    """What a delivery of an op seen before answers: its first result, as `duplicate`
    (a deferred op has no record, so its second copy in one batch is deferred too)."""
    if first_hash != digest or first_sede != sede_id:
        return _rejected(op, now, "op_id was already used for a different operation")
    if first.status == "deferred":
        return first
    return first.model_copy(update={"status": "duplicate", "original_status": first.status})


def _result(ctx: OpContext, applied: Applied, position: str) -> OpResult:
    return OpResult(
        op_id=ctx.op.op_id,
        status=applied.status,
        server_version=applied.server_version,
        server_ts=ctx.server_ts,
        position=position if applied.status == "applied" else None,
        reason=applied.extra.get("reason"),
    )


async def _apply_in_order(
    session: AsyncSession, ctxs: list[OpContext], position: str
) -> list[OpResult]:
    """Apply claimed ops in batch order; consecutive transactions go together."""
    results: list[OpResult] = []
    start = 0
    while start < len(ctxs):
        end = start + 1
        if ctxs[start].op.kind == "transaction.create":
            while end < len(ctxs) and ctxs[end].op.kind == "transaction.create":
                end += 1
            outcomes = await apply_transactions(session, ctxs[start:end])
        else:
            outcomes = [await apply_in_savepoint(session, ctxs[start])]
        results += [_result(c, a, position) for c, a in zip(ctxs[start:end], outcomes, strict=True)]
        start = end
    return results


async def push_batch(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    device_id: uuid.UUID,
    request: PushRequest,
) -> PushResponse:
    """Apply the batch in the caller's transaction; the caller commits."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    offset = clock_offset_ms(request.client_now, now)
    correction = clock_correction(offset)
    ops = request.operations
    lan = {"tenant_id": tenant_id, "sede_id": sede_id, "device_id": device_id}
    await fence.check_epoch(session, **lan, lan_epoch=request.lan_epoch)
    # The caja each op is recorded for: the pusher, or the one its LAN master relays for.
    origins = await fence.relay_origins(session, **lan, ops=ops)
    parsed = [_parsed(op) for op in ops]
    digests = [body_hash(op) for op in ops]
    results: dict[int, OpResult] = {}
    # The first occurrence of each op_id in the batch; a later one replays its result.
    first: dict[uuid.UUID, int] = {}
    for i, op in enumerate(ops):
        if origins[i] is None:  # not claimed: its own caja may still deliver it
            results[i] = _rejected(op, now, fence.NOT_A_CAJA_HERE)
        else:
            first.setdefault(op.op_id, i)
    # xid: this transaction's id; every change it writes sits at this position in the feed.
    owned, xid = await repository.claim_ops(
        session,
        [
            _claim_row(
                ops[i],
                (tenant_id, sede_id, _origin(origins, i)),
                digests[i],
                not isinstance(parsed[i], OpPayloadError),
            )
            for i in first.values()
        ],
    )
    seen = [op_id for op_id in first if op_id not in owned]
    earlier = await repository.sync_ops_by_id(session, tenant_id, seen) if seen else {}
    # Per op_id seen before: (body hash, sede, result) of its first delivery.
    originals: dict[uuid.UUID, tuple[str, uuid.UUID, OpResult]] = {}
    to_apply: list[OpContext] = []
    order: list[int] = []
    for op_id, i in first.items():
        op, payload = ops[i], parsed[i]
        if op_id not in owned:
            row = earlier[op_id]
            originals[op_id] = (row.body_hash, row.sede_id, OpResult.model_validate(row.result))
            results[i] = _replay(op, sede_id, now, digests[i], *originals[op_id])
        elif isinstance(payload, OpPayloadError):
            results[i] = _rejected(op, now, str(payload))
        elif (reason := _future_reason(op, now, offset)) is not None:
            results[i] = _rejected(op, now, reason)
        else:
            ids = (tenant_id, sede_id, _origin(origins, i))
            to_apply.append(OpContext(*ids, op, now, payload, correction))
            order.append(i)
    if to_apply:
        # Before the batch touches any stock: a product merge goes wholly before or after it.
        await hold_merges_off(session, tenant_id)
    applied = await _apply_in_order(session, to_apply, xid or "")
    results.update(zip(order, applied, strict=True))
    deferred = [op_id for op_id, i in first.items() if results[i].status == "deferred"]
    await repository.release_claims(session, tenant_id, [owned[op_id] for op_id in deferred])
    await repository.record_results(
        session,
        tenant_id,
        owned,
        [
            {
                "op_id": op_id,
                "status": results[i].status,
                "result": results[i].model_dump(mode="json"),
            }
            for op_id, i in first.items()
            if op_id in owned and results[i].status != "deferred"
        ],
    )
    for i, op in enumerate(ops):
        j = first.get(op.op_id, i)
        if i != j:  # the same op twice in one batch: the second replays the first delivery
            original = originals.get(op.op_id, (digests[j], sede_id, results[j]))
            results[i] = _replay(op, sede_id, now, digests[i], *original)
    ordered = [results[i] for i in range(len(ops))]
    statuses = Counter(r.status for r in ordered)
    log = {
        "tenant_id": tenant_id,
        "id": new_id(),
        "sede_id": sede_id,
        "device_id": device_id,
        "operation": "push",
        "items_count": len(ordered),
        "status": "ok" if statuses["rejected"] == 0 else "partial",
        "statuses": dict(statuses),
        "details": _log_details(ordered, offset if correction is not None else None),
        "duration_ms": int((time.perf_counter() - started) * 1000),
    }
    await _touch_and_log(session, now, offset, log)
    return PushResponse(results=ordered, server_time=now, clock_offset_ms=offset)


def _origin(origins: list[uuid.UUID | None], i: int) -> uuid.UUID:
    origin = origins[i]
    assert origin is not None  # ops of no caja here are rejected before any claim
    return origin


def _log_details(results: list[OpResult], untrusted_offset_ms: int | None) -> dict[str, Any]:
    troubles = [
        {"op_id": str(r.op_id), "status": r.status, "reason": r.reason}
        for r in results
        if r.status in ("rejected", "conflict", "deferred")
    ]
    details: dict[str, Any] = {"problems": troubles[:20]} if troubles else {}
    if untrusted_offset_ms is not None:
        details["clock_corrected_ms"] = untrusted_offset_ms
    return details


async def _touch_and_log(
    session: AsyncSession, now: datetime, offset: int | None, log: dict[str, Any]
) -> None:
    """Mark the caja and then its sede as seen, and write the push's sync_logs row.

    The device row is locked before the sede row, in two statements, as the ping does: in
    one statement (two data-modifying CTEs) PostgreSQL may take them in either order, and a
    push and a ping of the same caja deadlocked each other.
    """
    tenant_id, sede_id, device_id = log["tenant_id"], log["sede_id"], log["device_id"]
    seen: dict[str, Any] = {"last_seen_at": now}
    if offset is not None:
        seen["clock_offset_ms"] = offset
    await session.execute(
        update(DEVICES)
        .where(DEVICES.c.tenant_id == tenant_id, DEVICES.c.id == device_id)
        .values(**seen)
    )
    sede = (
        update(SEDES)
        .where(SEDES.c.tenant_id == tenant_id, SEDES.c.id == sede_id)
        .values(last_sync_at=now, last_ping_at=now, is_online=True)
        .cte("seen_sede")
    )
    await session.execute(insert(SYNC_LOGS).values(**log).add_cte(sede))
