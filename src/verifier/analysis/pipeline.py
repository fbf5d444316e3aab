"""Clip analysis in one decoding pass: shots, keyframes, sampled frame hashes.

Decoding dominates the cost of analysis, so every frame is decoded exactly
once and everything is computed from that pass:

* every frame's small grey thumbnail feeds the shot detector (cuts, fades);
* frames at :data:`HASH_SAMPLE_RATE` per second are hashed (pHash, PDQ)
  from their luma plane scaled to :data:`HASH_IMAGE_SIDE`: both hashes look
  at luminance only, and reading the Y plane avoids a colour conversion;
* frames every :data:`THUMBNAIL_STEP` seconds are converted to colour once
  and kept as JPEG thumbnails in memory (~10 KB each), the candidates for
  sample keyframes;
* the few frames around each shot boundary are held in a short ring buffer,
  because the detector confirms a boundary a couple of frames late and the
  boundary frame becomes a keyframe.

After the pass, :func:`verifier.media.shots.select_keyframes` picks keyframes
(first frame, each shot's first frame, evenly spread samples). Samples are
moved to the nearest thumbnail candidate, which is why selection uses an
interval shortened by one candidate step: the promised maximum gap still
holds.

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
from PIL import ImageOps

from verifier.errors import VerifierError
from verifier.hashing.frames import FrameHashes, is_low_information, pdq256, phash64
from verifier.hashing.normalise import VARIANTS, variant_images
from verifier.media.decode import DecodedFrame, FrameInfo, VideoDecoder
from verifier.media.info import check_dimensions
from verifier.media.shots import ShotBoundary, ShotDetector, select_keyframes, thumbnail_size
from verifier.media.stills import open_image
from verifier.progress import CancelToken

ANALYSIS_VERSION = "1"
HASH_ALGORITHM = "phash64+pdq256"
"""Name of the stored set of a clip's frame hashes; its normalised views add "/<view>"."""
HASH_SAMPLE_RATE = 5.0
"""Frames hashed per second: every 0.2 s, so a re-upload trimmed at any
point still has a hashed frame within 0.1 s of each of ours."""
HASH_IMAGE_SIDE = 320
"""Long side of the image hashed and kept as thumbnail. PDQ and pHash reduce
every image to 64x64 and 32x32 first, so hashing a full-resolution frame
would cost more and change nothing that matters."""
THUMBNAIL_STEP = 0.5
"""Seconds between frames kept as possible sample keyframes (with thumbnail)."""
MAX_KEYFRAME_INTERVAL = 2.0
JPEG_QUALITY = 85

FrameProgress = Callable[[int, int | None], None]


def hash_algorithm(variant: str) -> str:
    """Name of a stored hash set: the frame itself ("") or a normalised view."""
    return f"{HASH_ALGORITHM}/{variant}" if variant else HASH_ALGORITHM


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
    # The same sampled frames hashed as normalised views (see hashing.normalise).
    variants: dict[str, FrameHashes] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return int(self.frame_pts.shape[0])


@dataclass(frozen=True)
class _Candidate:
    """A frame that may become a keyframe: its thumbnail and hashes, kept compressed."""

    index: int
    pts: int
    seconds: float
    jpeg: bytes
    phash: int
    pdq: bytes
    quality: int


