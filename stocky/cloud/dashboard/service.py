"""The owner's dashboard in one read: today's takings per sede, the last 30 days, each
sede's sync health and the stock alerts, held to the caller's sede below admin.

Days are the tenant's (its time zone), and a sale belongs to the day of the caja's time
corrected by its measured offset, as GET /api/sales orders them: a sale rung up at 23:30
belongs to that evening even if it reached the cloud the next morning.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.dashboard import repository as repo
from stocky.cloud.dashboard.schemas import DashboardOut, Day, Refunds, SedeHealth, SedeToday, Today
from stocky.cloud.inventory import consolidated
from stocky.cloud.inventory import repository as inventory_repo
from stocky.cloud.redis import RedisClient
from stocky.cloud.sync.status import clock_untrusted, op_counts
from stocky.core.clock import skew_summary
from stocky.core.errors import ForbiddenError, NotFoundError

log = logging.getLogger(__name__)

DAYS = 30
ZERO = Decimal("0.00")


async def visible_sede(
    session: AsyncSession, user: Principal, sede_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The sede the figures are held to (None: the whole tenant). Owners and admins choose;
    a manager sees its own; a cashier works at the caja, not in the admin."""
    if sede_id is not None and not await inventory_repo.sede_exists(
        session, user.tenant_id, sede_id
    ):
        raise NotFoundError("No such sede.", field="sede_id")
    if user.at_least("admin"):
        return sede_id
    if not user.at_least("manager"):
        raise ForbiddenError("The dashboard is for owners, admins and managers.")
    if user.sede_id is None:
        raise ForbiddenError("A manager without a sede has no dashboard.")
    if sede_id is not None and sede_id != user.sede_id:
        raise ForbiddenError("Managers see only their own sede's dashboard.")
    return user.sede_id


def _now() -> datetime:
    return datetime.now(UTC)  # apart, so tests can fix the clock around a midnight


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # Never a 500 over a bad setting: the figures in UTC, and a log line to fix it.
        log.warning("tenant time zone %r unknown: the dashboard uses UTC", name)
        return ZoneInfo("UTC")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant `day` starts in `zone` (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(0), zone)


async def dashboard(
    session: AsyncSession,
    redis: RedisClient,
    user: Principal,
    sede_id: uuid.UUID | None,
    clock_skew_threshold_s: float,
) -> DashboardOut:
    scope = await visible_sede(session, user, sede_id)
    currency, zone_name = await repo.tenant_money_and_zone(session, user.tenant_id)
    zone = _zone(zone_name)
    now = _now()
    today = now.astimezone(zone).date()
    dates = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    midnights = [_midnight(d, zone) for d in [*dates, today + timedelta(days=1)]]
    today_start, tomorrow = midnights[-2], midnights[-1]
    sedes = await repo.sedes(session, user.tenant_id, scope)
    takings = await repo.sales_by_day(session, user.tenant_id, midnights, scope)
    refunds = await repo.refunds_by_sede(session, user.tenant_id, today_start, tomorrow, scope)
    ops = await op_counts(session, user.tenant_id, now - timedelta(days=1))
    cajas = await repo.cajas_by_sede(session, user.tenant_id, scope)
    clocks = await repo.clock_offsets_by_sede(session, user.tenant_id, scope)
    low, negative = await _stock_alerts(session, redis, user.tenant_id, scope)
    open_transfers = await repo.open_transfers(session, user.tenant_id, scope)

    per_sede = []
    for s in sedes:
        sold = takings.get((DAYS - 1, s.id))
        per_sede.append(
            SedeToday(
                sede_id=s.id,
                name=s.name,
                total=sold.total if sold else ZERO,
                count=sold.count if sold else 0,
                refunds_total=refunds[s.id].total if s.id in refunds else ZERO,
            )
        )
    by_day: dict[int, list[repo.Takings]] = {}
    for (i, _), t in takings.items():
        by_day.setdefault(i, []).append(t)
    days = [
        Day(
            date=d,
            total=sum((t.total for t in by_day.get(i, [])), ZERO),
            count=sum(t.count for t in by_day.get(i, [])),
        )
        for i, d in enumerate(dates)
    ]
    health = []
    for s in sedes:
        n, offset, pending = cajas.get(s.id, (0, None, None))
        statuses = ops.get(s.id, {})
        skewed, worst = skew_summary(clocks.get(s.id, []), clock_skew_threshold_s)
        health.append(
            SedeHealth(
                sede_id=s.id,
                name=s.name,
                active=s.active,
                online=s.online,
                last_ping_at=s.last_ping_at,
                last_sync_at=s.last_sync_at,
                devices=n,
                pending_ops=pending,
                rejected_ops=statuses.get("rejected", 0),
                conflict_ops=statuses.get("conflict", 0),
                max_clock_offset_ms=offset,
                clock_untrusted=clock_untrusted(offset),
                clock_skewed_devices=skewed,
                worst_clock_offset_ms=worst,
            )
        )
    return DashboardOut(
        currency=currency,
        timezone=zone.key,
        as_of=now,
        sede_id=scope,
        today=Today(
            date=today,
            total=days[-1].total,
            count=days[-1].count,
            refunds=Refunds(
                total=sum((r.total for r in refunds.values()), ZERO),
                count=sum(r.count for r in refunds.values()),
            ),
            per_sede=per_sede,
        ),
        last_30_days=days,
        sedes=health,
        low_stock_count=low,
        negative_stock_count=negative,
        open_transfers=open_transfers,
    )


async def _stock_alerts(
    session: AsyncSession,
    redis: RedisClient,
    tenant_id: uuid.UUID,
    scope: uuid.UUID | None,
) -> tuple[int, int]:
    """The counts, cached beside the consolidated stock under its generation (any stock or
    catalog change of the tenant makes them stale); Redis down costs the cache only."""
    # The generation is read before the count's statement takes its snapshot (see
    # stocky.cloud.inventory.consolidated): a count from an older snapshot is stored under
    # a generation nobody asks for again.
    key = await consolidated._cache_key(redis, tenant_id, f"dashboard-stock\x00{scope}")
    if key is not None:
        try:
            raw = await redis.get(key)
        except RedisError:
            raw = None
        if raw is not None:
            low, negative = json.loads(raw)
            return int(low), int(negative)
    counts = await repo.stock_alerts(session, tenant_id, scope)
    if key is not None:
        try:
            await redis.set(key, json.dumps(counts), ex=consolidated.TTL_SECONDS)
        except RedisError:
            log.warning("Redis unavailable: dashboard stock counts not cached")
    return counts
