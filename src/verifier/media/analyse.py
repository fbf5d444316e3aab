"""Clip analysis in one decoding pass: shots, keyframes, sampled frame hashes.

Decoding dominates the cost of analysis, so every frame is decoded exactly
once and everything is computed from that pass:

* every frame's small grey thumbnail feeds the shot detector (cuts, fades);
* frames at :data:`HASH_SAMPLE_RATE` per second are converted once to a
  small RGB image (long side :data:`HASH_IMAGE_SIDE`) that gives their pHash,
  their PDQ hash and a JPEG thumbnail (kept compressed in memory, ~10 KB);
* the few frames around each shot boundary are held in a short ring buffer,
  because the detector confirms a boundary a couple of frames late and the
  boundary frame becomes a keyframe.

After the pass, :func:`verifier.media.shots.select_keyframes` picks keyframes
(first frame, each shot's first frame, evenly spread samples). Samples are
moved to the nearest hashed frame, which is why selection uses an interval
shortened by one sampling step: the promised maximum gap still holds.

The result is plain data; the analysis service stores it.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from verifier.errors import VerifierError
from verifier.hashing.frames import FrameHashes, is_low_information, pdq256, phash64
from verifier.media.decode import DecodedFrame, VideoDecoder
from verifier.media.shots import ShotBoundary, ShotDetector, select_keyframes, thumbnail_size
from verifier.progress import CancelToken

ANALYSIS_VERSION = "1"
HASH_SAMPLE_RATE = 5.0
"""Frames hashed per second: every 0.2 s, so a re-upload trimmed at any
point still has a hashed frame within 0.1 s of each of ours."""
HASH_IMAGE_SIDE = 320
"""Long side of the image hashed and kept as thumbnail. PDQ and pHash reduce
every image to 64x64 and 32x32 first, so hashing a full-resolution frame
would cost more and change nothing that matters."""
MAX_KEYFRAME_INTERVAL = 2.0
JPEG_QUALITY = 85

FrameProgress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class KeyframeResult:
    index: int
    pts: int
    seconds: float
    reason: str
    score: float | None
    thumbnail_jpeg: bytes
    phash: int
    pdq: bytes
    pdq_quality: int


@dataclass
class ClipAnalysis:
    """Everything one pass over a clip found."""

    time_base: str
    frame_pts: np.ndarray  # int64, presentation order: frame index -> pts
    keyframes: list[KeyframeResult]
    boundaries: list[ShotBoundary]
    hashes: FrameHashes
    errors: list[str] = field(default_factory=list)

    @property
    def frame_count(self) -> int:
        return int(self.frame_pts.shape[0])


@dataclass
class _Sample:
    """A hashed frame, kept until keyframe selection is done."""

    index: int
    pts: int
    seconds: float
    phash: int
    pdq: bytes
    quality: int
    low_info: bool
    jpeg: bytes


def encode_jpeg(rgb: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:  # pragma: no cover - OpenCV fails only on empty images
        raise VerifierError("could not encode a thumbnail")
    return buffer.tobytes()


def _hash_image(rgb: np.ndarray, gray_small: np.ndarray) -> tuple[int, bytes, int, bool]:
    phash = phash64(rgb)
    pdq, quality = pdq256(rgb)
    return phash, pdq, quality, is_low_information(gray_small, quality)


def analyse_video(
    path: Path,
    *,
    frame_index: np.ndarray | None = None,
    cancel: CancelToken | None = None,
    on_frame: FrameProgress | None = None,
    hash_rate: float = HASH_SAMPLE_RATE,
    max_interval: float = MAX_KEYFRAME_INTERVAL,
) -> ClipAnalysis:
    """Analyse a video file; raise VerifierError if not a single frame decodes."""
    step = 1.0 / hash_rate
    with VideoDecoder(path) as decoder:
        expected = len(frame_index) if frame_index is not None else None
        gray_w, gray_h = thumbnail_size(decoder.width, decoder.height)
        detector = ShotDetector()
        recent: collections.deque[DecodedFrame] = collections.deque(maxlen=detector.lag_frames + 2)
        boundary_frames: dict[int, tuple[DecodedFrame, np.ndarray]] = {}
        boundaries: list[ShotBoundary] = []
        samples: list[_Sample] = []
        times: list[float] = []
        pts_list: list[int] = []
        next_sample = 0.0
        grays: dict[int, np.ndarray] = {}

        def keep_boundaries(found: list[ShotBoundary]) -> None:
            for boundary in found:
                boundaries.append(boundary)
                for frame in recent:
                    if frame.info.index == boundary.index:
                        boundary_frames[boundary.index] = (frame, grays[boundary.index])

        for frame in decoder.iter_frames(cancel):
            info = frame.info
            seconds = float(info.seconds)
            times.append(seconds)
            pts_list.append(info.pts)
            gray = frame.gray(gray_w, gray_h)
            recent.append(frame)
            grays[info.index] = gray
            if len(grays) > recent.maxlen:  # type: ignore[operator]
                grays.pop(min(grays))
            keep_boundaries(detector.push(info.index, seconds, gray))
            if seconds + 1e-9 >= next_sample:
                rgb = frame.rgb(HASH_IMAGE_SIDE)
                phash, pdq, quality, low = _hash_image(rgb, gray)
                samples.append(
                    _Sample(
                        info.index, info.pts, seconds, phash, pdq, quality, low, encode_jpeg(rgb)
                    )
                )
                next_sample = (math.floor(seconds / step + 1e-9) + 1) * step
            if on_frame is not None and info.index % 25 == 0:
                on_frame(info.index, expected or decoder.frame_count or None)
        keep_boundaries(detector.finish())
        errors = list(decoder.errors)
        if not times:
            reason = errors[0] if errors else "no frame could be decoded"
            raise VerifierError(f"no frame could be decoded ({reason})", path=path)
        time_base = decoder.time_base

        choices = select_keyframes(boundaries, times, max(step, max_interval - step))
        by_index = {s.index: s for s in samples}
        sample_indices = np.array([s.index for s in samples])
        boundary_by_index = {b.index: b for b in boundaries}
        keyframes: list[KeyframeResult] = []
        taken: set[int] = set()
        for choice in choices:
            if choice.reason == "sample" or (
                choice.index not in boundary_frames and choice.index not in by_index
            ):
                # Move to the nearest hashed frame, whose thumbnail we kept.
                nearest = int(sample_indices[np.argmin(np.abs(sample_indices - choice.index))])
                sample = by_index[nearest]
                reason = (
                    choice.reason
                    if choice.reason != "sample" or nearest not in boundary_by_index
                    else "sample"
                )
                if nearest in taken:
                    continue
                taken.add(nearest)
                keyframes.append(
                    KeyframeResult(
                        nearest,
                        sample.pts,
                        sample.seconds,
                        reason,
                        None,
                        sample.jpeg,
                        sample.phash,
                        sample.pdq,
                        sample.quality,
                    )
                )
                continue
            if choice.index in taken:
                continue
            taken.add(choice.index)
            if choice.index in by_index:
                s = by_index[choice.index]
                score = (
                    boundary_by_index[choice.index].score
                    if choice.index in boundary_by_index
                    else None
                )
                keyframes.append(
                    KeyframeResult(
                        s.index,
                        s.pts,
                        s.seconds,
                        choice.reason,
                        score,
                        s.jpeg,
                        s.phash,
                        s.pdq,
                        s.quality,
                    )
                )
                continue
            frame, gray = boundary_frames[choice.index]
            rgb = frame.rgb(HASH_IMAGE_SIDE)
            phash, pdq, quality, _ = _hash_image(rgb, gray)
            keyframes.append(
                KeyframeResult(
                    choice.index,
                    frame.info.pts,
                    float(frame.info.seconds),
                    choice.reason,
                    boundary_by_index[choice.index].score,
                    encode_jpeg(rgb),
                    phash,
                    pdq,
                    quality,
                )
            )
    keyframes.sort(key=lambda k: k.index)
    hashes = FrameHashes(
        index=np.array([s.index for s in samples], dtype=np.int32),
        pts=np.array([s.pts for s in samples], dtype=np.int64),
        seconds=np.array([s.seconds for s in samples], dtype=np.float64),
        phash=np.array([s.phash for s in samples], dtype=np.uint64),
        pdq=np.array(
            [np.frombuffer(s.pdq, dtype=np.uint8) for s in samples], dtype=np.uint8
        ).reshape(-1, 32),
        quality=np.array([s.quality for s in samples], dtype=np.uint8),
        low_info=np.array([s.low_info for s in samples], dtype=bool),
        time_base=_fraction_text(time_base),
        sample_rate=hash_rate,
    )
    return ClipAnalysis(
        time_base=_fraction_text(time_base),
        frame_pts=np.array(pts_list, dtype=np.int64),
        keyframes=keyframes,
        boundaries=boundaries,
        hashes=hashes,
        errors=errors,
    )


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def analyse_still(path: Path) -> ClipAnalysis:
    """A still is one frame: its keyframe and hash, upright per EXIF orientation."""
    try:
        with Image.open(path) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError) as exc:
        raise VerifierError(f"the image cannot be decoded ({exc})", path=path) from exc
    full = np.asarray(upright)
    scale = HASH_IMAGE_SIDE / max(full.shape[:2])
    rgb = (
        full
        if scale >= 1
        else cv2.resize(
            full,
            (max(1, round(full.shape[1] * scale)), max(1, round(full.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
    )
    w, h = thumbnail_size(rgb.shape[1], rgb.shape[0])
    gray = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (w, h), interpolation=cv2.INTER_AREA)
    phash, pdq, quality, low = _hash_image(rgb, gray)
    jpeg = encode_jpeg(rgb)
    keyframe = KeyframeResult(0, 0, 0.0, "first", None, jpeg, phash, pdq, quality)
    hashes = FrameHashes(
        index=np.array([0], dtype=np.int32),
        pts=np.array([0], dtype=np.int64),
        seconds=np.array([0.0]),
        phash=np.array([phash], dtype=np.uint64),
        pdq=np.frombuffer(pdq, dtype=np.uint8).reshape(1, 32),
        quality=np.array([quality], dtype=np.uint8),
        low_info=np.array([low]),
        time_base="1/1",
        sample_rate=0.0,
    )
    return ClipAnalysis("1/1", np.array([0], dtype=np.int64), [keyframe], [], hashes)
