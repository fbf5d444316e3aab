#!/usr/bin/env python3
"""Ingest benchmark: import + analysis + matching speed against pure FFmpeg decoding.

For every clip (the real media in ../shared/media when present, the fixture
clips, and a 10-minute 1080p clip made by the fixture script) this measures,
in the same run:

* ingest, as ``verifier import`` does it: copy + hash, probe, the one
  decoding pass of analysis (shots, keyframes, hashes), the database and
  matching, in a fresh process whose peak resident memory is read from the
  kernel;
* the physical limit: ``ffmpeg -v error -i FILE -f null -`` with one thread
  and with FFmpeg's default threads.

It prints, per file and in total, video-seconds ingested per wall-second,
the ratio of ingest time to decode time, and peak memory. With
``--baseline-src DIR`` the same ingest is also measured with the package of
another source tree (``DIR/src``, e.g. a checkout of an earlier commit), in
the same invocation and alternating with this one, and the after/before
ratio is printed.

    python benchmarks/ingest.py [--no-long] [--repeat N] [--baseline-src DIR] [FILES...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.make_fixtures import make, make_all  # noqa: E402

from verifier.tools import ffmpeg_exe  # noqa: E402

SHARED = ROOT.parent / "shared" / "media"
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm"}

# Runs in a child process so that its peak memory is its own. It uses only
# what every version of the package offers (open_app, cases, import_paths),
# so that an earlier source tree can run it too.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from verifier.config import load_settings
from verifier.services import cases
from verifier.services.context import open_app
from verifier.services.importing import import_paths

data_dir, path, warmup = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
app = open_app(load_settings(data_dir=data_dir, analyst="benchmark"))
case = cases.get_or_create_case(app, "bench")
# Once per process (a whole batch import pays it once): lazy imports,
# codec and library initialisation. Measured and reported on its own.
w0 = time.perf_counter()
import_paths(app, [warmup], cases.get_or_create_case(app, "warm-up"))
startup = time.perf_counter() - w0
t0 = time.perf_counter()
item = import_paths(app, [path], case).items[0]
t1 = time.perf_counter()
print(json.dumps({
    "status": item.status, "reason": item.reason, "analysis": item.analysis_status,
    "ingest_s": t1 - t0,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "startup_s": startup,
}))
"""


