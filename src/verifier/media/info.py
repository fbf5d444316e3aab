"""The plain facts a probe returns, and the small readers probing shares.

Kept apart from :mod:`verifier.media.probe` (clips) and
:mod:`verifier.media.stills` (images) so that each of them can use these
without importing the other.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from verifier.errors import VerifierError

MediaKind = Literal["video", "image"]


@dataclass(frozen=True)
class MediaInfo:
    """Everything a verification report states about a file's technical metadata.

    Frozen so a probe result can be shared between the GUI, the report and the
    database without anyone changing it by accident. Values are JSON-safe
    (``to_json``/``from_json`` round-trip exactly) so they can be stored as a
    document next to the clip.

    Dimensions: ``coded_width``/``coded_height`` are the frame as stored in the
    stream (before rotation); ``display_width``/``display_height`` are upright
    (swapped for a 90°/270° rotation). ``display_aspect_ratio`` describes the
    upright picture too. The sample aspect ratio is reported, not applied to the
    display size.
    """

    kind: MediaKind
    container_format: str | None = None
    container_long_name: str | None = None
    duration: float | None = None
    size_bytes: int = 0
    overall_bit_rate: int | None = None
    # Still images.
    image_format: str | None = None
    # Video stream.
    video_codec: str | None = None
    video_codec_long: str | None = None
    video_profile: str | None = None
    pix_fmt: str | None = None
    coded_width: int | None = None
    coded_height: int | None = None
    rotation: int = 0
    mirrored: bool = False
    display_width: int | None = None
    display_height: int | None = None
    sample_aspect_ratio: str | None = None
    display_aspect_ratio: str | None = None
    frame_rate: str | None = None
    frame_rate_float: float | None = None
    variable_frame_rate: bool = False
    frame_count: int | None = None
    frame_count_header: int | None = None
    video_bit_rate: int | None = None
    start_time: float | None = None
    time_base: str | None = None
    video_encoder: str | None = None
    # First audio stream.
    has_audio: bool = False
    audio_codec: str | None = None
    audio_channels: int | None = None
    audio_sample_rate: int | None = None
    audio_bit_rate: int | None = None
    # Provenance.
    creation_time: str | None = None
    creation_time_raw: str | None = None
    creation_time_source: str | None = None
    creation_time_is_local: bool = False
    encoder: str | None = None
    handler_name: str | None = None
    major_brand: str | None = None
    device_make: str | None = None
    device_model: str | None = None
    gps: dict[str, Any] | None = None
    gps_raw: str | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def width(self) -> int | None:
        """Upright width, the one a person sees."""
        return self.display_width

    @property
    def height(self) -> int | None:
        """Upright height, the one a person sees."""
        return self.display_height

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (tuples become lists) for storage next to the clip."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["warnings"] = list(self.warnings)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaInfo:
        """Rebuild from :meth:`to_json` output; unknown keys (newer versions) are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        if data.get("kind") not in ("video", "image"):
            raise VerifierError(f"stored media info has no valid kind: {data.get('kind')!r}")
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["warnings"] = tuple(kwargs.get("warnings") or ())
        kwargs["tags"] = dict(kwargs.get("tags") or {})
        return cls(**kwargs)


@dataclass(frozen=True)
class FileHead:
    """The first bytes and size of a readable regular file."""

    path: Path
    size: int
    head: bytes


def read_head(path: str | Path, n: int = 64) -> FileHead:
    """Check that ``path`` is a readable, non-empty regular file and return its first bytes.

    Done before handing the file to FFmpeg so that the user gets "file is empty"
    or "permission denied" instead of FFmpeg's generic "invalid data".
    """
    p = Path(path)
    if not p.exists():
        raise VerifierError("file not found", path=p)
    if p.is_dir():
        raise VerifierError("is a folder, not a media file", path=p)
    if not p.is_file():
        raise VerifierError("not a regular file (device, pipe or socket)", path=p)
    try:
        with p.open("rb") as fh:
            head = fh.read(n)
    except PermissionError as exc:
        raise VerifierError("cannot read the file (permission denied)", path=p) from exc
    except OSError as exc:
        raise VerifierError(f"cannot read the file ({exc.strerror or exc})", path=p) from exc
    size = p.stat().st_size
    if size == 0 or not head:
        raise VerifierError("file is empty (0 bytes)", path=p)
    return FileHead(p, size, head)


def sniff_still(head: bytes) -> str | None:
    """Name the still-image format from magic bytes, or None if it is not a still.

    Content, not the file name, decides: evidence is often renamed. GIF is left
    to PyAV because it can be animated.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"):
            return "HEIF"
        if brand in (b"avif", b"avis"):
            return "AVIF"
    return None


def parse_timestamp(text: str | None) -> tuple[datetime | None, bool]:
    """Parse a metadata timestamp; return ``(datetime, is_local)``.

    An aware result is converted to UTC. A text without offset is returned
    naive with ``is_local=True`` so callers can say the time zone is unknown
    (MP4 ``creation_time`` is UTC by specification; callers decide).
    Accepts ISO 8601 with ``Z``/``+HH:MM``/``+HHMM`` offsets, a space instead
    of ``T``, and EXIF's ``YYYY:MM:DD HH:MM:SS``.
    """
    if not text:
        return None, False
    s = text.strip().rstrip("\x00").strip()
    exif = re.match(r"^(\d{4}):(\d{2}):(\d{2})([ T].*)$", s)
    if exif:
        s = f"{exif[1]}-{exif[2]}-{exif[3]}{exif[4]}"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None, False
    if dt.tzinfo is None:
        return dt, True
    return dt.astimezone(UTC), False


def format_utc(dt: datetime) -> str:
    """ISO 8601 with a ``Z`` suffix for UTC (seconds, microseconds only when present)."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
        suffix = "Z"
    else:
        suffix = ""
    spec = "microseconds" if dt.microsecond else "seconds"
    return dt.isoformat(timespec=spec) + suffix


#: Largest picture (width × height, in pixels) that is decoded: a still or a
#: video frame declaring more is refused from its header, before any pixel is
#: decoded. A header costs a few bytes while decoding it costs 3-4 bytes per
#: pixel and more for conversions (a 1.6 MB PNG declaring 12000×12000 took
#: 2.3 GB), so a hostile or damaged file could otherwise exhaust the memory of
#: the whole batch. 100 megapixels holds 8K video (33 MP) and the photos of
#: 108 MP phone cameras with room to spare.
MAX_PIXELS = 100_000_000
#: Longest side that is decoded, for the same reason (a 1×2,000,000 strip).
MAX_SIDE = 65_535


def check_dimensions(width: int | None, height: int | None, path: Path | str) -> None:
    """Refuse a picture whose declared size is beyond :data:`MAX_PIXELS` or :data:`MAX_SIDE`.

    Called with the sizes a header declares, before decoding, by the still and
    clip probes and again by the analysis (which may be given a file directly).
    """
    if not width or not height:
        return
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise VerifierError(
            f"the picture declares {width}×{height} pixels, more than the "
            f"{MAX_PIXELS // 1_000_000} megapixels (or {MAX_SIDE} pixels a side) Verifier "
            "decodes; refused before decoding (a damaged header or a decompression bomb)",
            path=path,
        )
