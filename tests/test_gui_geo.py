"""The Geolocation and Links tabs, Save this alignment, and the incidents view."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from tests.gui_helpers import open_clip, show_window

from verifier.geo.coords import CoordinateError, parse_location
from verifier.gui.compare import ComparisonWindow
from verifier.gui.geolocation import FindingDialog
from verifier.gui.incidents import IncidentsView
from verifier.gui.links import LinkDialog, SaveAlignmentDialog
from verifier.gui.main_window import MainWindow
from verifier.gui.viewer import FrameViewer
from verifier.ids import ClipId
from verifier.services import cases
from verifier.services.annotations import add_annotation
from verifier.services.context import App
from verifier.services.geolocation import list_geolocations
from verifier.services.importing import import_paths
from verifier.services.incidents import list_incidents
from verifier.services.links import add_link, list_links

pytestmark = pytest.mark.gui

MGRS_TEXT = "37U CQ 12345 67890"
# 37U CQ 12345 67890 is the south-west corner of a 1 m square near Kharkiv.
MGRS_LAT, MGRS_LON = 49.334853, 36.416909


def _case(app: App, fixture_dir: Path, name: str, files: list[str], analyse: bool) -> list[int]:
    case = cases.create_case(app, name)
    report = import_paths(app, [fixture_dir / f for f in files], case, analyse=analyse)
    ids = [i.clip_id for i in report.items]
    assert all(ids), report.items
    return [int(i) for i in ids if i is not None]


def _idle(qtbot: Any, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=10_000)


def _window(qtbot: Any, app: App, case: str, clips: int, name: str) -> tuple[MainWindow, int]:
    win = show_window(qtbot, app, case, clips)
    clip_id = open_clip(qtbot, win, name)
    _idle(qtbot, win)
    return win, clip_id


# ----------------------------------------------------------------- geolocation


def test_pasting_mgrs_stores_the_point_and_shows_both_map_links(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    [clip] = _case(app, fixture_dir, "Geo", ["cut.mp4"], analyse=True)
    note = add_annotation(app, clip, 0, (5, 5, 40, 30), "landmark", "the twin silos")
    add_annotation(app, clip, 7, (1, 1, 10, 10), "vehicle", "")
    win, _ = _window(qtbot, app, "Geo", 1, "cut.mp4")
    pane = win.geolocation
    win.tabs.setCurrentWidget(pane)
    assert pane.findings == [] and "No geolocation finding" in pane.details.toPlainText()
    qtbot.mouseClick(pane.add_button, Qt.MouseButton.LeftButton)
    dialog = pane.dialog
    assert isinstance(dialog, FindingDialog)
    assert not dialog.save_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(dialog.location, MGRS_TEXT)
    # Parsed as it is typed: decimal, DMS and MGRS under the field.
    assert dialog.parsed.text().startswith(f"{MGRS_LAT:.6f}, {MGRS_LON:.6f}")
    assert MGRS_TEXT in dialog.parsed.text() and "°" in dialog.parsed.text()
    assert dialog.save_button.isEnabled()
    dialog.reasoning.setPlainText("two silos and the road bend match the Maxar image")
    dialog.place.setText("Chuhuiv road")
    assert "frame 0" in dialog.from_frame.text() or "(0, 1 annotation" in dialog.from_frame.text()
    qtbot.mouseClick(dialog.from_frame, Qt.MouseButton.LeftButton)
    assert dialog.frames.text() == "0"
    assert dialog.annotation_ids() == [note["id"]]  # the one on frame 0, not frame 7's
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(pane.findings) == 1, timeout=10_000)
    assert not dialog.isVisible()

    [stored] = list_geolocations(app, str(clip))
    expected = parse_location(MGRS_TEXT)
    assert (stored["lat"], stored["lon"]) == (expected.lat, expected.lon)
    assert (round(stored["lat"], 6), round(stored["lon"], 6)) == (MGRS_LAT, MGRS_LON)
    assert (stored["frames"], stored["annotations"]) == ([0], [note["id"]])
    assert stored["coordinate_text"] == MGRS_TEXT and stored["place"] == "Chuhuiv road"
    osm = f"https://www.openstreetmap.org/?mlat={MGRS_LAT:.6f}&amp;mlon={MGRS_LON:.6f}"
    google = f"https://www.google.com/maps/search/?api=1&amp;query={MGRS_LAT:.6f},{MGRS_LON:.6f}"
    assert f"<a href='{osm}" in pane.shown_html and f"<a href='{google}'" in pane.shown_html
    assert pane.details.toHtml().count("<a href=") == 2  # both links are in the document
    text = pane.details.toPlainText()
    assert f"{MGRS_LAT:.6f}, {MGRS_LON:.6f}" in text and MGRS_TEXT in text
    assert "OpenStreetMap" in text and "Google Maps" in text
    assert "49°20'05.5\"N 36°25'00.9\"E" in text
    qtbot.mouseClick(pane.copy_button, Qt.MouseButton.LeftButton)
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == f"{MGRS_LAT:.6f}, {MGRS_LON:.6f}"


@pytest.mark.parametrize("typed", ["48.5N 35.9N", "48.5, 35.9 junk", "91, 30", "37U CQ 123"])
def test_a_bad_coordinate_shows_the_parser_error_and_stores_nothing(
    qtbot: Any, app: App, fixture_dir: Path, typed: str
) -> None:
    [clip] = _case(app, fixture_dir, "Bad", ["cut.mp4"], analyse=False)
    win, _ = _window(qtbot, app, "Bad", 1, "cut.mp4")
    win.geolocation.add()
    dialog = win.geolocation.dialog
    assert isinstance(dialog, FindingDialog)
    dialog.reasoning.setPlainText("anything")
    qtbot.keyClicks(dialog.location, typed)
    with pytest.raises(CoordinateError) as error:
        parse_location(typed)
    assert dialog.parsed.text() == str(error.value)
    assert not dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, win)
    assert dialog.isVisible() and list_geolocations(app, str(clip)) == []


def test_confirming_a_proposed_gps_finding_changes_its_status(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    [clip] = _case(app, fixture_dir, "Still", ["still.jpg"], analyse=True)
    win, _ = _window(qtbot, app, "Still", 1, "still.jpg")
    pane = win.geolocation
    qtbot.waitUntil(lambda: len(pane.findings) == 1, timeout=10_000)
    assert pane.table.item(0, 1).text() == "PROPOSED"
    assert "Proposed, not accepted" in pane.details.toPlainText()
    assert pane.confirm_button.isEnabled() and pane.reject_button.isEnabled()
    qtbot.mouseClick(pane.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.findings[0]["status"] == "confirmed", timeout=10_000)
    [stored] = list_geolocations(app, str(clip))
    assert (stored["status"], stored["method"]) == ("confirmed", "metadata GPS")
    assert pane.table.item(0, 1).text() == "confirmed"
    assert "Proposed, not accepted" not in pane.details.toPlainText()
    assert not pane.confirm_button.isEnabled()
    qtbot.mouseClick(pane.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.findings[0]["status"] == "rejected", timeout=10_000)
    assert list_geolocations(app, str(clip))[0]["confidence"] == "rejected"


def test_a_stale_edit_is_refused_and_explained(qtbot: Any, app: App, fixture_dir: Path) -> None:
    [clip] = _case(app, fixture_dir, "Stale", ["still.jpg"], analyse=True)
    win, _ = _window(qtbot, app, "Stale", 1, "still.jpg")
    pane = win.geolocation
    qtbot.waitUntil(lambda: len(pane.findings) == 1, timeout=10_000)
    from verifier.ids import GeolocationId
    from verifier.services.geolocation import edit_geolocation

    edit_geolocation(app, GeolocationId(pane.findings[0]["id"]), place="changed elsewhere")
    pane.edit_selected()
    dialog = pane.dialog
    assert isinstance(dialog, FindingDialog)
    assert dialog.precision.text() == "not given"  # the GPS tag states no precision
    assert dialog.location.text() == f"{pane.findings[0]['lat']:.6f}, {pane.findings[0]['lon']:.6f}"
    assert set(dialog.changes()) == set()
    dialog.place.setText("mine")
    assert dialog.changes() == {"place": "mine"}
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.dialog is not dialog, timeout=10_000)
    assert "changed by someone else" in pane.dialog.windowTitle()
    assert list_geolocations(app, str(clip))[0]["place"] == "changed elsewhere"
    qtbot.waitUntil(lambda: pane.findings[0]["place"] == "changed elsewhere", timeout=10_000)


# ----------------------------------------------------------------------- links


def _settled(viewer: FrameViewer) -> bool:
    return viewer.shown is not None and viewer.target_index == viewer.shown.index


def _settle(qtbot: Any, window: ComparisonWindow) -> None:
    qtbot.waitUntil(
        lambda: _settled(window.viewer_a) and _settled(window.viewer_b) and not window.runner.busy,
        timeout=10_000,
    )


def test_links_pane_adds_rejects_confirms_and_compares_by_the_offset(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    a, b = _case(app, fixture_dir, "Links", ["static_a.mp4", "static_b.mp4"], analyse=True)
    win, _ = _window(qtbot, app, "Links", 2, "static_a.mp4")
    pane = win.links
    win.tabs.setCurrentWidget(pane)
    assert pane.links == [] and "No links yet" in pane.note.text()
    qtbot.mouseClick(pane.add_button, Qt.MouseButton.LeftButton)
    dialog = pane.dialog
    assert isinstance(dialog, LinkDialog)
    assert [dialog.other.itemData(i) for i in range(dialog.other.count())] == [b]
    dialog.kind.setCurrentIndex(dialog.kind.findData("same-incident"))
    assert not dialog.other_first.isEnabled()  # same incident has no direction
    dialog.offset.setText("x1")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Offset: 'x1' is not a number" in dialog.error.text()
    dialog.offset.setText("0.4")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, win)
    assert dialog.isVisible() and dialog.error.text().startswith("--rationale:")
    dialog.rationale.setPlainText("the same convoy from the other side of the road")
    dialog.confidence.setCurrentIndex(dialog.confidence.findData("probable"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(pane.links) == 1, timeout=10_000)
    [stored] = list_links(app, clip_ref=ClipId(a))
    assert (stored["type"], stored["offset"], stored["status"]) == ("same-incident", 0.4,
                                                                     "confirmed")  # fmt: skip
    assert (stored["clip_a"]["id"], stored["clip_b"]["id"]) == (a, b)
    row = [pane.table.item(0, c).text() for c in range(pane.table.columnCount())]
    assert row[:7] == [f"#{stored['id']}", "same-incident", f"#{b} static_b.mp4",
                       "↔ both ways", "probable", "confirmed", "+0.400"]  # fmt: skip

    pane.select(stored["id"])
    assert pane.note.text().startswith(f"Link #{stored['id']}: same incident (another viewpoint), "
                                       f"A #{a} static_a.mp4 ↔ B #{b} static_b.mp4")  # fmt: skip
    assert "B time = A time +0.400 s" in pane.note.text()
    assert pane.note.text().endswith("Why: the same convoy from the other side of the road")
    qtbot.mouseClick(pane.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.links[0]["status"] == "rejected", timeout=10_000)
    assert list_links(app, clip_ref=ClipId(a))[0]["status"] == "rejected"
    pane.select(stored["id"])
    qtbot.mouseClick(pane.confirm_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.links[0]["status"] == "confirmed", timeout=10_000)
    assert list_links(app, clip_ref=ClipId(a))[0]["status"] == "confirmed"

    pane.select(stored["id"])
    assert pane.compare_button.isEnabled()
    qtbot.mouseClick(pane.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(win.comparisons), timeout=10_000)
    window = win.comparisons[-1]
    assert isinstance(window, ComparisonWindow)
    _settle(qtbot, window)
    assert window.related and window.linked.isChecked() and window.offset == 0.4
    assert not window.save_alignment_button.isVisibleTo(window)
    assert window.view_b is not None and window.view_a is not None
    window.viewer_a.go_to(10)
    _settle(qtbot, window)
    expected = window.view_a.seconds_of(10) + 0.4
    assert window.viewer_b.current_index == min(
        range(window.view_b.frame_count),
        key=lambda i: abs(window.view_b.seconds_of(i) - expected),  # type: ignore[union-attr]
    )
    window.close()


def test_directional_link_keeps_the_order_chosen(qtbot: Any, app: App, fixture_dir: Path) -> None:
    a, b = _case(app, fixture_dir, "Order", ["static_a.mp4", "static_b.mp4"], analyse=False)
    win, _ = _window(qtbot, app, "Order", 2, "static_a.mp4")
    win.links.add()
    dialog = win.links.dialog
    assert isinstance(dialog, LinkDialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("continuation"))
    assert dialog.other_first.isEnabled()
    dialog.other_first.setChecked(True)
    dialog.rationale.setPlainText("B stops as the truck turns; A picks up there")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(win.links.links) == 1, timeout=10_000)
    [stored] = list_links(app, clip_ref=ClipId(a))
    assert (stored["clip_a"]["id"], stored["clip_b"]["id"], stored["offset"]) == (b, a, None)
    assert win.links.table.item(0, 3).text() == "the other, then this"
    win.links.select(stored["id"])
    assert not win.links.compare_button.isEnabled()  # no offset, nothing to align by


def test_save_this_alignment_stores_the_offset_as_a_link(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    a, b = _case(app, fixture_dir, "Align", ["static_a.mp4", "static_b.mp4"], analyse=True)
    win, _ = _window(qtbot, app, "Align", 2, "static_a.mp4")
    win.compare_clips(a, b)
    qtbot.waitUntil(lambda: bool(win.comparisons), timeout=10_000)
    window = win.comparisons[-1]
    assert isinstance(window, ComparisonWindow)
    _settle(qtbot, window)
    assert not window.related and window.save_alignment_button.isVisibleTo(window)
    window.viewer_a.go_to(2)
    window.viewer_b.go_to(7)
    _settle(qtbot, window)
    assert window.view_a is not None and window.view_b is not None
    found = window.view_b.seconds_of(7) - window.view_a.seconds_of(2)
    qtbot.mouseClick(window.save_alignment_button, Qt.MouseButton.LeftButton)
    dialog = window.dialog
    assert isinstance(dialog, SaveAlignmentDialog)
    assert dialog.link_type == "aligned"
    dialog.rationale.setPlainText("the flash at A 0:00.08 is B 0:00.28")
    dialog.accept()
    qtbot.waitUntil(lambda: bool(window.saved_label.text()), timeout=10_000)
    [stored] = list_links(app, clip_ref=ClipId(a))
    assert (stored["type"], stored["clip_a"]["id"], stored["clip_b"]["id"]) == ("aligned", a, b)
    assert stored["offset"] == pytest.approx(found)
    assert stored["rationale"] == "the flash at A 0:00.08 is B 0:00.28"
    assert window.saved_label.text() == (
        f"Saved as link #{stored['id']} (aligned): offset +{found:.3f} s"
    )
    # The stored link shows in the open clip's Links tab.
    qtbot.waitUntil(lambda: len(win.links.links) == 1, timeout=10_000)
    assert win.links.table.item(0, 6).text() == f"+{found:.3f}"
    window.close()


# ------------------------------------------------------------------- incidents


def test_incidents_view_draws_one_node_per_clip_and_one_edge_per_link(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    names = ["static_a.mp4", "static_b.mp4", "black.mp4", "cut.mp4"]
    a, b, c, d = _case(app, fixture_dir, "Incidents", names, analyse=False)
    one = add_link(app, ClipId(a), ClipId(b), "same-incident", "two drones, one strike")
    two = add_link(app, ClipId(b), ClipId(c), "continuation", "C picks up as B stops",
                   offset=3.0)  # fmt: skip
    add_link(app, ClipId(a), ClipId(d), "contradicts", "different weather")  # joins nothing
    win = show_window(qtbot, app, "Incidents", 4)
    win.show_incidents()
    view = win.dialog
    assert isinstance(view, IncidentsView)
    qtbot.waitUntil(lambda: view.loaded, timeout=10_000)
    assert len(view.incidents) == 1 and len(view.nodes) == 1
    assert sorted(view.nodes[0]) == [a, b, c]
    assert sorted(e[0] for e in view.edges) == [one["id"], two["id"]]
    labels = {e[0]: e[2].text() for e in view.edges}
    assert labels == {one["id"]: "same-incident", two["id"]: "continuation +3.000 s"}
    assert view.nodes[0][b].name_item.text() == "static_b.mp4"
    assert view.titles[0].text() == f"Unnamed incident (clip:{a})"

    view.name_edit.setText("Strike on the bridge")
    view.description_edit.setPlainText("Seen from both banks")
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.incidents[0].get("name") == "Strike on the bridge", timeout=10_000)
    [incident] = list_incidents(app)["incidents"]
    assert (incident["name"], incident["description"]) == (
        "Strike on the bridge", "Seen from both banks")  # fmt: skip
    assert view.titles[0].text() == f"#{incident['id']} Strike on the bridge"
    assert view.incident_list.item(0).text() == f"#{incident['id']} Strike on the bridge · 3 clips"

    # Clicking a clip opens it in the main window.
    node = view.nodes[0][c]
    view.graph.centerOn(node)
    point = view.graph.mapFromScene(node.rect().center())
    with qtbot.waitSignal(view.clipChosen, timeout=5_000) as signal:
        qtbot.mouseClick(view.graph.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert signal.args == [c]
    qtbot.waitUntil(lambda: win.clip_id == c, timeout=10_000)
    view.close()


def test_a_match_rejected_in_the_links_tab_leaves_the_matches_tab_at_once(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    _case(app, fixture_dir, "Rejected", ["cut.mp4", "offset.mp4"], analyse=True)
    win, _ = _window(qtbot, app, "Rejected", 2, "cut.mp4")
    qtbot.waitUntil(lambda: len(win.matches.relations) == 1, timeout=10_000)
    pane = win.links
    win.tabs.setCurrentWidget(pane)
    qtbot.waitUntil(lambda: len(pane.links) == 1, timeout=10_000)
    assert pane.links[0]["status"] == "proposed"
    pane.table.selectRow(0)
    qtbot.mouseClick(pane.reject_button, Qt.MouseButton.LeftButton)
    # Without reopening the clip: the Matches tab no longer offers the rejected match.
    qtbot.waitUntil(lambda: win.matches.relations == [], timeout=10_000)
    assert win.runner.errors == []
