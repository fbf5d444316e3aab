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
from urllib.parse import quote

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


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if read_only:
            # Changing the journal mode is a write; refuse writes even to root.
            cur.execute("PRAGMA query_only = ON")
        else:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Create an engine with the per-backend settings described above."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine, read_only=read_only)
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
    # Why the database was opened read-only (None: it can be written).
    read_only: str | None = None

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
        if self.read_only is not None:
            raise VerifierError(
                f"the database {self.settings.database_url} is open read-only "
                f"({self.read_only}): nothing can be recorded"
            )
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


def sqlite_read_only_urls(db_path: Path) -> list[tuple[str, str]]:
    """The ways to open a SQLite file without writing, best first, each with its name.

    ``mode=ro`` still sees a WAL's committed content but needs the ``-shm``
    file (created beside the database when absent); ``immutable=1`` needs no
    file besides the database, so it works on a read-only folder, but ignores
    a WAL: it is only used when there is no WAL content to miss.
    """
    uri = "file:" + quote(str(db_path.resolve()), safe="/")
    return [
        ("read-only", f"sqlite:///{uri}?mode=ro&uri=true"),
        ("immutable", f"sqlite:///{uri}?immutable=1&uri=true"),
    ]


def open_database_read_only(settings: Settings, reason: str) -> Database:
    """Open the database without writing anything (a write-protected copy, an expert's copy).

    No upgrade is attempted: a schema older than this program is a clear
    error, since upgrading would mean writing. Raises VerifierError.
    """
    db_path = settings.sqlite_path
    if db_path is None:
        engine = create_engine(
            settings.database_url,
            pool_pre_ping=True,
            execution_options={"postgresql_readonly": True},
        )
        return _checked_read_only(engine, settings, reason)
    if not db_path.is_file():
        raise VerifierError(f"cannot open the database {db_path}: no such file")
    wal = db_path.with_name(db_path.name + "-wal")
    errors: list[str] = []
    for name, url in sqlite_read_only_urls(db_path):
        if name == "immutable" and wal.exists() and wal.stat().st_size > 0:
            errors.append(
                f"{wal} holds changes not yet merged into the database, and they cannot be "
                "read without write access to the folder; copy the folder again after closing "
                "the program, or make it writable"
            )
            break
        engine = make_engine(url, read_only=True)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
        except OperationalError as exc:
            engine.dispose()
            errors.append(f"{name}: {exc.orig}")
            continue
        return _checked_read_only(engine, settings, reason)
    raise VerifierError(f"cannot open the database {db_path} read-only: {'; '.join(errors)}")


def _checked_read_only(engine: Engine, settings: Settings, reason: str) -> Database:
    """Refuse a database whose schema is not this program's: it cannot be upgraded here."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        engine.dispose()
        raise VerifierError(
            f"cannot read the database {settings.database_url}: {exc.orig}"
        ) from exc
    head = head_revision()
    if current != head:
        engine.dispose()
        found = f"schema revision {current}" if current else "no Verifier schema"
        raise VerifierError(
            f"the database {settings.database_url} has {found}, not this program's {head}, "
            f"and cannot be upgraded because it is opened read-only ({reason}); upgrade a "
            "writable copy first, or use the program version that made it"
        )
    return Database(engine=engine, settings=settings, read_only=reason)
