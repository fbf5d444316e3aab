"""The opened application: settings, database and evidence store together.

The CLI and the GUI each open one :class:`App` and pass it to the service
functions; nothing else holds global state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from verifier.config import Settings, load_settings
from verifier.db.engine import Database, open_database, open_database_read_only
from verifier.db.models import AppMeta, StoredFile
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.evidence.store import (
    EvidenceStore,
    StoreWriteError,
    create_identity,
    read_identity,
)

STORE_ID_KEY = "store_id"
"""The ``app_meta`` key under which the database remembers its store's identity."""


@dataclass
class App:
    settings: Settings
    db: Database
    store: EvidenceStore
    # Per-application derived state that services rebuild from the database
    # (e.g. the frame-hash index); never the source of truth.
    caches: dict[str, Any] = field(default_factory=dict)

    @property
    def read_only(self) -> str | None:
        """Why nothing can be recorded in this data folder (None: it can be written)."""
        return self.db.read_only

    @property
    def analyst(self) -> str:
        return self.settings.analyst

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _missing_store(root: Path) -> VerifierError:
    return VerifierError(
        f"the evidence store {root} is missing: is the drive mounted? The database expects "
        "its evidence there; mount it (or point --data-dir at the right folder) and try again"
    )


def _record_store_id(db: Database, root: Path, identity: str, *, actor: str, adopted: bool) -> None:
    """Remember the store's id in the database (first writer wins), with its custody event.

    Which store a database is bound to decides what every later check
    compares against, so adopting the store of a database that already holds
    evidence is logged like any other act (a new database's store is the one
    its first import records). A read-only database (a copy handed over for
    checking) cannot learn it: it is then used as it is, and a writable open
    records it later.
    """
    try:
        with db.write() as session:
            if session.get(AppMeta, STORE_ID_KEY) is not None:
                return
            session.add(AppMeta(key=STORE_ID_KEY, value=identity))
            if adopted:
                custody.record(
                    session,
                    actor=actor,
                    action="store.bind",
                    target_type="store",
                    target_id=identity,
                    details={"store_id": identity, "root": str(root), "adopted": adopted},
                )
    except OperationalError:
        return


def bind_store(db: Database, root: Path, *, actor: str) -> EvidenceStore:
    """Open the evidence store the database was made with, or say why not.

    - a database that knows its store's id: the store must be there with that id;
    - a database from before store identities (or a new one) whose store exists:
      that store is adopted (given an id if it has none) and its id recorded;
    - no store and a database that holds no stored file: both are new, the
      store is created.
    A missing store is never replaced by a fresh empty one: evidence would
    seem to have vanished, and analysis would run against nothing.
    """
    with db.read() as session:
        meta = session.get(AppMeta, STORE_ID_KEY)
        expected = meta.value if meta is not None else None
        holds_files = session.scalar(select(StoredFile.id).limit(1)) is not None
    if expected is not None:
        if not root.is_dir():
            raise _missing_store(root)
        found = read_identity(root)
        if found is None:
            raise VerifierError(
                f"the evidence store {root} has no identity file (expected store {expected}): "
                "is the drive mounted? an empty folder stands where the store should be"
            )
        if found != expected:
            raise VerifierError(
                f"the evidence store {root} is store {found}, but this database was made "
                f"with store {expected}: point --data-dir at the matching database and store"
            )
        return EvidenceStore(root)
    if not root.is_dir() and holds_files:
        raise _missing_store(root)
    store = EvidenceStore(root)
    try:
        identity = create_identity(root)
    except VerifierError:
        if root.is_dir() and holds_files:
            # A write-protected copy of a store from before identities: usable
            # as it is; the identity is given when it can be written.
            return store
        raise
    _record_store_id(db, root, identity, actor=actor, adopted=holds_files)
    return store


def _check_store_identity(db: Database, root: Path) -> None:
    """The read-only form of :func:`bind_store`: compare identities, write nothing."""
    with db.read() as session:
        meta = session.get(AppMeta, STORE_ID_KEY)
    if meta is None:
        return  # a database from before store identities: nothing to compare with
    found = read_identity(root)
    if found != meta.value:
        raise VerifierError(
            f"the evidence store {root} is store {found or '(no identity file)'}, but this "
            f"database was made with store {meta.value}: copy the matching store with it"
        )


def open_app(settings: Settings | None = None) -> App:
    """Open the data folder: upgrade the database, bind its store, clear dead staging files."""
    settings = settings or load_settings()
    db = open_database(settings)
    try:
        store = bind_store(db, settings.store_dir, actor=settings.analyst)
    except BaseException:
        db.dispose()
        raise
    store.sweep()
    return App(settings=settings, db=db, store=store)


def why_read_only(settings: Settings) -> str | None:
    """Why the data folder cannot be written (None when it can, or when it does not exist).

    Looks at the file system (mounted read-only) and at the permissions of the
    database file and the folder; an expert's copy is often handed over as
    both. A PostgreSQL database is assumed writable.
    """
    folder = settings.data_dir
    if not folder.is_dir():
        return None
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        return f"the data folder {folder} is on a read-only file system"
    db_path = settings.sqlite_path
    if db_path is not None and db_path.exists() and not os.access(db_path, os.W_OK):
        return f"the database file {db_path} is write-protected"
    if not os.access(folder, os.W_OK):
        return f"the data folder {folder} is write-protected"
    return None


def open_read_only_app(settings: Settings, reason: str) -> App:
    """Open a data folder for checking only: no upgrade, no clean-up, nothing recorded.

    ``reason`` says why (a read-only file system, ``--read-only``) and is
    repeated wherever the program has to say that it recorded nothing.
    Raises VerifierError when the folder holds no Verifier data.
    """
    if not settings.store_dir.is_dir():
        raise VerifierError(f"the evidence store {settings.store_dir} is missing")
    db = open_database_read_only(settings, reason)
    try:
        _check_store_identity(db, settings.store_dir)
        store = EvidenceStore(settings.store_dir)
    except (OSError, StoreWriteError) as exc:  # its staging folder is missing, cannot be made
        db.dispose()
        raise VerifierError(
            f"cannot open the evidence store {settings.store_dir}: {exc}; "
            "copy the store folder whole, including its empty tmp folder"
        ) from exc
    except BaseException:
        db.dispose()
        raise
    return App(settings=settings, db=db, store=store)
