"""Time-aligned matching of two clips' sampled frame hashes.

The question an investigator asks is not "do these clips share some frames?" but
"is clip B the same footage as clip A, and which second of A is which second of
B?". A bag-of-frames answer is wrong in both directions: two recordings from
the same fixed camera share background frames at *every* time (a false match),
and a re-upload that was trimmed, sped up or cut into a compilation has its
frames at other times (a wrong segment). So matching here is an alignment:

1. **Candidate pairs** -- every (A-sample, B-sample) whose PDQ and pHash
   distances are under :class:`MatchParams` thresholds, computed as one
   vectorised (NA x NB) distance matrix. Near-uniform frames (``low_info``) and
   frames under PDQ quality 50 are removed first: they collide across unrelated
   clips and must never create a match.
2. **Distinctive pairs** -- a candidate pair is *evidence of alignment* only if
   the two frames resemble each other clearly more (by
   :attr:`MatchParams.distinct_margin` bits) than they resemble the other clip
   far (:attr:`MatchParams.background_exclusion` seconds) away from this point.
   A static background matches everywhere, so its pairs are not distinctive;
   this is what rejects two recordings from one fixed camera.
3. **Offset voting** -- for each speed ``s`` the distinctive pairs vote for
   ``offset = b_t - s * a_t`` in a histogram whose bins are one sampling step
   wide; each vote is split linearly between the two nearest bins so that a
   trim at any phase still lands in one peak, and each A-sample votes at most
   once per bin.
4. **Verification** of the best peaks: pairs consistent with the peak within
   :attr:`MatchParams.offset_tolerance` (one per A-sample, the closest hash),
   speed and offset refined by least squares, then the offset refined below the
   sampling step by interpolating each A-sample's distances to its two
   neighbouring B-samples.
5. **Guards** -- enough distinctive pairs, a large enough share of the
   overlapping samples, spread over time -- then segments, relation and score.

Only the single best alignment is returned. A compilation that contains A once
yields one :class:`Match` with one or more segments at the same offset; a B that
contains A twice (two offsets) reports the better-supported occurrence only.

Everything here is a pure function of :class:`~verifier.hashing.frames.FrameHashes`:
no I/O, no decoding, no Qt.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from verifier.hashing.frames import PDQ_MIN_QUALITY, FrameHashes, hamming64, hamming256

__all__ = [
    "RELATION_EXCERPT",
    "RELATION_NEAR_DUPLICATE",
    "RELATION_OVERLAP",
    "FramePair",
    "Match",
    "MatchParams",
    "Segment",
    "match_clips",
]

RELATION_NEAR_DUPLICATE: Final = "near-duplicate"
RELATION_EXCERPT: Final = "excerpt"
RELATION_OVERLAP: Final = "overlap"
FULL_VARIANT: Final = "full"
"""The un-transformed A-side variant; it wins ties between variants."""
MIRRORED_VARIANT: Final = "mirrored"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FramePair:
    """One sampled frame of A matched to one sampled frame of B (times in clip seconds)."""

    a_seconds: float
    b_seconds: float
    a_index: int
    b_index: int
    pdq_distance: int
    phash_distance: int

    def to_json(self) -> dict[str, Any]:
        return {
            "a_seconds": self.a_seconds,
            "b_seconds": self.b_seconds,
            "a_index": self.a_index,
            "b_index": self.b_index,
            "pdq_distance": self.pdq_distance,
            "phash_distance": self.phash_distance,
        }


@dataclass(frozen=True)
class Segment:
    """A stretch of A shown in B: ``[a_start, a_end]`` of A is ``[b_start, b_end]`` of B.

    Each matched sample stands for half a sampling step either side of it, so a
    segment extends that far beyond its first and last pair (clipped to the clips).
    """

    a_start: float
    a_end: float
    b_start: float
    b_end: float
    frames_matched: int

    def to_json(self) -> dict[str, Any]:
        return {
            "a_start": self.a_start,
            "a_end": self.a_end,
            "b_start": self.b_start,
            "b_end": self.b_end,
            "frames_matched": self.frames_matched,
        }


@dataclass(frozen=True)
class Match:
    """The best time alignment of clip B against clip A: ``b_time = speed * a_time + offset``."""

    relation: str
    score: float
    offset: float
    speed: float
    mirrored: bool
    variant: str
    segments: tuple[Segment, ...]
    pairs: tuple[FramePair, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able form (times in seconds) for storage and reports."""
        return {
            "relation": self.relation,
            "score": self.score,
            "segments": [segment.to_json() for segment in self.segments],
            "transform": {"mirrored": self.mirrored, "speed": self.speed, "variant": self.variant},
            "offset": self.offset,
            "pairs": [pair.to_json() for pair in self.pairs],
        }


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class MatchParams:
    """Tuning of :func:`match_clips`; every default is explained where it is declared."""

    pdq_threshold: int = 64
    """Max PDQ distance (of 256 bits) for a candidate pair.

    PDQ's suggested threshold for still images is 31; video frames sampled at
    slightly different instants and re-encoded need more. Measured on the
    ThreatExchange samples: ``pattern-hd`` vs its re-encode ``pattern-longer``
    gives 2-60 at the true alignment, while unrelated clips (doorknob, padded)
    never come below 94 and random hashes average 128 (sd 8), so 64 is 8 sd
    from chance. False pairs from similar-looking content are the time
    alignment's job, not the threshold's."""
    phash_threshold: int = 24
    """Max pHash distance (of 64 bits): a second, independent opinion.

    True pairs measured at 0-16, unrelated clips at 18-42 and random hashes at
    32 (sd 4); 24 only removes pairs that PDQ let through by accident."""
    strong_phash_threshold: int = 10
    """A pair whose pHash is this close is a candidate even with PDQ up to
    :attr:`strong_phash_pdq`: a large overlaid logo moves PDQ (60-98 bits on the
    large-logo sample against the re-recording) more than pHash (10-12). Random
    pHashes are 32 +- 4 apart and unrelated clips measured >= 18, so 10 is 5.5 sd
    from chance; the time alignment still has to agree."""
    strong_phash_pdq: int = 96
    """PDQ ceiling for :attr:`strong_phash_threshold` pairs (unrelated clips: >= 94
    only together with pHash far above 10)."""
    extend_pdq_threshold: int = 80
    """Looser PDQ threshold for pairs that lie on an alignment already verified with
    :attr:`pdq_threshold` and that are distinctive. Fast-changing content sampled at
    a different phase (testsrc2 0.1 s apart: 68-72) and heavier re-encodes (the end of
    ``pattern-longer``: 68-72) land here; unrelated clips measured >= 94 and random
    hashes are 6 sd away, and such pairs never decide a match, only its extent."""
    extend_phash_threshold: int = 28
    """pHash companion of :attr:`extend_pdq_threshold` (random hashes: 32, sd 4)."""
    min_quality: int = PDQ_MIN_QUALITY
    """Frames under this PDQ quality are ignored, as Meta's vPDQ matcher does."""
    speeds: tuple[float, ...] = (1.0, 1.1, 1 / 1.1, 1.25, 0.8)
    """Speed factors tried in ``b_t = speed * a_t + offset``: the common re-upload
    speed changes and their inverses. Least squares then refines the speed, so
    values near these (1.05) are still found. Halving, doubling and 1.5x were tried
    by default once and, on the benchmark's crops and picture-in-picture copies of
    near-static scenes, produced wrong alignments (mean offset error 0.27 s instead
    of 0.11 s) while finding no extra true relation; ask for them explicitly."""
    offset_bin: float = 0.2
    """Width of an offset histogram bin (s): one sampling step at 5 samples/s, so
    the pairs of one alignment fall into at most two adjacent bins, which the
    split (linear) vote reunites."""
    offset_tolerance: float = 0.2
    """Max distance (s) of a pair from the aligned line to count as consistent:
    half a sampling step of phase difference plus half a bin of peak error."""
    distinct_margin: int = 8
    """Bits by which a pair must beat the frames' best match far from it (see
    :attr:`background_exclusion`) to count as evidence of alignment."""
    background_exclusion: float = 1.0
    """Seconds from a pair beyond which the other clip's frames form its background.

    A second is long enough for moving content to change and short enough to
    leave a background in a 2-second excerpt."""
    min_pairs: int = 4
    """Distinctive consistent pairs needed at least (four samples = 0.8 s of agreement)."""
    min_density: float = 0.5
    """Share of the informative A-samples between the first and last distinctive
    pair that must themselves be distinctive consistent pairs. A re-upload matches
    most frames of the stretch it shares (measured 0.73-1.0 on the sample media,
    including logo and bar variants); two recordings from one fixed camera line up
    only by coincidence, sparsely (``static_a``/``static_b``: 0.36). Measured on the
    stretch, not the whole clip, so a short excerpt inside a long compilation counts."""
    speed_prior: float = 3.0
    """Occam penalty for changed speed: an alignment's weight is divided by
    ``1 + speed_prior * |ln speed|``. Slowly changing content (a zoom) over a short
    excerpt fits several speeds almost equally; unchanged speed is by far the
    common case, so another speed must win clearly (1.25 needs 67 % more weight)."""
    min_span: float = 1.0
    """The distinctive pairs must spread over at least this many seconds of A, so
    that a burst of near-identical frames (0.4 s of one scene) cannot decide alone."""
    max_gap: float = 1.0
    """A gap (s of A) longer than this between consecutive pairs splits a segment."""
    full_coverage: float = 0.9
    """Coverage at which a clip counts as wholly matched (re-uploads lose a few
    frames at the ends to trims and encoder delay)."""
    max_peaks: int = 3
    """Offset peaks verified per speed: the highest vote is not always the best
    alignment once consistency and distances are checked."""

    def __post_init__(self) -> None:
        if not self.speeds or any(s <= 0 for s in self.speeds):
            raise ValueError(f"speeds must be positive, got {self.speeds!r}")
        if self.offset_bin <= 0 or self.offset_tolerance <= 0:
            raise ValueError("offset_bin and offset_tolerance must be positive")
        if self.min_pairs < 2:
            raise ValueError("min_pairs must be at least 2 (a line needs two points)")


