"""Original dates of forwarded posts, read from the HTML pages of a Telegram Desktop export.

The JSON of an export names a forwarded post's original sender but not when
it was first posted; the HTML pages (``messages.html``, ``messages2.html``
...) show that date in a title attribute. Pages are fed to the parser in
chunks, and only pages inside the export folder are opened.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

from verifier.sources.paths import resolve_inside
from verifier.sources.telegram.stream import CHUNK, HEAD_BYTES

_HTML_NAME_RE = re.compile(r"^messages(\d*)\.html$")
_HTML_TITLE_RE = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})"
    r"(?:\s*UTC\s*([+-])(\d{1,2}):?(\d{2}))?\s*$"
)
_HTML_HEADER_RE = re.compile(
    r'class="page_header".*?class="text bold"[^>]*>\s*(.*?)\s*</div>', re.DOTALL
)


def parse_html_title(title: str) -> tuple[datetime, timedelta | None] | None:
    """Parse ``DD.MM.YYYY HH:MM:SS UTC+HH:MM`` to (naive local time, offset or None)."""
    match = _HTML_TITLE_RE.match(title)
    if not match:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None
    if sign is None:
        return local, None
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    return local, -offset if sign == "-" else offset


@dataclass
class HtmlDates:
    """Dates the HTML export shows for one forwarded message."""

    own_title: str | None
    forwarded_title: str


class _ForwardedDateParser(HTMLParser):
    """Collect, per ``div.message``, the forwarded original's date title and its own date.

    Fed in chunks, so a large ``messages.html`` is never held whole; only
    forwarded messages are remembered.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[int, HtmlDates] = {}
        self._stack: list[str] = []
        self._message: int | None = None
        self._own: str | None = None
        self._forwarded: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("div", "span"):
            return
        attributes = {name: value or "" for name, value in attrs}
        classes = set(attributes.get("class", "").split())
        if tag == "div":
            kind = ""
            ident = attributes.get("id", "")
            if "message" in classes and ident.startswith("message"):
                self._commit()
                try:
                    self._message = int(ident[len("message") :])
                except ValueError:
                    self._message = None
                kind = "message"
            elif {"forwarded", "body"} <= classes:
                kind = "forwarded"
            self._stack.append(kind)
        title = attributes.get("title")
        if self._message is None or not title or not {"date", "details"} <= classes:
            return
        if "forwarded" in self._stack:
            if self._forwarded is None:
                self._forwarded = title
        elif self._own is None:
            self._own = title

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or not self._stack:
            return
        if self._stack.pop() == "message":
            self._commit()

    def _commit(self) -> None:
        if self._message is not None and self._forwarded is not None:
            self.found[self._message] = HtmlDates(self._own, self._forwarded)
        self._message, self._own, self._forwarded = None, None, None

    def close(self) -> None:
        super().close()
        self._commit()


def html_pages(directory: Path, root: Path) -> list[Path]:
    """``messages.html``, ``messages2.html`` ... in page order, inside the export only."""
    pages: list[tuple[int, Path]] = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _HTML_NAME_RE.match(entry.name)
        if not match:
            continue
        try:
            resolved = resolve_inside(entry, root)
        except (OSError, RuntimeError):
            continue
        if resolved is None or not resolved.is_file():
            continue
        pages.append((int(match.group(1) or 1), resolved))
    return [page for _, page in sorted(pages)]


def read_html_dates(pages: list[Path]) -> dict[int, HtmlDates]:
    parser = _ForwardedDateParser()
    for page in pages:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            with page.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    parser.feed(decoder.decode(chunk))
                parser.feed(decoder.decode(b"", final=True))
        except OSError:
            continue
    parser.close()
    return parser.found


def html_chat_name(page: Path) -> str | None:
    """The chat name in a messages.html page header (full exports: one folder per chat)."""
    try:
        with page.open("rb") as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    match = _HTML_HEADER_RE.search(head)
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


def html_pages_of_chats(root: Path) -> list[Path]:
    """First HTML page of every chat folder of a full export (``chats/chat_*/messages.html``)."""
    pages: list[Path] = []
    chats = root / "chats"
    try:
        folders = sorted(chats.iterdir()) if chats.is_dir() else []
    except OSError:
        return []
    for folder in folders:
        page = folder / "messages.html"
        try:
            resolved = resolve_inside(page, root)
        except (OSError, RuntimeError):
            continue
        if resolved is not None and resolved.is_file():
            pages.append(resolved)
    return pages
