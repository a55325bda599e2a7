"""Report rollups: sums of sale lines, returns and payments, kept as pushes land.

Each row is a sum over the movements (or payments) of one bucket, keyed by the sede's local
day (and hour) of the sale's corrected client time. The push adds to them in the same
transaction as the movements, so a bucket is always the sum of what the cloud holds; a
rebuild (stocky.cloud.reports.rollups.rebuild) recomputes them from a scan. No foreign keys:
a rollup is derived data, dropped and rebuilt at will.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Index, Integer, Numeric, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, TenantPk

# A line with no caja or no cashier (an imported sale) is bucketed under this id.
NOBODY = uuid.UUID(int=0)


def _money() -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 2), server_default="0")


def _units() -> Mapped[Decimal]:
    return mapped_column(Numeric(18, 3), server_default="0")


def _count() -> Mapped[int]:
    return mapped_column(Integer, server_default="0")


class ReportHourly(Base):
    """Sales and returns per sede, caja, cashier and local hour (every product together)."""

    __tablename__ = "report_hourly"
    __table_args__ = (Index("ix_report_hourly_tenant_id_day", "tenant_id", "day"),)

    tenant_id: Mapped[TenantPk]
    sede_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    units: Mapped[Decimal] = _units()
    gross: Mapped[Decimal] = _money()
    discounts: Mapped[Decimal] = _money()
    cost: Mapped[Decimal] = _money()
    returned_units: Mapped[Decimal] = _units()
    returned: Mapped[Decimal] = _money()
    returned_cost: Mapped[Decimal] = _money()
    sales: Mapped[int] = _count()
    lines: Mapped[int] = _count()


class ReportProductDaily(Base):
    """Sales and returns per sede, product and local day (for products, categories, cover)."""

    __tablename__ = "report_product_daily"
    __table_args__ = (Index("ix_report_product_daily_tenant_id_day", "tenant_id", "day"),)

    tenant_id: Mapped[TenantPk]
    sede_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    units: Mapped[Decimal] = _units()
    gross: Mapped[Decimal] = _money()
    discounts: Mapped[Decimal] = _money()
    cost: Mapped[Decimal] = _money()
    returned_units: Mapped[Decimal] = _units()
    returned: Mapped[Decimal] = _money()
    returned_cost: Mapped[Decimal] = _money()
    lines: Mapped[int] = _count()


class ReportPaymentDaily(Base):
    """Takings (payments less the change given) and refunds per sede, caja, local day and
    method."""

    __tablename__ = "report_payment_daily"
    __table_args__ = (Index("ix_report_payment_daily_tenant_id_day", "tenant_id", "day"),)

    tenant_id: Mapped[TenantPk]
    sede_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(10), primary_key=True)
    amount: Mapped[Decimal] = _money()
    payments: Mapped[int] = _count()
    refunded: Mapped[Decimal] = _money()
    refunds: Mapped[int] = _count()
