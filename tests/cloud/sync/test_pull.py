"""Pull serves the change feed in commit order and never skips a late commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.sync.pull import pull_changes
from stocky.core.errors import BadRequestError
from stocky.core.sync import Cursor, PullResponse
from tests.fixtures.database import DatabaseUrls


class Writer:
    """An app-role connection that inserts products inside a transaction it holds open."""

    def __init__(self, url: str, tenant: uuid.UUID) -> None:
        self.conn = psycopg.connect(url)
        self.tenant = tenant
        self.skus: list[str] = []

    def begin(self) -> None:
        self.conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(self.tenant),))

    def insert(self, sku: str) -> None:
        self.conn.execute(
            "INSERT INTO products (tenant_id, id, sku, name, price) VALUES (%s, %s, %s, %s, 1)",
            (self.tenant, uuid.uuid4(), sku, f"Producto {sku}"),
        )
        self.skus.append(sku)

    def commit(self) -> list[str]:
        self.conn.commit()
        done, self.skus = self.skus, []
        return done

    def rollback(self) -> None:
        self.conn.rollback()
        self.skus = []

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def tenant_and_sede(database: DatabaseUrls) -> tuple[uuid.UUID, uuid.UUID]:
    tenant, sede = uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(libpq_url(database.app_url)) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
        conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES (%s, 'T', %s)", (tenant, str(tenant))
        )
        conn.execute("INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, 'S')", (tenant, sede))
    return tenant, sede


@pytest.fixture
def writers(database: DatabaseUrls, tenant_and_sede) -> Iterator[list[Writer]]:
    made = [Writer(libpq_url(database.app_url), tenant_and_sede[0]) for _ in range(3)]
    yield made
    for w in made:
        w.close()


async def _pull_all(
    sm: SessionMaker, tenant: uuid.UUID, sede: uuid.UUID, cursor: str | None, limit: int = 3
) -> tuple[list[str], str | None, bool]:
    """Pull every available page; return product skus seen, the final cursor, any reset."""
    skus: list[str] = []
    reset = False
    while True:
        async with tenant_transaction(sm, tenant) as session:
            page: PullResponse = await pull_changes(
                session, tenant_id=tenant, sede_id=sede, cursor_token=cursor, limit=limit
            )
        reset = reset or page.reset
        skus += [c.data["sku"] for c in page.changes if c.entity == "products" and c.data]
        cursor = page.cursor
        if not page.has_more:
            return skus, cursor, reset


@pytest.mark.asyncio
async def test_slow_writer_with_lower_position_is_still_delivered(
    app_sessionmaker: SessionMaker, tenant_and_sede, writers
) -> None:
    tenant, sede = tenant_and_sede
    slow, fast = writers[0], writers[1]
    _, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, None)

    slow.begin()
    slow.insert("SLOW")  # takes the lower xid and change id, commits last
    fast.begin()
    fast.insert("FAST")
    fast.commit()

    seen, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, cursor)
    assert seen == [], "nothing past a still-running transaction is served"

    slow.commit()
    seen, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, cursor)
    assert seen == ["SLOW", "FAST"]

    again, _, _ = await _pull_all(app_sessionmaker, tenant, sede, cursor)
    assert again == [], "delivered exactly once"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    script=st.lists(
        st.tuples(st.sampled_from(["insert", "commit", "rollback", "pull"]), st.integers(0, 2)),
        min_size=1,
        max_size=30,
    )
)
@pytest.mark.asyncio
async def test_any_interleaving_delivers_each_commit_exactly_once(
    app_sessionmaker: SessionMaker, tenant_and_sede, writers, script
) -> None:
    tenant, sede = tenant_and_sede
    _, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, None)
    committed: list[str] = []
    delivered: list[str] = []
    open_tx = [False] * len(writers)
    for n, (action, w) in enumerate(script):
        writer = writers[w]
        if action == "insert":
            if not open_tx[w]:
                writer.begin()
                open_tx[w] = True
            writer.insert(f"P{n}-{uuid.uuid4().hex[:6]}")
        elif action == "commit" and open_tx[w]:
            committed += writer.commit()
            open_tx[w] = False
            # A caja pulls as soon as it hears of a commit: the racy moment.
            seen, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, cursor)
            delivered += seen
        elif action == "rollback" and open_tx[w]:
            writer.rollback()
            open_tx[w] = False
        elif action == "pull":
            seen, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, cursor)
            delivered += seen
    for w, writer in enumerate(writers):
        if open_tx[w]:
            committed += writer.commit()
    seen, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, cursor)
    delivered += seen
    assert sorted(delivered) == sorted(committed)
    assert len(delivered) == len(set(delivered))


@pytest.mark.asyncio
async def test_scope_excludes_other_sedes_and_tenants(
    database: DatabaseUrls, app_sessionmaker: SessionMaker, tenant_and_sede
) -> None:
    tenant, sede = tenant_and_sede
    other_sede, other_tenant, product = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with psycopg.connect(libpq_url(database.app_url)) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))
        conn.execute(
            "INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, 'B')", (tenant, other_sede)
        )
        conn.execute(
            "INSERT INTO products (tenant_id, id, sku, name, price) VALUES (%s, %s, 'A', 'A', 1)",
            (tenant, product),
        )
        conn.execute(
            "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity) "
            "VALUES (%s, %s, %s, 7)",
            (tenant, other_sede, product),
        )
        conn.commit()
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(other_tenant),))
        conn.execute("INSERT INTO tenants (id, name, slug) VALUES (%s, 'O', 'o')", (other_tenant,))
        conn.execute(
            "INSERT INTO products (tenant_id, id, sku, name, price) VALUES (%s, %s, 'X', 'X', 1)",
            (other_tenant, uuid.uuid4()),
        )
        conn.commit()
    async with tenant_transaction(app_sessionmaker, tenant) as session:
        page = await pull_changes(
            session, tenant_id=tenant, sede_id=sede, cursor_token=None, limit=100
        )
    entities = {(c.entity, c.entity_id) for c in page.changes}
    assert ("products", str(product)) in entities
    assert not any(c.entity == "inventory" for c in page.changes), "another sede's stock"
    assert all((c.data or {}).get("tenant_id", str(tenant)) == str(tenant) for c in page.changes)


@pytest.mark.asyncio
async def test_cursor_from_another_epoch_resets(
    database: DatabaseUrls, app_sessionmaker: SessionMaker, tenant_and_sede
) -> None:
    tenant, sede = tenant_and_sede
    _, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, None)
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        conn.execute("UPDATE server_state SET epoch = gen_random_uuid()")
    _, _, reset = await _pull_all(app_sessionmaker, tenant, sede, cursor)
    assert reset


@pytest.mark.asyncio
async def test_cursor_ahead_of_the_server_resets(
    app_sessionmaker: SessionMaker, tenant_and_sede
) -> None:
    tenant, sede = tenant_and_sede
    _, cursor, _ = await _pull_all(app_sessionmaker, tenant, sede, None)
    assert cursor is not None
    current = Cursor.decode(cursor)
    ahead = Cursor(epoch=current.epoch, xid=current.xid + 10_000_000, id=1).encode()
    _, _, reset = await _pull_all(app_sessionmaker, tenant, sede, ahead)
    assert reset


@pytest.mark.asyncio
async def test_malformed_cursor_is_a_clear_error(
    app_sessionmaker: SessionMaker, tenant_and_sede
) -> None:
    tenant, sede = tenant_and_sede
    async with tenant_transaction(app_sessionmaker, tenant) as session:
        with pytest.raises(BadRequestError, match="cursor"):
            await pull_changes(
                session, tenant_id=tenant, sede_id=sede, cursor_token="!!nope", limit=10
            )
