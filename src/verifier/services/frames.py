"""One frame of a clip: where it sits in time, and exporting it as evidence-grade PNG.

An analyst who finds the frame that shows a landmark or an insignia exports
it, at full resolution and upright, to put in a report or to reverse-search.
The export is a derived file: it is kept in the evidence store under its own
SHA-256 with a link to the clip's file, so ``verify`` re-hashes it with the
rest, and the custody log records which frame of which file it is, and
whether its pixels were enhanced for viewing (then they are not the
original pixels, and the PNG says so in its text chunks too). The evidence
file is only read.

Frames are identified by their presentation index and exact timestamp (pts
in the stream's time base), taken from the frame index stored by analysis,
so that an export, an annotation and the frame stepper agree on which frame
"frame 50" is.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import math
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from verifier import TOOL_NAME, __version__
from verifier.db.models import Clip, StoredFile
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import ClipId, FileId
from verifier.media.decode import VideoDecoder
from verifier.media.enhance import Enhancement, apply_enhancement
from verifier.services.analysis import unpack_frame_index
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.lookup import find_clip

__all__ = [
    "ExportedFrame",
    "FrameTable",
    "export_frame",
    "frame_index_at",
    "frame_table",
    "load_frame_table",
    "parse_seconds",
]

ROLE_EXPORT = "frame-export"
ROLE_EXPORT_ENHANCED = "frame-export-enhanced"


# ----------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class FrameTable:
    """What is known about a clip's frames without decoding them.

    ``pts`` is the presentation-order timestamp of every frame (from
    analysis; None before analysis), ``time_base`` the stream's time base.
    A still image has exactly one frame, 0, at 0 s and no timestamps.
    """

    media_kind: str
    pts: np.ndarray | None = None
    time_base: Fraction | None = None
    count: int | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    @property
    def is_image(self) -> bool:
        return self.media_kind == "image"

    @property
    def start_pts(self) -> int | None:
        """pts of frame 0: clip-relative times count from it, as the decoder's do."""
        if self.pts is None or not len(self.pts):
            return None
        return int(self.pts[0])

    def check_index(self, frame_index: int, what: str = "the clip") -> None:
        """Raise a VerifierError a person can act on if the frame does not exist."""
        if self.count is None:
            raise VerifierError(f"the number of frames of {what} is unknown")
        if not 0 <= frame_index < self.count:
            if self.is_image:
                raise VerifierError(
                    f"frame {frame_index} does not exist: a still image has only frame 0"
                )
            raise VerifierError(
                f"frame {frame_index} is outside {what} (frames 0..{self.count - 1})"
            )

    def pts_of(self, frame_index: int) -> int | None:
        if self.is_image or self.pts is None or not 0 <= frame_index < len(self.pts):
            return None
        return int(self.pts[frame_index])

    def seconds_of(self, frame_index: int) -> float | None:
        """Clip-relative presentation time of a frame, or None when not known."""
        if self.is_image:
            return 0.0
        pts, start = self.pts_of(frame_index), self.start_pts
        if pts is None or start is None or self.time_base is None:
            return None
        return float((pts - start) * self.time_base)

    def index_at(self, seconds: Fraction) -> int | None:
        """The frame on screen at clip-relative ``seconds``: the last one starting at or before.

        Exact arithmetic on integer pts, as the decoder does, so a frame that
        starts exactly at ``seconds`` is chosen. None when the timestamps are
        not known (the caller then asks the decoder).
        """
        if self.is_image:
            return 0
        start = self.start_pts
        if self.pts is None or start is None or self.time_base is None:
            return None
        target = start + math.floor(seconds / self.time_base)
        if self._monotonic:
            return max(0, bisect.bisect_right(self._pts_list, target) - 1)
        # Broken files keep the decoder's order: the last frame at or before.
        hits = np.flatnonzero(self.pts <= target)
        return int(hits[-1]) if hits.size else 0

    # Cached: the viewer looks times up on every playback tick and timeline drag.
    @cached_property
    def _pts_list(self) -> list[int]:
        return [] if self.pts is None else self.pts.tolist()

    @cached_property
    def _monotonic(self) -> bool:
        values = self.pts
        return values is not None and bool(np.all(values[1:] > values[:-1]))


