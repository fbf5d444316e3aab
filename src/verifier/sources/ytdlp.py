"""Read yt-dlp ``.info.json`` sidecars into :class:`AppearanceRecord` values.

yt-dlp's ``--write-info-json`` writes ``<base>.info.json`` next to the media
``<base>.<ext>`` (with ``-k`` or a failed merge also ``<base>.f137.mp4``-style
format files). The sidecar says where the clip was posted and when, which is
what source analysis needs; this module reads it offline and defensively,
because collections come from many hands and some files are damaged or
hostile:

* nothing outside the sidecar's folder is ever read: ``_filename`` and
  ``filepath`` inside the JSON are kept as evidence in ``raw`` but never used,
  and a sidecar or media file that is a symlink leading out of the folder is
  refused;
* a file larger than ``max_bytes`` is refused before it is read;
* broken JSON, non-UTF-8 bytes, or a top level that is not an object give a
  :class:`SidecarProblem`; a field of the wrong type gives a warning on the
  record and the next-best field is used, so one bad value does not hide the
  post address.

Times: ``timestamp`` is Unix seconds (UTC), precision "second".
``upload_date`` is ``YYYYMMDD`` derived by yt-dlp in UTC; used alone it is the
date at 00:00 UTC with precision "date" -- never dressed up as a time.
``release_timestamp`` (premieres, scheduled posts) is used only when there is
no ``timestamp``, with a warning, because it is a different event.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import re
import time
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from verifier.sources import AppearanceRecord, CollectionRecord, SidecarProblem, TimePrecision
from verifier.sources.paths import lies_inside
from verifier.sources.post_ids import (
    IdTime,
    IdTimeRefused,
    compare_times,
    time_from_post_id,
    time_from_url,
)

__all__ = [
    "DROPPED_KEYS",
    "media_for",
    "platform_for_extractor",
    "read_ytdlp_sidecar",
    "sidecar_for",
]

SIDECAR_SUFFIX = ".info.json"
CollectionKind = Literal["channel", "playlist"]

#: Keys that can run to megabytes (format lists, captions, comments) and say
#: nothing about where or when the clip was posted; kept out of ``raw`` so the
#: database is not bloated. Which ones were present is noted in
#: ``raw["_dropped_keys"]``.
DROPPED_KEYS = (
    "formats",
    "thumbnails",
    "requested_formats",
    "automatic_captions",
    "subtitles",
    "heatmap",
    "comments",
)

# yt-dlp extractor_key (or extractor) -> platform name used across Verifier: the
# one table. A key is matched exactly first, then by prefix, because one site
# has many extractors ("YoutubeTab", "TwitterBroadcast", "TwitchClips",
# "TelegramEmbed", "InstagramStory", "FacebookReel", ...); the ``extractor``
# form ("youtube:tab", "twitch:stream", "twitter:spaces") is matched by the
# part before its first colon.
PLATFORM_EXACT = {
    "youtube": "youtube",
    "twitter": "x",
    "x": "x",
    "tiktok": "tiktok",
    "vmtiktok": "tiktok",
    "telegram": "telegram",
    "telegramembed": "telegram",
    "instagram": "instagram",
    "facebook": "facebook",
    "fb": "facebook",
    "vk": "vk",
    "vkuservideos": "vk",
    "vkwall": "vk",
    "twitch": "twitch",
    "rumble": "rumble",
    "odysee": "odysee",
    "lbry": "odysee",
    "reddit": "reddit",
    "vimeo": "vimeo",
    "dailymotion": "dailymotion",
    "bitchute": "bitchute",
    "rutube": "rutube",
    "odnoklassniki": "ok",
    "kick": "kick",
    "kickvod": "kick",
    "kickclips": "kick",
    "streamable": "streamable",
    "bilibili": "bilibili",
    "douyin": "douyin",
}
PLATFORM_PREFIX = (
    ("youtube", "youtube"),
    ("twitter", "x"),
    ("tiktok", "tiktok"),
    ("telegram", "telegram"),
    ("instagram", "instagram"),
    ("facebook", "facebook"),
    ("twitch", "twitch"),
    ("rumble", "rumble"),
    ("odysee", "odysee"),
    ("reddit", "reddit"),
    ("vimeo", "vimeo"),
    ("dailymotion", "dailymotion"),
    ("bitchute", "bitchute"),
    ("rutube", "rutube"),
    ("bilibili", "bilibili"),
)


def platform_for_extractor(name: str) -> str:
    """Verifier's platform name for a yt-dlp extractor key or extractor name.

    ``TwitchClips``, ``twitchvod`` and ``twitch:stream`` are all "twitch";
    ``YoutubeTab`` and ``youtube:tab`` "youtube"; ``TwitterBroadcast`` and
    ``twitter:spaces`` "x". An extractor the table does not know keeps its
    own lower-case name ("generic"), which is honest rather than a guess.
    """
    key = name.strip().lower()
    if key in PLATFORM_EXACT:
        return PLATFORM_EXACT[key]
    head = key.split(":", 1)[0]
    if head in PLATFORM_EXACT:
        return PLATFORM_EXACT[head]
    for prefix, platform in PLATFORM_PREFIX:
        if head.startswith(prefix):
            return platform
    return head or key


# Siblings that share the base name but are not the media: subtitles,
# descriptions, thumbnails, partial downloads, yt-dlp's own bookkeeping.
_NOT_MEDIA_EXT = frozenset(
    {
        "json", "part", "ytdl", "temp", "tmp", "description", "annotations.xml", "xml",
        "vtt", "srt", "ass", "ssa", "lrc", "ttml", "srv1", "srv2", "srv3", "json3",
        "jpg", "jpeg", "png", "webp", "gif", "url", "webloc", "desktop", "txt", "live_chat",
    }
)  # fmt: skip
_VIDEO_EXT = (
    "mp4", "mkv", "webm", "mov", "m4v", "avi", "flv", "ts", "3gp", "mpg", "mpeg", "ogv", "wmv",
)  # fmt: skip
_AUDIO_EXT = ("m4a", "mp3", "opus", "ogg", "oga", "aac", "flac", "wav", "weba", "mka")
# yt-dlp's format-file infix: ".f137", ".f251", ".fhls-1080p", ".fdash-video_1" (a digit
# first, or a "-"/"_" inside, so an ordinary word such as ".final" is not taken for one).
_FORMAT_SUFFIX = re.compile(r"\.f(?:\d[\w-]*|[A-Za-z0-9]+[-_][\w-]*)$")
# A folder modified this recently may still change within the clock's resolution,
# so its listing is not cached (the "racy timestamp" rule git uses for its index).
_RACY_NS = 2_000_000_000
_UPLOAD_DATE = re.compile(r"\d{8}")


def sidecar_for(media: Path) -> Path | None:
    """The ``.info.json`` yt-dlp wrote for ``media``, if it lies next to it.

    ``<base>.<ext>`` pairs with ``<base>.info.json``; a format file
    ``<base>.f137.mp4`` pairs with ``<base>.f137.info.json`` or, as yt-dlp
    normally writes it, ``<base>.info.json``.
    """
    name = media.name
    if name.endswith(SIDECAR_SUFFIX) or "." not in name:
        return None
    base = name.rsplit(".", 1)[0]
    candidates = [base]
    stripped = _FORMAT_SUFFIX.sub("", base)
    if stripped and stripped != base:
        candidates.append(stripped)
    for candidate in candidates:
        sidecar = media.with_name(candidate + SIDECAR_SUFFIX)
        if sidecar.is_file() and lies_inside(sidecar, media.parent):
            return sidecar
    return None


def media_for(sidecar: Path) -> Path | None:
    """The downloaded media next to ``<base>.info.json``; None if not downloaded.

    Any sibling ``<base>.<ext>`` (or ``<base>.f<format>.<ext>``) that is not a
    subtitle, thumbnail, description, partial download or JSON counts; video
    extensions win over audio over anything else, and the merged file over a
    format file, so the result does not depend on directory order. A sibling
    that is a symlink leading out of the folder is not returned.
    """
    name = sidecar.name
    if not name.endswith(SIDECAR_SUFFIX) or name == SIDECAR_SUFFIX:
        return None
    base = name[: -len(SIDECAR_SUFFIX)]
    folder = sidecar.parent
    best: tuple[int, int, str] | None = None
    for sibling in _names_with_prefix(folder, base + "."):
        rest = sibling[len(base) + 1 :]
        format_file = False
        if "." in rest:
            head, ext = rest.rsplit(".", 1)
            if not _FORMAT_SUFFIX.fullmatch("." + head):
                continue  # "<base>.en.vtt", "<base>.other.name.mp4": not ours
            format_file = True
        else:
            ext = rest
        ext = ext.lower()
        if not ext or ext in _NOT_MEDIA_EXT or rest.lower() in _NOT_MEDIA_EXT:
            continue
        rank = 0 if ext in _VIDEO_EXT else 1 if ext in _AUDIO_EXT else 2
        key = (rank, int(format_file), sibling)
        if best is not None and key >= best:
            continue
        candidate = folder / sibling
        if candidate.is_file() and lies_inside(candidate, folder):
            best = key
    return None if best is None else folder / best[2]


def read_ytdlp_sidecar(
    path: Path, *, max_bytes: int = 50 * 2**20, now: datetime | None = None
) -> AppearanceRecord | CollectionRecord | SidecarProblem:
    """Read one yt-dlp ``.info.json``; a problem instead of raising on bad content.

    A video's sidecar gives an :class:`AppearanceRecord`; a channel's or
    playlist's (``_type`` "playlist" or "multi_video") a
    :class:`CollectionRecord`. ``now`` is the clock post-id times are checked
    against (a time in the future is refused).
    """
    loaded = _load_json_object(path, max_bytes)
    if isinstance(loaded, SidecarProblem):
        return loaded
    info = loaded
    if info.get("_type") in ("playlist", "multi_video"):
        return _collection(info, path)

    warnings: list[str] = []
    platform = _platform(info, warnings)

    url = _text(info, "webpage_url", warnings) or _text(info, "original_url", warnings)
    if url is None:
        warnings.append("no webpage_url or original_url: the post address is unknown")

    posted_at, posted_text, precision, method = _posted_at(info, warnings)

    collected_at = None
    epoch = info.get("epoch")
    if epoch is not None:
        collected_at = _from_unix(epoch)
        if collected_at is None:
            warnings.append(f"epoch {epoch!r} is not a Unix time: collection time unknown")

    title = _text(info, "title", warnings)
    description = _text(info, "description", warnings)
    if title and description and title != description:
        caption: str | None = f"{title}\n\n{description}"
    else:
        caption = title or description

    post_id = info.get("id")
    if isinstance(post_id, int) and not isinstance(post_id, bool):
        post_id = str(post_id)
    elif post_id is not None and not isinstance(post_id, str):
        warnings.append(f"id has type {type(post_id).__name__}, expected text: ignored")
        post_id = None

    id_time = _id_time(platform, url, post_id, warnings, now)
    if id_time is not None:
        if posted_at is None:
            posted_at, precision, method = id_time.when, id_time.precision, id_time.method
            posted_text = f"post id {id_time.post_id}"
        else:
            disagreement = compare_times(posted_at, precision, id_time, source=method or "")
            if disagreement:
                warnings.append(disagreement)

    raw = {k: v for k, v in info.items() if k not in DROPPED_KEYS}
    dropped = [k for k in DROPPED_KEYS if k in info]
    if dropped:
        raw["_dropped_keys"] = dropped

    media = media_for(path)
    return AppearanceRecord(
        platform=platform,
        source="sidecar",
        url=url,
        channel=_text(info, "channel", warnings) or _text(info, "uploader", warnings),
        channel_id=_text(info, "channel_id", warnings) or _text(info, "uploader_id", warnings),
        channel_url=_text(info, "channel_url", warnings) or _text(info, "uploader_url", warnings),
        # On the platforms yt-dlp reads, the account that uploaded is who posted.
        author=_text(info, "uploader", warnings) or _text(info, "channel", warnings),
        author_id=_text(info, "uploader_id", warnings) or _text(info, "channel_id", warnings),
        post_id=post_id or None,
        posted_at=posted_at,
        posted_at_text=posted_text,
        posted_at_precision=precision,
        posted_at_method=method,
        id_posted_at=id_time.when if id_time else None,
        id_posted_at_precision=id_time.precision if id_time else None,
        collected_at=collected_at,
        caption=caption,
        media_path=media,
        media_available=media is not None,
        sidecar_path=path,
        raw=raw,
        warnings=tuple(warnings),
    )


# -- reading -----------------------------------------------------------------


def _load_json_object(path: Path, max_bytes: int) -> dict[str, Any] | SidecarProblem:
    """The sidecar's top-level object, read with a size cap and no symlink escape."""
    try:
        if not lies_inside(path, path.parent):
            return SidecarProblem(path, "sidecar is a link to a file outside its folder: refused")
        size = path.stat().st_size
        if not path.is_file():
            return SidecarProblem(path, "not a regular file")
        if size > max_bytes:
            return SidecarProblem(
                path, f"file is {size} bytes, over the {max_bytes}-byte limit: not read"
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        return SidecarProblem(path, f"cannot read: {exc.strerror or exc}")
    if len(data) > max_bytes:  # grew between stat and read
        return SidecarProblem(path, f"file is over the {max_bytes}-byte limit: not read")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return SidecarProblem(path, f"not UTF-8 text (bad byte at offset {exc.start})")
    try:
        info = json.loads(text)
    except json.JSONDecodeError as exc:
        return SidecarProblem(path, f"malformed JSON: {exc.msg} (line {exc.lineno})")
    except (ValueError, RecursionError) as exc:  # huge integers, nesting bombs
        return SidecarProblem(path, f"malformed JSON: {type(exc).__name__}")
    if not isinstance(info, dict):
        return SidecarProblem(path, f"top level is a JSON {_json_type(info)}, not an object")
    return info


def _names_with_prefix(folder: Path, prefix: str) -> list[str]:
    """Entry names in ``folder`` starting with ``prefix``.

    The sorted listing is cached per folder and modification time, so pairing
    every sidecar of a 10,000-file folder costs one listing, not 10,000.
    """
    try:
        mtime = folder.stat().st_mtime_ns
    except OSError:
        return []
    if time.time_ns() - mtime < _RACY_NS:
        names = _listing.__wrapped__(str(folder), mtime)
    else:
        names = _listing(str(folder), mtime)
    start = bisect.bisect_left(names, prefix)
    found = []
    for name in names[start:]:
        if not name.startswith(prefix):
            break
        found.append(name)
    return found


@lru_cache(maxsize=64)
def _listing(folder: str, mtime_ns: int) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(folder)))
    except OSError:
        return ()


