"""Tampering that ``verify`` must report: a deleted or replaced custody anchor, and
rows edited directly in the database behind the custody log's back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import Annotation, CustodyEvent
from verifier.evidence import custody, state
from verifier.ids import ChronolocationId, EventId, GeolocationId
from verifier.services import (
    annotations,
    cases,
    checks,
    chronolocation,
    events,
    geolocation,
    provenance,
)
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.verification import verify
from verifier.sources import CollectionRecord


@dataclass
class Library:
    app: App
    case: cases.CaseRecord
    clip: int
    twin: int
    early: int
    late: int
    annotation: int
    collection: int
    geolocation: int
    chronolocation: int
    event: int


@pytest.fixture
def library(settings: Settings, fixture_dir: Path) -> Iterator[Library]:
    """One clip analysed in case A, the same bytes in case B (an exact-duplicate link),
    two posts of it, an annotation, a collection and changed case settings."""
    app = open_app(settings)
    try:
        case = cases.create_case(app, "A")
        [item] = import_paths(app, [fixture_dir / "cut.mp4"], case).items
        other = cases.create_case(app, "B", make_current=False)
        [twin] = import_paths(app, [fixture_dir / "cut.mp4"], other).items
        assert item.clip_id and twin.clip_id
        early = provenance.add_appearance(
            app, str(item.clip_id), url="https://t.me/chan/10", posted_at="2024-03-02T10:00:00Z"
        )
        late = provenance.add_appearance(
            app, str(item.clip_id), url="https://t.me/other/77", posted_at="2024-03-05T08:00:00Z"
        )
        note = annotations.add_annotation(app, item.clip_id, 0, (1, 2, 30, 40), "vehicle", "APC")
        coll = provenance.record_collection(
            app, case, CollectionRecord(kind="channel", platform="youtube", id="UC1", title="T")
        )
        cases.update_case_settings(app, case.id, blur_thumbnails=False)
        found = geolocation.add_geolocation(
            app, str(item.clip_id), at=(48.5079, 35.9131), precision_m=30, confidence="probable",
            method="landmark", reasoning="water tower and church", annotations=[note["id"]],
        )  # fmt: skip
        when = chronolocation.add_chronolocation(
            app, str(item.clip_id), earliest="2024-03-01T04:00Z", latest="2024-03-01T06:00Z",
            confidence="probable", method="sun-position-and-shadows",
            reasoning="shadow bearing 265 degrees", annotations=[note["id"]],
        )  # fmt: skip
        moment = events.add_event(app, str(item.clip_id), at="1.0", label="APC turns")
        yield Library(
            app, case, item.clip_id, twin.clip_id, early["id"], late["id"], note["id"],
            coll.collection_id, found["id"], when["id"], moment["id"],
        )  # fmt: skip
    finally:
        app.close()


def _sql(app: App, statement: str, **params: object) -> None:
    """Change the database directly, as someone with the file and a SQLite shell would."""
    with app.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def _named(report_problems: list[str], key_label: str) -> bool:
    return any(key_label in p for p in report_problems)


def test_untouched_library_verifies_clean(library: Library) -> None:
    report = verify(library.app)
    assert report.ok, report.problems
    assert report.notes == []
    assert report.items_checked >= 10  # cases, files, clips, posts, note, collection, link
    assert report.recorded


def test_every_event_about_an_item_carries_its_state_hash(library: Library) -> None:
    with library.app.db.read() as session:
        events = list(session.scalars(select(CustodyEvent).order_by(CustodyEvent.seq)))
    keys = {k for e in events for k in e.details.get(state.STATE_KEY, {})}
    for expected in (
        f"clip:{library.clip}",
        f"appearance:{library.early}",
        f"annotation:{library.annotation}",
        f"collection:{library.collection}",
        f"case:{library.case.id}",
        f"geolocation:{library.geolocation}",
        f"chronolocation:{library.chronolocation}",
        f"event:{library.event}",
    ):
        assert expected in keys
    assert any(k.startswith("link:") for k in keys)
    assert any(k.startswith("file:") for k in keys)


EDITS = {
    "appearance posting time": (
        "UPDATE appearances SET posted_at = '2024-01-01 00:00:00.000000' WHERE id = :early",
        "appearance #{early}",
    ),
    "annotation note": (
        "UPDATE annotations SET note = 'nothing here' WHERE id = :annotation",
        "annotation #{annotation}",
    ),
    # A rectangle turned into a line behind the log: fields added by a later
    # schema are hashed as soon as they differ from what older items have.
    "annotation shape": (
        "UPDATE annotations SET shape = 'line', points = '[[1, 2], [31, 42]]' "
        "WHERE id = :annotation",
        "annotation #{annotation}",
    ),
    "clip name": ("UPDATE clips SET name = 'other.mp4' WHERE id = :clip", "clip #{clip}"),
    # A clip marked verified behind the log (fields added by 0007).
    "clip verified mark": (
        "UPDATE clips SET verified_at = '2024-03-09 00:00:00.000000', verified_by = 'x' "
        "WHERE id = :clip",
        "clip #{clip}",
    ),
    "original path": (
        "UPDATE stored_files SET original_path = '/elsewhere/x.mp4' "
        "WHERE id = (SELECT file_id FROM clips WHERE id = :clip)",
        "stored file #",
    ),
    # Other (intact) bytes put in the store and the clip's file row pointed at them.
    "stored file hash and path": (
        "UPDATE stored_files SET sha256 = :sub_sha, stored_path = :sub_path "
        "WHERE id = (SELECT file_id FROM clips WHERE id = :clip)",
        "stored file #",
    ),
    "case settings": (
        "UPDATE cases SET settings = '{\"blur_thumbnails\": true}' WHERE id = :case",
        "case #{case}",
    ),
    "collection title": (
        "UPDATE source_collections SET title = 'X' WHERE id = :collection",
        "collection #{collection}",
    ),
    "link relation": ("UPDATE clip_links SET relation = 'contradicts'", "link #"),
    # A proposal marked as a person's decision behind the log (a field added by 0005).
    "link status": ("UPDATE clip_links SET status = 'confirmed'", "link #"),
    "geolocation moved": (
        "UPDATE geolocations SET latitude = 48.6 WHERE id = :geolocation",
        "geolocation #{geolocation}",
    ),
    "geolocation confidence": (
        "UPDATE geolocations SET confidence = 'confirmed' WHERE id = :geolocation",
        "geolocation #{geolocation}",
    ),
    "time finding window": (
        "UPDATE chronolocations SET latest = '2024-03-01 09:00:00.000000' "
        "WHERE id = :chronolocation",
        "time finding #{chronolocation}",
    ),
    # A first-appearance proposal made to look confirmed behind the log.
    "time proposal accepted": (
        "UPDATE chronolocations SET status = 'confirmed' WHERE origin = 'first-appearance'",
        "time finding #",
    ),
    "time finding deleted": (
        "DELETE FROM chronolocations WHERE id = :chronolocation",
        "time finding #{chronolocation} recorded by custody event",
    ),
    "event moved": (
        "UPDATE events SET at_seconds = 2.0, frame_index = 50 WHERE id = :event",
        "event #{event}",
    ),
    "event deleted": (
        "DELETE FROM events WHERE id = :event",
        "event #{event} recorded by custody event",
    ),
    "annotation deleted": (
        "DELETE FROM annotations WHERE id = :annotation",
        "annotation #{annotation} recorded by custody event",
    ),
    "appearance inserted": (
        "INSERT INTO appearances (version, clip_id, case_id, platform, url, posted_at, "
        "posted_at_precision, media_available, source, created_at, created_by) VALUES "
        "(1, :clip, :case, 'telegram', 'https://t.me/x/1', '2023-01-01 00:00:00.000000', "
        "'second', 1, 'manual', '2024-01-01 00:00:00.000000', 'intruder')",
        "no custody event recorded it",
    ),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_verify_names_every_row_edited_behind_the_log(library: Library, edit: str) -> None:
    statement, label = EDITS[edit]
    ids = {
        "early": library.early,
        "annotation": library.annotation,
        "clip": library.clip,
        "case": library.case.id,
        "collection": library.collection,
        "geolocation": library.geolocation,
        "chronolocation": library.chronolocation,
        "event": library.event,
    }
    params: dict[str, object] = {k: v for k, v in ids.items() if f":{k}" in statement}
    if ":sub_sha" in statement:
        params["sub_sha"], params["sub_path"], _ = library.app.store.put_bytes(b"substitute")
    _sql(library.app, statement, **params)
    report = verify(library.app)
    assert not report.ok
    messages = [p.message for p in report.problems]
    assert _named(messages, label.format(**ids)), messages
    assert all(p.kind in {"state", "file"} for p in report.problems), messages


def test_acknowledgement_changed_behind_the_log_is_caught(library: Library) -> None:
    """A check acknowledged through the program verifies; its reason rewritten does not."""
    app = library.app
    checks.mark_verified(app, str(library.clip))
    geolocation.reject_geolocation(app, GeolocationId(library.geolocation))
    key = f"verified-without-finding:clip:{library.clip}"
    ack = checks.acknowledge(app, key, "place established in the field report")
    assert verify(app).ok
    _sql(app, "UPDATE check_acknowledgements SET reason = 'nothing to see' WHERE id = :a",
         a=ack["id"])  # fmt: skip
    report = verify(app)
    assert _named([p.message for p in report.problems], f"check acknowledgement #{ack['id']}")


def test_edit_is_reported_in_its_case_only(library: Library) -> None:
    _sql(library.app, "UPDATE annotations SET label = 'person' WHERE id = :a", a=library.annotation)
    assert not verify(library.app, library.case).ok
    other = cases.resolve_case(library.app, "B")
    assert verify(library.app, other).ok


def test_forged_first_seen_is_caught(library: Library) -> None:
    before = provenance.provenance_for_clip(library.app, str(library.clip)).entries
    assert next(e for e in before if e.get("first_seen"))["id"] == library.early
    _sql(
        library.app,
        "UPDATE appearances SET posted_at = '2024-02-01 00:00:00.000000', "
        "posted_at_text = '2024-02-01T00:00:00Z' WHERE id = :late",
        late=library.late,
    )
    forged = provenance.provenance_for_clip(library.app, str(library.clip)).entries
    assert next(e for e in forged if e.get("first_seen"))["id"] == library.late
    report = verify(library.app)
    assert not report.ok
    assert any(f"appearance #{library.late}" in p.message for p in report.problems)


def test_changes_made_through_the_program_keep_verify_clean(library: Library) -> None:
    app = library.app
    annotations.edit_annotation(app, library.annotation, note="APC, tracked")
    provenance.edit_appearance(app, library.late, channel="renamed")
    provenance.delete_appearance(app, library.early)
    annotations.delete_annotation(app, library.annotation)
    cases.update_case_settings(app, library.case.id, mute_audio=False)
    geolocation.edit_geolocation(app, library.geolocation, precision_m=15, place="Izium")
    geolocation.reject_geolocation(app, library.geolocation)
    geolocation.delete_geolocation(app, library.geolocation)
    when = ChronolocationId(library.chronolocation)
    chronolocation.edit_chronolocation(app, when, earliest=None, reasoning="shadow at 265°")
    chronolocation.reject_chronolocation(app, when)
    chronolocation.confirm_chronolocation(app, when, confidence="possible")
    chronolocation.delete_chronolocation(app, when)
    [proposal] = chronolocation.list_chronolocations(app, str(library.clip))
    assert proposal["origin"] == "first-appearance"
    chronolocation.confirm_chronolocation(app, proposal["id"])
    events.edit_event(app, EventId(library.event), at="2.0", note="seen from the east")
    events.delete_event(app, EventId(library.event))
    report = verify(app)
    assert report.ok, report.problems


def test_items_recorded_before_state_hashes_are_information(
    settings: Settings, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Events as the program wrote them before: no state key in their details.
    monkeypatch.setattr(custody, "STATE_KEY", "pre-state-hash-era")
    with open_app(settings) as app:
        case = cases.create_case(app, "Old")
        [item] = import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False).items
        assert item.clip_id is not None
        note = annotations.add_annotation(app, item.clip_id, 0, (1, 2, 3, 4), "other")
    monkeypatch.undo()
    with open_app(settings) as app:
        report = verify(app)
        assert report.ok, report.problems
        assert any(f"clip #{item.clip_id}" in n and "not covered" in n for n in report.notes)
        # A row no old event names is not "old": it was put there behind the log.
        _sql(
            app,
            "INSERT INTO annotations (version, clip_id, frame_index, x, y, w, h, label, note, "
            "created_at, created_by) VALUES (1, :c, 0, 0, 0, 5, 5, 'face', '', "
            "'2024-01-01 00:00:00.000000', 'intruder')",
            c=item.clip_id,
        )
        report = verify(app)
        [problem] = report.problems
        assert "no custody event recorded it" in problem.message
        _sql(app, "DELETE FROM annotations WHERE created_by = 'intruder'")
        # Changed later through the program: covered from then on, so an edit shows.
        annotations.edit_annotation(app, note["id"], note="checked")
        _sql(app, "UPDATE annotations SET note = 'forged' WHERE id = :a", a=note["id"])
        report = verify(app)
        assert any(f"annotation #{note['id']}" in p.message for p in report.problems)


# -- the anchor -----------------------------------------------------------------------


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--analyst", "tester", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _rewrite_chain(app: App) -> None:
    """Rewrite the first event and re-chain every later one: consistent, but not the past."""
    with app.db.write() as session:
        events = list(session.scalars(select(CustodyEvent).order_by(CustodyEvent.seq)))
        # Move every prev_hash out of the way first (it is unique).
        for event in events:
            event.prev_hash = f"tmp{event.seq}"
            event.hash = f"tmp-hash{event.seq}"
        session.flush()
        events[0].details = {**events[0].details, "description": "rewritten"}
        prev = custody.GENESIS
        for event in events:
            event.prev_hash = prev
            event.hash = custody.event_hash(event)
            prev = event.hash
        session.info.pop("custody_heads", None)


def test_missing_anchor_fails_and_re_anchoring_is_logged(library: Library) -> None:
    data = library.app.settings.data_dir
    (data / custody.ANCHOR_NAME).unlink()
    report = verify(library.app)
    assert not report.ok
    assert any("anchor" in p.message and "missing" in p.message for p in report.problems)
    # verify itself must not start a new anchor silently
    assert not (data / custody.ANCHOR_NAME).exists()
    library.app.close()

    code, _, err = _run(data, "custody", "re-anchor")
    assert code == 2 and "--reason" in err
    code, out, _ = _run(data, "custody", "re-anchor", "--reason", "copy made without the anchor")
    assert code == 0 and "Re-anchored" in out
    code, out, _ = _run(data, "verify", "--all")
    assert code == 0 and "OK" in out
    code, out, _ = _run(data, "log", "--all", "--json")
    [event] = [e for e in json.loads(out) if e["action"] == "custody.re-anchor"]
    assert event["actor"] == "tester"
    assert event["details"]["reason"] == "copy made without the anchor"
    assert event["details"]["previous_anchor_sha256"] is None


def test_rewritten_chain_with_deleted_anchor_fails(library: Library) -> None:
    data = library.app.settings.data_dir
    _rewrite_chain(library.app)
    with library.app.db.read() as session:
        _, chain_problems = custody.verify_chain(session)
    assert chain_problems == []  # the chain alone is consistent
    assert not verify(library.app).ok  # the anchor still remembers the old hashes
    (data / custody.ANCHOR_NAME).unlink()
    report = verify(library.app)
    assert not report.ok


def test_replaced_anchor_fails(library: Library) -> None:
    data = library.app.settings.data_dir
    anchor = data / custody.ANCHOR_NAME
    _rewrite_chain(library.app)
    # A forger writes an anchor that agrees with the rewritten chain's start only.
    with library.app.db.read() as session:
        heads = custody.chain_heads(session)
    anchor.write_text(f"{heads[0][0]} {heads[0][1]}\n")
    report = verify(library.app)
    assert not report.ok
    assert any("not in the anchor" in p.message for p in report.problems)
    # An anchor matching nothing at all
    anchor.write_text("1 " + hashlib.sha256(b"x").hexdigest() + "\n")
    assert not verify(library.app).ok


def test_re_anchor_keeps_the_old_anchor(library: Library) -> None:
    from verifier.services.verification import re_anchor

    data = library.app.settings.data_dir
    old = (data / custody.ANCHOR_NAME).read_bytes()
    result = re_anchor(library.app, "testing")
    kept = Path(result["previous_anchor_kept_as"])
    assert kept.read_bytes().startswith(old)
    assert result["previous_anchor_sha256"] == hashlib.sha256(old).hexdigest()
    assert verify(library.app).ok


def test_negative_zero_survives_the_round_trip(library: Library) -> None:
    """A link whose offset is -0.0 (matching can compute one) is not "changed".

    SQLite hands a whole-number REAL back as an integer, so -0.0 is read as
    0.0; the state hash must not call that a change made outside the program.
    """
    from verifier.db.models import ClipLink

    app = library.app
    with app.db.write() as session:
        link = ClipLink(
            clip_a_id=library.clip, clip_b_id=library.twin, relation="overlap", origin="auto",
            score=0.5, offset_seconds=-0.0, rationale="test", details={"offset": -0.0},
            created_by=app.analyst,
        )  # fmt: skip
        session.add(link)
        session.flush()
        custody.record(
            session, actor=app.analyst, action="match", target_type="clip",
            target_id=library.clip, case_id=library.case.id, items=[link],
        )  # fmt: skip
    report = verify(app)
    assert report.ok, [p.message for p in report.problems]


def test_fields_added_later_leave_older_hashes_alone(library: Library) -> None:
    """A rectangle hashes as it did before annotations had shapes, so a database
    upgraded to the schema with shapes still verifies clean."""
    with library.app.db.read() as session:
        note = session.get(Annotation, library.annotation)
        assert note is not None and note.shape == "rect" and note.points is None
        doc = json.loads(state.canonical_state(note))
    assert "shape" not in doc and "points" not in doc
    assert {"x", "y", "w", "h", "label", "note"} <= set(doc)
