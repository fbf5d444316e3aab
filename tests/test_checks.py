"""Consistency checks: each rule triggered and not, acknowledgements, custody, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import CustodyEvent
from verifier.errors import VerifierError
from verifier.ids import ChronolocationId, LinkId
from verifier.services import checks as C
from verifier.services import chronolocation, geolocation, links, provenance
from verifier.services.checks import ClipFacts, LinkFacts, Place, Window
from verifier.services.context import App
from verifier.services.verification import verify


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def W(ident: int, clip: int, start: str | None, end: str | None) -> Window:
    return Window(ident, 1, clip, t(start) if start else None, t(end) if end else None)


KYIV = (50.4501, 30.5234)


# -- pure rules ------------------------------------------------------------------------


def test_window_ending_before_the_creation_time() -> None:
    clip = ClipFacts(2, "a.mp4", created_from=t("2024-03-02T08:15"),
                     created_to=t("2024-03-02T08:15"), created_text="2024-03-02T08:15:00Z",
                     windows=(W(4, 2, None, "2024-03-01T10:00"),))  # fmt: skip
    [problem] = C.window_before_creation(clip)
    assert problem.key == "window-before-creation:chronolocation:4"
    assert problem.severity == "error"
    assert problem.message == (
        "time window #4 of clip #2 ends 2024-03-01 10:00 UTC, before the file's creation "
        "time 2024-03-02 08:15 UTC"
    )
    ok = ClipFacts(2, "a.mp4", created_from=t("2024-03-02T08:15"),
                   created_to=t("2024-03-02T08:15"), created_text="x",
                   windows=(W(4, 2, None, "2024-03-02T09:00"),
                            W(5, 2, "2024-03-01", None)))  # fmt: skip
    assert C.window_before_creation(ok) == []


def test_window_before_a_creation_time_of_unknown_zone_counts_every_offset() -> None:
    # 08:15 of unknown zone can be as early as 2024-03-01 18:15 UTC (+14:00).
    clip = ClipFacts(2, "a.mp4", created_from=t("2024-03-01T18:15"),
                     created_to=t("2024-03-02T20:15"), created_text="2024:03:02 08:15:00",
                     windows=(W(4, 2, None, "2024-03-01T19:00"),))  # fmt: skip
    assert C.window_before_creation(clip) == []
    late = ClipFacts(2, "a.mp4", created_from=t("2024-03-01T18:15"),
                     created_to=t("2024-03-02T20:15"), created_text="2024:03:02 08:15:00",
                     windows=(W(4, 2, None, "2024-03-01T18:00"),))  # fmt: skip
    [problem] = C.window_before_creation(late)
    assert "2024-03-01 18:15 UTC at the earliest (of unknown zone" in problem.message


def test_window_starting_after_the_first_appearance() -> None:
    clip = ClipFacts(3, "b.mp4", first_post=t("2024-03-02T10:00"), first_post_id=7,
                     windows=(W(9, 3, "2024-03-02T11:00", None),))  # fmt: skip
    [problem] = C.window_after_first_appearance(clip)
    assert problem.message == (
        "time window #9 of clip #3 starts 2024-03-02 11:00 UTC, after its first appearance "
        "(appearance #7, posted no later than 2024-03-02 10:00 UTC)"
    )
    ok = ClipFacts(3, "b.mp4", first_post=t("2024-03-02T10:00"), first_post_id=7,
                   windows=(W(9, 3, "2024-03-02T09:00", "2024-03-02T12:00"),))  # fmt: skip
    assert C.window_after_first_appearance(ok) == []


def test_creation_time_after_the_first_posting() -> None:
    clip = ClipFacts(3, "b.mp4", created_from=t("2024-03-03T00:00"),
                     created_to=t("2024-03-03T00:00"), created_text="x",
                     first_post=t("2024-03-02T10:00"), first_post_id=7)  # fmt: skip
    [problem] = C.creation_after_first_post(clip)
    assert problem.key == "creation-after-first-post:clip:3"
    assert "2024-03-03 00:00 UTC is after its first posting 2024-03-02 10:00 UTC" in problem.message
    ok = ClipFacts(3, "b.mp4", created_from=t("2024-03-01T00:00"),
                   created_to=t("2024-03-01T00:00"), created_text="x",
                   first_post=t("2024-03-02T10:00"), first_post_id=7)  # fmt: skip
    assert C.creation_after_first_post(ok) == []


def test_gps_tag_far_from_the_confirmed_place() -> None:
    place = Place(5, 1, 1, 50.4501, 30.5234, 100.0)
    # 0.01° of latitude is about 1,112 m: beyond 100 m + 250 m; 0.002° (222 m) is not.
    far = ClipFacts(1, "a", gps=(50.4601, 30.5234), places=(place,))
    [problem] = C.gps_far_from_geolocation(far)
    assert problem.key == "gps-far-from-geolocation:geolocation:5"
    assert "is 1,112 m from confirmed geolocation #5 (allowed 350 m" in problem.message
    near = ClipFacts(1, "a", gps=(50.4521, 30.5234), places=(place,))
    assert C.gps_far_from_geolocation(near) == []


def _pair(wa: tuple[Window, ...], wb: tuple[Window, ...], pa=(), pb=()) -> tuple[ClipFacts, ...]:  # type: ignore[no-untyped-def]
    return ClipFacts(1, "a", windows=wa, places=pa), ClipFacts(2, "b", windows=wb, places=pb)


def test_same_incident_whose_windows_do_not_overlap() -> None:
    link = LinkFacts(8, 1, "same-incident", "confirmed", "manual", 1, 2)
    a, b = _pair((W(1, 1, "2024-03-01T04:00", "2024-03-01T06:00"),),
                 (W(2, 2, "2024-03-02T04:00", "2024-03-02T06:00"),))  # fmt: skip
    [problem] = C.same_incident_apart(link, a, b)
    assert problem.rule == "same-incident-times-apart" and problem.key.endswith("link:8")
    assert (
        "window #1 is 2024-03-01 04:00 UTC to 2024-03-01 06:00 UTC, window #2 is" in problem.message
    )
    a, b = _pair(
        (W(1, 1, "2024-03-01T04:00", "2024-03-01T06:00"),), (W(2, 2, "2024-03-01T05:00", None),)
    )
    assert C.same_incident_apart(link, a, b) == []
    rejected = LinkFacts(8, 1, "same-incident", "rejected", "manual", 1, 2)
    a, b = _pair((W(1, 1, None, "2024-03-01T06:00"),), (W(2, 2, "2024-03-02T04:00", None),))
    assert C.same_incident_apart(rejected, a, b) == []


def test_same_incident_whose_places_are_too_far_apart() -> None:
    link = LinkFacts(8, 1, "same-incident", "confirmed", "manual", 1, 2)
    here = Place(3, 1, 1, 50.45, 30.52, 200.0)
    far = Place(4, 1, 2, 50.50, 30.52, 300.0)  # 5.6 km north
    a, b = _pair((), (), (here,), (far,))
    [problem] = C.same_incident_apart(link, a, b)
    assert problem.rule == "same-incident-places-apart"
    assert "geolocated 5,560 m apart (#3 and #4" in problem.message
    assert "allow 1,500 m" in problem.message
    close = Place(4, 1, 2, 50.455, 30.52, 300.0)  # 556 m
    a, b = _pair((), (), (here,), (close,))
    assert C.same_incident_apart(link, a, b) == []


def test_continuation_with_reversed_times() -> None:
    link = LinkFacts(6, 1, "continuation", "confirmed", "manual", 1, 2)
    a, b = _pair((W(1, 1, "2024-03-01T10:00", "2024-03-01T11:00"),),
                 (W(2, 2, "2024-03-01T08:00", "2024-03-01T09:00"),))  # fmt: skip
    [problem] = C.continuation_reversed(link, a, b)
    assert "windows end 2024-03-01 09:00 UTC, before clip #1's start 2024-03-01 10:00" in (
        problem.message
    )
    forward = LinkFacts(6, 1, "continuation", "confirmed", "manual", 2, 1)
    assert C.continuation_reversed(forward, b, a) == []


def test_verified_clip_without_confirmed_findings() -> None:
    clip = ClipFacts(1, "a", verified=True, places=(Place(3, 1, 1, 1.0, 2.0, None),))
    [problem] = C.verified_without_finding(clip)
    assert problem.message == "clip #1 is marked verified but has no confirmed time finding"
    done = ClipFacts(1, "a", verified=True, places=(Place(3, 1, 1, 1.0, 2.0, None),),
                     windows=(W(1, 1, None, "2024-01-01T00:00"),))  # fmt: skip
    assert C.verified_without_finding(done) == []
    assert C.verified_without_finding(ClipFacts(1, "a")) == []


def test_automatic_match_left_unreviewed() -> None:
    a, b = _pair((), ())
    proposed = LinkFacts(6, 1, "re-upload", "proposed", "auto", 1, 2)
    [problem] = C.auto_link_unreviewed(proposed, a, b)
    assert problem.severity == "info" and problem.key == "auto-link-unreviewed:link:6"
    assert (
        C.auto_link_unreviewed(LinkFacts(6, 2, "re-upload", "confirmed", "auto", 1, 2), a, b) == []
    )


def test_reupload_whose_original_appeared_later() -> None:
    a = ClipFacts(1, "orig", first_post=t("2024-03-05T00:00"), first_post_id=10)
    b = ClipFacts(2, "copy", first_post=t("2024-03-01T00:00"), first_post_id=11)
    link = LinkFacts(7, 2, "re-upload", "confirmed", "manual", 1, 2)
    [problem] = C.reupload_original_later(link, a, b)
    assert "clip #1 is treated as the original of clip #2" in problem.message
    assert "appeared earlier: 2024-03-01 00:00 UTC (appearance #11)" in problem.message
    # An excerpt A of B: B is the original, and here B was posted first: fine.
    excerpt = LinkFacts(7, 2, "excerpt", "confirmed", "auto", 1, 2)
    assert C.reupload_original_later(excerpt, a, b) == []
    assert C.reupload_original_later(LinkFacts(7, 1, "re-upload", "proposed", "auto", 1, 2),
                                     a, b) == []  # fmt: skip


def test_fingerprint_changes_with_the_facts() -> None:
    clip = ClipFacts(2, "a", created_from=t("2024-03-02T08:15"), created_to=t("2024-03-02T08:15"),
                     created_text="x", windows=(W(4, 2, None, "2024-03-01T10:00"),))  # fmt: skip
    moved = ClipFacts(2, "a", created_from=t("2024-03-02T08:15"), created_to=t("2024-03-02T08:15"),
                      created_text="x", windows=(W(4, 2, None, "2024-03-01T11:00"),))  # fmt: skip
    [p1], [p2] = C.window_before_creation(clip), C.window_before_creation(moved)
    assert p1.key == p2.key and p1.fingerprint != p2.fingerprint


# -- with a database ---------------------------------------------------------------------


@pytest.fixture
def two(app: App, fixture_dir: Path) -> tuple[int, int]:
    """cut.mp4 and meta.mp4 (creation time 2024-03-13T09:41Z, GPS in Kyiv) in case "A"."""
    return import_one(app, fixture_dir / "cut.mp4"), import_one(app, fixture_dir / "meta.mp4")


def _reject_matches(app: App) -> None:
    for link in links.list_links(app):
        if link["status"] == "proposed":
            links.reject_link(app, LinkId(link["id"]))


@pytest.fixture
def reviewed(app: App, two: tuple[int, int]) -> tuple[int, int]:
    """The same two clips with matching's proposals rejected."""
    _reject_matches(app)
    return two


