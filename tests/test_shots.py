"""Tests for verifier.media.shots: cut/fade detection and keyframe selection.

Clips are synthesised with FFmpeg's lavfi sources into a session-scoped
temporary folder and decoded with PyAV directly (the project's decoder module is
developed separately), so each test states exactly what footage it sees.
The project's own fixture clips (fixtures/make_fixtures.py) are checked for
exactly the cuts and fades they were built with. What detection costs is
measured by benchmarks/hot_paths.py.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from verifier.media.shots import (
    THUMBNAIL_LONG_SIDE,
    KeyframeChoice,
    ShotBoundary,
    ShotDetector,
    select_keyframes,
    thumbnail_size,
)

av = pytest.importorskip("av")

MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"
FPS = 25


# --------------------------------------------------------------------------- helpers


def _ffmpeg(args: list[str], out: Path) -> Path:
    exe = shutil.which("ffmpeg")
    if exe is None:
        pytest.skip("ffmpeg is not installed")
    cmd = [exe, "-v", "error", "-y", *args, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return out


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic clips, made once per test session."""
    d = tmp_path_factory.mktemp("shot_clips")
    src = f"size=320x240:rate={FPS}"
    return {
        # 50 frames of testsrc2, then 50 of a moving Mandelbrot zoom: one cut at frame 50.
        "cut": _ffmpeg(
            [
                "-f", "lavfi", "-i", f"testsrc2={src}:duration=2",
                "-f", "lavfi", "-i", f"mandelbrot={src}",
                "-filter_complex",
                "[1]trim=duration=2,setpts=PTS-STARTPTS[m];[0][m]concat=n=2:v=1[v]",
                "-map", "[v]",
            ],
            d / "cut.mp4",
        ),
        # testsrc2 fades to black over 1.5-2.0 s, Game of Life fades in over 2.0-2.5 s.
        "fade": _ffmpeg(
            [
                "-f", "lavfi", "-i", f"testsrc2={src}:duration=2",
                "-f", "lavfi", "-i",
                f"life={src}:mold=10:ratio=0.3:death_color=#203040:life_color=#e0c080",
                "-filter_complex",
                "[0]fade=t=out:st=1.5:d=0.5[a];"
                "[1]trim=duration=2,setpts=PTS-STARTPTS,fade=t=in:st=0:d=0.5[b];"
                "[a][b]concat=n=2:v=1[v]",
                "-map", "[v]",
            ],
            d / "fade.mp4",
        ),
        # 6 s continuous: a fast pan (260 px/s across a 320 px window) with vertical shake.
        "pan": _ffmpeg(
            [
                "-f", "lavfi", "-i", f"testsrc2=size=1920x480:rate={FPS}:duration=6",
                "-vf", "crop=320:240:x='t*260':y='120+40*sin(t*9)'",
            ],
            d / "pan.mp4",
        ),
        # 7 s single shot for keyframe sampling.
        "single": _ffmpeg(
            ["-f", "lavfi", "-i", f"testsrc2={src}:duration=7"], d / "single.mp4"
        ),
    }  # fmt: skip


