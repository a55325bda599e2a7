"""Tenants, their sedes (stores), devices (cajas), activation codes, users and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    FetchedValue,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk, enum_check

ROLES = ("owner", "admin", "manager", "cashier")
LANGUAGES = ("es", "en")  # the web admin's languages (stocky.ui.i18n)
TENANT_STATUSES = ("active", "suspended")
DEVICE_STATUSES = ("active", "revoked")


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(enum_check("status", TENANT_STATUSES), name="status"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
    )

    id: Mapped[UUIDPk]
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    plan: Mapped[str] = mapped_column(String(40), server_default="standard")
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    currency: Mapped[str] = mapped_column(String(3), server_default="COP")
    locale: Mapped[str] = mapped_column(String(20), server_default="es-CO")
    timezone: Mapped[str] = mapped_column(String(60), server_default="America/Bogota")
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]


class Sede(Base):
    __tablename__ = "sedes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    is_online: Mapped[bool] = mapped_column(Boolean, server_default="false")
    last_ping_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    config: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]


class Device(Base):
    """A caja: one checkout PC bound to a sede by an activation code."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint(enum_check("status", DEVICE_STATUSES), name="status"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        Index("ix_devices_tenant_id_sede_id", "tenant_id", "sede_id"),
        # The tenant's caja number gives its receipt prefix (C01, C02: stocky.core.receipts),
        # so two cajas never print the same receipt number.
        UniqueConstraint("tenant_id", "caja_number"),
        CheckConstraint("caja_number > 0", name="caja_number_positive"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(120))
    # Set by the devices_assign_caja_number trigger (migration 0009) when not given.
    caja_number: Mapped[int] = mapped_column(Integer, server_default=FetchedValue())
    credential_hash: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    last_seen_at: Mapped[datetime | None]
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    app_version: Mapped[str | None] = mapped_column(String(40))
    # The caja's outbox as its last ping reported it (migration 0019).
    pending_ops: Mapped[int | None] = mapped_column(Integer)
    stuck_ops: Mapped[int | None] = mapped_column(Integer)
    outbox_reported_at: Mapped[datetime | None]
    activated_at: Mapped[CreatedAt]
    revoked_at: Mapped[datetime | None]


class ActivationCode(Base):
    """A single-use code (stocky.core.activation_codes); only its hash is stored."""

    __tablename__ = "activation_codes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        # Looked up by hash before the tenant is known (see stocky_find_activation_code).
        Index("ix_activation_codes_code_hash", "code_hash"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    code_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_device_id: Mapped[uuid.UUID | None]
    failed_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[CreatedAt]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        CheckConstraint(enum_check("role", ROLES), name="role"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint(enum_check("language", LANGUAGES), name="language"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        # Login looks a user up by email before the tenant is known.
        Index("ix_users_email", "email"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID | None]
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    # A manager's approval PIN at the cajas (argon2, like the password); None: none set.
    pin_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # The web admin's language for this user (migration 0016).
    language: Mapped[str] = mapped_column(Text, server_default="es")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]

    @property
    def has_pin(self) -> bool:
        """Whether an approval PIN is set (what the users API shows of it)."""
        return self.pin_hash is not None


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["users.tenant_id", "users.id"], ondelete="CASCADE"
        ),
        # The token itself carries its tenant id, so the lookup stays tenant-scoped.
        Index("ix_refresh_tokens_tenant_id_token_hash", "tenant_id", "token_hash", unique=True),
        Index("ix_refresh_tokens_tenant_id_user_id", "tenant_id", "user_id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    user_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
