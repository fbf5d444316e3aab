#!/usr/bin/env python3
"""Frame-stepping benchmark: what the GUI frame viewer waits for, headless.

The viewer opens one :class:`~verifier.media.decode.VideoDecoder` per clip
with the exact frame index that analysis stored, and for every frame it shows
calls ``decoder.frame(i)`` (or ``next()``/``prev()``), then
``frame.rgb(max_side=...)`` and :func:`verifier.gui.imaging.qimage_from_rgb`.
This script times exactly that sequence (no window, no event loop) on a 1080p
H.264 clip with 250-frame GOPs and B-frames (``longgop1080.mp4`` from the
fixture script, built on first use into ``fixtures/out``):

* **forward**: a fresh decoder seeks to a start frame, then steps forward
  100 times; the starts include frame 0 (the frame opening decodes), places
  just after a seek, and runs that cross a keyframe;
* **back**: a fresh decoder seeks to a frame, then steps back 60 times; some
  runs cross a GOP boundary backwards, which has to decode the whole
  previous GOP once;
* **seek**: one decoder jumps to uniformly random frames (fixed seed), as a
  user clicking on the timeline; jumps that land on a cached frame are
  reported apart, because the target applies to real decodes.

Every timed operation is decode + ``rgb(max_side)`` + ``qimage_from_rgb``
(the QImage step is skipped, with a note, if PySide6 is missing). For each
decoder variant (``--threads``) it prints median / p90 / max, whether the
target is met (median forward < 15 ms, back < 40 ms, random seek < 250 ms),
and the decoder's counters. For context it also prints, in the same run, the
per-frame cost of a plain sequential PyAV decode and of the conversion alone.

    python benchmarks/stepping.py [--file F] [--max-side 1280] [--seeks 60]
                                  [--threads auto off threads2 threads4 noskip]

Variants: ``auto`` is the default decoder (FFmpeg frame + slice threads,
automatic count), ``off`` decodes in one thread, ``threadsN`` sets N
threads, ``noskip`` turns off skipping non-reference pictures. To compare
with another version of the decoder on the same machine, put a copy of its
``verifier`` package first on ``PYTHONPATH``; variants it does not support
are skipped. The machine's load matters a lot (2-core machines especially):
run before and after alternately, several times.
"""

from __future__ import annotations

import argparse
import inspect
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.make_fixtures import make  # noqa: E402

from verifier.media.decode import DecodedFrame, VideoDecoder  # noqa: E402

try:
    from verifier.gui.imaging import qimage_from_rgb
except ImportError as exc:  # PySide6 missing: measure decode + conversion only
    QIMAGE_NOTE = f"QImage step skipped ({exc})"

    def qimage_from_rgb(rgb: np.ndarray) -> Any:
        return rgb

else:
    QIMAGE_NOTE = "decode + rgb(max_side) + qimage_from_rgb"

TARGET_MS = {"forward": 15.0, "back": 40.0, "seek": 250.0}

#: Decoder variants by name: constructor keyword arguments. A variant whose
#: arguments this decoder does not accept is reported and skipped, so that the
#: same script measures older versions of the decoder for comparison.
VARIANTS: dict[str, dict[str, Any]] = {
    "auto": {"threads": True},
    "off": {"threads": False},
    "threads2": {"threads": 2},
    "threads4": {"threads": 4},
    "noskip": {"skip_nonref": False},
}


def supported(kwargs: dict[str, Any]) -> bool:
    params = inspect.signature(VideoDecoder.__init__).parameters
    return all(name in params for name in kwargs)


def exact_index(path: Path) -> list[int]:
    """The pts list analysis stores: the one from a full ``iter_frames`` pass.

    (Analysis packs ``frame.info.pts`` of every frame of this pass with
    ``pack_frame_index``; the viewer unpacks it and passes it as ``index``.)
    """
    with VideoDecoder(path) as decoder:
        return [int(f.info.pts) for f in decoder.iter_frames()]


class Timer:
    """Times one user action: fetch the frame, convert it, wrap it in a QImage."""

    def __init__(self, max_side: int) -> None:
        self.max_side = max_side

    def __call__(self, fetch: Callable[[], DecodedFrame | None]) -> float:
        started = time.perf_counter()
        frame = fetch()
        assert frame is not None
        qimage_from_rgb(frame.rgb(max_side=self.max_side))
        return (time.perf_counter() - started) * 1000


def summary(times: list[float]) -> str:
    if not times:
        return "no samples"
    p90 = float(np.percentile(times, 90))
    return (
        f"median {statistics.median(times):7.1f}  p90 {p90:7.1f}  max {max(times):7.1f} ms"
        f"  (n={len(times)})"
    )


def verdict(kind: str, times: list[float]) -> str:
    if not times:
        return ""
    median = statistics.median(times)
    ok = "met" if median < TARGET_MS[kind] else "MISSED"
    return f"target median < {TARGET_MS[kind]:.0f} ms: {ok}"


STAT_FIELDS = ("seeks", "decoded", "cache_hits", "cache_misses", "restarts")


def stats_line(stats: list[Any]) -> str:
    """Decoder counters summed over runs (each run is one fresh decoder)."""
    totals = {f: sum(getattr(s, f) for s in stats) for f in STAT_FIELDS}
    return "decoder stats: " + ", ".join(f"{k} {v}" for k, v in totals.items())


def clamp_starts(starts: list[int], count: int, run: int, forward: bool) -> list[int]:
    if forward:
        return sorted({max(0, min(s, count - 1 - run)) for s in starts})
    return sorted({max(run, min(s, count - 1)) for s in starts})


