"""The sun-path figure: the sun's track over one local day, with what a shadow matched.

Azimuth runs along x (centred on the side of the sky the sun crosses at noon,
so the track is never cut in two), elevation along y, with the horizon drawn
and the hours of local time ticked on the track. The matching windows are
painted on the track, the measured bearing and ratio shown as the bands of
sky that would cast them, and a caption states place, date, zone and the
question, so the figure can stand alone in a report. Drawn with OpenCV like
the landmarks figure; text is ASCII (OpenCV's fonts have no other glyphs).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from verifier.geo.export import _write_atomically
from verifier.geo.sun import (
    Measurement,
    SunError,
    Window,
    Zone,
    elevation_for_ratio,
    local_day_bounds,
    positions,
    sun_day,
)

WIDTH, HEIGHT = 1280, 820
_LEFT, _RIGHT, _TOP, _CAPTION = 74, 28, 48, 150
_FONT = cv2.FONT_HERSHEY_SIMPLEX
# Colours (RGB).
_TRACK = (25, 70, 160)
_NIGHT = (175, 180, 190)
_WINDOW = (235, 120, 0)
_BEARING = (200, 40, 120)
_RATIO = (20, 140, 90)
_GRID = (228, 230, 234)
_INK = (30, 30, 30)
_COMPASS = {0: "N", 90: "E", 180: "S", 270: "W", 360: "N", -90: "W", -180: "S"}


def _text(
    canvas: np.ndarray,
    text: str,
    origin: tuple[int, int],
    scale: float = 0.5,
    colour: tuple[int, int, int] = _INK,
    thickness: int = 1,
) -> None:
    cv2.putText(canvas, text, origin, _FONT, scale, colour, thickness, cv2.LINE_AA)


def _fit(text: str, width: int, scale: float) -> str:
    while len(text) > 4 and cv2.getTextSize(text, _FONT, scale, 1)[0][0] > width:
        text = text[:-4] + "..."
    return text


class _Axes:
    """Maps azimuth/elevation to pixels over the plot area."""

    def __init__(self, centre: float, low: float, high: float) -> None:
        self.centre, self.low, self.high = centre, low, high
        self.x0, self.x1 = _LEFT, WIDTH - _RIGHT
        self.y0, self.y1 = _TOP, HEIGHT - _CAPTION

    def unwrap(self, azimuth: np.ndarray | float) -> np.ndarray:
        return (np.asarray(azimuth) - self.centre + 180.0) % 360.0 - 180.0 + self.centre

    def x(self, azimuth: np.ndarray | float) -> np.ndarray:
        span = self.unwrap(azimuth) - (self.centre - 180.0)
        return self.x0 + span / 360.0 * (self.x1 - self.x0)

    def y(self, elevation: np.ndarray | float) -> np.ndarray:
        frac = (np.asarray(elevation) - self.low) / (self.high - self.low)
        return self.y1 - frac * (self.y1 - self.y0)

    def point(self, azimuth: float, elevation: float) -> tuple[int, int]:
        return round(float(self.x(azimuth))), round(float(self.y(elevation)))


def _polyline(
    canvas: np.ndarray,
    axes: _Axes,
    az: np.ndarray,
    el: np.ndarray,
    colour: tuple[int, int, int],
    thickness: int,
) -> None:
    """The track, cut where it wraps round the sides of the plot or leaves it below."""
    if len(az) < 2:
        return
    xs, ys = axes.x(az), axes.y(el)
    inside = (el >= axes.low) & (el <= axes.high)
    wraps = np.abs(np.diff(xs)) > (axes.x1 - axes.x0) / 2
    for run in _runs(inside):
        cuts = np.flatnonzero(wraps[run.start : run.stop - 1]) + 1
        for part_x, part_y in zip(np.split(xs[run], cuts), np.split(ys[run], cuts), strict=True):
            if len(part_x) > 1:
                pts = np.stack([part_x, part_y], axis=1).round().astype(np.int32)
                cv2.polylines(canvas, [pts], False, colour, thickness, cv2.LINE_AA)


def _shade(
    canvas: np.ndarray,
    p0: tuple[int, int],
    p1: tuple[int, int],
    colour: tuple[int, int, int],
    alpha: float = 0.16,
) -> None:
    overlay = canvas.copy()
    cv2.rectangle(overlay, p0, p1, colour, -1)
    cv2.addWeighted(overlay, alpha, canvas, 1 - alpha, 0, dst=canvas)


def draw_sun_path(
    lat: float,
    lon: float,
    day: date,
    zone: Zone,
    *,
    windows: Sequence[Window] = (),
    measurement: Measurement | None = None,
    moment: datetime | None = None,
    query: str = "",
) -> np.ndarray:
    """The figure for the local ``day`` at (lat, lon), as an RGB array.

    ``windows`` are painted where they fall on this day; ``measurement``
    shows the sky that casts the measured bearing (the sun's azimuth is the
    bearing minus 180°) and ratio (the elevation whose cotangent it is);
    ``moment`` marks the sun at one instant.
    """
    start, end = local_day_bounds(day, zone)
    t = np.arange(start.timestamp(), end.timestamp() + 1, 120.0)
    pos = positions(lat, lon, t)
    info = sun_day(lat, lon, day, zone)
    transit = positions(lat, lon, [info.transit.timestamp()])
    centre = 180.0 if np.cos(np.radians(transit.azimuth[0])) < 0 else 0.0
    low = max(-30.0, np.floor(min(pos.apparent.min(), -5.0) / 10.0) * 10.0)
    high = min(90.0, np.ceil((pos.apparent.max() + 5.0) / 10.0) * 10.0)
    axes = _Axes(centre, low, high)
    canvas = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)

    # Grid and axes.
    for az in range(int(centre) - 180, int(centre) + 181, 30):
        x = round(float(axes.x0 + (az - (centre - 180)) / 360 * (axes.x1 - axes.x0)))
        cv2.line(canvas, (x, axes.y0), (x, axes.y1), _GRID, 1)
        label = _COMPASS.get(az, str(az % 360))
        size = cv2.getTextSize(label, _FONT, 0.48, 1)[0]
        _text(canvas, label, (x - size[0] // 2, axes.y1 + 20), 0.48)
    for el in range(int(low), int(high) + 1, 10):
        y = round(float(axes.y(el)))
        cv2.line(canvas, (axes.x0, y), (axes.x1, y), _GRID, 1)
        label = f"{el}"
        size = cv2.getTextSize(label, _FONT, 0.48, 1)[0]
        _text(canvas, label, (axes.x0 - size[0] - 8, y + 5), 0.48)
    horizon = round(float(axes.y(0)))
    cv2.line(canvas, (axes.x0, horizon), (axes.x1, horizon), (90, 90, 90), 2)
    _text(canvas, "horizon", (axes.x1 - 70, horizon - 6), 0.45, (90, 90, 90))
    cv2.rectangle(canvas, (axes.x0, axes.y0), (axes.x1, axes.y1), (150, 150, 150), 1)
    _text(canvas, "sun elevation (deg, with refraction)", (8, 26), 0.5)
    axis_label = "sun azimuth (deg from true north)"
    size = cv2.getTextSize(axis_label, _FONT, 0.5, 1)[0]
    _text(canvas, axis_label, ((axes.x0 + axes.x1 - size[0]) // 2, axes.y1 + 42), 0.5)

    # What the measurement asks of the sky.
    if measurement is not None and measurement.bearing is not None:
        sun_az = (measurement.bearing + 180.0) % 360.0
        tol = measurement.bearing_tolerance
        for a0, a1 in _az_spans(axes, sun_az - tol, sun_az + tol):
            _shade(canvas, (a0, axes.y0), (a1, axes.y1), _BEARING)
        x = round(float(axes.x(sun_az)))
        cv2.line(canvas, (x, axes.y0), (x, axes.y1), _BEARING, 1, cv2.LINE_AA)
        label = f"sun at {sun_az:g} deg casts shadow {measurement.bearing:g} deg"
        label_w = cv2.getTextSize(label, _FONT, 0.45, 1)[0][0]
        # Beside the line, on whichever side leaves the label inside the plot.
        label_x = x + 4 if x + 4 + label_w <= axes.x1 else x - 4 - label_w
        _text(canvas, label, (label_x, axes.y0 + 16), 0.45, _BEARING)
    if measurement is not None and measurement.ratio is not None:
        low_r, high_r = measurement.ratio_range() or (measurement.ratio, measurement.ratio)
        e_hi, e_lo = elevation_for_ratio(low_r), elevation_for_ratio(high_r)
        y_hi, y_lo = round(float(axes.y(min(e_hi, high)))), round(float(axes.y(max(e_lo, low))))
        _shade(canvas, (axes.x0, y_hi), (axes.x1, y_lo), _RATIO)
        y = round(float(axes.y(elevation_for_ratio(measurement.ratio))))
        cv2.line(canvas, (axes.x0, y), (axes.x1, y), _RATIO, 1, cv2.LINE_AA)
        _text(canvas, f"ratio {measurement.ratio:g}", (axes.x0 + 6, y - 6), 0.45, _RATIO)

    # The track: below the horizon pale, above it dark, matches thick.
    _polyline(canvas, axes, pos.azimuth, pos.apparent, _NIGHT, 2)
    up = pos.apparent > 0
    for part in _runs(up):
        _polyline(canvas, axes, pos.azimuth[part], pos.apparent[part], _TRACK, 2)
    shown = 0
    for window in windows:
        w0, w1 = max(window.start, start), min(window.end, end)
        if w0 >= w1:
            continue
        shown += 1
        wt = np.linspace(w0.timestamp(), w1.timestamp(), 60)
        wp = positions(lat, lon, wt)
        _polyline(canvas, axes, wp.azimuth, wp.apparent, _WINDOW, 7)
        if start <= window.best <= end:
            centre_pt = axes.point(window.best_azimuth, window.best_apparent_elevation)
            cv2.circle(canvas, centre_pt, 6, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(canvas, centre_pt, 6, _WINDOW, 2, cv2.LINE_AA)

    # Hour ticks in local time.
    hour = zone.local(start).replace(minute=0, second=0, microsecond=0)
    while hour.astimezone(start.tzinfo) < end:
        ts = hour.timestamp()
        if ts >= start.timestamp():
            hp = positions(lat, lon, [ts])
            if axes.low <= hp.apparent[0] <= axes.high:
                point = axes.point(float(hp.azimuth[0]), float(hp.apparent[0]))
                cv2.circle(canvas, point, 3, _INK, -1, cv2.LINE_AA)
                _text(canvas, f"{zone.local(hour).hour:02d}h", (point[0] + 5, point[1] - 6), 0.4)
        hour = (hour.astimezone(start.tzinfo) + timedelta(hours=1)).astimezone(zone.tz)

    if moment is not None and start <= moment <= end:
        mp = positions(lat, lon, [moment.timestamp()])
        point = axes.point(float(mp.azimuth[0]), float(mp.apparent[0]))
        cv2.circle(canvas, point, 8, (255, 200, 0), -1, cv2.LINE_AA)
        cv2.circle(canvas, point, 8, _INK, 1, cv2.LINE_AA)

    # Caption.
    top = HEIGHT - _CAPTION + 58
    cv2.line(canvas, (0, top - 8), (WIDTH, top - 8), (200, 200, 200), 1)
    place = f"{abs(lat):.4f}{'N' if lat >= 0 else 'S'} {abs(lon):.4f}{'E' if lon >= 0 else 'W'}"
    zone_text = zone.name if zone.note is None else "at sea, no civil time zone: UTC"
    offset = _utc_offset(zone.local(start))
    end_offset = _utc_offset(zone.local(end))
    clocks = (
        f"UTC{offset}"
        if offset == end_offset
        else f"clocks change this day: UTC{offset} to UTC{end_offset}"
    )
    rise = _clock(info.sunrise, zone) if info.sunrise else None
    sets = _clock(info.sunset, zone) if info.sunset else None
    daylight = info.describe() or f"sunrise {rise}, sunset {sets}"
    lines = [
        (
            f"Sun path at {place}, {day.isoformat()} ({zone_text}, {clocks}); {daylight}; "
            f"hours in {'local time' if zone.note is None else 'UTC'}",
            0.55,
            _INK,
            1,
        ),
        (query, 0.5, _INK, 1),
        (_windows_text(windows, shown, zone) if measurement else "", 0.5, _WINDOW, 1),
        (
            "Positions: NREL SPA (pvlib); elevation with standard refraction (1013.25 hPa, 12 C)",
            0.42,
            (90, 90, 90),
            1,
        ),
    ]
    for index, (text, scale, colour, thick) in enumerate(lines):
        _text(
            canvas, _fit(text, WIDTH - 24, scale), (12, top + 14 + index * 22), scale, colour, thick
        )
    return canvas


def _utc_offset(local: datetime) -> str:
    text = local.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def _clock(instant: datetime, zone: Zone) -> str:
    return zone.local(instant).strftime("%H:%M")


def _windows_text(windows: Sequence[Window], shown: int, zone: Zone) -> str:
    if not windows:
        return "No matching window in the searched days."
    first = windows[0]
    more = f" (+{len(windows) - 1} more in the range)" if len(windows) > 1 else ""
    return (
        f"{len(windows)} matching window(s), {shown} on this day (orange); first: "
        f"{zone.local(first.start).strftime('%Y-%m-%d %H:%M')} to "
        f"{zone.local(first.end).strftime('%H:%M')} local, best "
        f"{zone.local(first.best).strftime('%H:%M:%S')}{more}"
    )


def _runs(mask: np.ndarray) -> list[slice]:
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [slice(a, b) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _az_spans(axes: _Axes, a0: float, a1: float) -> list[tuple[int, int]]:
    """Pixel spans of the azimuth interval a0..a1, split where it wraps round the plot."""
    lo, hi = axes.centre - 180.0, axes.centre + 180.0
    a0u = float(axes.unwrap(a0))
    a1u = a0u + (a1 - a0)
    spans = []
    for s0, s1 in ((a0u, a1u), (a0u - 360.0, a1u - 360.0)):
        s0, s1 = max(s0, lo), min(s1, hi)
        if s0 < s1:
            x0 = round(axes.x0 + (s0 - lo) / 360.0 * (axes.x1 - axes.x0))
            x1 = round(axes.x0 + (s1 - lo) / 360.0 * (axes.x1 - axes.x0))
            spans.append((x0, x1))
    return spans


def write_png(image: np.ndarray, path: Path | str) -> Path:
    """Write the figure (RGB) as PNG, whole or not at all."""
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise SunError(f"--figure: {target.name!r} must end in .png")
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise SunError("--figure: the PNG could not be encoded")
    return _write_atomically(target, data.tobytes())