def _when(app: App, clip: int, start: str, end: str) -> dict:
    return chronolocation.add_chronolocation(app, str(clip), earliest=start, latest=end,
                                             confidence="probable", method="visible-events",
                                             reasoning="siren")  # fmt: skip


def _events(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        query = select(CustodyEvent).where(CustodyEvent.action == action)
        return list(session.scalars(query.order_by(CustodyEvent.seq)))


def _keys(report: C.CheckReport) -> set[str]:
    return {p.key for p in report.open}


def test_a_clean_case_has_no_open_problem(app: App, two: tuple[int, int]) -> None:
    # meta.mp4 is cut from cut.mp4's source: matching proposes a link, waiting for review.
    [problem] = C.run_checks(app).open
    assert problem.rule == "auto-link-unreviewed"
    _reject_matches(app)
    report = C.run_checks(app)
    assert report.open == [], [p.message for p in report.open]


def test_metadata_rules_on_an_imported_file(app: App, reviewed: tuple[int, int]) -> None:
    _cut, meta = reviewed
    found = _when(app, meta, "2024-03-12T00:00Z", "2024-03-13T09:00Z")
    provenance.add_appearance(app, str(meta), url="https://t.me/c/1", posted_at="2024-03-13T08:00Z")
    far = geolocation.add_geolocation(app, str(meta), at=(50.50, 30.5234), precision_m=50,
                                      confidence="confirmed", method="landmark",
                                      reasoning="bridge")  # fmt: skip
    keys = _keys(C.run_checks(app))
    assert f"window-before-creation:chronolocation:{found['id']}" in keys
    assert f"creation-after-first-post:clip:{meta}" in keys
    assert f"gps-far-from-geolocation:geolocation:{far['id']}" in keys


def test_acknowledgement_silences_until_the_facts_change(
    app: App, reviewed: tuple[int, int]
) -> None:
    a, b = reviewed
    _when(app, a, "2024-03-01T04:00Z", "2024-03-01T06:00Z")
    later = _when(app, b, "2024-03-02T04:00Z", "2024-03-02T06:00Z")
    link = links.add_link(app, str(a), str(b), "same-incident", "same convoy")
    key = f"same-incident-times-apart:link:{link['id']}"
    assert key in _keys(C.run_checks(app))
    with pytest.raises(VerifierError, match="--reason"):
        C.acknowledge(app, key, "  ")
    with pytest.raises(VerifierError, match="KEY: no current problem 'nope'"):
        C.acknowledge(app, "nope", "why")
    C.acknowledge(app, key, "the second clip's window is from a later repost, see note 4")
    report = C.run_checks(app)
    assert key not in _keys(report)
    [acked] = [p for p in report.acknowledged if p.key == key]
    assert acked.acknowledged["reason"].startswith("the second clip's window")
    [event] = _events(app, "check.acknowledge")
    assert event.details["key"] == key and event.details["after"]["reason"].startswith("the")
    # The facts change (the window moves, still apart): the problem comes back, with history.
    chronolocation.edit_chronolocation(
        app, ChronolocationId(later["id"]), earliest="2024-03-03T04:00Z", latest="2024-03-03T05:00Z"
    )
    report = C.run_checks(app)
    [back] = [p for p in report.open if p.key == key]
    assert back.acknowledged_before["changed"] == [f"time finding #{later['id']}"]
    assert verify(app).ok
    # Withdrawn: logged, and the problem is listed even when the facts are as acknowledged.
    C.acknowledge(app, key, "checked again")
    assert key not in _keys(C.run_checks(app))
    C.unacknowledge(app, key)
    assert key in _keys(C.run_checks(app))
    [gone] = _events(app, "check.unacknowledge")
    assert gone.details["deleted"]["reason"] == "checked again"
    with pytest.raises(VerifierError, match="KEY: no acknowledgement"):
        C.unacknowledge(app, key)
    assert verify(app).ok


def test_reversed_continuation_and_unlinked_neighbours(app: App, reviewed: tuple[int, int]) -> None:
    a, b = reviewed
    _when(app, a, "2024-03-01T10:00Z", "2024-03-01T11:00Z")
    _when(app, b, "2024-03-01T08:00Z", "2024-03-01T10:30Z")
    for clip in (a, b):
        geolocation.add_geolocation(
            app, str(clip), at=KYIV, precision_m=50, confidence="confirmed", method="landmark",
            reasoning="x",
        )  # fmt: skip
    # Overlapping windows and the same place, no link: the incidents' warning.
    assert f"nearby-unlinked:clip:{a}:clip:{b}" in _keys(C.run_checks(app))
    link = links.add_link(app, str(a), str(b), "continuation", "B follows A")
    keys = _keys(C.run_checks(app))
    assert not any(k.startswith("nearby-unlinked") for k in keys)
    assert f"continuation-reversed:link:{link['id']}" not in keys  # B ends 10:30, after 10:00
    links.delete_link(app, LinkId(link["id"]))
    link = links.add_link(app, str(b), str(a), "continuation", "A follows B")
    assert f"continuation-reversed:link:{link['id']}" not in _keys(C.run_checks(app))


def test_verified_mark_is_logged_and_checked(app: App, reviewed: tuple[int, int]) -> None:
    a, _b = reviewed
    C.mark_verified(app, str(a))
    with pytest.raises(VerifierError, match="already marked verified"):
        C.mark_verified(app, str(a))
    key = f"verified-without-finding:clip:{a}"
    [problem] = [p for p in C.run_checks(app).open if p.key == key]
    assert problem.message.endswith("no confirmed geolocation and no confirmed time finding")
    assert _events(app, "clip.verified")[0].details["after"]["verified_by"] == "tester"
    C.mark_verified(app, str(a), undo=True)
    assert key not in _keys(C.run_checks(app))
    assert len(_events(app, "clip.unverified")) == 1
    assert verify(app).ok


def test_missing_evidence_is_a_problem(app: App, reviewed: tuple[int, int]) -> None:
    a, _b = reviewed
    with app.db.read() as session:
        from verifier.db.models import Clip

        sha = session.get(Clip, a).file.sha256  # type: ignore[union-attr]
    path = app.store.path_for(sha)
    path.chmod(0o644)
    path.unlink()
    [problem] = [p for p in C.run_checks(app).open if p.rule == "evidence-integrity"]
    assert problem.key == f"evidence-integrity:clip:{a}"
    assert "is not in the store" in problem.message and "verifier verify" in problem.message


# -- CLI -----------------------------------------------------------------------------


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(settings.data_dir), "--analyst", "tester", *args]
    )
    return result.exit_code, result.output