def decode_grays(path: Path) -> Iterator[tuple[int, float, np.ndarray]]:
    """(index, seconds, small upright grey thumbnail) for every frame of a file."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            w, h = thumbnail_size(frame.width, frame.height)
            gray = frame.to_ndarray(format="gray", width=w, height=h)
            seconds = float(frame.time) if frame.time is not None else index / FPS
            yield index, seconds, gray


def detect(path: Path, **kwargs: float) -> tuple[list[ShotBoundary], list[float]]:
    """Run the detector over a file: boundaries and frame times.

    What push() costs is measured by benchmarks/hot_paths.py, not here.
    """
    detector = ShotDetector(**kwargs)
    found: list[ShotBoundary] = []
    times: list[float] = []
    for index, seconds, gray in decode_grays(path):
        found += detector.push(index, seconds, gray)
        times.append(seconds)
    found += detector.finish()
    return found, times


def scene(
    seed: int, size: tuple[int, int] = (64, 36), grid: tuple[int, int] = (8, 5)
) -> np.ndarray:
    """A smooth random grey picture standing in for one camera view."""
    rng = np.random.default_rng(seed)
    blobs = rng.integers(0, 256, size=(grid[1], grid[0]), dtype=np.uint8)
    return cv2.resize(blobs, size, interpolation=cv2.INTER_CUBIC)


def run_frames(
    frames: list[np.ndarray], detector: ShotDetector | None = None
) -> list[ShotBoundary]:
    det = detector or ShotDetector()
    out: list[ShotBoundary] = []
    for i, f in enumerate(frames):
        out += det.push(i, i / FPS, f)
    return out + det.finish()


def noisy(img: np.ndarray, rng: np.random.Generator, sigma: float = 2.0) -> np.ndarray:
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- clips from ffmpeg


def test_hard_cut_is_found_once_at_frame_50(clips: dict[str, Path]) -> None:
    found, _ = detect(clips["cut"])
    print(f"cut clip: {found}")
    assert [(b.index, b.kind) for b in found] == [(50, "cut")]
    assert found[0].seconds == pytest.approx(2.0, abs=1e-6)


def test_fade_through_black_is_one_fade_near_2s(clips: dict[str, Path]) -> None:
    found, _ = detect(clips["fade"])
    print(f"fade clip: {found}")
    assert len(found) == 1
    assert found[0].kind == "fade"
    # Reported at the first visible frame of the new shot, shortly after the black point.
    assert 1.95 <= found[0].seconds <= 2.3


def test_fast_pan_with_shake_has_no_boundary(clips: dict[str, Path]) -> None:
    found, times = detect(clips["pan"])
    assert len(times) == 6 * FPS
    assert found == []


def test_keyframes_on_single_shot_cover_every_two_seconds(clips: dict[str, Path]) -> None:
    found, times = detect(clips["single"])
    assert found == []
    keys = select_keyframes(found, times, max_interval=2.0)
    print("single-shot keyframes:", [(k.index, round(k.seconds, 2), k.reason) for k in keys])
    assert keys[0] == KeyframeChoice(0, times[0], "first")
    assert {k.reason for k in keys[1:]} == {"sample"}
    stamps = [k.seconds for k in keys] + [times[-1]]
    assert max(np.diff(stamps)) <= 2.0
    assert len(keys) == 4  # 6.96 s needs three samples, evenly spread


def test_boundaries_arrive_within_the_declared_lag(clips: dict[str, Path]) -> None:
    detector = ShotDetector()
    seen_at: dict[int, int] = {}
    for index, seconds, gray in decode_grays(clips["cut"]):
        for b in detector.push(index, seconds, gray):
            seen_at[b.index] = index
    assert seen_at == {50: 50 + detector.lag_frames}


# --------------------------------------------------------------------------- project fixtures

# What fixtures/make_fixtures.py builds into each clip: its frame count and, in
# order, each boundary as (kind, first, last frame index where it may be reported).
FIXTURE_SHOTS: dict[str, tuple[int, list[tuple[str, int, int]]]] = {
    # testsrc2 for frames 0-49, a zooming Mandelbrot from frame 50: one hard cut, exactly there.
    "cut.mp4": (100, [("cut", 50, 50)]),
    # testsrc2 fades to black over 1.5-2.0 s, Game of Life fades in over 2.0-2.5 s (frames
    # 50-62): one fade, reported at the first visible frame of the new shot, within 0.3 s
    # of the black point.
    "fade.mp4": (100, [("fade", 50, 57)]),
    # One frozen background (a fixed camera) with a 40x40 box moving across it: no boundary.
    "static_a.mp4": (100, []),
    "static_b.mp4": (100, []),
    # 3 s of near-black with faint temporal noise: no boundary.
    "black.mp4": (75, []),
}


@pytest.mark.parametrize("name", sorted(FIXTURE_SHOTS))
def test_fixture_clips_have_exactly_the_boundaries_they_were_built_with(
    name: str, fixture_dir: Path
) -> None:
    frames, expected = FIXTURE_SHOTS[name]
    found, times = detect(fixture_dir / name)
    print(f"{name}: {[(b.index, b.kind, round(b.score, 1)) for b in found]}")
    assert len(times) == frames
    assert len(found) == len(expected), found
    for boundary, (kind, first, last) in zip(found, expected, strict=True):
        assert boundary.kind == kind
        assert first <= boundary.index <= last, boundary


# --------------------------------------------------------------------------- synthetic arrays


def test_flash_frame_makes_no_cut() -> None:
    rng = np.random.default_rng(1)
    base = scene(1)
    frames = [noisy(base, rng) for _ in range(30)]
    frames[15] = np.full_like(base, 255)  # a white flash (blank frame)
    frames[22] = np.clip(base.astype(np.int16) + 90, 0, 255).astype(np.uint8)  # muzzle flash
    assert run_frames(frames) == []


def test_two_frame_glitch_makes_no_cut() -> None:
    rng = np.random.default_rng(2)
    base, other = scene(2), scene(99)
    frames = [noisy(base, rng) for _ in range(30)]
    frames[12] = other
    frames[13] = other
    assert run_frames(frames) == []


def test_cut_during_camera_motion_is_found() -> None:
    # Panning 2 px per frame over 16 px blobs: every frame differs from the last by
    # about as much as the cut threshold, yet only the change of scene is a cut.
    a, b = scene(3, size=(256, 36), grid=(16, 5)), scene(4, size=(256, 36), grid=(16, 5))
    frames = [np.ascontiguousarray(a[:, 2 * i : 2 * i + 64]) for i in range(20)]
    frames += [np.ascontiguousarray(b[:, 2 * i : 2 * i + 64]) for i in range(20)]
    found = run_frames(frames)
    assert [(x.index, x.kind) for x in found] == [(20, "cut")]


def test_cut_in_the_last_frames_is_flushed_by_finish() -> None:
    rng = np.random.default_rng(5)
    frames = [noisy(scene(5), rng) for _ in range(20)] + [noisy(scene(6), rng) for _ in range(2)]
    assert [x.index for x in run_frames(frames)] == [20]


def test_dip_to_black_within_one_scene_is_not_a_fade() -> None:
    rng = np.random.default_rng(6)
    base = scene(7).astype(np.float64)
    levels = [1.0] * 10 + list(np.linspace(1, 0, 8)) + [0.0] * 4 + list(np.linspace(0, 1, 8))
    frames = [noisy((base * k).astype(np.uint8), rng, 1.0) for k in levels + [1.0] * 10]
    assert run_frames(frames) == []


def test_fade_between_scenes_and_min_shot_seconds() -> None:
    rng = np.random.default_rng(7)
    a, b = scene(8).astype(np.float64), scene(9).astype(np.float64)
    out = [
        noisy((a * k).astype(np.uint8), rng, 1.0) for k in [1.0] * 10 + list(np.linspace(1, 0, 6))
    ]
    into = [
        noisy((b * k).astype(np.uint8), rng, 1.0) for k in list(np.linspace(0, 1, 6)) + [1.0] * 10
    ]
    found = run_frames(out + into)
    assert len(found) == 1 and found[0].kind == "fade"
    assert 16 <= found[0].index <= 20
    # Two quick cuts 0.2 s apart: the second is dropped by min_shot_seconds (0.4 s).
    frames = [noisy(scene(10), rng) for _ in range(20)]
    frames += [noisy(scene(11), rng) for _ in range(5)] + [noisy(scene(12), rng) for _ in range(20)]
    assert [x.index for x in run_frames(frames)] == [20]
    lenient = ShotDetector(min_shot_seconds=0.1)
    assert [x.index for x in run_frames(frames, lenient)] == [20, 25]


def test_thumbnail_shape_change_restarts_quietly() -> None:
    rng = np.random.default_rng(8)
    frames = [noisy(scene(13), rng) for _ in range(10)]
    frames += [noisy(scene(13, size=(36, 64), grid=(5, 8)), rng) for _ in range(10)]
    assert run_frames(frames) == []


def test_constructor_and_input_validation() -> None:
    with pytest.raises(ValueError):
        ShotDetector(cut_threshold=0)
    with pytest.raises(ValueError):
        ShotDetector(min_shot_seconds=-1)
    with pytest.raises(ValueError):
        ShotDetector().push(0, 0.0, np.zeros((4, 4, 3), np.uint8))
    assert thumbnail_size(1280, 720) == (THUMBNAIL_LONG_SIDE, 36)
    assert thumbnail_size(720, 1280) == (36, 64)
    with pytest.raises(ValueError):
        thumbnail_size(0, 10)


# --------------------------------------------------------------------------- keyframe selection


def _times(n: int, fps: float = FPS) -> list[float]:
    return [i / fps for i in range(n)]


def test_keyframes_first_cuts_fades_and_even_samples() -> None:
    times = _times(400)  # 16 s
    boundaries = [
        ShotBoundary(100, 4.0, "cut", 40.0),
        ShotBoundary(110, 4.4, "cut", 35.0),
        ShotBoundary(300, 12.0, "fade", 1.0),
    ]
    keys = select_keyframes(boundaries, times, max_interval=2.0)
    reasons = {k.index: k.reason for k in keys}
    assert reasons[0] == "first" and reasons[100] == "cut" and reasons[110] == "cut"
    assert reasons[300] == "fade"
    stamps = [k.seconds for k in keys] + [times[-1]]
    assert [k.index for k in keys] == sorted(k.index for k in keys)
    assert max(np.diff(stamps)) <= 2.0
    # Even spreading: no sample lands right before the next shot's keyframe.
    for prev, nxt in itertools.pairwise(keys):
        if prev.reason == "sample" or nxt.reason == "sample":
            assert nxt.seconds - prev.seconds >= 0.9
    # A 4 s shot with max_interval 2 needs exactly one sample, in its middle.
    assert [k.index for k in keys if 0 < k.index < 100] == [50]


def test_keyframes_edge_cases() -> None:
    assert select_keyframes([], [], 2.0) == []
    assert select_keyframes([], [0.0], 2.0) == [KeyframeChoice(0, 0.0, "first")]
    # Short clip: only the first frame.
    assert [k.reason for k in select_keyframes([], _times(40), 2.0)] == ["first"]
    # Sparse frames (1 fps) with max_interval 1.5: every gap must still be <= 1.5.
    sparse = [float(i) for i in range(10)]
    keys = select_keyframes([], sparse, 1.5)
    assert max(np.diff([k.seconds for k in keys] + [sparse[-1]])) <= 1.5
    # Frames further apart than max_interval: all frames become keyframes.
    keys = select_keyframes([], [0.0, 3.0, 6.0, 9.0], 2.0)
    assert [k.index for k in keys] == [0, 1, 2, 3]
    # Boundaries outside the clip or at frame 0 are ignored; duplicates collapse.
    b = [ShotBoundary(0, 0.0, "cut", 1.0), ShotBoundary(999, 1.0, "cut", 1.0)]
    assert [k.reason for k in select_keyframes(b, _times(10), 2.0)] == ["first"]
    with pytest.raises(ValueError):
        select_keyframes([], [0.0], 0)


# --------------------------------------------------------------------------- real footage


REAL_FILES = [
    "threatexchange/pattern-hd-no-bar.mp4",
    "threatexchange/pattern-longer-no-bar.mp4",
    "threatexchange/pattern-sd-grey-bar.mp4",
    "threatexchange/pattern-sd-with-small-logo-bar.mp4",
    "threatexchange/pattern-sd-with-large-logo-bar.mp4",
    "threatexchange/doorknob-hd-no-bar.mp4",
    "threatexchange/test-padded-dimensions.mp4",
    "opencv/tree.avi",
    "opencv/box.mp4",
]


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_footage_boundary_counts_are_plausible(name: str) -> None:
    path = MEDIA / name
    if not path.exists():
        pytest.skip(f"shared sample media not present at {path}")
    found, times = detect(path)
    keys = select_keyframes(found, times, 2.0)
    print(
        f"{name}: {len(times)} frames, {len(found)} boundaries "
        f"{[(b.index, b.kind, round(b.score, 1)) for b in found]}, {len(keys)} keyframes"
    )
    if name == "threatexchange/pattern-hd-no-bar.mp4":
        assert len(found) <= 1  # one continuous handheld phone recording
    else:
        assert len(found) <= 3
    assert max(np.diff([k.seconds for k in keys] + [times[-1]]), default=0.0) <= 2.0 + 1e-9
