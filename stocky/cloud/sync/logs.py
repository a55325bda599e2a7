"""The sync log viewer's reads: every op a caja pushed, as sync_ops recorded it, newest
first by the cloud's receipt time, keyset on (created_at, op_id).

Owner and admin see every sede; a manager only their own (another sede's filter is a 403,
as GET /api/sales); below manager, nobody. RLS keeps another tenant's ops out, and the
tenant is in every WHERE too so the indexes (tenant_id, created_at, op_id) and
(tenant_id, sede_id, created_at) serve the page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory.repository import sede_exists
from stocky.cloud.kit.pagination import (
    InvalidFieldError,
    decode_time_cursor,
    encode_cursor,
)
from stocky.cloud.kit.sql import where_given
from stocky.cloud.models import Device, Sede, SyncOp
from stocky.cloud.sync.logs_schemas import SyncLogItem, SyncLogPage
from stocky.core.errors import ForbiddenError, NotFoundError

# An op with its sede's and caja's names (outer joins: either may be NULL).
LogsSelect = Select[SyncOp, str, str]
# The payload is evidence of what went wrong; an applied op's effect is in the data itself.
PAYLOAD_SHOWN = frozenset({"rejected", "conflict"})


@dataclass(frozen=True)
class SyncLogFilter:
    sede_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    status: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def logs_query(
    tenant_id: uuid.UUID,
    where: SyncLogFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> LogsSelect:
    stmt = where_given(
        select(SyncOp, Sede.name, Device.name)
        .outerjoin(Sede, and_(Sede.tenant_id == SyncOp.tenant_id, Sede.id == SyncOp.sede_id))
        .outerjoin(
            Device, and_(Device.tenant_id == SyncOp.tenant_id, Device.id == SyncOp.device_id)
        )
        .where(SyncOp.tenant_id == tenant_id),
        (SyncOp.sede_id, where.sede_id),
        (SyncOp.device_id, where.device_id),
        (SyncOp.status, where.status),
        (SyncOp.kind, where.kind),
    )
    if where.since is not None:
        stmt = stmt.where(SyncOp.created_at >= where.since)
    if where.until is not None:
        stmt = stmt.where(SyncOp.created_at < where.until)
    if before is not None:
        stmt = stmt.where(tuple_(SyncOp.created_at, SyncOp.op_id) < tuple_(*before))
    return stmt.order_by(SyncOp.created_at.desc(), SyncOp.op_id.desc()).limit(limit)


def _visible_sede(user: Principal, sede_id: uuid.UUID | None) -> uuid.UUID | None:
    if user.at_least("admin"):
        return sede_id
    if sede_id is not None and sede_id != user.sede_id:
        raise ForbiddenError("A manager sees only their own sede's sync log.", field="sede_id")
    if user.sede_id is None:
        raise ForbiddenError("A manager without a sede sees no sync log.")
    return user.sede_id


def _check(where: SyncLogFilter) -> None:
    for field, value in (("from", where.since), ("to", where.until)):
        if value is not None and value.tzinfo is None:
            raise InvalidFieldError(field, "needs a time zone")
    if where.since and where.until and where.since >= where.until:
        raise InvalidFieldError("from", "must be before 'to'")


def _item(op: SyncOp, sede_name: str | None, device_name: str | None) -> SyncLogItem:
    reason = (op.result or {}).get("reason")
    return SyncLogItem(
        op_id=op.op_id,
        kind=op.kind,
        entity_id=op.entity_id,
        status=op.status,  # the table's CHECK keeps it in range
        reason=reason if isinstance(reason, str) else None,
        sede_id=op.sede_id,
        sede_name=sede_name,
        device_id=op.device_id,
        device_name=device_name,
        client_ts=op.client_ts,
        server_ts=op.created_at,
        payload=op.payload if op.status in PAYLOAD_SHOWN else None,
    )


async def list_sync_logs(
    session: AsyncSession,
    user: Principal,
    where: SyncLogFilter,
    *,
    cursor: str | None,
    limit: int,
) -> SyncLogPage:
    """One page of the tenant's pushed ops, newest first, as `user` may see them."""
    if not user.at_least("manager"):
        raise ForbiddenError("This needs the manager role or higher.")
    _check(where)
    if where.sede_id is not None and not await sede_exists(session, user.tenant_id, where.sede_id):
        raise NotFoundError("No such sede.", field="sede_id")
    scoped = SyncLogFilter(
        sede_id=_visible_sede(user, where.sede_id),
        device_id=where.device_id,
        status=where.status,
        kind=where.kind,
        since=where.since,
        until=where.until,
    )
    before = decode_time_cursor(cursor) if cursor else None
    stmt = logs_query(user.tenant_id, scoped, before=before, limit=limit + 1)
    rows = (await session.execute(stmt)).all()
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last: SyncOp = page[-1][0]
        next_cursor = encode_cursor(last.created_at.isoformat(), str(last.op_id))
    return SyncLogPage(
        items=[_item(op, sede, caja) for op, sede, caja in page], next_cursor=next_cursor
    )
