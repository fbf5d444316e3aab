"""Engine and session setup, and the schema upgrade run on every start.

SQLite is the embedded default: WAL so readers never block the writer,
foreign keys on, a busy timeout so that two processes importing at once
wait for each other instead of failing, and ``BEGIN IMMEDIATE`` for write
transactions so that the custody chain's read-then-append cannot interleave.
PostgreSQL (``VERIFIER_DATABASE_URL``) serialises chain appends with a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from verifier.config import Settings
from verifier.errors import VerifierError

BUSY_TIMEOUT_MS = 60_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine with the per-backend settings described above."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrations_dir() -> Path:
    """The Alembic environment (top-level ``migrations/``, shipped as ``verifier.migrations``)."""
    return Path(str(resources.files("verifier.migrations")))


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise VerifierError(f"the migration history has {len(heads)} heads; expected one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _migration_lock(settings: Settings) -> Iterator[None]:
    """Serialise upgrades between processes sharing one data folder."""
    lock_path = settings.data_dir / ".migrate.lock"
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def backup_sqlite(db_path: Path, backup_dir: Path, revision: str | None) -> Path:
    """Copy a SQLite database consistently (WAL included) before an upgrade."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"{db_path.stem}-{stamp}-{revision or 'empty'}.db"
    src = sqlite3.connect(db_path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            # A backup is one self-contained file, not a WAL database.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    return target


def upgrade(engine: Engine, settings: Settings) -> Path | None:
    """Bring the schema to the newest revision; return the backup made, if any."""
    with _migration_lock(settings):
        current = current_revision(engine)
        head = head_revision()
        if current == head:
            return None
        backup = None
        db_path = settings.sqlite_path
        if current is not None and db_path is not None and db_path.exists():
            backup = backup_sqlite(db_path, settings.backup_dir, current)
        cfg = alembic_config(settings.database_url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        return backup


@dataclass
class Database:
    """The opened database: engine plus session factories for reads and writes."""

    engine: Engine
    settings: Settings

    def __post_init__(self) -> None:
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(immediate=True), expire_on_commit=False
        )

    def read(self) -> Session:
        """A session for reading (deferred transaction: never blocks writers)."""
        return self._reader()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on any error."""
        session = self._writer()
        # Where this database keeps its files: the custody log anchors its
        # committed heads there, from an after-commit hook it registers itself.
        session.info["data_dir"] = self.settings.data_dir
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    """Open (and by default upgrade) the database named by the settings."""
    if settings.sqlite_path is not None:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        if migrate:
            upgrade(engine, settings)
    except OperationalError as exc:
        engine.dispose()
        raise VerifierError(
            f"cannot open the database {settings.database_url}: {exc.orig}"
        ) from exc
    return Database(engine=engine, settings=settings)
