"""SECURITY DEFINER functions run as the schema owner: a caller's temporary objects must
never be found before the real ones, so pg_temp comes last in their search_path."""

from __future__ import annotations

import psycopg

from stocky.cloud.embedded import libpq_url
from tests.fixtures.database import DatabaseUrls


def test_every_definer_function_searches_pg_temp_last(database: DatabaseUrls) -> None:
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        rows = conn.execute(
            "SELECT p.proname, p.proconfig FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.prosecdef ORDER BY p.proname"
        ).fetchall()
    assert {name for name, _ in rows} >= {
        "stocky_find_activation_code",
        "stocky_login_candidates",
        "stocky_stale_sedes",
    }
    for name, config in rows:
        paths = [c for c in config or [] if c.startswith("search_path=")]
        assert paths, f"{name} has no search_path of its own"
        assert paths[0].replace(" ", "").split("=", 1)[1].split(",")[-1] == "pg_temp", (
            name,
            paths,
        )


def test_a_temporary_table_does_not_shadow_the_real_one(database: DatabaseUrls) -> None:
    """As the app role: a temp `users` table must not change what the login lookup reads."""
    with psycopg.connect(libpq_url(database.app_url)) as conn:
        conn.execute("CREATE TEMP TABLE users (tenant_id uuid, id uuid, email text)")
        conn.execute("CREATE TEMP TABLE tenants (id uuid, slug text)")
        conn.execute(
            "WITH t AS (INSERT INTO pg_temp.tenants VALUES (gen_random_uuid(), 'fake') "
            "RETURNING id) INSERT INTO pg_temp.users SELECT id, gen_random_uuid(), 'x@y.z' FROM t"
        )
        found = conn.execute("SELECT * FROM stocky_login_candidates('x@y.z')").fetchall()
    assert found == []
