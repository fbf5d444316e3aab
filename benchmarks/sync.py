"""Offset errors of the audio sync on pairs built from real recordings.

Builds every pair of :mod:`fixtures.sync_pairs` (cached in a temp folder)
and prints, per pair, the true offset, the estimate, the error in
milliseconds and the confidence. Unrelated pairs must read "none".

Usage: python benchmarks/sync.py [--media ../shared/media] [--out /tmp/verifier-sync-pairs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.sync_pairs import PAIRS, build_pair  # noqa: E402

from verifier.analysis.sync import estimate_offset, read_sound  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "media")
    parser.add_argument(
        "--out", type=Path, default=Path(tempfile.gettempdir()) / "verifier-sync-pairs"
    )
    args = parser.parse_args()
    if not args.media.is_dir():
        print(f"no real media at {args.media}", file=sys.stderr)
        return 2
    print(f"{'pair':34} {'true':>8} {'estimate':>9} {'error ms':>9} {'conf':>10} "
          f"{'peak':>6} {'ratio':>6} {'fine':>5} {'time s':>6}")  # fmt: skip
    for spec in PAIRS:
        a_path, b_path = build_pair(spec, args.media, args.out)
        started = time.perf_counter()
        result = estimate_offset(read_sound(a_path, label="A"), read_sound(b_path, label="B"))
        took = time.perf_counter() - started
        true = spec.offset
        est = result.offset
        error = "" if true is None or est is None else f"{(est - true) * 1000:+.1f}"
        print(f"{spec.name:34} {'-' if true is None else f'{true:+.3f}':>8} "
              f"{'-' if est is None else f'{est:+.4f}':>9} {error:>9} {result.confidence:>10} "
              f"{result.peak:6.1f} {result.ratio:6.2f} {'yes' if result.refined else 'no':>5} "
              f"{took:6.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
