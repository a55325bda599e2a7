"""SQL that Alembic cannot autogenerate: row-level security, lookups, the change feed.

Kept as data here so migrations apply a fixed snapshot of it and tests can read the lists.
"""

from __future__ import annotations

# Every tenant-scoped table, with the trigger arguments of its change-feed scope:
# None: not in the feed; (): the whole tenant (catalog, users); ("col", ...): those sedes.
# INITIAL_TENANT_TABLES is what migration 0001 creates (a fixed snapshot); later tables are
# added to TENANT_TABLES below, and their own migration enables RLS on them (or drops them).
INITIAL_TENANT_TABLES: dict[str, tuple[str, ...] | None] = {
    "sedes": (),
    "users": (),
    "products": (),
    "product_barcodes": (),
    "devices": ("sede_id",),
    "inventory": ("sede_id",),
    "transactions": ("sede_id",),
    "sales": ("sede_id",),
    "shifts": ("sede_id",),
    "transfers": ("from_sede_id", "to_sede_id"),
    "activation_codes": None,
    "refresh_tokens": None,
    "sale_payments": None,
    "audit_logs": None,
    "sync_logs": None,
    "sync_ops": None,
    "changes": None,
}
TENANT_TABLES: dict[str, tuple[str, ...] | None] = {
    **{table: scope for table, scope in INITIAL_TENANT_TABLES.items() if table != "transfers"},
    "cash_movements": None,  # 0007
    "customers": (),  # 0010
    "shift_adoptions": None,  # 0011
    "refunds": None,  # 0014
    # 0013 dropped 0001's one-product transfers; 0021 makes them again with their lines.
    "transfers": ("from_sede_id", "to_sede_id"),  # 0021
    "transfer_lines": ("from_sede_id", "to_sede_id"),  # 0021
    "tenant_cas": None,  # 0022
    "sede_lan_leases": None,  # 0022
    "report_hourly": None,  # 0023
    "report_product_daily": None,  # 0023
    "report_payment_daily": None,  # 0023
    "reconciliation_findings": None,  # 0024
    "ai_runs": None,  # 0025
    "ai_suggestions": None,  # 0025
    "product_merges": None,  # 0026
    "caja_backups": None,  # 0027
    "update_reports": None,  # 0028
}

CURRENT_TENANT_FN = """
CREATE OR REPLACE FUNCTION stocky_current_tenant() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
"""

# Login and activation must find a row before the tenant is known. These functions run
# as the schema owner (which bypasses RLS) and return only the ids needed to scope the
# rest of the request; the app role can call them but cannot read across tenants.
LOOKUP_FNS = """
CREATE OR REPLACE FUNCTION stocky_login_candidates(p_email text)
RETURNS TABLE (tenant_id uuid, user_id uuid, tenant_slug text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT u.tenant_id, u.id, t.slug
    FROM users u JOIN tenants t ON t.id = u.tenant_id
    WHERE u.email = lower(p_email)
$$;

CREATE OR REPLACE FUNCTION stocky_find_activation_code(p_code_hash text)
RETURNS TABLE (tenant_id uuid, code_id uuid, sede_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT c.tenant_id, c.id, c.sede_id FROM activation_codes c WHERE c.code_hash = p_code_hash
$$;
"""

RECORD_CHANGE_FN = """
CREATE OR REPLACE FUNCTION stocky_record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    change_op text;
    entity_key text;
    i int;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := to_jsonb(OLD);
        change_op := 'delete';
    ELSE
        r := to_jsonb(NEW);
        change_op := 'upsert';
    END IF;
    entity_key := coalesce(
        r->>'id', r->>'barcode', concat_ws(':', r->>'sede_id', r->>'product_id')
    );
    IF TG_NARGS = 0 THEN
        INSERT INTO changes (tenant_id, sede_id, entity, entity_id, op, version, data)
        VALUES ((r->>'tenant_id')::uuid, NULL, TG_TABLE_NAME, entity_key, change_op,
                (r->>'version')::bigint, r);
    ELSE
        FOR i IN 0 .. TG_NARGS - 1 LOOP
            INSERT INTO changes (tenant_id, sede_id, entity, entity_id, op, version, data)
            VALUES ((r->>'tenant_id')::uuid, (r->>TG_ARGV[i])::uuid, TG_TABLE_NAME,
                    entity_key, change_op, (r->>'version')::bigint, r);
        END LOOP;
    END IF;
    RETURN NULL;
END
$$;
"""


def rls_statements(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (tenant_id = stocky_current_tenant()) "
        "WITH CHECK (tenant_id = stocky_current_tenant())",
    ]


def feed_trigger(table: str, scope: tuple[str, ...]) -> str:
    args = ", ".join(f"'{col}'" for col in scope)
    return (
        f"CREATE TRIGGER {table}_change_feed AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION stocky_record_change({args})"
    )


def initial_statements() -> list[str]:
    """Everything the first migration adds after the tables."""
    statements = [CURRENT_TENANT_FN, LOOKUP_FNS, RECORD_CHANGE_FN]
    statements += [
        "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY",
        "ALTER TABLE tenants FORCE ROW LEVEL SECURITY",
        "CREATE POLICY tenant_isolation ON tenants "
        "USING (id = stocky_current_tenant()) WITH CHECK (id = stocky_current_tenant())",
    ]
    for table, scope in INITIAL_TENANT_TABLES.items():
        statements += rls_statements(table)
        if scope is not None:
            statements.append(feed_trigger(table, scope))
    statements.append("INSERT INTO server_state (id) VALUES (1)")
    return statements
