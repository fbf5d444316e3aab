"""Geolocation findings: validation, custody events, metadata GPS proposals, CLI, exports."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.ids import ClipId, GeolocationId
from verifier.services import annotations, geolocation
from verifier.services.analysis import reanalyse
from verifier.services.context import App
from verifier.services.geolocation import ReferenceImage
from verifier.services.verification import verify

AT = (48.5079, 35.9131)


def _add(app: App, clip: int, **kwargs: object) -> dict:
    args: dict = {
        "at": AT,
        "precision_m": 25,
        "confidence": "probable",
        "method": "satellite-imagery",
        "reasoning": "road bend and two silos",
    }
    args.update(kwargs)
    return geolocation.add_geolocation(app, str(clip), **args)


def _events(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        query = select(CustodyEvent).where(CustodyEvent.action == action)
        return list(session.scalars(query.order_by(CustodyEvent.seq)))


@pytest.fixture
def clip(app: App, fixture_dir: Path) -> int:
    """cut.mp4, analysed (its frames are counted), in case "A"."""
    return import_one(app, fixture_dir / "cut.mp4")


def test_add_records_the_finding_and_its_evidence(app: App, clip: int, tmp_path: Path) -> None:
    note = annotations.add_annotation(app, clip, 10, (5, 5, 40, 30), "landmark", "silo")
    image = tmp_path / "maxar-2024-03-01.jpg"
    image.write_bytes(b"\xff\xd8 satellite picture bytes")
    added = _add(app, clip, frames=[10, 3], annotations=[note["id"]], place="Kupiansk",
                 references=[ReferenceImage(image, "Maxar", "2024-03-01")])  # fmt: skip
    assert (added["lat"], added["lon"], added["precision_m"]) == (48.5079, 35.9131, 25.0)
    assert added["method"] == "satellite imagery" and added["confidence"] == "probable"
    assert (added["origin"], added["status"], added["place"]) == ("manual", "confirmed", "Kupiansk")
    assert added["frames"] == [3, 10] and added["annotations"] == [note["id"]]
    [ref] = added["references"]
    assert ref["sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
    assert (ref["provider"], ref["captured"], ref["name"]) == ("Maxar", "2024-03-01", image.name)
    stored = app.store.path_for(ref["sha256"])
    assert stored.read_bytes() == image.read_bytes()
    assert not os.stat(stored).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with app.db.read() as session:
        row = session.get(StoredFile, ref["file_id"])
        assert row is not None and (row.role, row.kind) == ("reference-image", "reference")
    assert [m["name"] for m in added["map_links"]] == ["OpenStreetMap", "Google Maps"]
    assert "mlat=48.507900&mlon=35.913100" in added["map_links"][0]["url"]
    [event] = _events(app, "geolocation.add")
    assert (event.target_type, event.target_id) == ("clip", str(clip))
    assert event.details["geolocation"]["reasoning"] == "road bend and two silos"
    assert set(event.details["state"]) == {f"geolocation:{added['id']}", f"file:{ref['file_id']}"}
    assert verify(app).ok


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": "certain"}, "--confidence: unknown confidence 'certain'"),
        ({"method": "dowsing"}, "--method: unknown method 'dowsing'"),
        ({"precision_m": 0}, "--precision: the radius must be more than 0 metres"),
        ({"precision_m": -5}, "--precision"),
        ({"reasoning": " "}, "--reasoning"),
        ({"frames": [10_000]}, "--frame: frame 10000 is out of range"),
        ({"frames": [-1]}, "--frame: frame -1 is out of range"),
        ({"annotations": [424242]}, "--annotation: no annotation #424242"),
        ({"at": (91.0, 10.0)}, "--at: latitude 91 is outside"),
        ({"references": [ReferenceImage(Path("/nonexistent.jpg"), "Maxar", "2024-01-01")]},
         "--reference: /nonexistent.jpg is not a readable file"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_the_field_named(
    app: App, clip: int, kwargs: dict, message: str
) -> None:
    with pytest.raises(VerifierError, match=message):
        _add(app, clip, **kwargs)
    assert geolocation.list_geolocations(app, str(clip)) == []


def test_reference_needs_provider_and_a_date(app: App, clip: int, tmp_path: Path) -> None:
    image = tmp_path / "ref.png"
    image.write_bytes(b"png")
    with pytest.raises(VerifierError, match="--reference-date: '1st of May' is not a date"):
        _add(app, clip, references=[ReferenceImage(image, "Google", "1st of May")])
    with pytest.raises(VerifierError, match="--reference-provider"):
        _add(app, clip, references=[ReferenceImage(image, " ", "2024-05")])


def test_an_annotation_of_another_clip_is_refused(app: App, clip: int, fixture_dir: Path) -> None:
    other = import_one(app, fixture_dir / "static_a.mp4")
    note = annotations.add_annotation(app, other, 0, (1, 1, 10, 10), "building")
    with pytest.raises(VerifierError, match=f"no annotation #{note['id']} on clip #{clip}"):
        _add(app, clip, annotations=[note["id"]])


def test_methods_accept_the_cli_spellings() -> None:
    assert geolocation.parse_method("street-level-imagery") == "street-level imagery"
    assert geolocation.parse_method("Terrain_or_Horizon") == "terrain or horizon"
    assert geolocation.parse_method("metadata-gps") == "metadata GPS"


def test_edit_and_delete_keep_old_and_new_values(app: App, clip: int) -> None:
    added = _add(app, clip)
    ident = GeolocationId(added["id"])
    edited = geolocation.edit_geolocation(app, ident, at=(48.51, 35.92), confidence="confirmed")
    assert (edited["lat"], edited["lon"], edited["confidence"]) == (48.51, 35.92, "confirmed")
    [event] = _events(app, "geolocation.edit")
    assert (event.details["before"]["lat"], event.details["after"]["lat"]) == (48.5079, 48.51)
    with pytest.raises(VerifierError, match="after you opened it"):
        geolocation.edit_geolocation(app, ident, expected_version=added["version"], place="x")
    geolocation.delete_geolocation(app, ident, expected_version=edited["version"])
    [gone] = _events(app, "geolocation.delete")
    assert gone.details["deleted"]["confidence"] == "confirmed"
    assert gone.details["state"] == {f"geolocation:{ident}": None}
    assert verify(app).ok


def test_sql_edit_of_a_finding_is_caught(app: App, clip: int) -> None:
    added = _add(app, clip)
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE geolocations SET precision_m = 5000 WHERE id = :i"),
                     {"i": added["id"]})  # fmt: skip
    assert any(f"geolocation #{added['id']}" in p.message for p in verify(app).problems)


# -- metadata GPS ------------------------------------------------------------------


def test_gps_in_the_file_is_proposed_once_and_a_rejection_stands(
    app: App, fixture_dir: Path
) -> None:
    clip = import_one(app, fixture_dir / "meta.mp4")
    [proposal] = geolocation.list_geolocations(app, str(clip))
    assert (proposal["method"], proposal["confidence"]) == ("metadata GPS", "possible")
    assert (proposal["origin"], proposal["status"]) == ("metadata", "proposed")
    assert (proposal["lat"], proposal["lon"]) == (pytest.approx(50.4501), pytest.approx(30.5234))
    assert len(_events(app, "geolocation.propose")) == 1
    reanalyse(app, ClipId(clip))
    assert [g["id"] for g in geolocation.list_geolocations(app, str(clip))] == [proposal["id"]]
    rejected = geolocation.reject_geolocation(app, GeolocationId(proposal["id"]))
    assert (rejected["status"], rejected["confidence"]) == ("rejected", "rejected")
    reanalyse(app, ClipId(clip))
    [still] = geolocation.list_geolocations(app, str(clip))
    assert (still["id"], still["status"]) == (proposal["id"], "rejected")
    assert len(_events(app, "geolocation.propose")) == 1
    assert verify(app).ok


def test_a_person_confirms_a_gps_proposal(app: App, fixture_dir: Path) -> None:
    clip = import_one(app, fixture_dir / "still.jpg")
    [proposal] = geolocation.list_geolocations(app, str(clip))
    assert proposal["status"] == "proposed"
    done = geolocation.confirm_geolocation(app, GeolocationId(proposal["id"]))
    assert (done["status"], done["confidence"]) == ("confirmed", "possible")
    [event] = _events(app, "geolocation.confirm")
    assert (event.details["before"]["status"], event.details["after"]["status"]) == (
        "proposed", "confirmed")  # fmt: skip


def test_a_clip_without_gps_gets_no_proposal(app: App, clip: int) -> None:
    assert geolocation.list_geolocations(app, str(clip)) == []


# -- CLI -----------------------------------------------------------------------------


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def test_cli_geo_commands(app: App, clip: int, settings: Settings, tmp_path: Path) -> None:
    image = tmp_path / "streetview.jpg"
    image.write_bytes(b"street-level picture")
    code, out = _run(settings, "geo", "add", str(clip), "--at", "48.5079, 35.9131",
                     "--precision", "30", "--confidence", "probable",
                     "--method", "street-level-imagery", "--reasoning", "shop sign and kerb",
                     "--place", "Izium", "--frame", "4", "--reference", str(image),
                     "--reference-provider", "Google Street View",
                     "--reference-date", "2021-07")  # fmt: skip
    assert code == 0, out
    assert "48.507900, 35.913100 ±30 m — Izium" in out
    assert "OpenStreetMap: https://www.openstreetmap.org/?mlat=48.507900&mlon=35.913100" in out
    assert "Google Maps: https://www.google.com/maps/search/?api=1&query=48.507900,35.913100" in out
    code, out = _run(settings, "geo", "list", str(clip), "--json")
    [row] = json.loads(out)
    assert row["method"] == "street-level imagery" and row["frames"] == [4]
    assert row["references"][0]["provider"] == "Google Street View"
    code, out = _run(settings, "geo", "edit", str(row["id"]), "--confidence", "confirmed")
    assert code == 0 and "confirmed" in out
    code, out = _run(settings, "geo", "reject", str(row["id"]))
    assert code == 0
    code, out = _run(settings, "geo", "delete", str(row["id"]))
    assert code == 0 and f"Geolocation #{row['id']} deleted." in out
    code, out = _run(settings, "geo", "list")
    assert "No geolocation findings." in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--confidence", "sure"], "--confidence: unknown confidence 'sure'"),
        (["--method", "guess"], "--method: unknown method 'guess'"),
        (["--precision", "0"], "--precision: the radius must be more than 0 metres"),
        (["--frame", "99999"], "--frame: frame 99999 is out of range"),
        (["--at", "48.5N 35.9N"], "--at:"),
    ],
)
def test_cli_geo_add_errors(
    app: App, clip: int, settings: Settings, args: list[str], message: str
) -> None:
    base = {"--at": "48.5079, 35.9131", "--precision": "30", "--confidence": "probable",
            "--method": "landmark", "--reasoning": "r"}  # fmt: skip
    flat = [x for pair in base.items() for x in pair]
    # Given again, a single-valued option takes the last value.
    code, out = _run(settings, "geo", "add", str(clip), *flat, *args)
    assert code == 1, out
    assert message in out and "Traceback" not in out


def test_cli_unknown_clip(app: App, settings: Settings) -> None:
    code, out = _run(settings, "geo", "add", "777", "--at", "1, 2", "--precision", "5",
                     "--confidence", "possible", "--method", "other",
                     "--reasoning", "r")  # fmt: skip
    assert code == 1 and "no clip with id 777" in out


def test_export_round_trips_the_coordinates(
    app: App, clip: int, settings: Settings, tmp_path: Path
) -> None:
    _add(app, clip, place="Silos")
    _add(app, clip, at=(-33.86, 151.21), precision_m=500, confidence="possible", method="other")
    geojson, kml = tmp_path / "case.geojson", tmp_path / "case.kml"
    code, out = _run(settings, "geo", "export", "--geojson", str(geojson))
    assert code == 0, out
    doc = json.loads(geojson.read_text())
    points = sorted(
        tuple(f["geometry"]["coordinates"]) for f in _point_features(doc)
    )  # fmt: skip
    assert points == [(35.9131, 48.5079), (151.21, -33.86)]
    code, out = _run(settings, "geo", "export", "--kml", str(kml))
    assert code == 0, out
    from xml.etree import ElementTree

    tree = ElementTree.parse(kml)
    texts = [el.text.split() for el in tree.iter() if el.tag.endswith("coordinates") and el.text]
    kml_points = sorted(
        tuple(float(v) for v in t[0].split(",")[:2]) for t in texts if len(t) == 1
    )  # the rings of the precision circles have many vertices
    assert kml_points == [(35.9131, 48.5079), (151.21, -33.86)]
    # The circle of the 500 m finding: every vertex about 500 m from its centre.
    [ring] = [t for t in texts if len(t) > 1 and t[0].startswith("151.")]
    from verifier.services.incidents import distance_m

    for vertex in ring:
        lon, lat = (float(v) for v in vertex.split(",")[:2])
        assert distance_m(-33.86, 151.21, lat, lon) == pytest.approx(500, rel=0.01)
    code, out = _run(settings, "geo", "export")
    assert code == 1 and "exactly one of --kml FILE or --geojson FILE" in out


def _point_features(doc: dict) -> list[dict]:
    """The point features of an export (the precision circles are polygons)."""
    features = doc.get("features", [])
    found = []
    for f in features:
        geometry = f["geometry"]
        if geometry["type"] == "Point":
            found.append(f)
        elif geometry["type"] == "GeometryCollection":
            found += [{"geometry": g} for g in geometry["geometries"] if g["type"] == "Point"]
    return found
