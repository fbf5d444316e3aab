"""An in-memory index of every stored frame's PDQ hash, for "which clips are this footage?".

Finding the clips that share footage with a query clip must not compare the
query with every clip in turn: a library of a few thousand clips holds about a
million sampled frames. :class:`FrameHashIndex` answers, for all sampled
frames of a query clip at once, "which stored frames lie within ``threshold``
bits (PDQ Hamming distance) of this frame?", grouped by clip.

Design: multi-index hashing (Norouzi, Punjani & Fleet, "Fast search in Hamming
space with multi-index hashing", CVPR 2012). The 256-bit hash is cut into
``m = 16`` chunks of 16 bits. If two hashes differ in at most ``r`` bits, then
by the pigeonhole principle at least one chunk differs in at most
``floor(r / m)`` bits. So, per chunk, every stored frame is listed in the bucket
of its 16-bit chunk value (a counting-sorted posting array, i.e. one ``int32``
per frame and chunk, no Python object per hash), a query probes the buckets of
every chunk value within a probe radius ``rho`` of its own chunk, and each
candidate found is verified with the exact 256-bit distance. Every stored frame
within ``guaranteed_radius = m * (rho + 1) - 1`` bits is therefore found, and no
result is ever farther than ``threshold``.

Why not always probe the full radius ``floor(threshold / m)`` (3 for the
default threshold 52)? Random 256-bit hashes are 128 +- 8 bits apart, so a
radius of 52 is a large fraction of the space: probing radius 3 means 697
buckets per chunk and about 17 % of a library as candidates per query frame,
which for 300 query frames against a million stored frames costs more than
the brute-force scan it replaces (measured in ``benchmarks/matching_latency.py``).
The query planner therefore picks the largest per-chunk radius whose
estimated work fits a budget: small libraries (up to some tens of thousands of
frames) get the full radius and exact results; large ones get radius 1 or 2,
a guarantee of 31 or 47 bits, and, for hashes between that and the threshold,
a high probability of recall that the benchmark measures on planted
re-encoded-like copies. A clip is found when any of its frames is, so clip
recall is far higher than frame recall. ``exact=True`` forces the full radius.
:attr:`QueryResult.guaranteed_radius` always tells the caller which case applied.

Updates: frames live in append-only NumPy arrays; the posting arrays are kept
in a few immutable *segments* (log-structured merge): adding a clip appends
rows, and the next query (or :meth:`FrameHashIndex.build`) indexes the new rows
as a small segment, merging segments of similar size, so a start-up bulk load
costs one build and a stream of single additions stays cheap. Removal marks
rows dead (tombstones are filtered out of every result); once a quarter of the
rows are dead the arrays are compacted and re-indexed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from math import comb
from typing import Final, NamedTuple

import numpy as np

from verifier.hashing.frames import PDQ_BYTES, PDQ_MIN_QUALITY, FrameHashes

__all__ = [
    "CHUNK_BITS",
    "DEFAULT_THRESHOLD",
    "N_CHUNKS",
    "ClipHits",
    "FrameHashIndex",
    "QueryResult",
]

DEFAULT_THRESHOLD: Final = 52
"""PDQ distance under which two frames are taken to be the same picture.

Meta's recommended PDQ match threshold is 31 for still images; video frames
re-encoded, rescaled or re-uploaded drift further (typically 10-50 bits), and
unrelated frames sit near 128, so 52 keeps a wide margin on both sides.
"""

CHUNK_BITS: Final = 16
"""Bits per multi-index chunk: 65,536 buckets, about 15 frames each per million stored."""

N_CHUNKS: Final = PDQ_BYTES * 8 // CHUNK_BITS
"""Number of chunks (16) and hence of posting arrays."""

_N_BUCKETS: Final = 1 << CHUNK_BITS

QUERY_BUDGET_NS: Final = 60_000_000
"""Estimated work (nanoseconds) the planner lets one query spend to search more exactly.

