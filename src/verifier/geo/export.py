"""Geolocation findings as KML (Google Earth Pro) and GeoJSON (QGIS), with precision circles.

Geolocators check a finding by looking at it over imagery, so every finding
goes out as its point and, when it has a precision, the circle of that radius
drawn as a polygon (neither format has a circle). The circle is geodesic
(GeographicLib on WGS 84): every vertex is exactly ``radius_m`` from the centre
on the ellipsoid, whatever the latitude. A circle that crosses the
antimeridian is cut into two polygons there, as RFC 7946 asks and as both
programs draw correctly; a circle that would contain a pole cannot be drawn
as a polygon in longitude and latitude and is refused by name.

The writers are pure: a finding is a plain mapping (the services build it from
the database), the file is written whole or not at all (temporary file,
fsync, rename), and every text field, which can hold anything a person typed,
is escaped so that both files stay well-formed.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import math
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from geographiclib.geodesic import Geodesic

from verifier.errors import VerifierError

KML_NS = "http://www.opengis.net/kml/2.2"
# Larger than any precision a geolocation finding means; beyond it the "circle"
# would be a continent and the polygon distorted beyond use.
MAX_RADIUS_M = 2_000_000.0
# Seven decimals is about a centimetre: more than any finding claims, and exact
# enough that a written point parses back to the one stored.
_DECIMALS = 7
# The fields of a finding, in the order they are listed in descriptions and tables.
FIELDS = (
    "id",
    "clip_id",
    "clip_name",
    "sha256",
    "lat",
    "lon",
    "precision_m",
    "confidence",
    "method",
    "reasoning",
    "place",
    "url",
)
_REQUIRED = ("id", "clip_id", "clip_name", "sha256", "lat", "lon", "confidence", "method")
# Characters XML 1.0 cannot hold even escaped (C0 controls but tab and line breaks,
# surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Fill and line colours per confidence (KML colours are aabbggrr).
_STYLES = {
    "confirmed": "ff3cb44b",
    "probable": "ff00a5ff",
    "possible": "ff00d7ff",
    "rejected": "ff8c8c8c",
}


class ExportError(VerifierError):
    """A finding that cannot be written, or a file that cannot be."""


Ring = list[tuple[float, float]]  # (lat, lon) vertices, the first repeated last


def circle_polygon(lat: float, lon: float, radius_m: float, segments: int = 64) -> Ring:
    """The geodesic circle of ``radius_m`` around a point, as a closed ring of (lat, lon).

    Vertices run counter-clockwise seen from above (the right-hand rule of
    RFC 7946). Longitudes are continuous from the centre's, so a circle over
    the antimeridian has some beyond ±180; :func:`split_at_antimeridian` cuts
    it for writing. Raises ExportError for a radius that is not positive and
    finite, a radius beyond :data:`MAX_RADIUS_M`, or a circle around a pole.
    """
    _check_point(lat, lon, "centre")
    if not (isinstance(radius_m, (int, float)) and math.isfinite(radius_m) and radius_m > 0):
        raise ExportError(f"precision circle: radius {radius_m!r} m must be a positive number")
    if radius_m > MAX_RADIUS_M:
        raise ExportError(
            f"precision circle: radius {radius_m:g} m is beyond {MAX_RADIUS_M:g} m, "
            "too large to draw as a circle"
        )
    if segments < 8:
        raise ExportError(f"precision circle: {segments} segments; use at least 8")
    geod = Geodesic.WGS84
    for pole_lat, name in ((90.0, "North"), (-90.0, "South")):
        if geod.Inverse(lat, lon, pole_lat, lon)["s12"] <= radius_m:
            raise ExportError(
                f"precision circle: {radius_m:g} m around {lat:.6f}, {lon:.6f} contains the "
                f"{name} Pole and cannot be drawn as a polygon in longitude and latitude"
            )
    ring: Ring = []
    for index in range(segments):
        # Azimuths decreasing from north: north, west, south, east, counter-clockwise.
        azimuth = -360.0 * index / segments
        point = geod.Direct(lat, lon, azimuth, radius_m)
        vertex_lon = lon + _wrap(point["lon2"] - lon)
        ring.append((point["lat2"], vertex_lon))
    ring.append(ring[0])
    return ring


def _wrap(delta: float) -> float:
    """A longitude difference brought into [-180, 180)."""
    return (delta + 180.0) % 360.0 - 180.0


def split_at_antimeridian(ring: Ring) -> list[Ring]:
    """The ring as one or two rings with longitudes in [-180, 180], cut at ±180.

    Each half is the ring clipped to one side of the meridian (Sutherland-Hodgman
    against a half-plane, exact for the convex rings circles make), with the
    eastern overflow shifted by 360°.
    """
    lons = [lon for _, lon in ring]
    if min(lons) >= -180.0 and max(lons) <= 180.0:
        return [ring]
    limit = 180.0 if max(lons) > 180.0 else -180.0
    inside = _clip(ring, limit, keep_below=limit > 0)
    outside = _clip(ring, limit, keep_below=limit < 0)
    shift = -360.0 if limit > 0 else 360.0
    outside = [(lat, lon + shift) for lat, lon in outside]
    return [part for part in (inside, outside) if len(part) >= 4]


def _clip(ring: Ring, limit: float, keep_below: bool) -> Ring:
    def keep(point: tuple[float, float]) -> bool:
        return point[1] <= limit if keep_below else point[1] >= limit

    result: Ring = []
    for start, end in itertools.pairwise(ring):
        if keep(start):
            result.append(start)
        if keep(start) != keep(end):
            fraction = (limit - start[1]) / (end[1] - start[1])
            result.append((start[0] + fraction * (end[0] - start[0]), limit))
    if result and result[0] != result[-1]:
        result.append(result[0])
    return result


# --------------------------------------------------------------------------- findings


def _check_point(lat: Any, lon: Any, what: str) -> None:
    for value, name, bound in ((lat, "latitude", 90.0), (lon, "longitude", 180.0)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (ok and math.isfinite(value) and -bound <= value <= bound):
            raise ExportError(f"{what}: {name} {value!r} is out of range (-{bound:g} to {bound:g})")


def _checked(feature: Mapping[str, Any], index: int) -> dict[str, Any]:
    """The finding's fields, or ExportError naming the finding and the field."""
    label = f"finding {feature.get('id', index + 1)!s}"
    missing = [key for key in _REQUIRED if feature.get(key) is None]
    if missing:
        raise ExportError(f"{label}: missing {', '.join(missing)}")
    _check_point(feature["lat"], feature["lon"], label)
    values = {key: feature.get(key) for key in FIELDS}
    precision = values["precision_m"]
    if precision is not None and not (
        isinstance(precision, (int, float)) and math.isfinite(precision) and precision > 0
    ):
        raise ExportError(f"{label}: precision {precision!r} m must be a positive number")
    return values


