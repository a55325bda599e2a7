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
    "users": "t.tenant_id = :tenant_id",
    "inventory": "t.tenant_id = :tenant_id AND t.sede_id = :sede_id",
}
_UNSERVED = """
    EXISTS (
        SELECT 1 FROM changes AS c
        WHERE c.tenant_id = :tenant_id AND (c.sede_id IS NULL OR c.sede_id = :sede_id)
          AND (c.xid, c.id) > (CAST(:xid AS xid8), :id) AND c.entity = '{table}'
    )
"""


def _checksum_sql() -> str:
    parts = [
        f"SELECT '{table}' AS entity, {_UNSERVED.format(table=table)} AS unserved,"
        f" (SELECT coalesce(sum({_hash(_ROW_TEXT[table])}), 0) FROM {table} AS t"
        f"  WHERE {_SCOPE[table]} AND NOT {_UNSERVED.format(table=table)}) AS total"
        for table in CHECKSUM_TABLES
    ]
    return "\nUNION ALL\n".join(parts)


CHECKSUMS_SQL = text(_checksum_sql())


async def table_checksums(
    session: AsyncSession, *, tenant_id: uuid.UUID, sede_id: uuid.UUID, cursor: Cursor
) -> dict[str, str]:
    """The checksum of each synced table at `cursor`, leaving out tables with unserved rows."""
    rows = await session.execute(
        CHECKSUMS_SQL,
        {"tenant_id": tenant_id, "sede_id": sede_id, "xid": str(cursor.xid), "id": cursor.id},
    )
    return {row.entity: format_checksum(int(row.total)) for row in rows if not row.unserved}


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