def duration_of(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
        return float(container.duration or 0) / 1e6


def ffmpeg_decode(path: Path, threads: int | None) -> float:
    cmd = [ffmpeg_exe(), "-v", "error"]
    if threads is not None:
        cmd += ["-threads", str(threads)]
    cmd += ["-i", str(path), "-f", "null", "-"]
    start = time.perf_counter()
    subprocess.run(cmd, check=False, capture_output=True)
    return time.perf_counter() - start


def ingest_in_child(path: Path, src: Path) -> dict[str, object]:
    """Ingest one file in a fresh process running the package found in ``src``."""
    warmup = make("frame.png", ROOT / "fixtures" / "out")
    env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory() as data_dir:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, data_dir, str(path), str(warmup)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
    if out.returncode != 0:
        return {"status": "crashed", "reason": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_ingest(runs: list[dict[str, object]]) -> float | None:
    """The median ingest time of the successful runs (None if none succeeded)."""
    ok = [float(r["ingest_s"]) for r in runs if r.get("status") == "imported"]
    return statistics.median(ok) if ok else None


def collect(args: argparse.Namespace) -> list[Path]:
    if args.files:
        return [Path(f) for f in args.files]
    files: list[Path] = []
    if SHARED.is_dir():
        files += sorted(p for p in SHARED.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
    fixture_dir = ROOT / "fixtures" / "out"
    made = make_all(fixture_dir)
    files += [
        p
        for name, p in sorted(made.items())
        if p.suffix == ".mp4" and name not in {"zero.mp4", "notvideo.mp4", "truncated.mp4"}
    ]
    if not args.no_long:
        print("making the 10-minute 1080p clip (once; cached in fixtures/out)...", flush=True)
        files.append(make("long1080.mp4", fixture_dir))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("files", nargs="*")
    parser.add_argument("--no-long", action="store_true", help="skip the 10-minute 1080p clip")
    parser.add_argument("--repeat", type=int, default=1, help="take the median of N runs per file")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        metavar="DIR",
        help="also measure the package of another source tree (DIR/src) and compare",
    )
    args = parser.parse_args()
    baseline_src = args.baseline_src.resolve() / "src" if args.baseline_src else None
    if baseline_src is not None and not (baseline_src / "verifier").is_dir():
        parser.error(f"no verifier package in {baseline_src}")
    files = collect(args)
    print(f"{os.cpu_count()} cores; ffmpeg {ffmpeg_exe()}")
    if baseline_src is not None:
        print(f"baseline: {baseline_src}")
    header = (
        f"{'file':<36} {'video s':>8} {'ingest s':>8} {'dec 1t s':>8} {'dec def s':>9} "
        f"{'vs/ws':>7} {'in/dec1':>7} {'in/decD':>7} {'peak MB':>8}"
        + (f" {'base s':>8} {'after/before':>12} {'base MB':>8}" if baseline_src else "")
        + "  status"
    )
    print(header)
    print("-" * len(header))
    totals = {"video": 0.0, "ingest": 0.0, "dec1": 0.0, "decd": 0.0, "base": 0.0}
    peak = base_peak = 0.0
    startups: list[float] = []
    for path in files:
        video = duration_of(path)
        runs: list[dict[str, object]] = []
        base_runs: list[dict[str, object]] = []
        for _ in range(args.repeat):  # alternate, so both see the same machine load
            runs.append(ingest_in_child(path, ROOT / "src"))
            if baseline_src is not None:
                base_runs.append(ingest_in_child(path, baseline_src))
        dec1 = statistics.median(ffmpeg_decode(path, 1) for _ in range(args.repeat))
        decd = statistics.median(ffmpeg_decode(path, None) for _ in range(args.repeat))
        ok = [r for r in runs if r.get("status") == "imported"]
        ing = median_ingest(runs)
        base = median_ingest(base_runs) if baseline_src is not None else None
        if ing is None or (baseline_src is not None and base is None):
            failed = runs if ing is None else base_runs
            print(f"{path.name[:36]:<36} failed: {failed[0].get('reason')}")
            continue
        mem = max(float(r["peak_mb"]) for r in ok)
        startups.extend(float(r["startup_s"]) for r in ok)
        peak = max(peak, mem)
        for key, value in (("video", video), ("ingest", ing), ("dec1", dec1), ("decd", decd)):
            totals[key] += value
        compared = ""
        if base is not None:
            totals["base"] += base
            base_mem = max(float(r["peak_mb"]) for r in base_runs if r.get("status") == "imported")
            base_peak = max(base_peak, base_mem)
            compared = f" {base:8.3f} {ing / base:12.2f} {base_mem:8.0f}"
        print(
            f"{path.name[:36]:<36} {video:8.2f} {ing:8.3f} {dec1:8.3f} {decd:9.3f} "
            f"{video / ing:7.1f} {ing / dec1:7.2f} {ing / decd:7.2f} {mem:8.0f}{compared}"
            f"  {ok[0]['analysis']}"
        )
    print("-" * len(header))
    t = totals
    if not t["ingest"]:
        print("nothing was ingested")
        return
    compared = (
        f" {t['base']:8.3f} {t['ingest'] / t['base']:12.2f} {base_peak:8.0f}" if t["base"] else ""
    )
    print(
        f"{'TOTAL':<36} {t['video']:8.2f} {t['ingest']:8.3f} {t['dec1']:8.3f} {t['decd']:9.3f} "
        f"{t['video'] / t['ingest']:7.1f} {t['ingest'] / t['dec1']:7.2f} "
        f"{t['ingest'] / t['decd']:7.2f} {peak:8.0f}{compared}"
    )
    print()
    print(
        f"ingest: {t['video'] / t['ingest']:.1f} video-seconds per wall-second; "
        f"ingest/decode = {t['ingest'] / t['dec1']:.2f} (FFmpeg 1 thread), "
        f"{t['ingest'] / t['decd']:.2f} (FFmpeg default threads); peak memory {peak:.0f} MB"
    )
    if t["base"]:
        print(
            f"baseline ({baseline_src}): {t['base']:.3f} s, this tree: {t['ingest']:.3f} s; "
            f"after/before = {t['ingest'] / t['base']:.2f}; peak memory {base_peak:.0f} MB before, "
            f"{peak:.0f} MB after"
        )
    print(
        f"once per process (imports, codec initialisation), not in the figures above: "
        f"median {statistics.median(startups):.2f} s"
    )


if __name__ == "__main__":
    main()
