"""Typed links between clips and the incidents they make: semantics, custody, CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import Chronolocation, ClipLink, CustodyEvent, Geolocation
from verifier.errors import VerifierError
from verifier.evidence import state
from verifier.ids import ClipId, LinkId
from verifier.services import cases, incidents, links
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.matching import list_matches, match_clip
from verifier.services.verification import verify

NAMES = ("cut.mp4", "static_a.mp4", "static_b.mp4", "black.mp4")


@dataclass
class Four:
    app: App
    case: cases.CaseRecord
    a: int
    b: int
    c: int
    d: int


@pytest.fixture
def four(settings: Settings, fixture_dir: Path) -> Iterator[Four]:
    """Four unrelated clips in case "L", imported without analysis (fast)."""
    app = open_app(settings)
    try:
        case = cases.create_case(app, "L")
        report = import_paths(app, [fixture_dir / n for n in NAMES], case, analyse=False)
        ids = [i.clip_id for i in report.items]
        assert all(ids)
        yield Four(app, case, *ids)  # type: ignore[arg-type]
    finally:
        app.close()


def _events(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        return list(
            session.scalars(
                select(CustodyEvent).where(CustodyEvent.action == action).order_by(CustodyEvent.seq)
            )
        )


def test_add_records_the_link_with_its_values(four: Four) -> None:
    made = links.add_link(
        four.app, str(four.a), str(four.b), "Same Incident", "two drones, one from each side",
        offset=-2.5, confidence="probable",
    )  # fmt: skip
    assert (made["type"], made["status"], made["origin"]) == (
        "same-incident",
        "confirmed",
        "manual",
    )
    assert made["offset"] == -2.5 and made["confidence"] == "probable"
    assert (made["clip_a"]["id"], made["clip_b"]["id"]) == (four.a, four.b)
    [event] = _events(four.app, "link.add")
    assert event.target_type == "link" and event.target_id == str(made["id"])
    assert event.details["link"]["rationale"] == "two drones, one from each side"
    assert event.details["state"] == {
        f"link:{made['id']}": event.details["state"][f"link:{made['id']}"]
    }
    assert verify(four.app).ok


def test_symmetric_duplicate_is_refused_in_either_order(four: Four) -> None:
    links.add_link(four.app, str(four.a), str(four.b), "same-location", "same water tower")
    for x, y in ((four.a, four.b), (four.b, four.a)):
        with pytest.raises(VerifierError, match="already have a same-location link"):
            links.add_link(four.app, str(x), str(y), "same-location", "again")
    # Another type between the same pair is another claim.
    links.add_link(four.app, str(four.b), str(four.a), "contradicts", "different season")


def test_directional_links_keep_their_order(four: Four) -> None:
    first = links.add_link(four.app, str(four.a), str(four.b), "continuation", "B starts as A ends")
    assert first["directional"] and first["clip_a"]["id"] == four.a
    with pytest.raises(VerifierError, match="already have a continuation link"):
        links.add_link(four.app, str(four.a), str(four.b), "continuation", "again")
    back = links.add_link(four.app, str(four.b), str(four.a), "continuation", "the reverse claim")
    assert (back["clip_a"]["id"], back["clip_b"]["id"]) == (four.b, four.a)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"link_type_text": "sibling"}, "--type: unknown link type 'sibling'"),
        ({"confidence": "sure"}, "--confidence: unknown confidence 'sure'"),
        ({"rationale": "  "}, "--rationale"),
        ({"offset": float("nan")}, "--offset"),
    ],
)
def test_bad_link_input_is_refused(four: Four, kwargs: dict, message: str) -> None:
    args = {"link_type_text": "same-incident", "rationale": "why", **kwargs}
    with pytest.raises(VerifierError, match=message):
        links.add_link(four.app, str(four.a), str(four.b), args.pop("link_type_text"),
                       args.pop("rationale"), **args)  # fmt: skip


def test_a_clip_cannot_link_to_itself(four: Four) -> None:
    with pytest.raises(VerifierError, match="cannot be linked to itself"):
        links.add_link(four.app, str(four.a), str(four.a), "same-incident", "x")


def test_evidence_annotations_must_belong_to_the_linked_clips(four: Four) -> None:
    with pytest.raises(VerifierError, match="no annotation #99"):
        links.add_link(four.app, str(four.a), str(four.b), "same-incident", "x",
                       evidence={"annotations": [99]})  # fmt: skip
    with pytest.raises(VerifierError, match="not a landmark or sync figure"):
        links.add_link(four.app, str(four.a), str(four.b), "same-incident", "x",
                       evidence={"figures": [1]})  # fmt: skip


def test_confirm_reject_edit_delete_are_logged_with_old_and_new_values(four: Four) -> None:
    made = links.add_link(four.app, str(four.a), str(four.b), "same-incident", "first thought")
    link_id = LinkId(made["id"])
    rejected = links.reject_link(four.app, link_id)
    assert rejected["status"] == "rejected" and rejected["version"] == made["version"] + 1
    [event] = _events(four.app, "link.reject")
    assert (event.details["before"]["status"], event.details["after"]["status"]) == (
        "confirmed", "rejected")  # fmt: skip
    links.confirm_link(four.app, link_id)
    edited = links.edit_link(four.app, link_id, rationale="second thought", offset=1.25)
    [edit] = _events(four.app, "link.edit")
    assert edit.details["before"]["rationale"] == "first thought"
    assert edit.details["after"]["rationale"] == "second thought"
    assert edit.details["after"]["offset"] == 1.25
    with pytest.raises(VerifierError, match=r"was changed .* after you opened it"):
        links.edit_link(four.app, link_id, expected_version=made["version"], rationale="stale")
    links.delete_link(four.app, link_id, expected_version=edited["version"])
    [gone] = _events(four.app, "link.delete")
    assert gone.details["deleted"]["rationale"] == "second thought"
    assert gone.details["state"] == {f"link:{link_id}": None}
    assert links.list_links(four.app, case=four.case) == []
    assert verify(four.app).ok


def test_save_alignment_stores_the_offset_found_by_eye(four: Four) -> None:
    saved = links.save_alignment(four.app, ClipId(four.a), ClipId(four.c), 3.2)
    assert saved["type"] == "aligned" and saved["offset"] == 3.2
    assert "by eye" in saved["rationale"]
    typed = links.save_alignment(four.app, ClipId(four.a), ClipId(four.c), -1.0, "same-incident",
                                 "same explosion")  # fmt: skip
    assert typed["type"] == "same-incident" and typed["rationale"] == "same explosion"


def test_sql_edit_of_a_link_is_caught(four: Four) -> None:
    made = links.add_link(four.app, str(four.a), str(four.b), "same-incident", "x")
    with four.app.db.engine.begin() as conn:
        conn.execute(text("UPDATE clip_links SET status = 'rejected' WHERE id = :i"),
                     {"i": made["id"]})  # fmt: skip
    report = verify(four.app)
    assert any(f"link #{made['id']}" in p.message for p in report.problems)


def test_older_links_keep_their_canonical_state() -> None:
    """A link as stored before 0005 (status proposed, no confidence or evidence)
    hashes exactly the fields it was hashed with then, so `verify` stays clean."""
    link = ClipLink(id=7, clip_a_id=1, clip_b_id=2, relation="excerpt", origin="auto", score=0.9,
                    offset_seconds=1.0, rationale="r", details={}, created_by="x",
                    created_at=datetime(2024, 1, 1, tzinfo=UTC), status="proposed",
                    confidence=None, evidence=None)  # fmt: skip
    doc = json.loads(state.canonical_state(link))
    assert not {"status", "confidence", "evidence"} & set(doc)
    link.status = "rejected"
    assert json.loads(state.canonical_state(link))["status"] == "rejected"


# -- incidents ---------------------------------------------------------------


def _ids(listing: dict) -> list[list[int]]:
    return [[c["id"] for c in doc["clips"]] for doc in listing["incidents"]]


def test_incidents_are_components_over_the_right_link_types(four: Four) -> None:
    app = four.app
    links.add_link(app, str(four.a), str(four.b), "same-incident", "two drones")
    links.add_link(app, str(four.c), str(four.d), "same-location", "same square, other day")
    assert _ids(incidents.list_incidents(app, four.case)) == [[four.a, four.b]]
    cont = links.add_link(app, str(four.b), str(four.c), "continuation", "C picks up")
    assert _ids(incidents.list_incidents(app, four.case)) == [[four.a, four.b, four.c]]
    links.reject_link(app, LinkId(cont["id"]))
    assert _ids(incidents.list_incidents(app, four.case)) == [[four.a, four.b]]
    # A re-upload joins only once confirmed (a person asserting one confirms it).
    with app.db.write() as session:
        session.add(ClipLink(clip_a_id=four.c, clip_b_id=four.d, relation="near-duplicate",
                             origin="auto", status="proposed", created_by="m"))  # fmt: skip
    assert _ids(incidents.list_incidents(app, four.case)) == [[four.a, four.b]]
    links.add_link(app, str(four.d), str(four.b), "re-upload", "same bytes re-encoded")
    assert _ids(incidents.list_incidents(app, four.case)) == [[four.a, four.b, four.d]]


def test_a_named_incident_keeps_its_name_when_a_clip_joins(four: Four) -> None:
    app = four.app
    links.add_link(app, str(four.a), str(four.b), "same-incident", "two drones")
    [doc] = incidents.list_incidents(app, four.case)["incidents"]
    assert doc["id"] is None and doc["ref"] == f"clip:{four.a}"
    named = incidents.name_incident(app, doc["ref"], "Bridge strike", case=four.case)
    [event] = _events(app, "incident.name")
    assert event.details["after"]["name"] == "Bridge strike" and event.details["before"] is None
    links.add_link(app, str(four.c), str(four.b), "same-incident", "third angle")
    [doc] = incidents.list_incidents(app, four.case)["incidents"]
    assert doc["name"] == "Bridge strike" and doc["id"] == named["id"]
    assert [c["id"] for c in doc["clips"]] == [four.a, four.b, four.c]
    renamed = incidents.name_incident(app, str(named["id"]), "Strike on the bridge",
                                      case=four.case)  # fmt: skip
    assert renamed["clip_ids"] == [four.a, four.b, four.c]
    [_, second] = _events(app, "incident.name")
    assert second.details["before"]["name"] == "Bridge strike"
    described = incidents.describe_incident(app, str(named["id"]), "At dawn", case=four.case)
    assert described["description"] == "At dawn"
    assert verify(app).ok


def test_sql_edit_of_an_incident_name_is_caught(four: Four) -> None:
    links.add_link(four.app, str(four.a), str(four.b), "same-incident", "x")
    named = incidents.name_incident(four.app, f"clip:{four.a}", "North", case=four.case)
    assert verify(four.app).ok
    with four.app.db.engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET name = 'South' WHERE id = :i"), {"i": named["id"]})
    report = verify(four.app)
    assert any(f"incident #{named['id']}" in p.message for p in report.problems)


def test_naming_refuses_a_clip_in_no_incident(four: Four) -> None:
    with pytest.raises(VerifierError, match=f"clip #{four.c} is in no incident"):
        incidents.name_incident(four.app, f"clip:{four.c}", "Lonely", case=four.case)
    with pytest.raises(VerifierError, match="give an incident id or clip:N"):
        incidents.name_incident(four.app, "bridge", "X", case=four.case)


def test_merging_two_named_incidents_is_reported(four: Four) -> None:
    app = four.app
    links.add_link(app, str(four.a), str(four.b), "same-incident", "x")
    links.add_link(app, str(four.c), str(four.d), "same-incident", "y")
    incidents.name_incident(app, f"clip:{four.a}", "North", case=four.case)
    incidents.name_incident(app, f"clip:{four.c}", "South", case=four.case)
    links.add_link(app, str(four.b), str(four.c), "continuation", "z")
    listing = incidents.list_incidents(app, four.case)
    [doc] = listing["incidents"]
    assert doc["name"] == "North" and [m["name"] for m in doc["merged"]] == ["South"]
    assert [w["code"] for w in listing["warnings"]] == ["incidents-merged"]


def _place_and_time(app: App, clip: int, lat: float, lon: float, day: int) -> None:
    with app.db.write() as session:
        session.add(
            Geolocation(
                clip_id=clip,
                latitude=lat,
                longitude=lon,
                precision_m=50,
                confidence="probable",
                method="landmark",
                created_by="t",
            )
        )
        session.add(
            Chronolocation(
                clip_id=clip,
                earliest=datetime(2024, 3, day, 6, tzinfo=UTC),
                latest=datetime(2024, 3, day, 9, tzinfo=UTC),
                created_by="t",
            )
        )


def test_warning_for_nearby_overlapping_clips_without_a_link(four: Four) -> None:
    app = four.app
    _place_and_time(app, four.a, 48.5079, 35.9131, 2)
    _place_and_time(app, four.b, 48.5120, 35.9131, 2)  # 456 m north
    _place_and_time(app, four.c, 48.5079, 35.9131, 9)  # same place, a week later
    _place_and_time(app, four.d, 48.6079, 35.9131, 2)  # 11 km away
    [warning] = incidents.list_incidents(app, four.case)["warnings"]
    assert warning["code"] == "nearby-unlinked"
    assert [c["id"] for c in warning["clips"]] == [four.a, four.b]
    assert warning["distance_m"] == pytest.approx(456, abs=2)
    links.add_link(app, str(four.a), str(four.b), "same-location", "checked: other event")
    assert incidents.list_incidents(app, four.case)["warnings"] == []


def test_distance_is_great_circle() -> None:
    # One degree of latitude is about 111.2 km anywhere.
    assert incidents.distance_m(10, 20, 11, 20) == pytest.approx(111_195, rel=1e-3)


# -- CLI -----------------------------------------------------------------------


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def test_cli_link_commands(four: Four, settings: Settings) -> None:
    code, out = _run(settings, "link", "add", str(four.a), str(four.b), "--type", "same-incident",
                     "--offset", "-1.5", "--confidence", "probable",
                     "--rationale", "same convoy")  # fmt: skip
    assert code == 0, out
    assert "same-incident" in out and "b = a -1.500 s" in out
    code, out = _run(settings, "link", "list", "--json")
    [row] = json.loads(out)
    assert row["offset"] == -1.5 and row["rationale"] == "same convoy"
    code, out = _run(settings, "link", "add", str(four.b), str(four.a), "--type", "same-incident",
                     "--rationale", "again")  # fmt: skip
    assert code == 1 and "already have a same-incident link" in out
    code, out = _run(settings, "link", "add", str(four.a), str(four.b), "--type", "cousin",
                     "--rationale", "x")  # fmt: skip
    assert code == 1 and "--type: unknown link type 'cousin'" in out
    code, out = _run(settings, "link", "add", str(four.a), "999", "--type", "same-incident",
                     "--rationale", "x")  # fmt: skip
    assert code == 1 and "no clip with id 999" in out
    code, out = _run(settings, "incidents", "--json")
    [doc] = json.loads(out)["incidents"]
    code, out = _run(settings, "incident", "name", doc["ref"], "Convoy ambush")
    assert code == 0 and "Convoy ambush" in out
    code, out = _run(settings, "incidents")
    assert "Convoy ambush" in out and f"clip #{four.a}" in out
    code, out = _run(settings, "link", "reject", str(row["id"]))
    assert code == 0 and "rejected" in out
    code, out = _run(settings, "link", "delete", str(row["id"]))
    assert code == 0
    code, out = _run(settings, "link", "confirm", str(row["id"]))
    assert code == 1 and f"no link with id {row['id']}" in out


# -- matching proposals -----------------------------------------------------------


def test_a_rejected_automatic_link_stays_rejected_when_matching_runs_again(
    app: App, fixture_dir: Path, settings: Settings
) -> None:
    case = cases.create_case(app, "M")
    report = import_paths(app, [fixture_dir / "cut.mp4"], case)
    [cut] = [i.clip_id for i in report.items]
    other = cases.create_case(app, "N", make_current=False)
    [twin] = [i.clip_id for i in import_paths(app, [fixture_dir / "cut.mp4"], other).items]
    assert cut and twin
    [proposal] = links.list_links(app, clip_ref=str(twin))
    assert (proposal["type"], proposal["relation"], proposal["status"], proposal["origin"]) == (
        "re-upload", "exact-duplicate", "proposed", "auto")  # fmt: skip
    links.reject_link(app, LinkId(proposal["id"]))
    assert list_matches(app, clip_id=ClipId(twin)) == []
    for _ in range(2):
        match_clip(app, ClipId(twin))
        match_clip(app, ClipId(cut))
    [still] = links.list_links(app, clip_ref=str(twin))
    assert (still["id"], still["status"]) == (proposal["id"], "rejected")
    # Re-analysis from the command line runs matching again, too.
    code, out = _run(settings, "analyse", str(twin), "--case", "N")
    assert code == 0, out
    [still] = links.list_links(app, clip_ref=str(twin))
    assert (still["id"], still["status"]) == (proposal["id"], "rejected")
    assert verify(app).ok
