"""The opened application: settings, database and evidence store together.

The CLI and the GUI each open one :class:`App` and pass it to the service
functions; nothing else holds global state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from verifier.config import Settings, load_settings
from verifier.db.engine import Database, open_database
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
