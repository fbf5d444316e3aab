"""Sidecar importers: where a clip was posted, read offline from downloads.

Each reader turns one kind of sidecar (a yt-dlp ``.info.json``, a Telegram
Desktop export, a hand-made manifest) into :class:`AppearanceRecord` values
(a yt-dlp channel or playlist file into a :class:`CollectionRecord`) or
:class:`SidecarProblem` values; the import service attaches the records
to clips. Readers never read or copy anything outside the folder they were
given, and never raise on bad content: a problem is reported for that
sidecar or message and the rest is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

TimePrecision = Literal["second", "minute", "date", "unknown"]

#: Deepest nesting of objects and lists a sidecar entry may have. Real exports
#: nest a few levels; an entry nested thousands of levels deep (hostile or
#: broken) would make every later recursive step (JSON encoding of the raw
#: record, comparisons) overflow Python's stack, so the readers refuse that
#: entry alone and read the rest.
MAX_NESTING = 64


@dataclass(frozen=True)
class AppearanceRecord:
    """One post of a clip, as a sidecar describes it.

    ``posted_at`` is timezone-aware UTC (or None); ``posted_at_text`` keeps
    what the source said literally, and ``posted_at_precision`` how exact it
    is ("date" for yt-dlp's ``upload_date``). ``media_path`` is the local file
    the post refers to, already checked to lie inside the sidecar's folder;
    None when the media was not downloaded (``media_available`` False).
    """

    platform: str
    source: Literal["sidecar", "manifest", "manual"] = "sidecar"
    url: str | None = None
    channel: str | None = None
    channel_id: str | None = None
    channel_url: str | None = None
    post_id: str | None = None
    posted_at: datetime | None = None
    posted_at_text: str | None = None
    posted_at_precision: TimePrecision = "unknown"
    collected_at: datetime | None = None
    # A web-archive copy of the post, entered by the analyst.
    archive_url: str | None = None
    caption: str | None = None
    forwarded_from: str | None = None
    # Where (``channel*``: a channel, a group, a personal chat) and who
    # (``author*``: the sender, or a channel post's signature) are kept apart.
    chat_type: str | None = None
    author: str | None = None
    author_id: str | None = None
    # How ``posted_at`` was obtained: the sidecar field it came from, "post id"...
    posted_at_method: str | None = None
    # The time the post id encodes (X, TikTok, Discord), beside the sidecar's own.
    id_posted_at: datetime | None = None
    id_posted_at_precision: TimePrecision | None = None
    media_path: Path | None = None
    media_available: bool = True
    sidecar_path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectionRecord:
    """A channel or playlist a downloader described, not a post.

    yt-dlp writes one ``.info.json`` with ``_type`` "playlist" (or
    "multi_video") for the channel or playlist it was asked to download,
    beside the videos' own. Its id, address and name are provenance for every
    video downloaded with it, so it is recorded, never reported as a failure.
    ``kind`` is "channel" when the list is an account's uploads, else
    "playlist".
    """

    kind: Literal["channel", "playlist"]
    platform: str
    id: str | None = None
    title: str | None = None
    url: str | None = None
    uploader: str | None = None
    uploader_id: str | None = None
    uploader_url: str | None = None
    sidecar_path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SidecarProblem:
    """A sidecar, or one entry of it, that could not be read: file and reason."""

    path: Path
    reason: str
    entry: str | None = None  # e.g. "message 123" inside a Telegram export

    def __str__(self) -> str:
        where = f" ({self.entry})" if self.entry else ""
        return f"{self.path}{where}: {self.reason}"
