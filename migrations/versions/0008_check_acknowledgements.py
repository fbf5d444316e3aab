"""consistency checks: acknowledgements of checked problems, and a clip's verified mark

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import verifier.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_check_acknowledgements_case_id_cases"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_check_acknowledgements"),
        sa.UniqueConstraint("key", name="uq_check_acknowledgements_key"),
    )
    with op.batch_alter_table("check_acknowledgements", schema=None) as batch_op:
        batch_op.create_index("ix_check_acknowledgements_case_id", ["case_id"], unique=False)
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("verified_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.drop_column("verified_by")
        batch_op.drop_column("verified_at")
    with op.batch_alter_table("check_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index("ix_check_acknowledgements_case_id")
    op.drop_table("check_acknowledgements")
