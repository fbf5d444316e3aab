"""The sun, both ways: positions against the reference table, and the inverse searches.

A shadow timed an hour off (a clock change, a zone guessed) or placed in the
wrong band discredits a chronolocation, so positions are pinned to NREL SPA
reference values, every window search is checked against an independent
brute-force scan (pvlib's pandas path, 10-second steps), and the local times
shown are checked on the days the clocks change.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from pvlib.solarposition import spa_python

from verifier.geo.sun import (
    Measurement,
    SunError,
    Window,
    find_windows,
    local_day_bounds,
    parse_date,
    parse_time,
    sun_at,
    sun_day,
    zone_at,
)

DATA = Path(__file__).parent / "data" / "sun"
KYIV = (50.4501, 30.5234)
KHARKIV = (49.9935, 36.2304)
TROMSO = (69.6492, 18.9553)
# Suva, Fiji (UTC+12, near the antimeridian): local solar noon is about 00:06 UTC.
SUVA = (-18.1416, 178.4419)


def reference_rows() -> list[dict[str, str]]:
    text = "".join(line for line in (DATA / "sun_positions.csv").open() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("row", reference_rows(), ids=lambda r: f"{r['place']} {r['utc']}")
def test_position_agrees_with_the_reference_table(row: dict[str, str]) -> None:
    sun = sun_at(float(row["lat"]), float(row["lon"]), datetime.fromisoformat(row["utc"]))
    assert sun.azimuth == pytest.approx(float(row["azimuth_deg"]), abs=0.05)
    assert sun.elevation == pytest.approx(float(row["elevation_deg"]), abs=0.05)
    assert sun.apparent_elevation == pytest.approx(float(row["apparent_elevation_deg"]), abs=0.05)


def test_reference_table_has_all_twenty_rows() -> None:
    assert len(reference_rows()) == 20


def test_shadow_bearing_and_ratio_follow_the_sun() -> None:
    sun = sun_at(*KYIV, datetime(2024, 6, 21, 9, 0, tzinfo=UTC))
    assert sun.shadow_bearing == pytest.approx((sun.azimuth + 180) % 360)
    assert sun.ratio == pytest.approx(1 / math.tan(math.radians(sun.apparent_elevation)))
    night = sun_at(*TROMSO, datetime(2023, 12, 21, 11, 0, tzinfo=UTC))
    assert night.shadow_bearing is None and night.ratio is None


# --------------------------------------------------------------------------- brute force


def brute_windows(
    lat: float, lon: float, day: date, measurements: list[Measurement], step: int = 10
) -> list[tuple[datetime, datetime]]:
    """Windows found by evaluating pvlib's own pandas path every ``step`` seconds."""
    zone = zone_at(lat, lon)
    start, end = local_day_bounds(day, zone)
    times = pd.date_range(start, end, freq=f"{step}s")
    ok = np.ones(len(times), dtype=bool)
    for m in measurements:
        shifted = times + pd.Timedelta(seconds=m.offset_s)
        pos = spa_python(shifted, lat, lon)
        app = pos["apparent_elevation"].to_numpy()
        fits = app > 0
        if m.bearing is not None:
            shadow = (pos["azimuth"].to_numpy() + 180) % 360
            diff = np.abs((shadow - m.bearing + 180) % 360 - 180)
            fits &= diff <= m.bearing_tolerance
        if m.ratio is not None:
            with np.errstate(divide="ignore"):
                ratio = 1 / np.tan(np.radians(app))
            spread = m.ratio * m.ratio_tolerance_pct / 100
            fits &= (ratio >= m.ratio - spread) & (ratio <= m.ratio + spread)
        ok &= fits
    padded = np.concatenate([[False], ok, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [
        (times[a].to_pydatetime(), times[b - 1].to_pydatetime())
        for a, b in zip(edges[::2], edges[1::2], strict=True)
    ]


def assert_same_windows(found: list[Window], brute: list[tuple[datetime, datetime]]) -> None:
    assert len(found) == len(brute), (found, brute)
    for window, (start, end) in zip(found, brute, strict=True):
        assert abs((window.start - start).total_seconds()) <= 60
        assert abs((window.end - end).total_seconds()) <= 60
        assert window.start <= window.best <= window.end


@pytest.mark.parametrize(
    ("place", "day", "measurement"),
    [
        (KYIV, date(2024, 6, 21), Measurement(bearing=300.0)),
        (KYIV, date(2024, 6, 21), Measurement(ratio=1.5)),
        (KYIV, date(2024, 12, 21), Measurement(bearing=20.0, ratio=3.5)),
        (KHARKIV, date(2025, 3, 30), Measurement(bearing=290.0, ratio=2.6)),
        ((-33.8688, 151.2093), date(2023, 7, 1), Measurement(bearing=180.0, bearing_tolerance=3.0)),
        (SUVA, date(2024, 4, 10), Measurement(bearing=180.0, bearing_tolerance=10.0)),
    ],
)  # fmt: skip
def test_window_search_matches_a_brute_force_scan(
    place: tuple[float, float], day: date, measurement: Measurement
) -> None:
    search = find_windows(*place, day, day, [measurement])
    assert search.windows, "each case has at least one window"
    assert_same_windows(search.windows, brute_windows(*place, day, [measurement]))


def test_a_window_across_midnight_utc_is_one_window_on_the_local_day() -> None:
    # Noon in Fiji (UTC+12) is around 00:00 UTC: the noon shadow's window
    # (pointing south, the sun being north in April) starts on one UTC date
    # and ends on the next.
    m = Measurement(bearing=180.0, bearing_tolerance=10.0)
    search = find_windows(*SUVA, date(2024, 4, 10), date(2024, 4, 10), [m])
    (window,) = search.windows
    assert window.start.date() == date(2024, 4, 9)
    assert window.end.date() == date(2024, 4, 10)
    local = search.zone.local(window.best)
    assert local.date() == date(2024, 4, 10)
    assert local.utcoffset() == timedelta(hours=12)
    assert window.to_json(search.zone)["best"]["offset"] == "+12:00"
    assert search.zone.name == "Pacific/Fiji"
    assert_same_windows(search.windows, brute_windows(*SUVA, date(2024, 4, 10), [m]))


def test_windows_on_a_clock_change_day_show_the_offset_in_force() -> None:
    m = Measurement(bearing=290.0)
    search = find_windows(*KHARKIV, date(2025, 3, 29), date(2025, 3, 31), [m])
    offsets = [w.to_json(search.zone)["start"]["offset"] for w in search.windows]
    # Clocks go forward at 03:00 on Sunday 30 March 2025 (Europe/Kyiv).
    assert offsets == ["+02:00", "+03:00", "+03:00"]
    # The sun keeps its own time: the UTC start moves by about a minute a day,
    # while the local start jumps by an hour.
    starts = [w.start for w in search.windows]
    assert abs((starts[1] - starts[0]).total_seconds() - 86400) < 300
    locals_ = [search.zone.local(s) for s in starts]
    assert locals_[1].hour == locals_[0].hour + 1
    assert_same_windows(search.windows[1:2], brute_windows(*KHARKIV, date(2025, 3, 30), [m]))


def test_an_autumn_clock_change_day_is_25_hours_and_windows_read_winter_time() -> None:
    zone = zone_at(*KHARKIV)
    start, end = local_day_bounds(date(2025, 10, 26), zone)
    assert (end - start) == timedelta(hours=25)
    m = Measurement(bearing=57.8, ratio=6.0)  # the sun at 13:15Z that day, roughly
    search = find_windows(*KHARKIV, date(2025, 10, 26), date(2025, 10, 26), [m])
    assert search.windows
    assert all(w.to_json(zone)["best"]["offset"] == "+02:00" for w in search.windows)


def test_polar_night_has_no_window_and_polar_day_one_all_day() -> None:
    night = find_windows(*TROMSO, date(2023, 12, 21), date(2023, 12, 21),
                         [Measurement(bearing=0.0, bearing_tolerance=90.0)])  # fmt: skip
    assert night.windows == []
    # At midsummer the sun stays between about 3° and 44° high: a loose ratio fits all day.
    day = find_windows(*TROMSO, date(2023, 6, 21), date(2023, 6, 22),
                       [Measurement(ratio=9.5, ratio_tolerance_pct=90.0)])  # fmt: skip
    (window,) = day.windows
    assert window.clipped_start and window.clipped_end
    assert window.duration_s >= 48 * 3600 - 120


def test_sun_day_rise_set_and_polar_words() -> None:
    zone = zone_at(*KYIV)
    info = sun_day(*KYIV, date(2024, 6, 21), zone)
    assert info.sunrise is not None and info.sunset is not None
    # Published times for Kyiv on 21 June 2024: sunrise 04:46, sunset 21:13 (EEST).
    assert zone.local(info.sunrise).strftime("%H:%M") in ("04:46", "04:47")
    assert zone.local(info.sunset).strftime("%H:%M") in ("21:12", "21:13")
    assert info.sunrise < info.transit < info.sunset
    tromso = zone_at(*TROMSO)
    assert sun_day(*TROMSO, date(2023, 6, 21), tromso).describe().startswith("polar day")
    assert sun_day(*TROMSO, date(2023, 12, 21), tromso).describe().startswith("polar night")


def test_two_measurements_narrow_the_window_around_the_true_moment() -> None:
    # Frame 1 at 07:00Z: the shadow is 1.095 × the height (measured 1.13, +3 %);
    # frame 2, 600 s later: the shadow points 299.9° (measured 301°, +1.1°).
    truth = datetime(2025, 5, 10, 7, 0, tzinfo=UTC)
    assert sun_at(*KYIV, truth).ratio == pytest.approx(1.0954, abs=1e-3)
    assert sun_at(*KYIV, truth + timedelta(seconds=600)).shadow_bearing == pytest.approx(
        299.91, abs=0.01
    )
    m1 = Measurement(ratio=1.13, ratio_tolerance_pct=5.0)
    m2 = Measurement(bearing=301.0, bearing_tolerance=2.0, offset_s=600.0)
    day = date(2025, 5, 10)
    first_alone = find_windows(*KYIV, day, day, [m1]).windows
    second_alone = find_windows(
        *KYIV, day, day, [Measurement(bearing=301.0, bearing_tolerance=2.0)]
    )
    both = find_windows(*KYIV, day, day, [m1, m2]).windows
    # The ratio alone fits morning and afternoon; with the bearing 600 s later, one window.
    assert len(first_alone) == 2 and len(both) == 1
    (narrow,) = both
    assert narrow.start <= truth <= narrow.end
    assert narrow.start <= narrow.best <= narrow.end
    assert narrow.duration_s < min(w.duration_s for w in first_alone)
    assert narrow.duration_s < min(w.duration_s for w in second_alone.windows)
    assert_same_windows(both, brute_windows(*KYIV, day, [m1, m2]))


def test_a_year_is_searched_in_a_few_seconds() -> None:
    import time

    began = time.perf_counter()
    search = find_windows(*KYIV, date(2025, 1, 1), date(2025, 12, 31),
                          [Measurement(bearing=300.0, ratio=1.5)])  # fmt: skip
    assert time.perf_counter() - began < 20  # a few seconds alone; generous under load
    assert 30 < len(search.windows) < 120


# --------------------------------------------------------------------------- times


def test_time_with_offset_is_exact_and_naive_time_is_local_at_the_place() -> None:
    zone = zone_at(*KYIV)
    exact, how = parse_time("2025-03-13T12:30+03:00", "--time", zone)
    assert exact == datetime(2025, 3, 13, 9, 30, tzinfo=UTC) and how == "offset as given"
    local, how = parse_time("2025-03-13 11:30", "--time", zone)
    assert local == datetime(2025, 3, 13, 9, 30, tzinfo=UTC)  # EET, +02:00 in March
    assert how == "read as the local clock in Europe/Kyiv"
    summer, _ = parse_time("2025-07-01T12:00", "--time", zone)
    assert summer == datetime(2025, 7, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "zone_place", "message"),
    [
        ("yesterday", KYIV, "--time: 'yesterday' is not a time"),
        ("2025-03-30T03:30", KYIV, "--time: 2025-03-30 03:30 does not exist in Europe/Kyiv"),
        ("2025-10-26T03:30", KYIV, "--time: 2025-10-26 03:30 happened twice in Europe/Kyiv"),
        ("2025-03-13T09:30", None, "--time: '2025-03-13T09:30' has no offset"),
        ("2025-03-13T09:30", (0.0, -30.0), "no civil time zone"),
        ("2250-01-01T00:00Z", KYIV, "--time: 2250-01-01 is outside the years"),
    ],
)
def test_bad_times_are_refused_by_name(
    text: str, zone_place: tuple[float, float] | None, message: str
) -> None:
    zone = zone_at(*zone_place) if zone_place else None
    with pytest.raises(SunError) as caught:
        parse_time(text, "--time", zone)
    assert message in str(caught.value)


def test_ambiguous_time_names_both_offsets() -> None:
    with pytest.raises(SunError, match=r"\+03:00 or \+02:00"):
        parse_time("2025-10-26T03:30", "--time", zone_at(*KYIV))


def test_at_sea_times_are_utc_with_a_note() -> None:
    zone = zone_at(0.0, -30.0)
    assert zone.name == "UTC" and zone.note and "at sea" in zone.note
    assert zone_at(*KYIV).tz == ZoneInfo("Europe/Kyiv")


def test_bad_dates_and_tolerances_are_refused_by_name() -> None:
    with pytest.raises(SunError, match="--date: '2025-13-01' is not a date"):
        parse_date("2025-13-01", "--date")
    with pytest.raises(SunError, match="--date: 1850-01-01 is outside"):
        parse_date("1850-01-01", "--date")
    day = date(2025, 1, 1)
    cases = [
        (Measurement(bearing=10.0, bearing_tolerance=120.0), "--tolerance: 120° is out of range"),
        (Measurement(bearing=400.0), "--shadow-bearing: 400 is not a bearing"),
        (Measurement(ratio=-1.0), "--ratio: -1 must be a positive number"),
        (Measurement(ratio=1.0, ratio_tolerance_pct=150.0), "--ratio-tolerance: 150 %"),
        (Measurement(), "give a bearing, a ratio or both"),
    ]
    for measurement, message in cases:
        with pytest.raises(SunError) as caught:
            find_windows(*KYIV, day, day, [measurement])
        assert message in str(caught.value)
    with pytest.raises(SunError, match="--to: 2024-12-31 is before --date 2025-01-01"):
        find_windows(*KYIV, day, date(2024, 12, 31), [Measurement(bearing=1.0)])
