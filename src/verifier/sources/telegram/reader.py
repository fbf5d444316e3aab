"""The reader of ``result.json``: one message object at a time, into appearance records.

:class:`ExportReader` walks the parser's event stream of a single-chat or a
full export, keeps only what it knows about the chat being read, builds one
message object at a time and turns each media post into an
:class:`~verifier.sources.AppearanceRecord` (time, address, caption, the
media file checked to lie inside the export, the forwarded original's date
from the HTML pages). Anything wrong with one message becomes a
:class:`~verifier.sources.SidecarProblem` and the rest is still read.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import ijson

from verifier.sources import MAX_NESTING, AppearanceRecord, SidecarProblem
from verifier.sources.paths import resolve_inside
from verifier.sources.telegram.html_dates import (
    HtmlDates,
    html_chat_name,
    html_pages,
    html_pages_of_chats,
    parse_html_title,
    read_html_dates,
)
from verifier.sources.telegram.stream import Utf8Repair

RESULT_JSON = "result.json"

_VIDEO_MEDIA_TYPES = frozenset({"video_file", "video_message", "animation"})
#: Chat types whose posts have a ``t.me/c/<id>/<post>`` address.
CHANNEL_TYPES = frozenset(
    {"public_channel", "private_channel", "public_supergroup", "private_supergroup"}
)
#: Chat types where only the channel posts (members cannot): the poster is the channel.
BROADCAST_TYPES = frozenset({"public_channel", "private_channel"})
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:")


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


def _poster(chat: _Chat, message: dict[str, Any]) -> tuple[str | None, str | None]:
    """Who posted a message (name, id), kept apart from the chat it was posted in.

    In groups, personal chats and saved messages the sender is ``from`` /
    ``from_id`` (``user123`` ...): in a personal-chat export the chat's name is
    the other party, so the chat name must never stand for the sender. A
    channel post comes from the channel; Telegram Desktop writes the channel
    as ``from`` / ``from_id`` (``channel123``) and the post's signature, when
    the channel signs its posts, as ``author``. The signature is a name the
    channel chose to show, not an account, so the poster stays the channel:
    ``"<channel> (signed: <signature>)"`` with the channel's id. An anonymous
    group admin posting as the group is handled the same way.
    """
    sender = message.get("from")
    sender_id = message.get("from_id")
    name = sender if isinstance(sender, str) and sender else None
    ident = sender_id if isinstance(sender_id, str) and sender_id else None
    if _is_int(sender_id):
        ident = str(sender_id)
    broadcast = chat.type in BROADCAST_TYPES
    if broadcast:
        name = name or (chat.name if isinstance(chat.name, str) and chat.name else None)
        if ident is None and _is_int(chat.id):
            ident = f"channel{chat.id}"
    signature = message.get("author")
    if isinstance(signature, str) and signature.strip():
        name = f"{name or 'unknown'} (signed: {signature.strip()})"
    return name, ident


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
    html: dict[int, HtmlDates] | None = None
    problems_reported: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        if self.name:
            return f"chat {self.name!r}"
        return f"chat {self.id}" if self.id is not None else "chat"


_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
_LIST_PREFIXES = ("chats.list", "left_chats.list")


class ExportReader:
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
        stream = Utf8Repair(handle)
        chats: dict[str, _Chat] = {}
        open_lists: set[str] = set()
        top_keys: set[str] = set()
        builder: Any = None
        depth = 0
        too_deep: int | None = None  # the message being skipped for its nesting
        chat: _Chat | None = None
        try:
            for prefix, event, value in ijson.parse(stream, use_float=True):
                if builder is not None:
                    if event in ("start_map", "start_array"):
                        depth += 1
                    elif event in ("end_map", "end_array"):
                        depth -= 1
                    if too_deep is None and depth > MAX_NESTING:
                        assert chat is not None
                        too_deep = chat.index
                    if too_deep is None:
                        builder.event(event, value)
                    if depth == 0:
                        assert chat is not None
                        if too_deep is None:
                            yield from self._message(chat, builder.value)
                        else:
                            # Streamed past without building it: one entry, one problem.
                            yield SidecarProblem(
                                self.path,
                                f"{chat.label}: message #{too_deep} is nested more than "
                                f"{MAX_NESTING} levels deep; skipped",
                                entry=f"message #{too_deep}",
                            )
                        builder, too_deep = None, None
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
            # yajl's messages span lines (the text, then a caret under it): one line here.
            said = " ".join(str(exc).split())[:300]
            yield SidecarProblem(
                self.path,
                f"{RESULT_JSON} is not valid JSON{where} ({type(exc).__name__}: {said}); "
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
        if channel_id is None and chat.type in BROADCAST_TYPES:
            # A channel's posts come from the channel itself: its from_id names it.
            from_id = message.get("from_id")
            channel_id = from_id if isinstance(from_id, str) else None
        author, author_id = _poster(chat, message)
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
            chat_type=chat.type if isinstance(chat.type, str) else None,
            author=author,
            author_id=author_id,
            post_id=str(ident),
            posted_at=posted_at,
            posted_at_text=posted_text,
            posted_at_precision="second" if posted_at is not None else "unknown",
            posted_at_method="date_unixtime" if posted_at is not None else None,
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
            try:
                resolved = resolve_inside(self.root / value, self.root)
            except (OSError, RuntimeError) as exc:
                reason = f"cannot resolve: {exc}"
            else:
                if resolved is None:
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
        is_channel = chat.type in CHANNEL_TYPES or (
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
        parsed = parse_html_title(dates.forwarded_title)
        own = parse_html_title(dates.own_title) if dates.own_title else None
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

    def _load_html(self, chat: _Chat) -> dict[int, HtmlDates]:
        """Read the HTML pages of this chat (root folder, or chats/<dir> matched by name)."""
        if not self.full_export:
            return read_html_dates(html_pages(self.root, self.root))
        if self._html_by_name is None:
            self._html_by_name = {}
            for page in html_pages_of_chats(self.root):
                name = html_chat_name(page)
                if name is not None:
                    # the same name twice is ambiguous: remember that with None
                    self._html_by_name[name] = None if name in self._html_by_name else page.parent
        directory = self._html_by_name.get(chat.name) if isinstance(chat.name, str) else None
        if directory is None:
            return {}
        return read_html_dates(html_pages(directory, self.root))
