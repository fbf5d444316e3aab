"""Read a Telegram Desktop export ("Export chat history" / "Export Telegram data", JSON).

Investigators receive collections as Telegram Desktop export folders: a
``result.json`` plus media folders (``video_files/``, ``photos/``,
``round_video_messages/`` ...) and, when HTML was exported too,
``messages.html``, ``messages2.html`` ... This module turns every post that
carries a video, animation, round video or photo into an
:class:`~verifier.sources.AppearanceRecord`, so that source analysis gets a
complete timeline of where and when a clip appeared.

Decisions, and why:

* **Time.** ``date`` in the JSON is the local time of the computer that made
  the export, without an offset. Treating it as UTC would shift the timeline
  by hours, which is exactly the kind of error that breaks a chronolocation.
  Only ``date_unixtime`` (epoch seconds, a string) is used for ``posted_at``;
  ``date`` is kept literally in ``posted_at_text`` and ``raw``.
* **Address.** ``https://t.me/<username>/<id>`` when the public username is
  known (the JSON does not carry it; the caller passes ``username=`` or
  ``usernames={chat_id: username}``). Otherwise, for channels and
  supergroups, ``https://t.me/c/<internal id>/<id>`` where the internal id is
  the chat id with any ``-100`` prefix removed (Telegram Desktop writes the
  bare id); that link opens only for members, so the record warns that the
  public address is unknown. Personal chats and basic groups have no post
  links: ``url`` is None, with a warning.
* **Forwarded posts.** The JSON names the original sender only. The original
  date is in the HTML export (``div.forwarded.body`` > ``.date.details``
  ``title="DD.MM.YYYY HH:MM:SS UTC+HH:MM"``). When the HTML is present it is
  read (streamed, per chat, only when a forwarded post needs it) and the date
  goes into ``raw["forwarded_date_utc"]`` (ISO 8601, UTC) and
  ``raw["forwarded_date_text"]`` (literal title). A title without an offset
  (older exports) is converted with the offset implied by the message's own
  HTML date versus ``date_unixtime``, and the record says so.
* **Hostile paths.** Media paths that are absolute, Windows-style, contain
  NUL bytes or ``..``, resolve outside the export folder (symlinks), or are
  not regular files are never opened: a :class:`SidecarProblem` names the
  message and the reason, and the appearance is still recorded with
  ``media_available=False`` because the post itself exists.
* **Streaming.** ``result.json`` can be gigabytes. It is parsed with
  ``ijson`` event by event; only one message object is built at a time.
  Invalid UTF-8 bytes are replaced (and reported) on the fly so one bad byte
  does not lose the rest of the export. Truncated or malformed JSON yields
  everything read before the damage plus a problem.
* Service messages (joins, pinned, photo changes) and stickers are not
  evidence posts and are skipped. Messages without an integer ``id`` cannot
  be addressed and are reported, not recorded.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import ijson

from verifier.sources import AppearanceRecord, SidecarProblem

__all__ = ["is_telegram_export", "read_telegram_export"]

RESULT_JSON = "result.json"
_HEAD_BYTES = 64 * 1024
_CHUNK = 64 * 1024

_VIDEO_MEDIA_TYPES = frozenset({"video_file", "video_message", "animation"})
_CHANNEL_TYPES = frozenset(
    {"public_channel", "private_channel", "public_supergroup", "private_supergroup"}
)
_KNOWN_CHAT_TYPES = _CHANNEL_TYPES | {
    "personal_chat",
    "private_group",
    "bot_chat",
    "saved_messages",
    "replies",
    "verification_codes",
    "self",
}
_EXPORT_KEYS = frozenset({"messages", "chats", "left_chats", "personal_information"})
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_HTML_NAME_RE = re.compile(r"^messages(\d*)\.html$")
_HTML_TITLE_RE = re.compile(
    r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})"
    r"(?:\s*UTC\s*([+-])(\d{1,2}):?(\d{2}))?\s*$"
)
_HTML_HEADER_RE = re.compile(
    r'class="page_header".*?class="text bold"[^>]*>\s*(.*?)\s*</div>', re.DOTALL
)
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:")


# --------------------------------------------------------------------------- public API


def is_telegram_export(folder: Path) -> bool:
    """Tell whether ``folder`` holds a Telegram Desktop JSON export.

    Only the start of ``result.json`` is read, so the check is cheap on
    multi-gigabyte exports: the top-level keys must include a messages or
    chats list, or a known chat ``type``. A ``result.json`` that is a symlink
    leading outside the folder is not accepted (it would not be read).
    """
    try:
        root = Path(folder).resolve()
        path = root / RESULT_JSON
        if _outside(path.resolve(), root) or not path.is_file():
            return False
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except (OSError, ValueError, RuntimeError):
        return False
    keys: dict[str, Any] = {}
    try:
        for prefix, event, value in ijson.parse(_repairing_bytes(head)):
            if prefix == "" and event not in ("start_map", "end_map", "map_key"):
                return False  # top level is not an object
            if event == "map_key" and prefix == "":
                keys.setdefault(value, None)
            elif prefix in ("type", "id") and event in ("string", "number"):
                keys[prefix] = value
    except Exception:
        pass
    if keys.keys() & _EXPORT_KEYS:
        return True
    return keys.get("type") in _KNOWN_CHAT_TYPES and "id" in keys


def read_telegram_export(
    folder: Path,
    *,
    max_json_bytes: int | None = None,
    username: str | None = None,
    usernames: Mapping[str, str] | None = None,
) -> Iterator[AppearanceRecord | SidecarProblem]:
    """Yield one appearance per media post of the export, and problems found.

    ``username`` is the public username of the chat of a single-chat export
    (with or without ``@`` / ``https://t.me/``); ``usernames`` maps chat ids
    (as strings, as in ``AppearanceRecord.channel_id``) to usernames for
    full exports. ``max_json_bytes`` refuses a larger ``result.json`` with a
    problem instead of reading it. Bad content never raises; a malformed
    ``username`` argument (a caller error, not evidence) raises ValueError.
    """
    known = {str(k): _clean_username(v) for k, v in (usernames or {}).items()}
    single = _clean_username(username) if username is not None else None
    root = Path(folder).resolve()
    path = root / RESULT_JSON
    problem = _check_result_json(path, root, max_json_bytes)
    if problem is not None:
        yield problem
        return
    reader = _ExportReader(root, path, single, known)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield SidecarProblem(path, f"cannot open {RESULT_JSON}: {exc.strerror or exc}")
        return
    with handle:
        yield from reader.run(handle)


# --------------------------------------------------------------------------- helpers


def _outside(path: Path, root: Path) -> bool:
    """True when the resolved ``path`` is not ``root`` or below it."""
    return path != root and root not in path.parents


def _clean_username(value: str) -> str:
    """Normalise a username the caller gave; reject what cannot be one."""
    name = value.strip()
    for prefix in ("https://t.me/", "http://t.me/", "t.me/", "@"):
        if name.lower().startswith(prefix):
            name = name[len(prefix) :]
    name = name.strip("/")
    if not _USERNAME_RE.match(name):
        raise ValueError(f"not a Telegram username: {value!r}")
    return name


def _check_result_json(path: Path, root: Path, limit: int | None) -> SidecarProblem | None:
    """Refuse a missing, outside, non-regular or too large result.json before opening it."""
    try:
        if _outside(path.resolve(), root):
            return SidecarProblem(path, f"{RESULT_JSON} leads outside the export folder")
        info = path.stat()
    except FileNotFoundError:
        return SidecarProblem(path, f"no {RESULT_JSON} in the export folder")
    except (OSError, RuntimeError) as exc:
        return SidecarProblem(path, f"cannot read {RESULT_JSON}: {exc}")
    if not stat.S_ISREG(info.st_mode):
        return SidecarProblem(path, f"{RESULT_JSON} is not a regular file")
    if limit is not None and info.st_size > limit:
        return SidecarProblem(
            path,
            f"{RESULT_JSON} is {info.st_size} bytes, above the limit of {limit} bytes; not read",
        )
    return None


def _repairing_bytes(data: bytes) -> _Utf8Repair:
    """Wrap bytes already in memory (the head of a file) for ijson."""
    return _Utf8Repair(io.BytesIO(data))


class _Utf8Repair:
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
            chunk = self._raw.read(size if size > 0 else _CHUNK)
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unixtime(value: Any) -> datetime | None:
    """Parse ``date_unixtime`` (a string of digits, or an int) to aware UTC; None if invalid."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", value):
        seconds = int(value)
    elif _is_int(value):
        seconds = value
    else:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _flatten_text(value: Any) -> str | None:
    """Join a message's ``text`` (a string, or strings and entity objects) into plain text."""
    if isinstance(value, str):
        return value or None
    if not isinstance(value, list):
        return None
    parts: list[str] = []
    for item in value:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            parts.append(item["text"])
    joined = "".join(parts)
    return joined or None


