"""The sun at a place and time, and the inverse questions a shadow asks.

Positions come from NREL's Solar Position Algorithm (Reda & Andreas 2004) as
implemented by pvlib's NumPy functions, called directly on arrays of Unix
seconds so that a year scanned minute by minute stays a few seconds of work.
Apparent elevation uses the standard refraction SPA defines (1013.25 hPa,
12 °C), which is what a shadow on the ground follows.

Three searches build on one vectorised evaluation:

* :func:`find_windows` -- *when*, at a known place, does the shadow have this
  bearing and/or length ratio (optionally two measurements a known interval
  apart). A coarse one-minute scan finds the runs; each edge is then resolved
  to the second between the two samples that bracket it, so an edge is exact
  to a minute and usually to a second. Windows are instants (UTC); local
  times are derived per instant, so a window on a clock-change day shows the
  offset in force at that moment.
* :func:`shadow_band` -- *where*, at a known instant, does the sun cast this
  shadow: the ring of places around the subsolar point, traced on a 0.1° grid.
* :func:`sun_at` / :func:`sun_day` -- the position at one instant, and
  sunrise, transit and sunset for the local day (polar day and night said in
  words).

Local time comes from the offline zone map of ``timezonefinder`` and the rules
of ``zoneinfo``; at sea there is no civil zone, and times fall back to UTC
with a note that says so.

Everything here is pure: no database, no files except the band writers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from verifier.errors import VerifierError

# Standard atmosphere SPA's refraction assumes (and the reference table uses).
PRESSURE_HPA = 1013.25
TEMPERATURE_C = 12.0
ATMOS_REFRACT = 0.5667  # refraction at the horizon, degrees (SPA's default)
# Sunrise and sunset: the upper limb on the horizon, refraction included
# (SPA's h0' = -0.8333°: 0.5667° refraction plus 0.2667° semi-diameter).
RISE_SET_ELEVATION = -0.8333
# Dates the sun is computed for. SPA itself is valid for -2000..6000, but the
# clock correction ΔT is only known (not extrapolated) in this range, and no
# video predates it.
FIRST_YEAR, LAST_YEAR = 1900, 2100
# Default tolerances: a bearing drawn on a frame against a reference line is
# rarely better than a few degrees, a length ratio rarely better than 10 %.
DEFAULT_BEARING_TOLERANCE = 5.0
DEFAULT_RATIO_TOLERANCE_PCT = 10.0
# The coarse scan step of the inverse search, in seconds.
SCAN_STEP_S = 60

# ΔT (TT - UT1, seconds), observed, by year (IERS). pvlib's polynomial
# extrapolates several seconds too high after 2010; between these years the
# observed values are interpolated and outside them pvlib's estimate is used.
_DELTA_T_YEARS = np.array([1950, 1960, 1970, 1980, 1990, 2000, 2005, 2010, 2015, 2020, 2025])
_DELTA_T_VALUES = np.array([29.1, 33.2, 40.2, 50.5, 56.9, 63.8, 64.7, 66.1, 67.6, 69.4, 69.1])


class SunError(VerifierError):
    """A question about the sun that cannot be answered as asked (names the input at fault)."""


# --------------------------------------------------------------------------- positions


def delta_t(unix_seconds: np.ndarray) -> np.ndarray:
    """ΔT in seconds for each instant: observed values where known, pvlib's estimate beyond."""
    years = 1970.0 + np.asarray(unix_seconds, dtype=float) / (365.2425 * 86400.0)
    inside = (years >= _DELTA_T_YEARS[0]) & (years <= _DELTA_T_YEARS[-1])
    observed = np.interp(years, _DELTA_T_YEARS, _DELTA_T_VALUES)
    whole = np.floor(years).astype(int)
    month = np.clip(((years - whole) * 12).astype(int) + 1, 1, 12)
    estimated = _spa().calculate_deltat(whole, month)
    return np.where(inside, observed, estimated)


