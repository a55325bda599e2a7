"""Row-level security, run as the application role: no tenant can touch another's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from stocky.cloud.embedded import libpq_url
from stocky.cloud.schema_sql import TENANT_TABLES
from tests.fixtures.database import DatabaseUrls


def _scoped(conn: psycopg.Connection, tenant: uuid.UUID) -> None:
    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant),))


def _seed_tenant(conn: psycopg.Connection, name: str) -> dict[str, uuid.UUID]:
    """A tenant with a sede, a user and a product, inserted as the app role."""
    ids = {k: uuid.uuid4() for k in ("tenant", "sede", "user", "product")}
    with conn.transaction():
        _scoped(conn, ids["tenant"])
        conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES (%s, %s, %s)",
            (ids["tenant"], name, f"{name}-{ids['tenant'].hex[:6]}"),
        )
        conn.execute(
            "INSERT INTO sedes (tenant_id, id, name) VALUES (%s, %s, 'Centro')",
            (ids["tenant"], ids["sede"]),
        )
        conn.execute(
            "INSERT INTO users (tenant_id, id, email, name, password_hash, role) "
            "VALUES (%s, %s, %s, 'Ana', 'x', 'owner')",
            (ids["tenant"], ids["user"], f"ana@{name}.co"),
        )
        conn.execute(
            "INSERT INTO products (tenant_id, id, sku, name, price) "
            "VALUES (%s, %s, 'SKU1', 'Arroz', 10)",
            (ids["tenant"], ids["product"]),
        )
        conn.execute(
            "INSERT INTO inventory (tenant_id, sede_id, product_id, quantity) "
            "VALUES (%s, %s, %s, 5)",
            (ids["tenant"], ids["sede"], ids["product"]),
        )
    return ids


@pytest.fixture
def app_conn(database: DatabaseUrls) -> Iterator[psycopg.Connection]:
    with psycopg.connect(libpq_url(database.app_url)) as conn:
        yield conn


@pytest.fixture
def two_tenants(app_conn: psycopg.Connection) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    return _seed_tenant(app_conn, "alpha"), _seed_tenant(app_conn, "beta")


class TestIsolation:
    def test_select_sees_only_own_tenant(self, app_conn, two_tenants) -> None:
        a, _b = two_tenants
        with app_conn.transaction():
            _scoped(app_conn, a["tenant"])
            for table in ("tenants", "sedes", "users", "products", "inventory", "changes"):
                rows = app_conn.execute(f"SELECT * FROM {table}").fetchall()
                assert rows, table
            tenant_ids = {
                r[0]
                for table in ("sedes", "users", "products", "inventory", "changes")
                for r in app_conn.execute(f"SELECT tenant_id FROM {table}").fetchall()
            }
            assert tenant_ids == {a["tenant"]}
            assert app_conn.execute("SELECT id FROM tenants").fetchall() == [(a["tenant"],)]

    def test_update_and_delete_never_touch_other_tenant(self, app_conn, two_tenants) -> None:
        a, b = two_tenants
        with app_conn.transaction():
            _scoped(app_conn, a["tenant"])
            updated = app_conn.execute("UPDATE products SET name = 'hacked'").rowcount
            assert updated == 1
            deleted = app_conn.execute(
                "DELETE FROM inventory WHERE product_id = %s", (b["product"],)
            ).rowcount
            assert deleted == 0
        with app_conn.transaction():
            _scoped(app_conn, b["tenant"])
            names = app_conn.execute("SELECT name FROM products").fetchall()
            assert names == [("Arroz",)]
            assert app_conn.execute("SELECT count(*) FROM inventory").fetchone() == (1,)

    def test_insert_into_other_tenant_is_refused(self, app_conn, two_tenants) -> None:
        a, b = two_tenants
        with app_conn.transaction():
            _scoped(app_conn, a["tenant"])
            insert = (
                "INSERT INTO products (tenant_id, id, sku, name, price) "
                "VALUES (%s, %s, 'X', 'Intruso', 1)"
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app_conn.execute(insert, (b["tenant"], uuid.uuid4()))

    def test_moving_a_row_to_another_tenant_is_refused(self, app_conn, two_tenants) -> None:
        a, b = two_tenants
        with app_conn.transaction():
            _scoped(app_conn, a["tenant"])
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app_conn.execute("UPDATE users SET tenant_id = %s", (b["tenant"],))

    @pytest.mark.parametrize("table", [*TENANT_TABLES, "tenants"])
    def test_no_tenant_set_reads_empty(self, app_conn, two_tenants, table: str) -> None:
        with app_conn.transaction():
            assert app_conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)

    def test_setting_never_leaks_into_next_transaction(self, app_conn, two_tenants) -> None:
        a, _ = two_tenants
        with app_conn.transaction():
            _scoped(app_conn, a["tenant"])
            assert app_conn.execute("SELECT count(*) FROM products").fetchone() == (1,)
        # Same connection, as a pool would hand it to the next request.
        with app_conn.transaction():
            assert app_conn.execute("SELECT count(*) FROM products").fetchone() == (0,)
            setting = app_conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()
            assert setting in ((None,), ("",))


class TestAppRole:
    def test_app_role_is_unprivileged(self, app_conn) -> None:
        row = app_conn.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        assert row == (False, False, False, False)

    def test_app_role_owns_nothing(self, app_conn) -> None:
        owned = app_conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = current_user"
        ).fetchall()
        assert owned == []

    @pytest.mark.parametrize("table", [*TENANT_TABLES, "tenants"])
    def test_every_tenant_table_forces_rls(self, app_conn, table: str) -> None:
        row = app_conn.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
            (table,),
        ).fetchone()
        assert row == (True, True)
        policies = app_conn.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = %s", (table,)
        ).fetchone()
        assert policies == (1,)

    def test_every_table_with_tenant_id_is_listed(self, app_conn) -> None:
        tables = {
            r[0]
            for r in app_conn.execute(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'tenant_id' AND table_schema = 'public'"
            ).fetchall()
        }
        assert tables == set(TENANT_TABLES)

    def test_app_role_cannot_change_the_epoch(self, app_conn) -> None:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute("UPDATE server_state SET epoch = gen_random_uuid()")


class TestTenantKeys:
    def test_every_key_includes_tenant_id(self, app_conn) -> None:
        """Primary, unique and foreign keys carry tenant_id (Citus distribution)."""
        rows = app_conn.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype
            FROM pg_constraint c
            WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f')
              AND EXISTS (SELECT 1 FROM information_schema.columns ic
                          WHERE ic.table_name = c.conrelid::regclass::text
                            AND ic.column_name = 'tenant_id')
              AND NOT EXISTS (
                SELECT 1 FROM unnest(c.conkey) k
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k
                WHERE a.attname = 'tenant_id')
            """
        ).fetchall()
        assert rows == []