def _time_base(clip: Clip) -> Fraction | None:
    text = (clip.media_info or {}).get("time_base")
    if not text and clip.keyframes:
        text = clip.keyframes[0].time_base
    if not text:
        return None
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None
    return value if value > 0 else None


def frame_table(clip: Clip) -> FrameTable:
    """The clip's frame facts as stored in the database (no file access)."""
    if clip.media_kind == "image":
        return FrameTable("image", count=1, width=clip.width, height=clip.height, duration=0.0)
    pts = unpack_frame_index(clip.frame_index) if clip.frame_index else None
    count = len(pts) if pts is not None and len(pts) else clip.frame_count
    return FrameTable(
        clip.media_kind,
        pts=pts if pts is not None and len(pts) else None,
        time_base=_time_base(clip),
        count=count,
        width=clip.width,
        height=clip.height,
        duration=clip.duration,
    )


def _open_decoder(path: Path, table: FrameTable) -> VideoDecoder:
    index = table.pts.tolist() if table.pts is not None else None
    try:
        return VideoDecoder(path, index=index)
    except av.error.FFmpegError as exc:  # pragma: no cover - VideoDecoder wraps these
        raise VerifierError(f"cannot be decoded ({exc})", path=path) from exc


def read_still(path: Path) -> np.ndarray:
    """A still, upright per its EXIF orientation, as RGB (as analysis sees it)."""
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (OSError, ValueError) as exc:
        raise VerifierError(f"the image cannot be decoded ({exc})", path=path) from exc


def load_frame_table(app: App, clip: Clip) -> FrameTable:
    """The stored frame facts, completed from the file when analysis left gaps.

    Before analysis (or after it failed) the frame count or size may be
    unknown; the decoder's packet index gives them without decoding every
    frame. Call this inside a read session; the file is only read.
    """
    table = frame_table(clip)
    if table.count is not None and table.width and table.height:
        return table
    path = app.store.resolve(clip.file.stored_path)
    if table.is_image:
        height, width = read_still(path).shape[:2]
        return FrameTable("image", count=1, width=width, height=height, duration=0.0)
    with _open_decoder(path, table) as decoder:
        return FrameTable(
            table.media_kind,
            pts=table.pts if table.pts is not None else np.array(decoder.frame_pts, np.int64),
            time_base=table.time_base or decoder.time_base,
            count=table.count if table.count is not None else decoder.frame_count,
            width=table.width or decoder.width,
            height=table.height or decoder.height,
            duration=table.duration,
        )


def parse_seconds(text: str | float | Fraction) -> Fraction:
    """A clip-relative time typed by a person (``12.48``, ``2``, ``1/3``), kept exact.

    Decimal text is read exactly (``0.12`` is 12/100, not the nearest binary
    float), so the frame starting at that instant is the one chosen.
    """
    try:
        value = Fraction(str(text).strip()) if not isinstance(text, Fraction) else text
    except (ValueError, ZeroDivisionError) as exc:
        raise VerifierError(f"cannot read the time {text!r}: give seconds, e.g. 12.48") from exc
    if value < 0:
        raise VerifierError(f"the time {text} is before the start of the clip")
    return value


def frame_index_at(
    app: App,
    clip_ref: str | ClipId,
    seconds: str | float | Fraction,
    case: CaseRecord | None = None,
) -> int:
    """Index of the frame displayed at clip-relative ``seconds``.

    That is the last frame whose clip-relative time is <= ``seconds``. A time
    after the end of the clip is refused rather than silently clamped.
    """
    value = parse_seconds(seconds)
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        table = frame_table(clip)
        path = app.store.resolve(clip.file.stored_path)
        clip_id = clip.id
    if table.is_image:
        return 0  # a still is on screen at any time
    if table.duration is not None and value > Fraction(table.duration) + Fraction(1, 10**6):
        raise VerifierError(
            f"{float(value):g} s is after the end of clip #{clip_id} ({table.duration:.3f} s)"
        )
    index = table.index_at(value)
    if index is None:
        with _open_decoder(path, table) as decoder:
            index = decoder.index_at(value)
    return index


