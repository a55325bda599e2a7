"""Queries of the sync module: the change feed and the server epoch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Only transactions below the snapshot's xmin have all finished: serving nothing at or
# above it means no change can later appear behind a cursor we handed out.
PULL_SQL = text(
    """
    SELECT id, xid::text AS xid, entity, entity_id, op, version, data
    FROM changes
    WHERE tenant_id = :tenant_id
      AND (sede_id IS NULL OR sede_id = :sede_id)
      AND (xid, id) > (CAST(:xid AS xid8), :id)
      AND xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY xid, id
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class FeedRow:
    id: int
    xid: int
    entity: str
    entity_id: str
    op: str
    version: int | None
    data: dict[str, Any] | None


async def server_epoch(session: AsyncSession) -> str:
    return str((await session.execute(text("SELECT stocky_server_epoch()"))).scalar_one())


async def next_xid(session: AsyncSession) -> int:
    """The next transaction id the server will assign (without assigning one)."""
    value = await session.execute(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
    return int(value.scalar_one())


async def read_feed(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    after_xid: int,
    after_id: int,
    limit: int,
) -> list[FeedRow]:
    result = await session.execute(
        PULL_SQL,
        {
            "tenant_id": tenant_id,
            "sede_id": sede_id,
            "xid": str(after_xid),
            "id": after_id,
            "limit": limit,
        },
    )
    return [
        FeedRow(r.id, int(r.xid), r.entity, r.entity_id, r.op, r.version, r.data) for r in result
    ]
