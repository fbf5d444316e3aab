"""Schema migrations: linear history, upgrade from empty, models in sync, backups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from verifier.config import load_settings
from verifier.db.engine import alembic_config, current_revision, head_revision, make_engine, upgrade
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


def test_upgrade_backs_up_an_existing_database(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    upgrade(engine, settings)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO cases (name, description, created_at, created_by, settings) "
            "VALUES ('Kept', '', '2025-01-01 00:00:00', 'x', '{}')"
        )
        # Pretend the database was written by an older release.
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'older'")
    script = ScriptDirectory.from_config(alembic_config(settings.database_url))
    base = next(iter(script.get_bases()))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{base}'")
    if base == head_revision():
        # Only one revision: simulate an older schema by stamping an unknown one is not
        # upgradeable, so check the backup routine through the head-mismatch path instead.
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM alembic_version")
            conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('0000')")
    engine.dispose()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine, settings)
    except Exception:
        pass
    backups = list(settings.backup_dir.glob("*.db"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as copy:
        assert copy.execute("SELECT name FROM cases").fetchall() == [("Kept",)]
    engine.dispose()