@dataclass(frozen=True)
class Positions:
    """Arrays of the sun's position for arrays of instants (degrees)."""

    azimuth: np.ndarray  # clockwise from true north
    elevation: np.ndarray  # geometric
    apparent: np.ndarray  # with standard refraction

    @property
    def shadow_bearing(self) -> np.ndarray:
        return (self.azimuth + 180.0) % 360.0

    @property
    def ratio(self) -> np.ndarray:
        """Shadow length / object height; +inf where the sun is at or below the horizon."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = 1.0 / np.tan(np.radians(self.apparent))
        return np.where(self.apparent > 0, ratio, np.inf)


def positions(lat: float, lon: float, unix_seconds: np.ndarray | Sequence[float]) -> Positions:
    """The sun at (lat, lon) for each instant (Unix seconds, UTC), by NREL SPA."""
    t = np.atleast_1d(np.asarray(unix_seconds, dtype=float))
    _, _, apparent, elevation, azimuth, _ = _spa().solar_position_numpy(
        t, lat, lon, 0.0, PRESSURE_HPA, TEMPERATURE_C, delta_t(t), ATMOS_REFRACT, 1
    )
    return Positions(np.asarray(azimuth), np.asarray(elevation), np.asarray(apparent))


def ratio_of(apparent_elevation: float) -> float | None:
    """Shadow length / height for an apparent elevation; None when the sun is not up."""
    if apparent_elevation <= 0:
        return None
    return 1.0 / math.tan(math.radians(apparent_elevation))


def elevation_for_ratio(ratio: float) -> float:
    """The apparent elevation (degrees) at which a shadow is ``ratio`` times the height."""
    return math.degrees(math.atan2(1.0, ratio))


def bearing_difference(a: np.ndarray | float, b: float) -> np.ndarray:
    """Signed smallest difference a - b between bearings, in (-180, 180]."""
    return -((b - np.asarray(a) + 180.0) % 360.0 - 180.0)


# --------------------------------------------------------------------------- time and zones


@dataclass(frozen=True)
class Zone:
    """The civil time zone of a place, or UTC with the reason there is none."""

    name: str  # IANA name, or "UTC" when there is none
    tz: Any  # a tzinfo
    note: str | None = None  # why times are in UTC, when they are

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)


@lru_cache(maxsize=1)
def _spa() -> Any:
    """pvlib's SPA, imported on first use: importing pvlib loads pandas (about a second),
    which every ``verifier`` command would otherwise pay at start-up."""
    from pvlib import spa

    return spa


@lru_cache(maxsize=1)
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


def zone_at(lat: float, lon: float) -> Zone:
    """The place's time zone from the offline map; at sea (no civil zone) UTC, with a note."""
    name = _finder().timezone_at(lat=lat, lng=lon)
    # timezonefinder answers the nautical "Etc/GMT±N" zones over the oceans:
    # no clock a person there reads, so times are shown in UTC, and said so.
    if not name or name.startswith("Etc/"):
        return Zone("UTC", UTC, "at sea, no civil time zone: times are in UTC")
    return Zone(name, ZoneInfo(name))


def check_instant(instant: datetime, option: str) -> datetime:
    """``instant`` in UTC, or SunError naming the option when it is outside the computed years."""
    if instant.tzinfo is None:
        raise SunError(f"{option}: a time needs an offset or a place to read it in")
    utc = instant.astimezone(UTC)
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise SunError(
            f"{option}: {utc.date().isoformat()} is outside the years the sun is computed for "
            f"({FIRST_YEAR} to {LAST_YEAR})"
        )
    return utc


