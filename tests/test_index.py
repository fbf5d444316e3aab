"""FrameHashIndex against a brute-force reference (hamming256 over every stored frame)."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pytest

from verifier.hashing import index as index_module
from verifier.hashing.frames import FrameHashes, hamming256
from verifier.hashing.index import FrameHashIndex, QueryResult

THRESHOLD = 52

Pair = tuple[int, int, float, int]  # (clip id, query row, stored seconds, distance)


def make_hashes(
    pdq: np.ndarray,
    *,
    quality: np.ndarray | None = None,
    low_info: np.ndarray | None = None,
    start: float = 0.0,
) -> FrameHashes:
    """A clip sampled at 5 fps with the given PDQ hashes (all usable unless told)."""
    n = pdq.shape[0]
    return FrameHashes(
        index=np.arange(n),
        pts=np.arange(n),
        seconds=start + np.arange(n) / 5.0,
        phash=np.zeros(n, dtype=np.uint64),
        pdq=pdq,
        quality=np.full(n, 90, dtype=np.uint8) if quality is None else quality,
        low_info=np.zeros(n, dtype=bool) if low_info is None else low_info,
        time_base="1/5",
        sample_rate=5.0,
    )


def flip_bits(rng: np.random.Generator, pdq: np.ndarray, k: int) -> np.ndarray:
    """A copy of one 32-byte hash with exactly ``k`` distinct bits flipped."""
    bits = np.unpackbits(pdq.copy())
    where = rng.choice(256, size=k, replace=False)
    bits[where] ^= 1
    return np.packbits(bits)


def brute_force(
    library: dict[int, FrameHashes],
    query: FrameHashes,
    threshold: int = THRESHOLD,
    exclude: Collection[int] = (),
) -> set[Pair]:
    """Every (clip, query row, seconds, distance) within threshold, over usable frames only."""
    qmask = ~query.low_info & (query.quality >= 50)
    out: set[Pair] = set()
    for clip_id, stored in library.items():
        if clip_id in exclude:
            continue
        smask = ~stored.low_info & (stored.quality >= 50)
        dist = hamming256(query.pdq[:, None, :], stored.pdq[None, :, :])
        for q, s in zip(*np.nonzero(dist <= threshold), strict=True):
            if qmask[q] and smask[s]:
                out.add((clip_id, int(q), float(stored.seconds[s]), int(dist[q, s])))
    return out


def as_pairs(result: QueryResult) -> set[Pair]:
    out: set[Pair] = set()
    for clip_id, hits in result.items():
        for q, sec, d in zip(hits.query_rows, hits.hit_seconds, hits.distances, strict=True):
            out.add((clip_id, int(q), float(sec), int(d)))
    return out


@pytest.fixture
def planted() -> tuple[dict[int, FrameHashes], FrameHashes]:
    """5,000 stored frames in 100 clips and 200 query frames.

    Half the query frames are copies of stored frames with 0..70 bits flipped
    (so every distance up to the threshold and beyond occurs), half are random.
    """
    rng = np.random.default_rng(7)
    library = {
        clip_id: make_hashes(rng.integers(0, 256, (50, 32), dtype=np.uint8))
        for clip_id in range(100)
    }
    query = rng.integers(0, 256, (200, 32), dtype=np.uint8)
    for i in range(100):
        source = library[int(rng.integers(100))].pdq[int(rng.integers(50))]
        query[i] = flip_bits(rng, source, i % 71)
    return library, make_hashes(query)


def build(library: dict[int, FrameHashes]) -> FrameHashIndex:
    idx = FrameHashIndex()
    for clip_id, hashes in library.items():
        idx.add(clip_id, hashes)
    return idx


def test_planted_data_has_every_distance(planted: tuple[dict, FrameHashes]) -> None:
    library, query = planted
    distances = {d for *_, d in brute_force(library, query)}
    assert set(range(THRESHOLD + 1)) <= distances


def test_default_query_on_small_library_is_exact(planted: tuple[dict, FrameHashes]) -> None:
    library, query = planted
    result = build(library).query(query)
    assert result.exact and result.guaranteed_radius == THRESHOLD
    assert as_pairs(result) == brute_force(library, query)


@pytest.mark.parametrize("threshold", [0, 15, 31, 52, 70])
def test_exact_multi_index_equals_brute_force(
    planted: tuple[dict, FrameHashes], threshold: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Force the multi-index plan (not the scan) at the full radius: pigeonhole exactness."""
    monkeypatch.setattr(index_module, "_NS_PER_PAIR", 1e9)
    library, query = planted
    idx = build(library)
    assert idx.plan(len(query), threshold, exact=True) == (threshold // 16, threshold)
    result = idx.query(query, threshold=threshold, exact=True)
    assert result.exact
    assert as_pairs(result) == brute_force(library, query, threshold)


def test_budgeted_probe_keeps_guarantee_and_never_overreports(
    planted: tuple[dict, FrameHashes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no budget the planner probes radius 1: every hit within 31 bits, no false hit."""
    monkeypatch.setattr(index_module, "QUERY_BUDGET_NS", 0)
    library, query = planted
    result = build(library).query(query)
    assert (result.exact, result.guaranteed_radius) == (False, 31)
    expected = brute_force(library, query)
    found = as_pairs(result)
    assert found <= expected
    assert {p for p in expected if p[3] <= 31} <= found
    # Beyond the guarantee most planted copies are still found.
    beyond = {p for p in expected if 31 < p[3] <= THRESHOLD}
    assert len(found & beyond) >= 0.5 * len(beyond)


@pytest.mark.parametrize("plan", ["scan", "multi-index exact", "probe radius 1"])
def test_add_replace_remove_sequence(plan: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random updates interleaved with queries (segments, merges, compaction) stay correct."""
    if plan == "multi-index exact":
        monkeypatch.setattr(index_module, "_NS_PER_PAIR", 1e9)
        monkeypatch.setattr(index_module, "QUERY_BUDGET_NS", 1e18)
    elif plan == "probe radius 1":
        monkeypatch.setattr(index_module, "QUERY_BUDGET_NS", 0)
    rng = np.random.default_rng(11)
    base = rng.integers(0, 256, (400, 32), dtype=np.uint8)
    idx = FrameHashIndex()
    library: dict[int, FrameHashes] = {}

    def random_clip() -> FrameHashes:
        n = int(rng.integers(0, 60))
        pdq = rng.integers(0, 256, (n, 32), dtype=np.uint8)
        for i in range(n):
            if rng.random() < 0.5:
                pdq[i] = flip_bits(
                    rng, base[int(rng.integers(len(base)))], int(rng.integers(0, 25))
                )
        return make_hashes(
            pdq, quality=rng.integers(30, 100, n).astype(np.uint8), start=float(rng.random())
        )

    query = make_hashes(np.stack([flip_bits(rng, b, int(rng.integers(0, 8))) for b in base[:150]]))
    for step in range(120):
        action = rng.random()
        clip_id = int(rng.integers(0, 40))
        if action < 0.6:
            library[clip_id] = random_clip()
            idx.add(clip_id, library[clip_id])
        else:
            library.pop(clip_id, None)
            idx.remove(clip_id)
        assert idx.clip_ids() == set(library)
        assert len(idx) == sum(
            int(np.count_nonzero(~h.low_info & (h.quality >= 50))) for h in library.values()
        )
        if step % 6 == 0:
            result = idx.query(query)
            expected = brute_force(library, query)
            assert result.exact == (plan != "probe radius 1")
            if result.exact:
                assert as_pairs(result) == expected
            else:
                assert (
                    {p for p in expected if p[3] <= result.guaranteed_radius}
                    <= as_pairs(result)
                    <= expected
                )
    assert idx.query(query, exact=True).keys() == {c for c, *_ in brute_force(library, query)}


def test_low_information_and_low_quality_frames_are_not_indexed() -> None:
    rng = np.random.default_rng(3)
    pdq = rng.integers(0, 256, (6, 32), dtype=np.uint8)
    quality = np.array([90, 49, 50, 90, 10, 90], dtype=np.uint8)
    low_info = np.array([False, False, False, True, False, False])
    idx = FrameHashIndex()
    idx.add(1, make_hashes(pdq, quality=quality, low_info=low_info))
    assert len(idx) == 3
    result = idx.query(make_hashes(pdq))
    assert sorted(result[1].query_rows.tolist()) == [0, 2, 5]
    assert result[1].distances.tolist() == [0, 0, 0]
    # Low-information query frames are not searched either.
    result = idx.query(make_hashes(pdq, low_info=np.ones(6, dtype=bool)))
    assert len(result) == 0


def test_exclude_and_replace() -> None:
    rng = np.random.default_rng(5)
    pdq = rng.integers(0, 256, (10, 32), dtype=np.uint8)
    idx = FrameHashIndex()
    idx.add(1, make_hashes(pdq))
    idx.add(2, make_hashes(pdq[:4]))
    query = make_hashes(pdq)
    assert idx.query(query).candidates() == [1, 2]
    assert set(idx.query(query, exclude={1})) == {2}
    assert len(idx.query(query, exclude=[1, 2])) == 0
    idx.add(1, make_hashes(rng.integers(0, 256, (3, 32), dtype=np.uint8)))
    assert len(idx) == 7
    assert set(idx.query(query)) == {2}


def test_hits_are_grouped_and_ranked() -> None:
    rng = np.random.default_rng(9)
    pdq = rng.integers(0, 256, (20, 32), dtype=np.uint8)
    idx = FrameHashIndex()
    idx.add(7, make_hashes(pdq[:5], start=100.0))
    idx.add(3, make_hashes(np.concatenate([pdq[5:15], pdq[5:15]])))
    result = idx.query(make_hashes(pdq))
    assert result.candidates() == [3, 7]
    assert result.frames_hit(3) == 10
    hits = result[3]
    assert hits.query_rows.tolist() == sorted(hits.query_rows.tolist())
    assert hits.query_rows.size == 20 and hits.hit_seconds.dtype == np.float64
    assert result[7].hit_seconds.tolist() == [100.0, 100.2, 100.4, 100.6, 100.8]


def test_empty_index_and_empty_query() -> None:
    idx = FrameHashIndex()
    assert len(idx) == 0 and idx.clip_ids() == set()
    query = make_hashes(np.zeros((3, 32), dtype=np.uint8))
    assert len(idx.query(query)) == 0
    assert idx.query(query).candidates() == []
    idx.add(1, make_hashes(np.zeros((0, 32), dtype=np.uint8)))
    assert idx.clip_ids() == {1} and len(idx) == 0
    assert len(idx.query(make_hashes(np.zeros((0, 32), dtype=np.uint8)))) == 0
    idx.remove(1)
    idx.remove(99)
    assert idx.clip_ids() == set()


def test_threshold_is_validated() -> None:
    with pytest.raises(ValueError, match="threshold"):
        FrameHashIndex().query(make_hashes(np.zeros((1, 32), dtype=np.uint8)), threshold=300)
