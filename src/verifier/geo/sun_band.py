"""Where, from a shadow at a known instant: the band of places on Earth that see it.

At one instant the sun stands overhead at one point (the subsolar point);
from any other place its elevation is 90° minus the great-circle distance to
that point, and its azimuth the direction towards it. A shadow of a given
length ratio therefore fixes a ring around the subsolar point, and a bearing
cuts an arc from it. The ring is evaluated on a 0.1° lattice and traced as
polygons (OpenCV contours with their holes), which handles what circles in
longitude and latitude cannot: rings that enclose a pole or cross the
antimeridian. The result is written as GeoJSON (RFC 7946) or KML, whole or
not at all.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from verifier.geo.export import KML_NS, _write_atomically
from verifier.geo.sun import (
    PRESSURE_HPA,
    RISE_SET_ELEVATION,
    TEMPERATURE_C,
    Measurement,
    SunError,
    bearing_difference,
    check_instant,
    check_measurement,
    elevation_for_ratio,
    positions,
)

# Grid of the band, in degrees (about 11 km).
BAND_GRID_DEG = 0.1


# --------------------------------------------------------------------------- where (inverse)


def subsolar_point(instant: datetime) -> tuple[float, float]:
    """The point where the sun is overhead at ``instant`` (lat, lon), from SPA.

    The sun seen from (0°, 0°) is (90° - elevation) away along its azimuth:
    going that far in that direction on the sphere lands under the sun.
    """
    utc = check_instant(instant, "--time")
    pos = positions(0.0, 0.0, [utc.timestamp()])
    distance = math.radians(90.0 - float(pos.elevation[0]))
    azimuth = math.radians(float(pos.azimuth[0]))
    lat = math.asin(math.sin(distance) * math.cos(azimuth))
    lon = math.atan2(math.sin(azimuth) * math.sin(distance), math.cos(distance))
    return math.degrees(lat), math.degrees(lon)


def refraction(elevation: np.ndarray | float) -> np.ndarray:
    """Refraction (degrees) SPA adds to a geometric elevation, by its own formula."""
    e = np.asarray(elevation, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        correction = (
            (PRESSURE_HPA / 1010.0)
            * (283.0 / (273.0 + TEMPERATURE_C))
            * 1.02
            / (60.0 * np.tan(np.radians(e + 10.3 / (e + 5.11))))
        )
    return np.where(e >= RISE_SET_ELEVATION, correction, 0.0)


def _sky_from(
    lat: np.ndarray, lon: np.ndarray, sub_lat: float, sub_lon: float
) -> tuple[np.ndarray, np.ndarray]:
    """Geometric elevation and azimuth of a sun overhead at the subsolar point, from each point."""
    p1, l1 = np.radians(lat), np.radians(lon)
    p2, l2 = math.radians(sub_lat), math.radians(sub_lon)
    dl = l2 - l1
    cos_d = np.sin(p1) * math.sin(p2) + np.cos(p1) * math.cos(p2) * np.cos(dl)
    elevation = 90.0 - np.degrees(np.arccos(np.clip(cos_d, -1.0, 1.0)))
    azimuth = (
        np.degrees(
            np.arctan2(
                np.sin(dl) * math.cos(p2),
                np.cos(p1) * math.sin(p2) - np.sin(p1) * math.cos(p2) * np.cos(dl),
            )
        )
        % 360.0
    )
    return elevation, azimuth


@dataclass(frozen=True)
class Band:
    """The places where the sun casts the measured shadow at one instant."""

    instant: datetime
    measurement: Measurement
    subsolar: tuple[float, float]
    polygons: list[list[list[tuple[float, float]]]]  # polygons of rings of (lon, lat)
    area_km2: float
    lat_range: tuple[float, float] | None
    elevation_range: tuple[float, float]  # apparent elevation, degrees

    def to_json(self) -> dict[str, Any]:
        return {
            "utc": self.instant.isoformat().replace("+00:00", "Z"),
            "measurement": self.measurement.to_json(),
            "subsolar_point": {
                "lat": round(self.subsolar[0], 4),
                "lon": round(self.subsolar[1], 4),
            },
            "apparent_elevation_range_deg": [round(v, 3) for v in self.elevation_range],
            "latitude_range": None
            if self.lat_range is None
            else [round(v, 2) for v in self.lat_range],
            "polygons": len(self.polygons),
            "area_km2": round(self.area_km2),
            "grid_deg": BAND_GRID_DEG,
        }


def band_mask(
    instant: datetime, m: Measurement, grid: float = BAND_GRID_DEG
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitudes (rows, north first), longitudes (columns) and the mask of matching points."""
    if m.ratio is None:
        raise SunError("--ratio: the where-band needs the shadow's length ratio")
    sub_lat, sub_lon = subsolar_point(instant)
    lats = np.linspace(90.0, -90.0, round(180 / grid) + 1)
    lons = np.linspace(-180.0, 180.0, round(360 / grid) + 1)
    lat2d, lon2d = np.meshgrid(lats, lons, indexing="ij")
    elevation, azimuth = _sky_from(lat2d, lon2d, sub_lat, sub_lon)
    apparent = elevation + refraction(elevation)
    low, high = m.ratio_range() or (m.ratio, m.ratio)
    mask = (apparent > 0) & (apparent <= elevation_for_ratio(low))
    mask &= apparent >= elevation_for_ratio(high)
    if m.bearing is not None:
        shadow = (azimuth + 180.0) % 360.0
        mask &= np.abs(bearing_difference(shadow, m.bearing)) <= m.bearing_tolerance
    return lats, lons, mask


