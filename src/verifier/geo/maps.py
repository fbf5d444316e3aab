"""Links that open a point in the web maps investigators check a place in.

Every place the tool shows (a GPS tag, a geolocation finding) offers these, so
a reader can look at the spot in OpenStreetMap and in Google Maps without
retyping digits; a retyped coordinate is how a location silently moves.
"""

from __future__ import annotations

from dataclasses import dataclass

# Street level: close enough to see buildings and roads around the point.
DEFAULT_ZOOM = 17


def _fixed(value: float) -> str:
    """Six decimals (about 0.1 m), the precision every map link carries."""
    return f"{value:.6f}"


def osm_url(lat: float, lon: float, zoom: int = DEFAULT_ZOOM) -> str:
    """OpenStreetMap with a marker on the point."""
    la, lo = _fixed(lat), _fixed(lon)
    return f"https://www.openstreetmap.org/?mlat={la}&mlon={lo}#map={zoom}/{la}/{lo}"


def google_maps_url(lat: float, lon: float) -> str:
    """Google Maps searching for the point (it drops a pin there)."""
    return f"https://www.google.com/maps/search/?api=1&query={_fixed(lat)},{_fixed(lon)}"


@dataclass(frozen=True)
class MapLink:
    """One named link, for a button or a line of a report."""

    name: str
    url: str


def map_links(lat: float, lon: float) -> tuple[MapLink, ...]:
    """The point in every map the tool offers, in the order they are shown."""
    return (
        MapLink("OpenStreetMap", osm_url(lat, lon)),
        MapLink("Google Maps", google_maps_url(lat, lon)),
    )
