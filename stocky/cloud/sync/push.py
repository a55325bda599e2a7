"""Push: a caja's batch of operations, applied in ONE transaction, one result per op.

Idempotent by op_id: the op is claimed in sync_ops first (a concurrent duplicate waits on
the unique key, then sees the first delivery's result); each op runs in a savepoint so a
rejected op never takes the rest of the batch with it. Any other error propagates and the
request's transaction rolls the whole batch back, for the caja to retry.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Device, Sede, SyncLog, SyncOp
from stocky.cloud.sync.apply import APPLIERS, Applied, OpContext, OpRejectedError
from stocky.core.ids import new_id
from stocky.core.sync import Operation, OpResult, PushRequest, PushResponse

# A caja's clock may drift; an op stamped further than this past the cloud's now (after
# correcting by the measured offset) is refused rather than stored with a future time.
MAX_FUTURE = timedelta(minutes=10)
MAX_FUTURE_UNCORRECTED = timedelta(days=1)


def body_hash(op: Operation) -> str:
    """A digest of what the op says, to refuse the same op_id carrying another body."""
    canonical = json.dumps(
        op.model_dump(mode="json", exclude={"op_id"}), sort_keys=True, separators=(",", ":")
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


async def _claim(session: AsyncSession, ctx: OpContext, digest: str) -> SyncOp | None:
    """Insert the op's idempotency row; None if this delivery owns it, else the first one."""
    claimed = await session.execute(
        pg_insert(SyncOp)
        .values(
            tenant_id=ctx.tenant_id,
            op_id=ctx.op.op_id,
            sede_id=ctx.sede_id,
            device_id=ctx.device_id,
            kind=ctx.op.kind,
            entity_id=ctx.op.entity_id,
            body_hash=digest,
            status="applied",
            result={},
            payload=ctx.op.payload,
        )
        .on_conflict_do_nothing()
        .returning(SyncOp.op_id)
    )
    if claimed.first() is not None:
        return None
    existing = await session.execute(
        select(SyncOp).where(SyncOp.tenant_id == ctx.tenant_id, SyncOp.op_id == ctx.op.op_id)
    )
    return existing.scalar_one()


def _replay(existing: SyncOp, digest: str, ctx: OpContext) -> OpResult:
    if existing.body_hash != digest or existing.sede_id != ctx.sede_id:
        return OpResult(
            op_id=ctx.op.op_id,
            status="rejected",
            server_ts=ctx.server_ts,
            reason="op_id was already used for a different operation",
        )
    original = OpResult.model_validate(existing.result)
    return original.model_copy(update={"status": "duplicate", "original_status": original.status})


async def _apply_one(session: AsyncSession, ctx: OpContext, position: str) -> OpResult:
    applier = APPLIERS[ctx.op.kind]
    savepoint = await session.begin_nested()
    try:
        applied: Applied = await applier(session, ctx)
    except OpRejectedError as exc:
        await savepoint.rollback()
        applied = Applied(status="rejected", extra={"reason": str(exc)})
    except IntegrityError as exc:
        await savepoint.rollback()
        detail = str(exc.orig).splitlines()[0] if exc.orig else "constraint violated"
        applied = Applied(status="rejected", extra={"reason": f"refused by the database: {detail}"})
    else:
        await savepoint.commit()
    return OpResult(
        op_id=ctx.op.op_id,
        status=applied.status,
        server_version=applied.server_version,
        server_ts=ctx.server_ts,
        position=position if applied.status == "applied" else None,
        reason=applied.extra.get("reason"),
    )


async def _record_result(session: AsyncSession, ctx: OpContext, result: OpResult) -> None:
    await session.execute(
        update(SyncOp)
        .where(SyncOp.tenant_id == ctx.tenant_id, SyncOp.op_id == ctx.op.op_id)
        .values(status=result.status, result=result.model_dump(mode="json"))
    )


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
    # This transaction's id: every change it writes sits at this position in the feed.
    xid = (await session.execute(text("SELECT pg_current_xact_id()::text"))).scalar_one()
    results: list[OpResult] = []
    for op in request.operations:
        ctx = OpContext(tenant_id, sede_id, device_id, op, now)
        digest = body_hash(op)
        existing = await _claim(session, ctx, digest)
        if existing is not None:
            results.append(_replay(existing, digest, ctx))
            continue
        reason = _future_reason(op, now, offset)
        if reason is not None:
            result = OpResult(op_id=op.op_id, status="rejected", server_ts=now, reason=reason)
        else:
            result = await _apply_one(session, ctx, str(xid))
        await _record_result(session, ctx, result)
        results.append(result)
    statuses = Counter(r.status for r in results)
    await _touch(session, tenant_id, sede_id, device_id, now, offset)
    session.add(
        SyncLog(
            tenant_id=tenant_id,
            id=new_id(),
            sede_id=sede_id,
            device_id=device_id,
            operation="push",
            items_count=len(results),
            status="ok" if statuses["rejected"] == 0 else "partial",
            statuses=dict(statuses),
            details=_log_details(results),
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
    )
    return PushResponse(results=results, server_time=now, clock_offset_ms=offset)


def _log_details(results: list[OpResult]) -> dict[str, Any]:
    troubles = [
        {"op_id": str(r.op_id), "status": r.status, "reason": r.reason}
        for r in results
        if r.status in ("rejected", "conflict")
    ]
    return {"problems": troubles[:20]} if troubles else {}


async def _touch(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    device_id: uuid.UUID,
    now: datetime,
    offset: int | None,
) -> None:
    values: dict[str, Any] = {"last_seen_at": now}
    if offset is not None:
        values["clock_offset_ms"] = offset
    await session.execute(
        update(Device).where(Device.tenant_id == tenant_id, Device.id == device_id).values(**values)
    )
    await session.execute(
        update(Sede)
        .where(Sede.tenant_id == tenant_id, Sede.id == sede_id)
        .values(last_sync_at=now, last_ping_at=now, is_online=True)
    )
