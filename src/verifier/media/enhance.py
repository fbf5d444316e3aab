"""View-only image adjustments: enhancement for seeing detail, filters for wellbeing.

Analysts brighten a night clip, raise contrast on a haze, or sharpen a
blurred insignia to read it. None of that may touch evidence: these
functions take a decoded frame and return a *new* array; the input is a
read-only array shared by the decoder's cache and is never written to.
What was applied is a frozen :class:`Enhancement` value that is logged with
anything exported from an enhanced view, so a reader of the report knows
which pixels were adjusted and how.

Enhancement runs on every frame the stepper shows, so it is built for
speed: brightness, contrast, gamma and invert are folded into one 256-entry
lookup table applied with ``cv2.LUT`` (one pass over the pixels), greyscale
reduces the work to one channel before anything else, and sharpening is a
single Gaussian blur plus a weighted sum (unsharp mask).

The wellbeing filter hides graphic footage until an analyst chooses to see
it: the picture is reduced to a handful of pixels across and smoothed back
up, so that faces and injuries cannot be recognised at any display size,
while the overall scene (sky, ground, fire) stays readable for orientation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import cv2
import numpy as np

from verifier.errors import VerifierError

__all__ = [
    "IDENTITY",
    "Enhancement",
    "apply_enhancement",
    "enhancement_lut",
    "parse_enhancement",
    "wellbeing_filter",
]

#: Allowed ranges of the numeric settings (inclusive) and their neutral values.
RANGES: dict[str, tuple[float, float]] = {
    "brightness": (-1.0, 1.0),
    "contrast": (0.2, 3.0),
    "gamma": (0.2, 5.0),
    "sharpen": (0.0, 3.0),
}
FLAGS = ("greyscale", "invert")
#: Other spellings accepted by :func:`parse_enhancement`.
ALIASES = {"grayscale": "greyscale", "grey": "greyscale", "gray": "greyscale"}

#: Gaussian sigma of the unsharp mask, in pixels of the image it is applied to.
SHARPEN_SIGMA = 1.5

#: The wellbeing blur reduces the longest side to this many pixels: a face
#: that fills the whole frame is then a few blurred pixels, whatever the size.
WELLBEING_PIXELS = 12
#: Size (longest side) at which the reduced picture is smoothed before the
#: final upscale: large enough that bilinear creases vanish, small enough to be cheap.
_WELLBEING_SMOOTH_SIDE = 144


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VerifierError(f"{name} must be a number, got {value!r}")
    number = float(value)
    low, high = RANGES[name]
    if not math.isfinite(number) or not low <= number <= high:
        raise VerifierError(f"{name} must be between {low:g} and {high:g}, got {value!r}")
    return number


@dataclass(frozen=True)
class Enhancement:
    """How a frame is adjusted for viewing; the neutral value changes nothing.

    * ``brightness``: -1..1, added as a fraction of full scale (0.1 = +25.5 levels).
    * ``contrast``: 0.2..3, a multiplier around mid-grey (1 = unchanged).
    * ``gamma``: 0.2..5, ``out = in ** (1 / gamma)``: above 1 lifts the shadows
      and mid-tones (as in FFmpeg's ``eq`` and image editors' levels).
    * ``sharpen``: 0..3, the amount of an unsharp mask (0 = off).
    * ``greyscale``: drop colour (the result keeps three equal channels).
    * ``invert``: negative image, applied last.

    Order of operations: greyscale, contrast, brightness, gamma, invert, sharpen.
    """

    brightness: float = 0.0
    contrast: float = 1.0
    gamma: float = 1.0
    sharpen: float = 0.0
    greyscale: bool = False
    invert: bool = False

    def __post_init__(self) -> None:
        for name in RANGES:
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        for name in FLAGS:
            value = getattr(self, name)
            if not isinstance(value, bool | np.bool_):
                raise VerifierError(f"{name} must be true or false, got {value!r}")
            object.__setattr__(self, name, bool(value))

    @property
    def is_identity(self) -> bool:
        """True when applying it would change no pixel."""
        return self == IDENTITY

    @property
    def tonal_identity(self) -> bool:
        """True when the lookup table is the identity (no tone change, no invert)."""
        return (self.brightness, self.contrast, self.gamma, self.invert) == (0.0, 1.0, 1.0, False)

    def to_json(self) -> dict[str, Any]:
        """Every setting, for the custody log and the PNG text of an export."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Enhancement:
        """Read back :meth:`to_json`; missing keys take their neutral value."""
        if not data:
            return IDENTITY
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise VerifierError(f"unknown enhancement setting(s): {', '.join(unknown)}")
        return cls(**data)

    def describe(self) -> str:
        """Short text such as ``brightness=0.2,gamma=1.4,greyscale`` (``none`` if neutral)."""
        neutral = IDENTITY
        parts = [
            f"{name}={getattr(self, name):g}"
            for name in RANGES
            if getattr(self, name) != getattr(neutral, name)
        ]
        parts.extend(name for name in FLAGS if getattr(self, name))
        return ",".join(parts) or "none"