def shadow_band(instant: datetime, m: Measurement, grid: float = BAND_GRID_DEG) -> Band:
    """The band of places where the sun casts shadow ``m`` at ``instant``, as polygons.

    The sun's direction is taken from SPA at the instant (the subsolar point);
    each point's elevation and azimuth follow from its great-circle distance
    and direction to that point (parallax, 0.002°, ignored), with standard
    refraction. The matching points of a ``grid``-degree lattice are traced as
    polygons (OpenCV contours, holes kept), so edges are within one grid step.
    """
    utc = check_instant(instant, "--time")
    check_measurement(m)
    lats, lons, mask = band_mask(utc, m, grid)
    sub = subsolar_point(utc)
    contours, hierarchy = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE
    )
    polygons: list[list[list[tuple[float, float]]]] = []
    if hierarchy is not None:
        tree = hierarchy[0]
        for index, contour in enumerate(contours):
            if tree[index][3] != -1:
                continue  # a hole: added to its outer ring below
            rings = [_ring(contour, lats, lons, outer=True)]
            child = tree[index][2]
            while child != -1:
                rings.append(_ring(contours[child], lats, lons, outer=False))
                child = tree[child][0]
            polygons.append([r for r in rings if len(r) >= 4])
    polygons = [p for p in polygons if p]
    cell = (grid * math.pi / 180 * 6371.0088) ** 2
    area = float((np.cos(np.radians(lats))[:, None] * mask).sum() * cell)
    rows = np.flatnonzero(mask.any(axis=1))
    lat_range = (float(lats[rows[-1]]), float(lats[rows[0]])) if len(rows) else None
    low, high = m.ratio_range() or (m.ratio, m.ratio)
    assert low is not None and high is not None
    elevations = (elevation_for_ratio(high), elevation_for_ratio(low))
    return Band(utc, m, sub, polygons, area, lat_range, elevations)


def _ring(
    contour: np.ndarray, lats: np.ndarray, lons: np.ndarray, outer: bool
) -> list[tuple[float, float]]:
    """A contour in grid cells as a closed ring of (lon, lat), wound as RFC 7946 asks."""
    points = contour.reshape(-1, 2)
    ring = [(float(lons[x]), float(lats[y])) for x, y in points]
    if len(ring) < 3:
        # A single cell or a one-cell line: drawn as a small square around it.
        half = BAND_GRID_DEG / 2
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        ring = [
            (min(xs) - half, min(ys) - half),
            (max(xs) + half, min(ys) - half),
            (max(xs) + half, max(ys) + half),
            (min(xs) - half, max(ys) + half),
        ]
        ring = [(max(-180.0, min(180.0, x)), max(-90.0, min(90.0, y))) for x, y in ring]
    area = sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)
    )
    # Exterior rings counter-clockwise, holes clockwise (positive area = counter-clockwise).
    if (area > 0) != outer:
        ring.reverse()
    ring = [(round(x, 4), round(y, 4)) for x, y in ring]
    return [*ring, ring[0]]


