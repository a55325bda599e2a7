"""Products merged into another (issue 18 item 4): one row per merged product.

The row outlives the merge: a caja that queued a sale of the merged product before it
pulled the merge pushes it later, and the push maps the product to its survivor through
this table (stocky.cloud.catalog.merge). Not in the change feed: the merged product's
deactivation is what the cajas pull.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKeyConstraint, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk


class ProductMerge(Base):
    __tablename__ = "product_merges"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "merged_id"], ["products.tenant_id", "products.id"]),
        ForeignKeyConstraint(["tenant_id", "survivor_id"], ["products.tenant_id", "products.id"]),
        # A later merge of the survivor re-points the rows that named it.
        Index("ix_product_merges_tenant_id_survivor_id", "tenant_id", "survivor_id"),
    )

    tenant_id: Mapped[TenantPk]
    merged_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    survivor_id: Mapped[uuid.UUID]
    merged_at: Mapped[CreatedAt]
    merged_by: Mapped[uuid.UUID | None]
    # What the merged product was and what moved: sku, name, barcodes (those the survivor
    # took), movements, stock per sede, transfer lines.
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


__all__ = ["ProductMerge"]
