"""report rollups: sales, returns and takings summed per sede's local hour and day

report_hourly (sede, caja, cashier, day, hour), report_product_daily (sede, day, product)
and report_payment_daily (sede, caja, day, method), which the push adds to in the same
transaction as the movements and GET /api/reports reads. Tenant tables with RLS; not in the
change feed (the cajas never pull them). The reports.rebuild job fills them for sales pushed
before this migration. Sale lines pushed
without a cost get the product's cost from now on (the migration leaves older lines alone).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from stocky.cloud.schema_sql import rls_statements

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Numeric(18, 2), server_default="0", nullable=False)


def _units(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Numeric(18, 3), server_default="0", nullable=False)


def _count(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def _sums() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        _units("units"),
        _money("gross"),
        _money("discounts"),
        _money("cost"),
        _units("returned_units"),
        _money("returned"),
        _money("returned_cost"),
    ]


def upgrade() -> None:
    op.create_table(
        "report_hourly",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        *_sums(),
        _count("sales"),
        _count("lines"),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "sede_id",
            "device_id",
            "user_id",
            "day",
            "hour",
            name=op.f("pk_report_hourly"),
        ),
    )
    op.create_index("ix_report_hourly_tenant_id_day", "report_hourly", ["tenant_id", "day"])
    op.create_table(
        "report_product_daily",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        *_sums(),
        _count("lines"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "sede_id", "day", "product_id", name=op.f("pk_report_product_daily")
        ),
    )
    op.create_index(
        "ix_report_product_daily_tenant_id_day", "report_product_daily", ["tenant_id", "day"]
    )
    op.create_table(
        "report_payment_daily",
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("sede_id", sa.UUID(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        _money("amount"),
        _count("payments"),
        _money("refunded"),
        _count("refunds"),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "sede_id",
            "device_id",
            "day",
            "method",
            name=op.f("pk_report_payment_daily"),
        ),
    )
    op.create_index(
        "ix_report_payment_daily_tenant_id_day", "report_payment_daily", ["tenant_id", "day"]
    )
    for table in ("report_hourly", "report_product_daily", "report_payment_daily"):
        for statement in rls_statements(table):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("report_payment_daily")
    op.drop_table("report_product_daily")
    op.drop_table("report_hourly")
