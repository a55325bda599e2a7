"""Pull pages follow the feed's numeric (xid, id) order, also where xids gain a digit."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.sync.pull import pull_changes
from tests.fixtures.database import DatabaseUrls


@pytest.mark.asyncio
async def test_pages_follow_numeric_xid_order(
    app_sessionmaker: SessionMaker, database: DatabaseUrls
) -> None:
    tenant, sede = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        row = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
        assert row is not None
        # Finished transactions on both sides of two digit boundaries: as text, "100" < "99".
        top = 10 ** (len(row[0]) - 1)
        assert top >= 100
        feed = [("a", top), ("b", top - 1), ("c", top // 10), ("d", top // 10 - 1)]
        conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES (%s, 'T', %s)", (tenant, str(tenant))
        )
        for name, xid in feed:
            conn.execute(
                "INSERT INTO changes (tenant_id, xid, sede_id, entity, entity_id, op)"
                " VALUES (%s, %s::text::xid8, %s, 'marks', %s, 'upsert')",
                (tenant, str(xid), sede, name),
            )
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        async with tenant_transaction(app_sessionmaker, tenant) as session:
            page = await pull_changes(
                session, tenant_id=tenant, sede_id=sede, cursor_token=cursor, limit=1
            )
        seen += [c.entity_id for c in page.changes]
        cursor = page.cursor
        if not page.has_more:
            break
    assert seen == ["d", "c", "b", "a"], "every row, once, in (xid, id) order"
