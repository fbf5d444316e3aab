#!/usr/bin/env python3
"""Ingest benchmark: import + analysis speed against pure FFmpeg decoding.

For every clip (the real media in ../shared/media when present, the fixture
clips, and a 10-minute 1080p clip made by the fixture script) this measures,
in the same run:

* import (copy + hash + probe + database) and analysis (the one decoding
  pass: shots, keyframes, hashes), each in a fresh process whose peak
  resident memory is read from the kernel;
* the physical limit: ``ffmpeg -v error -i FILE -f null -`` with one thread
  and with FFmpeg's default threads.

It prints, per file and in total, video-seconds analysed per wall-second,
the ratio of analysis time to decode time, and peak memory.

    python benchmarks/ingest.py [--no-long] [--repeat N] [FILES...]
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

# Runs in a child process so that its peak memory is its own.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from verifier.config import load_settings
from verifier.services import cases
from verifier.services.analysis import analyse_clip
from verifier.services.context import open_app
from verifier.services.importing import import_paths

data_dir, path, warmup = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
app = open_app(load_settings(data_dir=data_dir, analyst="benchmark"))
case = cases.get_or_create_case(app, "bench")
# Once per process (a whole batch import pays it once): lazy imports,
# codec and library initialisation. Measured and reported on its own.
w0 = time.perf_counter()
analyse_clip(app, import_paths(app, [warmup], cases.get_or_create_case(app, "warm-up"),
                               analyse=False).items[0].clip_id)
startup = time.perf_counter() - w0
t0 = time.perf_counter()
item = import_paths(app, [path], case, analyse=False).items[0]
t1 = time.perf_counter()
result = analyse_clip(app, item.clip_id) if item.clip_id else None
t2 = time.perf_counter()
print(json.dumps({
    "status": item.status, "reason": item.reason,
    "analysis": result.status if result else None,
    "import_s": t1 - t0, "analysis_s": t2 - t1,
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


def analyse_in_child(path: Path) -> dict[str, object]:
    warmup = make("frame.png", ROOT / "fixtures" / "out")
    with tempfile.TemporaryDirectory() as data_dir:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, data_dir, str(path), str(warmup)],
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        return {"status": "crashed", "reason": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    args = parser.parse_args()
    files = collect(args)
    print(f"{os.cpu_count()} cores; ffmpeg {ffmpeg_exe()}")
    header = (
        f"{'file':<36} {'video s':>8} {'import s':>8} {'analyse s':>9} {'dec 1t s':>8} "
        f"{'dec def s':>9} {'vs/ws':>7} {'an/dec1':>7} {'an/decD':>7} {'peak MB':>8}  status"
    )
    print(header)
    print("-" * len(header))
    totals = {"video": 0.0, "import": 0.0, "analysis": 0.0, "dec1": 0.0, "decd": 0.0}
    peak = 0.0
    startups: list[float] = []
    for path in files:
        video = duration_of(path)
        runs = [analyse_in_child(path) for _ in range(args.repeat)]
        dec1 = statistics.median(ffmpeg_decode(path, 1) for _ in range(args.repeat))
        decd = statistics.median(ffmpeg_decode(path, None) for _ in range(args.repeat))
        ok = [r for r in runs if r.get("status") == "imported"]
        if not ok:
            print(f"{path.name[:36]:<36} failed: {runs[0].get('reason')}")
            continue
        imp = statistics.median(float(r["import_s"]) for r in ok)
        ana = statistics.median(float(r["analysis_s"]) for r in ok)
        mem = max(float(r["peak_mb"]) for r in ok)
        startups.extend(float(r["startup_s"]) for r in ok)
        peak = max(peak, mem)
        for key, value in (
            ("video", video),
            ("import", imp),
            ("analysis", ana),
            ("dec1", dec1),
            ("decd", decd),
        ):
            totals[key] += value
        print(
            f"{path.name[:36]:<36} {video:8.2f} {imp:8.3f} {ana:9.3f} {dec1:8.3f} {decd:9.3f} "
            f"{video / ana:7.1f} {ana / dec1:7.2f} {ana / decd:7.2f} {mem:8.0f}"
            f"  {ok[0]['analysis']}"
        )
    print("-" * len(header))
    t = totals
    print(
        f"{'TOTAL':<36} {t['video']:8.2f} {t['import']:8.3f} {t['analysis']:9.3f} {t['dec1']:8.3f} "
        f"{t['decd']:9.3f} {t['video'] / t['analysis']:7.1f} {t['analysis'] / t['dec1']:7.2f} "
        f"{t['analysis'] / t['decd']:7.2f} {peak:8.0f}"
    )
    print()
    print(
        f"analysis: {t['video'] / t['analysis']:.1f} video-seconds per wall-second; "
        f"analysis/decode = {t['analysis'] / t['dec1']:.2f} (FFmpeg 1 thread), "
        f"{t['analysis'] / t['decd']:.2f} (FFmpeg default threads); "
        f"import+analysis/decode(default) = {(t['import'] + t['analysis']) / t['decd']:.2f}; "
        f"peak memory {peak:.0f} MB"
    )
    print(
        f"once per process (imports, codec initialisation), not in the figures above: "
        f"median {statistics.median(startups):.2f} s"
    )


if __name__ == "__main__":
    main()