def encode_jpeg(rgb: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:  # pragma: no cover - OpenCV fails only on empty images
        raise VerifierError("could not encode a thumbnail")
    return buffer.tobytes()


class _HashRows:
    """Sampled-frame hashes, accumulated as plain lists during the pass."""

    def __init__(self) -> None:
        self.index: list[int] = []
        self.pts: list[int] = []
        self.seconds: list[float] = []
        self.phash: list[int] = []
        self.pdq: list[bytes] = []
        self.quality: list[int] = []
        self.low_info: list[bool] = []
        self.row_of: dict[int, int] = {}  # frame index -> row

    def add(self, info: FrameInfo, hash_gray: np.ndarray, small_gray: np.ndarray) -> int:
        """Hash one frame; return its row."""
        pdq, quality = pdq256(hash_gray)
        low = is_low_information(small_gray, quality)
        return self.append(info, phash64(hash_gray), pdq, quality, low)

    def append(self, info: FrameInfo, phash: int, pdq: bytes, quality: int, low: bool) -> int:
        self.index.append(info.index)
        self.pts.append(info.pts)
        self.seconds.append(float(info.seconds))
        self.phash.append(phash)
        self.pdq.append(pdq)
        self.quality.append(quality)
        self.low_info.append(low)
        self.row_of[info.index] = len(self.index) - 1
        return len(self.index) - 1

    def frame_hashes(self, time_base: str, sample_rate: float) -> FrameHashes:
        """The rows in frame order (boundary frames are hashed late, out of order)."""
        order = np.argsort(np.array(self.index, dtype=np.int64), kind="stable")
        return FrameHashes(
            index=np.array(self.index, dtype=np.int32)[order],
            pts=np.array(self.pts, dtype=np.int64)[order],
            seconds=np.array(self.seconds, dtype=np.float64)[order],
            phash=np.array(self.phash, dtype=np.uint64)[order],
            pdq=np.frombuffer(b"".join(self.pdq), dtype=np.uint8).reshape(-1, 32)[order],
            quality=np.array(self.quality, dtype=np.uint8)[order],
            low_info=np.array(self.low_info, dtype=bool)[order],
            time_base=time_base,
            sample_rate=sample_rate,
        )


class _VariantRows:
    """The frame's own hashes plus those of its normalised views, row for row."""

    def __init__(self) -> None:
        self.full = _HashRows()
        self.views = {name: _HashRows() for name in VARIANTS}

    def add(self, info: FrameInfo, hash_gray: np.ndarray, small_gray: np.ndarray) -> int:
        row = self.full.add(info, hash_gray, small_gray)
        low = self.full.low_info[row]
        for name, image in variant_images(hash_gray).items():
            rows = self.views[name]
            if image is None:  # nothing to remove: the view is the frame itself
                f = self.full
                rows.append(info, f.phash[row], f.pdq[row], f.quality[row], low)
            else:
                pdq, quality = pdq256(image)
                rows.append(info, phash64(image), pdq, quality, low)
        return row

    def variants(self, time_base: str, sample_rate: float) -> dict[str, FrameHashes]:
        views = self.views.items()
        return {name: rows.frame_hashes(time_base, sample_rate) for name, rows in views}


def analyse_video(
    path: Path,
    *,
    cancel: CancelToken | None = None,
    on_frame: FrameProgress | None = None,
    hash_rate: float = HASH_SAMPLE_RATE,
    max_interval: float = MAX_KEYFRAME_INTERVAL,
) -> ClipAnalysis:
    """Analyse a video file; raise VerifierError if not a single frame decodes."""
    step = 1.0 / hash_rate
    with VideoDecoder(path) as decoder:
        check_dimensions(decoder.width, decoder.height, path)
        small_size = thumbnail_size(decoder.width, decoder.height)
        hash_size = thumbnail_size(decoder.width, decoder.height, HASH_IMAGE_SIDE)
        detector = ShotDetector()
        recent: collections.deque[tuple[DecodedFrame, np.ndarray]] = collections.deque(
            maxlen=detector.lag_frames + 2
        )
        all_rows = _VariantRows()
        rows = all_rows.full
        candidates: dict[int, _Candidate] = {}
        boundaries: list[ShotBoundary] = []
        times: list[float] = []
        pts_list: list[int] = []
        next_sample = 0.0
        last_candidate = -math.inf

        def candidate(frame: DecodedFrame, small_gray: np.ndarray, row: int | None) -> None:
            """Keep a colour thumbnail and the hashes of a possible keyframe."""
            if row is None:
                row = all_rows.add(frame.info, frame.gray(*hash_size), small_gray)
            candidates[frame.info.index] = _Candidate(
                frame.info.index, frame.info.pts, float(frame.info.seconds),
                encode_jpeg(frame.rgb(HASH_IMAGE_SIDE)),
                rows.phash[row], rows.pdq[row], rows.quality[row],
            )  # fmt: skip

        def keep_boundaries(found: list[ShotBoundary]) -> None:
            for boundary in found:
                boundaries.append(boundary)
                for frame, small_gray in recent:
                    if frame.info.index == boundary.index and boundary.index not in candidates:
                        candidate(frame, small_gray, rows.row_of.get(boundary.index))

        for frame in decoder.iter_frames(cancel):
            info = frame.info
            seconds = float(info.seconds)
            times.append(seconds)
            pts_list.append(info.pts)
            small_gray = frame.gray(*small_size)
            recent.append((frame, small_gray))
            if seconds + 1e-9 >= next_sample:
                row = all_rows.add(info, frame.gray(*hash_size), small_gray)
                if seconds - last_candidate >= THUMBNAIL_STEP - step / 2:
                    candidate(frame, small_gray, row)
                    last_candidate = seconds
                next_sample = (math.floor(seconds / step + 1e-9) + 1) * step
            keep_boundaries(detector.push(info.index, seconds, small_gray))
            if on_frame is not None and info.index % 25 == 0:
                on_frame(info.index, decoder.frame_count or None)
        keep_boundaries(detector.finish())
        errors = list(decoder.errors)
        if not times:
            # The decoder's first error, when it names one, says why; the
            # decoder itself may only have noted that nothing decoded.
            reason = next((e for e in errors if e != "no frame could be decoded"), None)
            detail = f" ({reason})" if reason else ""
            raise VerifierError(f"no frame could be decoded{detail}", path=path)
        time_base = _fraction_text(decoder.time_base)

    # A sample moves to the nearest candidate, at most half a candidate gap
    # away, on either side: select with the interval shortened by one gap.
    spacing = np.diff(sorted(c.seconds for c in candidates.values()))
    widest = float(spacing.max()) if spacing.size else 0.0
    keyframes = _choose_keyframes(boundaries, times, candidates, max_interval - widest)
    return ClipAnalysis(
        time_base=time_base,
        frame_pts=np.array(pts_list, dtype=np.int64),
        keyframes=keyframes,
        boundaries=boundaries,
        hashes=rows.frame_hashes(time_base, hash_rate),
        variants=all_rows.variants(time_base, hash_rate),
        errors=errors,
    )


def _choose_keyframes(
    boundaries: list[ShotBoundary],
    times: list[float],
    candidates: dict[int, _Candidate],
    interval: float,
) -> list[KeyframeResult]:
    """Select keyframes and give each the thumbnail kept for it (or the nearest one)."""
    scores = {b.index: b.score for b in boundaries}
    ordered = np.array(sorted(candidates))
    chosen: dict[int, KeyframeResult] = {}
    for choice in select_keyframes(boundaries, times, max(interval, THUMBNAIL_STEP / 2)):
        index = choice.index
        if index not in candidates:
            index = int(ordered[np.argmin(np.abs(ordered - index))])
        if index in chosen:
            continue
        c = candidates[index]
        reason = choice.reason if index == choice.index else "sample"
        chosen[index] = KeyframeResult(
            c.index, c.pts, c.seconds, reason, scores.get(index), c.jpeg, c.phash, c.pdq, c.quality
        )
    return [chosen[i] for i in sorted(chosen)]


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def analyse_still(path: Path) -> ClipAnalysis:
    """A still is one frame: its keyframe and hash, upright per EXIF orientation.

    The image is opened through :func:`~verifier.media.stills.open_image`, which
    refuses a declared size beyond the decoding limit before any pixel is decoded.
    """
    try:
        with open_image(path) as image:
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
    # A still is hashed in colour, as image hashing tools do, so its PDQ
    # hash can be exchanged as an image hash.
    all_rows = _VariantRows()
    info = FrameInfo(0, 0, Fraction(1), True)
    rows = all_rows.full
    row = rows.add(info, rgb, gray)
    for name, image in variant_images(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)).items():
        view = all_rows.views[name]
        if image is None:
            view.append(info, rows.phash[row], rows.pdq[row], rows.quality[row], rows.low_info[row])
        else:
            pdq, quality = pdq256(image)
            view.append(info, phash64(image), pdq, quality, rows.low_info[row])
    phash, pdq, quality = rows.phash[row], rows.pdq[row], rows.quality[row]
    keyframe = KeyframeResult(0, 0, 0.0, "first", None, encode_jpeg(rgb), phash, pdq, quality)
    hashes = rows.frame_hashes("1/1", 0.0)
    return ClipAnalysis(
        "1/1", np.array([0], dtype=np.int64), [keyframe], [], hashes,
        variants=all_rows.variants("1/1", 0.0),
    )  # fmt: skip
