"""Shot boundaries (cuts and fades) and keyframe choice, from small grey thumbnails.

Analysis decodes a clip once and pushes every frame's small upright grey thumbnail
into a :class:`ShotDetector`; afterwards :func:`select_keyframes` turns the
boundaries and the per-frame times into the keyframes investigators step
through and reverse-search. Everything is pure NumPy/OpenCV on arrays of a few
thousand pixels, so it costs tens of microseconds per frame next to the
milliseconds the decoder spends.

Thumbnail size: :func:`thumbnail_size` gives 64 pixels on the long side
(64x36 for 16:9, 36x64 for portrait phone video). That is enough to see a
scene's layout, while the area averaging of the downscale removes sensor noise
and compression blocking that would otherwise look like change. The detector
itself works at 16x9-ish (:data:`_COARSE_LONG_SIDE` = 16) for the cut score:
at that scale a fast pan moves the picture by well under a pixel per frame, so
the score reacts to *what* is in view, not to where it moved.

Why these rules (the failure each one prevents):

* **Cuts** need a frame-to-frame difference that is both large in absolute
  terms (``cut_threshold``) and several times the recent and coming motion
  (``adaptive_ratio``), so pans, shake and zooms don't cut but a change of
  scene during motion still does.
* A cut must also **separate** the frames: each of the next three frames must
  differ from each of the previous three. A flash or a one/two-frame glitch
  returns to the old picture, so it fails this test and yields no cut at all
  (rather than two).
* **Fades** and flashes pass through near-uniform black or white frames; no cut
  is scored across those. When such a run ends, the first visible frame is
  compared, brightness- and contrast-normalised, with the last visible frame
  before the run: a different picture means a "fade" boundary at that first
  frame of the new shot (never at a black frame, which is useless as a
  keyframe); the same picture means a flash or exposure dip and no boundary.

Known limit: slow cross-dissolves without a dark/white middle are not reported.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np

__all__ = [
    "THUMBNAIL_LONG_SIDE",
    "KeyframeChoice",
    "ShotBoundary",
    "ShotDetector",
    "select_keyframes",
    "thumbnail_size",
]

THUMBNAIL_LONG_SIDE: Final = 64
"""Long side, in pixels, of the grey thumbnails analysis should push."""

_COARSE_LONG_SIDE: Final = 16
_BEFORE_SCORES: Final = 8  # frames of recent motion the adaptive threshold looks at
_AFTER_SCORES: Final = 2  # frames of coming motion (makes the start of a pan harmless)
_SEPARATION_FRAMES: Final = 3  # frames compared on each side of a candidate cut
_SEPARATION_FACTOR: Final = 0.5
_BLANK_DARK: Final = 18.0
_BLANK_BRIGHT: Final = 237.0
_BLANK_MAX_STD: Final = 8.0

BoundaryKind = Literal["cut", "fade"]
KeyframeReason = Literal["first", "cut", "fade", "sample"]


def thumbnail_size(
    width: int, height: int, long_side: int = THUMBNAIL_LONG_SIDE
) -> tuple[int, int]:
    """(width, height) of the thumbnail for an upright frame, keeping its aspect ratio."""
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class ShotBoundary:
    """The first frame of a new shot.

    ``score`` is the evidence strength: for a cut, the mean absolute luma change
    (0-255) at that frame on the coarse thumbnail; for a fade, the mean absolute
    difference (in standard deviations) between the normalised pictures before
    and after the dark/white run.
    """

    index: int
    seconds: float
    kind: BoundaryKind
    score: float


@dataclass(frozen=True)
class KeyframeChoice:
    """A frame chosen as keyframe, and why (shown to the investigator)."""

    index: int
    seconds: float
    reason: KeyframeReason


@dataclass
class _Frame:
    index: int
    seconds: float
    coarse: np.ndarray  # float32 coarse grey thumbnail
    coarse_mean: float
    coarse_std: float
    blank: bool

    def normalised(self) -> np.ndarray:
        """The coarse picture with brightness and contrast taken out (for fades)."""
        return (self.coarse - self.coarse_mean) / max(self.coarse_std, 1.0)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two same-shaped float32 images (one C call)."""
    return float(cv2.norm(a, b, cv2.NORM_L1)) / a.size


