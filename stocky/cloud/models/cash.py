"""Cash put into or taken out of a caja's drawer during a shift (paid in / paid out)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, Money, TenantPk, UUIDPk, enum_check
from stocky.cloud.models.movements import PAYMENT_METHODS

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


ADOPTED_KINDS = ("sale", "return")


class ShiftAdoption(Base):
    """A sale or return a caja made with no shift open, adopted by the next shift it opened
    there (ShiftOpenPayload.adopted_sales, .adopted_returns). Kept so the sale or the
    return's refunds get that shift whenever they land, before or after the shift.open op;
    its first adopter keeps it."""

    __tablename__ = "shift_adoptions"
    __table_args__ = (
        CheckConstraint(enum_check("kind", ADOPTED_KINDS), name="kind"),
        ForeignKeyConstraint(["tenant_id", "shift_id"], ["shifts.tenant_id", "shifts.id"]),
        Index("ix_shift_adoptions_tenant_id_shift_id", "tenant_id", "shift_id"),
    )

    tenant_id: Mapped[TenantPk]
    kind: Mapped[str] = mapped_column(String(6), primary_key=True)
    # The sale's id, or the return's (its document id).
    adopted_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    shift_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    server_timestamp: Mapped[CreatedAt]


class Refund(Base):
    """Money a return gave back, one row per method (ReturnHeader.refunds), and the shift
    whose drawer it came out of: the Z check counts them. NULL shift: the caja had none
    open; the next shift it opens adopts the return (a row trigger, migration 0014)."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(enum_check("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        Index("ix_refunds_tenant_id_shift_id", "tenant_id", "shift_id"),
    )

    tenant_id: Mapped[TenantPk]
    return_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(10), primary_key=True)
    sale_id: Mapped[uuid.UUID]
    sede_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID]
    shift_id: Mapped[uuid.UUID | None]
    amount: Mapped[Money]
    op_id: Mapped[uuid.UUID]
    client_timestamp: Mapped[datetime]
    server_timestamp: Mapped[CreatedAt]
