"""The shadow tool in the window: lines clicked on the frame, bearing entered, windows
shown with the sun-path figure; Create time finding puts the finding in the Time tab."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QDate, QPointF, QSize, Qt
from tests.gui_helpers import open_clip, show_window
from tests.helpers import import_one
from tests.test_shadows_service import KYIV, MOMENT, NORTH_UP, _lines_for

from verifier.geo.shadow import Line
from verifier.geo.sun import sun_at
from verifier.gui.shadow_tool import ShadowToolDialog
from verifier.gui.tasks import TaskRunner
from verifier.services import chronolocation, geolocation
from verifier.services.context import App

pytestmark = pytest.mark.gui


def _click_line(qtbot: Any, box: ShadowToolDialog, line: Line) -> None:
    for x, y in ((line.x1, line.y1), (line.x2, line.y2)):
        at = box.canvas.frame_to_widget(QPointF(x, y)).toPoint()
        qtbot.mouseClick(box.canvas, Qt.MouseButton.LeftButton, pos=at, delay=300)


def test_lines_drawn_give_windows_and_a_time_finding(
    qtbot: Any, app: App, fixture_dir: Path
) -> None:
    clip = import_one(app, fixture_dir / "cut.mp4")
    geolocation.add_geolocation(app, str(clip), at=KYIV, precision_m=50, confidence="confirmed",
                                method="landmark", reasoning="Motherland monument")  # fmt: skip
    win = show_window(qtbot, app, "A", 1)
    open_clip(qtbot, win, "cut.mp4")
    win.viewer.go_to(10)
    qtbot.waitUntil(lambda: win.viewer.current_index == 10, timeout=10_000)
    action = next(a for a in win.findChildren(type(win.menuBar().actions()[0]))
                  if a.text() == "Shadow tool…")  # fmt: skip
    action.trigger()
    box = win.dialog
    assert isinstance(box, ShadowToolDialog) and box.frame == 10
    qtbot.waitUntil(lambda: "geolocation #" in box.place.text(), timeout=10_000)
    assert "50.45010, 30.52340" in box.place.text()

    pole, shadow = _lines_for(MOMENT)
    # Clicked in the order the tool asks: object, shadow, reference.
    for line in (pole, shadow, NORTH_UP):
        _click_line(qtbot, box, line)
    for role, line in zip(("object", "shadow", "reference"), (pole, shadow, NORTH_UP),
                          strict=True):  # fmt: skip
        drawn = box.lines[role]
        assert drawn is not None, role
        assert abs(drawn.x1 - line.x1) < 2 and abs(drawn.y2 - line.y2) < 2, role
    assert box.line_labels["shadow"].text().endswith("80 px")

    box.bearing.setValue(0.0)
    box.source.setText("OSM way 123")
    for edit in (box.date_from, box.date_to):
        edit.setDate(QDate(2025, 6, 21))
    qtbot.mouseClick(box.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.run is not None, timeout=30_000)
    run = box.run
    assert run is not None and run.search.first_day == date(2025, 6, 21)
    assert abs(run.measure.shadow_bearing - _expected_bearing()) < 1.5
    assert box.windows.count() == len(run.windows) >= 1
    first = run.windows[0]
    assert first.start < MOMENT < first.end
    text = box.windows.item(0).text()
    assert f"{first.start:%Y-%m-%d %H:%M}" in text and "UTC" in text
    assert f"local 2025-06-21 {run.zone.local(first.start):%H:%M}" in text and "(+03:00)" in text
    assert f"Shadow bearing {run.measure.shadow_bearing:.1f}°" in box.measured.text()
    assert not box.figure.figure.isNull()

    assert box.create_button.isEnabled()
    qtbot.mouseClick(box.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(f["method"] == "sun position and shadows" for f in win.chrono.findings),
        timeout=20_000,
    )
    [found] = [f for f in win.chrono.findings if f["method"] == "sun position and shadows"]
    assert found["earliest"] == first.start.isoformat()
    assert f"Time finding #{found['id']} recorded" in box.stored.text()
    assert len(found["annotations"]) == 3


def _expected_bearing() -> float:
    bearing = sun_at(*KYIV, MOMENT).shadow_bearing
    assert bearing is not None
    return bearing


def test_find_without_lines_says_what_is_missing(qtbot: Any, app: App, fixture_dir: Path) -> None:
    clip = import_one(app, fixture_dir / "cut.mp4")
    runner = TaskRunner()
    try:
        box = ShadowToolDialog(None, app, runner, clip, 0, None, QSize(320, 240))
        qtbot.addWidget(box)
        box.set_line("object", Line(10, 100, 10, 20))
        qtbot.mouseClick(box.find_button, Qt.MouseButton.LeftButton)
        assert runner.errors == ["Draw the shadow and reference lines first."]
        box.set_line("shadow", Line(10, 100, 60, 100))
        qtbot.mouseClick(box.find_button, Qt.MouseButton.LeftButton)
        assert runner.errors[-1] == "Draw the reference line first."
        qtbot.waitUntil(lambda: "add a geolocation" in box.place.text(), timeout=10_000)
        assert box.dates_note.text().startswith("The clip has no time window closed")
    finally:
        runner.shutdown()


def test_dates_come_from_the_clip_time_window(qtbot: Any, app: App, fixture_dir: Path) -> None:
    clip = import_one(app, fixture_dir / "cut.mp4")
    chronolocation.add_chronolocation(app, str(clip), earliest="2025-06-20T12:00Z",
                                      latest="2025-06-22T12:00Z", confidence="probable",
                                      method="visible-events", reasoning="heat")  # fmt: skip
    runner = TaskRunner()
    try:
        box = ShadowToolDialog(None, app, runner, clip, 0, None, QSize(320, 240))
        qtbot.addWidget(box)
        qtbot.waitUntil(lambda: box.dates_note.text().startswith("From"), timeout=10_000)
        assert box.date_from.date() == QDate(2025, 6, 20)
        assert box.date_to.date() == QDate(2025, 6, 22)
        assert "the clip's time window (finding #" in box.dates_note.text()
        box.date_to.setDate(QDate(2025, 6, 21))
        assert box.dates_note.text().startswith("Chosen here;")
        assert box.dates_note.text().endswith("gives 2025-06-20 to 2025-06-22.")
    finally:
        runner.shutdown()
