"""Cash put into or taken out of a caja's drawer during a shift (paid in / paid out)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, Money, TenantPk, UUIDPk, enum_check

CASH_MOVEMENT_TYPES = ("in", "out")


class CashMovement(Base):
    """Append-only, insert-if-absent by id; the shift's Z report counts them."""

    __tablename__ = "cash_movements"
    __table_args__ = (
        CheckConstraint(enum_check("type", CASH_MOVEMENT_TYPES), name="type"),
        CheckConstraint("amount > 0", name="amount_positive"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        ForeignKeyConstraint(["tenant_id", "shift_id"], ["shifts.tenant_id", "shifts.id"]),
        Index("ix_cash_movements_tenant_id_shift_id", "tenant_id", "shift_id"),
    )

    tenant_id: Mapped[TenantPk]
    id: Mapped[UUIDPk]
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    shift_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    type: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Money]
    reason: Mapped[str] = mapped_column(Text)
    op_id: Mapped[uuid.UUID]
    client_timestamp: Mapped[datetime]
    server_timestamp: Mapped[CreatedAt]


class ShiftAdoption(Base):
    """A sale a caja made with no shift open, adopted by the next shift it opened there
    (ShiftOpenPayload.adopted_sales). Kept so the sale gets that shift whenever it lands,
    before or after the shift.open op; its first adopter keeps it."""

    __tablename__ = "shift_adoptions"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "shift_id"], ["shifts.tenant_id", "shifts.id"]),
        Index("ix_shift_adoptions_tenant_id_shift_id", "tenant_id", "shift_id"),
    )

    tenant_id: Mapped[TenantPk]
    sale_id: Mapped[UUIDPk]
    shift_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    server_timestamp: Mapped[CreatedAt]
