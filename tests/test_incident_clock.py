"""The incident clock: placement by link offsets and time findings, lanes, gaps, coverage,
events on the clock, the stored figure and the `incident timeline`/`incident events` CLI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.services import cases, chronolocation, events, frames, links
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.incident_clock import (
    clock_time_text,
    coverage_at,
    incident_clock,
    incident_events,
)
from verifier.services.incident_figure import ROLE_TIMELINE, store_timeline
from verifier.services.verification import verify
from verifier.services.viewing import load_clip_view

NAMES = ("cut.mp4", "static_a.mp4", "static_b.mp4", "black.mp4", "fade.mp4")


@dataclass
class Clips:
    app: App
    case: cases.CaseRecord
    a: int  # cut.mp4, 4 s
    b: int  # static_a.mp4, 4 s
    c: int  # static_b.mp4, 4 s
    d: int  # black.mp4, 3 s
    e: int  # fade.mp4, 4 s


def _open(settings: Settings, fixture_dir: Path, analyse: bool) -> Iterator[Clips]:
    app = open_app(settings)
    try:
        case = cases.create_case(app, "I")
        report = import_paths(app, [fixture_dir / n for n in NAMES], case, analyse=analyse)
        ids = [i.clip_id for i in report.items]
        assert all(ids)
        yield Clips(app, case, *ids)  # type: ignore[arg-type]
    finally:
        app.close()


@pytest.fixture
def clips(settings: Settings, fixture_dir: Path) -> Iterator[Clips]:
    """Five clips of case "I", imported without analysis (fast)."""
    yield from _open(settings, fixture_dir, analyse=False)


@pytest.fixture
def analysed(settings: Settings, fixture_dir: Path) -> Iterator[Clips]:
    """The same clips, analysed (frame tables, cuts)."""
    yield from _open(settings, fixture_dir, analyse=True)


def _chain(k: Clips) -> None:
    """B runs 2.5 s ahead of A (B started first); C starts 6 s after B started."""
    links.add_link(k.app, str(k.a), str(k.b), "same-incident", "two drones", offset=2.5)
    links.add_link(k.app, str(k.b), str(k.c), "continuation", "C picks up", offset=-6.0)


def _by_clip(clock: dict) -> dict[int, dict]:
    return {c["clip"]["id"]: c for c in clock["clips"]}


def _ref(k: Clips) -> str:
    return f"clip:{k.a}"


def test_offsets_place_three_clips_exactly(clips: Clips) -> None:
    _chain(clips)
    clock = incident_clock(clips.app, _ref(clips))
    placed = _by_clip(clock)
    assert set(placed) == {clips.a, clips.b, clips.c}
    assert placed[clips.b]["start"] == 0.0
    assert placed[clips.a]["start"] == 2.5
    assert placed[clips.c]["start"] == 6.0
    duration = placed[clips.a]["duration"]
    assert duration == pytest.approx(4.0, abs=0.05)
    assert placed[clips.a]["end"] == pytest.approx(2.5 + duration)
    assert clock["warnings"] == []
    assert clock["gaps"] == []
    overlaps = {tuple(o["clips"]): (o["start"], o["end"]) for o in clock["overlaps"]}
    assert overlaps[tuple(sorted((clips.a, clips.b)))] == pytest.approx((2.5, 4.0), abs=0.05)
    assert [c["clip"]["id"] for c in clock["clips"]] == [clips.b, clips.a, clips.c]


def test_a_gap_of_three_and_a_half_seconds(clips: Clips) -> None:
    links.add_link(clips.app, str(clips.a), str(clips.b), "continuation", "later", offset=-7.5)
    clock = incident_clock(clips.app, _ref(clips))
    a_end = _by_clip(clock)[clips.a]["end"]
    assert a_end == pytest.approx(4.0, abs=0.05)
    [gap] = clock["gaps"]
    assert gap["start"] == pytest.approx(a_end)
    assert gap["end"] == 7.5
    assert gap["duration"] == pytest.approx(7.5 - a_end)
    assert gap["duration"] == pytest.approx(3.5, abs=0.05)
    # A moment in the gap: no clip has footage.
    moment = coverage_at(clips.app, _ref(clips), 5.0)
    assert moment["covered"] is False
    assert {c["text"] for c in moment["clips"]} == {"no footage at this moment"}


def test_an_inconsistent_cycle_is_reported(clips: Clips) -> None:
    _chain(clips)
    # A consistent third link (C = A - 3.5) says nothing ...
    fine = links.add_link(clips.app, str(clips.a), str(clips.c), "same-location", "x",
                          offset=-3.5)  # fmt: skip
    assert incident_clock(clips.app, _ref(clips))["inconsistent_cycles"] == []
    # ... one that disagrees by 4.5 s is named with both offsets.
    links.edit_link(clips.app, fine["id"], offset=1.0)
    clock = incident_clock(clips.app, _ref(clips))
    [cycle] = clock["inconsistent_cycles"]
    ids = {k["id"] for k in links.list_links(clips.app)}
    assert set(cycle["links"]) == ids and len(ids) == 3
    assert cycle["disagreement_seconds"] == 4.5
    assert "disagree by 4.500 s" in cycle["message"]
    assert clock["warnings"] == [cycle]


def test_a_time_finding_gives_every_clip_utc_bounds(clips: Clips) -> None:
    _chain(clips)
    chronolocation.add_chronolocation(
        clips.app, str(clips.c), earliest="2024-03-01T04:00:00Z", latest="2024-03-01T04:10:00Z",
        confidence="probable", method="sun-position-and-shadows", reasoning="shadows",
    )  # fmt: skip
    clock = incident_clock(clips.app, _ref(clips))
    absolute = clock["absolute"]
    # C starts at 6 s on the clock, so the clock's zero is 6 s before the window.
    assert absolute["zero_earliest_utc"] == "2024-03-01T03:59:54+00:00"
    assert absolute["zero_latest_utc"] == "2024-03-01T04:09:54+00:00"
    moment = coverage_at(clips.app, _ref(clips), 2.5)  # A's first frame
    assert moment["utc"]["earliest_utc"] == "2024-03-01T03:59:56.500000+00:00"
    # A window on A that cannot hold together with C's is a conflict, not a time.
    chronolocation.add_chronolocation(
        clips.app, str(clips.a), earliest="2024-03-02T00:00:00Z", latest="2024-03-02T01:00:00Z",
        confidence="confirmed", method="sun-position-and-shadows", reasoning="other",
    )  # fmt: skip
    clock = incident_clock(clips.app, _ref(clips))
    assert clock["absolute"] is None
    [conflict] = clock["time_conflicts"]
    assert "cannot both hold" in conflict["message"]


def test_an_excerpt_sits_under_its_parent(clips: Clips) -> None:
    _chain(clips)
    # D is an excerpt of B: B's time = D's time + 1, so D starts at B's 1.0 s.
    links.add_link(clips.app, str(clips.d), str(clips.b), "excerpt", "cut from B", offset=1.0)
    clock = incident_clock(clips.app, _ref(clips))
    d = _by_clip(clock)[clips.d]
    assert d["parent"] == clips.b and d["depth"] == 1
    assert d["start"] == 1.0
    assert d["end"] == pytest.approx(1.0 + d["duration"])
    order = [c["clip"]["id"] for c in clock["clips"]]
    assert order.index(clips.d) == order.index(clips.b) + 1
    # An excerpt overlapping its source is no news; overlapping other footage is.
    pairs = {tuple(o["clips"]) for o in clock["overlaps"]}
    assert tuple(sorted((clips.b, clips.d))) not in pairs
    assert tuple(sorted((clips.a, clips.d))) in pairs


def test_a_clip_linked_without_an_offset_is_not_placed(clips: Clips) -> None:
    _chain(clips)
    links.add_link(clips.app, str(clips.e), str(clips.a), "same-incident", "same smoke")
    clock = incident_clock(clips.app, _ref(clips))
    [missing] = clock["not_placed"]
    assert missing["clip"]["id"] == clips.e
    assert "no time offset" in missing["reason"]
    assert clips.e not in _by_clip(clock)


def test_coverage_gives_each_clip_time_and_frame(analysed: Clips) -> None:
    k = analysed
    _chain(k)
    moment = coverage_at(k.app, _ref(k), 3.0)
    by = {c["clip"]["id"]: c for c in moment["clips"]}
    assert by[k.b]["covers"] and by[k.b]["clip_seconds"] == 3.0
    assert by[k.a]["covers"] and by[k.a]["clip_seconds"] == 0.5
    assert by[k.b]["frame_index"] == frames.frame_index_at(k.app, str(k.b), "3.0")
    assert by[k.a]["frame_index"] == frames.frame_index_at(k.app, str(k.a), "0.5")
    assert by[k.a]["frame_index"] > 0
    assert by[k.c]["covers"] is False and by[k.c]["frame_index"] is None


def test_cuts_are_mapped_to_the_clock(analysed: Clips) -> None:
    k = analysed
    _chain(k)
    a = _by_clip(incident_clock(k.app, _ref(k)))[k.a]
    assert a["cuts"], "cut.mp4 has a hard cut"
    for cut in a["cuts"]:
        assert cut["clock_seconds"] == pytest.approx(2.5 + cut["clip_seconds"])


def test_events_in_clock_order_with_cross_references(analysed: Clips) -> None:
    k = analysed
    _chain(k)
    late = events.add_event(k.app, str(k.c), at="1.0", label="smoke rises")
    mid = events.add_event(k.app, str(k.b), at="3.0", label="the prisoners lie face down")
    early = events.add_event(k.app, str(k.a), at="0.2", label="drone turns")
    listing = incident_events(k.app, _ref(k))["events"]
    assert [e["id"] for e in listing] == [early["id"], mid["id"], late["id"]]
    assert [e["clock_seconds"] for e in listing] == pytest.approx([2.7, 3.0, 7.0])
    face_down = listing[1]
    assert face_down["cross_reference"] == f"clip #{k.b} 00:03.0 = clip #{k.a} 00:00.5"
    [other] = face_down["also_seen_in"]
    assert other["clip"]["id"] == k.a
    assert other["frame_index"] == frames.frame_index_at(k.app, str(k.a), "0.5")
    assert listing[2]["also_seen_in"] == []  # only C shows 7.0 s


def test_clock_time_text() -> None:
    assert clock_time_text(41.2) == "00:41.2"
    assert clock_time_text(72.96) == "01:13.0"
    assert clock_time_text(0) == "00:00.0"


def test_the_figure_is_stored_with_its_hash(clips: Clips, tmp_path: Path) -> None:
    links.add_link(clips.app, str(clips.a), str(clips.b), "continuation", "later", offset=-7.5)
    events.add_event(clips.app, str(clips.b), at="1.0", label="shot fired")
    for name in ("timeline.png", "timeline.svg"):
        out = tmp_path / name
        figure = store_timeline(clips.app, _ref(clips), out)
        data = out.read_bytes()
        assert data == figure.data
        assert hashlib.sha256(data).hexdigest() == figure.sha256
        with clips.app.db.read() as session:
            stored = session.get(StoredFile, figure.file_id)
            assert stored is not None and stored.role == ROLE_TIMELINE
            assert stored.sha256 == figure.sha256
            event = session.scalars(select(CustodyEvent).where(
                CustodyEvent.action == "incident.timeline").order_by(CustodyEvent.seq.desc())
            ).first()  # fmt: skip
            assert event is not None and event.details["sha256"] == figure.sha256
        assert clips.app.store.resolve(figure.stored_path).read_bytes() == data
    svg = (tmp_path / "timeline.svg").read_text()
    ElementTree.fromstring(svg)  # well-formed: a report tool can embed it
    assert svg.count('class="gap"') == 1 and svg.count('class="event"') == 1
    assert svg.count('class="span"') == 2
    assert data[:5] == b"<svg "
    assert (tmp_path / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert verify(clips.app).ok


def test_no_figure_without_a_placed_clip(clips: Clips, tmp_path: Path) -> None:
    links.add_link(clips.app, str(clips.a), str(clips.b), "same-incident", "no offset known")
    with pytest.raises(VerifierError, match="no clip could be placed on its clock"):
        store_timeline(clips.app, _ref(clips), tmp_path / "t.png")
    assert not (tmp_path / "t.png").exists()


def test_the_figure_refuses_other_formats(clips: Clips, tmp_path: Path) -> None:
    _chain(clips)
    with pytest.raises(VerifierError, match="--out: the figure is written as PNG or SVG"):
        store_timeline(clips.app, _ref(clips), tmp_path / "t.jpg")


# -- CLI -----------------------------------------------------------------------


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def test_cli_timeline_and_events(clips: Clips, settings: Settings, tmp_path: Path) -> None:
    links.add_link(clips.app, str(clips.a), str(clips.b), "continuation", "later", offset=-7.5)
    code, out = _run(settings, "event", "add", str(clips.b), "--at", "1.5", "--label",
                     "convoy stops")  # fmt: skip
    assert code == 0, out
    code, out = _run(settings, "incident", "timeline", _ref(clips))
    assert code == 0, out
    assert f"clip #{clips.a} cut.mp4: 00:00.0 – 00:04.0 (reference)" in out
    assert f"clip #{clips.b} static_a.mp4: 00:07.5 – 00:11.5" in out
    assert "gap: 00:04.0 – 00:07.5 (3.500 s, no clip covers it)" in out
    code, out = _run(settings, "incident", "timeline", _ref(clips), "--json", "--out",
                     str(tmp_path / "t.svg"))  # fmt: skip
    assert code == 0, out
    doc = json.loads(out)
    assert doc["figure"]["format"] == "svg" and (tmp_path / "t.svg").is_file()
    code, out = _run(settings, "incident", "events", _ref(clips))
    assert code == 0, out
    assert "00:09.0  convoy stops" in out and f"clip #{clips.b} 00:01.5" in out
    code, out = _run(settings, "incident", "timeline", "99")
    assert code == 1 and "no incident #99 in this case" in out
    code, out = _run(settings, "incident", "events", "clip:999")
    assert code == 1 and "clip #999 is in no incident" in out


def test_a_moment_summed_from_offsets_names_the_frame_that_starts_there(analysed: Clips) -> None:
    k = analysed
    # B starts 0.7 s after A: an event at B's 0.1 s is A's 0.8 s, which 0.7 + 0.1 misses
    # in binary floating point by a hair (0.7999999999999999).
    links.add_link(k.app, str(k.a), str(k.b), "same-incident", "x", offset=-0.7)
    events.add_event(k.app, str(k.b), at="0.1", label="flash")
    [event] = incident_events(k.app, _ref(k))["events"]
    [a] = event["also_seen_in"]
    assert a["clip_seconds"] == 0.8
    assert a["frame_index"] == frames.frame_index_at(k.app, str(k.a), "0.8")


def test_a_frame_that_starts_between_microseconds_is_named_at_its_start(
    settings: Settings, fixture_dir: Path
) -> None:
    """vfr.mp4's 30 fps frames start at n/30 s, never a whole microsecond: the moment of a
    frame's start names that frame, not the one before."""
    app = open_app(settings)
    try:
        case = cases.create_case(app, "V")
        names = ("vfr.mp4", "cut.mp4")
        report = import_paths(app, [fixture_dir / n for n in names], case, analyse=True)
        v, c = (i.clip_id for i in report.items)
        links.add_link(app, str(c), str(v), "same-incident", "x", offset=0.0)
        view = load_clip_view(app, v)  # type: ignore[arg-type]
        for index in (1, 2, 31, 64):
            moment = coverage_at(app, f"clip:{v}", view.seconds_of(index))
            by = {x["clip"]["id"]: x for x in moment["clips"]}
            assert by[v]["frame_index"] == index
            # And a hair (a millisecond) before its start, the frame before is on screen.
            earlier = coverage_at(app, f"clip:{v}", view.seconds_of(index) - 0.001)
            assert {x["clip"]["id"]: x for x in earlier["clips"]}[v]["frame_index"] == index - 1
    finally:
        app.close()
