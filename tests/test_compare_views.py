"""Comparing any two clips: the unrelated comparison, frame distances in words, overlay images."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from verifier.errors import VerifierError
from verifier.hashing.match import MatchParams
from verifier.ids import ClipId
from verifier.media.compose import blend, difference, fit_to
from verifier.media.decode import VideoDecoder
from verifier.services import cases
from verifier.services.comparison import TimeMap, comparison_of, describe_relation, is_related
from verifier.services.context import App
from verifier.services.distances import (
    PDQ_SCALE,
    PHASH_SCALE,
    SAME_PICTURE,
    UNRELATED,
    pair_distances,
)
from verifier.services.importing import import_paths
from verifier.tools import ffmpeg_exe


def _frame(path: Path, index: int) -> np.ndarray:
    with VideoDecoder(path) as decoder:
        return np.array(decoder.frame(index).rgb(None))


# ------------------------------------------------------------------ overlay / difference


def test_difference_is_zero_where_equal_and_the_gap_where_different() -> None:
    a = np.full((40, 60, 3), 100, np.uint8)
    b = a.copy()
    b[10:20, 30:50] = (130, 40, 100)  # a patch that differs in red and green only
    diff = difference(a, b)
    assert diff.shape == a.shape and diff.dtype == np.uint8
    outside = np.ones(a.shape[:2], bool)
    outside[10:20, 30:50] = False
    assert not diff[outside].any()
    assert (diff[10:20, 30:50] == (30, 60, 0)).all()
    # The inputs are untouched (they are the decoder's read-only frames).
    assert (a == 100).all()


def test_difference_gain_brightens_small_differences_and_keeps_zero() -> None:
    a = np.zeros((2, 3, 3), np.uint8)
    b = a.copy()
    b[0, 0] = (3, 30, 100)
    brightened = difference(a, b, gain=4)
    assert tuple(brightened[0, 0]) == (12, 120, 255)  # saturates at 255
    assert not brightened[1].any()
    with pytest.raises(VerifierError, match="difference gain: must be between 1 and 64"):
        difference(a, b, gain=0)


def test_difference_of_a_frame_with_itself_is_black(fixture_dir: Path) -> None:
    frame = _frame(fixture_dir / "cut.mp4", 10)
    frame.setflags(write=False)
    assert not difference(frame, frame).any()


def test_b_is_resized_to_a_before_composing() -> None:
    a = np.zeros((30, 40, 3), np.uint8)
    b = np.full((60, 80, 3), 200, np.uint8)  # the same picture at twice the size
    assert fit_to(b, a).shape == a.shape
    assert (difference(a, b) == 200).all()
    assert fit_to(a, a) is a  # same size: not resampled, so equal frames stay equal


def test_blend_weights_a_and_b_by_the_opacity() -> None:
    a = np.full((4, 4, 3), 200, np.uint8)
    b = np.zeros((2, 2, 3), np.uint8)
    assert (blend(a, b, 0.0) == 200).all()
    assert (blend(a, b, 1.0) == 0).all()
    assert (blend(a, b, 0.25) == 150).all()
    with pytest.raises(VerifierError, match="opacity"):
        blend(a, b, 1.5)


def test_compose_refuses_what_is_not_an_rgb_frame() -> None:
    with pytest.raises(VerifierError, match="frame B: expected an RGB image"):
        difference(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8))


# ------------------------------------------------------------------ distances


def test_identical_frames_are_at_distance_zero(fixture_dir: Path) -> None:
    frame = _frame(fixture_dir / "cut.mp4", 20)
    found = pair_distances(frame, frame.copy())
    assert (found.pdq, found.phash) == (0, 0)
    assert found.pdq_words == found.phash_words == SAME_PICTURE
    assert not found.too_plain


def test_unrelated_frames_lie_above_the_unrelated_threshold(fixture_dir: Path) -> None:
    # cut.mp4 is testsrc2 for frames 0-49 and a zooming Mandelbrot from 50.
    test_card, fractal = _frame(fixture_dir / "cut.mp4", 20), _frame(fixture_dir / "cut.mp4", 80)
    found = pair_distances(test_card, fractal)
    assert found.pdq > PDQ_SCALE.unrelated_above == MatchParams().extend_pdq_threshold
    assert found.phash > PHASH_SCALE.unrelated_above == MatchParams().extend_phash_threshold
    assert found.pdq_words == found.phash_words == UNRELATED


def test_a_resized_copy_reads_as_the_same_picture(fixture_dir: Path) -> None:
    frame = _frame(fixture_dir / "cut.mp4", 20)
    smaller = frame[::2, ::2].copy()
    found = pair_distances(frame, smaller)
    assert found.pdq <= 31 and found.phash <= 10


def test_scales_follow_the_matcher_thresholds() -> None:
    params = MatchParams()
    assert [b.upper for b in PDQ_SCALE.bands] == [
        31, params.pdq_threshold, params.extend_pdq_threshold, 256,
    ]  # fmt: skip
    assert [b.upper for b in PHASH_SCALE.bands] == [
        params.strong_phash_threshold, params.phash_threshold, params.extend_phash_threshold, 64,
    ]  # fmt: skip
    assert PDQ_SCALE.words(31) == SAME_PICTURE and PDQ_SCALE.words(32) != SAME_PICTURE
    assert PDQ_SCALE.words(params.pdq_threshold + 1).startswith("borderline")
    assert PHASH_SCALE.words(29) == UNRELATED
    assert PDQ_SCALE.band_start(1) == 32
    with pytest.raises(VerifierError, match="PDQ distance: must be 0 to 256, got 300"):
        PDQ_SCALE.words(300)


def test_a_uniform_frame_is_too_plain_to_judge() -> None:
    grey = np.full((120, 160, 3), 128, np.uint8)
    assert pair_distances(grey, grey).too_plain


# ------------------------------------------------------------------ any two clips


@pytest.fixture(scope="session")
def life_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of Conway's Life: nothing in common with the fixture clips."""
    target = tmp_path_factory.mktemp("unrelated") / "life.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         "life=s=320x240:r=25:seed=7:mold=10:ratio=0.3:death_color=#202020:life_color=#e0e020",
         "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", str(target)],
        check=True,
    )  # fmt: skip
    return target