class ShotDetector:
    """Streaming cut and fade detector; push frames in decode order, then call finish().

    Boundaries come out with a lag of :attr:`lag_frames` frames (the detector
    needs to see a few frames after a cut to tell it from a flash or the start
    of a pan). A change of thumbnail shape (e.g. a stream's resolution changes
    mid-clip) restarts the comparison without reporting a boundary.
    """

    def __init__(
        self,
        *,
        cut_threshold: float = 12.0,
        fade_threshold: float = 0.5,
        min_shot_seconds: float = 0.4,
        adaptive_ratio: float = 2.5,
    ) -> None:
        """Create a detector.

        ``cut_threshold`` is the minimum coarse mean absolute luma change (0-255)
        for a cut: 12 is above what compression flicker, noise and slow motion
        produce at 16x9 (typically 0-6) and well below a change of scene
        (typically 25-80). ``adaptive_ratio``: a cut's change must also be this
        many times the mean change of the frames around it. ``fade_threshold``
        is the normalised difference (in standard deviations; same picture
        ~0.1-0.3, unrelated pictures ~0.8-1.1) between the pictures either side
        of a dark/white run above which the run is a fade to a new shot.
        ``min_shot_seconds``: a boundary closer than this to the previous one is
        dropped (strobing, rapid glitches), so the first of them wins.
        """
        if cut_threshold <= 0 or fade_threshold <= 0 or adaptive_ratio <= 1:
            raise ValueError("thresholds must be positive and adaptive_ratio above 1")
        if min_shot_seconds < 0:
            raise ValueError("min_shot_seconds must not be negative")
        self.cut_threshold = float(cut_threshold)
        self.fade_threshold = float(fade_threshold)
        self.min_shot_seconds = float(min_shot_seconds)
        self.adaptive_ratio = float(adaptive_ratio)
        window = _BEFORE_SCORES + _AFTER_SCORES + _SEPARATION_FRAMES + 2
        self._frames: deque[_Frame] = deque(maxlen=window)
        # score of frame i = change from frame i-1 (None when either is blank or first)
        self._scores: deque[float | None] = deque(maxlen=window)
        self._shape: tuple[int, ...] | None = None
        self._last_visible: _Frame | None = None
        self._in_blank_run = False
        self._last_boundary_seconds: float | None = None
        self._pending: list[ShotBoundary] = []

    @property
    def lag_frames(self) -> int:
        """How many frames after a boundary push() may return it."""
        return max(_AFTER_SCORES, _SEPARATION_FRAMES - 1)

    # ------------------------------------------------------------------ input

    def push(self, index: int, seconds: float, gray: np.ndarray) -> list[ShotBoundary]:
        """Add one frame; return the boundaries confirmed so far (in index order)."""
        frame = self._make_frame(index, seconds, gray)
        if self._shape != gray.shape:
            self._restart(gray.shape)
        previous = self._frames[-1] if self._frames else None
        self._frames.append(frame)
        if previous is None or previous.blank or frame.blank:
            self._scores.append(None)
        else:
            self._scores.append(_mad(frame.coarse, previous.coarse))
        self._track_blank_runs(frame)
        self._evaluate_cut_candidate(len(self._frames) - 1 - self.lag_frames)
        return self._release(final=False)

    def finish(self) -> list[ShotBoundary]:
        """End of clip: judge the last frames with the look-ahead that exists, flush all."""
        self._flush_candidates()
        return self._release(final=True)

    # ------------------------------------------------------------------ internals

    def _make_frame(self, index: int, seconds: float, gray: np.ndarray) -> _Frame:
        if gray.ndim != 2 or gray.size == 0:
            raise ValueError(f"ShotDetector expects a 2-D grey thumbnail, got shape {gray.shape}")
        h, w = gray.shape
        cw, ch = thumbnail_size(w, h, _COARSE_LONG_SIDE)
        mean, std = (float(v[0, 0]) for v in cv2.meanStdDev(gray))
        blank = std < _BLANK_MAX_STD and (mean < _BLANK_DARK or mean > _BLANK_BRIGHT)
        coarse = cv2.resize(gray.astype(np.float32), (cw, ch), interpolation=cv2.INTER_AREA)
        c_mean, c_std = (float(v[0, 0]) for v in cv2.meanStdDev(coarse))
        return _Frame(int(index), float(seconds), coarse, c_mean, c_std, blank)

    def _restart(self, shape: tuple[int, ...]) -> None:
        """Forget the previous frames (new thumbnail geometry), keep emitted state."""
        self._flush_candidates()
        self._last_visible = None
        self._in_blank_run = False
        self._shape = shape

    def _flush_candidates(self) -> None:
        """Judge the frames that never got their full look-ahead, then forget all frames."""
        n = len(self._frames)
        for pos in range(max(1, n - self.lag_frames), n):
            self._evaluate_cut_candidate(pos)
        self._frames.clear()
        self._scores.clear()

    def _track_blank_runs(self, frame: _Frame) -> None:
        """Fade logic: compare the pictures either side of each dark/white run."""
        if frame.blank:
            self._in_blank_run = True
            return
        if self._in_blank_run and self._last_visible is not None:
            change = _mad(frame.normalised(), self._last_visible.normalised())
            if change > self.fade_threshold:
                self._propose(ShotBoundary(frame.index, frame.seconds, "fade", change))
        self._in_blank_run = False
        self._last_visible = frame

    def _evaluate_cut_candidate(self, pos: int) -> None:
        """Decide whether the frame at deque position ``pos`` starts a new shot (a cut)."""
        frames, scores = self._frames, self._scores
        if pos < 1 or pos >= len(frames):
            return
        score = scores[pos]
        if score is None or score < self.cut_threshold:
            return
        before = [s for s in list(scores)[max(0, pos - _BEFORE_SCORES) : pos] if s is not None]
        after = [s for s in list(scores)[pos + 1 : pos + 1 + _AFTER_SCORES] if s is not None]
        local = max(
            sum(before) / len(before) if before else 0.0,
            sum(after) / len(after) if after else 0.0,
        )
        if score < self.adaptive_ratio * local:
            return
        after_frames = list(frames)[pos : pos + _SEPARATION_FRAMES]
        before_frames = list(frames)[max(0, pos - _SEPARATION_FRAMES) : pos]
        if any(f.blank for f in after_frames) or any(f.blank for f in before_frames):
            return  # the fade logic owns transitions through blank frames
        floor = max(_SEPARATION_FACTOR * score, 0.5 * self.cut_threshold)
        for a in after_frames:
            for b in before_frames:
                if _mad(a.coarse, b.coarse) < floor:
                    return  # the picture comes back: flash or glitch, not a cut
        first = frames[pos]
        self._propose(ShotBoundary(first.index, first.seconds, "cut", score))

    def _propose(self, boundary: ShotBoundary) -> None:
        if any(p.index == boundary.index for p in self._pending):
            return
        self._pending.append(boundary)

    def _release(self, *, final: bool) -> list[ShotBoundary]:
        """Emit pending boundaries that no later evaluation can precede, applying min_shot."""
        if not self._pending:
            return []
        if final or not self._frames:
            ready = sorted(self._pending, key=lambda b: b.index)
            self._pending = []
        else:
            horizon = self._frames[-1].index - self.lag_frames
            ready = sorted((b for b in self._pending if b.index <= horizon), key=lambda b: b.index)
            self._pending = [b for b in self._pending if b.index > horizon]
        out: list[ShotBoundary] = []
        for boundary in ready:
            last = self._last_boundary_seconds
            if last is not None and boundary.seconds - last < self.min_shot_seconds:
                continue
            self._last_boundary_seconds = boundary.seconds
            out.append(boundary)
        return out


