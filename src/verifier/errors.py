"""The one exception type for problems a user can cause or fix.

The CLI prints its message without a traceback and exits non-zero; the GUI
shows it in a dialog; batch work records it for the item and goes on.
"""

from __future__ import annotations

from pathlib import Path


class VerifierError(Exception):
    """A problem a person can act on: bad file, bad input, missing case."""

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{path}: {message}" if path is not None else message)
        self.reason = message


class Cancelled(VerifierError):
    """Raised inside long work when the user asked to stop."""

    def __init__(self) -> None:
        super().__init__("cancelled by the user")