def _rings(values: Mapping[str, Any], index: int) -> list[Ring]:
    if values["precision_m"] is None:
        return []
    try:
        ring = circle_polygon(values["lat"], values["lon"], float(values["precision_m"]))
    except ExportError as exc:
        raise ExportError(f"finding {values['id']!s}: {exc.reason}") from None
    return split_at_antimeridian(ring)


def _title(values: Mapping[str, Any]) -> str:
    return f"{values['clip_name']} ({values['confidence']})"


def _fact_lines(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The facts of a finding as (label, text) lines, for a description a person reads."""
    precision = values["precision_m"]
    lines = [
        ("Clip", f"{values['clip_name']} (id {values['clip_id']})"),
        ("SHA-256", str(values["sha256"])),
        ("Location", f"{values['lat']:.6f}, {values['lon']:.6f}"),
        ("Precision", f"{precision:g} m" if precision is not None else "not stated"),
        ("Confidence", str(values["confidence"])),
        ("Method", str(values["method"])),
    ]
    if values["place"]:
        lines.append(("Place", str(values["place"])))
    lines.append(("Reasoning", str(values["reasoning"] or "")))
    if values["url"]:
        lines.append(("Link", str(values["url"])))
    lines.append(("Finding", str(values["id"])))
    return lines


# --------------------------------------------------------------------------- KML


def _xml_text(value: Any) -> str:
    """``value`` as text XML can hold: forbidden control characters shown as escapes."""
    text = "" if value is None else str(value)
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)  # fmt: skip


def _coordinates(ring: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{lon:.{_DECIMALS}f},{lat:.{_DECIMALS}f},0" for lat, lon in ring)


def kml_document(
    features: Iterable[Mapping[str, Any]], name: str = "Geolocation findings"
) -> bytes:
    """The KML 2.2 document for ``features`` (see :func:`write_kml`), as UTF-8 bytes."""
    ET.register_namespace("", KML_NS)

    def sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{KML_NS}}}{tag}", attrs)
        if text is not None:
            element.text = _xml_text(text)
        return element

    root = ET.Element(f"{{{KML_NS}}}kml")
    document = sub(root, "Document")
    sub(document, "name", name)
    for confidence, colour in _STYLES.items():
        style = sub(document, "Style", id=f"confidence-{confidence}")
        line = sub(style, "LineStyle")
        sub(line, "color", colour)
        sub(line, "width", "2")
        poly = sub(style, "PolyStyle")
        sub(poly, "color", "40" + colour[2:])
    for index, feature in enumerate(features):
        values = _checked(feature, index)
        rings = _rings(values, index)
        placemark = sub(document, "Placemark", id=f"finding-{values['id']}")
        sub(placemark, "name", _title(values))
        # Google Earth reads a description as HTML: the facts are escaped for it,
        # so reasoning that holds "<" or "&" is shown as typed, never interpreted.
        description = "<br>\n".join(
            f"<b>{html.escape(label)}:</b> {html.escape(text).replace(chr(10), '<br>')}"
            for label, text in _fact_lines(values)
        )
        sub(placemark, "description", description)
        if str(values["confidence"]) in _STYLES:
            sub(placemark, "styleUrl", f"#confidence-{values['confidence']}")
        extended = sub(placemark, "ExtendedData")
        for key in FIELDS:
            if values[key] is None:
                continue
            data = sub(extended, "Data", name=key)
            sub(data, "value", values[key])
        point_parent = sub(placemark, "MultiGeometry") if rings else placemark
        point = sub(point_parent, "Point")
        sub(point, "coordinates", _coordinates([(values["lat"], values["lon"])]))
        for ring in rings:
            polygon = sub(point_parent, "Polygon")
            sub(polygon, "tessellate", "1")
            boundary = sub(sub(polygon, "outerBoundaryIs"), "LinearRing")
            sub(boundary, "coordinates", _coordinates(ring))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_kml(features: Iterable[Mapping[str, Any]], path: Path | str) -> Path:
    """Write ``features`` as a KML 2.2 file for Google Earth Pro; returns the path.

    Each finding is a Placemark named "clip name (confidence)" with a Point and,
    when it has a precision, the circle polygon(s) in a MultiGeometry; its
    description lists every fact and its ExtendedData holds every field as typed.
    """
    data = kml_document(features)
    return _write_atomically(Path(path), data)


# --------------------------------------------------------------------------- GeoJSON


def _lonlat(lat: float, lon: float) -> list[float]:
    return [round(lon, _DECIMALS), round(lat, _DECIMALS)]


def geojson_document(features: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The RFC 7946 FeatureCollection for ``features`` (see :func:`write_geojson`)."""
    collection: list[dict[str, Any]] = []
    for index, feature in enumerate(features):
        values = _checked(feature, index)
        rings = _rings(values, index)
        properties = {key: values[key] for key in FIELDS}
        collection.append(
            {
                "type": "Feature",
                "id": f"finding-{values['id']}",
                "geometry": {"type": "Point", "coordinates": _lonlat(values["lat"], values["lon"])},
                "properties": {**properties, "kind": "point", "title": _title(values)},
            }
        )
        if rings:
            polygons = [[[_lonlat(lat, lon) for lat, lon in ring]] for ring in rings]
            geometry = (
                {"type": "Polygon", "coordinates": polygons[0]}
                if len(polygons) == 1
                else {"type": "MultiPolygon", "coordinates": polygons}
            )
            collection.append(
                {
                    "type": "Feature",
                    "id": f"finding-{values['id']}-precision",
                    "geometry": geometry,
                    "properties": {**properties, "kind": "precision", "title": _title(values)},
                }
            )
    return {"type": "FeatureCollection", "features": collection}


def write_geojson(features: Iterable[Mapping[str, Any]], path: Path | str) -> Path:
    """Write ``features`` as RFC 7946 GeoJSON for QGIS; returns the path.

    Per finding: a Point feature and, when it has a precision, a Polygon (or a
    MultiPolygon cut at the antimeridian) feature for its circle, both with
    every field as properties plus ``kind`` ("point" or "precision").
    """
    text = json.dumps(geojson_document(features), ensure_ascii=False, indent=1, allow_nan=False)
    return _write_atomically(Path(path), text.encode("utf-8") + b"\n")


# --------------------------------------------------------------------------- files


def _write_atomically(path: Path, data: bytes) -> Path:
    """The whole file or nothing: a temporary file beside it, fsynced, then renamed."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError("the folder does not exist", path=folder)
    temp_name: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb", dir=folder, prefix=f".{path.name}.", suffix=".part", delete=False
        ) as handle:
            temp_name = handle.name
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # A temporary file is private (0600); the export is for sharing, like any new file.
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except OSError as exc:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
        raise ExportError(f"cannot write the file ({exc.strerror or exc})", path=path) from exc
    return path