Measured on the 2-core reference machine: one bucket probe costs about 80 ns,
verifying one candidate about 35 ns (a random gather of its 32 bytes), and a
brute-force comparison about 8 ns per (query frame, stored frame) pair. 60 ms
keeps a 300-frame query within the latency target of 100 ms.
"""

_NS_PER_PROBE: Final = 80.0
_NS_PER_CANDIDATE: Final = 35.0
_NS_PER_PAIR: Final = 8.0
_SCAN_BLOCK: Final = 4096
_MAX_BATCH_CANDIDATES: Final = 4_000_000

MIN_PROBE_RADIUS: Final = 1
"""Per-chunk probe radius used however large the library (guarantees 31 bits)."""

_COMPACT_DEAD_FRACTION: Final = 0.25
_MERGE_RATIO: Final = 4
_MIN_CAPACITY: Final = 1024


def _masks_within(radius: int) -> np.ndarray:
    """All 16-bit XOR masks of at most ``radius`` set bits, lowest weight first."""
    values = np.arange(_N_BUCKETS, dtype=np.uint32)
    weights = np.bitwise_count(values)
    keep = values[weights <= radius]
    return keep[np.argsort(weights[keep], kind="stable")].astype(np.uint16)


_MASKS: Final[tuple[np.ndarray, ...]] = tuple(
    _masks_within(r) for r in range(DEFAULT_THRESHOLD // N_CHUNKS + 2)
)


def _masks(radius: int) -> np.ndarray:
    """Cached probe masks for a radius (computed on demand for unusual thresholds)."""
    return _MASKS[radius] if radius < len(_MASKS) else _masks_within(radius)


def _ball_size(radius: int) -> int:
    """Number of 16-bit values within ``radius`` bits of a given one."""
    return sum(comb(CHUNK_BITS, k) for k in range(min(radius, CHUNK_BITS) + 1))


def _usable_rows(hashes: FrameHashes) -> np.ndarray:
    """Rows that carry evidence: not low-information and PDQ quality >= 50.

    Featureless frames hash to near-arbitrary patterns shared across unrelated
    clips (see :data:`verifier.hashing.frames.PDQ_MIN_QUALITY`), so they are
    neither indexed nor used as queries.
    """
    keep = ~hashes.low_info & (hashes.quality >= PDQ_MIN_QUALITY)
    return np.flatnonzero(keep)


class ClipHits(NamedTuple):
    """The query frames that hit one stored clip, one entry per (query frame, stored frame)."""

    query_rows: np.ndarray
    """Row of the query frame in the query's :class:`FrameHashes` (int64)."""
    hit_seconds: np.ndarray
    """Clip-relative time of the matching stored frame (float64)."""
    distances: np.ndarray
    """Exact PDQ Hamming distance (int32)."""


