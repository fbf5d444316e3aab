"""Long fuzzing runs: hundreds of mutated media files through the real import, each guarded.

    python benchmarks/fuzz.py --cases 500 --seed 1 [--memory-mb 3072] [--timeout 60]

Each case (built from its seed by ``tests/fuzz/mutations.py``: truncation,
flipped bytes, corrupted headers, extreme declared sizes and frame counts,
empty files, audio-only and many-stream containers, stills named as video,
from the fixtures, ``../shared/media`` and a few files made with FFmpeg) is
imported, with analysis, by a worker process that runs under
``RLIMIT_AS`` (the memory guard) while this process holds a per-case
timeout (the time guard). A worker that dies counts the case as crashed, a
case that outlives its timeout as hung; either way a fresh worker carries
on with the next case. Afterwards ``verify`` must find the library intact.

Prints: tried, accepted (imported, possibly with warnings), rejected with a
clear error, crashed (must be 0), hung (must be 0), peak memory of a worker,
and the verification. Exits non-zero when anything crashed or hung or the
verification failed. A failing case is rebuilt from the seed printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from mutations import build_case, import_case, make_sources  # noqa: E402


def _sources(work: Path) -> list[Path]:
    from verifier.tools import ffmpeg_exe

    fixtures = os.environ.get("VERIFIER_FIXTURE_DIR")
    return make_sources(ffmpeg_exe(), Path(fixtures) if fixtures else None, work / "sources")


def worker(data_dir: Path, work: Path, memory_mb: int) -> None:
    """Import the cases whose seeds arrive on stdin; one JSON line per case on stdout."""
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from verifier.config import load_settings
    from verifier.services import cases
    from verifier.services.context import open_app

    sources = _sources(work)
    folder = work / f"cases-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    app = open_app(load_settings(data_dir=data_dir, analyst="fuzz"))
    case_record = cases.get_or_create_case(app, "fuzz")
    for line in sys.stdin:
        seed = int(line)
        case = build_case(seed, sources)
        outcome, detail = import_case(app, case_record, case, folder)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(json.dumps({"seed": seed, "outcome": outcome, "detail": detail[:300],
                          "case": f"{case.source} {case.mutation}", "peak_mb": peak}),
              flush=True)  # fmt: skip
    app.close()


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, data_dir: Path, work: Path, memory_mb: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(data_dir), "--work", str(work),
             "--memory-mb", str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def run(self, seed: int, timeout: float) -> dict[str, object] | str:
        """The worker's answer for one seed, or "hung" / "died (status N)"."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(f"{seed}\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return f"died (status {self.proc.wait()})"
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return "hung"
        line = self.proc.stdout.readline()
        if not line:
            return f"died (status {self.proc.wait()})"
        return json.loads(line)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1, help="first seed; cases use seed..seed+N-1")
    parser.add_argument("--memory-mb", type=int, default=3072, help="address-space limit")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.work, args.memory_mb)
        return 0

    with tempfile.TemporaryDirectory(prefix="verifier-fuzz-") as tmp:
        work, data_dir = Path(tmp), Path(tmp) / "data"
        _sources(work)  # made once, before the workers start
        counts = {"accepted": 0, "rejected": 0, "crashed": 0, "hung": 0}
        failures: list[str] = []
        peak_mb = 0
        started = time.monotonic()
        current = Worker(data_dir, work, args.memory_mb)
        for seed in range(args.seed, args.seed + args.cases):
            answer = current.run(seed, args.timeout)
            if isinstance(answer, dict):
                counts[str(answer["outcome"])] += 1
                peak_mb = max(peak_mb, int(answer["peak_mb"]))  # type: ignore[call-overload]
                if answer["outcome"] == "crashed":
                    failures.append(f"seed {seed} ({answer['case']}): {answer['detail']}")
                continue
            counts["hung" if answer == "hung" else "crashed"] += 1
            failures.append(f"seed {seed}: worker {answer}")
            current.stop()
            current = Worker(data_dir, work, args.memory_mb)
        current.proc.stdin.close()  # type: ignore[union-attr]
        current.proc.wait()
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        peak_mb = max(peak_mb, children)

        from verifier.config import load_settings
        from verifier.services.context import open_app
        from verifier.services.verification import verify

        app = open_app(load_settings(data_dir=data_dir, analyst="fuzz"))
        report = verify(app)
        app.close()

    elapsed = time.monotonic() - started
    print(f"tried    {args.cases} (seeds {args.seed}..{args.seed + args.cases - 1})")
    print(f"accepted {counts['accepted']}  (imported, possibly with warnings)")
    print(f"rejected {counts['rejected']}  (with a clear per-file error)")
    print(f"crashed  {counts['crashed']}  (must be 0)")
    print(f"hung     {counts['hung']}  (must be 0; timeout {args.timeout:g} s per case)")
    print(f"peak memory {peak_mb} MB of a worker (limit {args.memory_mb} MB address space)")
    print(f"verify   {'OK' if report.ok else 'FAILED'}: {report.files_checked} file(s), "
          f"{report.events_checked} custody event(s)")  # fmt: skip
    print(f"time     {elapsed:.0f} s")
    for line in failures[:20]:
        print(f"  {line}")
    for problem in report.problems[:20]:
        print(f"  verify: {problem.message}")
    return 0 if not counts["crashed"] and not counts["hung"] and report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
