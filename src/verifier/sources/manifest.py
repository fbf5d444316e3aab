"""Read hand-made manifests: where each clip of a collection was posted.

Collections gathered by hand (screen recordings, files received from
witnesses, downloads without yt-dlp) have no sidecars, so the investigator
lists the posts in a manifest next to the files. Verifier reads a file named
``manifest.csv``, ``manifest.json``, ``verifier-manifest.csv`` or
``verifier-manifest.json`` (any letter case) found in an imported folder.

Manifest format
---------------

**CSV**: UTF-8 text, with or without a byte-order mark, comma-separated,
with a header row. Column names are matched ignoring case and surrounding
spaces; the order does not matter. Fields containing commas, quotes or line
breaks must be quoted in the usual CSV way (``"a, b"``; a quote inside is
doubled: ``""``).

==============  ========  ====================================================
column          required  meaning
==============  ========  ====================================================
``path``        yes       the clip, relative to the manifest's folder; ``/``
                          or ``\\`` separate folders (``clips/a.mp4``)
``url``         no        address of the post
``platform``    no        ``youtube``, ``x``, ``telegram``, ``tiktok``, ...
                          (``twitter`` is read as ``x``); when empty it is
                          inferred from the ``url``'s host, with a warning
``posted_at``   no        when it was posted (see below)
``channel``     no        account or channel that posted it
``notes``       no        free text: the caption, or the investigator's notes
==============  ========  ====================================================

Other columns are kept, with the rest of the row, in the record's ``raw``.
A line with more cells than the header (usually an unquoted comma) is refused;
blank lines are skipped.

**JSON**: UTF-8, either a list of objects with the same keys, or an object
``{"items": [...]}`` holding that list. Values are strings (or ``null``);
other keys are kept in ``raw``.

**posted_at** must say which clock it is on, because a post time of unknown
zone can be hours off and reorder which post came first:

* ``2025-03-13T09:41:00Z`` or ``2025-03-13T11:41:00+02:00`` (also
  ``+0200``, fractions of a second, a space instead of ``T``): converted to
  UTC, precision "second";
* ``2025-03-13T09:41Z`` (no seconds): precision "minute";
* ``2025-03-13`` (a date only): that date at 00:00 UTC, precision "date";
* empty: unknown;
* a time without an offset (``2025-03-13T09:41:00``) is refused for that row:
  "time without a UTC offset: add Z or +HH:MM". Anything else that is not one
  of the forms above is refused the same way.

Rows are numbered from 1, the first one after the header in CSV (the first
list item in JSON); a problem with one row is reported as ``row N`` and the
other rows are still read. Refused rows: empty ``path``; an absolute path; a
path leading outside the manifest's folder (``..``, or a symlink out of it);
a path to a file that does not exist; a bad ``posted_at``. Problems with the
whole file (not UTF-8, malformed CSV or JSON, no ``path`` column, larger than
50 MiB) are reported once for the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from verifier.sources import AppearanceRecord, SidecarProblem, TimePrecision
from verifier.sources.paths import resolve_inside

__all__ = ["COLUMNS", "MANIFEST_NAMES", "read_manifest"]

MANIFEST_NAMES = (
    "manifest.csv",
    "manifest.json",
    "verifier-manifest.csv",
    "verifier-manifest.json",
)
COLUMNS = ("path", "url", "platform", "posted_at", "channel", "notes")

_PLATFORM_ALIASES = {"twitter": "x", "twitter.com": "x", "x.com": "x"}
# Registrable host -> platform, for rows that give a url but no platform.
_HOST_PLATFORMS = {
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "x.com": "x",
    "twitter.com": "x",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "tiktok.com": "tiktok",
    "instagram.com": "instagram",
    "facebook.com": "facebook",
    "fb.watch": "facebook",
    "vk.com": "vk",
    "vkvideo.ru": "vk",
    "rumble.com": "rumble",
    "odysee.com": "odysee",
}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<hm>\d{2}:\d{2})(?P<sec>:\d{2}(?:\.\d{1,9})?)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?"
)
_NO_OFFSET = "time without a UTC offset: add Z or +HH:MM"


def read_manifest(
    path: Path, *, max_bytes: int = 50 * 2**20
) -> Iterator[AppearanceRecord | SidecarProblem]:
    """Records for the rows of one manifest, and a problem for each bad row or file.

    Rows are yielded as they are read; a bad row never stops the others.
    Only files inside the manifest's folder are looked at.
    """
    rows = _rows(path, max_bytes)
    folder = path.parent
    for number, row in rows:
        if isinstance(row, SidecarProblem):
            yield row
            continue
        yield _record(path, folder, number, row)


# -- reading the file --------------------------------------------------------


def _rows(path: Path, max_bytes: int) -> Iterator[tuple[int, dict[str, Any] | SidecarProblem]]:
    """(row number, row) pairs; a file-level problem ends the sequence."""
    text = _read_text(path, max_bytes)
    if isinstance(text, SidecarProblem):
        yield 0, text
        return
    if path.name.lower().endswith(".json"):
        yield from _json_rows(path, text)
    else:
        yield from _csv_rows(path, text)


def _read_text(path: Path, max_bytes: int) -> str | SidecarProblem:
    try:
        if resolve_inside(path, path.parent) is None:
            return SidecarProblem(path, "manifest is a link to a file outside its folder: refused")
        if not path.is_file():
            return SidecarProblem(path, "not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            return SidecarProblem(
                path, f"file is {size} bytes, over the {max_bytes}-byte limit: not read"
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except (OSError, RuntimeError) as exc:
        return SidecarProblem(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}")
    if len(data) > max_bytes:
        return SidecarProblem(path, f"file is over the {max_bytes}-byte limit: not read")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return SidecarProblem(
            path, f"not UTF-8 text (bad byte at offset {exc.start}): save it as UTF-8"
        )


#: Longest CSV cell, in characters: Python's ``csv`` module limit (131,072),
#: stated here and in the README so that the error can name it. A longer
#: caption or note belongs in a JSON manifest, which has no such limit.
CSV_FIELD_LIMIT = csv.field_size_limit()


def _csv_error(exc: csv.Error, where: str) -> str:
    """The CSV module's complaint, with the field limit named when that is the cause."""
    if "field larger than field limit" in str(exc):
        return (
            f"a cell {where} is longer than the {CSV_FIELD_LIMIT:,}-character limit of CSV "
            "manifests (write long notes in a manifest.json instead)"
        )
    return f"malformed CSV {where}: {exc}"


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any] | SidecarProblem]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        yield 0, SidecarProblem(path, _csv_error(exc, "in the header"))
        return
    if not header or not any(cell.strip() for cell in header):
        yield 0, SidecarProblem(path, "empty CSV: no header row")
        return
    names = [cell.strip().lower() for cell in header]
    if "path" not in names:
        yield 0, SidecarProblem(path, "CSV header has no 'path' column")
        return
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        yield 0, SidecarProblem(path, f"CSV header repeats column(s): {', '.join(repeated)}")
        return
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield (
                number + 1,
                SidecarProblem(
                    path,
                    f"{_csv_error(exc, f'at line {reader.line_num}')}; rest of file not read",
                ),
            )
            return
        if not any(cell.strip() for cell in cells):
            continue
        number += 1
        if len(cells) > len(names):
            yield (
                number,
                SidecarProblem(
                    path,
                    f"line {reader.line_num} has {len(cells)} cells but the header has "
                    f"{len(names)}: quote fields that contain commas",
                    entry=f"row {number}",
                ),
            )
            continue
        row = {name: cell for name, cell in zip(names, cells, strict=False) if name}
        yield number, row


