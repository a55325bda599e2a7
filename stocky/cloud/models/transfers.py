"""Transfers of stock between two sedes of a tenant, and their lines.

A transfer only records the request and its fate; the stock itself moves as the
`transfer_out` / `transfer_in` movements its job writes (`transactions.transfer_id`).
Both tables are in the change feed for both sedes, so each store's cajas see the
transfers that concern them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
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

from stocky.cloud.models.base import Base, CreatedAt, Quantity, TenantPk, UUIDPk, enum_check

TRANSFER_STATUSES = ("pending", "processing", "completed", "failed", "rejected", "cancelled")


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(enum_check("status", TRANSFER_STATUSES), name="status"),
        CheckConstraint("from_sede_id <> to_sede_id", name="distinct_sedes"),
        ForeignKeyConstraint(["tenant_id", "from_sede_id"], ["sedes.tenant_id", "sedes.id"]),
        ForeignKeyConstraint(["tenant_id", "to_sede_id"], ["sedes.tenant_id", "sedes.id"]),
        # The lists: newest first, by status, and by either sede.
        Index("ix_transfers_tenant_id_created_at_id", "tenant_id", "created_at", "id"),
        Index("ix_transfers_tenant_id_status", "tenant_id", "status"),
        Index("ix_transfers_tenant_id_from_sede_id", "tenant_id", "from_sede_id"),
        Index("ix_transfers_tenant_id_to_sede_id", "tenant_id", "to_sede_id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    from_sede_id: Mapped[uuid.UUID]
    to_sede_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(12), server_default="pending")
    note: Mapped[str | None] = mapped_column(Text)
    # Why it was rejected or cancelled (by a person), and why its job failed.
    reason: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # What failed, for a screen to say it in its own language: insufficient_stock (with
    # `shortages`: [{product_id, sku, name, available, requested}]) or job_error.
    failure_code: Mapped[str | None] = mapped_column(String(30))
    shortages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    requested_by: Mapped[uuid.UUID | None]
    # The names as they were, copied so every caja of both sedes can show them (a caja
    # holds only its own sede's users).
    requested_by_name: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    # Who approved, rejected or cancelled it, and when.
    decided_by: Mapped[uuid.UUID | None]
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    # When its job finished (completed or failed).
    completed_at: Mapped[datetime | None]
    job_id: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]


class TransferLine(Base):
    """One product of a transfer. The sedes are copied from the transfer so the change
    feed can scope the line to both (its triggers read them from the row)."""

    __tablename__ = "transfer_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "transfer_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        ForeignKeyConstraint(
            ["tenant_id", "transfer_id"],
            ["transfers.tenant_id", "transfers.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    transfer_id: Mapped[uuid.UUID]
    from_sede_id: Mapped[uuid.UUID]
    to_sede_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[Quantity]
    version: Mapped[int] = mapped_column(Integer, server_default="1")


__all__ = ["TRANSFER_STATUSES", "Transfer", "TransferLine"]
