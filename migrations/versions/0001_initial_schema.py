"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import verifier.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("name", name=op.f("uq_cases_name")),
    )
    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("tool_version", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_custody_events_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_custody_events_prev_hash")),
        sa.UniqueConstraint("seq", name=op.f("uq_custody_events_seq")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("original_path", sa.Text(), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("container", sa.String(length=100), nullable=True),
        sa.Column("stored_path", sa.Text(), nullable=False),
        sa.Column("imported_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("derived_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["derived_from_id"],
            ["stored_files.id"],
            name=op.f("fk_stored_files_derived_from_id_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_files_sha256")),
    )
    op.create_table(
        "clips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("added_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("media_kind", sa.String(length=16), nullable=False),
        sa.Column("analysis_status", sa.String(length=16), nullable=False),
        sa.Column("analysis_error", sa.Text(), nullable=True),
        sa.Column("analysis_warnings", sa.JSON(), nullable=False),
        sa.Column("analysed_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("analysis_version", sa.String(length=32), nullable=True),
        sa.Column("media_info", sa.JSON(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("frame_count", sa.Integer(), nullable=True),
        sa.Column("frame_index", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_clips_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_clips_file_id_stored_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clips")),
        sa.UniqueConstraint("case_id", "file_id", name=op.f("uq_clips_case_id")),
    )
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clips_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clips_file_id"), ["file_id"], unique=False)

    op.create_table(
        "annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("pts", sa.BigInteger(), nullable=True),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("w", sa.Float(), nullable=False),
        sa.Column("h", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_annotations_clip_id_clips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
    )
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_annotations_clip_id"), ["clip_id"], unique=False)

    op.create_table(
        "appearances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=True),
        sa.Column("channel_id", sa.Text(), nullable=True),
        sa.Column("channel_url", sa.Text(), nullable=True),
        sa.Column("post_id", sa.String(length=200), nullable=True),
        sa.Column("posted_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("posted_at_text", sa.Text(), nullable=True),
        sa.Column("posted_at_precision", sa.String(length=16), nullable=False),
        sa.Column("collected_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("forwarded_from", sa.Text(), nullable=True),
        sa.Column("media_available", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("raw_sidecar", sa.JSON(), nullable=True),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_appearances_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_appearances_clip_id_clips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appearances")),
    )
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appearances_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appearances_clip_id"), ["clip_id"], unique=False)

    op.create_table(
        "chronolocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("earliest", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("latest", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_chronolocations_clip_id_clips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chronolocations")),
    )
    with op.batch_alter_table("chronolocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chronolocations_clip_id"), ["clip_id"], unique=False)

    op.create_table(
        "clip_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_a_id", sa.Integer(), nullable=False),
        sa.Column("clip_b_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("offset_seconds", sa.Float(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clip_a_id"], ["clips.id"], name=op.f("fk_clip_links_clip_a_id_clips")
        ),
        sa.ForeignKeyConstraint(
            ["clip_b_id"], ["clips.id"], name=op.f("fk_clip_links_clip_b_id_clips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_links")),
    )
    with op.batch_alter_table("clip_links", schema=None) as batch_op:
        batch_op.create_index("ix_clip_links_pair", ["clip_a_id", "clip_b_id"], unique=False)

    op.create_table(
        "frame_hash_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("sample_rate", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_frame_hash_sets_clip_id_clips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame_hash_sets")),
        sa.UniqueConstraint("clip_id", "algorithm", name=op.f("uq_frame_hash_sets_clip_id")),
    )
    with op.batch_alter_table("frame_hash_sets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frame_hash_sets_clip_id"), ["clip_id"], unique=False)

    op.create_table(
        "geolocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("precision_m", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=32), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("reasoning", sa.Text(), nullable=False),
        sa.Column("coordinate_text", sa.Text(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", verifier.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", verifier.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clip_id"], ["clips.id"], name=op.f("fk_geolocations_clip_id_clips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geolocations")),
    )
    with op.batch_alter_table("geolocations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_geolocations_clip_id"), ["clip_id"], unique=False)

    op.create_table(
        "keyframes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clip_id", sa.Integer(), nullable=False),
        sa.Column("frame_index", sa.Integer(), nullable=False),
        sa.Column("pts", sa.BigInteger(), nullable=False),
        sa.Column("time_base", sa.String(length=32), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("thumbnail_file_id", sa.Integer(), nullable=True),
        sa.Column("phash", sa.String(length=16), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], name=op.f("fk_keyframes_clip_id_clips")),
        sa.ForeignKeyConstraint(
            ["thumbnail_file_id"],
            ["stored_files.id"],
            name=op.f("fk_keyframes_thumbnail_file_id_stored_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyframes")),
        sa.UniqueConstraint("clip_id", "frame_index", name=op.f("uq_keyframes_clip_id")),
    )
    with op.batch_alter_table("keyframes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_keyframes_clip_id"), ["clip_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("keyframes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_keyframes_clip_id"))

    op.drop_table("keyframes")
    with op.batch_alter_table("geolocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_geolocations_clip_id"))

    op.drop_table("geolocations")
    with op.batch_alter_table("frame_hash_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frame_hash_sets_clip_id"))

    op.drop_table("frame_hash_sets")
    with op.batch_alter_table("clip_links", schema=None) as batch_op:
        batch_op.drop_index("ix_clip_links_pair")

    op.drop_table("clip_links")
    with op.batch_alter_table("chronolocations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chronolocations_clip_id"))

    op.drop_table("chronolocations")
    with op.batch_alter_table("appearances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appearances_clip_id"))
        batch_op.drop_index(batch_op.f("ix_appearances_case_id"))

    op.drop_table("appearances")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_annotations_clip_id"))

    op.drop_table("annotations")
    with op.batch_alter_table("clips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clips_file_id"))
        batch_op.drop_index(batch_op.f("ix_clips_case_id"))

    op.drop_table("clips")
    op.drop_table("stored_files")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_case_id"))

    op.drop_table("custody_events")
    op.drop_table("cases")
