"""KML and GeoJSON exports read back: the points where they were, circles of the right radius.

The files are parsed with the standard library the way Google Earth and QGIS
would see them: coordinates in lon,lat order, every vertex of a precision
circle at the stated distance from its centre, and typed text intact.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from geographiclib.geodesic import Geodesic

from verifier.geo.export import (
    KML_NS,
    ExportError,
    circle_polygon,
    split_at_antimeridian,
    write_geojson,
    write_kml,
)

NS = {"k": KML_NS}
EARTH_RADIUS_M = 6_371_008.8
HOSTILE_TEXT = "He said \"<b>here</b>\" & left;\nsecond line\ttab 'quote' ]]> é 日本 \x1b[2J"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"])


def signed_area(ring: list[list[float]]) -> float:
    """Shoelace area in degrees² over (lon, lat): positive when counter-clockwise."""
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2


def finding(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "clip_id": 3,
        "clip_name": 'drone <east> & "west".mp4',
        "sha256": "ab" * 32,
        "lat": 48.5079,
        "lon": 35.9131,
        "precision_m": 250.0,
        "confidence": "probable",
        "method": "satellite imagery",
        "reasoning": HOSTILE_TEXT,
        "place": "Dnipro, near the bridge",
        "url": "https://www.openstreetmap.org/?mlat=48.507900&mlon=35.913100",
    }
    base.update(changes)
    return base


FINDINGS = [
    finding(),
    finding(id=8, clip_id=4, clip_name="south.mp4", lat=-33.86, lon=151.21, precision_m=None,
            confidence="confirmed", place=None, url=None),
    finding(id=9, lat=0.05, lon=179.99, precision_m=20_000.0, confidence="possible"),
    finding(id=10, lat=78.2, lon=15.6, precision_m=1_000.0, confidence="rejected"),
]  # fmt: skip


def kml_coordinates(text: str) -> list[tuple[float, float]]:
    """(lat, lon) pairs from a KML coordinates string (lon,lat,alt tuples)."""
    pairs = []
    for triple in text.split():
        lon, lat, _alt = (float(v) for v in triple.split(","))
        pairs.append((lat, lon))
    return pairs


@pytest.mark.parametrize(
    ("lat", "lon", "radius"),
    [(48.5079, 35.9131, 250.0), (0.0, 0.0, 10.0), (-33.86, 151.21, 100_000.0),
     (78.2, 15.6, 1_000.0), (89.0, 0.0, 50_000.0), (-60.0, -179.95, 20_000.0)],
)  # fmt: skip
def test_circle_vertices_are_at_the_radius(lat: float, lon: float, radius: float) -> None:
    ring = circle_polygon(lat, lon, radius, segments=64)
    assert len(ring) == 65
    assert ring[0] == ring[-1]
    for v_lat, v_lon in ring:
        assert geodesic_m(lat, lon, v_lat, v_lon) == pytest.approx(radius, rel=1e-9, abs=1e-6)
        # On the sphere the ellipsoid's radius of curvature differs by up to 0.6 %.
        assert haversine_m(lat, lon, v_lat, v_lon) == pytest.approx(radius, rel=0.006)
    # Counter-clockwise (RFC 7946 right-hand rule) in continuous longitudes.
    assert signed_area([[v_lon, v_lat] for v_lat, v_lon in ring]) > 0


def test_circle_refusals() -> None:
    with pytest.raises(ExportError, match=r"contains the North Pole"):
        circle_polygon(89.9, 0.0, 20_000.0)
    with pytest.raises(ExportError, match=r"contains the South Pole"):
        circle_polygon(-89.99, 10.0, 5_000.0)
    with pytest.raises(ExportError, match=r"radius 0 m must be a positive number"):
        circle_polygon(0.0, 0.0, 0)
    with pytest.raises(ExportError, match=r"radius nan m must be a positive number"):
        circle_polygon(0.0, 0.0, float("nan"))
    with pytest.raises(ExportError, match=r"too large to draw"):
        circle_polygon(0.0, 0.0, 3_000_000.0)
    with pytest.raises(ExportError, match=r"centre: latitude 91"):
        circle_polygon(91.0, 0.0, 10.0)


def test_antimeridian_circle_is_cut_in_two() -> None:
    ring = circle_polygon(0.05, 179.99, 20_000.0)
    parts = split_at_antimeridian(ring)
    assert len(parts) == 2
    east, west = parts
    assert all(0 < lon <= 180.0 for _, lon in east)
    assert all(-180.0 <= lon < 0 for _, lon in west)
    for part in parts:
        assert part[0] == part[-1]
        assert signed_area([[lon, lat] for lat, lon in part]) > 0
    # A circle that does not cross stays whole.
    assert split_at_antimeridian(circle_polygon(0.0, 170.0, 20_000.0)) == [
        circle_polygon(0.0, 170.0, 20_000.0)
    ]


def test_kml_round_trip(tmp_path: Path) -> None:
    path = write_kml(FINDINGS, tmp_path / "findings.kml")
    assert path == tmp_path / "findings.kml"
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{KML_NS}}}kml"
    placemarks = root.findall("k:Document/k:Placemark", NS)
    ids = [p.get("id") for p in placemarks]
    assert ids == ["finding-7", "finding-8", "finding-9", "finding-10"]
    for placemark, item in zip(placemarks, FINDINGS, strict=True):
        assert placemark.findtext("k:name", namespaces=NS) == (
            f"{item['clip_name']} ({item['confidence']})"
        )
        data = {
            d.get("name"): d.findtext("k:value", namespaces=NS)
            for d in placemark.findall("k:ExtendedData/k:Data", NS)
        }
        assert data["clip_name"] == item["clip_name"]
        assert data["sha256"] == item["sha256"]
        assert data["method"] == item["method"]
        assert data["clip_id"] == str(item["clip_id"])
        # The escape character cannot be in XML; it is shown, everything else intact.
        assert data["reasoning"] == HOSTILE_TEXT.replace("\x1b", "\\x1b")
        assert data.get("place") == item["place"]
        points = placemark.findall(".//k:Point/k:coordinates", NS)
        assert len(points) == 1
        ((lat, lon),) = kml_coordinates(points[0].text or "")
        assert (lat, lon) == (pytest.approx(item["lat"], abs=1e-7),
                              pytest.approx(item["lon"], abs=1e-7))  # fmt: skip
        rings = placemark.findall(".//k:Polygon/k:outerBoundaryIs/k:LinearRing/k:coordinates", NS)
        if item["precision_m"] is None:
            assert rings == []
            assert placemark.find("k:MultiGeometry", NS) is None
            continue
        assert placemark.find("k:MultiGeometry/k:Point", NS) is not None
        for ring in rings:
            vertices = kml_coordinates(ring.text or "")
            assert vertices[0] == vertices[-1]
            on_circle = [v for v in vertices if abs(v[1]) != 180.0]  # cut points lie inside
            assert on_circle
            for v_lat, v_lon in on_circle:
                assert haversine_m(item["lat"], item["lon"], v_lat, v_lon) == pytest.approx(
                    item["precision_m"], rel=0.006
                )
                # Exact on the ellipsoid, to the 7 decimals (1 cm) the file carries.
                assert geodesic_m(item["lat"], item["lon"], v_lat, v_lon) == pytest.approx(
                    item["precision_m"], abs=0.02
                )
        assert len(rings) == (2 if item["id"] == 9 else 1)


def test_kml_description_shows_text_as_typed(tmp_path: Path) -> None:
    root = ET.parse(write_kml([finding()], tmp_path / "one.kml")).getroot()
    description = root.findtext("k:Document/k:Placemark/k:description", namespaces=NS) or ""
    # Google Earth renders it as HTML: typed markup arrives escaped, not as tags.
    assert "&lt;b&gt;here&lt;/b&gt;" in description
    assert "<b>here</b>" not in description
    assert "&amp; left;<br>second line" in description
    assert "<b>SHA-256:</b> " + "ab" * 32 in description
    assert "<b>Precision:</b> 250 m" in description
    assert "<b>Place:</b> Dnipro, near the bridge" in description


def test_geojson_round_trip(tmp_path: Path) -> None:
    path = write_geojson(FINDINGS, tmp_path / "findings.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    points = [f for f in features if f["properties"]["kind"] == "point"]
    circles = [f for f in features if f["properties"]["kind"] == "precision"]
    assert [f["properties"]["id"] for f in points] == [7, 8, 9, 10]
    assert [f["properties"]["id"] for f in circles] == [7, 9, 10]
    for feature, item in zip(points, FINDINGS, strict=True):
        lon_lat = [pytest.approx(item["lon"], abs=1e-7), pytest.approx(item["lat"], abs=1e-7)]
        assert feature["geometry"] == {"type": "Point", "coordinates": lon_lat}
        props = feature["properties"]
        for key in ("clip_id", "clip_name", "sha256", "confidence", "method", "reasoning",
                    "place", "url", "precision_m", "lat", "lon"):  # fmt: skip
            assert props[key] == item[key]
    for feature in circles:
        item = next(i for i in FINDINGS if i["id"] == feature["properties"]["id"])
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        assert geometry["type"] == ("MultiPolygon" if item["id"] == 9 else "Polygon")
        for polygon in polygons:
            (exterior,) = polygon
            assert exterior[0] == exterior[-1]
            assert signed_area(exterior) > 0  # right-hand rule
            for lon, lat in exterior:
                assert -180 <= lon <= 180 and -90 <= lat <= 90
                if abs(lon) == 180.0:
                    continue
                assert haversine_m(item["lat"], item["lon"], lat, lon) == pytest.approx(
                    item["precision_m"], rel=0.006
                )


def test_bad_findings_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "out.geojson"
    with pytest.raises(ExportError, match=r"^finding 7: missing sha256$"):
        write_geojson([finding(sha256=None)], path)
    with pytest.raises(ExportError, match=r"^finding 7: latitude 95 is out of range"):
        write_kml([finding(lat=95)], path)
    with pytest.raises(ExportError, match=r"^finding 7: precision -5 m must be a positive"):
        write_kml([finding(precision_m=-5)], path)
    with pytest.raises(ExportError, match=r"^finding 7: precision circle: .* contains the North"):
        write_kml([finding(lat=89.99, precision_m=5_000.0)], path)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_writes_are_atomic_and_replace(tmp_path: Path) -> None:
    path = tmp_path / "findings.kml"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(ExportError):
        write_kml([finding(), finding(id=11, lat=None)], path)
    assert path.read_text(encoding="utf-8") == "old"  # the old file stays whole
    write_kml([finding()], path)
    assert path.read_bytes().startswith(b"<?xml")
    assert [p.name for p in tmp_path.iterdir()] == ["findings.kml"]  # no temporary left
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    with pytest.raises(ExportError, match="the folder does not exist"):
        write_geojson([finding()], tmp_path / "missing" / "x.geojson")


def test_empty_export_is_a_valid_document(tmp_path: Path) -> None:
    data = json.loads(write_geojson([], tmp_path / "e.geojson").read_text(encoding="utf-8"))
    assert data == {"type": "FeatureCollection", "features": []}
    root = ET.parse(write_kml([], tmp_path / "e.kml")).getroot()
    assert root.findall("k:Document/k:Placemark", NS) == []