IDENTITY = Enhancement()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_enhancement(spec: str | None) -> Enhancement:
    """Read ``brightness=0.2,gamma=1.4,greyscale`` (the CLI's ``--enhance``).

    Flags may be given bare (``invert``) or with a value (``invert=no``);
    ``none`` or an empty text is the neutral enhancement. Errors name the
    setting and the allowed range.
    """
    if spec is None or spec.strip().lower() in ("", "none"):
        return IDENTITY
    values: dict[str, Any] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        name, has_value, text = item.partition("=")
        name = name.strip().lower()
        name = ALIASES.get(name, name)
        text = text.strip()
        if name in values:
            raise VerifierError(f"{name} is given twice in {spec!r}")
        if name in FLAGS:
            if not has_value or text.lower() in _TRUE:
                values[name] = True
            elif text.lower() in _FALSE:
                values[name] = False
            else:
                raise VerifierError(f"{name} takes no value or yes/no, got {text!r}")
        elif name in RANGES:
            if not has_value or not text:
                low, high = RANGES[name]
                raise VerifierError(f"{name} needs a value between {low:g} and {high:g}")
            try:
                number = float(text)
            except ValueError as exc:
                raise VerifierError(f"{name} must be a number, got {text!r}") from exc
            values[name] = number
        else:
            known = ", ".join([*RANGES, *FLAGS])
            raise VerifierError(f"unknown enhancement {name!r}: use {known}")
    return Enhancement(**values)


def enhancement_lut(enh: Enhancement) -> np.ndarray:
    """The 256-entry uint8 table for contrast, brightness, gamma and invert."""
    x = np.arange(256, dtype=np.float64) / 255.0
    v = (x - 0.5) * enh.contrast + 0.5 + enh.brightness
    v = np.clip(v, 0.0, 1.0)
    if enh.gamma != 1.0:
        v = v ** (1.0 / enh.gamma)
    if enh.invert:
        v = 1.0 - v
    return np.clip(np.rint(v * 255.0), 0, 255).astype(np.uint8)


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 array, got {rgb.shape} {rgb.dtype}")
    return np.ascontiguousarray(rgb)


def apply_enhancement(rgb: np.ndarray, enh: Enhancement) -> np.ndarray:
    """A new HxWx3 uint8 array with ``enh`` applied; ``rgb`` itself if it is neutral.

    ``rgb`` is never written to (it may be a read-only cache entry). Every
    OpenCV call here allocates its output.
    """
    if enh.is_identity:
        return rgb
    image = _check_rgb(rgb)
    if enh.greyscale:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)  # one channel from here on
    if not enh.tonal_identity:
        image = cv2.LUT(image, enhancement_lut(enh))
    if enh.sharpen > 0:
        blurred = cv2.GaussianBlur(image, (0, 0), SHARPEN_SIGMA)
        image = cv2.addWeighted(image, 1.0 + enh.sharpen, blurred, -enh.sharpen, 0.0)
    if enh.greyscale:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image is rgb:  # pragma: no cover - not reachable: some step above ran
        image = image.copy()
    return image


def wellbeing_filter(rgb: np.ndarray, *, blur: bool, greyscale: bool) -> np.ndarray:
    """Hide graphic detail: a blur strong enough at any size, and/or greyscale.

    The blur reduces the picture to :data:`WELLBEING_PIXELS` pixels along
    its longest side (area averaging) and scales it back up smoothly, so the
    strength follows the image size: a thumbnail and a 4K frame hide the
    same detail. Returns a new array, or ``rgb`` itself when neither is asked.
    """
    if not blur and not greyscale:
        return rgb
    image = _check_rgb(rgb)
    height, width = image.shape[:2]
    if greyscale:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if blur:
        scale = WELLBEING_PIXELS / max(height, width)
        small_w, small_h = max(1, round(width * scale)), max(1, round(height * scale))
        # Subsample first: INTER_AREA straight from 4K to a dozen pixels is
        # slow, and the area average over the subsampled grid is just as blind.
        step = max(1, min(height // (8 * small_h), width // (8 * small_w)))
        source = image[::step, ::step] if step > 1 else image
        small = cv2.resize(source, (small_w, small_h), interpolation=cv2.INTER_AREA)
        # Bilinear upscaling of a dozen pixels leaves creases along the grid:
        # smooth at an intermediate size (cheap), then upscale to full size.
        mid_scale = min(1.0, _WELLBEING_SMOOTH_SIDE / max(height, width))
        mid_w, mid_h = max(1, round(width * mid_scale)), max(1, round(height * mid_scale))
        mid = cv2.resize(small, (mid_w, mid_h), interpolation=cv2.INTER_LINEAR)
        mid = cv2.GaussianBlur(mid, (0, 0), max(mid_w, mid_h) / WELLBEING_PIXELS / 2)
        image = cv2.resize(mid, (width, height), interpolation=cv2.INTER_LINEAR)
    if greyscale:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return image