def _internal_id(chat_id: int) -> int:
    """Chat id as used in ``t.me/c/<id>/<msg>``: drop the Bot API ``-100`` prefix."""
    if chat_id < 0:
        text = str(-chat_id)
        return int(text[3:]) if text.startswith("100") and len(text) > 3 else -chat_id
    return chat_id


def _parse_html_title(title: str) -> tuple[datetime, timedelta | None] | None:
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


# --------------------------------------------------------------------------- HTML


@dataclass
class _HtmlDates:
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
        self.found: dict[int, _HtmlDates] = {}
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
            self.found[self._message] = _HtmlDates(self._own, self._forwarded)
        self._message, self._own, self._forwarded = None, None, None

    def close(self) -> None:
        super().close()
        self._commit()


def _html_pages(directory: Path, root: Path) -> list[Path]:
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
            resolved = entry.resolve()
        except (OSError, RuntimeError):
            continue
        if _outside(resolved, root) or not resolved.is_file():
            continue
        pages.append((int(match.group(1) or 1), resolved))
    return [page for _, page in sorted(pages)]


def _read_html_dates(pages: list[Path]) -> dict[int, _HtmlDates]:
    parser = _ForwardedDateParser()
    for page in pages:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            with page.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    parser.feed(decoder.decode(chunk))
                parser.feed(decoder.decode(b"", final=True))
        except OSError:
            continue
    parser.close()
    return parser.found


