"""The incident view: lanes and gaps on the clock, clips opened side by side at a moment,
stepping together, "no footage at this moment", and events added in the window."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt
from sqlalchemy import select

from verifier.config import Settings
from verifier.db.models import CustodyEvent
from verifier.gui.incident_player import NO_FOOTAGE, IncidentPlayer
from verifier.gui.incident_view import IncidentView
from verifier.gui.tasks import TaskRunner
from verifier.services import cases, events, links
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.incident_clock import coverage_at

pytestmark = pytest.mark.gui


@dataclass
class Incident:
    app: App
    case: cases.CaseRecord
    a: int  # cut.mp4: 25 fps, 4 s, on the clock 1-5 s
    b: int  # vfr.mp4: 30 fps (10 fps in its second second), 3 s, on the clock 0-3 s
    d: int  # black.mp4: 3 s, on the clock 7-10 s: a 2 s gap after A

    @property
    def ref(self) -> str:
        return f"clip:{self.a}"


@pytest.fixture
def incident(settings: Settings, fixture_dir: Path) -> Iterator[Incident]:
    app = open_app(settings)
    try:
        case = cases.create_case(app, "I")
        names = ("cut.mp4", "vfr.mp4", "black.mp4")
        report = import_paths(app, [fixture_dir / n for n in names], case, analyse=True)
        a, b, d = (i.clip_id for i in report.items)
        links.add_link(app, str(a), str(b), "same-incident", "two cameras", offset=1.0)
        links.add_link(app, str(a), str(d), "continuation", "D picks up", offset=-6.0)
        yield Incident(app, case, a, b, d)  # type: ignore[arg-type]
    finally:
        app.close()


def _view(qtbot, k: Incident) -> IncidentView:  # type: ignore[no-untyped-def]
    runner = TaskRunner()
    view = IncidentView(k.app, runner, k.ref, k.case)
    qtbot.addWidget(view)
    view.resize(1300, 700)
    view.show()
    qtbot.waitUntil(lambda: view.loaded, timeout=15_000)
    return view


def _player(qtbot, view: IncidentView) -> IncidentPlayer:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: view.player is not None, timeout=10_000)
    player = view.player
    assert player is not None
    qtbot.addWidget(player)
    qtbot.waitUntil(lambda: player.coverage is not None, timeout=15_000)
    return player


def _settled(player: IncidentPlayer) -> bool:
    return player.coverage is not None and all(
        not p.covers or p.viewer.current_index == p.frame_index for p in player.panes
    )


def test_one_lane_per_placed_clip_and_the_gap_with_its_length(qtbot, incident: Incident) -> None:
    view = _view(qtbot, incident)
    timeline = view.timeline
    assert [lane["clip"]["id"] for lane in timeline.lanes] == [incident.b, incident.a, incident.d]
    [gap] = view.clock["gaps"]  # type: ignore[index]
    assert gap["start"] == pytest.approx(5.0, abs=1e-3)
    assert gap["duration"] == pytest.approx(2.0, abs=1e-3)
    timeline.grab()  # paints: the gap rectangles are laid out while drawing
    [(rect, text)] = timeline.gap_rects
    assert text == "gap 2.0 s"
    assert rect.left() == pytest.approx(timeline.x_of(gap["start"]))
    assert rect.right() == pytest.approx(timeline.x_of(gap["end"]), abs=1.0)
    # Lane spans sit where the clock puts them.
    a_rect = timeline.lane_rect(1)
    assert a_rect.left() == pytest.approx(timeline.x_of(1.0))
    assert timeline.seconds_at(a_rect.right()) == pytest.approx(5.0, abs=0.01)
    assert "gap" in view.summary.text() and "2.0 s" in view.summary.text()


def test_clicking_an_overlap_opens_both_clips_at_the_service_frames(
    qtbot, incident: Incident
) -> None:
    view = _view(qtbot, incident)
    timeline = view.timeline
    x = round(timeline.x_of(2.0))
    y = round(timeline.lane_rect(0).center().y())
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    player = _player(qtbot, view)
    assert [p.clip_id for p in player.panes] == [incident.b, incident.a]
    answer = coverage_at(incident.app, incident.ref, player.moment, incident.case)
    expected = {c["clip"]["id"]: c["frame_index"] for c in answer["clips"]}
    qtbot.waitUntil(lambda: _settled(player), timeout=15_000)
    for pane in player.panes:
        assert pane.showing_footage
        assert pane.viewer.current_index == expected[pane.clip_id]
    # About 2 s on the clock: B (30 fps) is at about 2 s, A (25 fps) about 1 s in.
    assert abs(player.moment - 2.0) < 0.01
    a_pane = player.panes[1]
    assert a_pane.viewer.current_index == pytest.approx(25, abs=1)


def test_stepping_moves_every_pane_to_the_frames_the_service_names(
    qtbot, incident: Incident
) -> None:
    view = _view(qtbot, incident)
    view.open_moment(2.5)
    player = _player(qtbot, view)
    qtbot.waitUntil(lambda: _settled(player), timeout=15_000)
    ref_pane, a_pane = player.panes
    assert player.reference_pane is ref_pane
    before = (ref_pane.viewer.current_index, a_pane.viewer.current_index)
    view_b = ref_pane.view
    assert view_b is not None
    for steps in (1, 2, 3, 4, 5):
        qtbot.keyClick(player, Qt.Key.Key_Right)
        moment = ref_pane.doc["start"] + view_b.seconds_of(before[0] + steps)
        qtbot.waitUntil(
            lambda m=moment: (
                player.coverage is not None
                and abs(player.coverage["clock_seconds"] - m) < 1e-6
                and _settled(player)
            ),
            timeout=15_000,
        )
        # The stepped clip stays on the frame asked for: the service names it too.
        assert ref_pane.viewer.current_index == before[0] + steps
    qtbot.keyClick(player, Qt.Key.Key_Left)
    qtbot.keyClick(player, Qt.Key.Key_Left)
    qtbot.keyClick(player, Qt.Key.Key_Left)
    moment = ref_pane.doc["start"] + view_b.seconds_of(before[0] + 2)
    qtbot.waitUntil(
        lambda: (
            player.coverage is not None
            and abs(player.coverage["clock_seconds"] - moment) < 1e-6
            and _settled(player)
        ),
        timeout=15_000,
    )
    assert ref_pane.viewer.current_index == before[0] + 2
    assert player.moment == pytest.approx(moment, abs=1e-6)
    answer = coverage_at(incident.app, incident.ref, player.moment, incident.case)
    expected = {c["clip"]["id"]: c["frame_index"] for c in answer["clips"]}
    assert a_pane.viewer.current_index == expected[incident.a]
    assert a_pane.viewer.current_index != before[1]  # 2 frames at 30 fps move A at 25 fps
    # A's frames (25 fps) do not start where B's (30 fps) do: the readout says by how much.
    a_seconds = player.moment - 1.0
    gap = a_pane.view.seconds_of(expected[incident.a]) - a_seconds  # type: ignore[union-attr]
    assert abs(gap) > 0.001
    side = "before" if gap < 0 else "after"
    assert a_pane.readout.text().startswith(
        f"frame {expected[incident.a]} starts {abs(gap):.3f} s {side} this moment"
    )
    # The view's playhead follows the player.
    assert view.moment == pytest.approx(player.moment)


def test_a_clip_without_footage_at_the_moment_says_so(qtbot, incident: Incident) -> None:
    view = _view(qtbot, incident)
    view.open_moment(4.0)  # A only: B ended at 3 s, D starts at 7 s
    player = _player(qtbot, view)
    qtbot.waitUntil(lambda: _settled(player), timeout=15_000)
    a_pane, b_pane = (next(p for p in player.panes if p.clip_id == c)
                      for c in (incident.a, incident.b))  # fmt: skip
    assert a_pane.showing_footage and a_pane.covers
    assert not b_pane.covers and not b_pane.showing_footage
    assert b_pane.empty.isVisible() and b_pane.empty.text() == NO_FOOTAGE
    assert not b_pane.viewer.isVisible()
    assert b_pane.readout.text() == "this clip ended 1.000 s before this moment"
    assert player.reference_pane is a_pane  # only a clip with footage can step the others
    # Stepping A back into B's span brings B's footage back at the named frame.
    player.go_to_moment(2.9)
    qtbot.waitUntil(lambda: b_pane.covers and _settled(player), timeout=15_000)
    assert b_pane.showing_footage


def test_adding_an_event_in_the_window_stores_it_and_shows_a_marker(
    qtbot, incident: Incident
) -> None:
    view = _view(qtbot, incident)
    view.open_moment(2.0)
    _player(qtbot, view)
    qtbot.waitUntil(lambda: view.add_button.isEnabled(), timeout=10_000)
    view.add_dialog()
    dialog = view.dialog
    dialog.clip_box.setCurrentIndex(dialog.clip_box.findData(incident.a))
    dialog.label_edit.setText("the prisoners lie face down")
    dialog.note_edit.setPlainText("both cameras")
    frame = next(c["frame_index"] for c in view.coverage["clips"]  # type: ignore[index]
                 if c["clip"]["id"] == incident.a)  # fmt: skip
    dialog.accept()
    qtbot.waitUntil(lambda: view.event_list.count() == 1, timeout=15_000)
    [stored] = events.list_events(incident.app, str(incident.a))
    assert stored["label"] == "the prisoners lie face down"
    assert stored["frame_index"] == frame
    assert stored["note"] == "both cameras"
    with incident.app.db.read() as session:
        logged = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == "event.add")
        ).all()
    assert [(e.target_type, e.target_id) for e in logged] == [("clip", str(incident.a))]
    assert logged[0].details["event"]["label"] == "the prisoners lie face down"
    view.timeline.grab()
    [(x, shown)] = view.timeline.event_marks
    assert shown["id"] == stored["id"]
    assert view.timeline.seconds_at(x) == pytest.approx(1.0 + stored["at_seconds"], abs=0.01)
    assert "the prisoners lie face down" in view.event_list.item(0).text()
    tip = view.timeline.tooltip_at(QPointF(x, view.timeline.lane_rect(0).top()))
    assert f"clip #{incident.a}" in tip and f"frame {frame}" in tip


def test_editing_and_deleting_an_event_in_the_window(qtbot, incident: Incident) -> None:
    made = events.add_event(incident.app, str(incident.b), label="a car passes", at="0.5")
    view = _view(qtbot, incident)
    assert view.event_list.count() == 1
    view.event_list.setCurrentRow(0)
    view.edit_dialog()
    view.dialog.label_edit.setText("a white car passes")
    view.dialog.accept()
    qtbot.waitUntil(lambda: "white" in view.event_list.item(0).text(), timeout=15_000)
    [stored] = events.list_events(incident.app, str(incident.b))
    assert stored["label"] == "a white car passes" and stored["version"] == made["version"] + 1
    view.event_list.setCurrentRow(0)
    view.delete_current()
    qtbot.waitUntil(lambda: view.event_list.count() == 0, timeout=15_000)
    assert events.list_events(incident.app, str(incident.b)) == []
    view.timeline.grab()
    assert view.timeline.event_marks == []


def test_loud_sounds_are_offered_and_one_accepted_with_a_persons_label(
    qtbot, incident: Incident, tmp_path: Path
) -> None:
    from tests.test_events import BANGS, _clip_with_bangs

    [item] = import_paths(
        incident.app, [_clip_with_bangs(tmp_path / "bangs.mp4")], incident.case
    ).items
    bangs = int(item.clip_id)  # type: ignore[arg-type]
    links.add_link(incident.app, str(incident.a), str(bangs), "same-incident", "x", offset=0.0)
    view = _view(qtbot, incident)
    view.candidate_clip.setCurrentIndex(view.candidate_clip.findData(bangs))
    view.find_button.click()
    qtbot.waitUntil(lambda: len(view.candidates) == len(BANGS), timeout=30_000)
    assert [c["time"] for c in view.candidates] == pytest.approx(BANGS, abs=0.011)
    view.candidate_list.setCurrentRow(0)
    view.ignore_current()  # nothing stored, gone from the list
    assert len(view.candidates) == 2 and view.candidate_list.count() == 2
    view.candidate_list.setCurrentRow(0)
    view.accept_dialog()
    view.dialog.label_edit.setText("bang, people duck")
    view.dialog.accept()
    qtbot.waitUntil(lambda: view.event_list.count() == 1, timeout=15_000)
    [stored] = events.list_events(incident.app, str(bangs))
    assert stored["origin"] == "candidate-accepted" and stored["label"] == "bang, people duck"
    assert stored["at_seconds"] == pytest.approx(BANGS[1], abs=0.011)


def test_the_case_menu_and_the_incidents_view_open_the_timeline(qtbot, incident: Incident) -> None:
    from tests.gui_helpers import open_clip, show_window

    win = show_window(qtbot, incident.app, "I", 3)
    open_clip(qtbot, win, "cut.mp4")
    action = next(a for a in win.findChildren(type(win.menuBar().actions()[0]))
                  if a.text().startswith("Incident timeline"))  # fmt: skip
    action.trigger()
    view = win.incident_view
    qtbot.waitUntil(lambda: view.loaded, timeout=15_000)
    assert view.ref == f"clip:{incident.a}"
    assert [lane["clip"]["id"] for lane in view.timeline.lanes] == [
        incident.b, incident.a, incident.d,
    ]  # fmt: skip
    view.close()
    win.show_incidents()
    graph = win.dialog
    qtbot.waitUntil(lambda: graph.loaded, timeout=15_000)
    graph.timeline_button.click()
    timeline = graph.timeline_view
    qtbot.waitUntil(lambda: timeline.loaded, timeout=15_000)
    assert {lane["clip"]["id"] for lane in timeline.timeline.lanes} == {
        incident.a, incident.b, incident.d,
    }  # fmt: skip
    timeline.close()