# --------------------------------------------------------------------------- internals


@dataclass(frozen=True)
class _Side:
    """The informative samples of one clip, sorted by time."""

    seconds: np.ndarray
    index: np.ndarray
    pdq: np.ndarray
    phash: np.ndarray
    step: float


def _informative(h: FrameHashes, min_quality: int) -> _Side:
    """Drop low-information and low-quality rows and sort by time.

    Analysis appends shot-boundary frames after the regular samples, so rows are
    not necessarily in time order.
    """
    keep = ~h.low_info & (h.quality >= min_quality)
    order = np.argsort(h.seconds[keep], kind="stable")
    seconds = h.seconds[keep][order]
    step = 1.0 / h.sample_rate if h.sample_rate > 0 else _median_step(h.seconds)
    return _Side(
        seconds=seconds,
        index=h.index[keep][order],
        pdq=h.pdq[keep][order],
        phash=h.phash[keep][order],
        step=step,
    )


def _median_step(seconds: np.ndarray) -> float:
    """Sampling step estimated from the times when the rate was not recorded."""
    diffs = np.diff(np.sort(seconds))
    diffs = diffs[diffs > 1e-6]
    return float(np.median(diffs)) if diffs.size else 0.2


def _background(d: np.ndarray, tb: np.ndarray, exclusion: float) -> np.ndarray:
    """For each pair (i, j): the best distance of A_i to B-samples >= ``exclusion`` from B_j.

    Rows are sorted by time, so the excluded window around ``tb[j]`` is a
    contiguous range and prefix/suffix minima give the answer for all pairs in
    O(NA x NB). Where no such sample exists the background is "infinite" (256+).
    """
    big = np.int32(1 << 10)
    nb = tb.shape[0]
    left = np.searchsorted(tb, tb - exclusion, side="right")  # B-samples [0, left) are far before
    right = np.searchsorted(tb, tb + exclusion, side="left")  # [right, nb) are far after
    prefix = np.minimum.accumulate(d, axis=1)
    suffix = np.minimum.accumulate(d[:, ::-1], axis=1)[:, ::-1]
    before = np.where(left > 0, prefix[:, np.maximum(left - 1, 0)], big)
    after = np.where(right < nb, suffix[:, np.minimum(right, nb - 1)], big)
    return np.minimum(before, after)


