"""One progress-callback type for long work (import, analysis, reports).

The CLI renders it as a progress bar and the GUI as a progress dialog. The
callback returns nothing; cancellation is requested through a separate
``CancelToken`` so that a worker checks it at safe points only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from verifier.errors import Cancelled


@dataclass(frozen=True)
class ProgressUpdate:
    """A snapshot of progress: ``done`` of ``total`` units, plus a message."""

    task: str
    done: float
    total: float | None
    message: str = ""
    unit: str = "items"
    # Secondary counter, e.g. files while ``done``/``total`` count bytes.
    items_done: int | None = None
    items_total: int | None = None


class ProgressCallback(Protocol):
    def __call__(self, update: ProgressUpdate) -> None: ...


def no_progress(update: ProgressUpdate) -> None:
    """The default callback: ignore progress."""


class CancelToken:
    """A thread-safe flag a GUI or signal handler sets to stop long work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()