def select_keyframes(
    boundaries: Sequence[ShotBoundary],
    frame_times: Sequence[float] | np.ndarray,
    max_interval: float = 2.0,
) -> list[KeyframeChoice]:
    """Keyframes for a clip: its first frame, the first frame of every shot, and samples.

    ``frame_times[i]`` is the clip-relative time of frame index ``i`` (what
    analysis records while decoding: one float per frame). Rules:

    * frame 0 is always a keyframe (``"first"``);
    * the first frame of each shot is one (``"cut"``/``"fade"``), however close
      to the previous keyframe: a new shot is new evidence;
    * inside each shot, ``"sample"`` frames are spread **evenly** between the
      shot's first frame and the next shot's first frame (or the clip's last
      frame), as few as needed so that no two consecutive keyframes, and no
      keyframe and the clip's last frame, are more than ``max_interval`` apart.
      Even spacing is what keeps a sample from landing just before a cut: the
      next shot's keyframe already covers the end of the shot, so the samples
      share the shot's duration between them instead of being placed every
      ``max_interval`` from its start. (If frames themselves are further apart
      than ``max_interval``, e.g. a stuttering stream, the guarantee cannot
      hold across that gap and every frame there becomes a keyframe.)
    """
    if max_interval <= 0:
        raise ValueError("max_interval must be positive")
    times = np.asarray(frame_times, dtype=np.float64)
    n = int(times.shape[0])
    if n == 0:
        return []
    starts: dict[int, KeyframeReason] = {0: "first"}
    for boundary in boundaries:
        if 0 < boundary.index < n and boundary.index not in starts:
            starts[boundary.index] = boundary.kind
    shot_starts = sorted(starts)
    choices: list[KeyframeChoice] = []
    for k, start in enumerate(shot_starts):
        choices.append(KeyframeChoice(start, float(times[start]), starts[start]))
        # The span to cover ends at the next shot's keyframe, or at the last frame.
        last_shot = k + 1 == len(shot_starts)
        end = n - 1 if last_shot else shot_starts[k + 1]
        choices.extend(_even_samples(times, start, end, max_interval, last_shot=last_shot))
    return choices


