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
from typing import Any

from verifier.sources import AppearanceRecord, SidecarProblem, TimePrecision
from verifier.sources.paths import lies_inside

__all__ = ["DROPPED_KEYS", "media_for", "read_ytdlp_sidecar", "sidecar_for"]

SIDECAR_SUFFIX = ".info.json"

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

# yt-dlp extractor_key -> platform name used across Verifier. Keys are
# matched exactly first, then by prefix, because one site has several
# extractors ("YoutubeTab", "TwitterBroadcast", "TelegramEmbed",
# "InstagramStory", "FacebookReel", ...).
_PLATFORM_EXACT = {
    "youtube": "youtube",
    "twitter": "x",
    "tiktok": "tiktok",
    "telegram": "telegram",
    "telegramembed": "telegram",
    "instagram": "instagram",
    "facebook": "facebook",
    "vk": "vk",
    "vkuservideos": "vk",
    "vkwall": "vk",
    "rumble": "rumble",
    "odysee": "odysee",
}
_PLATFORM_PREFIX = (
    ("youtube", "youtube"),
    ("twitter", "x"),
    ("tiktok", "tiktok"),
    ("telegram", "telegram"),
    ("instagram", "instagram"),
    ("facebook", "facebook"),
    ("rumble", "rumble"),
    ("odysee", "odysee"),
)

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
    path: Path, *, max_bytes: int = 50 * 2**20
) -> AppearanceRecord | SidecarProblem:
    """Read one yt-dlp ``.info.json``; a problem instead of raising on bad content."""
    loaded = _load_json_object(path, max_bytes)
    if isinstance(loaded, SidecarProblem):
        return loaded
    info = loaded
    kind = info.get("_type")
    if kind in ("playlist", "multi_video"):
        return SidecarProblem(
            path, f"playlist-level metadata (_type {kind!r}), not one video: skipped"
        )

    warnings: list[str] = []
    platform = _platform(info, warnings)

    url = _text(info, "webpage_url", warnings) or _text(info, "original_url", warnings)
    if url is None:
        warnings.append("no webpage_url or original_url: the post address is unknown")

    posted_at, posted_text, precision = _posted_at(info, warnings)

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
        post_id=post_id or None,
        posted_at=posted_at,
        posted_at_text=posted_text,
        posted_at_precision=precision,
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
            name = value.strip().lower()
            if key == "extractor":  # "telegram:embed", "youtube:tab"
                name = name.split(":", 1)[0]
            if name in _PLATFORM_EXACT:
                return _PLATFORM_EXACT[name]
            for prefix, platform in _PLATFORM_PREFIX:
                if name.startswith(prefix):
                    return platform
            return name
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
) -> tuple[datetime | None, str | None, TimePrecision]:
    """Posting time, its literal source text, and an honest precision."""
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
        return when, f"{key} {value}", "second"

    if day is not None:
        when = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return when, f"upload_date {raw_date}", "date"
    return None, None, "unknown"