def parse_time(text: str, option: str, zone: Zone | None = None) -> tuple[datetime, str]:
    """An ISO 8601 time as a UTC instant, and how it was read.

    A time with an offset (``Z``, ``+03:00``) is exact. A time without one is
    read as the local time at the place (``zone``), the clock a person there
    saw; where there is no place (``--where``) or no civil zone (at sea) it is
    refused rather than guessed. A local time that does not exist (the hour
    skipped when clocks go forward) or exists twice (the hour repeated when
    they go back) is refused too, naming the zone, so a shadow is never timed
    an hour off.
    """
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1) if " " in raw else raw)
    except ValueError:
        raise SunError(
            f"{option}: {text!r} is not a time; write e.g. 2025-03-13T09:30Z "
            "or 2025-03-13T12:30+03:00"
        ) from None
    if value.tzinfo is not None:
        return check_instant(value, option), "offset as given"
    if zone is None:
        raise SunError(f"{option}: {text!r} has no offset; add Z for UTC or e.g. +03:00")
    if zone.note is not None:
        raise SunError(
            f"{option}: {text!r} has no offset and the place has no civil time zone; "
            "add Z for UTC or an offset"
        )
    early = value.replace(tzinfo=zone.tz, fold=0)
    late = value.replace(tzinfo=zone.tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        check_instant(early, option)
        shown = value.isoformat(sep=" ", timespec="minutes")
        if early.astimezone(UTC).astimezone(zone.tz).replace(tzinfo=None) != value:
            raise SunError(
                f"{option}: {shown} does not exist in {zone.name} (the clocks skipped it); "
                "give the offset"
            )
        raise SunError(
            f"{option}: {shown} happened twice in {zone.name} (the clocks went back); "
            f"add the offset ({_offset(early)} or {_offset(late)})"
        )
    return check_instant(early, option), f"read as the local clock in {zone.name}"


def parse_date(text: str, option: str) -> date:
    """An ISO date (YYYY-MM-DD), or SunError naming the option."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise SunError(f"{option}: {text!r} is not a date; write YYYY-MM-DD") from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise SunError(
            f"{option}: {value.isoformat()} is outside the years the sun is computed for "
            f"({FIRST_YEAR} to {LAST_YEAR})"
        )
    return value


def _offset(instant: datetime) -> str:
    offset = instant.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_day_bounds(day: date, zone: Zone) -> tuple[datetime, datetime]:
    """UTC instants of the local midnight that starts ``day`` and the one that ends it.

    A clock-change day is 23 or 25 hours long; this follows the zone's rules.
    """
    start = datetime.combine(day, time(0), tzinfo=zone.tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone.tz).astimezone(UTC)
    return start, end


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(round(seconds), UTC)


def moment_json(instant: datetime, zone: Zone) -> dict[str, str]:
    """An instant in UTC and in local time with its offset (ISO 8601)."""
    local = zone.local(instant)
    return {
        "utc": instant.isoformat().replace("+00:00", "Z"),
        "local": local.isoformat(),
        "offset": _offset(local),
    }


# --------------------------------------------------------------------------- one instant


@dataclass(frozen=True)
class SunNow:
    """The sun at one place and instant, and what a vertical object's shadow does."""

    lat: float
    lon: float
    utc: datetime
    azimuth: float
    elevation: float
    apparent_elevation: float

    @property
    def shadow_bearing(self) -> float | None:
        return (self.azimuth + 180.0) % 360.0 if self.apparent_elevation > 0 else None

    @property
    def ratio(self) -> float | None:
        return ratio_of(self.apparent_elevation)

    def to_json(self) -> dict[str, Any]:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "utc": self.utc.isoformat().replace("+00:00", "Z"),
            "azimuth_deg": round(self.azimuth, 4),
            "elevation_deg": round(self.elevation, 4),
            "apparent_elevation_deg": round(self.apparent_elevation, 4),
            "shadow_bearing_deg": _rounded(self.shadow_bearing, 4),
            "shadow_ratio": _rounded(self.ratio, 4),
        }


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def sun_at(lat: float, lon: float, instant: datetime) -> SunNow:
    """The sun's position at (lat, lon) at ``instant`` (an aware datetime)."""
    utc = check_instant(instant, "time")
    pos = positions(lat, lon, [utc.timestamp()])
    return SunNow(
        lat, lon, utc, float(pos.azimuth[0]), float(pos.elevation[0]), float(pos.apparent[0])
    )


