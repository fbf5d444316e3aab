"""Two aligned frames made into one picture: blended, or their absolute difference.

Side by side, the eye misses a moved sign, a new crater or a cropped edge;
laid over each other it does not. Both functions take A's and B's decoded
frames (uint8 RGB, as the viewer holds them) and return a *new* array of
A's size: B is resized to A's width and height first, because a re-upload
is usually another resolution of the same picture. Neither touches its
inputs, which are read-only arrays shared with the decoder's cache; what
they make is for viewing only and is never evidence.
"""

from __future__ import annotations

import cv2
import numpy as np

from verifier.errors import VerifierError

__all__ = ["blend", "difference", "fit_to"]


def _check(rgb: np.ndarray, name: str) -> np.ndarray:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        raise VerifierError(f"{name}: expected 8-bit pixels, got {getattr(rgb, 'dtype', rgb)!r}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise VerifierError(f"{name}: expected an RGB image (H, W, 3), got shape {rgb.shape}")
    return rgb


def fit_to(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``b`` at ``a``'s width and height (area averaging when shrinking, bilinear when growing).

    Returned unchanged when the sizes already agree, so identical frames stay
    identical pixel for pixel.
    """
    _check(a, "frame A")
    _check(b, "frame B")
    height, width = a.shape[:2]
    if b.shape[:2] == (height, width):
        return b
    shrinking = b.shape[0] * b.shape[1] > height * width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(b, (width, height), interpolation=interpolation)


def blend(a: np.ndarray, b: np.ndarray, opacity: float) -> np.ndarray:
    """A with B laid over it at ``opacity`` (0: only A, 1: only B), at A's size."""
    if not 0.0 <= opacity <= 1.0:
        raise VerifierError(f"opacity: must be between 0 and 1, got {opacity}")
    b_fitted = fit_to(b, a)
    return cv2.addWeighted(a, 1.0 - opacity, b_fitted, opacity, 0.0)


def difference(a: np.ndarray, b: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """``|A − B|`` per pixel and channel, at A's size: black where the two are equal.

    ``gain`` multiplies the difference (saturating at 255): a re-encode leaves
    differences of a few levels, too dark to see at 1, while what was edited
    (a logo, a moved object) stands out at 4 or 8. Zero stays zero at any gain.
    """
    if not 1.0 <= gain <= 64.0:
        raise VerifierError(f"difference gain: must be between 1 and 64, got {gain}")
    plain = cv2.absdiff(a, fit_to(b, a))
    return plain if gain == 1.0 else cv2.convertScaleAbs(plain, alpha=gain)
