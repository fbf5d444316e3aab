"""posts as the real tools write them: where and who, times from post ids,
reader warnings, channel and playlist records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import verifier.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("uploader", sa.Text(), nullable=True),
        sa.Column("uploader_id", sa.Text(), nullable=True),
        sa.Column("uploader_url", sa.Text(), nullable=True),
        sa.Column("sidecar_path", sa.Text(), nullable=True),
        sa.Column("raw_sidecar", sa.JSON(), nullable=True),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_source_collections_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_collections")),
    )
    with op.batch_alter_table("source_collections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_source_collections_case_id"), ["case_id"], unique=False
        )

    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("author", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("author_id", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("posted_at_method", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("id_posted_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("id_posted_at_precision", sa.String(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("collection_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_appearances_collection_id"), ["collection_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appearances_collection_id_source_collections"),
            "source_collections",
            ["collection_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appearances_collection_id_source_collections"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_appearances_collection_id"))
        for column in (
            "collection_id",
            "warnings",
            "id_posted_at_precision",
            "id_posted_at",
            "posted_at_method",
            "author_id",
            "author",
            "chat_type",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("source_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_collections_case_id"))
    op.drop_table("source_collections")
