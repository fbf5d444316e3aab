"""The shadow measured from three drawn lines: exact answers for built geometry, and the
error the drawing allows (larger for shorter lines)."""

from __future__ import annotations

import math

import pytest

from verifier.geo.shadow import Line, ShadowError, image_angle, measure_shadow

UP = Line(100, 300, 100, 100)  # a reference drawn straight up the frame, 200 px


def test_image_angles_run_clockwise_from_up() -> None:
    assert image_angle(0, -1) == 0
    assert image_angle(1, 0) == 90
    assert image_angle(0, 1) == 180
    assert image_angle(-1, 0) == 270
    assert image_angle(1, -1) == pytest.approx(45)


def test_bearing_is_the_reference_bearing_plus_the_turn_in_the_image() -> None:
    pole = Line(200, 200, 200, 100)  # 100 px tall
    shadow = Line(200, 200, 300, 200)  # 100 px to the right: 90° clockwise of the reference
    found = measure_shadow(pole, shadow, UP, 30.0, pixel_error=0)
    assert found.shadow_bearing == pytest.approx(120.0)
    assert found.sun_azimuth == pytest.approx(300.0)
    assert found.ratio == pytest.approx(1.0)
    assert found.bearing_error == 0 and found.ratio_low == found.ratio_high == 1.0
    assert found.base_gap_px == 0


def test_bearing_wraps_past_north_and_follows_a_sideways_reference() -> None:
    road = Line(50, 50, 250, 50)  # drawn to the right, the road runs at 80°
    shadow = Line(150, 150, 50, 250)  # down-left: 225° in the image, 135° after the road
    pole = Line(150, 150, 150, 50)
    found = measure_shadow(pole, shadow, road, 80.0, pixel_error=0)
    assert found.shadow_bearing == pytest.approx((80 + 135) % 360)
    assert found.ratio == pytest.approx(math.hypot(100, 100) / 100)
    found = measure_shadow(pole, shadow, road, 300.0, pixel_error=0)
    assert found.shadow_bearing == pytest.approx(75.0)  # 300 + 135 - 360


def test_drawing_error_gives_exact_bounds_for_lines_along_the_axes() -> None:
    pole = Line(200, 200, 200, 120)  # 80 px
    shadow = Line(200, 200, 200, 260)  # 60 px, straight down
    reference = Line(10, 10, 210, 10)  # 200 px, to the right
    found = measure_shadow(pole, shadow, reference, 90.0, pixel_error=2, reference_error=1.0)
    assert found.shadow_bearing == pytest.approx(180.0)
    # Each line turns most when its ends move 2 px across it in opposite directions.
    expected = math.degrees(math.atan(4 / 60)) + math.degrees(math.atan(4 / 200)) + 1.0
    assert found.bearing_error == pytest.approx(expected)
    # Shortest shadow over the tallest pole, longest over the shortest.
    assert found.ratio == pytest.approx(0.75)
    assert found.ratio_low == pytest.approx(56 / 84)
    assert found.ratio_high == pytest.approx(64 / 76)
    assert found.ratio_error == pytest.approx(64 / 76 - 0.75)


def test_shorter_lines_are_more_uncertain() -> None:
    errors = []
    for length in (20, 60, 200):
        pole = Line(300, 300, 300, 300 - length)
        shadow = Line(300, 300, 300 + length * 0.6, 300 + length * 0.8)
        found = measure_shadow(pole, shadow, UP, 0.0, pixel_error=2)
        assert found.ratio == pytest.approx(1.0)
        errors.append((found.bearing_error, found.ratio_error))
    assert errors[0][0] > errors[1][0] > errors[2][0] > 0
    assert errors[0][1] > errors[1][1] > errors[2][1] > 0


def test_bad_drawings_are_refused_naming_the_line() -> None:
    pole, shadow = Line(0, 10, 0, 0), Line(0, 10, 10, 10)
    with pytest.raises(ShadowError, match="shadow line: the line has no length"):
        measure_shadow(pole, Line(5, 5, 5, 5), UP, 0.0)
    with pytest.raises(ShadowError, match=r"object line: 10\.0 px long is too short"):
        measure_shadow(pole, shadow, UP, 0.0, pixel_error=5)
    with pytest.raises(ShadowError, match="reference bearing: 400 is not a bearing"):
        measure_shadow(pole, shadow, UP, 400.0, pixel_error=1)
    with pytest.raises(ShadowError, match="a line is two points"):
        Line.of([[1, 2]])
