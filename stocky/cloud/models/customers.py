"""The tenant's customers: who a receipt is made out to (name and NIT/CC)."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk, UUIDPk


class Customer(Base):
    """Tenant-wide (every sede's cajas pull them); never deleted, deactivated instead."""

    __tablename__ = "customers"
    __table_args__ = (
        # NULL tax ids never clash: a customer known by name only is allowed many times.
        UniqueConstraint("tenant_id", "tax_id"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("ix_customers_tenant_id_name", "tenant_id", "name"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    last_modified_by: Mapped[uuid.UUID | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]