@dataclass(frozen=True)
class SunDay:
    """Sunrise, transit and sunset for one local day; ``polar`` says why one is missing."""

    day: date
    sunrise: datetime | None
    transit: datetime
    sunset: datetime | None
    transit_elevation: float
    polar: str | None = None  # "polar day" / "polar night"

    def describe(self) -> str:
        if self.polar == "polar day":
            return "polar day: the sun does not set"
        if self.polar == "polar night":
            return "polar night: the sun does not rise"
        return ""


def _crossing(lat: float, lon: float, t0: float, t1: float, rising: bool) -> datetime:
    """The second between t0 and t1 when the geometric elevation crosses the rise/set level."""
    t = np.arange(t0, t1 + 1, 1.0)
    up = positions(lat, lon, t).elevation > RISE_SET_ELEVATION
    index = int(np.argmax(up)) if rising else int(np.argmax(~up))
    return _instant(t[index])


def sun_day(lat: float, lon: float, day: date, zone: Zone) -> SunDay:
    """Sunrise, transit and sunset of the local day ``day`` (in the place's zone).

    Scanned minute by minute over the local day (23, 24 or 25 hours) and
    refined to the second. With no crossing, the day is polar day or polar
    night; with several (rare, near the polar circles), the first rise and
    the last set are given.
    """
    start, end = local_day_bounds(day, zone)
    t = np.arange(start.timestamp(), end.timestamp() + 1, 60.0)
    pos = positions(lat, lon, t)
    up = pos.elevation > RISE_SET_ELEVATION
    peak = int(np.argmax(pos.elevation))
    fine = np.arange(t[max(peak - 1, 0)], t[min(peak + 1, len(t) - 1)] + 1, 1.0)
    fine_pos = positions(lat, lon, fine)
    best = int(np.argmax(fine_pos.elevation))
    transit, transit_elevation = _instant(fine[best]), float(fine_pos.elevation[best])
    changes = np.flatnonzero(up[1:] != up[:-1])
    if not len(changes):
        polar = "polar day" if up[0] else "polar night"
        return SunDay(day, None, transit, None, transit_elevation, polar)
    rises = [i for i in changes if not up[i]]
    sets = [i for i in changes if up[i]]
    sunrise = _crossing(lat, lon, t[rises[0]], t[rises[0] + 1], True) if rises else None
    sunset = _crossing(lat, lon, t[sets[-1]], t[sets[-1] + 1], False) if sets else None
    return SunDay(day, sunrise, transit, sunset, transit_elevation)


# --------------------------------------------------------------------------- when (inverse)


@dataclass(frozen=True)
class Measurement:
    """A shadow measured on a frame: bearing and/or ratio, with tolerances.

    ``offset_s`` is when it was measured relative to the first measurement
    (0 for the first; the interval between the frames for the second).
    """

    bearing: float | None = None
    bearing_tolerance: float = DEFAULT_BEARING_TOLERANCE
    ratio: float | None = None
    ratio_tolerance_pct: float = DEFAULT_RATIO_TOLERANCE_PCT
    offset_s: float = 0.0

    def ratio_range(self) -> tuple[float, float] | None:
        if self.ratio is None:
            return None
        spread = self.ratio * self.ratio_tolerance_pct / 100.0
        return self.ratio - spread, self.ratio + spread

    def to_json(self) -> dict[str, Any]:
        return {
            "shadow_bearing_deg": self.bearing,
            "bearing_tolerance_deg": self.bearing_tolerance if self.bearing is not None else None,
            "ratio": self.ratio,
            "ratio_tolerance_pct": self.ratio_tolerance_pct if self.ratio is not None else None,
            "offset_s": self.offset_s,
        }

    def describe(self) -> str:
        parts = []
        if self.bearing is not None:
            parts.append(f"shadow bearing {self.bearing:g}° ±{self.bearing_tolerance:g}°")
        if self.ratio is not None:
            parts.append(f"length ratio {self.ratio:g} ±{self.ratio_tolerance_pct:g} %")
        return ", ".join(parts)


