"""Landmark matching: verdicts on real pairs, coordinates in original pixels, degenerate input."""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from verifier.errors import VerifierError
from verifier.geo.landmarks import (
    MATCH,
    MIN_HOMOGRAPHY_INLIERS,
    NO_MATCH,
    Region,
    draw_figure,
    match_landmarks,
    parse_region,
    spread_selection,
)

DATA = Path(__file__).parent / "data" / "landmarks"
PAIRS = [("leuvenA.jpg", "leuvenB.jpg"), ("graf1.png", "graf3.png"),
         ("box.png", "box_in_scene.png")]  # fmt: skip


def rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def warp(image: np.ndarray, homography: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.warpPerspective(image, homography, size, borderMode=cv2.BORDER_REFLECT)


def project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64),
                                    homography).reshape(-1, 2)  # fmt: skip


# ----------------------------------------------------------------------------- bundled pair


def test_box_is_found_in_the_scene() -> None:
    result = match_landmarks(rgb(DATA / "box.png"), rgb(DATA / "box_in_scene.png"))
    assert result.verdict == MATCH
    assert result.model == "homography"
    assert result.inliers >= 2 * MIN_HOMOGRAPHY_INLIERS
    assert result.reason.startswith(f"{result.inliers} of {result.tentative} tentative matches")
    # The box sits in the left half of the scene (512x384): every inlier lands there.
    assert result.points_b[:, 0].max() < 300
    assert result.points_a.shape == result.points_b.shape == (result.inliers, 2)


def test_unrelated_images_do_not_match() -> None:
    leuven = rgb(DATA / "leuvenA-376.jpg")
    for other in ("box.png", "box_in_scene.png"):
        for a, b in ((leuven, rgb(DATA / other)), (rgb(DATA / other), leuven)):
            result = match_landmarks(a, b)
            assert result.verdict == NO_MATCH, (other, result.reason)
            assert result.homography_inliers < MIN_HOMOGRAPHY_INLIERS
            assert "below" in result.reason


def test_coordinates_are_in_original_pixels_of_a_huge_image() -> None:
    """A is upscaled past the working size: its points must map back to A's pixels."""
    scene = rgb(DATA / "box_in_scene.png")
    huge = cv2.resize(scene, None, fx=5, fy=5, interpolation=cv2.INTER_CUBIC)  # 2560x1920
    turn = np.array([[0.8, -0.12, 30.0], [0.12, 0.8, 20.0], [0.0, 0.0, 1.0]])
    b = warp(scene, turn, (512, 384))
    result = match_landmarks(huge, b)
    assert result.verdict == MATCH and result.size_a == (2560, 1920)
    # Known truth: B = turn(A / 5).
    expected = project(turn, result.points_a / 5.0)
    error = np.linalg.norm(expected - result.points_b, axis=1)
    assert np.median(error) < 1.5
    assert result.points_a[:, 0].max() > 1600  # beyond the working copy's width


def test_region_restricts_the_search_to_that_rectangle_of_a() -> None:
    scene = rgb(DATA / "box_in_scene.png")
    region = Region(0, 100, 260, 284)  # the box, lower left
    result = match_landmarks(scene, rgb(DATA / "box.png"), region)
    assert result.verdict == MATCH
    xs, ys = result.points_a[:, 0], result.points_a[:, 1]
    assert xs.min() >= 0 and xs.max() <= 260 and ys.min() >= 100 and ys.max() <= 384
    # A region where the box is not: no match.
    elsewhere = match_landmarks(scene, rgb(DATA / "box.png"), Region(300, 0, 212, 150))
    assert elsewhere.verdict == NO_MATCH


def test_blank_image_is_a_no_match_with_its_reason() -> None:
    blank = np.full((300, 400, 3), 128, np.uint8)
    result = match_landmarks(blank, rgb(DATA / "box.png"))
    assert result.verdict == NO_MATCH
    assert result.reason == "no features found in A (blank or featureless)"
    result = match_landmarks(rgb(DATA / "box.png"), blank)
    assert result.reason == "no features found in B (blank or featureless)"


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((20, 400, 3), np.uint8), "image A is 400x20 pixels: too small"),
        (np.zeros((100, 100, 3), np.float32), "image A: expected 8-bit pixels"),
        (np.zeros((100, 100, 3, 2), np.uint8), "image A: expected an RGB or greyscale image"),
    ],
)
def test_unusable_images_are_refused_clearly(image: np.ndarray, message: str) -> None:
    with pytest.raises(VerifierError, match=message):
        match_landmarks(image, rgb(DATA / "box.png"))


