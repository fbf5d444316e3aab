"""events: moments a person marks on a clip, placed on the incident clock

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import verifier.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("at_seconds", sa.Float(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=True),
        sa.Column("pts", sa.BigInteger(), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=24), server_default="manual", nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name=op.f("fk_events_clip_id_clips")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_clip_id"), ["clip_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_clip_id"))
    op.drop_table("events")
