"""The opened application: settings, database and evidence store together.

The CLI and the GUI each open one :class:`App` and pass it to the service
functions; nothing else holds global state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from verifier.config import Settings, load_settings
from verifier.db.engine import Database, open_database, open_database_read_only
from verifier.errors import VerifierError
from verifier.evidence.store import EvidenceStore


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


def open_app(settings: Settings | None = None) -> App:
    """Open the data folder: upgrade the database and clear dead staging files."""
    settings = settings or load_settings()
    db = open_database(settings)
    store = EvidenceStore(settings.store_dir)
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
        store = EvidenceStore(settings.store_dir)
    except OSError as exc:  # its staging folder is missing and cannot be made
        db.dispose()
        raise VerifierError(
            f"cannot open the evidence store {settings.store_dir}: {exc.strerror} "
            f"({exc.filename}); copy the store folder whole, including its empty tmp folder"
        ) from exc
    return App(settings=settings, db=db, store=store)
