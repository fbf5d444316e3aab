"""What the workbench needs to show a clip: frame timing, marks, matches.

Everything here is plain data and arithmetic on exact frame timestamps, so
the frame viewer's navigation (one second forward, next cut, go to 1:02.5)
is tested without a screen and means the same thing in the CLI.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from verifier.db.models import (
    Annotation,
    Clip,
)
from verifier.errors import VerifierError
from verifier.ids import CaseId, ClipId
from verifier.media.decode import VideoDecoder
from verifier.services.context import App
from verifier.services.frames import FrameTable, frame_table, read_still
from verifier.services.matching import list_matches

#: Float times from the window are rounded up by this much before lookup.
_TOLERANCE = Fraction(1, 10**6)


@dataclass(frozen=True)
class Mark:
    """A frame worth jumping to: a keyframe, an edit point or an annotated frame."""

    frame_index: int
    seconds: float
    kind: str  # first | cut | fade | sample | annotation
    thumbnail: Path | None = None


@dataclass(frozen=True)
class MatchedSpan:
    """A stretch of this clip that is shown in another clip."""

    other_id: ClipId
    other_name: str
    relation: str
    start: float
    end: float


@dataclass
class ClipView:
    """Timing and marks of one clip, for stepping and drawing a timeline.

    Frame times come from the clip's :class:`~verifier.services.frames.FrameTable`
    (the exact presentation-order timestamps stored by analysis), so the
    viewer, ``verifier frame --at`` and annotations agree on which frame a
    time means. Without stored timestamps (analysis failed or pending) the
    decoder builds its own index and times are estimated from the frame rate.
    """

    clip_id: ClipId
    case_id: CaseId
    name: str
    sha256: str
    path: Path
    table: FrameTable
    width: int
    height: int
    frame_count: int
    duration: float
    fps: Fraction | None
    analysis_status: str
    has_audio: bool = False
    keyframes: list[Mark] = field(default_factory=list)
    annotations: list[Mark] = field(default_factory=list)
    spans: list[MatchedSpan] = field(default_factory=list)

    @property
    def media_kind(self) -> str:
        return self.table.media_kind

    @property
    def pts(self) -> np.ndarray | None:
        return self.table.pts

    @property
    def time_base(self) -> Fraction:
        return self.table.time_base or Fraction(1)

    @property
    def is_still(self) -> bool:
        return self.table.is_image

    def container_seconds(self, frame_index: int) -> float:
        """A frame's time on the file's own clock, the one its sound track uses."""
        start = self.table.start_pts
        origin = float(start * self.time_base) if start is not None else 0.0
        return origin + self.seconds_of(frame_index)

    @property
    def last_index(self) -> int:
        return max(0, self.frame_count - 1)

    def clamp(self, index: int) -> int:
        return min(max(index, 0), self.last_index)

    def seconds_of(self, index: int) -> float:
        """Clip-relative presentation time of a frame (0 for frame 0)."""
        index = self.clamp(index)
        seconds = self.table.seconds_of(index)
        if seconds is not None:
            return seconds
        return float(index / self.fps) if self.fps else 0.0

    def pts_of(self, index: int) -> int | None:
        return self.table.pts_of(self.clamp(index))

    def index_at(self, seconds: float) -> int:
        """The frame on screen at ``seconds``: the last one that starts at or before it.

        A microsecond of tolerance absorbs float rounding, so that
        ``index_at(seconds_of(i)) == i`` for every frame.
        """
        exact = Fraction(max(seconds, 0.0)) + _TOLERANCE
        index = self.table.index_at(exact)
        if index is None:
            index = int(exact * self.fps) if self.fps else 0
        return self.clamp(index)

    def step_seconds(self, index: int, delta: float) -> int:
        """The frame ``delta`` seconds from ``index`` (at least one frame away)."""
        target = self.index_at(self.seconds_of(index) + delta)
        if target == index and delta:
            target = self.clamp(index + (1 if delta > 0 else -1))
        return target

    def _mark_indices(self) -> list[int]:
        return sorted({m.frame_index for m in self.keyframes})

    def next_mark(self, index: int) -> int:
        """The next keyframe or cut after ``index``; the last frame when there is none."""
        marks = self._mark_indices()
        pos = bisect.bisect_right(marks, index)
        return marks[pos] if pos < len(marks) else self.last_index

    def previous_mark(self, index: int) -> int:
        """The keyframe or cut before ``index``; frame 0 when there is none."""
        marks = self._mark_indices()
        pos = bisect.bisect_left(marks, index) - 1
        return marks[pos] if pos >= 0 else 0

    def timecode(self, index: int) -> str:
        """``HH:MM:SS:FF``: the whole second and the frame within that second.

        The frame number counts frames since the start of the second, so it
        is right for variable frame rates too (where ``seconds * fps`` is not).
        """
        seconds = self.seconds_of(index)
        whole = int(seconds + 1e-6)
        first = self.index_at(float(whole))
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}:{index - first:02d}"


def format_seconds(seconds: float) -> str:
    """``00:01:02.480``: hours, minutes, seconds and milliseconds."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


