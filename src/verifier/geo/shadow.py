"""A shadow measured on a frame: its true bearing and its length ratio, with their error.

The analyst draws three lines on a frame, in pixels:

* the **object**, base → top: something vertical (a pole, a standing
  person, the edge of a wall);
* its **shadow**, base → tip (the base is where the object meets the ground);
* a **reference** line whose true bearing is known from the map (a road, a
  wall, a field edge traced on satellite imagery), drawn *in the direction of
  that bearing* (a road at 30° is drawn from its south-west end to its
  north-east end).

The shadow's true bearing is the reference's true bearing plus the angle, in
the image, from the reference line to the shadow line (clockwise positive,
as bearings are). The length ratio is the shadow's length over the object's
height, both in pixels.

The assumption, and its limits (said in every result, so a report carries
them): angles and lengths are read in the image plane, the simple
approximation investigators use. It is right for a top-down or near
top-down view (a drone looking down, a picture rectified to the ground) and
for lines that lie in one plane facing the camera; in an oblique view,
perspective changes angles on the ground (the more oblique, the more), and a
vertical object and a horizontal shadow are foreshortened differently, so
the ratio is only as good as the view is near orthographic. Lens distortion
is not corrected: keep the lines away from the edges of a wide-angle frame.

The uncertainty comes from the drawing only: each end of each line may be
off by up to ``pixel_error`` pixels in any direction. Every end is moved to
eight points on that circle (and left in place), the quantities recomputed,
and the largest departure kept: the bearing error is the shadow's and the
reference's worst angle errors added (they are independent drawings, and
both extremes can happen at once); the ratio's range is the shortest shadow
over the tallest object to the longest shadow over the shortest object. A
short line gives a large error, which is the point: a 20-pixel shadow says
little. The error of the reference's map bearing (``reference_error``) is
added to the bearing error as given.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from verifier.errors import VerifierError

#: Default drawing error at each end of a line, in frame pixels.
DEFAULT_PIXEL_ERROR = 2.0
#: The directions each end is moved in (and its own place) when propagating the error.
_DIRECTIONS = [(0.0, 0.0)] + [
    (math.cos(k * math.pi / 4), math.sin(k * math.pi / 4)) for k in range(8)
]

ASSUMPTION = (
    "Angles and lengths are read in the image plane: right for a top-down (or rectified) "
    "view, approximate in an oblique one, where perspective bends angles on the ground and "
    "foreshortens the object and its shadow differently; lens distortion is not corrected."
)


class ShadowError(VerifierError):
    """A drawing the shadow cannot be measured from (names the line at fault)."""


@dataclass(frozen=True)
class Line:
    """A line drawn on a frame, from its first point to its second (frame pixels)."""

    x1: float
    y1: float
    x2: float
    y2: float

    @classmethod
    def of(cls, points: Any) -> Line:
        """From ``[[x1, y1], [x2, y2]]`` or ``(x1, y1, x2, y2)``."""
        flat = [float(v) for p in points for v in (p if isinstance(p, list | tuple) else [p])]
        if len(flat) != 4:
            raise ShadowError("a line is two points: x1, y1, x2, y2")
        return cls(*flat)

    @property
    def length(self) -> float:
        return math.hypot(self.x2 - self.x1, self.y2 - self.y1)

    @property
    def angle(self) -> float:
        """Its direction in the image, clockwise from straight up, in [0, 360)."""
        return image_angle(self.x2 - self.x1, self.y2 - self.y1)

    def to_json(self) -> list[list[float]]:
        return [[self.x1, self.y1], [self.x2, self.y2]]


def image_angle(dx: float, dy: float) -> float:
    """Direction of (dx, dy) in image pixels (y down), clockwise from up, like a bearing."""
    return math.degrees(math.atan2(dx, -dy)) % 360.0


def _angle_change(a: float, b: float) -> float:
    """The smallest difference between two directions, in degrees (0 to 180)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _variants(line: Line, error: float) -> list[Line]:
    """The line with each end moved by ``error`` pixels in each direction (and kept)."""
    ends = [
        [(x + error * c, y + error * s) for c, s in _DIRECTIONS]
        for x, y in ((line.x1, line.y1), (line.x2, line.y2))
    ]
    return [Line(a[0], a[1], b[0], b[1]) for a, b in itertools.product(*ends)]


def _check(line: Line, name: str, error: float) -> None:
    if not all(math.isfinite(v) for v in (line.x1, line.y1, line.x2, line.y2)):
        raise ShadowError(f"{name}: its points must be finite numbers")
    if line.length == 0:
        raise ShadowError(f"{name}: the line has no length (both ends are the same point)")
    if line.length <= 2 * error:
        raise ShadowError(
            f"{name}: {line.length:.1f} px long is too short to measure with ends "
            f"±{error:g} px: draw it longer (zoom in) or lower the drawing error"
        )


