"""Schema migrations (Alembic), run as the schema owner.

The migrations live inside the package so an installed `stocky` can migrate without the
source tree. The application role's name and password come from settings, not from SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate compares our tables only: procrastinate's (0020) are its own schema."""
    table = getattr(obj, "table", obj) if type_ != "table" else obj
    table_name = name if type_ == "table" else getattr(table, "name", "")
    return not str(table_name or "").startswith("procrastinate_")


def schema_status(engine: Engine) -> SchemaStatus:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return SchemaStatus(current, head)


def upgrade(engine: Engine, *, app_role: str, app_password: str) -> SchemaStatus:
    """Bring the schema to head (a no-op when it is there) and set the app role's password."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        ensure_app_role(conn.connection.dbapi_connection, app_role, app_password)
    return schema_status(engine)


def ensure_app_role(dbapi_conn: object, role: str, password: str) -> None:
    """Create the application role if missing and grant it what the API needs, no more."""
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    ident = sql.Identifier(role)
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if cur.fetchone() is None:
        cur.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE").format(
                ident
            )
        )
    cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
    cur.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(dbapi_conn.info.dbname),  # type: ignore[attr-defined]
            ident,
        )
    )
    cur.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident))
    cur.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            ident
        )
    )
    cur.execute(
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident)
    )
    cur.execute(sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {}").format(ident))
    # The epoch and Alembic's bookkeeping are the owner's to change.
    cur.execute(sql.SQL("REVOKE INSERT, UPDATE, DELETE ON server_state FROM {}").format(ident))
    cur.execute(sql.SQL("REVOKE ALL ON alembic_version FROM {}").format(ident))
