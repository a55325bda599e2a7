"""Queries of the sync module: the change feed, the server epoch, pushed ops' records."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import String, Table, func, literal_column, select, text
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.db import json_dumps
from stocky.cloud.kit.sql import rows_from_json, uuids
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

NO_SORT_SQL = text("SELECT set_config('enable_sort', 'off', true)")


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
    # Statistics lag behind a tenant that just imported its catalog: the planner then
    # expects a handful of rows and sorts the whole feed on every page (15 ms a page of 500
    # at 20k changes, against 0.3 ms walking the index, which is already in this order).
    await session.execute(NO_SORT_SQL)
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

SYNC_OPS = cast(Table, SyncOp.__table__)
CLAIM_COLUMNS = [
    "tenant_id",
    "op_id",
    "sede_id",
    "device_id",
    "kind",
    "entity_id",
    "body_hash",
    "status",
    "result",
    "payload",
    "client_ts",
]
_CLAIM = (
    pg_insert(SYNC_OPS)
    .from_select(CLAIM_COLUMNS, rows_from_json(SYNC_OPS, CLAIM_COLUMNS))
    .on_conflict_do_nothing()
    .returning(
        SYNC_OPS.c.op_id,
        cast_(func.pg_current_xact_id(), String),
        cast_(literal_column("ctid"), String),
    )
)


async def claim_ops(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> tuple[dict[uuid.UUID, str], str | None]:
    """Insert the batch's sync_ops rows if absent: the op_ids this delivery owns (with each
    row's ctid, for `record_results`), and this transaction's id (its position in the change
    feed) if it claimed any.

    Rows are claimed in op_id order, so two deliveries sharing ops lock them in the same
    order. A row another open transaction holds makes this wait for it (the first delivery
    wins); a row already committed is left as it is, for `sync_ops_by_id` to read.
    """
    rows = sorted(rows, key=lambda row: row["op_id"])
    claimed = (await session.execute(_CLAIM, {"rows": rows})).all()
    return {op_id: tid for op_id, _, tid in claimed}, (claimed[0][1] if claimed else None)


async def sync_ops_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, op_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SyncOp]:
    stmt = select(SyncOp).where(SyncOp.tenant_id == tenant_id, SyncOp.op_id == uuids(op_ids))
    return {row.op_id: row for row in (await session.execute(stmt)).scalars()}


# One unique-key probe per id: with `id = ANY(:ids)`, stale statistics on a fresh tenant's
# products made the planner scan all of the tenant's rows (14 ms at 20k products).
KNOWN_PRODUCTS_SQL = text(
    """
    SELECT k.id FROM unnest(CAST(:ids AS uuid[])) AS u(id)
    CROSS JOIN LATERAL (
        SELECT p.id FROM products AS p WHERE p.tenant_id = :tenant_id AND p.id = u.id LIMIT 1
    ) AS k
    """
)


async def known_products(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these products exist (in the tenant); one statement for any number."""
    wanted = list(ids)
    if not wanted:
        return set()
    rows = await session.execute(KNOWN_PRODUCTS_SQL, {"tenant_id": tenant_id, "ids": wanted})
    return set(rows.scalars())


# The rows are found by the ctids their claim returned (this transaction inserted them and
# nothing updates them in between): a TID scan whatever the statistics say. Joined by
# tenant and op_id alone, a fresh tenant's stale statistics chose a hash join over all of
# its sync_ops (1.3 ms a batch at 2,000 ops, 2.5 ms at 5,000, growing with the backlog).
RECORD_RESULTS_SQL = text(
    """
    UPDATE sync_ops AS s SET status = v.status, result = v.result
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(op_id uuid, status text, result jsonb)
    WHERE s.ctid = ANY(CAST(:tids AS tid[])) AND s.tenant_id = :tenant_id AND s.op_id = v.op_id
    """
)


async def record_results(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    claimed: dict[uuid.UUID, str],
    results: Sequence[dict[str, Any]],
) -> None:
    """Store each claimed op's result (`{op_id, status, result}` as JSON), one statement."""
    if not results:
        return
    tids = [claimed[row["op_id"]] for row in results]
    params = {"tenant_id": tenant_id, "tids": tids, "rows": json_dumps(list(results))}
    updated = await session.execute(RECORD_RESULTS_SQL, params)
    if updated.rowcount != len(results):  # type: ignore[attr-defined]
        raise RuntimeError(f"recorded {updated.rowcount} of {len(results)} results")  # type: ignore[attr-defined]


RELEASE_CLAIMS_SQL = text(
    "DELETE FROM sync_ops WHERE ctid = ANY(CAST(:tids AS tid[])) AND tenant_id = :tenant_id"
)


async def release_claims(session: AsyncSession, tenant_id: uuid.UUID, tids: list[str]) -> None:
    """Forget the claims of deferred ops (by the ctids their claim returned): a later
    delivery of the same op_id applies it afresh."""
    if tids:
        await session.execute(RELEASE_CLAIMS_SQL, {"tenant_id": tenant_id, "tids": tids})
