"""Records about the system itself: audit trail, sync log, idempotency, change feed, epoch."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk, enum_check

SYNC_OP_STATUSES = ("applied", "duplicate", "conflict", "rejected")
CHANGE_OPS = ("upsert", "delete")


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id: orders the change feed by commit visibility."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_tenant_id_entity", "tenant_id", "entity_type", "entity_id"),
        Index("ix_audit_logs_tenant_id_created_at", "tenant_id", "created_at"),
        Index("ix_audit_logs_tenant_id_user_id", "tenant_id", "user_id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    extra: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )
    client_address: Mapped[str | None] = mapped_column(INET)
    created_at: Mapped[CreatedAt]


class SyncLog(Base):
    __tablename__ = "sync_logs"
    __table_args__ = (
        CheckConstraint(enum_check("operation", ("push", "pull", "ping")), name="operation"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        Index("ix_sync_logs_tenant_id_sede_id_created_at", "tenant_id", "sede_id", "created_at"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID | None]
    operation: Mapped[str] = mapped_column(String(10))
    items_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    statuses: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]


class SyncOp(Base):
    """Every operation a caja pushed, by op_id: the idempotency record and its result."""

    __tablename__ = "sync_ops"
    __table_args__ = (
        CheckConstraint(enum_check("status", SYNC_OP_STATUSES), name="status"),
        Index("ix_sync_ops_tenant_id_sede_id_created_at", "tenant_id", "sede_id", "created_at"),
        Index("ix_sync_ops_tenant_id_created_at_op_id", "tenant_id", "created_at", "op_id"),
    )

    tenant_id: Mapped[TenantPk]
    op_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    client_ts: Mapped[datetime | None]  # the caja's clock for the op (migration 0016)
    created_at: Mapped[CreatedAt]


class Change(Base):
    """The change feed pull reads, written by triggers on every synced table.

    Ordered by (xid, id): pull serves only rows whose writing transaction is below the
    snapshot's xmin, so a transaction that took a lower id but commits late is never skipped.
    """

    __tablename__ = "changes"
    __table_args__ = (
        CheckConstraint(enum_check("op", CHANGE_OPS), name="op"),
        Index("ix_changes_tenant_id_xid_id", "tenant_id", "xid", "id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    xid: Mapped[int] = mapped_column(
        Xid8(), server_default=text("pg_current_xact_id()"), nullable=False
    )
    # NULL: the whole tenant's scope (catalog, users); else only that sede's.
    sede_id: Mapped[uuid.UUID | None]
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(120))
    op: Mapped[str] = mapped_column(String(10))
    version: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[CreatedAt]


class ServerState(Base):
    """One row: the server's epoch. A restore or reset gets a new one (see sync)."""

    __tablename__ = "server_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[uuid.UUID] = mapped_column(server_default=text("gen_random_uuid()"))
    created_at: Mapped[CreatedAt]


def _register_xid8() -> None:
    # Let reflection (alembic check) recognise the column type.
    from sqlalchemy.dialects.postgresql.base import ischema_names

    ischema_names["xid8"] = Xid8


_register_xid8()
