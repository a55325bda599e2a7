"""Checksums of a sede's synced tables at a feed position, and the pages of a table re-fetch.

The last page of a pull carries, per table a caja keeps a copy of, the sum modulo 2^64 of a
hash of each row (stocky.core.sync.table_checksum says what each row contributes). The caja
computes the same over its copy and re-fetches a table whose sum differs.

Consistency with the cursor: a pull serves only changes below its snapshot's xmin, while a
query reads every committed row. So the checksum of a table is computed in ONE statement
(one snapshot) together with a check for changes of that table in the sede's scope after the
cursor that this snapshot can see; a table with such changes is left out of the answer (its
rows hold something the caja has not been served yet, and the sum could never match). Every
change at or before the cursor was served (the feed never skips one below xmin), so for the
other tables the rows this snapshot sees are exactly what the caja has applied.

A sum is kept in memory and reused while its table has no change after it (every write to
these tables writes a change row), so a quiet catalog is not hashed again for every pull of
every caja; at most every CACHE_SECONDS it is recomputed anyway.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import SyncLog
from stocky.core.sync import (
    CHECKSUM_TABLES,
    Change,
    ChecksumTable,
    Cursor,
    RefetchResponse,
    format_checksum,
)


def _hash(expr: str) -> str:
    # md5's first 16 hex digits as a signed bigint; summed as numeric, reduced mod 2^64 in
    # Python (a signed and an unsigned reading of the same bits agree modulo 2^64).
    return f"('x' || substr(md5({expr}), 1, 16))::bit(64)::bigint::numeric"


_ROW_TEXT: dict[str, str] = {
    "products": "t.id::text || ':' || t.version::text",
    "product_barcodes": "t.barcode || ':' || t.product_id::text",
    "users": "t.id::text || ':' || t.version::text",
    "inventory": (
        "t.product_id::text || ':' || (t.quantity * 1000)::bigint::text"
        " || ':' || (t.min_stock * 1000)::bigint::text"
        " || ':' || coalesce((t.max_stock * 1000)::bigint::text, '')"
    ),
}
_SCOPE = {
    "products": "t.tenant_id = :tenant_id",
    "product_barcodes": "t.tenant_id = :tenant_id",
    # The users who may log in at the sede, as pull serves them (pull.may_log_in_at).
    "users": "t.tenant_id = :tenant_id AND (t.sede_id IS NULL OR t.sede_id = :sede_id)",
    "inventory": "t.tenant_id = :tenant_id AND t.sede_id = :sede_id",
}
# A change of the table, in the sede's scope, after a position, that this snapshot sees.
_CHANGED_AFTER = """
    EXISTS (
        SELECT 1 FROM changes AS c
        WHERE c.tenant_id = :tenant_id AND (c.sede_id IS NULL OR c.sede_id = :sede_id)
          AND (c.xid, c.id) > (CAST(:{p}_xid AS xid8), :{p}_id) AND c.entity = '{table}'
    )
