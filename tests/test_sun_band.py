"""Where, from a shadow at a known time: the band written is the band the sun draws.

Points are drawn at random over the globe and sorted by the written file
(inside a polygon or not); each is then checked against SPA itself, not the
band's spherical shortcut: every point inside sees the sun at an elevation
that casts the measured shadow, every point outside does not (allowing one
grid step at the edges).
"""

from __future__ import annotations

import itertools
import json
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pvlib import spa

from verifier.geo.sun import Measurement, SunError, delta_t, elevation_for_ratio, positions
from verifier.geo.sun_band import band_features, shadow_band, subsolar_point, write_band

KML = "{http://www.opengis.net/kml/2.2}"
# One grid step (0.1°) of distance is at most 0.1° of elevation; the traced
# edge runs through boundary cell centres, so allow two.
EDGE_DEG = 0.2


def inside_ring(lon: np.ndarray, lat: np.ndarray, ring: list[list[float]]) -> np.ndarray:
    """Even-odd ray casting in the lon/lat plane (the plane the polygons are drawn in)."""
    inside = np.zeros(lon.shape, dtype=bool)
    pts = np.asarray(ring)
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        crosses = (y0 > lat) != (y1 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (lon < x_at)
    return inside


def inside_features(lon: np.ndarray, lat: np.ndarray, geojson: dict) -> np.ndarray:
    result = np.zeros(lon.shape, dtype=bool)
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            continue
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for polygon in polygons:
            outer, *holes = polygon
            hit = inside_ring(lon, lat, outer)
            for hole in holes:
                hit &= ~inside_ring(lon, lat, hole)
            result |= hit
    return result


def spa_at_points(
    lats: np.ndarray, lons: np.ndarray, instant: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """SPA's azimuth and apparent elevation at many points (pvlib's arrays broadcast)."""
    t = np.full(lats.shape, instant.timestamp())
    _, _, apparent, _, azimuth, _ = spa.solar_position_numpy(
        t, lats, lons, 0.0, 1013.25, 12.0, delta_t(t), 0.5667, 1
    )
    return np.asarray(azimuth), np.asarray(apparent)


CASES = [
    # A mid-latitude ring around a subsolar point in East Africa.
    (datetime(2025, 3, 13, 9, 30, tzinfo=UTC), Measurement(ratio=0.83)),
    # Near the June solstice the sun stands 23.4° high at the North Pole all
    # day: a ratio of 2.3 (23.5°) ±10 % puts the pole inside the band.
    (datetime(2024, 6, 21, 0, 0, tzinfo=UTC), Measurement(ratio=2.3)),
    # With a bearing: an arc of the ring, across the antimeridian by day in the Pacific.
    (
        datetime(2023, 12, 21, 23, 30, tzinfo=UTC),
        Measurement(bearing=200.0, bearing_tolerance=10.0, ratio=1.2),
    ),
]


@pytest.mark.parametrize(("instant", "measurement"), CASES)
def test_points_inside_the_band_see_that_shadow_and_points_outside_do_not(
    tmp_path: Path, instant: datetime, measurement: Measurement
) -> None:
    band = shadow_band(instant, measurement)
    out = write_band(band, tmp_path / "band.geojson")
    geojson = json.loads(out.read_text(encoding="utf-8"))
    # Points over the whole globe, and as many again around the band.
    rng = np.random.default_rng(7)
    rings = np.concatenate([np.asarray(r) for p in band.polygons for r in p])
    (lon0, lat0), (lon1, lat1) = rings.min(axis=0) - 2, rings.max(axis=0) + 2
    lats = np.concatenate([
        np.degrees(np.arcsin(rng.uniform(-1, 1, 5000))),
        rng.uniform(max(lat0, -90), min(lat1, 90), 5000),
    ])  # fmt: skip
    lons = np.concatenate([rng.uniform(-180, 180, 5000), rng.uniform(lon0, lon1, 5000)])
    lons = (lons + 180) % 360 - 180
    inside = inside_features(lons, lats, geojson)
    assert 10 < inside.sum() < len(lats) - 10
    azimuth, apparent = spa_at_points(lats, lons, instant)
    low, high = measurement.ratio_range() or (0.0, 0.0)
    e_top, e_bottom = elevation_for_ratio(low), elevation_for_ratio(high)
    fits = (apparent >= e_bottom - EDGE_DEG) & (apparent <= e_top + EDGE_DEG)
    strictly = (apparent > e_bottom + EDGE_DEG) & (apparent < e_top - EDGE_DEG)
    if measurement.bearing is not None:
        shadow = (azimuth + 180) % 360
        miss = np.abs((shadow - measurement.bearing + 180) % 360 - 180)
        # One grid step of position is at most a few tenths of a degree of azimuth here.
        fits &= miss <= measurement.bearing_tolerance + 1.0
        strictly &= miss < measurement.bearing_tolerance - 1.0
    assert fits[inside].all()
    assert not strictly[~inside].any()


def test_the_subsolar_point_is_where_the_sun_is_overhead() -> None:
    instant = datetime(2025, 3, 13, 9, 30, tzinfo=UTC)
    lat, lon = subsolar_point(instant)
    pos = positions(lat, lon, [instant.timestamp()])
    assert pos.elevation[0] == pytest.approx(90.0, abs=0.02)
    # Near the equinox the sun is over the equator, at 09:30Z some 37° east of Greenwich.
    assert lat == pytest.approx(-2.76, abs=0.05)
    assert lon == pytest.approx(39.85, abs=0.05)


def test_the_polar_ring_reaches_the_pole_and_the_summary_says_so(tmp_path: Path) -> None:
    instant, measurement = CASES[1]
    band = shadow_band(instant, measurement)
    assert band.lat_range is not None and band.lat_range[1] == 90.0
    summary = band.to_json()
    assert summary["polygons"] == len(band.polygons) >= 1
    # The area of the cap between the two circles, on the sphere.
    radius = 6371.0088
    e_top = elevation_for_ratio(2.3 * 0.9)
    e_bottom = elevation_for_ratio(2.3 * 1.1)
    cap = (
        2 * math.pi * radius**2 * (math.sin(math.radians(e_top)) - math.sin(math.radians(e_bottom)))
    )
    assert summary["area_km2"] == pytest.approx(cap, rel=0.03)


def test_the_kml_parses_back_with_the_same_polygons(tmp_path: Path) -> None:
    instant, measurement = CASES[0]
    band = shadow_band(instant, measurement)
    out = write_band(band, tmp_path / "band.kml")
    root = ET.parse(out).getroot()
    polygons = root.findall(f".//{KML}Polygon")
    assert len(polygons) == len(band.polygons)
    holes = root.findall(f".//{KML}innerBoundaryIs")
    assert len(holes) == sum(len(p) - 1 for p in band.polygons)
    first = root.find(f".//{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates")
    assert first is not None and first.text is not None
    lon, lat, _ = (float(v) for v in first.text.split()[0].split(","))
    assert [lon, lat] == pytest.approx(list(band.polygons[0][0][0]), abs=1e-4)
    point = root.find(f".//{KML}Point/{KML}coordinates")
    assert point is not None and point.text is not None
    assert float(point.text.split(",")[1]) == pytest.approx(band.subsolar[0], abs=1e-4)


def test_rings_are_closed_and_wound_as_rfc_7946_asks() -> None:
    instant, measurement = CASES[0]
    band = shadow_band(instant, measurement)

    def signed_area(ring: list[tuple[float, float]]) -> float:
        return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))

    for polygon in band.polygons:
        outer, *holes = polygon
        assert outer[0] == outer[-1]
        assert signed_area(outer) > 0
        assert all(signed_area(h) < 0 for h in holes)
    feature = band_features(band)[0]
    assert feature["properties"]["kind"] == "shadow band"