def bench_variant(
    path: Path, index: list[int], kwargs: dict[str, Any], args: argparse.Namespace
) -> dict[str, list[float]]:
    timer = Timer(args.max_side)
    count = len(index)
    results: dict[str, list[float]] = {}

    def open_decoder() -> VideoDecoder:
        return VideoDecoder(path, index=index, **kwargs)

    # (a) forward runs from several starts; each run uses a fresh decoder.
    # 245 and 495 cross a keyframe (250, 500) forwards.
    forward: list[float] = []
    stats: list[Any] = []
    starts = clamp_starts([0, 120, 245, 420, 495], count, args.forward_steps, forward=True)
    for start in starts:
        with open_decoder() as decoder:
            timer(lambda d=decoder, s=start: d.frame(s))  # the seek (or opening frame)
            for _ in range(args.forward_steps):
                forward.append(timer(decoder.next))
            stats.append(decoder.stats)
    print(f"  forward  {summary(forward)}  {verdict('forward', forward)}")
    print(f"           starts {starts} x {args.forward_steps} steps; {stats_line(stats)}")
    results["forward"] = forward

    # (b) back runs; 280, 300 and 530 cross a keyframe (250, 500) backwards.
    back: list[float] = []
    worst: tuple[float, int] = (0.0, -1)
    stats = []
    starts = clamp_starts([100, 200, 280, 300, 530], count, args.back_steps, forward=False)
    for start in starts:
        with open_decoder() as decoder:
            timer(lambda d=decoder, s=start: d.frame(s))
            for _ in range(args.back_steps):
                target = (decoder.position or 0) - 1
                ms = timer(decoder.prev)
                back.append(ms)
                worst = max(worst, (ms, target))
            stats.append(decoder.stats)
    print(f"  back     {summary(back)}  {verdict('back', back)}")
    print(
        f"           starts {starts} x {args.back_steps} steps (slowest: to frame {worst[1]}); "
        f"{stats_line(stats)}"
    )
    results["back"] = back

    # (c) random seeks on one decoder, as a user clicking on the timeline.
    rng = random.Random(args.seed)
    decoder = open_decoder()
    misses: list[float] = []
    hits: list[float] = []
    for _ in range(args.seeks):
        target = rng.randrange(count)
        before = decoder.stats.cache_hits
        ms = timer(lambda t=target: decoder.frame(t))
        (hits if decoder.stats.cache_hits > before else misses).append(ms)
    everything = misses + hits
    print(f"  seek     {summary(everything)}  {verdict('seek', everything)}")
    print(f"    decoded {summary(misses)}  {verdict('seek', misses)}")
    print(f"    cached  {summary(hits)}")
    print(f"           {args.seeks} seeks, seed {args.seed}; {stats_line([decoder.stats])}")
    decoder.close()
    results["seek"] = everything
    results["seek (decoded)"] = misses
    return results


def baseline(path: Path, max_side: int, frames: int = 250) -> None:
    """Per-frame cost of a plain sequential PyAV decode, and of the conversion."""
    for thread_type in ("AUTO", "NONE"):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if thread_type != "NONE":
                stream.codec_context.thread_type = thread_type
            decoded = 0
            started = time.perf_counter()
            for _ in container.decode(stream):
                decoded += 1
                if decoded >= frames:
                    break
            per = (time.perf_counter() - started) * 1000 / max(decoded, 1)
        label = "frame+slice threads" if thread_type == "AUTO" else "one thread"
        print(f"  plain PyAV sequential decode ({label}): {per:.2f} ms/frame")
    with VideoDecoder(path) as decoder:
        frame = decoder.frame(0)
        times = []
        for _ in range(30):
            fresh = DecodedFrame(frame.av_frame, frame.info, decoder.rotation)
            started = time.perf_counter()
            qimage_from_rgb(fresh.rgb(max_side=max_side))
            times.append((time.perf_counter() - started) * 1000)
    print(f"  conversion only, rgb(max_side={max_side}) + QImage: {summary(times)}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, help="video to step through (default: fixture)")
    parser.add_argument("--max-side", type=int, default=1280, help="display size (default 1280)")
    parser.add_argument("--seeks", type=int, default=60, help="random seeks (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random seeks")
    parser.add_argument("--forward-steps", type=int, default=100)
    parser.add_argument("--back-steps", type=int, default=60)
    parser.add_argument(
        "--threads",
        nargs="+",
        default=["auto"],
        choices=sorted(VARIANTS),
        help="decoder variants to measure: " + "; ".join(f"{k}={v}" for k, v in VARIANTS.items()),
    )
    args = parser.parse_args()

    path = args.file or make("longgop1080.mp4", ROOT / "fixtures" / "out")
    print(f"file: {path}")
    started = time.perf_counter()
    index = exact_index(path)
    with VideoDecoder(path, index=index) as probe:
        size = f"{probe.width}x{probe.height}"
    print(
        f"{len(index)} frames, {size}; exact index from a full iter_frames pass in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"timed: {QIMAGE_NOTE}, max_side={args.max_side}")
    print("baseline:")
    baseline(path, args.max_side)
    for name in args.threads:
        kwargs = VARIANTS[name]
        if not supported(kwargs):
            print(f"variant {name} {kwargs}: not supported by this decoder; skipped")
            continue
        print(f"variant {name}: VideoDecoder(path, index=..., {kwargs})")
        bench_variant(path, index, kwargs, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
