"""The landmark-matching dialog on real images: figure, verdict, where it was kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from tests.gui_helpers import open_clip, show_window
from tests.test_landmarks_service import BOX, LEUVEN, SCENE, scene_clip

from verifier.config import load_settings
from verifier.gui.landmarks import LandmarksDialog
from verifier.gui.tasks import TaskRunner
from verifier.services import cases
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


@pytest.fixture
def scene_app(tmp_path: Path) -> Iterator[App]:
    application = open_app(load_settings(data_dir=tmp_path / "data", analyst="tester"))
    case = cases.create_case(application, "Landmarks case")
    report = import_paths(application, [scene_clip(tmp_path / "scene.mp4")], case)
    assert report.count("imported") == 1
    yield application
    application.close()


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def dialog(qtbot: Any, app: App, runner: TaskRunner, default_a: str = "") -> LandmarksDialog:
    box = LandmarksDialog(None, app, runner, default_a)
    qtbot.addWidget(box)
    box.show()
    return box


def run_match(qtbot: Any, box: LandmarksDialog) -> None:
    qtbot.mouseClick(box.match_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.run is not None and box.match_button.isEnabled(), timeout=20_000)


def test_two_images_match_and_the_figure_is_shown(
    qtbot: Any, scene_app: App, runner: TaskRunner
) -> None:
    box = dialog(qtbot, scene_app, runner)
    box.a_edit.setText(str(BOX))
    box.b_edit.setText(str(SCENE))
    run_match(qtbot, box)
    assert box.run is not None
    assert box.verdict.text() == f"Match: {box.run.result.reason}"
    assert box.verdict.property("verdict") == "match"
    assert f"{box.run.result.inliers} inliers (homography)" in box.counts.text()
    assert box.stored.text().startswith("Figure not stored: neither side is a clip frame")
    # The figure is the full-size PNG, shown scaled down to fit the dialog.
    assert box.figure.figure.width() > 1000
    shown = box.figure.pixmap()
    assert not shown.isNull()
    assert shown.width() <= box.figure.width() and shown.height() <= box.figure.height()
    assert box.save_button.isEnabled()


def test_clip_frame_from_the_window_is_stored(qtbot: Any, scene_app: App, tmp_path: Path) -> None:
    win = show_window(qtbot, scene_app, "Landmarks case", 1)
    clip_id = open_clip(qtbot, win, "scene.mp4")
    win.viewer.go_to(4)
    qtbot.waitUntil(lambda: win.viewer.current_index == 4, timeout=10_000)
    action = next(a for a in win.findChildren(type(win.menuBar().actions()[0]))
                  if a.text() == "Match landmarks…")  # fmt: skip
    action.trigger()
    box = win.dialog
    assert isinstance(box, LandmarksDialog)
    assert box.a_edit.text() == f"{clip_id}@4"
    box.b_edit.setText(str(LEUVEN))
    run_match(qtbot, box)
    assert box.run is not None and box.run.result.verdict == "no-match"
    assert box.verdict.text().startswith("No match: only ")
    assert box.verdict.property("verdict") == "no-match"
    assert box.stored.text().startswith(
        f"Figure kept in the evidence store as file #{box.run.file_id} (SHA-256 {box.run.sha256})"
    )
    out = tmp_path / "saved.png"
    box.save_to(out)
    qtbot.waitUntil(lambda: out.exists(), timeout=10_000)
    assert out.read_bytes() == box.run.figure_png
    qtbot.waitUntil(lambda: f"Figure saved to {out}" in box.stored.text(), timeout=5_000)


def test_bad_input_is_shown_as_one_error(qtbot: Any, scene_app: App, runner: TaskRunner) -> None:
    box = dialog(qtbot, scene_app, runner, "1@99")
    box.b_edit.setText(str(BOX))
    qtbot.mouseClick(box.match_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(box.runner.errors), timeout=10_000)
    assert box.runner.errors == ["A: frame 99 is outside clip #1 (frames 0..9)"]
    assert box.match_button.isEnabled() and box.run is None
    box.region_edit.setText("0,0,10")
    qtbot.mouseClick(box.match_button, Qt.MouseButton.LeftButton)
    assert box.runner.errors[-1].startswith("region '0,0,10': give X,Y,W,H")