# -- fields ------------------------------------------------------------------


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__


def _text(info: dict[str, Any], key: str, warnings: list[str]) -> str | None:
    """A text field, stripped; wrong types are reported, not used."""
    value = info.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        warnings.append(f"{key} is a JSON {_json_type(value)}, expected text: ignored")
        return None
    return value.strip() or None


def _platform(info: dict[str, Any], warnings: list[str]) -> str:
    for key in ("extractor_key", "extractor"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return platform_for_extractor(value)
    warnings.append("no extractor_key or extractor: platform unknown")
    return "unknown"


def _from_unix(value: Any) -> datetime | None:
    """UTC datetime from Unix seconds; None for anything that is not a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _upload_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _UPLOAD_DATE.fullmatch(value):
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _posted_at(
    info: dict[str, Any], warnings: list[str]
) -> tuple[datetime | None, str | None, TimePrecision, str | None]:
    """Posting time, its literal source text, an honest precision and the field used."""
    day = None
    raw_date = info.get("upload_date")
    if raw_date is not None:
        day = _upload_date(raw_date)
        if day is None:
            warnings.append(f"upload_date {raw_date!r} is not a valid YYYYMMDD date: ignored")

    for key in ("timestamp", "release_timestamp"):
        value = info.get(key)
        if value is None:
            continue
        when = _from_unix(value)
        if when is None:
            warnings.append(f"{key} {value!r} is not a Unix time: ignored")
            continue
        if key == "release_timestamp":
            warnings.append(
                "posting time taken from release_timestamp (premiere or scheduled "
                "release), as there is no upload timestamp"
            )
        if day is not None and day != when.date():
            warnings.append(
                f"upload_date {raw_date} disagrees with {key}'s UTC date {when.date().isoformat()}"
            )
        return when, f"{key} {value}", "second", key

    if day is not None:
        when = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return when, f"upload_date {raw_date}", "date", "upload_date"
    return None, None, "unknown", None


def _id_time(
    platform: str,
    url: str | None,
    post_id: str | None,
    warnings: list[str],
    now: datetime | None,
) -> IdTime | None:
    """The time the post's id encodes, read from the post address first.

    The address names the post itself (an X status id), while yt-dlp's ``id``
    can be the id of one video inside it, made earlier; so the address wins
    and ``id`` is used only when the address names no post.
    """
    found = time_from_url(url, now=now)
    if found is None:
        found = time_from_post_id(platform, post_id, now=now)
    if isinstance(found, IdTimeRefused):
        warnings.append(f"{found.reason}: no time read from it")
        return None
    return found


# -- channels and playlists ----------------------------------------------------

# Address paths of an account's own page: YouTube /@name, /channel/UC..., /c/, /user/;
# TikTok /@name; X /<name>/media; Twitch /<name>/videos or /clips.
_CHANNEL_PATH = re.compile(r"^/(?:@[^/]+|channel/[^/]+|c/[^/]+|user/[^/]+)(?:/|$)")


def _collection(info: dict[str, Any], path: Path) -> CollectionRecord:
    """A channel or playlist ``.info.json``: where a folder of posts came from."""
    warnings: list[str] = []
    platform = _platform(info, warnings)
    ident = info.get("id")
    if isinstance(ident, int) and not isinstance(ident, bool):
        ident = str(ident)
    elif not isinstance(ident, str):
        if ident is not None:
            warnings.append(f"id has type {type(ident).__name__}, expected text: ignored")
        ident = None
    url = _text(info, "webpage_url", warnings) or _text(info, "original_url", warnings)
    uploader_id = _text(info, "channel_id", warnings) or _text(info, "uploader_id", warnings)
    raw = {k: v for k, v in info.items() if k not in DROPPED_KEYS and k != "entries"}
    dropped = [k for k in (*DROPPED_KEYS, "entries") if k in info]
    if dropped:
        raw["_dropped_keys"] = dropped
    entries = info.get("entries")
    if isinstance(entries, list):
        # Which posts the list held when downloaded: ids only, the rest is bulk.
        raw["_entry_ids"] = [
            e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)
        ]
    if warnings:
        raw["_warnings"] = warnings
    return CollectionRecord(
        kind=_collection_kind(info, ident, url),
        platform=platform,
        id=ident or None,
        title=_text(info, "title", warnings),
        url=url,
        uploader=_text(info, "channel", warnings) or _text(info, "uploader", warnings),
        uploader_id=uploader_id,
        uploader_url=_text(info, "channel_url", warnings) or _text(info, "uploader_url", warnings),
        sidecar_path=path,
        raw=raw,
    )


def _collection_kind(info: dict[str, Any], ident: str | None, url: str | None) -> CollectionKind:
    """ "channel" for an account's uploads, "playlist" for anything else.

    yt-dlp marks both ``_type: playlist``; a channel's list has the account's
    own id (``channel_id``/``uploader_id``) as its id, an account page as its
    address, or a user/channel extractor ("TikTokUser", "twitch:videos").
    """
    if info.get("_type") == "multi_video":
        return "playlist"  # one post holding several videos
    if ident and ident in (info.get("channel_id"), info.get("uploader_id")):
        return "channel"
    if url:
        try:
            path = urlsplit(url).path
        except ValueError:
            path = ""
        if _CHANNEL_PATH.match(path) and "playlist" not in path:
            return "channel"
    key = info.get("extractor_key") or info.get("extractor") or ""
    if isinstance(key, str) and any(
        word in key.lower() for word in ("user", "channel", "profile", "videos")
    ):
        return "channel"
    return "playlist"