# ----------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportedFrame:
    """One exported frame: the derived file in the store and the copy written out."""

    clip_id: ClipId
    file_id: FileId
    sha256: str
    stored_path: str  # relative to the evidence store root
    size: int
    out_path: Path | None
    frame_index: int
    pts: int | None
    time_base: str | None
    seconds: float | None
    source_sha256: str
    enhanced: bool
    enhancement: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["out_path"] = str(self.out_path) if self.out_path is not None else None
        return data


def _check_out_path(app: App, out_path: Path, original_path: str | None) -> Path:
    """Refuse destinations that would overwrite evidence or mislead about the format."""
    if out_path.suffix.lower() != ".png":
        raise VerifierError("the frame is written as PNG: give a file name ending in .png",
                            path=out_path)  # fmt: skip
    target = out_path.resolve()
    if target.is_dir():
        raise VerifierError("is a folder: give a file name ending in .png", path=out_path)
    if not target.parent.is_dir():
        raise VerifierError("the folder does not exist", path=out_path.parent)
    if target.is_relative_to(app.store.root.resolve()):
        raise VerifierError("cannot write into the evidence store", path=out_path)
    if original_path and target == Path(original_path).resolve():
        raise VerifierError("is the clip's original file: it is never overwritten",
                            path=out_path)  # fmt: skip
    return target


def write_atomically(path: Path, data: bytes, failure: str) -> None:
    """Write a whole new file or nothing: a ``.part`` beside it, then rename.

    Shared by every copy of a stored PNG a person asks for (exported frames,
    landmark and sync figures), so none can leave half a file; ``failure``
    starts the one-line error (``--out: cannot write the figure``).
    """
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        part.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise VerifierError(f"{failure} ({exc.strerror or exc})", path=path) from exc


def _write_atomically(path: Path, data: bytes) -> None:
    write_atomically(path, data, "cannot write the frame")


def encode_png(rgb: np.ndarray, text: dict[str, str]) -> bytes:
    """PNG bytes with ``text`` as tEXt chunks; the same input gives the same bytes."""
    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _png_text(
    source_sha: str, index: int, pts: int | None, time_base: str | None,
    seconds: float | None, enhancement: Enhancement | None,
) -> dict[str, str]:  # fmt: skip
    setting = enhancement.describe() if enhancement is not None else "none"
    when = f"{seconds:.6f} s" if seconds is not None else "time unknown"
    pixels = (
        "pixels as decoded, unchanged"
        if enhancement is None
        else f"pixels ENHANCED for viewing ({setting}): not the original pixels"
    )
    return {
        "Software": f"{TOOL_NAME} {__version__}",
        "Source SHA-256": source_sha,
        "Frame index": str(index),
        "PTS": "none" if pts is None else str(pts),
        "Time base": time_base or "none",
        "Seconds": "none" if seconds is None else f"{seconds:.6f}",
        "Enhancement": setting,
        "Description": f"Frame {index} ({when}) of the file with SHA-256 {source_sha}; {pixels}.",
    }


def derived_png(
    app: App, session: Any, sha: str, relative: str, size: int, source_id: int, role: str,
    name: str,
) -> StoredFile:  # fmt: skip
    """The stored-file row of a PNG made from ``source_id`` (already put in the store as
    ``relative``): the existing row when the same bytes were stored before, else a new one.

    Shared by exported frames, landmark, sync and sun-path figures: the same bytes are one
    stored file however many times they are made.
    """
    existing = session.scalar(select(StoredFile).where(StoredFile.sha256 == sha))
    if existing is not None:
        return existing
    stored = StoredFile(
        sha256=sha,
        size=size,
        kind="derived",
        role=role,
        original_name=name,
        mime_type="image/png",
        container="png",
        stored_path=relative,
        imported_by=app.analyst,
        derived_from_id=source_id,
    )
    session.add(stored)
    session.flush()
    return stored