def _even_samples(
    times: np.ndarray, start: int, end: int, max_interval: float, *, last_shot: bool
) -> list[KeyframeChoice]:
    """The fewest evenly spaced sample keyframes after frame ``start`` covering up to ``end``.

    ``end`` is the next shot's first frame (already a keyframe, so not a
    candidate) or, for the last shot, the clip's last frame (a candidate: with
    sparse frames it may be the only way to cover the tail). Targets are spread
    evenly and snapped to the latest frame at or before them; if snapping opens
    a gap over ``max_interval``, one more sample is tried.
    """
    span = float(times[end] - times[start])
    if span <= max_interval:
        return []
    candidates = np.arange(start + 1, end + 1 if last_shot else end)
    if candidates.size == 0:
        return []
    window = times[start : end + 1]
    first_try = max(1, math.ceil(span / max_interval) - 1)
    for count in range(first_try, int(candidates.size) + 1):
        picks: list[int] = []
        for j in range(1, count + 1):
            target = float(times[start]) + j * span / (count + 1)
            i = start + int(np.searchsorted(window, target, side="right")) - 1
            i = min(max(i, picks[-1] + 1 if picks else start + 1), int(candidates[-1]))
            if not picks or i > picks[-1]:
                picks.append(i)
        stamps = [float(times[start]), *(float(times[i]) for i in picks), float(times[end])]
        if max(np.diff(stamps)) <= max_interval:
            return [KeyframeChoice(i, float(times[i]), "sample") for i in picks]
    # Frames further apart than max_interval: every frame is needed.
    return [KeyframeChoice(int(i), float(times[i]), "sample") for i in candidates]