def test_cli_check_ack_unack_and_exit_codes(
    app: App, reviewed: tuple[int, int], settings: Settings
) -> None:
    a, _b = reviewed
    code, out = _run(settings, "check")
    assert code == 0, out
    assert "Case 'A': 0 open problem(s), 0 acknowledged." in out
    code, out = _run(settings, "clip", "verified", str(a))
    assert code == 0 and "marked verified by tester" in out, out
    key = f"verified-without-finding:clip:{a}"
    code, out = _run(settings, "check")
    assert code == 3, out
    assert "ERROR verified clip without a confirmed finding" in out
    assert f"key: {key}" in out
    code, out = _run(settings, "check", "ack", key)
    assert code == 2 and "--reason" in out  # click: a missing option
    code, out = _run(settings, "check", "ack", key, "--reason", "findings are in the paper file")
    assert code == 0, out
    code, out = _run(settings, "check")
    assert code == 0 and "0 open problem(s), 1 acknowledged (--all shows them)" in out, out
    code, out = _run(settings, "check", "--all", "--json")
    assert code == 0, out
    data = json.loads(out)
    [doc] = data["problems"]
    assert doc["key"] == key and doc["acknowledged"]["reason"] == "findings are in the paper file"
    code, out = _run(settings, "check", "unack", key)
    assert code == 0, out
    code, out = _run(settings, "check", "--json")
    assert code == 3 and json.loads(out)["open"] == 1
    code, out = _run(settings, "check", "unack", key)
    assert code == 1 and "error: KEY: no acknowledgement" in out


def test_cli_prints_keys_as_typed(app: App, two: tuple[int, int], settings: Settings) -> None:
    code, out = _run(settings, "check")
    assert code == 3, out
    assert "INFO automatic match left unreviewed" in out
    assert "key: auto-link-unreviewed:link:1\n" in out  # not rendered as an emoji


def test_an_error_quoting_a_key_prints_it_as_typed(tmp_path: Path) -> None:
    """Rich's emoji codes would turn ``:link:`` into a picture in the error line."""
    runner, home = CliRunner(), ["--data-dir", str(tmp_path)]
    assert runner.invoke(cli, [*home, "case", "new", "K"]).exit_code == 0
    result = runner.invoke(cli, [*home, "check", "unack", "auto-link-unreviewed:link:9"])
    assert result.exit_code == 1
    assert ":link:9" in result.output and "🔗" not in result.output
