"""Coordinates as people paste them: every accepted form to exact values, every refusal by name.

A location that parses to the wrong place is worse than one refused, so the
accepted forms are pinned to the value they mean, and the refusals to the
message a person reads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.cli.main import cli
from verifier.errors import VerifierError
from verifier.geo.coords import (
    CoordinateError,
    Location,
    format_decimal,
    format_dms,
    location_json,
    parse_location,
    to_mgrs,
    utm_zone,
)

DMS_LAT = 48 + 30 / 60 + 28.4 / 3600
DMS_LON = 35 + 54 / 60 + 47.2 / 3600
DDM_LAT = 48 + 30.473 / 60
DDM_LON = 35 + 54.787 / 60
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def assert_at(loc: Location, lat: float, lon: float, fmt: str, tol: float = 1e-9) -> None:
    assert loc.lat == pytest.approx(lat, abs=tol)
    assert loc.lon == pytest.approx(lon, abs=tol)
    assert loc.format == fmt


@pytest.mark.parametrize(
    ("text", "lat", "lon", "fmt"),
    [
        ("48.5079, 35.9131", 48.5079, 35.9131, "decimal"),
        ("48.5079,35.9131", 48.5079, 35.9131, "decimal"),
        ("48.5079 35.9131", 48.5079, 35.9131, "decimal"),
        ("48.5079; 35.9131", 48.5079, 35.9131, "decimal"),
        ("48.5079N 35.9131E", 48.5079, 35.9131, "decimal"),
        ("48.5079 N, 35.9131 E", 48.5079, 35.9131, "decimal"),
        ("48.5079° N, 35.9131° E", 48.5079, 35.9131, "decimal"),
        ("35.9131E 48.5079N", 48.5079, 35.9131, "decimal"),
        ("N48.5079 E35.9131", 48.5079, 35.9131, "decimal"),
        ("48.5079n 35.9131e", 48.5079, 35.9131, "decimal"),
        ("48.5079N35.9131E", 48.5079, 35.9131, "decimal"),
        ("48.5E 35.9N", 35.9, 48.5, "decimal"),
        ("48.5N, 35.9", 48.5, 35.9, "decimal"),
        ("-33.86, 151.21", -33.86, 151.21, "decimal"),
        ("−33.86, 151.21", -33.86, 151.21, "decimal"),  # U+2212 minus sign
        ("33.86S 151.21E", -33.86, 151.21, "decimal"),
        ("33.86 S, 70.5 W", -33.86, -70.5, "decimal"),
        ("0, 0", 0.0, 0.0, "decimal"),
        ("90, 180", 90.0, 180.0, "decimal"),
        ("-90, -180", -90.0, -180.0, "decimal"),
        ("+48.5, +35.9", 48.5, 35.9, "decimal"),
        ("48.5\t35.9\n", 48.5, 35.9, "decimal"),
        ("48.5,\r\n35.9", 48.5, 35.9, "decimal"),
        ("48.5079\u00a0, 35.9131", 48.5079, 35.9131, "decimal"),  # no-break space
    ],
)
def test_decimal_forms(text: str, lat: float, lon: float, fmt: str) -> None:
    assert_at(parse_location(text), lat, lon, fmt)


@pytest.mark.parametrize(
    "text",
    [
        "48°30'28.4\"N 35°54'47.2\"E",
        "48°30'28.4\"N, 35°54'47.2\"E",
        "48°30′28.4″N 35°54′47.2″E",  # prime, double prime
        "48º30’28.4”N 35º54’47.2”E",  # ordinal indicator, typographic quotes
        "48˚30'28.4''N 35˚54'47.2''E",  # ring above, two apostrophes
        "48 ° 30 ' 28.4 \" N 35 ° 54 ' 47.2 \" E",
        "48°30'28.4\"N35°54'47.2\"E",
        "48d30m28.4sN 35d54m47.2sE",
        "48d 30m 28.4s N, 35d 54m 47.2s E",
        "48 30 28.4 N 35 54 47.2 E",
        "N48°30'28.4\" E35°54'47.2\"",
        "35°54'47.2\"E 48°30'28.4\"N",
        "48°30'28.4\" 35°54'47.2\"",
    ],
)
def test_dms_forms(text: str) -> None:
    assert_at(parse_location(text), DMS_LAT, DMS_LON, "dms")


def test_dms_south_and_west() -> None:
    assert_at(parse_location("33°51'36\"S 70°30'0\"W"), -(33 + 51 / 60 + 36 / 3600), -70.5, "dms")
    assert_at(parse_location("-33°51'36\", -70°30'0\""), -(33 + 51 / 60 + 36 / 3600), -70.5, "dms")


@pytest.mark.parametrize(
    "text",
    [
        "48°30.473'N 35°54.787'E",
        "48°30.473′N, 35°54.787′E",
        "N48 30.473 E35 54.787",
        "48d30.473mN 35d54.787mE",
    ],
)
def test_degrees_decimal_minutes(text: str) -> None:
    assert_at(parse_location(text), DDM_LAT, DDM_LON, "ddm")


@pytest.mark.parametrize(
    "text",
    [
        "37U CQ 12345 67890",
        "37UCQ1234567890",
        "37u cq 12345 67890",
        "37U CQ 1234567890",
        "37 U CQ 12345 67890",
    ],
)
def test_mgrs_ten_digits(text: str) -> None:
    loc = parse_location(text)
    # Pinned against GeoTrans (the mgrs library): the centre of the 1 m square.
    assert_at(loc, 49.334852792016505, 36.41690873792673, "mgrs", tol=1e-9)
    assert loc.precision_m == 1.0
    assert to_mgrs(loc.lat, loc.lon) == "37U CQ 12345 67890"


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("37U CQ", 100_000.0),
        ("37U CQ 1 6", 10_000.0),
        ("37UCQ1267", 1_000.0),
        ("37U CQ 123 678", 100.0),
        ("37UCQ12346789", 10.0),
        ("37U CQ 12345 67890", 1.0),
    ],
)
def test_mgrs_precision_is_the_square_side_and_the_point_its_centre(text: str, side: float) -> None:
    loc = parse_location(text)
    assert loc.precision_m == side
    digits = {100_000.0: 0, 10_000.0: 1, 1_000.0: 2, 100.0: 3, 10.0: 4, 1.0: 5}[side]
    # The centre lies in the square the text names.
    assert to_mgrs(loc.lat, loc.lon, digits).replace(" ", "") == text.replace(" ", "").upper()


def test_mgrs_centre_is_half_a_square_from_the_corner() -> None:
    centre = parse_location("37UCQ1267")
    corner = parse_location("37UCQ1200067000")
    assert haversine_m(centre.lat, centre.lon, corner.lat, corner.lon) == pytest.approx(
        500 * math.sqrt(2), rel=0.01
    )


def test_norway_and_svalbard_zones() -> None:
    assert utm_zone(50.0, 5.99) == 31
    assert utm_zone(50.0, 6.0) == 32
    assert utm_zone(60.0, 4.0) == 32  # Norway: 32V widened west to 3°E
    assert utm_zone(60.0, 2.99) == 31
    assert utm_zone(55.99, 4.0) == 31  # below the 32V exception
    assert utm_zone(64.0, 4.0) == 31  # above it
    assert [utm_zone(75.0, lon) for lon in (8.99, 9.0, 20.99, 21.0, 32.99, 33.0, 41.99, 42.0)] == [
        31,
        33,
        33,
        35,
        35,
        37,
        37,
        38,
    ]
    assert to_mgrs(60.0, 4.0, 0).startswith("32V ")
    assert to_mgrs(60.0, 5.99, 0).startswith("32V ")
    assert to_mgrs(50.0, 5.99, 0).startswith("31U ")
    assert to_mgrs(50.0, 6.0, 0).startswith("32U ")
    assert to_mgrs(75.0, 9.0, 0).startswith("33X ")
    assert to_mgrs(75.0, 8.99, 0).startswith("31X ")
    assert to_mgrs(0.0, 179.999, 0).startswith("60N ")
    assert to_mgrs(0.0, -180.0, 0).startswith("01N ")


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(60.0, 4.0), (60.0, 5.99), (63.99, 11.99), (75.0, 9.0), (78.2, 15.6), (83.9, 41.9),
     (-79.9, -179.9), (0.0, 0.0), (-0.000001, 179.99999), (50.0, 5.999999)],
)  # fmt: skip
def test_mgrs_round_trip_at_edges_and_exceptions(lat: float, lon: float) -> None:
    text = to_mgrs(lat, lon)
    back = parse_location(text)
    assert haversine_m(lat, lon, back.lat, back.lon) < 1.5
    # A point on a zone edge may decode a hair across it; elsewhere the text comes back.
    if utm_zone(back.lat, back.lon) == utm_zone(lat, lon):
        assert to_mgrs(back.lat, back.lon) == text


def test_polar_caps_use_ups() -> None:
    north = to_mgrs(85.0, 10.0)
    south = to_mgrs(-85.0, -10.0)
    assert north.startswith("Z ")
    assert south.startswith("A ")
    for lat, lon, text in ((85.0, 10.0, north), (-85.0, -10.0, south)):
        back = parse_location(text)
        assert back.format == "ups"
        assert haversine_m(lat, lon, back.lat, back.lon) < 1.5
    pole = parse_location("Z AH 00000 00000")
    assert pole.lat == pytest.approx(90.0, abs=1e-4)


@pytest.mark.parametrize(
    ("url", "lat", "lon"),
    [
        ("https://www.google.com/maps/@48.5079,35.9131,15z", 48.5079, 35.9131),
        ("https://www.google.com/maps?q=48.5079,35.9131", 48.5079, 35.9131),
        ("https://maps.google.com/maps?q=48.5079%2C35.9131&z=17", 48.5079, 35.9131),
        ("https://www.google.com/maps/search/?api=1&query=48.5079,35.9131", 48.5079, 35.9131),
        ("https://maps.google.com/?ll=48.5079,35.9131&z=12", 48.5079, 35.9131),
        ("https://www.openstreetmap.org/?mlat=48.5079&mlon=35.9131#map=17/48.5/35.9", 48.5079,
         35.9131),
        ("https://www.openstreetmap.org/#map=17/48.5079/35.9131", 48.5079, 35.9131),
        ("https://www.openstreetmap.org/#map=17/-33.86/151.21&layers=H", -33.86, 151.21),
        # The pin (!3d/!4d), not the view centre (@), is the place.
        ("https://www.google.com/maps/place/Dnipro/@48.46,35.04,12z/data=!3m1!4b1!4m6!3m5"
         "!1s0x0:0x0!8m2!3d48.5079!4d35.9131!16s", 48.5079, 35.9131),
        ("https://www.google.com/maps/place/48%C2%B030'28.4%22N+35%C2%B054'47.2%22E/"
         "@48.5,35.9,17z", DMS_LAT, DMS_LON),
        ("www.google.com/maps/@-33.86,151.21,10z", -33.86, 151.21),
        ("https://www.google.com/maps?q=Kyiv&ll=50.45,30.52", 50.45, 30.52),
        ("https://maps.google.com/?q=loc:48.5079,35.9131", 48.5079, 35.9131),
        ("geo:48.5079,35.9131", 48.5079, 35.9131),
        ("geo:-33.86,151.21,40;u=35", -33.86, 151.21),
    ],
)  # fmt: skip
def test_map_links(url: str, lat: float, lon: float) -> None:
    assert_at(parse_location(url), lat, lon, "url")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "location: empty; paste a coordinate, an MGRS reference or a map link"),
        ("   ", "location: empty; paste a coordinate, an MGRS reference or a map link"),
        ("91, 10", "location: latitude 91 is beyond ±90; two bare numbers are read as latitude, "
         "longitude: did you mean 10, 91?"),
        ("151.21, -33.86", "location: latitude 151.21 is beyond ±90; two bare numbers are read "
         "as latitude, longitude: did you mean -33.86, 151.21?"),
        ("95, 100", "location: latitude 95 is out of range (-90 to 90)"),
        ("91N 10E", "location: latitude 91 is out of range (-90 to 90)"),
        ("10, 181", "location: longitude 181 is out of range (-180 to 180)"),
        ("10N 200W", "location: longitude -200 is out of range (-180 to 180)"),
        ("48.5N 35.9N", "location: both coordinates have a north/south letter (N and N); "
         "one must be E or W"),
        ("48.5E 35.9W", "location: both coordinates have a east/west letter (E and W); "
         "one must be N or S"),
        ("48°60'N 35°E", "location: the latitude has minutes 60, which must be below 60"),
        ("48°30'60\"N 35°E", "location: the latitude has seconds 60, which must be below 60"),
        ("48°30.5'20\"N 35°E", "location: the latitude has a fraction in 30.5, which is followed "
         "by a smaller unit; only the last field may have decimals"),
        ("48.5, 35.9 junk", "location: unexpected text 'junk'"),
        ("48.5, 35.9, 12", "location: more than one separator; write latitude and longitude "
         "once, e.g. 48.5079, 35.9131"),
        ("48.5 35.9 12", "location: 3 coordinates where two are expected (latitude, "
         "longitude); trailing text?"),
        ("48.5", "location: only one coordinate; give latitude and longitude, e.g. "
         "48.5079, 35.9131"),
        ("-48.5S, 3E", "location: the latitude has both a sign and a hemisphere letter "
         "(- and S); use one"),
        ("nan, 1", "location: 'nan' is not a number of degrees"),
        ("inf, 1", "location: 'inf' is not a number of degrees"),
        ("1e5, 3", "location: scientific notation (1e5) is not a coordinate"),
        ("48.5,\x1b[2J35.9", "location: control or invisible character \\x1b (U+001B) in the "
         "text"),
        ("４８.５, ３５.９", "location: unexpected character '４' at position 1"),
        ("48.5, 35.9Е", "location: unexpected character 'Е' at position 11"),  # Cyrillic Е
        ("1" * 30 + ", 1", "location: number '" + "1" * 30 + "' has too many digits"),
        ("37U CQ 12345 6789", "MGRS: easting 12345 and northing 6789 have different lengths"),
        ("37UCQ123456789", "MGRS: 9 digits after the square; it needs an even count (easting "
         "and northing of equal length)"),
        ("37UCQ123456789012", "MGRS: 12 digits after the square; at most 10 (1 m)"),
        ("37U CQ 12345 67890 junk", "MGRS: unexpected text 'junk'; expected e.g. "
         "37U CQ 12345 67890"),
        ("37U CQ 12345 67890 12", "MGRS: digits '12345 67890 12' after the square must be one "
         "group or two of equal length (easting, northing)"),
        ("37USQ1234567890", "MGRS: 100 km square SQ does not exist in zone 37 (columns A-H, "
         "rows A-V without I and O)"),
        ("37UCW1234567890", "MGRS: 100 km square CW does not exist in zone 37 (columns A-H, "
         "rows A-V without I and O)"),
        ("61UCQ12", "MGRS: zone 61 does not exist (1 to 60)"),
        ("37ICQ12", "MGRS: latitude band I does not exist (C to X without I and O; A, B, Y, Z "
         "are the polar UPS areas, written without a zone number)"),
        ("32XMH12", "MGRS: zone 32X does not exist (the Svalbard exception)"),
        ("https://maps.app.goo.gl/abcdEFGH", "map link: a short link carries no coordinates; "
         "open it and paste the full address"),
        ("https://www.google.com/maps/place/Kyiv", "map link: no coordinates in it (looked for "
         "!3d…!4d…, mlat/mlon, q, query, ll, @lat,lon and #map=)"),
        ("https://www.openstreetmap.org/#map=17/95.0/35.9", "map link: #map '95.0, 35.9': "
         "latitude 95 is beyond ±90; two bare numbers are read as latitude, longitude: did you "
         "mean 35.9, 95?"),
        ("https://[::1/maps", "map link: cannot be read (Invalid IPv6 URL)"),
        ("48.5 35.9E", "location: cannot tell where the latitude ends and the longitude "
         "begins; give each its letter (48.5N 35.9E) or separate them with a comma"),
        ("https://www.google.com/maps/dir/48.5,35.9/50.4,30.5/@49,33,7z", "map link: directions "
         "hold several points; paste a link to the one place"),
        ("geo:48.5", "geo URI: expected geo:LAT,LON, e.g. geo:48.5079,35.9131"),
        ("geo:95,10", "location: latitude 95 is beyond ±90; two bare numbers are read as "
         "latitude, longitude: did you mean 10, 95?"),
        ("x" * 5000, "location: 5000 characters is too long for a coordinate or a map link "
         "(at most 4096)"),
    ],
)  # fmt: skip
def test_refusals_name_the_part_and_the_problem(text: str, message: str | None) -> None:
    with pytest.raises(CoordinateError) as caught:
        parse_location(text)
    shown = str(caught.value)
    assert "\n" not in shown
    if message is not None:
        assert shown == message


def test_svalbard_square_in_the_wrong_band_is_refused() -> None:
    # The library decodes this to 71.9°N 27.8°E (band W, zone 35) with only a warning.
    with pytest.raises(CoordinateError, match=r"^MGRS: square AA does not lie in zone 37X"):
        parse_location("37XAA1212")


def test_coordinate_error_is_a_verifier_error() -> None:
    assert issubclass(CoordinateError, VerifierError)


def test_writers() -> None:
    assert format_dms(DMS_LAT, DMS_LON) == "48°30'28.4\"N 35°54'47.2\"E"
    assert format_dms(-33.86, -70.5) == "33°51'36.0\"S 70°30'00.0\"W"
    assert format_dms(0.0, 0.0) == "0°00'00.0\"N 0°00'00.0\"E"
    # 59.96" rounds up into the next minute, never to 60.0".
    assert format_dms(10 + 59 / 60 + 59.96 / 3600, 0) == "11°00'00.0\"N 0°00'00.0\"E"
    assert format_decimal(48.5079, -35.9131) == "48.507900, -35.913100"
    assert to_mgrs(48.5079, 35.9131) == "36U YU 15151 76852"
    assert to_mgrs(48.5079, 35.9131, 2) == "36U YU 15 76"
    assert to_mgrs(48.5079, 35.9131, 0) == "36U YU"
    with pytest.raises(CoordinateError, match="latitude 91"):
        format_dms(91, 0)
    with pytest.raises(CoordinateError, match="digits per axis"):
        to_mgrs(0, 0, 6)


def test_location_json() -> None:
    data = location_json(parse_location("48.5079, 35.9131"))
    assert data == {
        "lat": 48.5079,
        "lon": 35.9131,
        "decimal": "48.507900, 35.913100",
        "dms": "48°30'28.4\"N 35°54'47.2\"E",
        "mgrs": "36U YU 15151 76852",
        "format": "decimal",
        "precision_m": None,
    }


# ----------------------------------------------------------------------- properties

LATS = st.floats(min_value=-90, max_value=90, allow_nan=False)
LONS = st.floats(min_value=-180, max_value=180, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(LATS, LONS)
def test_dms_round_trip(lat: float, lon: float) -> None:
    back = parse_location(format_dms(lat, lon))
    assert back.format == "dms"
    assert abs(back.lat - lat) <= 0.05 / 3600 + 1e-12
    assert abs(back.lon - lon) <= 0.05 / 3600 + 1e-12 or abs(abs(lon) - 180) < 1e-4


@settings(max_examples=300, deadline=None)
@given(LATS, LONS)
def test_decimal_round_trip(lat: float, lon: float) -> None:
    back = parse_location(format_decimal(lat, lon))
    assert abs(back.lat - lat) <= 5e-7 and abs(back.lon - lon) <= 5e-7


@settings(max_examples=400, deadline=None)
@given(LATS, st.floats(min_value=-180, max_value=179.9999999, allow_nan=False),
       st.integers(min_value=0, max_value=5))  # fmt: skip
def test_mgrs_round_trip_within_the_square(lat: float, lon: float, digits: int) -> None:
    text = to_mgrs(lat, lon, digits)
    back = parse_location(text)
    side = 10.0 ** (5 - digits)
    assert back.precision_m == side
    # The decoded point is the centre of the named square, so the original point is
    # within half a diagonal of it; 2 % covers the
    # projection's scale and the sphere used to measure.
    limit = side * math.sqrt(2) * 0.5 * 1.02 + 0.01
    assert haversine_m(lat, lon, back.lat, back.lon) <= limit
    assert text.replace(" ", "")[: 5 if text[0].isdigit() else 3] in to_mgrs(lat, lon, 5).replace(
        " ", ""
    )


HOSTILE = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789.,;:-+ °'\"NSEWnsewdmDMS′″º˚’”eE/@#=?&!", max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.builds(lambda a, b: f"{a}, {b}", st.floats(), st.floats()),
    st.builds(lambda a, b: f"37U CQ {a} {b}", st.text(max_size=8), st.text(max_size=8)),
    st.builds(lambda s: "https://www.google.com/maps/" + s, st.text(max_size=40)),
    st.just("9" * 5000),
)


@settings(max_examples=600, deadline=None)
@given(HOSTILE)
def test_hostile_text_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        loc = parse_location(text)
    except CoordinateError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert math.isfinite(loc.lat) and math.isfinite(loc.lon)
    assert -90 <= loc.lat <= 90 and -180 <= loc.lon <= 180


# ----------------------------------------------------------------------- the command


def run_coords(tmp_path: Path, *args: str) -> Result:
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "coords", *args])
    # A calculator: no data folder, no database, no case.
    assert not data_dir.exists()
    return result


def test_cli_coords_prints_every_form(tmp_path: Path) -> None:
    result = run_coords(tmp_path, "48°30'28.4\"N 35°54'47.2\"E")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split(None, 1) == ["Decimal", "48.507889, 35.913111"]
    assert lines[1].split(None, 1) == ["DMS", "48°30'28.4\"N 35°54'47.2\"E"]
    assert lines[2].split(None, 1) == ["MGRS", "36U YU 15152 76851"]
    assert "degrees, minutes, seconds" in lines[3]
    assert lines[4].split() == [
        "OpenStreetMap",
        "https://www.openstreetmap.org/?mlat=48.507889&mlon=35.913111#map=17/48.507889/35.913111",
    ]
    assert lines[5].split() == [
        "Google",
        "Maps",
        "https://www.google.com/maps/search/?api=1&query=48.507889,35.913111",
    ]


def test_cli_coords_json_and_unquoted_negative_numbers(tmp_path: Path) -> None:
    result = run_coords(tmp_path, "-33.86", "151.21", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lat"] == -33.86 and data["lon"] == 151.21
    assert data["dms"] == "33°51'36.0\"S 151°12'36.0\"E"
    assert data["mgrs"] == "56H LH 34416 51925"
    assert data["links"]["Google Maps"].endswith("query=-33.860000,151.210000")


def test_cli_coords_mgrs_says_it_is_a_square(tmp_path: Path) -> None:
    result = run_coords(tmp_path, "37UCQ1267")
    assert result.exit_code == 0, result.output
    assert "MGRS: a square of 1 km a side, shown at its centre" in result.stdout
    assert "37U CQ 12500 67500" in result.stdout
    data = json.loads(run_coords(tmp_path, "37UCQ1267", "--json").stdout)
    assert data["precision_m"] == 1000.0 and data["format"] == "mgrs"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("151.21, -33.86", "error: location: latitude 151.21 is beyond ±90; two bare numbers "
         "are read as latitude, longitude: did you mean -33.86, 151.21?"),
        ("48.5N 35.9N", "error: location: both coordinates have a north/south letter (N and N); "
         "one must be E or W"),
        ("37U CQ 12345 67890 junk", "error: MGRS: unexpected text 'junk'; expected e.g. "
         "37U CQ 12345 67890"),
    ],
)  # fmt: skip
def test_cli_coords_bad_input_is_one_line_and_fails(
    tmp_path: Path, text: str, message: str
) -> None:
    result = run_coords(tmp_path, text)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == message