def test_a_pair_without_relation_gets_the_identity_map(
    app: App, fixture_dir: Path, life_clip: Path
) -> None:
    case = cases.create_case(app, "Any two")
    report = import_paths(app, [fixture_dir / "cut.mp4", life_clip], case)
    ids = {Path(i.path).name: ClipId(i.clip_id) for i in report.items}
    found = comparison_of(app, ids["cut.mp4"], ids["life.mp4"])
    assert found["relation"] is None and not is_related(found)
    assert found["clip_a"]["name"] == "cut.mp4" and found["clip_b"]["name"] == "life.mp4"
    assert found["clip_a"]["id"] == ids["cut.mp4"] and found["clip_b"]["case"] == "Any two"
    assert found["pairs"] == [] and found["segments"] == []
    assert TimeMap.of(found) == TimeMap(speed=1.0, offset=0.0, mirrored=False)
    assert describe_relation(found).startswith("No stored relation")

    with pytest.raises(VerifierError, match=r"clip B: choose a clip other than A"):
        comparison_of(app, ids["cut.mp4"], ids["cut.mp4"])
    with pytest.raises(VerifierError, match=r"clip B: no clip with id 9999"):
        comparison_of(app, ids["cut.mp4"], ClipId(9999))


def test_a_matched_pair_gets_its_stored_relation(
    app: App, fixture_dir: Path, tmp_path: Path
) -> None:
    excerpt = tmp_path / "excerpt.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-ss", "1.3", "-i", str(fixture_dir / "cut.mp4"),
         "-t", "2", "-c:v", "libx264", "-crf", "28", "-an", str(excerpt)],
        check=True,
    )  # fmt: skip
    case = cases.create_case(app, "Matched")
    report = import_paths(app, [fixture_dir / "cut.mp4", excerpt], case)
    ids = {Path(i.path).name: ClipId(i.clip_id) for i in report.items}
    found = comparison_of(app, ids["cut.mp4"], ids["excerpt.mp4"])
    assert is_related(found) and found["relation"] == "excerpt" and found["pairs"]
    assert TimeMap.of(found).offset == pytest.approx(-1.3, abs=0.1)
    # Seen from the other clip, the map is inverted.
    seen_from_b = comparison_of(app, ids["excerpt.mp4"], ids["cut.mp4"])
    assert TimeMap.of(seen_from_b).offset == pytest.approx(1.3, abs=0.1)