def export_frame(
    app: App,
    clip_ref: str | ClipId,
    frame_index: int,
    out_path: Path | None = None,
    enhancement: Enhancement | None = None,
    case: CaseRecord | None = None,
) -> ExportedFrame:
    """Export one frame, full resolution and upright, as a PNG kept in the store.

    The PNG is stored as a derived file (its own SHA-256, linked to the
    clip's file); the same frame exported again with the same settings is
    the same bytes and the same row. With ``out_path`` a copy is written
    there atomically. The export and its custody event commit together; if
    the copy cannot be written, neither is recorded.
    """
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        table = frame_table(clip)
        # A store that is not mounted is named as such, not as a decoding problem.
        source = app.store.readable(clip.file.stored_path)
        clip_id, case_id, file_id = clip.id, clip.case_id, clip.file_id
        source_sha, original_path = clip.file.sha256, clip.file.original_path
    target = _check_out_path(app, out_path, original_path) if out_path is not None else None
    if enhancement is not None and enhancement.is_identity:
        enhancement = None

    if table.is_image:
        table.check_index(frame_index, f"still image #{clip_id}")
        rgb = read_still(source)
        pts, time_base, seconds = None, None, 0.0
    else:
        with _open_decoder(source, table) as decoder:
            # The decoder's count: the stored index, or the container's before analysis.
            counted = FrameTable("video", count=decoder.frame_count)
            counted.check_index(frame_index, f"clip #{clip_id}")
            try:
                decoded = decoder.frame(frame_index)
                rgb = decoded.rgb()
            except av.error.FFmpegError as exc:
                raise VerifierError(f"frame {frame_index} cannot be decoded ({exc})",
                                    path=source) from exc  # fmt: skip
            pts = decoded.info.pts
            tb = decoded.info.time_base
            time_base = f"{tb.numerator}/{tb.denominator}"
            seconds = float(decoded.info.seconds)
    if enhancement is not None:
        rgb = apply_enhancement(rgb, enhancement)
    data = encode_png(rgb, _png_text(source_sha, frame_index, pts, time_base, seconds,
                                     enhancement))  # fmt: skip
    role = ROLE_EXPORT_ENHANCED if enhancement is not None else ROLE_EXPORT
    suffix = "-enhanced" if enhancement is not None else ""
    name = f"{source_sha[:12]}-f{frame_index}{suffix}.png"
    # Stored before the transaction, as thumbnails are: if the transaction
    # fails, an unreferenced object remains, which verify reports as intact.
    # A full or read-only store raises StoreWriteError (one line, the store named).
    sha, relative, _new = app.store.put_bytes(data)

    with app.db.write() as session:
        stored = derived_png(app, session, sha, relative, len(data), file_id, role, name)
        result = ExportedFrame(
            clip_id=ClipId(clip_id),
            file_id=FileId(stored.id),
            sha256=sha,
            stored_path=stored.stored_path,
            size=len(data),
            out_path=target,
            frame_index=frame_index,
            pts=pts,
            time_base=time_base,
            seconds=seconds,
            source_sha256=source_sha,
            enhanced=enhancement is not None,
            enhancement=enhancement.to_json() if enhancement is not None else None,
        )
        custody.record(
            session,
            actor=app.analyst,
            action="frame.export",
            target_type="clip",
            target_id=clip_id,
            case_id=case_id,
            details={**result.to_json(), "role": role},
            items=[stored],
        )
        if target is not None:
            # Inside the transaction: a copy that cannot be written rolls back
            # the record of the export.
            _write_atomically(target, data)
    return result
