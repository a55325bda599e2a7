"""The schema: migrations agree with the models, re-running is a no-op, the feed works."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from stocky.cloud.db import create_owner_engine
from stocky.cloud.embedded import libpq_url
from stocky.cloud.migrate import alembic_config, ours, schema_status, upgrade
from stocky.cloud.models import Base
from tests.fixtures.database import APP_PASSWORD, APP_ROLE, DatabaseUrls


def test_models_and_migrations_agree(database: DatabaseUrls) -> None:
    """The `alembic check` of CI: autogenerate finds nothing to add."""
    engine = create_owner_engine(database.owner_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": ours})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_alembic_check_command(database: DatabaseUrls) -> None:
    engine = create_owner_engine(database.owner_url)
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
    engine.dispose()


def test_migrate_twice_is_a_no_op(database: DatabaseUrls) -> None:
    engine = create_owner_engine(database.owner_url)
    before = schema_status(engine)
    assert before.up_to_date
    after = upgrade(engine, app_role=APP_ROLE, app_password=APP_PASSWORD)
    assert after == before
    engine.dispose()


def test_downgrade_and_upgrade_round_trip(database: DatabaseUrls) -> None:
    engine = create_owner_engine(database.owner_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert schema_status(engine).current is None
    assert upgrade(engine, app_role=APP_ROLE, app_password=APP_PASSWORD).up_to_date
    engine.dispose()


class TestChangeFeed:
    def _conn(self, database: DatabaseUrls) -> psycopg.Connection:
        return psycopg.connect(libpq_url(database.app_url), autocommit=False)

    def test_writes_land_in_feed_with_scope_and_xid(self, database: DatabaseUrls) -> None:
        t, s1, s2, p = (uuid.uuid4() for _ in range(4))
        with self._conn(database) as conn, conn.transaction():
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(t),))
            conn.execute("INSERT INTO tenants (id, name, slug) VALUES (%s, 'T', 't')", (t,))
            for s in (s1, s2):
                conn.execute(
                    "INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, %s)", (t, s, str(s))
                )
            conn.execute(
                "INSERT INTO products (tenant_id, id, sku, name, price) "
                "VALUES (%s, %s, 'A', 'A', 1.50)",
                (t, p),
            )
            conn.execute(
                "INSERT INTO inventory (tenant_id, sede_id, product_id) VALUES (%s, %s, %s)",
                (t, s1, p),
            )
            rows = conn.execute(
                "SELECT entity, sede_id, op, data->>'price', xid = pg_current_xact_id() "
                "FROM changes ORDER BY id"
            ).fetchall()
        entities = [(r[0], r[1]) for r in rows]
        assert ("products", None) in entities
        assert ("inventory", s1) in entities
        assert all(r[4] for r in rows), "every change carries its writer's xid"
        price = next(r[3] for r in rows if r[0] == "products")
        assert price == "1.50", "decimals travel exactly"

    def test_server_state_has_an_epoch(self, database: DatabaseUrls) -> None:
        with self._conn(database) as conn:
            (epoch,) = conn.execute("SELECT epoch FROM server_state").fetchone()  # type: ignore[misc]
            assert isinstance(epoch, uuid.UUID)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("products", "unit", "'litre'"),
        ("products", "price", "-1"),
        ("users", "role", "'root'"),
    ],
)
def test_check_constraints_refuse_bad_values(
    database: DatabaseUrls, table: str, column: str, value: str
) -> None:
    t = uuid.uuid4()
    with psycopg.connect(libpq_url(database.app_url)) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(t),))
        conn.execute("INSERT INTO tenants (id, name, slug) VALUES (%s, 'T', 't')", (t,))
        base = {
            "products": "INSERT INTO products (tenant_id, id, sku, name, price, {col}) "
            "VALUES (%s, gen_random_uuid(), 'S', 'N', 1, {val})",
            "users": "INSERT INTO users (tenant_id, id, email, name, password_hash, {col}) "
            "VALUES (%s, gen_random_uuid(), 'a@b.co', 'N', 'x', {val})",
        }[table]
        if column == "price":
            base = base.replace("price, {col}", "{col}").replace("1, {val}", "{val}")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(base.format(col=column, val=value), (t,))