@dataclass(frozen=True)
class ShadowMeasure:
    """What three drawn lines say about the sun, with the error the drawing allows."""

    object_line: Line
    shadow_line: Line
    reference_line: Line
    reference_bearing: float
    reference_error: float
    pixel_error: float
    shadow_bearing: float
    bearing_error: float  # ± degrees (drawing of both lines, plus the map's error)
    ratio: float
    ratio_low: float
    ratio_high: float
    base_gap_px: float  # how far the shadow's base is from the object's base

    @property
    def ratio_error(self) -> float:
        """± on the ratio: the larger side of its range."""
        return max(self.ratio - self.ratio_low, self.ratio_high - self.ratio)

    @property
    def ratio_error_pct(self) -> float:
        return 100.0 * self.ratio_error / self.ratio

    @property
    def sun_azimuth(self) -> float:
        """The azimuth of the sun that casts this shadow (opposite the shadow)."""
        return (self.shadow_bearing + 180.0) % 360.0

    def describe(self) -> str:
        return (
            f"shadow bearing {self.shadow_bearing:.1f}° ±{self.bearing_error:.1f}°, "
            f"length ratio {self.ratio:.3f} ±{self.ratio_error:.3f} "
            f"({self.ratio_low:.3f} to {self.ratio_high:.3f})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "object_line_px": self.object_line.to_json(),
            "shadow_line_px": self.shadow_line.to_json(),
            "reference_line_px": self.reference_line.to_json(),
            "object_height_px": round(self.object_line.length, 2),
            "shadow_length_px": round(self.shadow_line.length, 2),
            "reference_bearing_deg": self.reference_bearing,
            "reference_bearing_error_deg": self.reference_error,
            "pixel_error_px": self.pixel_error,
            "shadow_angle_in_image_deg": round(self.shadow_line.angle, 3),
            "reference_angle_in_image_deg": round(self.reference_line.angle, 3),
            "shadow_bearing_deg": round(self.shadow_bearing, 3),
            "bearing_error_deg": round(self.bearing_error, 3),
            "sun_azimuth_deg": round(self.sun_azimuth, 3),
            "ratio": round(self.ratio, 4),
            "ratio_low": round(self.ratio_low, 4),
            "ratio_high": round(self.ratio_high, 4),
            "ratio_error": round(self.ratio_error, 4),
            "shadow_base_gap_px": round(self.base_gap_px, 2),
            "assumption": ASSUMPTION,
        }


def measure_shadow(
    object_line: Line,
    shadow_line: Line,
    reference_line: Line,
    reference_bearing: float,
    *,
    pixel_error: float = DEFAULT_PIXEL_ERROR,
    reference_error: float = 0.0,
) -> ShadowMeasure:
    """The shadow's true bearing and length ratio from three lines drawn on a frame.

    Raises ShadowError naming the input at fault: a bearing outside 0-360, a
    negative error, a line with no length or too short for the drawing error.
    """
    if not (math.isfinite(reference_bearing) and 0 <= reference_bearing <= 360):
        raise ShadowError(f"reference bearing: {reference_bearing:g} is not a bearing (0 to 360)")
    if not (math.isfinite(pixel_error) and 0 <= pixel_error <= 50):
        raise ShadowError(f"drawing error: {pixel_error:g} px is out of range (0 to 50)")
    if not (math.isfinite(reference_error) and 0 <= reference_error <= 45):
        raise ShadowError(f"reference error: {reference_error:g}° is out of range (0 to 45)")
    for line, name in (
        (object_line, "object line"),
        (shadow_line, "shadow line"),
        (reference_line, "reference line"),
    ):
        _check(line, name, pixel_error)

    turn = shadow_line.angle - reference_line.angle
    bearing = (reference_bearing + turn) % 360.0
    shadow_spread = max(_angle_change(v.angle, shadow_line.angle)
                        for v in _variants(shadow_line, pixel_error))  # fmt: skip
    reference_spread = max(_angle_change(v.angle, reference_line.angle)
                           for v in _variants(reference_line, pixel_error))  # fmt: skip

    ratio = shadow_line.length / object_line.length
    shadow_lengths = [v.length for v in _variants(shadow_line, pixel_error)]
    object_lengths = [v.length for v in _variants(object_line, pixel_error)]
    low = min(shadow_lengths) / max(object_lengths)
    high = max(shadow_lengths) / min(object_lengths)
    gap = math.hypot(shadow_line.x1 - object_line.x1, shadow_line.y1 - object_line.y1)
    return ShadowMeasure(
        object_line, shadow_line, reference_line, float(reference_bearing),
        float(reference_error), float(pixel_error), bearing,
        shadow_spread + reference_spread + reference_error, ratio, low, high, gap,
    )  # fmt: skip
