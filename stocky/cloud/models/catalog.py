"""The tenant's catalog and the stock of each product at each sede."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
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

UNITS = ("unit", "weight")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        UniqueConstraint("tenant_id", "barcode"),
        CheckConstraint(enum_check("unit", UNITS), name="unit"),
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("cost >= 0", name="cost_non_negative"),
        CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate_range"),
        ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        Index("ix_products_tenant_id_category", "tenant_id", "category"),
        Index("ix_products_tenant_id_name", "tenant_id", "name"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(120))
    barcode: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[Money]
    cost: Mapped[Money] = mapped_column(Numeric(18, 2), server_default="0")
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4), server_default="0")
    unit: Mapped[str] = mapped_column(String(10), server_default="unit")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    image_url: Mapped[str | None] = mapped_column(Text)
    # An uploaded image's object storage key (stocky.cloud.storage); wins over image_url.
    image_key: Mapped[str | None] = mapped_column(Text)
    # "metadata" is reserved by SQLAlchemy's declarative base.
    extra: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    last_modified_at: Mapped[CreatedAt]
    last_modified_by: Mapped[uuid.UUID | None]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]


class ProductBarcode(Base):
    """Extra barcodes of a product (the primary one is products.barcode)."""

    __tablename__ = "product_barcodes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "product_id"], ["products.tenant_id", "products.id"], ondelete="CASCADE"
        ),
        Index("ix_product_barcodes_tenant_id_product_id", "tenant_id", "product_id"),
    )

    tenant_id: Mapped[TenantPk]
    barcode: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[uuid.UUID]
    created_at: Mapped[CreatedAt]


class Inventory(Base):
    """Stock of one product at one sede: the sum of its movements, kept in step with them."""

    __tablename__ = "inventory"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        ForeignKeyConstraint(["tenant_id", "product_id"], ["products.tenant_id", "products.id"]),
        CheckConstraint("min_stock >= 0", name="min_non_negative"),
        CheckConstraint("max_stock IS NULL OR max_stock >= min_stock", name="max_above_min"),
        Index("ix_inventory_tenant_id_product_id", "tenant_id", "product_id"),
    )

    tenant_id: Mapped[TenantPk]
    sede_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    quantity: Mapped[Quantity] = mapped_column(Numeric(18, 3), server_default="0")
    min_stock: Mapped[Quantity] = mapped_column(Numeric(18, 3), server_default="0")
    max_stock: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    last_movement_at: Mapped[datetime | None]
    updated_at: Mapped[CreatedAt]
