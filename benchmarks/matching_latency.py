#!/usr/bin/env python3
"""Matching benchmark, part 3: FrameHashIndex latency, build time, memory and recall.

For libraries of 10k, 100k and 1M stored PDQ frame hashes this builds a
:class:`~verifier.hashing.index.FrameHashIndex` the way start-up does (one
``add`` per clip of 300 frames, then ``build``), and queries it with 60-second
clips (300 frames at 5 fps).

The library is random distractor clips plus, for each query clip, a planted
"re-upload": the same 300 frames with 10-52 random bits flipped per frame
(re-encoded video frames typically differ by 10-50 bits), spread evenly so
recall can be read per noise band. It prints per size: build time, array
memory, median/p90 query latency of the default (budgeted) plan, the
guaranteed radius the planner chose, recall of planted frames per noise band,
whether every planted clip ranks first, and the latency of one ``exact=True``
query for comparison.

    python benchmarks/matching_latency.py [--sizes 10000 100000 1000000] [--queries 20]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from verifier.hashing.frames import FrameHashes  # noqa: E402
from verifier.hashing.index import DEFAULT_THRESHOLD, FrameHashIndex  # noqa: E402

CLIP_FRAMES = 300
FPS = 5.0
NOISE_MIN, NOISE_MAX = 10, DEFAULT_THRESHOLD
BANDS = ((10, 31), (32, 40), (41, 47), (48, 52))


def clip(pdq: np.ndarray) -> FrameHashes:
    """A clip's FrameHashes with good quality on every frame."""
    n = pdq.shape[0]
    return FrameHashes(
        index=np.arange(n),
        pts=np.arange(n),
        seconds=np.arange(n) / FPS,
        phash=np.zeros(n, dtype=np.uint64),
        pdq=pdq,
        quality=np.full(n, 90, dtype=np.uint8),
        low_info=np.zeros(n, dtype=bool),
        time_base="1/5",
        sample_rate=FPS,
    )


def with_noise(rng: np.random.Generator, pdq: np.ndarray, flips: np.ndarray) -> np.ndarray:
    """Copy of ``pdq`` (N, 32) with ``flips[i]`` distinct random bits flipped in row i."""
    bits = np.unpackbits(pdq, axis=1)
    order = np.argsort(rng.random(bits.shape), axis=1)
    flip = order < flips[:, None]
    return np.packbits(bits ^ flip, axis=1)


def run_size(size: int, n_queries: int, exact: bool, rng: np.random.Generator) -> dict:
    """Build a library of ``size`` frames, query it, and return the figures."""
    queries = [rng.integers(0, 256, (CLIP_FRAMES, 32), dtype=np.uint8) for _ in range(n_queries)]
    flips = [rng.integers(NOISE_MIN, NOISE_MAX + 1, CLIP_FRAMES) for _ in range(n_queries)]
    planted = [with_noise(rng, q, f) for q, f in zip(queries, flips, strict=True)]
    n_distractors = max(size - n_queries * CLIP_FRAMES, 0) // CLIP_FRAMES
    distractors = rng.integers(0, 256, (n_distractors * CLIP_FRAMES, 32), dtype=np.uint8)

    start = time.perf_counter()
    idx = FrameHashIndex()
    for i in range(n_distractors):
        idx.add(1_000 + i, clip(distractors[i * CLIP_FRAMES : (i + 1) * CLIP_FRAMES]))
    for i, pdq in enumerate(planted):
        idx.add(i, clip(pdq))
    added = time.perf_counter()
    idx.build()
    built = time.perf_counter()

    idx.query(clip(queries[0]))  # warm-up
    latencies: list[float] = []
    found = {band: [0, 0] for band in BANDS}
    top1 = 0
    guaranteed = DEFAULT_THRESHOLD
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        result = idx.query(clip(q))
        latencies.append(time.perf_counter() - t0)
        guaranteed = result.guaranteed_radius
        top1 += bool(result.candidates()) and result.candidates()[0] == i
        hit = np.zeros(CLIP_FRAMES, dtype=bool)
        if i in result:
            # Planted frame j is the re-upload of query frame j (same time).
            rows = result[i].query_rows
            same = np.isclose(result[i].hit_seconds, rows / FPS)
            hit[rows[same]] = True
        for lo, hi in BANDS:
            band = (flips[i] >= lo) & (flips[i] <= hi)
            found[(lo, hi)][0] += int(np.count_nonzero(hit & band))
            found[(lo, hi)][1] += int(np.count_nonzero(band))

    exact_ms = float("nan")
    if exact:
        t0 = time.perf_counter()
        idx.query(clip(queries[0]), exact=True)
        exact_ms = (time.perf_counter() - t0) * 1e3
    ordered = sorted(latencies)
    return {
        "size": len(idx),
        "add_s": added - start,
        "build_s": built - added,
        "mb": idx.nbytes / 1e6,
        "median_ms": statistics.median(latencies) * 1e3,
        "p90_ms": ordered[int(0.9 * (len(ordered) - 1))] * 1e3,
        "guaranteed": guaranteed,
        "recall": {band: hits / max(total, 1) for band, (hits, total) in found.items()},
        "top1": top1 / n_queries,
        "exact_ms": exact_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--no-exact", action="store_true", help="skip the exact=True timing")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    rows = [run_size(size, args.queries, not args.no_exact, rng) for size in args.sizes]
    band_names = [f"{lo}-{hi}b" for lo, hi in BANDS]
    print(
        f"FrameHashIndex, {args.queries} queries of {CLIP_FRAMES} frames, "
        f"threshold {DEFAULT_THRESHOLD}, planted noise {NOISE_MIN}-{NOISE_MAX} bits"
    )
    header = (
        f"{'frames':>9} {'add s':>6} {'build s':>7} {'MB':>6} {'med ms':>7} {'p90 ms':>7} "
        f"{'guar.':>5} " + " ".join(f"{n:>7}" for n in band_names) + f" {'top1':>5} {'exact ms':>8}"
    )
    print(header)
    for r in rows:
        recall = " ".join(f"{r['recall'][band]:>7.3f}" for band in BANDS)
        print(
            f"{r['size']:>9} {r['add_s']:>6.2f} {r['build_s']:>7.2f} {r['mb']:>6.1f} "
            f"{r['median_ms']:>7.1f} {r['p90_ms']:>7.1f} {r['guaranteed']:>5} {recall} "
            f"{r['top1']:>5.2f} {r['exact_ms']:>8.0f}"
        )
    for prev, cur in itertools.pairwise(rows):
        print(
            f"growth {prev['size']} -> {cur['size']}: x{cur['size'] / prev['size']:.0f} frames, "
            f"x{cur['median_ms'] / prev['median_ms']:.1f} median latency"
        )
    last = rows[-1]
    verdict = "meets" if last["median_ms"] < 100 else "MISSES"
    print(
        f"target median < 100 ms at {last['size']} frames: {verdict} ({last['median_ms']:.1f} ms)"
    )


if __name__ == "__main__":
    main()
