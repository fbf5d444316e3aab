"""View-only enhancement and the wellbeing filter: the maths, and that evidence is untouched."""

from __future__ import annotations

import numpy as np
import pytest

from verifier.errors import VerifierError
from verifier.media.enhance import (
    IDENTITY,
    Enhancement,
    apply_enhancement,
    enhancement_lut,
    parse_enhancement,
    wellbeing_filter,
)


def _frame(height: int = 120, width: int = 160, seed: int = 1) -> np.ndarray:
    """A read-only frame, as the decoder's cache hands them out."""
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    rgb.setflags(write=False)
    return rgb


def _flat(value: int, height: int = 8, width: int = 8) -> np.ndarray:
    rgb = np.full((height, width, 3), value, dtype=np.uint8)
    rgb.setflags(write=False)
    return rgb


def test_identity_returns_the_input_itself() -> None:
    rgb = _frame()
    assert IDENTITY.is_identity and Enhancement().is_identity
    assert apply_enhancement(rgb, Enhancement()) is rgb
    assert not Enhancement(sharpen=0.5).is_identity


def test_invert_of_10_is_245_and_the_input_is_untouched() -> None:
    rgb = _frame()
    before = rgb.copy()
    out = apply_enhancement(rgb, Enhancement(invert=True))
    assert out is not rgb and out.flags.writeable
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    assert apply_enhancement(_flat(10), Enhancement(invert=True))[0, 0].tolist() == [245] * 3
    np.testing.assert_array_equal(out, 255 - before)
    np.testing.assert_array_equal(rgb, before)
    assert not rgb.flags.writeable


def test_brightness_adds_a_fraction_of_full_scale() -> None:
    out = apply_enhancement(_flat(100), Enhancement(brightness=0.1))
    assert out[0, 0, 0] == round(100 + 25.5)
    assert apply_enhancement(_flat(250), Enhancement(brightness=0.5))[0, 0, 0] == 255
    assert apply_enhancement(_flat(20), Enhancement(brightness=-0.5))[0, 0, 0] == 0


def test_gamma_and_contrast_are_monotonic_and_behave_as_named() -> None:
    settings = [
        Enhancement(gamma=0.4),
        Enhancement(gamma=2.5),
        Enhancement(contrast=0.3),
        Enhancement(contrast=2.7),
        Enhancement(brightness=0.2, contrast=1.5, gamma=1.4),
    ]
    for enh in settings:
        lut = enhancement_lut(enh).astype(int)
        assert np.all(np.diff(lut) >= 0), enh
    # Gamma above 1 lifts mid-tones, below 1 darkens them; the ends stay put.
    mid = 128
    assert enhancement_lut(Enhancement(gamma=2.0))[mid] > mid
    assert enhancement_lut(Enhancement(gamma=0.5))[mid] < mid
    assert enhancement_lut(Enhancement(gamma=2.0))[[0, 255]].tolist() == [0, 255]
    # Contrast spreads values away from mid-grey.
    high = enhancement_lut(Enhancement(contrast=2.0))
    assert high[64] < 64 and high[192] > 192 and abs(int(high[128]) - 128) <= 1
    low = enhancement_lut(Enhancement(contrast=0.5))
    assert low[0] > 0 and low[255] < 255
    # Invert reverses the order.
    assert np.all(np.diff(enhancement_lut(Enhancement(invert=True)).astype(int)) < 0)


def test_greyscale_keeps_three_equal_channels() -> None:
    out = apply_enhancement(_frame(), Enhancement(greyscale=True))
    assert out.shape == (120, 160, 3)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    combined = apply_enhancement(_frame(), Enhancement(greyscale=True, sharpen=1.0, gamma=1.5))
    assert combined.shape == (120, 160, 3) and np.array_equal(combined[..., 0], combined[..., 2])


def test_sharpen_raises_local_contrast_and_leaves_flat_areas_alone() -> None:
    edge = np.zeros((40, 40, 3), dtype=np.uint8)
    edge[:, 20:] = 200
    edge[:, :20] = 50
    edge.setflags(write=False)
    out = apply_enhancement(edge, Enhancement(sharpen=2.0))
    assert out[20, 19, 0] < 50 and out[20, 20, 0] > 200  # overshoot on both sides of the edge
    assert out[20, 2, 0] == 50 and out[20, 37, 0] == 200
    flat = apply_enhancement(_flat(77, 30, 30), Enhancement(sharpen=3.0))
    assert np.all(flat == 77)