def _distinct(d: np.ndarray, ta: np.ndarray, tb: np.ndarray, params: MatchParams) -> np.ndarray:
    """Pairs that resemble each other clearly more than either resembles the other clip elsewhere.

    Checked from both sides and accepted if *either* side is distinctive: a B
    that repeats A's content (a compilation showing it twice) leaves the A side
    distinctive, while a shared static background fails on both sides.
    """
    bg_b = _background(d, tb, params.background_exclusion)
    bg_a = _background(d.T, ta, params.background_exclusion).T
    return d + params.distinct_margin <= np.maximum(bg_a, bg_b)


@dataclass(frozen=True)
class _Alignment:
    """A verified alignment of one variant, before it becomes a :class:`Match`."""

    speed: float
    offset: float
    rows: np.ndarray  # A-sample rows of the consistent pairs, ascending
    cols: np.ndarray  # matching B-sample rows
    n_distinct: int
    weight: float  # sum over distinctive pairs of (1 - distance / pdq_threshold)
    mean_distance: float


def _vote_peaks(
    ta: np.ndarray,
    tb: np.ndarray,
    ii: np.ndarray,
    jj: np.ndarray,
    speed: float,
    params: MatchParams,
) -> list[tuple[float, float]]:
    """(offset, votes) of the best histogram peaks for one speed; an A-sample votes once per bin."""
    offsets = tb[jj] - speed * ta[ii]
    width = params.offset_bin
    origin = float(offsets.min()) - width
    pos = (offsets - origin) / width
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    nbins = int(lo.max()) + 2
    votes = np.zeros((ta.shape[0], nbins), dtype=np.float64)
    np.maximum.at(votes, (ii, lo), 1.0 - frac)
    np.maximum.at(votes, (ii, lo + 1), frac)
    hist = votes.sum(axis=0)
    peaks: list[tuple[float, float]] = []
    for b in np.argsort(-hist, kind="stable"):
        if hist[b] <= 0 or len(peaks) >= params.max_peaks:
            break
        centre = origin + float(b) * width
        if all(abs(centre - p) > 2 * width for p, _ in peaks):
            peaks.append((centre, float(hist[b])))
    return peaks


