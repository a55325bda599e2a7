"""Alembic environment: runs on the connection stocky.cloud.migrate hands it."""

from __future__ import annotations

from alembic import context

from stocky.cloud.migrate import ours
from stocky.cloud.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise SystemExit("run migrations through `stocky cloud migrate`")
    context.configure(connection=connection, target_metadata=target_metadata, include_object=ours)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `stocky cloud migrate`")
run_migrations_online()