def check_measurement(m: Measurement, suffix: str = "") -> None:
    """SunError naming the option of the first value out of range."""
    if m.bearing is None and m.ratio is None:
        raise SunError(f"--shadow-bearing{suffix}/--ratio{suffix}: give a bearing, a ratio or both")
    if m.bearing is not None and not (math.isfinite(m.bearing) and 0 <= m.bearing <= 360):
        raise SunError(f"--shadow-bearing{suffix}: {m.bearing:g} is not a bearing (0 to 360)")
    if not (math.isfinite(m.bearing_tolerance) and 0 < m.bearing_tolerance <= 90):
        raise SunError(f"--tolerance{suffix}: {m.bearing_tolerance:g}° is out of range (0 to 90]")
    if m.ratio is not None and not (math.isfinite(m.ratio) and m.ratio > 0):
        raise SunError(f"--ratio{suffix}: {m.ratio:g} must be a positive number")
    if not (math.isfinite(m.ratio_tolerance_pct) and 0 < m.ratio_tolerance_pct < 100):
        raise SunError(
            f"--ratio-tolerance{suffix}: {m.ratio_tolerance_pct:g} % is out of range "
            "(more than 0, less than 100)"
        )


def _fits(pos: Positions, m: Measurement) -> tuple[np.ndarray, np.ndarray]:
    """Where the measurement fits, and a cost (0 at the measured values, 1 at the tolerance)."""
    ok = pos.apparent > 0
    cost = np.zeros_like(pos.apparent)
    if m.bearing is not None:
        miss = np.abs(bearing_difference(pos.shadow_bearing, m.bearing)) / m.bearing_tolerance
        ok &= miss <= 1.0
        cost += miss**2
    low_high = m.ratio_range()
    if low_high is not None and m.ratio is not None:
        ratio = pos.ratio
        ok &= (ratio >= low_high[0]) & (ratio <= low_high[1])
        with np.errstate(invalid="ignore"):
            miss = np.abs(ratio - m.ratio) / (low_high[1] - m.ratio)
        cost += np.where(np.isfinite(miss), miss, 1e6) ** 2
    return ok, cost


def _evaluate(
    lat: float, lon: float, t: np.ndarray, measurements: Sequence[Measurement]
) -> tuple[np.ndarray, np.ndarray]:
    ok = np.ones(t.shape, dtype=bool)
    cost = np.zeros(t.shape)
    for m in measurements:
        fit, c = _fits(positions(lat, lon, t + m.offset_s), m)
        ok &= fit
        cost += c
    return ok, np.sqrt(cost)


@dataclass(frozen=True)
class Window:
    """A stretch of time when every measurement fits, with its best-fitting moment.

    ``clipped_start``/``clipped_end`` say the window runs past the searched range.
    """

    start: datetime
    end: datetime
    best: datetime
    best_azimuth: float
    best_apparent_elevation: float
    clipped_start: bool = False
    clipped_end: bool = False

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def to_json(self, zone: Zone) -> dict[str, Any]:
        return {
            "start": moment_json(self.start, zone),
            "end": moment_json(self.end, zone),
            "best": moment_json(self.best, zone),
            "duration_min": round(self.duration_s / 60, 1),
            "best_sun_azimuth_deg": round(self.best_azimuth, 3),
            "best_shadow_bearing_deg": round((self.best_azimuth + 180) % 360, 3),
            "best_apparent_elevation_deg": round(self.best_apparent_elevation, 3),
            "best_ratio": _rounded(ratio_of(self.best_apparent_elevation), 4),
            "runs_past_start_of_range": self.clipped_start,
            "runs_past_end_of_range": self.clipped_end,
        }


@dataclass(frozen=True)
class WindowSearch:
    """The question and its answer, kept together so it can be shown and stored whole."""

    lat: float
    lon: float
    zone: Zone
    first_day: date
    last_day: date
    measurements: tuple[Measurement, ...]
    windows: list[Window] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "lat": self.lat,
            "lon": self.lon,
            "zone": self.zone.name,
            "zone_note": self.zone.note,
            "from_date": self.first_day.isoformat(),
            "to_date": self.last_day.isoformat(),
            "measurements": [m.to_json() for m in self.measurements],
            "windows": [w.to_json(self.zone) for w in self.windows],
        }


