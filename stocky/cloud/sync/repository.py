"""Queries of the sync module: the change feed, the server epoch, pushed ops' records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.catalog.repository import uuids
from stocky.cloud.db import json_dumps
from stocky.cloud.models import SyncOp

# Only transactions below the snapshot's xmin have all finished: serving nothing at or
# above it means no change can later appear behind a cursor we handed out.
# ORDER BY names the table's columns: a bare `xid` would mean the text output column, whose
# order ("100" < "99") skips rows at a page edge, and could not walk the (tenant, xid, id)
# index (every page sorted the whole feed).
PULL_SQL = text(
    """
    SELECT id, xid::text AS xid, entity, entity_id, op, version, data
    FROM changes
    WHERE tenant_id = :tenant_id
      AND (sede_id IS NULL OR sede_id = :sede_id)
      AND (xid, id) > (CAST(:xid AS xid8), :id)
      AND xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY changes.tenant_id, changes.xid, changes.id
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


# Push: the idempotency records of a batch -----------------------------------------------


async def claim_ops(session: AsyncSession, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the batch's sync_ops rows if absent; returns the op_ids this delivery owns.

    Rows are claimed in op_id order, so two deliveries sharing ops lock them in the same
    order. A row another open transaction holds makes this wait for it (the first delivery
    wins); a row already committed is left as it is, for `sync_ops_by_id` to read.
    """
    rows = sorted(rows, key=lambda row: row["op_id"])
    stmt = pg_insert(SyncOp).values(rows).on_conflict_do_nothing().returning(SyncOp.op_id)
    return set((await session.execute(stmt)).scalars())


async def sync_ops_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, op_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SyncOp]:
    stmt = select(SyncOp).where(SyncOp.tenant_id == tenant_id, SyncOp.op_id == uuids(op_ids))
    return {row.op_id: row for row in (await session.execute(stmt)).scalars()}


RECORD_RESULTS_SQL = text(
    """
    UPDATE sync_ops AS s SET status = v.status, result = v.result
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(op_id uuid, status text, result jsonb)
    WHERE s.tenant_id = :tenant_id AND s.op_id = v.op_id
    """
)


async def record_results(
    session: AsyncSession, tenant_id: uuid.UUID, results: Sequence[dict[str, Any]]
) -> None:
    """Store each claimed op's result (`{op_id, status, result}` as JSON), one statement."""
    if results:
        await session.execute(
            RECORD_RESULTS_SQL, {"tenant_id": tenant_id, "rows": json_dumps(list(results))}
        )