def _json_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any] | SidecarProblem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield 0, SidecarProblem(path, f"malformed JSON: {exc.msg} (line {exc.lineno})")
        return
    except (ValueError, RecursionError) as exc:
        yield 0, SidecarProblem(path, f"malformed JSON: {type(exc).__name__}")
        return
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    if not isinstance(data, list):
        yield 0, SidecarProblem(path, 'JSON manifest must be a list of objects or {"items": [...]}')
        return
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            yield number, SidecarProblem(path, "entry is not a JSON object", entry=f"row {number}")
            continue
        row = {str(k).strip().lower(): v for k, v in item.items()}
        wrong = [k for k in COLUMNS if row.get(k) is not None and not isinstance(row[k], str)]
        if wrong:
            yield (
                number,
                SidecarProblem(path, f"{', '.join(wrong)} must be text", entry=f"row {number}"),
            )
            continue
        yield number, row


# -- one row -----------------------------------------------------------------


def _record(
    manifest: Path, folder: Path, number: int, row: dict[str, Any]
) -> AppearanceRecord | SidecarProblem:
    entry = f"row {number}"

    def cell(name: str) -> str | None:
        value = row.get(name)
        return value.strip() or None if isinstance(value, str) else None

    media = _media(folder, cell("path"))
    if isinstance(media, str):
        return SidecarProblem(manifest, media, entry=entry)

    posted = _parse_posted_at(cell("posted_at"))
    if isinstance(posted, str):
        return SidecarProblem(manifest, posted, entry=entry)
    posted_at, precision = posted

    warnings: list[str] = []
    url = cell("url")
    platform = cell("platform")
    if platform is not None:
        platform = platform.lower()
        platform = _PLATFORM_ALIASES.get(platform, platform)
    else:
        platform = _platform_from_url(url)
        if platform != "unknown":
            warnings.append(f"platform {platform!r} inferred from the url's host")

    return AppearanceRecord(
        platform=platform,
        source="manifest",
        url=url,
        channel=cell("channel"),
        posted_at=posted_at,
        posted_at_text=cell("posted_at"),
        posted_at_precision=precision,
        caption=cell("notes"),
        media_path=media,
        media_available=True,
        sidecar_path=manifest,
        raw={**row, "_row": number},
        warnings=tuple(warnings),
    )