def _html_chat_name(page: Path) -> str | None:
    """The chat name in a messages.html page header (full exports: one folder per chat)."""
    try:
        with page.open("rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    match = _HTML_HEADER_RE.search(head)
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else None


# --------------------------------------------------------------------------- the reader


@dataclass
class _Chat:
    """What is known about the chat whose messages are being read."""

    prefix: str
    name: str | None = None
    type: str | None = None
    id: Any = None
    saw_messages: bool = False
    in_messages: bool = False
    index: int = 0
    html: dict[int, _HtmlDates] | None = None
    problems_reported: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        if self.name:
            return f"chat {self.name!r}"
        return f"chat {self.id}" if self.id is not None else "chat"


_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
_LIST_PREFIXES = ("chats.list", "left_chats.list")


class _ExportReader:
    """Walks the ijson event stream of result.json and builds one message at a time."""

    def __init__(
        self, root: Path, path: Path, username: str | None, usernames: dict[str, str]
    ) -> None:
        self.root = root
        self.path = path
        self.username = username
        self.usernames = usernames
        self.full_export = False
        self._html_by_name: dict[str, Path | None] | None = None

    # -- event loop

    def run(self, handle: BinaryIO) -> Iterator[AppearanceRecord | SidecarProblem]:
        stream = _Utf8Repair(handle)
        chats: dict[str, _Chat] = {}
        open_lists: set[str] = set()
        top_keys: set[str] = set()
        builder: Any = None
        depth = 0
        chat: _Chat | None = None
        try:
            for prefix, event, value in ijson.parse(stream, use_float=True):
                if builder is not None:
                    builder.event(event, value)
                    if event in ("start_map", "start_array"):
                        depth += 1
                    elif event in ("end_map", "end_array"):
                        depth -= 1
                    if depth == 0:
                        assert chat is not None
                        yield from self._message(chat, builder.value)
                        builder = None
                    continue
                if prefix == "" and event == "map_key":
                    top_keys.add(value)
                    if value in ("chats", "left_chats"):
                        self.full_export = True
                if prefix == "" and event not in ("start_map", "end_map", "map_key"):
                    yield SidecarProblem(self.path, f"{RESULT_JSON} is not a JSON object")
                    return
                if prefix in _LIST_PREFIXES:
                    if event == "start_array":
                        open_lists.add(prefix)
                    elif event == "end_array":
                        open_lists.discard(prefix)
                    elif event != "map_key":
                        yield SidecarProblem(self.path, f"{prefix} is not a list")
                    continue
                if prefix in _CHAT_PREFIXES:
                    if prefix and prefix.rsplit(".", 1)[0] not in open_lists:
                        continue
                    if event == "start_map":
                        chats[prefix] = _Chat(prefix)
                    elif event == "end_map" and prefix in chats:
                        yield from self._end_chat(chats.pop(prefix), top_keys)
                    elif event not in ("map_key", "end_map"):
                        yield SidecarProblem(self.path, f"an entry of {prefix[:-5]} is not a chat")
                    continue
                owner, _, key = prefix.rpartition(".") if "." in prefix else ("", "", prefix)
                chat = chats.get(owner)
                if chat is not None and key in ("name", "type", "id"):
                    setattr(chat, key, value if event != "start_map" else None)
                    continue
                if chat is not None and key == "messages":
                    if event == "start_array":
                        chat.saw_messages, chat.in_messages = True, True
                    elif event == "end_array":
                        chat.in_messages = False
                    elif event not in ("map_key", "end_map"):
                        chat.saw_messages = True
                        yield SidecarProblem(
                            self.path, f"{chat.label}: messages is not a list ({event})"
                        )
                    continue
                if key == "item" and owner.endswith("messages"):
                    chat = chats.get(owner.rpartition(".")[0] if "." in owner else "")
                    if chat is None or not chat.in_messages:
                        continue
                    chat.index += 1
                    if event == "start_map":
                        builder, depth = ijson.ObjectBuilder(), 1
                        builder.event(event, value)
                    elif event not in ("end_map", "end_array"):
                        yield SidecarProblem(
                            self.path,
                            f"{chat.label}: entry #{chat.index} of messages is not an object",
                            entry=f"message #{chat.index}",
                        )
        except Exception as exc:
            where = f" near byte {stream.bytes_read}"
            yield SidecarProblem(
                self.path,
                f"{RESULT_JSON} is not valid JSON{where} ({type(exc).__name__}: {exc}); "
                "messages after this point could not be read",
                entry=self._entry_after(chat),
            )
        if stream.bad_bytes:
            yield SidecarProblem(
                self.path,
                f"{RESULT_JSON} is not valid UTF-8: {stream.bad_bytes} invalid byte(s), first "
                f"in the 64 KiB block at byte {stream.first_bad_near}; replaced with U+FFFD",
            )

    def _entry_after(self, chat: _Chat | None) -> str | None:
        if chat is None or not chat.index:
            return None
        return f"after message #{chat.index} of {chat.label}"

    def _end_chat(self, chat: _Chat, top_keys: set[str]) -> Iterator[SidecarProblem]:
        if chat.saw_messages:
            return
        if chat.prefix == "":
            if not top_keys & {"chats", "left_chats"}:
                yield SidecarProblem(
                    self.path, f"{RESULT_JSON} has no messages list (not a chat export)"
                )
            return
        yield SidecarProblem(self.path, f"{chat.label} has no messages list", entry=chat.label)

    # -- one message

    def _message(self, chat: _Chat, message: Any) -> Iterator[AppearanceRecord | SidecarProblem]:
        if not isinstance(message, dict):
            return
        ident = message.get("id")
        if not _is_int(ident):
            reason = "missing id" if ident is None else f"id is not an integer: {ident!r:.60}"
            yield SidecarProblem(
                self.path,
                f"{chat.label}: message #{chat.index}: {reason}; skipped",
                entry=f"message #{chat.index}",
            )
            return
        entry = f"message {ident}"
        kind = message.get("type", "message")
        if kind == "service":
            return
        if kind != "message":
            yield SidecarProblem(
                self.path, f"{chat.label}: unknown message type {kind!r:.40}; skipped", entry=entry
            )
            return
        media_key = self._media_key(message)
        if media_key is None:
            return
        warnings: list[str] = []
        problems: list[SidecarProblem] = []
        media_path, available = self._media(message, media_key, entry, warnings, problems)
        yield from problems

        posted_at = _unixtime(message.get("date_unixtime"))
        unix_text = message.get("date_unixtime")
        if posted_at is None:
            if unix_text is None:
                reason = "no date_unixtime; the export-local date is not UTC and is not used"
            else:
                reason = f"date_unixtime is not a number of seconds: {unix_text!r:.40}"
            warnings.append(reason)
            yield SidecarProblem(self.path, f"{chat.label}: {reason}", entry=entry)
        local = message.get("date")
        local_text = local if isinstance(local, str) else "absent"
        posted_text = f"{unix_text} (unix); export-local {local_text}"
        edited = _unixtime(message.get("edited_unixtime"))
        if edited is not None:
            warnings.append(f"edited at {_iso(edited)}")
        elif message.get("edited") is not None:
            warnings.append("edited (time unknown: no valid edited_unixtime)")

        forwarded = message.get("forwarded_from")
        forwarded = forwarded if isinstance(forwarded, str) else None
        raw: dict[str, Any] = dict(message)
        raw["chat"] = {"name": chat.name, "type": chat.type, "id": chat.id}
        if forwarded is not None or "forwarded_from" in message:
            self._forwarded_date(chat, ident, posted_at, raw, warnings)

        url, channel_url = self._address(chat, message, ident, warnings)
        channel_id = str(chat.id) if chat.id is not None else None
        if channel_id is None and isinstance(message.get("from_id"), str):
            channel_id = message["from_id"]
        text = message.get("text")
        caption = _flatten_text(
            text if text not in (None, "", []) else message.get("text_entities")
        )
        yield AppearanceRecord(
            platform="telegram",
            source="sidecar",
            url=url,
            channel=chat.name if isinstance(chat.name, str) else None,
            channel_id=channel_id,
            channel_url=channel_url,
            post_id=str(ident),
            posted_at=posted_at,
            posted_at_text=posted_text,
            posted_at_precision="second" if posted_at is not None else "unknown",
            caption=caption,
            forwarded_from=forwarded,
            media_path=media_path,
            media_available=available,
            sidecar_path=self.path,
            raw=raw,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _media_key(message: dict[str, Any]) -> str | None:
        """Which field names the media of an evidence post ("file"/"photo"), or None."""
        media_type = message.get("media_type")
        if media_type == "sticker":
            return None
        mime = message.get("mime_type")
        if media_type in _VIDEO_MEDIA_TYPES or (
            isinstance(mime, str) and mime.lower().startswith("video/")
        ):
            return "file"
        if "photo" in message:
            return "photo"
        return None

    def _media(
        self,
        message: dict[str, Any],
        key: str,
        entry: str,
        warnings: list[str],
        problems: list[SidecarProblem],
    ) -> tuple[Path | None, bool]:
        """Resolve the media path safely; never touch anything outside the export folder."""
        value = message.get(key)
        if value is None:
            warnings.append(f"media not in export: no {key!r} field")
            return None, False
        if not isinstance(value, str):
            problems.append(
                SidecarProblem(self.path, f"{key} is not a path string: {value!r:.60}", entry)
            )
            return None, False
        if value.startswith("(") and value.endswith(")"):
            warnings.append(f"media not in export: {value}")
            return None, False
        reason = self._unsafe(value)
        if reason is None:
            candidate = self.root / value
            try:
                resolved = candidate.resolve()
            except (OSError, RuntimeError) as exc:
                reason = f"cannot resolve: {exc}"
            else:
                if _outside(resolved, self.root):
                    reason = "resolves outside the export folder (symlink)"
                else:
                    try:
                        info = os.stat(resolved)
                    except FileNotFoundError:
                        warnings.append(f"media file missing from export: {value}")
                        return None, False
                    except OSError as exc:
                        reason = f"cannot stat: {exc.strerror or exc}"
                    else:
                        if stat.S_ISREG(info.st_mode):
                            return resolved, True
                        reason = "is not a regular file"
        shown = value.replace("\x00", "\\x00")[:200]
        problems.append(
            SidecarProblem(
                self.path, f"unsafe media path {shown!r} ({key}): {reason}; not read", entry
            )
        )
        warnings.append(f"media path refused: {reason}")
        return None, False

    @staticmethod
    def _unsafe(value: str) -> str | None:
        """Why a media path from the JSON must not be followed, or None if it may be."""
        if not value.strip():
            return "empty path"
        if "\x00" in value:
            return "contains a NUL byte"
        if _WINDOWS_DRIVE_RE.match(value) or value.startswith("\\\\"):
            return "is a Windows drive or network path"
        if "\\" in value:
            return "contains backslashes (Windows-style path)"
        pure = PurePosixPath(value)
        if pure.is_absolute():
            return "is an absolute path"
        if ".." in pure.parts:
            return "climbs out with '..'"
        return None

    def _address(
        self, chat: _Chat, message: dict[str, Any], ident: int, warnings: list[str]
    ) -> tuple[str | None, str | None]:
        """Post and channel URL; see the module docstring for the rules."""
        chat_id = chat.id
        name = self.usernames.get(str(chat_id)) if chat_id is not None else None
        if name is None and not self.full_export and chat.prefix == "":
            name = self.username
        if name is not None:
            return f"https://t.me/{name}/{ident}", f"https://t.me/{name}"
        from_id = message.get("from_id")
        is_channel = chat.type in _CHANNEL_TYPES or (
            chat.type is None and isinstance(from_id, str) and from_id.startswith("channel")
        )
        if not is_channel:
            warnings.append(f"no post link exists for a {chat.type or 'unknown-type'} chat")
            return None, None
        if not _is_int(chat_id):
            warnings.append("public address unknown and chat id missing: no link")
            return None, None
        warnings.append(
            "public address unknown (username not in export): t.me/c link opens for members only"
        )
        return f"https://t.me/c/{_internal_id(chat_id)}/{ident}", None

    # -- forwarded dates from the HTML export

    def _forwarded_date(
        self,
        chat: _Chat,
        ident: int,
        posted_at: datetime | None,
        raw: dict[str, Any],
        warnings: list[str],
    ) -> None:
        if chat.html is None:
            chat.html = self._load_html(chat)
        dates = chat.html.get(ident)
        if dates is None:
            warnings.append("forwarded: original date unknown (not in an HTML export)")
            return
        raw["forwarded_date_text"] = dates.forwarded_title
        parsed = _parse_html_title(dates.forwarded_title)
        own = _parse_html_title(dates.own_title) if dates.own_title else None
        own_offset: timedelta | None = None
        if own is not None and posted_at is not None:
            implied = own[0].replace(tzinfo=UTC) - posted_at
            own_offset = timedelta(minutes=round(implied.total_seconds() / 900) * 15)
            if own[1] is not None and abs((implied - own[1]).total_seconds()) > 1:
                warnings.append(
                    f"HTML date {dates.own_title!r} disagrees with date_unixtime {_iso(posted_at)}"
                )
        if parsed is None:
            warnings.append(f"forwarded: cannot parse original date {dates.forwarded_title!r}")
            return
        local, offset = parsed
        if offset is None:
            if own_offset is None:
                warnings.append("forwarded: original date has no UTC offset; not converted")
                return
            offset = own_offset
            warnings.append(
                "forwarded: original date's offset inferred from this message's own date "
                "(daylight saving may differ)"
            )
        original = (local - offset).replace(tzinfo=UTC)
        raw["forwarded_date_utc"] = _iso(original)
        warnings.append(f"forwarded: original posted {_iso(original)} (from HTML export)")

    def _load_html(self, chat: _Chat) -> dict[int, _HtmlDates]:
        """Read the HTML pages of this chat (root folder, or chats/<dir> matched by name)."""
        if not self.full_export:
            return _read_html_dates(_html_pages(self.root, self.root))
        if self._html_by_name is None:
            self._html_by_name = {}
            for page in _html_pages_of_chats(self.root):
                name = _html_chat_name(page)
                if name is not None:
                    # the same name twice is ambiguous: remember that with None
                    self._html_by_name[name] = None if name in self._html_by_name else page.parent
        directory = self._html_by_name.get(chat.name) if isinstance(chat.name, str) else None
        if directory is None:
            return {}
        return _read_html_dates(_html_pages(directory, self.root))


def _html_pages_of_chats(root: Path) -> list[Path]:
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
            resolved = page.resolve()
        except (OSError, RuntimeError):
            continue
        if not _outside(resolved, root) and resolved.is_file():
            pages.append(resolved)
    return pages
