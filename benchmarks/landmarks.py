#!/usr/bin/env python3
"""Landmark matching on real image pairs: the inlier counts behind the thresholds.

    python benchmarks/landmarks.py [--media ../shared/media] [--figures DIR]

Pairs (from ``../shared/media``, see its README):

* the OpenCV sample pairs that show one place or object: ``leuvenA/B``
  (street, lighting change), ``graf1/3`` (wall, strong viewpoint change),
  ``box/box_in_scene`` (object in clutter); every cross pair (each image of
  one pair against each image of the others) must not match;
* frames of two excerpts of one real video (``box.mp4`` at 1 s, cropped to
  its left three quarters, and at 8 s, cropped to its right three quarters
  and scaled to 60 %): the same room filmed twice, framed differently;
  frames of unrelated clips (``cup.mp4``, ``tree.avi``,
  ``doorknob-hd-no-bar.mp4``, ``pattern-hd-no-bar.mp4``) must not match it.

Prints one row per pair: expected, verdict, tentative matches, homography
and fundamental-matrix inliers, time. Exits 1 when a verdict is wrong.
With ``--figures`` it writes each true pair's figure there.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

from verifier.geo.landmarks import draw_figure, match_landmarks

PAIRS = [("leuvenA.jpg", "leuvenB.jpg"), ("graf1.png", "graf3.png"),
         ("box.png", "box_in_scene.png")]  # fmt: skip
UNRELATED_CLIPS = [
    ("opencv/cup.mp4", 1.0),
    ("opencv/tree.avi", 2.0),
    ("threatexchange/doorknob-hd-no-bar.mp4", 0.5),
    ("threatexchange/pattern-hd-no-bar.mp4", 1.0),
]


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"{path}: cannot be read")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """The first frame at or after ``seconds`` (RGB), decoded with PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(seconds / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= seconds - 1e-6:
                return frame.to_ndarray(format="rgb24")
    raise SystemExit(f"{path}: no frame at {seconds} s")


def clip_pair(media: Path) -> tuple[np.ndarray, np.ndarray]:
    """Two framings of one room: box.mp4 at 1 s (left 3/4) and at 8 s (right 3/4, 60 %)."""
    first = frame_at(media / "opencv/box.mp4", 1.0)
    second = frame_at(media / "opencv/box.mp4", 8.0)
    width = first.shape[1]
    a = first[:, : width * 3 // 4]
    b = second[:, width // 4 :]
    b = cv2.resize(b, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    return a, b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--media", type=Path, default=Path("../shared/media"))
    parser.add_argument("--figures", type=Path)
    args = parser.parse_args()
    opencv = args.media / "opencv"
    images = {name: read_rgb(opencv / name) for pair in PAIRS for name in pair}
    cases: list[tuple[str, str, np.ndarray, np.ndarray, bool]] = []
    for a, b in PAIRS:
        cases.append((a, b, images[a], images[b], True))
    for pair_1, pair_2 in itertools.combinations(PAIRS, 2):
        for a in pair_1:
            for b in pair_2:
                cases.append((a, b, images[a], images[b], False))
    clip_a, clip_b = clip_pair(args.media)
    cases.append(("box.mp4@1s left", "box.mp4@8s right 60%", clip_a, clip_b, True))
    for name, seconds in UNRELATED_CLIPS:
        other = frame_at(args.media / name, seconds)
        label = f"{Path(name).name}@{seconds:g}s"
        cases.append(("box.mp4@1s left", label, clip_a, other, False))
        cases.append((label, "box.mp4@8s right 60%", other, clip_b, False))

    header = (
        f"{'A':<28} {'B':<28} {'expect':<8} {'verdict':<8} {'tent':>5} {'H':>5} {'F':>5} {'s':>5}"
    )
    print(header)
    print("-" * len(header))
    wrong = 0
    worst_false_h = worst_false_f = 0
    weakest_true = None
    for a, b, image_a, image_b, expected in cases:
        started = time.perf_counter()
        result = match_landmarks(image_a, image_b)
        took = time.perf_counter() - started
        ok = result.is_match == expected
        wrong += not ok
        if expected:
            weakest_true = min(result.inliers, weakest_true or result.inliers)
        else:
            worst_false_h = max(worst_false_h, result.homography_inliers)
            worst_false_f = max(worst_false_f, result.fundamental_inliers)
        print(f"{a:<28} {b:<28} {'match' if expected else 'no':<8} {result.verdict:<8} "
              f"{result.tentative:>5} {result.homography_inliers:>5} "
              f"{result.fundamental_inliers:>5} {took:>5.2f}{'' if ok else '  WRONG'}")  # fmt: skip
        if args.figures and expected:
            args.figures.mkdir(parents=True, exist_ok=True)
            figure = draw_figure(image_a, image_b, result, a, b)
            out = args.figures / f"{len(list(args.figures.glob('*.png'))) + 1:02d}.png"
            cv2.imwrite(str(out), cv2.cvtColor(figure, cv2.COLOR_RGB2BGR))
    print(f"\nwrong verdicts: {wrong}; weakest true pair: {weakest_true} inliers; "
          f"worst false pair: homography {worst_false_h}, fundamental {worst_false_f}")  # fmt: skip
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
