"""Schema migrations: linear history, upgrade from empty, models in sync, backups."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from verifier.config import load_settings
from verifier.db.engine import (
    alembic_config,
    current_revision,
    head_revision,
    make_engine,
    migrations_dir,
    upgrade,
)
from verifier.db.models import Base


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    for revision in revisions:
        down = revision.down_revision
        assert down is None or isinstance(down, str), f"{revision.revision} merges branches"
    # Every revision but the base has exactly one child, except the head.
    children = {r.revision: 0 for r in revisions}
    for revision in revisions:
        if revision.down_revision:
            children[revision.down_revision] += 1
    assert sorted(children.values()) == [0] + [1] * (len(revisions) - 1)


def test_upgrade_from_empty_matches_models(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    assert current_revision(engine) is None
    assert upgrade(engine, settings) is None, "no backup for a brand-new database"
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    engine.dispose()


NEXT_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("added_later", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("added_later")
"""


def test_upgrade_backs_up_an_existing_database(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A database written by an older release is copied before the schema changes."""
    settings = load_settings(data_dir=tmp_path / "data")
    engine = make_engine(settings.database_url)
    upgrade(engine, settings)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cases (name, description, created_at, created_by, settings) "
            "VALUES ('Kept', '', '2025-01-01 00:00:00', 'x', '{}')"
        )
    engine.dispose()
    # The next release ships one more revision.
    newer = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), newer)
    (newer / "versions" / "9999_next.py").write_text(NEXT_REVISION.format(head=head_revision()))
    monkeypatch.setattr("verifier.db.engine.migrations_dir", lambda: newer)
    assert head_revision() == "9999"

    engine = make_engine(settings.database_url)
    backup = upgrade(engine, settings)
    assert backup is not None and backup.parent == settings.backup_dir
    assert current_revision(engine) == "9999"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name, added_later FROM cases").fetchall() == [
            ("Kept", None)
        ]
    engine.dispose()
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT name FROM cases").fetchall() == [("Kept",)]
        columns = [row[1] for row in copy.execute("PRAGMA table_info(cases)")]
        assert "added_later" not in columns, "the backup is the database as it was before"
    # A second start finds the schema current and makes no further copy.
    engine = make_engine(settings.database_url)
    assert upgrade(engine, settings) is None
    engine.dispose()
    assert len(list(settings.backup_dir.iterdir())) == 1
