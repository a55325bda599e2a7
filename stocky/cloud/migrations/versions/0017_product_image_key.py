"""product image key: where an uploaded product image lives in object storage

The products feed trigger sends the whole row (to_jsonb), so cajas receive image_key too;
they ignore keys they do not know, and show no images today.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("image_key", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("products", "image_key")
