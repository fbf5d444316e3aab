"""Coordinates as geolocators paste them, parsed strictly, and written back out.

One entry point, :func:`parse_location`, reads the forms investigators copy from
their notes, from other tools and from web maps:

* decimal degrees: ``48.5079, 35.9131``, ``-33.86 151.21``, ``48.5079N 35.9131E``,
  ``35.9131E 48.5079N``, ``N48.5079 E35.9131``;
* degrees, minutes, seconds: ``48°30'28.4"N 35°54'47.2"E``, with typographic
  look-alikes of the marks (``º ˚ ′ ″ ’ ”``) or letters (``48d30m28.4s N``);
* degrees and decimal minutes: ``48°30.473'N 35°54.787'E``;
* MGRS with or without spaces: ``37U CQ 12345 67890``, ``37UCQ1234567890``
  (0 to 10 digits, an even count), and UPS in the polar caps (``Z AH 00000 00000``);
* Google Maps and OpenStreetMap links with the point in them (``!3d…!4d…``,
  ``mlat=…&mlon=…``, ``q=``, ``query=``, ``ll=``, ``@lat,lon,zoom``, ``#map=z/lat/lon``).

Two bare numbers are read as latitude, longitude (the order of Google Maps and
of most notes). A pair whose first number cannot be a latitude is refused with
a suggestion, never swapped silently: a swapped pair is a plausible place on
another continent, and nothing downstream would notice.

MGRS conversion is the ``mgrs`` library (GeoTrans). It decodes text it should
refuse (a square that does not exist in the zone comes back as a point in
another band with only a warning, and its own parser is lenient), so every
reference is checked here first against the full grammar, the 100 km column
letters of its zone and, after decoding, against the zone and band it claims,
including the Norway (32V) and Svalbard (31X-37X) exceptions. An MGRS
reference names a square, not a point: the location returned is the centre of
that square and ``precision_m`` is its side.

Every refusal is a :class:`CoordinateError` with one line naming the part and
the problem, so the CLI and the window can show it as it is.
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import mgrs as mgrs_lib

from verifier.errors import VerifierError, printable

# Longer than any coordinate or map link a person pastes (Google Maps links
# with a long ``data=`` part stay under 2 kB); refusing early keeps regexes cheap.
MAX_INPUT_CHARS = 4096
# A coordinate needs no more digits than this; more is a paste gone wrong.
_MAX_NUMBER_CHARS = 24


class CoordinateError(VerifierError):
    """Text that is not a location, with the part at fault and the problem."""


@dataclass(frozen=True)
class Location:
    """A point on the WGS 84 ellipsoid and how it was written.

    ``format`` is one of ``decimal``, ``dms``, ``ddm``, ``mgrs``, ``ups``,
    ``url``; ``precision_m`` is the side of the MGRS/UPS square the text named
    (1 m for 10 digits, 100 km for none) and None for every other form, which
    carries no stated precision.
    """

    lat: float
    lon: float
    format: str
    precision_m: float | None = None


# --------------------------------------------------------------------------- text clean-up

# Look-alikes people paste for the three marks, from fonts, word processors,
# keyboards and other tools, mapped to the ASCII marks the grammar reads.
_DEGREE_MARKS = "°º˚ᵒ⁰∘"
_MINUTE_MARKS = "'′’‘´ʹʼ`ꞌ"
_SECOND_MARKS = '"″”“ʺ˝〃'
_MINUS_SIGNS = "-−–—‐‑‒﹣－"
_SPACES = "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000"
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"

_TRANSLATION = str.maketrans(
    {
        **{c: "°" for c in _DEGREE_MARKS},
        **{c: "'" for c in _MINUTE_MARKS},
        **{c: '"' for c in _SECOND_MARKS},
        **{c: "-" for c in _MINUS_SIGNS},
        **{c: " " for c in _SPACES},
        **{c: "" for c in _INVISIBLE},
        "＋": "+",
        "，": ",",
        "；": ";",
    }
)


def _clean(text: str) -> str:
    """``text`` with look-alike marks made ASCII, or a CoordinateError for unreadable input."""
    if not isinstance(text, str):
        raise CoordinateError("location: expected text")
    if len(text) > MAX_INPUT_CHARS:
        raise CoordinateError(
            f"location: {len(text)} characters is too long for a coordinate or a map link "
            f"(at most {MAX_INPUT_CHARS})"
        )
    # Tabs and line breaks come with pastes from spreadsheets and notes: spaces.
    cleaned = re.sub(r"[\t\r\n]", " ", text.translate(_TRANSLATION)).strip()
    if not cleaned:
        raise CoordinateError(
            "location: empty; paste a coordinate, an MGRS reference or a map link"
        )
    for char in cleaned:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise CoordinateError(
                f"location: control or invisible character {printable(char)!s} "
                f"(U+{ord(char):04X}) in the text"
            )
    # Two apostrophes are how many people type a seconds mark.
    return cleaned.replace("''", '"')


def _shown(text: str, limit: int = 40) -> str:
    """A piece of the input quoted for an error message, one line, not too long."""
    text = printable(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# --------------------------------------------------------------------------- entry point


def parse_location(text: str) -> Location:
    """The location ``text`` names, in any accepted form (see the module docstring).

    Raises CoordinateError with a one-line message for anything else.
    """
    cleaned = _clean(text)
    if re.match(r"(?i)^(https?://|www\.|maps\.|openstreetmap\.|osm\.org|google\.)", cleaned):
        return _parse_url(cleaned)
    if cleaned[:4].lower() == "geo:":
        return _parse_geo_uri(cleaned)
    mgrs_match = _MGRS_SHAPE.match(cleaned) or _UPS_SHAPE.match(cleaned)
    if mgrs_match:
        return _parse_grid(cleaned)
    return _parse_pair(cleaned)


# --------------------------------------------------------------------------- degrees

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?\s*(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))
  | (?P<mark>[°'"])
  | (?P<word>[A-Za-z]+)
  | (?P<sep>[,;/])
    """,
    re.VERBOSE,
)