def test_nowhere_casts_a_shadow_the_sun_cannot_make(tmp_path: Path) -> None:
    # The sun is never lower than the horizon where it is up: a ratio of 5000
    # ±1 % means an elevation of 0.011°, within the refraction ring only;
    # 0.01 ±1 % (89.4°) exists only around the subsolar point.
    band = shadow_band(datetime(2025, 3, 13, 9, 30, tzinfo=UTC),
                       Measurement(ratio=0.01, ratio_tolerance_pct=1.0))  # fmt: skip
    assert band.lat_range is not None
    sub_lat, _ = band.subsolar
    assert band.lat_range[0] <= sub_lat <= band.lat_range[1]
    assert band.area_km2 < 20_000


def test_where_refuses_what_it_cannot_answer(tmp_path: Path) -> None:
    instant = datetime(2025, 3, 13, 9, 30, tzinfo=UTC)
    with pytest.raises(SunError, match="--ratio: the where-band needs"):
        shadow_band(instant, Measurement(bearing=10.0))
    band = shadow_band(instant, Measurement(ratio=1.0))
    with pytest.raises(SunError, match=r"--out: 'band\.shp' must end in \.geojson or \.kml"):
        write_band(band, tmp_path / "band.shp")
    assert not (tmp_path / "band.shp").exists()
