"""The byte stream under the JSON parser: UTF-8 repaired on the fly, in 64 KiB reads.

``result.json`` of a Telegram Desktop export can be gigabytes, and one
corrupt byte in a caption must not lose every post after it. The parser
(ijson over yajl) stops at the first invalid byte, so it reads through
:class:`Utf8Repair`, which replaces invalid bytes with U+FFFD and counts
them for the reader to report.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO

#: How much of a file is read to recognise it (the start of result.json, an HTML header).
HEAD_BYTES = 64 * 1024
#: Size of each read of a large file.
CHUNK = 64 * 1024

_SURROGATE_RE = re.compile("[\udc80-\udcff]")


def repairing_bytes(data: bytes) -> Utf8Repair:
    """Wrap bytes already in memory (the head of a file) for ijson."""
    return Utf8Repair(io.BytesIO(data))


class Utf8Repair:
    """File-like that passes UTF-8 through, replacing invalid bytes with U+FFFD.

    yajl stops at the first invalid byte; a single corrupt byte in a caption
    must not lose the thousands of posts after it. The replacement count and
    the first offset are kept so the reader can report them.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
        self._started = False
        self.bytes_read = 0
        self.bad_bytes = 0
        self.first_bad_near: int | None = None

    def read(self, size: int = -1) -> bytes:
        """Return the next repaired chunk; b"" only at the real end of input.

        ``read(0)`` (ijson's probe for bytes vs text) must not consume input.
        """
        if size == 0:
            return b""
        while True:
            chunk = self._raw.read(size if size > 0 else CHUNK)
            start = self.bytes_read
            self.bytes_read += len(chunk)
            text = self._decoder.decode(chunk, final=not chunk)
            if not self._started and text:
                self._started = True
                text = text.removeprefix("\ufeff")
            if _SURROGATE_RE.search(text):
                self.bad_bytes += len(_SURROGATE_RE.findall(text))
                if self.first_bad_near is None:
                    self.first_bad_near = start
                text = _SURROGATE_RE.sub("\ufffd", text)
            if text or not chunk:
                return text.encode("utf-8")