def test_settings_are_checked_and_round_trip_through_json() -> None:
    enh = Enhancement(brightness=-0.25, contrast=1.5, gamma=0.8, sharpen=1, greyscale=True)
    assert Enhancement.from_json(enh.to_json()) == enh
    assert Enhancement.from_json(None) == IDENTITY
    assert enh.describe() == "brightness=-0.25,contrast=1.5,gamma=0.8,sharpen=1,greyscale"
    assert parse_enhancement(enh.describe()) == enh
    assert IDENTITY.describe() == "none"
    with pytest.raises(VerifierError, match=r"gamma must be between 0\.2 and 5"):
        Enhancement(gamma=0)
    with pytest.raises(VerifierError, match="brightness must be between -1 and 1"):
        Enhancement(brightness=float("nan"))
    with pytest.raises(VerifierError, match="unknown enhancement setting"):
        Enhancement.from_json({"saturation": 2})


def test_parse_enhancement_spec() -> None:
    parsed = parse_enhancement("brightness=0.2, gamma=1.4,greyscale")
    assert parsed == Enhancement(brightness=0.2, gamma=1.4, greyscale=True)
    assert parse_enhancement("grayscale,invert=no") == Enhancement(greyscale=True)
    assert parse_enhancement("") == IDENTITY and parse_enhancement("none") == IDENTITY
    with pytest.raises(VerifierError, match="unknown enhancement 'saturation'"):
        parse_enhancement("saturation=2")
    with pytest.raises(VerifierError, match=r"contrast must be between 0\.2 and 3, got 9"):
        parse_enhancement("contrast=9")
    with pytest.raises(VerifierError, match="gamma must be a number"):
        parse_enhancement("gamma=bright")
    with pytest.raises(VerifierError, match="sharpen needs a value"):
        parse_enhancement("sharpen")
    with pytest.raises(VerifierError, match="given twice"):
        parse_enhancement("gamma=1.2,gamma=1.3")


def test_wellbeing_blur_hides_detail_at_any_size() -> None:
    for height, width in ((90, 160), (1080, 1920)):
        # A fine checkerboard (stand-in for a face: detail) becomes flat grey.
        yy, xx = np.mgrid[0:height, 0:width]
        board = (((yy // 8 + xx // 8) % 2) * 255).astype(np.uint8)
        rgb = np.repeat(board[..., None], 3, axis=2)
        rgb.setflags(write=False)
        before = rgb.copy()
        out = wellbeing_filter(rgb, blur=True, greyscale=False)
        assert out.shape == rgb.shape and out.dtype == np.uint8
        assert out.std() < 0.05 * rgb.std()
        np.testing.assert_array_equal(rgb, before)
    # The overall scene survives: a bright top and a dark bottom stay so.
    scene = np.zeros((240, 320, 3), dtype=np.uint8)
    scene[:120] = (200, 210, 255)
    out = wellbeing_filter(scene, blur=True, greyscale=False)
    assert out[10, 160].mean() > 150 and out[230, 160].mean() < 50


def test_wellbeing_greyscale_and_no_op() -> None:
    rgb = _frame()
    assert wellbeing_filter(rgb, blur=False, greyscale=False) is rgb
    grey = wellbeing_filter(rgb, blur=False, greyscale=True)
    assert grey.shape == rgb.shape and np.array_equal(grey[..., 0], grey[..., 2])
    both = wellbeing_filter(rgb, blur=True, greyscale=True)
    assert np.array_equal(both[..., 0], both[..., 1])
    tiny = wellbeing_filter(_flat(9, 1, 1), blur=True, greyscale=True)
    assert tiny.shape == (1, 1, 3)


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        apply_enhancement(np.zeros((4, 4), np.uint8), Enhancement(invert=True))
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        wellbeing_filter(np.zeros((4, 4, 3), np.float32), blur=True, greyscale=False)
