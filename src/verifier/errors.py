"""The one exception type for problems a user can cause or fix.

The CLI prints its message without a traceback and exits non-zero; the GUI
shows it in a dialog; batch work records it for the item and goes on.
"""

from __future__ import annotations

import re
from pathlib import Path

# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` on one line: control characters shown as escapes (``\\n``, ``\\x1b``).

    File names may hold newlines, carriage returns or terminal escapes (on
    Linux any byte but ``/`` and NUL); printed raw they would break the
    one-line ``error: FILE: reason`` format that people and scripts read,
    or rewrite the terminal. A backslash is left alone so that Windows-style
    names stay readable.
    """

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        code = ord(char)
        fallback = f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, fallback)

    return _CONTROL_RE.sub(escape, text)


class VerifierError(Exception):
    """A problem a person can act on: bad file, bad input, missing case.

    ``path`` and ``reason`` keep the values given; the exception's text (what
    is printed) shows the path with its control characters escaped, so that
    it stays one line.
    """

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{printable(self.path)}: {message}" if self.path is not None else message)
        self.reason = message


class Cancelled(VerifierError):
    """Raised inside long work when the user asked to stop."""

    def __init__(self) -> None:
        super().__init__("cancelled by the user")