"""


def _checksum_sql() -> str:
    # Per table: unserved (a change after the cursor), and the sum only when it is needed,
    # that is when nothing is unserved and there is no cached sum still valid (a cached sum
    # taken at P holds while no change follows min(P, cursor), parameter `<table>_since`).
    parts = []
    for table in CHECKSUM_TABLES:
        after_cursor = _CHANGED_AFTER.format(p="cursor", table=table)
        after_cached = _CHANGED_AFTER.format(p=f"{table}_since", table=table)
        parts.append(
            f"SELECT '{table}' AS entity, {after_cursor} AS unserved,"
            f" CASE WHEN NOT {after_cursor}"
            f"  AND (NOT CAST(:{table}_cached AS boolean) OR {after_cached})"
            f" THEN (SELECT coalesce(sum({_hash(_ROW_TEXT[table])}), 0)"
            f"  FROM {table} AS t WHERE {_SCOPE[table]}) END AS total"
        )
    return "\nUNION ALL\n".join(parts)


CHECKSUMS_SQL = text(_checksum_sql())

# Sums already computed, by (epoch, tenant, table[, sede]): (position, sum, monotonic time).
# A sum is reused while no change of its table follows it (the statement checks) and for
# at most CACHE_SECONDS, so a write that bypassed the change feed is still caught.
CACHE_SECONDS = 300.0
CACHE_MAX = 20_000
_cache: dict[tuple[str, ...], tuple[Cursor, int, float]] = {}


def _cache_key(table: str, tenant_id: uuid.UUID, sede_id: uuid.UUID, epoch: str) -> tuple[str, ...]:
    if ":sede_id" in _SCOPE[table]:
        return (epoch, str(tenant_id), table, str(sede_id))
    return (epoch, str(tenant_id), table)


def clear_cache() -> None:
    _cache.clear()


async def table_checksums(
    session: AsyncSession, *, tenant_id: uuid.UUID, sede_id: uuid.UUID, cursor: Cursor
) -> dict[str, str]:
    """The checksum of each synced table at `cursor`, leaving out tables with unserved rows."""
    now = time.monotonic()
    params: dict[str, object] = {
        "tenant_id": tenant_id,
        "sede_id": sede_id,
        "cursor_xid": str(cursor.xid),
        "cursor_id": cursor.id,
    }
    cached: dict[str, tuple[Cursor, int, float] | None] = {}
    for table in CHECKSUM_TABLES:
        entry = _cache.get(_cache_key(table, tenant_id, sede_id, cursor.epoch))
        if entry is not None and now - entry[2] > CACHE_SECONDS:
            entry = None
        cached[table] = entry
        since = cursor if entry is None else min(entry[0], cursor, key=lambda c: (c.xid, c.id))
        params[f"{table}_cached"] = entry is not None
        params[f"{table}_since_xid"] = str(since.xid)
        params[f"{table}_since_id"] = since.id
    sums: dict[str, str] = {}
    for row in await session.execute(CHECKSUMS_SQL, params):
        if row.unserved:
            continue
        entry = cached[row.entity]
        if row.total is None and entry is not None:
            total = entry[1]
        else:
            total = int(row.total)
            if len(_cache) >= CACHE_MAX:
                _cache.clear()
            _cache[_cache_key(row.entity, tenant_id, sede_id, cursor.epoch)] = (cursor, total, now)
        sums[row.entity] = format_checksum(total)
    return sums


# Re-fetch ----------------------------------------------------------------------------------

# (key expression, type of the `after` parameter, version column or None). Keys are compared and
# ordered in binary (COLLATE "C", uuids by their bytes), the order SQLite compares TEXT in.
_KEYS: dict[str, tuple[str, str, str | None]] = {
    "products": ("t.id", "uuid", "t.version"),
    "product_barcodes": ('t.barcode COLLATE "C"', "text", None),
    "users": ("t.id", "uuid", "t.version"),
    "inventory": ("t.product_id", "uuid", "t.version"),
}


def _refetch_sql(table: str) -> Any:
    key, cast, version = _KEYS[table]
    return text(
        f"""
        SELECT ({key})::text AS key, {version or "NULL::int"} AS version, to_jsonb(t) AS data
        FROM {table} AS t
        WHERE {_SCOPE[table]} AND (CAST(:after AS text) IS NULL OR {key} > CAST(:after AS {cast}))
        ORDER BY {key}
        LIMIT :limit
        """
    )


REFETCH_SQL = {table: _refetch_sql(table) for table in CHECKSUM_TABLES}


async def refetch_page(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    device_id: uuid.UUID | None,
    epoch: str,
    table: ChecksumTable,
    after: str | None,
    limit: int,
) -> RefetchResponse:
    """One page of the table's current rows after `after`; the first page is logged.

    Each row's position is the snapshot's xmin taken before the rows are read: every
    transaction below it is included in what the page shows.
    """
    started = time.monotonic()
    xmin = (
        await session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
    ).scalar_one()
    position = Cursor(epoch=epoch, xid=int(xmin), id=0).encode()
    result = await session.execute(
        REFETCH_SQL[table],
        {"tenant_id": tenant_id, "sede_id": sede_id, "after": after, "limit": limit + 1},
    )
    rows = result.all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    changes = [
        Change(
            position=position,
            entity=table,
            entity_id=f"{sede_id}:{row.key}" if table == "inventory" else row.key,
            op="upsert",
            version=row.version,
            data=row.data,
        )
        for row in rows
    ]
    if after is None:
        # The caja found this table's checksum different: one divergence in the sync log.
        session.add(
            SyncLog(
                tenant_id=tenant_id,
                sede_id=sede_id,
                device_id=device_id,
                operation="pull",
                items_count=0,
                status="diverged",
                details={"table": table, "refetch": True},
                duration_ms=int((time.monotonic() - started) * 1000),
            )
        )
    return RefetchResponse(
        table=table, changes=changes, upto=rows[-1].key if has_more else None, has_more=has_more
    )
