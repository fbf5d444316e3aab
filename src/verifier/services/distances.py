"""What a PDQ or pHash distance between two frames means, in the matcher's own terms.

A distance of "23 bits" says nothing to a person deciding whether two
pictures are the same; where it lies against the thresholds the matcher
uses does. The scales here are built from :class:`MatchParams`' defaults,
so the words a person reads and the decisions the matcher takes cannot
drift apart:

* PDQ (256 bits): up to 31 (PDQ's own threshold for still images) the same
  picture; up to :attr:`~MatchParams.pdq_threshold` the same footage,
  re-encoded or a moment apart (a candidate pair for the matcher); up to
  :attr:`~MatchParams.extend_pdq_threshold` borderline (it only extends an
  alignment already found); above that unrelated (unrelated clips measured
  94 and more, random hashes 128).
* pHash (64 bits): up to :attr:`~MatchParams.strong_phash_threshold` the same
  picture; up to :attr:`~MatchParams.phash_threshold` the same footage; up to
  :attr:`~MatchParams.extend_phash_threshold` borderline; above that unrelated
  (random hashes 32).

:func:`pair_distances` hashes two frames as the analysis does (the grey
picture scaled to :data:`~verifier.analysis.pipeline.HASH_IMAGE_SIDE` on its
longest side), so a pair on screen can be read against the same scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from verifier.analysis.pipeline import HASH_IMAGE_SIDE
from verifier.errors import VerifierError
from verifier.hashing.frames import PDQ_MIN_QUALITY, hamming64, hamming256, pdq256, phash64
from verifier.hashing.match import MatchParams

__all__ = [
    "PDQ_SCALE",
    "PHASH_SCALE",
    "DistanceBand",
    "DistanceScale",
    "PairDistance",
    "pair_distances",
]

#: PDQ's published threshold for still images (Meta's PDQ paper and ThreatExchange).
PDQ_STILL_THRESHOLD = 31

SAME_PICTURE = "same picture"
SAME_FOOTAGE = "same footage, re-encoded or a moment apart"
BORDERLINE = "borderline: counts only on an alignment already found"
UNRELATED = "unrelated"


@dataclass(frozen=True)
class DistanceBand:
    """Distances up to and including ``upper`` read as ``words``."""

    upper: int
    words: str


@dataclass(frozen=True)
class DistanceScale:
    """A hash's distance range (0 to ``bits``) cut into bands, each with its words."""

    name: str
    bits: int
    bands: tuple[DistanceBand, ...]

    @property
    def unrelated_above(self) -> int:
        """Distances above this read as unrelated (the last band before "unrelated")."""
        return self.bands[-2].upper

    def words(self, distance: int) -> str:
        """What ``distance`` means, e.g. ``"same picture"``."""
        if not 0 <= distance <= self.bits:
            raise VerifierError(f"{self.name} distance: must be 0 to {self.bits}, got {distance}")
        return next(band.words for band in self.bands if distance <= band.upper)

    def band_start(self, position: int) -> int:
        """The first distance of band ``position``."""
        return 0 if position == 0 else self.bands[position - 1].upper + 1


def _scales(params: MatchParams) -> tuple[DistanceScale, DistanceScale]:
    pdq = DistanceScale(
        "PDQ", 256,
        (
            DistanceBand(PDQ_STILL_THRESHOLD, SAME_PICTURE),
            DistanceBand(params.pdq_threshold, SAME_FOOTAGE),
            DistanceBand(params.extend_pdq_threshold, BORDERLINE),
            DistanceBand(256, UNRELATED),
        ),
    )  # fmt: skip
    phash = DistanceScale(
        "pHash", 64,
        (
            DistanceBand(params.strong_phash_threshold, SAME_PICTURE),
            DistanceBand(params.phash_threshold, SAME_FOOTAGE),
            DistanceBand(params.extend_phash_threshold, BORDERLINE),
            DistanceBand(64, UNRELATED),
        ),
    )  # fmt: skip
    return pdq, phash


PDQ_SCALE, PHASH_SCALE = _scales(MatchParams())


@dataclass(frozen=True)
class PairDistance:
    """The distances between two frames, and whether either is too plain to judge."""

    pdq: int
    phash: int
    pdq_quality_a: int
    pdq_quality_b: int

    @property
    def too_plain(self) -> bool:
        """Either frame is under PDQ quality 50, which the matcher ignores (near-uniform)."""
        return min(self.pdq_quality_a, self.pdq_quality_b) < PDQ_MIN_QUALITY

    @property
    def pdq_words(self) -> str:
        return PDQ_SCALE.words(self.pdq)

    @property
    def phash_words(self) -> str:
        return PHASH_SCALE.words(self.phash)


def _hash_image(rgb: np.ndarray, name: str) -> np.ndarray:
    """The grey picture the analysis hashes: longest side :data:`HASH_IMAGE_SIDE`."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim not in (2, 3):
        raise VerifierError(f"{name}: expected an 8-bit image, got {getattr(rgb, 'shape', rgb)!r}")
    grey = rgb if rgb.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    scale = HASH_IMAGE_SIDE / max(height, width)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return grey


def pair_distances(rgb_a: np.ndarray, rgb_b: np.ndarray) -> PairDistance:
    """PDQ and pHash distances between two decoded frames (RGB or grey, any sizes).

    Slow enough (two PDQ and two pHash computations, some milliseconds) that
    the window runs it on a worker thread.
    """
    grey_a, grey_b = _hash_image(rgb_a, "frame A"), _hash_image(rgb_b, "frame B")
    pdq_a, quality_a = pdq256(grey_a)
    pdq_b, quality_b = pdq256(grey_b)
    pdq = int(hamming256(pdq_a, pdq_b))
    phash = int(hamming64(np.uint64(phash64(grey_a)), np.uint64(phash64(grey_b))))
    return PairDistance(pdq, phash, quality_a, quality_b)