def test_region_outside_a_is_refused() -> None:
    with pytest.raises(VerifierError, match=r"region 200,0,200,100 lies outside image A \(324x223"):
        match_landmarks(rgb(DATA / "box.png"), rgb(DATA / "box_in_scene.png"),
                        Region(200, 0, 200, 100))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [("1,2,3", "four whole numbers"), ("a,b,c,d", "four whole numbers"),
     ("-1,0,50,50", "X and Y must be 0 or more"), ("0,0,10,50", "at least 32 pixels")],
)  # fmt: skip
def test_bad_region_text(text: str, message: str) -> None:
    with pytest.raises(VerifierError, match=message):
        parse_region(text)
    assert parse_region(" 10, 20,64,48 ") == Region(10, 20, 64, 48)


def test_same_input_gives_the_same_result() -> None:
    a, b = rgb(DATA / "box.png"), rgb(DATA / "box_in_scene.png")
    first, second = match_landmarks(a, b), match_landmarks(a, b)
    assert first.to_json() == second.to_json()
    assert np.array_equal(first.points_a, second.points_a)


def test_spread_selection_is_spread_and_keeps_markers_apart() -> None:
    points = np.array([[0, 0], [1, 1], [100, 0], [0, 100], [100, 100], [50, 50]], np.float32)
    chosen = spread_selection(points, points, 4, min_distance=10)
    assert chosen[0] == 0  # the best match is always shown
    assert 1 not in chosen  # 1.4 px from the first: its circle would cover it
    assert sorted(chosen) == [0, 2, 3, 4]
    assert spread_selection(points, points, 30, min_distance=10) == [0, 4, 2, 3, 5]


def test_figure_shows_both_images_side_by_side_with_a_caption() -> None:
    a, b = rgb(DATA / "box.png"), rgb(DATA / "box_in_scene.png")
    result = match_landmarks(a, b)
    figure = draw_figure(a, b, result, "box.png", "box_in_scene.png")
    # Both panels are scaled to 720 px high, with a 16 px gap and a caption strip below.
    width_a = round(324 * 720 / 223)
    width_b = round(512 * 720 / 384)
    assert figure.shape == (720 + 96, width_a + 16 + width_b, 3)
    assert figure.dtype == np.uint8
    # The gap between the panels is white, except where landmark lines cross it.
    gap = figure[:720, width_a : width_a + 16]
    assert (gap == 255).all(axis=2).mean() > 0.5
    # The numbered markers (white discs) were drawn: the figure differs from the plain panels.
    plain = cv2.resize(a, (width_a, 720), interpolation=cv2.INTER_CUBIC)
    assert np.abs(figure[:720, :width_a].astype(int) - plain.astype(int)).mean() > 2


# ----------------------------------------------------------------------------- real pairs


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_true_pairs_match(shared_media: Path, a: str, b: str) -> None:
    opencv = shared_media / "opencv"
    result = match_landmarks(rgb(opencv / a), rgb(opencv / b))
    assert result.verdict == MATCH, result.reason
    assert result.inliers >= 2 * MIN_HOMOGRAPHY_INLIERS


CROSS = [
    (a, b) for pair_1, pair_2 in itertools.permutations(PAIRS, 2) for a in pair_1 for b in pair_2
]


@pytest.mark.parametrize(("a", "b"), CROSS)
def test_cross_pairs_do_not_match(shared_media: Path, a: str, b: str) -> None:
    opencv = shared_media / "opencv"
    result = match_landmarks(rgb(opencv / a), rgb(opencv / b))
    assert result.verdict == NO_MATCH, result.reason
    assert result.homography_inliers < MIN_HOMOGRAPHY_INLIERS / 2
