"""Places: converting a pasted coordinate (``verifier coords``).

``coords`` is a calculator: it reads one location in any form
:func:`verifier.geo.coords.parse_location` accepts and prints it in every form
geolocators exchange, with map links. It opens no case and no database, so it
works before anything is set up and records nothing. Commands that record
geolocation findings belong in this module too, beside it.
"""

from __future__ import annotations

from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import cli, json_option
from verifier.geo.coords import Location, location_json, parse_location
from verifier.geo.maps import map_links

# How each form is described on the "Read as" line.
_FORMAT_NAMES = {
    "decimal": "decimal degrees",
    "dms": "degrees, minutes, seconds",
    "ddm": "degrees and decimal minutes",
    "mgrs": "MGRS",
    "ups": "MGRS (UPS, polar)",
    "url": "map link",
}


def coords_json(loc: Location) -> dict[str, Any]:
    """What ``coords --json`` prints: the location's forms and its map links."""
    return {
        **location_json(loc),
        "links": {link.name: link.url for link in map_links(loc.lat, loc.lon)},
    }


def _read_as(loc: Location) -> str:
    name = _FORMAT_NAMES.get(loc.format, loc.format)
    if loc.precision_m is not None:
        side = loc.precision_m
        size = f"{side / 1000:g} km" if side >= 1000 else f"{side:g} m"
        return f"{name}: a square of {size} a side, shown at its centre"
    if loc.format in ("decimal", "dms", "ddm"):
        return f"{name} (latitude first unless a letter says otherwise)"
    return name


@cli.command(
    "coords",
    # A southern or western coordinate starts with "-": it is text, not an option.
    context_settings={"ignore_unknown_options": True},
)
@click.argument("text", nargs=-1, required=True)
@json_option
def coords_cmd(text: tuple[str, ...], as_json: bool) -> None:
    """Convert one location to decimal degrees, DMS and MGRS, with map links; stores nothing.

    TEXT is what you would paste: 48.5079, 35.9131 | 48.5079N 35.9131E |
    48°30'28.4"N 35°54'47.2"E | 48°30.473'N 35°54.787'E | 37U CQ 12345 67890 |
    a Google Maps or OpenStreetMap link. Two bare numbers are latitude, longitude.
    Quote it, or write it after -- when it starts with a minus sign.
    """
    loc = parse_location(" ".join(text))
    data = coords_json(loc)
    if as_json:
        render.print_json(data)
        return
    rows = [
        ("Decimal", data["decimal"]),
        ("DMS", data["dms"]),
        ("MGRS", data["mgrs"]),
        ("Read as", _read_as(loc)),
        *data["links"].items(),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        render.out.print(
            f"{label:<{width}}  {value}", markup=False, highlight=False, soft_wrap=True
        )