_TIME = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$")


def parse_position(text: str, view: ClipView) -> int:
    """A frame index from what a person types in "go to".

    ``#120``, ``f120`` or ``frame 120`` is a frame number; ``62.5``,
    ``1:02.5`` or ``00:01:02.500`` is a time. Out-of-range values are an
    error, not silently clamped, so a mistyped position is noticed.
    """
    value = text.strip().lower()
    frame = re.fullmatch(r"(?:#|f|frame\s*)(\d+)", value)
    if frame:
        index = int(frame.group(1))
        if index > view.last_index:
            raise VerifierError(f"frame {index} is past the last frame ({view.last_index})")
        return index
    match = _TIME.fullmatch(value)
    if not match:
        raise VerifierError(
            f"{text!r} is neither a time (62.5, 1:02.5, 00:01:02.500) nor a frame (#120)"
        )
    hours, minutes, seconds = match.groups()
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)
    if minutes is not None and float(seconds) >= 60:
        raise VerifierError(f"{text!r}: seconds must be below 60")
    if total > view.duration + 1e-6 and total > view.seconds_of(view.last_index):
        raise VerifierError(
            f"{format_seconds(total)} is past the end of the clip ({format_seconds(view.duration)})"
        )
    return view.index_at(total)


def _fraction(text: str | None, default: Fraction) -> Fraction:
    if not text:
        return default
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return default
    return value if value > 0 else default


def load_clip_view(app: App, clip_id: ClipId) -> ClipView:
    """Everything the viewer and the timeline need about one clip."""
    with app.db.read() as session:
        clip = session.scalar(
            select(Clip)
            .options(joinedload(Clip.file), selectinload(Clip.keyframes))
            .where(Clip.id == clip_id)
        )
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        info = clip.media_info or {}
        table = frame_table(clip)
        fps = _fraction(info.get("frame_rate"), Fraction(0)) or None
        frame_count = int(table.count or info.get("frame_count") or 1)
        keyframes = [
            Mark(
                k.frame_index,
                k.seconds,
                k.reason,
                app.store.resolve(k.thumbnail.stored_path) if k.thumbnail else None,
            )
            for k in sorted(clip.keyframes, key=lambda k: k.frame_index)
        ]
        annotated = session.execute(
            select(Annotation.frame_index).where(Annotation.clip_id == clip_id).distinct()
        ).scalars()
        view = ClipView(
            clip_id=ClipId(clip.id),
            case_id=CaseId(clip.case_id),
            name=clip.name,
            sha256=clip.file.sha256,
            path=app.store.resolve(clip.file.stored_path),
            table=table,
            width=int(clip.width or info.get("display_width") or 0),
            height=int(clip.height or info.get("display_height") or 0),
            frame_count=max(1, frame_count),
            duration=float(clip.duration or 0.0),
            fps=fps,
            analysis_status=clip.analysis_status,
            has_audio=bool(info.get("has_audio")),
            keyframes=keyframes,
        )
        view.annotations = [Mark(i, view.seconds_of(i), "annotation") for i in sorted(annotated)]
    for relation in list_matches(app, clip_id=clip_id):
        other = relation["clip_b"]
        for segment in relation["segments"]:
            view.spans.append(
                MatchedSpan(
                    ClipId(other["id"]),
                    other["name"],
                    relation["relation"],
                    float(segment["a_start"]),
                    float(segment["a_end"]),
                )
            )
    return view


class FrameSource:
    """The pixels of one clip's frames, for a viewer stepping through them.

    The decoder is opened on the first frame asked for and must then be used
    from one thread only (the viewer's lane). ``view`` may be replaced by a
    reloaded view of the same clip (new marks, same frames).
    """

    def __init__(self, view: ClipView) -> None:
        self.view = view
        self._decoder: VideoDecoder | None = None
        self._still: np.ndarray | None = None

    def frame(self, index: int, max_side: int | None) -> tuple[np.ndarray, int | None, float, bool]:
        """RGB pixels (longest side at most ``max_side``), pts, clip seconds and keyframe flag."""
        view = self.view
        if view.is_still:
            if self._still is None:
                self._still = read_still(view.path)
            rgb = self._still
            if max_side is not None and max(rgb.shape[:2]) > max_side:
                scale = max_side / max(rgb.shape[:2])
                size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            return rgb, None, 0.0, True
        if self._decoder is None:
            index_list = view.pts.tolist() if view.pts is not None else None
            # The decoder's defaults are the interactive ones (benchmarks/stepping.py).
            self._decoder = VideoDecoder(view.path, index=index_list)
        decoded = self._decoder.frame(index)
        rgb = decoded.rgb(max_side)
        return rgb, decoded.info.pts, float(decoded.info.seconds), decoded.info.key

    def close(self) -> None:
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None


def open_frame_source(view: ClipView) -> FrameSource:
    """The frame source for a loaded clip view: the decoder, or the still image."""
    return FrameSource(view)