_UNIT_WORDS = {"d": 0, "deg": 0, "degs": 0, "degree": 0, "degrees": 0}
_UNIT_WORDS.update({"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1})
_UNIT_WORDS.update({"sec": 2, "secs": 2, "second": 2, "seconds": 2})
_HEMISPHERE_WORDS = {
    "n": "N",
    "north": "N",
    "s": "S",
    "south": "S",
    "e": "E",
    "east": "E",
    "w": "W",
    "west": "W",
}
_MARK_UNITS = {"°": 0, "'": 1, '"': 2}
_UNIT_NAMES = ("degrees", "minutes", "seconds")


@dataclass
class _Number:
    text: str
    value: float
    negative: bool
    signed: bool
    unit: int | None = None


@dataclass
class _Part:
    """One half of a pair: numbers with their units and an optional hemisphere letter."""

    numbers: list[_Number]
    hemisphere: str | None = None
    hemisphere_first: bool = False


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; anything the grammar has no place for is refused by name."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            raise CoordinateError(
                f"location: unexpected character {_shown(char)} at position {position + 1}"
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


def _split_glued_letters(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``sN`` in ``28.4sN`` is two words: a seconds mark and a hemisphere letter."""
    result: list[tuple[str, str]] = []
    for kind, value in tokens:
        known = value.lower() in _UNIT_WORDS or value.lower() in _HEMISPHERE_WORDS
        if kind == "word" and not known and re.fullmatch(r"(?i)[dmsnew]{2,3}", value):
            result.extend(("word", letter) for letter in value)
        else:
            result.append((kind, value))
    return result


def _number(text: str) -> _Number:
    digits = re.sub(r"\s+", "", text)
    sign = digits[0] if digits[0] in "+-" else ""
    body = digits[len(sign) :]
    if len(body) > _MAX_NUMBER_CHARS:
        raise CoordinateError(f"location: number {_shown(body)} has too many digits")
    return _Number(digits, float(body), sign == "-", bool(sign))


def _lex_parts(text: str) -> list[_Part]:
    """The text cut into the latitude and longitude parts, in the order written."""
    # "1e5" reads as a number in Python, but a glued "35.9E48.5N" is a longitude then a
    # latitude: only without any N/S letter is an "e" between digits an exponent.
    if re.search(r"[0-9][eE][-+]?[0-9]", text) and not re.search(r"[NSns]", text):
        raise CoordinateError("location: scientific notation (1e5) is not a coordinate")
    tokens = _split_glued_letters(_tokens(text))
    items: list[Any] = []  # _Number | ("unit", int) | ("hemi", str) | ("sep", str)
    for kind, value in tokens:
        if kind == "number":
            items.append(_number(value))
        elif kind == "mark":
            items.append(("unit", _MARK_UNITS[value]))
        elif kind == "sep":
            items.append(("sep", value))
        else:
            word = value.lower()
            previous = items[-1] if items else None
            # A lone "s" after a number that follows minutes is seconds, otherwise south.
            if word == "s" and isinstance(previous, _Number) and _after_minutes(items):
                items.append(("unit", 2))
            elif word in _UNIT_WORDS and word != "s" and isinstance(previous, _Number):
                items.append(("unit", _UNIT_WORDS[word]))
            elif word in _HEMISPHERE_WORDS:
                items.append(("hemi", _HEMISPHERE_WORDS[word]))
            elif word in ("nan", "inf", "infinity"):
                raise CoordinateError(f"location: {_shown(value)} is not a number of degrees")
            else:
                raise CoordinateError(f"location: unexpected text {_shown(value)}")
    # Attach unit marks to the number before them.
    numbered: list[Any] = []
    for item in items:
        if isinstance(item, tuple) and item[0] == "unit":
            previous = numbered[-1] if numbered else None
            if not isinstance(previous, _Number) or previous.unit is not None:
                raise CoordinateError(
                    f"location: a {_UNIT_NAMES[item[1]]} mark without a number before it"
                )
            previous.unit = item[1]
        else:
            numbered.append(item)
    return _split_parts(numbered)


def _after_minutes(items: list[Any]) -> bool:
    """Whether the number just read follows a minutes value in the same part."""
    for item in reversed(items[:-1]):
        if isinstance(item, tuple) and item == ("unit", 1):
            return True
        if isinstance(item, tuple) and item[0] in ("hemi", "sep"):
            return False
    return False


def _split_parts(items: list[Any]) -> list[_Part]:
    separators = [item for item in items if isinstance(item, tuple) and item[0] == "sep"]
    if len(separators) > 1:
        raise CoordinateError(
            "location: more than one separator; write latitude and longitude once, "
            "e.g. 48.5079, 35.9131"
        )
    if separators:
        index = items.index(separators[0])
        chunks = [items[:index], items[index + 1 :]]
        parts = [
            _one_part(chunk, label)
            for chunk, label in zip(chunks, ("first", "second"), strict=True)
        ]
        return parts
    hemis = [item for item in items if isinstance(item, tuple) and item[0] == "hemi"]
    if hemis:
        return _split_by_hemisphere(items)
    return _split_by_units(items)


def _one_part(chunk: list[Any], label: str) -> _Part:
    """A part cut out by a separator: numbers and at most one letter, before or after."""
    if not chunk:
        raise CoordinateError(f"location: the {label} part is empty")
    hemis = [i for i, item in enumerate(chunk) if isinstance(item, tuple)]
    if len(hemis) > 1:
        raise CoordinateError(f"location: the {label} part has more than one hemisphere letter")
    part = _Part([item for item in chunk if isinstance(item, _Number)])
    if hemis:
        index = hemis[0]
        if index not in (0, len(chunk) - 1):
            raise CoordinateError(
                f"location: the {label} part has its hemisphere letter between its numbers"
            )
        part.hemisphere = chunk[index][1]
        part.hemisphere_first = index == 0 and len(chunk) > 1
    if not part.numbers:
        raise CoordinateError(f"location: the {label} part has no number")
    return part


def _split_by_hemisphere(items: list[Any]) -> list[_Part]:
    """Parts delimited by their letters: all before their numbers, or all after."""
    prefix = isinstance(items[0], tuple)
    parts: list[_Part] = []
    current: list[_Number] = []
    letter: str | None = None
    for item in items:
        if isinstance(item, _Number):
            current.append(item)
            continue
        if prefix:
            if letter is not None or current:
                parts.append(_Part(current, letter, True))
            current, letter = [], item[1]
        else:
            if not current:
                raise CoordinateError(
                    f"location: hemisphere letter {item[1]} has no number before it"
                )
            parts.append(_Part(current, item[1]))
            current = []
    if prefix:
        parts.append(_Part(current, letter, True))
    elif current:
        # "48.5N 35.9": the last part has no letter.
        parts.append(_Part(current))
    for part in parts:
        if not part.numbers:
            raise CoordinateError(
                f"location: hemisphere letter {part.hemisphere} has no number after it"
            )
    if prefix and len(parts) == 2 and any(p.hemisphere is None for p in parts):
        raise CoordinateError("location: mixes letters before and after the numbers")
    return parts


def _split_by_units(items: list[Any]) -> list[_Part]:
    """Parts of a pair with no letters and no separator: ``48 35`` or ``48°30' 35°54'``."""
    numbers: list[_Number] = list(items)
    if all(number.unit is None for number in numbers):
        return [_Part([number]) for number in numbers]
    parts: list[_Part] = []
    current: list[_Number] = []
    last_unit = -1
    for number in numbers:
        unit = number.unit if number.unit is not None else last_unit + 1
        if current and (unit == 0 or unit <= last_unit or number.signed):
            parts.append(_Part(current))
            current = []
            unit = number.unit if number.unit is not None else 0
        current.append(number)
        last_unit = unit
    parts.append(_Part(current))
    return parts


def _degrees(part: _Part, label: str) -> tuple[float, int]:
    """The signed degrees a part names, and how many fields it had (1, 2 or 3)."""
    numbers = part.numbers
    if len(numbers) > 3:
        raise CoordinateError(f"location: the {label} has more than degrees, minutes and seconds")
    units: list[int] = []
    for index, number in enumerate(numbers):
        unit = number.unit if number.unit is not None else (units[-1] + 1 if units else 0)
        if unit > 2 or (units and unit <= units[-1]) or (not units and unit != 0):
            names = ", ".join(_UNIT_NAMES[u] for u in [*units, min(unit, 2)])
            raise CoordinateError(f"location: the {label} has its fields out of order ({names})")
        if index > 0 and number.signed:
            raise CoordinateError(f"location: the {label} has a sign inside it")
        units.append(unit)
    for number in numbers[:-1]:
        if number.value != int(number.value) or "." in number.text:
            raise CoordinateError(
                f"location: the {label} has a fraction in {number.text}, which is followed "
                "by a smaller unit; only the last field may have decimals"
            )
    values = [number.value for number in numbers]
    for unit, value in zip(units[1:], values[1:], strict=True):
        if value >= 60:
            raise CoordinateError(
                f"location: the {label} has {_UNIT_NAMES[unit]} {value:g}, which must be below 60"
            )
    total = values[0] + (values[1] / 60 if len(values) > 1 else 0)
    total += values[2] / 3600 if len(values) > 2 else 0
    if not math.isfinite(total):
        raise CoordinateError(f"location: the {label} is not a finite number")
    negative = numbers[0].negative
    if part.hemisphere is not None and numbers[0].signed:
        raise CoordinateError(
            f"location: the {label} has both a sign and a hemisphere letter "
            f"({numbers[0].text[0]} and {part.hemisphere}); use one"
        )
    if part.hemisphere in ("S", "W"):
        negative = True
    return (-total if negative else total), len(values)


def _parse_pair(text: str) -> Location:
    parts = _lex_parts(text)
    if len(parts) == 1 and parts[0].hemisphere is not None and len(parts[0].numbers) > 1:
        raise CoordinateError(
            "location: cannot tell where the latitude ends and the longitude begins; "
            "give each its letter (48.5N 35.9E) or separate them with a comma"
        )
    if len(parts) == 1:
        raise CoordinateError(
            "location: only one coordinate; give latitude and longitude, e.g. 48.5079, 35.9131"
        )
    if len(parts) > 2:
        raise CoordinateError(
            f"location: {len(parts)} coordinates where two are expected (latitude, longitude); "
            "trailing text?"
        )
    first, second = parts
    axes = [_axis(part) for part in parts]
    if axes[0] is not None and axes[0] == axes[1]:
        letters = f"{first.hemisphere} and {second.hemisphere}"
        kind = "north/south" if axes[0] == "lat" else "east/west"
        other = "E or W" if axes[0] == "lat" else "N or S"
        raise CoordinateError(
            f"location: both coordinates have a {kind} letter ({letters}); one must be {other}"
        )
    if axes[0] == "lon" or axes[1] == "lat":
        lat_part, lon_part = second, first
    else:
        lat_part, lon_part = first, second
    lat, lat_fields = _degrees(lat_part, "latitude")
    lon, lon_fields = _degrees(lon_part, "longitude")
    bare = axes == [None, None]
    if abs(lat) > 90:
        if bare and abs(lon) <= 90 and abs(lon) <= 180 and abs(lat) <= 180:
            raise CoordinateError(
                f"location: latitude {_fmt(lat)} is beyond ±90; two bare numbers are read as "
                f"latitude, longitude: did you mean {_fmt(lon)}, {_fmt(lat)}?"
            )
        raise CoordinateError(f"location: latitude {_fmt(lat)} is out of range (-90 to 90)")
    if abs(lon) > 180:
        raise CoordinateError(f"location: longitude {_fmt(lon)} is out of range (-180 to 180)")
    fields = max(lat_fields, lon_fields)
    return Location(lat, lon, ("decimal", "ddm", "dms")[fields - 1])


def _axis(part: _Part) -> str | None:
    if part.hemisphere is None:
        return None
    return "lat" if part.hemisphere in "NS" else "lon"


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if len(text) < 20 else f"{value:.3g}"


# --------------------------------------------------------------------------- MGRS / UPS

_BANDS = "CDEFGHJKLMNPQRSTUVWX"
_COLUMN_SETS = ("STUVWXYZ", "ABCDEFGH", "JKLMNPQR")  # zone % 3 == 0, 1, 2
_ROWS = "ABCDEFGHJKLMNPQRSTUV"
_SQUARE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

_MGRS_SHAPE = re.compile(r"^[0-9]{1,2}\s*[A-Za-z]\s*[A-Za-z]{2}(?![A-Za-z])")
_UPS_SHAPE = re.compile(r"^[ABYZabyz]\s*[A-Za-z]{2}\s*(?:[0-9]|$)")
_MGRS = re.compile(
    r"^(?P<zone>[0-9]{1,2})\s*(?P<band>[A-Za-z])\s*(?P<col>[A-Za-z])(?P<row>[A-Za-z])"
    r"(?:\s*(?P<e>[0-9]+)(?:\s+(?P<n>[0-9]+))?)?$"
)
_UPS = re.compile(
    r"^(?P<band>[ABYZabyz])\s*(?P<col>[A-Za-z])(?P<row>[A-Za-z])"
    r"(?:\s*(?P<e>[0-9]+)(?:\s+(?P<n>[0-9]+))?)?$"
)


def _parse_grid(text: str) -> Location:
    """An MGRS (or polar UPS) reference, validated before and after the library decodes it."""
    match = _MGRS.match(text)
    ups = False
    if match is None:
        match = _UPS.match(text)
        ups = match is not None
    if match is None:
        head = re.match(r"^[0-9]{0,2}\s*[A-Za-z]\s*[A-Za-z]{2}\s*", text)
        rest = text[head.end() :] if head else text
        if re.fullmatch(r"[0-9\s]+", rest):
            raise CoordinateError(
                f"MGRS: digits {_shown(rest)} after the square must be one group or two "
                "of equal length (easting, northing)"
            )
        junk = re.search(r"[^0-9\s].*", rest)
        raise CoordinateError(
            f"MGRS: unexpected text {_shown(junk.group() if junk else text)}; "
            "expected e.g. 37U CQ 12345 67890"
        )
    band = match["band"].upper()
    column, row = match["col"].upper(), match["row"].upper()
    zone = 0 if ups else int(match["zone"])
    reference = (match["zone"] if not ups else "") + band + column + row
    if not ups:
        if not 1 <= zone <= 60:
            raise CoordinateError(f"MGRS: zone {zone} does not exist (1 to 60)")
        if band not in _BANDS:
            raise CoordinateError(
                f"MGRS: latitude band {band} does not exist (C to X without I and O; "
                "A, B, Y, Z are the polar UPS areas, written without a zone number)"
            )
        if band == "X" and zone in (32, 34, 36):
            raise CoordinateError(f"MGRS: zone {zone}X does not exist (the Svalbard exception)")
        if column not in _COLUMN_SETS[zone % 3] or row not in _ROWS:
            raise CoordinateError(
                f"MGRS: 100 km square {column}{row} does not exist in zone {zone} "
                f"(columns {_COLUMN_SETS[zone % 3][0]}-{_COLUMN_SETS[zone % 3][-1]}, "
                "rows A-V without I and O)"
            )
    elif column not in _SQUARE_LETTERS or row not in _SQUARE_LETTERS:
        raise CoordinateError(f"UPS: 100 km square {column}{row} does not exist")
    easting, northing = match["e"] or "", match["n"]
    if len(easting) + len(northing or "") > 10:
        raise CoordinateError(
            f"MGRS: {len(easting) + len(northing or '')} digits after the square; at most 10 (1 m)"
        )
    if northing is not None:
        if len(easting) != len(northing):
            raise CoordinateError(
                f"MGRS: easting {easting} and northing {northing} have different lengths"
            )
        digits = easting + northing
    else:
        digits = easting
    if len(digits) % 2:
        raise CoordinateError(
            f"MGRS: {len(digits)} digits after the square; it needs an even count "
            "(easting and northing of equal length)"
        )
    if len(digits) > 10:
        raise CoordinateError(f"MGRS: {len(digits)} digits after the square; at most 10 (1 m)")
    half = len(digits) // 2
    east, north = digits[:half], digits[half:]
    side = 10.0 ** (5 - half)
    # The library decodes a reference to the centre of its square (it adds half the
    # last digit); the corners, padded to 10 digits, are within half a metre of theirs.
    samples = {"centre": east, "low": east.ljust(5, "0"), "high": east.ljust(5, "9")}
    north_samples = {"centre": north, "low": north.ljust(5, "0"), "high": north.ljust(5, "9")}
    # A square cut by the edge of the grid (84°N, 80°S) has corners the library
    # cannot decode; the others still place it.
    points: dict[tuple[str, str], tuple[float, float]] = {}
    first_error: CoordinateError | None = None
    for e_key, e_val in samples.items():
        for n_key, n_val in north_samples.items():
            try:
                points[(e_key, n_key)] = _decode(reference + e_val + n_val, reference)
            except CoordinateError as exc:
                first_error = first_error or exc
    if not points:
        raise first_error or CoordinateError(f"MGRS: {reference} cannot be decoded")
    claimed = band if ups else f"{zone}{band}"
    if not any(_touches(lat, lon, side, claimed) for lat, lon in points.values()):
        lat, lon = next(iter(points.values()))
        where = _grid_cell(lat, lon)
        raise CoordinateError(
            f"MGRS: square {column}{row} does not lie in {'area' if ups else 'zone'} {claimed} "
            f"(it decodes to {_fmt(lat)}, {_fmt(lon)}, which is in {where})"
        )
    if ("centre", "centre") in points:
        lat, lon = points[("centre", "centre")]
    else:
        lat = sum(p[0] for p in points.values()) / len(points)
        lon = sum(p[1] for p in points.values()) / len(points)
    return Location(lat, lon, "ups" if ups else "mgrs", side)


def _decode(reference: str, shown: str) -> tuple[float, float]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lat, lon = _converter().toLatLon(reference.encode("ascii"))
    except Exception as exc:  # the library raises its own error type and sometimes others
        raise CoordinateError(f"MGRS: {shown} cannot be decoded ({exc})") from None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise CoordinateError(f"MGRS: {shown} cannot be decoded")
    return float(lat), float(lon)


_CONVERTER: mgrs_lib.MGRS | None = None


def _converter() -> mgrs_lib.MGRS:
    global _CONVERTER
    if _CONVERTER is None:
        _CONVERTER = mgrs_lib.MGRS()
    return _CONVERTER


def utm_zone(lat: float, lon: float) -> int:
    """The UTM zone of a point, with the Norway and Svalbard exceptions."""
    lon = ((lon + 180) % 360) - 180
    zone = int((lon + 180) // 6) + 1
    if zone > 60:
        zone = 60
    if 56 <= lat < 64 and 3 <= lon < 12:
        return 32
    if 72 <= lat <= 84 and 0 <= lon < 42:
        if lon < 9:
            return 31
        if lon < 21:
            return 33
        if lon < 33:
            return 35
        return 37
    return zone


def _touches(lat: float, lon: float, side: float, claimed: str) -> bool:
    """Whether the cell ``claimed`` (``37U`` or a UPS letter) lies within ``side`` of a point.

    The samples of a square are its corners and centre as the library decodes them
    to the metre; a square cut by a zone or band edge may have all of them a
    metre across the edge, so the check looks one square's side around each.
    """
    step = max(side, 2.0) / 111_000.0
    lon_step = step / max(math.cos(math.radians(lat)), 0.01)
    for d_lat in (-step, 0.0, step):
        for d_lon in (-lon_step, 0.0, lon_step):
            near_lat = min(90.0, max(-90.0, lat + d_lat))
            near_lon = ((lon + d_lon + 180.0) % 360.0) - 180.0
            if _grid_cell(near_lat, near_lon) == claimed:
                return True
    return False


def _grid_cell(lat: float, lon: float) -> str:
    """The zone and band (``37U``) or the UPS area (``Z``) a point lies in."""
    if lat > 84:
        return "Z" if lon >= 0 else "Y"
    if lat < -80:
        return "B" if lon >= 0 else "A"
    band = _BANDS[min(int((lat + 80) // 8), len(_BANDS) - 1)]
    return f"{utm_zone(lat, lon)}{band}"


def to_mgrs(lat: float, lon: float, digits: int = 5) -> str:
    """``lat, lon`` as a spaced MGRS reference (``37U CQ 12345 67890``), UPS in the polar caps.

    ``digits`` is per axis: 5 is 1 m, 0 names only the 100 km square. The
    reference names the square the point lies in (truncation, as MGRS requires).
    """
    _check_point(lat, lon)
    if not 0 <= digits <= 5:
        raise CoordinateError(f"MGRS: {digits} digits per axis; use 0 to 5")
    if -1e-6 < lat < 0:
        # GeoTrans rounds a northing a hair south of the equator up to 10 000 km and
        # writes a square it cannot decode; 0.1 m south of the equator is on it.
        lat = 0.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = _converter().toMGRS(lat, lon, MGRSPrecision=digits)
    except Exception as exc:
        raise CoordinateError(
            f"MGRS: {_fmt(lat)}, {_fmt(lon)} cannot be converted ({exc})"
        ) from None
    text = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
    match = re.match(r"^([0-9]{0,2}[A-Z])([A-Z]{2})([0-9]*)$", text)
    if match is None:
        raise CoordinateError(f"MGRS: unexpected reference {text!r} from the converter")
    grid, square, numbers = match.groups()
    half = len(numbers) // 2
    pieces = [grid, square] + ([numbers[:half], numbers[half:]] if numbers else [])
    return " ".join(pieces)


def _check_point(lat: float, lon: float) -> None:
    if not (isinstance(lat, (int, float)) and math.isfinite(lat) and -90 <= lat <= 90):
        raise CoordinateError(f"latitude {lat!r} is out of range (-90 to 90)")
    if not (isinstance(lon, (int, float)) and math.isfinite(lon) and -180 <= lon <= 180):
        raise CoordinateError(f"longitude {lon!r} is out of range (-180 to 180)")


# --------------------------------------------------------------------------- writing


def _dms(value: float, positive: str, negative: str) -> str:
    tenths = round(abs(value) * 36000)
    degrees, rest = divmod(tenths, 36000)
    minutes, tenths_of_seconds = divmod(rest, 600)
    seconds = tenths_of_seconds / 10
    letter = negative if value < 0 and tenths else positive
    return f"{degrees}°{minutes:02d}'{seconds:04.1f}\"{letter}"


def format_dms(lat: float, lon: float) -> str:
    """``48°30'28.4"N 35°54'47.2"E``: tenths of a second, about 3 m, as people write it."""
    _check_point(lat, lon)
    return f"{_dms(lat, 'N', 'S')} {_dms(lon, 'E', 'W')}"


def format_decimal(lat: float, lon: float) -> str:
    """``48.507900, 35.913100``: six decimals (about 0.1 m), latitude first."""
    _check_point(lat, lon)
    return f"{lat:.6f}, {lon:.6f}"


def location_json(loc: Location) -> dict[str, Any]:
    """The location for ``--json`` output and reports: numbers and the written forms."""
    return {
        "lat": loc.lat,
        "lon": loc.lon,
        "decimal": format_decimal(loc.lat, loc.lon),
        "dms": format_dms(loc.lat, loc.lon),
        "mgrs": to_mgrs(loc.lat, loc.lon),
        "format": loc.format,
        "precision_m": loc.precision_m,
    }


# --------------------------------------------------------------------------- map links


def _parse_geo_uri(text: str) -> Location:
    """A ``geo:lat,lon[,alt][;params]`` URI (RFC 5870), what phones share."""
    match = re.fullmatch(
        r"(?i)geo:\s*(-?[0-9]+(?:\.[0-9]+)?)\s*,\s*(-?[0-9]+(?:\.[0-9]+)?)"
        r"(?:,-?[0-9]+(?:\.[0-9]+)?)?(?:;[A-Za-z0-9\-]+=[A-Za-z0-9\-.!~*'()%]+)*(?:\?.*)?",
        text,
    )
    if match is None:
        raise CoordinateError("geo URI: expected geo:LAT,LON, e.g. geo:48.5079,35.9131")
    found = _parse_pair(f"{match[1]}, {match[2]}")
    return Location(found.lat, found.lon, "url")


def _parse_url(text: str) -> Location:
    """The point a Google Maps or OpenStreetMap link carries, preferring a pin to the view."""
    if re.search(r"\s", text.strip()):
        raise CoordinateError("map link: contains spaces; paste the link alone")
    address = text if "://" in text else "https://" + text
    try:
        parts = urlsplit(address)
        query = parse_qs(parts.query, keep_blank_values=True)
    except ValueError as exc:
        raise CoordinateError(f"map link: cannot be read ({exc})") from None
    path = unquote_plus(parts.path)
    host = (parts.hostname or "").lower()
    if "/dir/" in path or "dir_action" in query or "daddr" in query:
        raise CoordinateError(
            "map link: directions hold several points; paste a link to the one place"
        )
    if host.endswith("goo.gl") or host == "g.co":
        raise CoordinateError(
            "map link: a short link carries no coordinates; open it and paste the full address"
        )
    candidates: list[tuple[str, str]] = []
    pin = re.search(r"!3d(-?[0-9.]+)!4d(-?[0-9.]+)", address)
    if pin:
        candidates.append(("!3d/!4d", f"{pin[1]}, {pin[2]}"))
    if "mlat" in query and "mlon" in query:
        candidates.append(("mlat/mlon", f"{query['mlat'][0]}, {query['mlon'][0]}"))
    for key in ("q", "query", "ll", "center"):
        if key in query:
            # "loc:" is how Google Maps marks a query that is a coordinate, not a name.
            candidates.append((key, re.sub(r"(?i)^loc:", "", query[key][0].strip())))
    place = re.search(r"/(?:place|search)/([^/@]+)", path)
    if place:
        candidates.append(("place", place[1]))
    view = re.search(r"@(-?[0-9.]+),(-?[0-9.]+)", path)
    if view:
        candidates.append(("@", f"{view[1]}, {view[2]}"))
    fragment = re.search(r"map=[0-9.]+/(-?[0-9.]+)/(-?[0-9.]+)", parts.fragment)
    if fragment:
        candidates.append(("#map", f"{fragment[1]}, {fragment[2]}"))
    first_error: CoordinateError | None = None
    for name, value in candidates:
        try:
            found = _parse_pair(_clean(value))
        except CoordinateError as exc:
            if name in ("q", "query", "place"):
                continue  # a place name, not a coordinate; look further
            first_error = first_error or CoordinateError(
                f"map link: {name} {_shown(value)}: {exc.reason.removeprefix('location: ')}"
            )
            continue
        return Location(found.lat, found.lon, "url")
    if first_error is not None:
        raise first_error
    raise CoordinateError(
        "map link: no coordinates in it (looked for !3d…!4d…, mlat/mlon, q, query, ll, "
        "@lat,lon and #map=)"
    )
