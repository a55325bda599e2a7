"""Presence and health of each sede's sync, for the web admin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from stocky.cloud.activation.service import business_info
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.models import Device, Sede, SyncLog, SyncOp, Tenant
from stocky.cloud.sync.push import CLOCK_TRUST, clock_offset_ms
from stocky.cloud.sync.schemas import PingOut, SedeSyncStatus, SyncStatusOut
from stocky.core.clock import clock_skewed, skew_summary
from stocky.core.receipts import caja_prefix


async def ping(
    session: AsyncSession,
    device: Principal,
    client_now: datetime | None,
    outbox: tuple[int, int | None] | None = None,
) -> tuple[PingOut, bool]:
    """A caja's heartbeat: the sede is online, and the caja's clock offset is measured.

    Also says whether this ping is what brought the sede online (it was offline), so the
    caller can announce it as a socket connecting would.
    """
    now = datetime.now(UTC)
    offset = clock_offset_ms(client_now, now)
    values: dict[str, Any] = {"last_seen_at": now}
    if offset is not None:
        values["clock_offset_ms"] = offset
    if outbox is not None:  # (pending, stuck) as the caja counted them
        values.update(pending_ops=outbox[0], stuck_ops=outbox[1], outbox_reported_at=now)
    assert device.device_id is not None
    assert device.sede_id is not None
    caja_number = await session.scalar(
        update(Device)
        .where(Device.tenant_id == device.tenant_id, Device.id == device.device_id)
        .values(**values)
        .returning(Device.caja_number)
    )
    # One statement still (devices, then sedes: the lock order push also keeps); the
    # self-join reads the row as it was before this update.
    before = aliased(Sede)
    was_online = await session.scalar(
        update(Sede)
        .where(
            Sede.tenant_id == device.tenant_id,
            Sede.id == device.sede_id,
            before.tenant_id == Sede.tenant_id,
            before.id == Sede.id,
        )
        .values(is_online=True, last_ping_at=now)
        .returning(before.is_online)
    )
    prefix = None if caja_number is None else caja_prefix(caja_number)
    settings = await session.scalar(select(Tenant.settings).where(Tenant.id == device.tenant_id))
    answer = PingOut(
        server_time=now,
        clock_offset_ms=offset,
        receipt_prefix=prefix,
        business=business_info(settings),
    )
    return answer, was_online is False


async def op_counts(
    session: AsyncSession, tenant_id: uuid.UUID, since: datetime
) -> dict[uuid.UUID, dict[str, int]]:
    """Pushed ops since `since` by sede and status (the status page and the dashboard)."""
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for sede_id, status, n in await session.execute(
        select(SyncOp.sede_id, SyncOp.status, func.count())
        .where(SyncOp.tenant_id == tenant_id, SyncOp.created_at >= since)
        .group_by(SyncOp.sede_id, SyncOp.status)
    ):
        counts.setdefault(sede_id, {})[status] = n
    return counts


def clock_untrusted(offset_ms: int | None) -> bool:
    """Past CLOCK_TRUST the caja's times are stored corrected by the offset (see sync push)."""
    return offset_ms is not None and abs(offset_ms) > CLOCK_TRUST.total_seconds() * 1000


async def sync_status(
    session: AsyncSession, actor: Principal, clock_skew_threshold_s: float
) -> SyncStatusOut:
    """Per sede: presence, last ping and sync, op counts of the last day, recent problems,
    and the cajas whose clock is off past the threshold (seconds)."""
    query = select(Sede).where(Sede.tenant_id == actor.tenant_id).order_by(Sede.name)
    if not actor.at_least("admin"):
        query = query.where(Sede.id == actor.sede_id)
    sedes = list((await session.execute(query)).scalars())
    since = datetime.now(UTC) - timedelta(days=1)
    counts = await op_counts(session, actor.tenant_id, since)
    rows = await session.execute(
        select(SyncLog.sede_id, func.count())
        .where(
            SyncLog.tenant_id == actor.tenant_id,
            SyncLog.created_at >= since,
            SyncLog.status == "diverged",
        )
        .group_by(SyncLog.sede_id)
    )
    divergences: dict[uuid.UUID, int] = {row[0]: row[1] for row in rows}
    out = []
    for sede in sedes:
        problems = await session.execute(
            select(SyncOp)
            .where(
                SyncOp.tenant_id == actor.tenant_id,
                SyncOp.sede_id == sede.id,
                SyncOp.status.in_(("rejected", "conflict")),
            )
            .order_by(SyncOp.created_at.desc())
            .limit(10)
        )
        devices = list(
            (
                await session.execute(
                    select(Device).where(
                        Device.tenant_id == actor.tenant_id, Device.sede_id == sede.id
                    )
                )
            ).scalars()
        )
        # A revoked caja's last offset is history, not a clock to fix.
        skewed, worst = skew_summary(
            (d.clock_offset_ms for d in devices if d.status == "active"), clock_skew_threshold_s
        )
        out.append(
            SedeSyncStatus(
                sede_id=sede.id,
                name=sede.name,
                is_online=sede.is_online,
                last_ping_at=sede.last_ping_at,
                last_sync_at=sede.last_sync_at,
                ops_last_24h=counts.get(sede.id, {}),
                last_errors=[
                    {
                        "op_id": str(p.op_id),
                        "kind": p.kind,
                        "status": p.status,
                        "reason": p.result.get("reason"),
                        "entity_id": p.entity_id,
                        # What the caja sent, so a person can see what was refused.
                        "payload": p.payload,
                        "at": p.created_at.isoformat(),
                    }
                    for p in problems.scalars()
                ],
                devices=[
                    {
                        "id": str(d.id),
                        "name": d.name,
                        "status": d.status,
                        "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
                        "clock_offset_ms": d.clock_offset_ms,
                        "clock_untrusted": clock_untrusted(d.clock_offset_ms),
                        "clock_skewed": clock_skewed(d.clock_offset_ms, clock_skew_threshold_s),
                    }
                    for d in devices
                ],
                divergences_last_24h=divergences.get(sede.id, 0),
                clock_skewed_devices=skewed,
                worst_clock_offset_ms=worst,
            )
        )
    return SyncStatusOut(sedes=out)
