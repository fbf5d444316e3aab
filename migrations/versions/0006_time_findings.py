"""time findings: chronolocations get a confidence, an origin and review status,
the source a proposal was made from, and a time-zone note

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chronolocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="manual", nullable=False)
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="confirmed", nullable=False)
        )
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("zone_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chronolocations", schema=None) as batch_op:
        batch_op.drop_column("zone_note")
        batch_op.drop_column("source")
        batch_op.drop_column("status")
        batch_op.drop_column("origin")
        batch_op.drop_column("confidence")
