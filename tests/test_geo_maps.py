"""Map links carry the point itself, with the sign and six decimals intact."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from verifier.geo.maps import google_maps_url, map_links, osm_url


def test_osm_link_puts_the_marker_on_the_point() -> None:
    url = urlsplit(osm_url(48.5079, 35.9131))
    assert url.netloc == "www.openstreetmap.org"
    query = parse_qs(url.query)
    assert query == {"mlat": ["48.507900"], "mlon": ["35.913100"]}
    assert url.fragment == "map=17/48.507900/35.913100"


def test_google_link_keeps_southern_and_western_signs() -> None:
    query = parse_qs(urlsplit(google_maps_url(-33.86, -151.21)).query)
    assert query["query"] == ["-33.860000,-151.210000"]


def test_every_point_gets_both_maps() -> None:
    assert [link.name for link in map_links(0.0, 0.0)] == ["OpenStreetMap", "Google Maps"]