@dataclass(frozen=True)
class QueryResult(Mapping[int, ClipHits]):
    """Hits of one query grouped by stored clip: ``result[clip_id] -> ClipHits``.

    ``guaranteed_radius`` is the distance up to which every stored frame is
    certainly included (equal to ``threshold`` when the search was exact);
    between it and ``threshold`` hits are found with high but not certain
    probability. No hit is ever farther than ``threshold``.
    """

    hits: dict[int, ClipHits] = field(default_factory=dict)
    threshold: int = DEFAULT_THRESHOLD
    guaranteed_radius: int = DEFAULT_THRESHOLD

    def __getitem__(self, clip_id: int) -> ClipHits:
        return self.hits[clip_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    @property
    def exact(self) -> bool:
        """True when every stored frame within ``threshold`` is guaranteed to be present."""
        return self.guaranteed_radius >= self.threshold

    def frames_hit(self, clip_id: int) -> int:
        """Number of distinct query frames with at least one hit in ``clip_id``."""
        return int(np.unique(self.hits[clip_id].query_rows).size)

    def candidates(self) -> list[int]:
        """Clip ids by number of distinct query frames hit (most first), ties by clip id.

        Distinct query frames rather than raw hits, because one query frame can
        hit many near-identical stored frames of a static shot; what says "same
        footage" is how much of the query is covered.
        """
        return sorted(self.hits, key=lambda c: (-self.frames_hit(c), c))


@dataclass(frozen=True)
class _Segment:
    """Posting arrays for the contiguous rows ``[lo, hi)`` of the index's arrays.

    ``order[j]`` lists the segment's rows (relative to ``lo``) sorted by their
    chunk-``j`` value, and ``starts[j, v] : starts[j, v + 1]`` is the slice of
    ``order[j]`` whose chunk ``j`` equals ``v``: a counting-sort layout costing
    four bytes per frame and chunk, built in linear time.
    """

    lo: int
    hi: int
    order: np.ndarray  # (N_CHUNKS, hi - lo) int32
    starts: np.ndarray  # (N_CHUNKS, _N_BUCKETS + 1) int64

    @property
    def size(self) -> int:
        return self.hi - self.lo

    @property
    def nbytes(self) -> int:
        return int(self.order.nbytes + self.starts.nbytes)

    @classmethod
    def build(cls, keys: np.ndarray, lo: int, hi: int) -> _Segment:
        """Index rows ``lo:hi`` of the (rows, N_CHUNKS) uint16 chunk array ``keys``."""
        size = hi - lo
        order = np.empty((N_CHUNKS, size), dtype=np.int32)
        starts = np.zeros((N_CHUNKS, _N_BUCKETS + 1), dtype=np.int64)
        for j in range(N_CHUNKS):
            column = np.ascontiguousarray(keys[lo:hi, j])
            # NumPy's stable sort is a radix sort for 16-bit integers: linear time.
            order[j] = np.argsort(column, kind="stable")
            np.cumsum(np.bincount(column, minlength=_N_BUCKETS), out=starts[j, 1:])
        return cls(lo=lo, hi=hi, order=order, starts=starts)

    def probe(self, qkeys: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate (query position, global row) pairs whose chunk lies within the masks.

        ``qkeys`` is (Q, N_CHUNKS) uint16. All Q x N_CHUNKS x len(masks) bucket
        ranges are read with one fancy-indexing pass and expanded into flat
        arrays with the cumulative-length trick, so no Python loop runs per
        query frame or per bucket.
        """
        n_p = masks.shape[0]
        probes = (qkeys[:, :, None] ^ masks[None, None, :]).astype(np.int64)
        probes += (np.arange(N_CHUNKS, dtype=np.int64) * (_N_BUCKETS + 1))[None, :, None]
        flat_starts = self.starts.reshape(-1)
        begins = flat_starts[probes].reshape(-1)
        lengths = flat_starts[probes + 1].reshape(-1) - begins
        hit = np.flatnonzero(lengths)
        if hit.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        lengths = lengths[hit]
        chunk = (hit // n_p) % N_CHUNKS
        begins = begins[hit] + chunk * self.size
        query_pos = hit // (n_p * N_CHUNKS)
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        offsets = np.arange(total, dtype=np.int64)
        offsets += np.repeat(begins - (ends - lengths), lengths)
        rows = np.take(self.order.reshape(-1), offsets).astype(np.int64)
        rows += self.lo
        return np.repeat(query_pos, lengths), rows


class FrameHashIndex:
    """Multi-index hash over the PDQ hashes of every usable sampled frame of every clip.

    Memory per million indexed frames: 32 MB of hashes, 64 MB of posting
    arrays (16 chunks x int32), 17 MB of clip ids, seconds and live flags, plus 8 MB of
    bucket offsets per segment. See the module docstring for the design.
    """

    def __init__(self) -> None:
        self._pdq = np.zeros((0, PDQ_BYTES), dtype=np.uint8)
        self._clip = np.zeros(0, dtype=np.int64)
        self._seconds = np.zeros(0, dtype=np.float64)
        self._alive = np.zeros(0, dtype=bool)
        self._n = 0
        self._n_dead = 0
        self._rows_of: dict[int, tuple[int, int]] = {}
        self._segments: list[_Segment] = []

    # ------------------------------------------------------------------ updates

    def add(self, clip_id: int, hashes: FrameHashes) -> None:
        """Index a clip's usable frames, replacing whatever was indexed for ``clip_id``.

        Rows are appended; they become searchable at the next query or
        :meth:`build`, which indexes them in one batch.
        """
        clip_id = int(clip_id)
        if clip_id in self._rows_of:
            self.remove(clip_id)
        rows = _usable_rows(hashes)
        count = int(rows.size)
        if count == 0:
            self._rows_of[clip_id] = (self._n, self._n)
            return
        self._reserve(self._n + count)
        lo, hi = self._n, self._n + count
        self._pdq[lo:hi] = hashes.pdq[rows]
        self._clip[lo:hi] = clip_id
        self._seconds[lo:hi] = hashes.seconds[rows]
        self._alive[lo:hi] = True
        self._n = hi
        self._rows_of[clip_id] = (lo, hi)

    def remove(self, clip_id: int) -> None:
        """Forget a clip (a no-op for unknown ids); its frames never appear in a result again."""
        span = self._rows_of.pop(int(clip_id), None)
        if span is None:
            return
        lo, hi = span
        self._alive[lo:hi] = False
        self._n_dead += hi - lo
        if self._n_dead > _COMPACT_DEAD_FRACTION * self._n:
            self._compact()

    def build(self) -> None:
        """Index frames added since the last build (queries call this themselves).

        Call it after a bulk load so that the first query does not pay for
        indexing. New rows become one segment; the last segments are merged
        while the newest is at least a quarter of its predecessor, so there are
        O(log n) segments and each row is re-indexed O(log n) times overall.
        """
        indexed = self._segments[-1].hi if self._segments else 0
        if indexed == self._n:
            return
        lo = indexed
        while self._segments and _MERGE_RATIO * (self._n - lo) >= self._segments[-1].size:
            lo = self._segments.pop().lo
        self._segments.append(_Segment.build(self._keys(), lo, self._n))

    def _reserve(self, rows: int) -> None:
        """Grow the row arrays geometrically so that appending is amortised O(1) per row."""
        capacity = self._alive.shape[0]
        if rows <= capacity:
            return
        capacity = max(rows, 2 * capacity, _MIN_CAPACITY)
        self._pdq = _grown(self._pdq, capacity, self._n)
        self._clip = _grown(self._clip, capacity, self._n)
        self._seconds = _grown(self._seconds, capacity, self._n)
        self._alive = _grown(self._alive, capacity, self._n)

    def _compact(self) -> None:
        """Drop dead rows and re-index everything as one segment."""
        keep = np.flatnonzero(self._alive[: self._n])
        self._pdq = self._pdq[keep]
        self._clip = self._clip[keep]
        self._seconds = self._seconds[keep]
        self._alive = np.ones(keep.size, dtype=bool)
        self._n = int(keep.size)
        self._n_dead = 0
        self._rows_of = _spans(self._clip, self._rows_of)
        self._segments = []
        self.build()

    def _keys(self) -> np.ndarray:
        """The chunk values as a (rows, N_CHUNKS) uint16 view of the hash bytes (no copy)."""
        return self._pdq[: self._n].view(np.uint16)

    # ------------------------------------------------------------------ inspection

    def __len__(self) -> int:
        """Number of indexed (live) frames."""
        return self._n - self._n_dead

    def clip_ids(self) -> set[int]:
        """Ids of the clips currently indexed (including clips with no usable frame)."""
        return set(self._rows_of)

    @property
    def nbytes(self) -> int:
        """Bytes held in NumPy arrays (hashes, clip ids, seconds, posting arrays)."""
        rows = int(self._pdq.nbytes + self._clip.nbytes + self._seconds.nbytes)
        return rows + int(self._alive.nbytes) + sum(s.nbytes for s in self._segments)

    # ------------------------------------------------------------------ search

    def plan(self, n_query: int, threshold: int, *, exact: bool = False) -> tuple[int | None, int]:
        """How a query of ``n_query`` frames will search: (probe radius or None, guaranteed radius).

        ``None`` means a brute-force scan, which is exact and, for small
        libraries, cheaper than probing the 697 buckets per chunk that the full
        radius 3 needs. The cost model (see :data:`QUERY_BUDGET_NS`) assumes
        uniformly spread chunk values: each probe reads one bucket holding
        ``rows / 65536`` frames on average, each of them a candidate to verify.
        The cheaper exact plan is taken when it fits the budget (or when
        ``exact`` is set); otherwise the widest probe radius that fits, but at
        least :data:`MIN_PROBE_RADIUS`.
        """
        full = threshold // N_CHUNKS
        rows = self._n
        segments = max(len(self._segments), 1)

        def mih_cost(rho: int) -> float:
            probes = n_query * N_CHUNKS * _ball_size(rho)
            return probes * (segments * _NS_PER_PROBE + rows / _N_BUCKETS * _NS_PER_CANDIDATE)

        scan_cost = n_query * rows * _NS_PER_PAIR
        exact_plan: int | None = None if scan_cost <= mih_cost(full) else full
        if exact or min(scan_cost, mih_cost(full)) <= QUERY_BUDGET_NS:
            return exact_plan, threshold
        radius = min(full, MIN_PROBE_RADIUS)
        while radius + 1 < full and mih_cost(radius + 1) <= QUERY_BUDGET_NS:
            radius += 1
        return radius, min(threshold, N_CHUNKS * (radius + 1) - 1)

    def query(
        self,
        hashes: FrameHashes,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        exclude: Collection[int] = (),
        exact: bool = False,
    ) -> QueryResult:
        """Stored frames within ``threshold`` bits of each usable query frame, grouped by clip.

        ``exclude`` lists clip ids to leave out (typically the query clip
        itself). Low-information and low-quality query frames are skipped,
        like stored ones. Hits within each clip are ordered by query row, then
        stored time.
        """
        if not 0 <= threshold <= PDQ_BYTES * 8:
            raise ValueError(f"threshold must be between 0 and 256 bits, got {threshold}")
        self.build()
        qrows = _usable_rows(hashes)
        radius, guaranteed = self.plan(int(qrows.size), threshold, exact=exact)
        if qrows.size == 0 or len(self) == 0:
            return QueryResult({}, threshold, guaranteed)

        qpdq = np.ascontiguousarray(hashes.pdq[qrows])
        qwords = qpdq.view(np.uint64)
        words = self._pdq[: self._n].view(np.uint64)
        found_q: list[np.ndarray] = []
        found_rows: list[np.ndarray] = []
        found_dist: list[np.ndarray] = []
        if radius is None:
            for lo in range(0, self._n, _SCAN_BLOCK):
                hi = min(lo + _SCAN_BLOCK, self._n)
                qpos, rows, dist = _scan(words[lo:hi], qwords, threshold)
                found_q.append(qpos)
                found_rows.append(rows + lo)
                found_dist.append(dist)
        else:
            masks = _masks(radius)
            # Bound the candidate arrays (a wide radius on a large library would
            # otherwise allocate gigabytes): probe a batch of query frames at a time.
            per_frame = N_CHUNKS * masks.size * (self._n / _N_BUCKETS + 1)
            batch = max(1, int(_MAX_BATCH_CANDIDATES / per_frame))
            qkeys = qpdq.view(np.uint16)
            for first in range(0, qpdq.shape[0], batch):
                for segment in self._segments:
                    qpos, rows = segment.probe(qkeys[first : first + batch], masks)
                    if rows.size == 0:
                        continue
                    qpos += first
                    dist = _distances(words, rows, qwords, qpos)
                    keep = np.flatnonzero(dist <= threshold)
                    found_q.append(qpos[keep])
                    found_rows.append(rows[keep])
                    found_dist.append(dist[keep])
        if not found_rows:
            return QueryResult({}, threshold, guaranteed)
        qpos = np.concatenate(found_q)
        rows = np.concatenate(found_rows)
        dist = np.concatenate(found_dist)

        # A pair is found once per chunk within the probe radius: keep one copy.
        # Dead rows and excluded clips are dropped here, after verification,
        # when only the true hits are left to filter.
        pair = qpos * np.int64(self._n) + rows
        pair, first = np.unique(pair, return_index=True)
        qpos, rows, dist = qpos[first], rows[first], dist[first]
        keep = self._alive[rows]
        if exclude:
            keep &= ~np.isin(self._clip[rows], np.fromiter(exclude, dtype=np.int64))
        qpos, rows, dist = qpos[keep], rows[keep], dist[keep]
        return QueryResult(self._group(qrows[qpos], rows, dist), threshold, guaranteed)

    def _group(
        self, query_rows: np.ndarray, rows: np.ndarray, dist: np.ndarray
    ) -> dict[int, ClipHits]:
        """Split verified hits by clip, each ordered by query row then stored time."""
        clips = self._clip[rows]
        seconds = self._seconds[rows]
        order = np.lexsort((seconds, query_rows, clips))
        clips, query_rows = clips[order], query_rows[order]
        seconds, dist = seconds[order], dist[order]
        ids, starts = np.unique(clips, return_index=True)
        bounds = [*starts.tolist(), int(clips.size)]
        return {
            int(cid): ClipHits(
                query_rows[bounds[i] : bounds[i + 1]].astype(np.int64),
                seconds[bounds[i] : bounds[i + 1]],
                dist[bounds[i] : bounds[i + 1]].astype(np.int32),
            )
            for i, cid in enumerate(ids.tolist())
        }


def _distances(
    words: np.ndarray, rows: np.ndarray, qwords: np.ndarray, qpos: np.ndarray
) -> np.ndarray:
    """Exact 256-bit Hamming distance of each (stored row, query position) pair.

    Works on the four 64-bit words of each hash (one hardware popcount each)
    rather than on 32 bytes, which is 8 times fewer element operations than
    :func:`verifier.hashing.frames.hamming256` over the same pairs.
    """
    # np.take is several times faster than ``words[rows]`` for row gathers.
    diff = np.take(words, rows, axis=0)
    diff ^= np.take(qwords, qpos, axis=0)
    counts = np.bitwise_count(diff)
    dist = counts[:, 0].astype(np.int16)
    for w in range(1, counts.shape[1]):
        dist += counts[:, w]
    return dist


def _scan(
    words: np.ndarray, qwords: np.ndarray, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Brute-force (query position, block row, distance) of all pairs within ``threshold``.

    Compares one block of stored hashes with every query frame, a (Q, block)
    matrix per 64-bit word, so temporaries stay a few MB whatever the library size.
    """
    dist = np.zeros((qwords.shape[0], words.shape[0]), dtype=np.int16)
    for w in range(qwords.shape[1]):
        dist += np.bitwise_count(qwords[:, w, None] ^ words[None, :, w])
    qpos, rows = np.nonzero(dist <= threshold)
    return qpos.astype(np.int64), rows.astype(np.int64), dist[qpos, rows]


def _grown(arr: np.ndarray, capacity: int, used: int) -> np.ndarray:
    """A copy of ``arr`` with room for ``capacity`` rows, its first ``used`` rows kept."""
    out = np.zeros((capacity, *arr.shape[1:]), dtype=arr.dtype)
    out[:used] = arr[:used]
    return out


def _spans(clips: np.ndarray, previous: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Recompute each clip's contiguous row span after compaction (order is preserved).

    Clips with no usable frame keep an empty span so that :meth:`clip_ids` still lists them.
    """
    spans: dict[int, tuple[int, int]] = {cid: (0, 0) for cid in previous}
    if clips.size:
        ids, starts, counts = np.unique(clips, return_index=True, return_counts=True)
        for cid, lo, count in zip(ids.tolist(), starts.tolist(), counts.tolist(), strict=True):
            spans[int(cid)] = (int(lo), int(lo + count))
    return spans
