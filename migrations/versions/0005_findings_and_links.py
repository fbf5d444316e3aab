"""geolocation findings get a place, origin and review status; links a status,
confidence and evidence; named incidents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import verifier.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("geolocations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="manual", nullable=False)
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="confirmed", nullable=False)
        )
    # Links stored before this revision were all made by matching: proposals.
    with op.batch_alter_table("clip_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="proposed", nullable=False)
        )
        batch_op.add_column(sa.Column("confidence", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("clip_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_incidents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_case_id"))
    op.drop_table("incidents")
    with op.batch_alter_table("clip_links", schema=None) as batch_op:
        batch_op.drop_column("evidence")
        batch_op.drop_column("confidence")
        batch_op.drop_column("status")
    with op.batch_alter_table("geolocations", schema=None) as batch_op:
        batch_op.drop_column("status")
        batch_op.drop_column("origin")
        batch_op.drop_column("place")