def _consistent(
    d: np.ndarray,
    cand: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    speed: float,
    offset: float,
    tolerance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs within ``tolerance`` of the line, one per A-sample (the closest hash).

    Only the few B-samples inside each A-sample's tolerance window are looked
    at (B is sorted), which keeps verification O(NA) instead of O(NA x NB).
    """
    predicted = speed * ta + offset
    first = np.searchsorted(tb, predicted - tolerance, side="left")
    last = np.searchsorted(tb, predicted + tolerance, side="right")
    width = int((last - first).max(initial=0))
    if width == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cols = first[:, None] + np.arange(width)[None, :]
    inside = cols < last[:, None]
    cols = np.minimum(cols, tb.shape[0] - 1)
    rows_all = np.arange(ta.shape[0])[:, None]
    ok = inside & cand[rows_all, cols]
    masked = np.where(ok, d[rows_all, cols], np.int32(1 << 10))
    best = masked.argmin(axis=1)
    rows = np.flatnonzero(ok.any(axis=1))
    return rows, cols[rows, best[rows]]


def _fit(ta: np.ndarray, tb: np.ndarray, nominal: float, step: float) -> tuple[float, float]:
    """Least-squares speed and offset; the speed stays nominal unless the data clearly differ.

    A free slope is accepted only when it stays within 10 % of the nominal speed
    (otherwise another nominal speed fits better) and moves the aligned ends of
    the pairs' span by more than one sampling step compared with the nominal
    speed: a smaller drift is within the sampling phase noise, and reporting
    "speed 1.009" for an unchanged re-upload would mislead.
    """
    speed = nominal
    span = float(ta.max() - ta.min()) if ta.size else 0.0
    if ta.size >= 3 and span > 0:
        slope = float(np.polyfit(ta, tb, 1)[0])
        if abs(slope - nominal) <= 0.1 * nominal and abs(slope - nominal) * span > step:
            speed = slope
    return speed, float(np.mean(tb - speed * ta))


def _subsample_offset(
    d: np.ndarray,
    ta: np.ndarray,
    tb: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    speed: float,
    offset: float,
    step: float,
) -> float:
    """Refine the offset below the sampling step.

    The sampled instants of A and B differ by a phase that is the same for
    every pair, so averaging the pairs' offsets cannot remove it. Instead each
    matched A-sample's distances to its B-sample and that sample's two
    neighbours are fitted with a "V" (distance grows linearly with the time
    mismatch, ``d(t) = c + k |t - t*|``), which places the true instant ``t*``
    between samples and is unbiased when the phases agree (equal neighbours
    give ``t* = t_c``). The median over samples is robust to the odd scene
    change or saturated distance next to a pair.
    """
    estimates: list[float] = []
    nb = tb.shape[0]
    for i, j in zip(rows, cols, strict=True):
        if j == 0 or j >= nb - 1:
            continue
        gl, gr = float(tb[j] - tb[j - 1]), float(tb[j + 1] - tb[j])
        if not (0 < gl <= 1.5 * step and 0 < gr <= 1.5 * step):
            continue
        dl, dc, dr = float(d[i, j - 1]), float(d[i, j]), float(d[i, j + 1])
        if dc > dl or dc > dr or (dl == dc and dr == dc):
            continue
        if (dl - dc) / gl >= (dr - dc) / gr:  # steeper on the left: t* lies right of t_c
            k = (dl - dc) / gl
            x = 0.5 * (gr - (dr - dc) / k)
        else:
            k = (dr - dc) / gr
            x = -0.5 * (gl - (dl - dc) / k)
        x = min(max(x, -gl / 2), gr / 2)
        estimates.append(float(tb[j] + x - speed * ta[i]))
    if len(estimates) < 3:
        return offset
    refined = float(np.median(estimates))
    return refined if abs(refined - offset) <= step else offset


def _align(a: _Side, b: _Side, params: MatchParams) -> _Alignment | None:
    """The best verified alignment of one A variant against B, or None.

    Alignments are ranked (with :attr:`MatchParams.speed_prior`) by the summed
    closeness of their distinctive pairs (``1 - d / pdq_threshold``), not their
    count: slowly changing content (a zoom) lets a wrong speed collect as many
    loose pairs as the right one, but only the right one collects near-identical frames.
    """
    if a.seconds.size < params.min_pairs or b.seconds.size < params.min_pairs:
        return None
    d = hamming256(a.pdq[:, None, :], b.pdq[None, :, :])
    p = hamming64(a.phash[:, None], b.phash[None, :])
    cand = (d <= params.pdq_threshold) & (p <= params.phash_threshold)
    cand |= (p <= params.strong_phash_threshold) & (d <= params.strong_phash_pdq)
    if int(cand.sum()) < params.min_pairs:
        return None
    distinct = _distinct(d, a.seconds, b.seconds, params)
    ii, jj = np.nonzero(cand & distinct)
    if ii.size < params.min_pairs:
        return None
    extended = cand | (
        distinct & (d <= params.extend_pdq_threshold) & (p <= params.extend_phash_threshold)
    )
    closeness = np.maximum(
        1.0 - d / float(params.pdq_threshold), 1.0 - p / float(params.phash_threshold)
    )
    step = max(a.step, b.step)
    best: _Alignment | None = None
    best_rank = 0.0
    peaks = [
        (nominal, offset, votes)
        for nominal in params.speeds
        for offset, votes in _vote_peaks(a.seconds, b.seconds, ii, jj, nominal, params)
    ]
    top_votes = max(votes for _, _, votes in peaks)
    for nominal, peak, votes in peaks:
        # Verification collects at most about as many distinctive pairs as the peak had votes,
        # so a peak under half the best one's is not worth verifying (this keeps it fast).
        if votes < 0.5 * top_votes:
            continue
        speed, offset = nominal, peak
        rows = cols = np.zeros(0, dtype=np.int64)
        for _ in range(3):  # re-select inliers with the refined line
            rows, cols = _consistent(
                d, cand, a.seconds, b.seconds, speed, offset, params.offset_tolerance
            )
            if rows.size < params.min_pairs:
                break
            speed, offset = _fit(a.seconds[rows], b.seconds[cols], nominal, step)
        if rows.size < params.min_pairs:
            continue
        evidence = cand[rows, cols] & distinct[rows, cols]
        # Along the verified line, looser but still distinctive pairs extend the segments.
        rows, cols = _consistent(
            d, extended, a.seconds, b.seconds, speed, offset, params.offset_tolerance
        )
        evidence = cand[rows, cols] & distinct[rows, cols]
        candidate = _Alignment(
            speed=speed,
            offset=offset,
            rows=rows,
            cols=cols,
            n_distinct=int(evidence.sum()),
            weight=float(closeness[rows[evidence], cols[evidence]].sum()),
            mean_distance=float(d[rows, cols].mean()),
        )
        if not _passes_guards(candidate, a.seconds, evidence, params):
            continue
        rank = candidate.weight / (1.0 + params.speed_prior * abs(math.log(speed)))
        if best is None or rank > best_rank:
            best, best_rank = candidate, rank
    if best is None:
        return None
    offset = _subsample_offset(
        d, a.seconds, b.seconds, best.rows, best.cols, best.speed, best.offset, step
    )
    return dataclasses.replace(best, offset=offset)


def _passes_guards(
    al: _Alignment, ta: np.ndarray, evidence: np.ndarray, params: MatchParams
) -> bool:
    """Enough distinctive consistent pairs, a fair share of the overlap, spread over time."""
    if al.n_distinct < params.min_pairs:
        return False
    times = ta[al.rows[evidence]]
    start, end = float(times.min()), float(times.max())
    in_span = int(np.count_nonzero((ta >= start) & (ta <= end)))
    if al.n_distinct < params.min_density * in_span:
        return False
    return float(times.max() - times.min()) >= params.min_span


def _segments(
    a: _Side, b: _Side, al: _Alignment, a_duration: float, b_duration: float, max_gap: float
) -> tuple[Segment, ...]:
    """Runs of consistent pairs along A, split at gaps longer than ``max_gap``."""
    ta = a.seconds[al.rows]
    tb = b.seconds[al.cols]
    breaks = np.flatnonzero(np.diff(ta) > max_gap) + 1
    half_a = a.step / 2
    half_b = b.step / 2
    out: list[Segment] = []
    for run in np.split(np.arange(ta.size), breaks):
        if run.size == 0:
            continue
        out.append(
            Segment(
                a_start=max(0.0, float(ta[run[0]]) - half_a),
                a_end=min(a_duration, float(ta[run[-1]]) + half_a),
                b_start=max(0.0, float(tb[run].min()) - half_b),
                b_end=min(b_duration, float(tb[run].max()) + half_b),
                frames_matched=int(run.size),
            )
        )
    return tuple(out)


def _score(n_distinct: int, coverage: float, mean_distance: float, threshold: int) -> float:
    """Confidence 0..1 = evidence x coverage x closeness.

    * evidence ``1 - exp(-n / 8)``: 4 distinctive pairs give 0.39, 10 give 0.71,
      20 give 0.92 -- each independent agreeing sample adds less;
    * coverage ``0.5 + 0.5 * c`` with ``c`` the larger of the two coverages: a
      wholly contained clip is the strongest case, a partial overlap still counts;
    * closeness ``1 - 0.5 * mean_distance / pdq_threshold``: identical hashes
      give 1, pairs at the threshold halve the score.
    """
    evidence = 1.0 - math.exp(-n_distinct / 8.0)
    cover = 0.5 + 0.5 * min(max(coverage, 0.0), 1.0)
    closeness = 1.0 - 0.5 * min(mean_distance / max(threshold, 1), 1.0)
    return round(evidence * cover * closeness, 4)


def _relation(coverage_a: float, coverage_b: float, full: float) -> str:
    """near-duplicate when both clips are (almost) wholly matched, excerpt when one is."""
    if coverage_a >= full and coverage_b >= full:
        return RELATION_NEAR_DUPLICATE
    if coverage_a >= full or coverage_b >= full:
        return RELATION_EXCERPT
    return RELATION_OVERLAP


def _to_match(
    variant: str,
    a: _Side,
    b: _Side,
    al: _Alignment,
    a_duration: float,
    b_duration: float,
    params: MatchParams,
) -> Match:
    """Turn a verified alignment into the public result."""
    segments = _segments(a, b, al, a_duration, b_duration, params.max_gap)
    span_a = sum(s.a_end - s.a_start for s in segments)
    span_b = sum(s.b_end - s.b_start for s in segments)
    coverage_a = span_a / a_duration if a_duration > 0 else 0.0
    coverage_b = span_b / b_duration if b_duration > 0 else 0.0
    d = hamming256(a.pdq[al.rows], b.pdq[al.cols])
    p = hamming64(a.phash[al.rows], b.phash[al.cols])
    pairs = tuple(
        FramePair(
            a_seconds=float(a.seconds[i]),
            b_seconds=float(b.seconds[j]),
            a_index=int(a.index[i]),
            b_index=int(b.index[j]),
            pdq_distance=int(dd),
            phash_distance=int(pp),
        )
        for i, j, dd, pp in zip(al.rows, al.cols, d, p, strict=True)
    )
    return Match(
        relation=_relation(coverage_a, coverage_b, params.full_coverage),
        score=_score(
            al.n_distinct, max(coverage_a, coverage_b), al.mean_distance, params.pdq_threshold
        ),
        offset=round(al.offset, 4),
        speed=round(al.speed, 4),
        mirrored=variant == MIRRORED_VARIANT,
        variant=variant,
        segments=segments,
        pairs=pairs,
    )


# --------------------------------------------------------------------------- public entry


def match_clips(
    a: Mapping[str, FrameHashes] | FrameHashes,
    b: FrameHashes,
    *,
    a_duration: float,
    b_duration: float,
    params: MatchParams = MatchParams(),
) -> Match | None:
    """Align clip B against clip A (or against each of A's hash variants); None if unrelated.

    ``a`` is either A's hashes or several variants of them computed from the
    same frames (``"full"``, ``"mirrored"``, ``"center"``, ...) so that a mirrored
    or cropped re-upload still aligns; the variant with the highest score wins,
    ties going to ``"full"`` (the least assumption). Durations are the clips'
    full lengths in seconds and set the coverages that decide the relation.
    """
    variants: Mapping[str, FrameHashes] = {FULL_VARIANT: a} if isinstance(a, FrameHashes) else a
    if not variants:
        raise ValueError("match_clips needs at least one A-side hash variant")
    b_side = _informative(b, params.min_quality)
    order = sorted(variants, key=lambda name: name != FULL_VARIANT)  # "full" first wins ties
    best: Match | None = None
    for name in order:
        a_side = _informative(variants[name], params.min_quality)
        alignment = _align(a_side, b_side, params)
        if alignment is None:
            continue
        found = _to_match(name, a_side, b_side, alignment, a_duration, b_duration, params)
        if best is None or found.score > best.score:
            best = found
    return best