def band_features(band: Band) -> list[dict[str, Any]]:
    """The band as GeoJSON features: the polygons, and the subsolar point."""
    summary = band.to_json()
    features: list[dict[str, Any]] = []
    if band.polygons:
        coords = [[[list(p) for p in ring] for ring in poly] for poly in band.polygons]
        geometry = (
            {"type": "Polygon", "coordinates": coords[0]}
            if len(coords) == 1
            else {"type": "MultiPolygon", "coordinates": coords}
        )
        features.append(
            {
                "type": "Feature",
                "id": "shadow-band",
                "geometry": geometry,
                "properties": {
                    "kind": "shadow band",
                    "title": f"Sun casts {band.measurement.describe()} at {summary['utc']}",
                    **summary,
                },
            }
        )
    features.append(
        {
            "type": "Feature",
            "id": "subsolar-point",
            "geometry": {
                "type": "Point",
                "coordinates": [round(band.subsolar[1], 5), round(band.subsolar[0], 5)],
            },
            "properties": {"kind": "subsolar point", "title": f"Sun overhead at {summary['utc']}"},
        }
    )
    return features


def _kml(band: Band) -> bytes:
    """The band as a KML 2.2 document: a Placemark of its polygons and one of the subsolar point."""
    ET.register_namespace("", KML_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{KML_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    def coordinates(ring: list[tuple[float, float]]) -> str:
        return " ".join(f"{lon:.4f},{lat:.4f},0" for lon, lat in ring)

    summary = band.to_json()
    root = ET.Element(f"{{{KML_NS}}}kml")
    document = sub(root, "Document")
    sub(document, "name", f"Shadow band at {summary['utc']}")
    style = sub(document, "Style", id="band")
    sub(sub(style, "LineStyle"), "color", "ff00a5ff")
    sub(sub(style, "PolyStyle"), "color", "5000a5ff")
    if band.polygons:
        placemark = sub(document, "Placemark", id="shadow-band")
        sub(placemark, "name", f"Sun casts {band.measurement.describe()}")
        sub(placemark, "description", _description(summary))
        sub(placemark, "styleUrl", "#band")
        multi = sub(placemark, "MultiGeometry")
        for polygon in band.polygons:
            shape = sub(multi, "Polygon")
            sub(shape, "tessellate", "1")
            outer, *holes = polygon
            sub(sub(sub(shape, "outerBoundaryIs"), "LinearRing"), "coordinates", coordinates(outer))
            for hole in holes:
                ring = sub(sub(shape, "innerBoundaryIs"), "LinearRing")
                sub(ring, "coordinates", coordinates(hole))
    point = sub(document, "Placemark", id="subsolar-point")
    sub(point, "name", f"Sun overhead at {summary['utc']}")
    sub(sub(point, "Point"), "coordinates", f"{band.subsolar[1]:.5f},{band.subsolar[0]:.5f},0")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _description(summary: dict[str, Any]) -> str:
    low, high = summary["apparent_elevation_range_deg"]
    sub = summary["subsolar_point"]
    return (
        f"Sun's apparent elevation {low}° to {high}°; subsolar point {sub['lat']}, {sub['lon']}; "
        f"traced on a {summary['grid_deg']}° grid; area about {summary['area_km2']:,} km²"
    )


def write_band(band: Band, path: Path | str) -> Path:
    """Write the band as GeoJSON (``.geojson``/``.json``) or KML (``.kml``), atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".geojson", ".json"):
        document = {"type": "FeatureCollection", "features": band_features(band)}
        text = json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False)
        return _write_atomically(target, text.encode("utf-8") + b"\n")
    if suffix == ".kml":
        return _write_atomically(target, _kml(band))
    raise SunError(f"--out: {target.name!r} must end in .geojson or .kml")