def _media(folder: Path, value: str | None) -> Path | str:
    """The row's file, resolved and checked to lie inside ``folder``; else the reason."""
    if value is None:
        return "no path: every row must name its file"
    relative = value.replace("\\", "/")
    if relative.startswith("/") or re.match(r"[A-Za-z]:", relative):
        return f"absolute path {value!r}: paths must be relative to the manifest's folder"
    shown = f"{value[:200]!r}{'…' if len(value) > 200 else ''}"
    try:
        target = resolve_inside(folder / PurePosixPath(relative), folder)
        if target is None:
            return f"path {shown} leads outside the manifest's folder: refused"
        # exists() and is_file() raise for names the system refuses (too long, NUL).
        if not target.exists():
            return f"file {shown} not found next to the manifest"
        if not target.is_file():
            return f"path {shown} is not a file"
    except (OSError, RuntimeError, ValueError) as exc:  # symlink loops, names too long, NUL
        return f"cannot resolve path {shown}: {getattr(exc, 'strerror', None) or exc}"
    return target


def _parse_posted_at(value: str | None) -> tuple[datetime | None, TimePrecision] | str:
    """(UTC time, precision), or the reason the value is refused."""
    if value is None:
        return None, "unknown"
    if _DATE.fullmatch(value):
        try:
            day = datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            return f"posted_at {value!r} is not a valid date"
        return day.replace(tzinfo=UTC), "date"
    match = _DATETIME.fullmatch(value)
    if match is None:
        return (
            f"posted_at {value!r} is not ISO 8601 (2025-03-13T09:41:00Z, "
            "2025-03-13T11:41:00+02:00 or 2025-03-13)"
        )
    if match["offset"] is None:
        return f"posted_at {value!r}: {_NO_OFFSET}"
    offset = match["offset"].upper()
    if offset != "Z" and ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    text = f"{match['date']}T{match['hm']}{match['sec'] or ''}{offset}"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return f"posted_at {value!r} is not a valid date and time"
    return when.astimezone(UTC), "second" if match["sec"] else "minute"


def _platform_from_url(url: str | None) -> str:
    if not url:
        return "unknown"
    try:
        host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    except ValueError:
        return "unknown"
    parts = host.split(".")
    for size in (2, 3):
        candidate = ".".join(parts[-size:])
        if candidate in _HOST_PLATFORMS:
            return _HOST_PLATFORMS[candidate]
    return "unknown"