MAX_SEARCH_DAYS = 3 * 366


def _edge(
    lat: float, lon: float, t0: float, measurements: Sequence[Measurement], rising: bool
) -> float:
    """The first second after t0 (within one scan step) where the fit changes."""
    t = np.arange(t0, t0 + SCAN_STEP_S + 1, 1.0)
    ok, _ = _evaluate(lat, lon, t, measurements)
    hits = np.flatnonzero(ok if rising else ~ok)
    if not len(hits):  # the change is at the far sample (cannot happen unless rounding)
        return t0 + SCAN_STEP_S if rising else t0 + SCAN_STEP_S - 1
    index = int(hits[0])
    return float(t[index]) if rising else float(t[index - 1]) if index > 0 else float(t[0])


def find_windows(
    lat: float,
    lon: float,
    first_day: date,
    last_day: date,
    measurements: Sequence[Measurement],
    zone: Zone | None = None,
) -> WindowSearch:
    """Every window in the local days first_day..last_day when all measurements fit.

    The first measurement is made at t, each other at t + its ``offset_s``.
    Scanned every minute, edges then resolved to the second; a window shorter
    than a minute may be missed. A window that runs through local midnight is
    one window; one that runs past the range is marked as clipped.
    """
    if not measurements:
        raise SunError("--shadow-bearing/--ratio: give a bearing, a ratio or both")
    for index, m in enumerate(measurements):
        check_measurement(m, "" if index == 0 else str(index + 1))
    if last_day < first_day:
        raise SunError(f"--to: {last_day.isoformat()} is before --date {first_day.isoformat()}")
    if (last_day - first_day).days + 1 > MAX_SEARCH_DAYS:
        raise SunError(f"--to: search at most {MAX_SEARCH_DAYS} days at a time")
    zone = zone or zone_at(lat, lon)
    start, _ = local_day_bounds(first_day, zone)
    _, end = local_day_bounds(last_day, zone)
    t = np.arange(start.timestamp(), end.timestamp() + 1, float(SCAN_STEP_S))
    ok, cost = _evaluate(lat, lon, t, measurements)
    windows: list[Window] = []
    padded = np.concatenate([[False], ok, [False]])
    changes = np.flatnonzero(padded[1:] != padded[:-1])
    for first, stop in zip(changes[::2], changes[1::2], strict=True):
        last = stop - 1
        clipped_start, clipped_end = first == 0, last == len(t) - 1
        begin = t[first] if clipped_start else _edge(lat, lon, t[first - 1], measurements, True)
        finish = t[last] if clipped_end else _edge(lat, lon, t[last], measurements, False)
        best = _best(lat, lon, t[first : last + 1], cost[first : last + 1], measurements)
        best = min(max(best, begin), finish)
        pos = positions(lat, lon, [best])
        windows.append(
            Window(
                _instant(begin),
                _instant(finish),
                _instant(best),
                float(pos.azimuth[0]),
                float(pos.apparent[0]),
                bool(clipped_start),
                bool(clipped_end),
            )
        )
    return WindowSearch(lat, lon, zone, first_day, last_day, tuple(measurements), windows)


def _best(
    lat: float,
    lon: float,
    t: np.ndarray,
    cost: np.ndarray,
    measurements: Sequence[Measurement],
) -> float:
    """The second of least cost near the best scanned minute of a window."""
    index = int(np.argmin(cost))
    fine = np.arange(t[index] - SCAN_STEP_S, t[index] + SCAN_STEP_S + 1, 1.0)
    ok, fine_cost = _evaluate(lat, lon, fine, measurements)
    fine_cost = np.where(ok, fine_cost, np.inf)
    return float(fine[int(np.argmin(fine_cost))])
