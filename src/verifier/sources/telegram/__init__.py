"""Read a Telegram Desktop export ("Export chat history" / "Export Telegram data", JSON).

Investigators receive collections as Telegram Desktop export folders: a
``result.json`` plus media folders (``video_files/``, ``photos/``,
``round_video_messages/`` ...) and, when HTML was exported too,
``messages.html``, ``messages2.html`` ... This package turns every post that
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
* **Where and who.** ``channel``, ``channel_id`` and ``channel_url`` describe
  the chat the post is in (its name, its id as the export writes it, its
  public address when known) and ``chat_type`` the chat's ``type`` as the
  export says (``personal_chat``, ``private_group``, ``public_supergroup``,
  ``public_channel``, ``saved_messages``, ``bot_chat``...). ``author`` and
  ``author_id`` say who posted: the message's ``from`` / ``from_id`` in
  groups and personal chats (in a personal chat the chat's name is the
  other party, whoever sent the post), and for a channel post the channel
  itself, with the post's signature (``author`` in the JSON) added as
  ``"<channel> (signed: <signature>)"``: a signature is a name the channel
  shows, not an account. ``posted_at_method`` is ``date_unixtime``.
* Service messages (joins, pinned, photo changes), stickers and voice
  messages are not evidence posts and are skipped. Messages without an
  integer ``id`` cannot be addressed and are reported, not recorded.
  :func:`not_evidence` tells, for a file of the export folder, whether and
  why it is not evidence (stickers of any format, voice messages, profile
  pictures, ``*_thumb.jpg`` previews), so a folder import skips it.

The package: this module is the public API (recognising an export,
reading it, and telling the export's non-evidence files); ``layout`` knows
the export folder's media folders; ``reader`` turns the JSON's messages into records, ``stream``
repairs the bytes under the JSON parser, and ``html_dates`` reads forwarded
posts' original dates from the HTML pages.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import ijson

from verifier.sources import AppearanceRecord, SidecarProblem
from verifier.sources.paths import resolve_inside
from verifier.sources.telegram.layout import not_evidence
from verifier.sources.telegram.reader import CHANNEL_TYPES, RESULT_JSON, ExportReader
from verifier.sources.telegram.stream import HEAD_BYTES, repairing_bytes

__all__ = ["is_telegram_export", "not_evidence", "read_telegram_export"]

_KNOWN_CHAT_TYPES = CHANNEL_TYPES | {
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
        if resolve_inside(path, root) is None or not path.is_file():
            return False
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except (OSError, ValueError, RuntimeError):
        return False
    keys: dict[str, Any] = {}
    try:
        for prefix, event, value in ijson.parse(repairing_bytes(head)):
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
    reader = ExportReader(root, path, single, known)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield SidecarProblem(path, f"cannot open {RESULT_JSON}: {exc.strerror or exc}")
        return
    with handle:
        yield from reader.run(handle)


# --------------------------------------------------------------------------- helpers


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
        if resolve_inside(path, root) is None:
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
