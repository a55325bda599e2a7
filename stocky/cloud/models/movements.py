"""What happens to stock: sales and their payments, shifts and movements.

Movements (`transactions`) are append-only; a sede's quantity is the sum of its movements.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, Money, Quantity, TenantPk, UUIDPk, enum_check

MOVEMENT_TYPES = ("sale", "return", "entry", "adjustment", "transfer_out", "transfer_in")
PAYMENT_METHODS = ("cash", "card", "transfer")
SALE_STATUSES = ("completed", "voided")
SHIFT_STATUSES = ("open", "closed")


def _sede_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"])


class Shift(Base):
    """A cash shift (turno) at one caja: opened with a float, closed with a count."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint(enum_check("status", SHIFT_STATUSES), name="status"),
        _sede_fk(),
        Index("ix_shifts_tenant_id_sede_id_opened_at", "tenant_id", "sede_id", "opened_at"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    opening_float: Mapped[Money]
    counted_cash: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    expected_cash: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    z_report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    server_timestamp: Mapped[CreatedAt]


class Sale(Base):
    """A receipt: its lines are the `sale` movements that carry its id."""

    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("tenant_id", "device_id", "number"),
        CheckConstraint(enum_check("status", SALE_STATUSES), name="status"),
        CheckConstraint("total >= 0 AND paid >= 0 AND change >= 0", name="amounts"),
        _sede_fk(),
        Index(
            "ix_sales_tenant_id_sede_id_client_timestamp",
            "tenant_id",
            "sede_id",
            "client_timestamp",
        ),
        # The sales list of a whole tenant, newest first (migration 0015).
        Index("ix_sales_tenant_id_client_timestamp_id", "tenant_id", "client_timestamp", "id"),
        # The dashboard's takings per day, index-only (migration 0018).
        Index(
            "ix_sales_tenant_id_client_timestamp_takings",
            "tenant_id",
            "client_timestamp",
            postgresql_include=["sede_id", "total", "status"],
        ),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    shift_id: Mapped[uuid.UUID | None]
    user_id: Mapped[uuid.UUID | None]
    number: Mapped[int] = mapped_column(Integer)
    # The caja's prefix printed with the number (C01-000042); NULL if it had none yet.
    receipt_prefix: Mapped[str | None] = mapped_column(String(8))
    # The customer printed on the receipt and the manager who approved a discount above
    # the caja policy's limit (SaleHeader.customer, .discount_approved_by; optional).
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_tax_id: Mapped[str | None] = mapped_column(String(40))
    # The synced customer the caja picked (SaleHeader.customer.id; no foreign key: a sale is
    # kept as the caja printed it whatever becomes of the customer).
    customer_id: Mapped[uuid.UUID | None]
    discount_approved_by: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(10), server_default="completed")
    subtotal: Mapped[Money]
    discount: Mapped[Money]
    tax: Mapped[Money]
    total: Mapped[Money]
    paid: Mapped[Money]
    change: Mapped[Money]
    op_id: Mapped[uuid.UUID | None]
    client_timestamp: Mapped[datetime]
    server_timestamp: Mapped[CreatedAt]


class SalePayment(Base):
    __tablename__ = "sale_payments"
    __table_args__ = (
        CheckConstraint(enum_check("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        ForeignKeyConstraint(
            ["tenant_id", "sale_id"], ["sales.tenant_id", "sales.id"], ondelete="CASCADE"
        ),
        Index("ix_sale_payments_tenant_id_sale_id", "tenant_id", "sale_id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sale_id: Mapped[uuid.UUID]
    method: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Money]


class Transaction(Base):
    """One append-only stock movement of one product at one sede (signed quantity)."""

    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint(enum_check("type", MOVEMENT_TYPES), name="type"),
        # A count (adjustment) may record 0: the line matched the shelf.
        CheckConstraint("quantity <> 0 OR type = 'adjustment'", name="quantity_non_zero"),
        _sede_fk(),
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        Index(
            "ix_transactions_tenant_id_sede_id_server_timestamp",
            "tenant_id",
            "sede_id",
            text("server_timestamp DESC"),
        ),
        Index("ix_transactions_tenant_id_product_id", "tenant_id", "product_id"),
        Index("ix_transactions_tenant_id_sale_id", "tenant_id", "sale_id"),
        Index("ix_transactions_tenant_id_document_id", "tenant_id", "document_id"),
        # What a transfer's job wrote (migration 0021).
        Index(
            "ix_transactions_tenant_id_transfer_id",
            "tenant_id",
            "transfer_id",
            postgresql_where=text("transfer_id IS NOT NULL"),
        ),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[Quantity]
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    discount: Mapped[Money] = mapped_column(Numeric(18, 2), server_default="0")
    product_version: Mapped[int | None] = mapped_column(Integer)
    document_id: Mapped[uuid.UUID]
    sale_id: Mapped[uuid.UUID | None]
    ref_id: Mapped[uuid.UUID | None]
    transfer_id: Mapped[uuid.UUID | None]
    device_id: Mapped[uuid.UUID | None]
    user_id: Mapped[uuid.UUID | None]
    op_id: Mapped[uuid.UUID | None]
    note: Mapped[str | None] = mapped_column(Text)
    client_timestamp: Mapped[datetime]
    server_timestamp: Mapped[CreatedAt]
    synced_at: Mapped[CreatedAt]
