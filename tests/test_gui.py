"""The workbench window, driven through its real widgets (pytest-qt, offscreen).

Each test looks at what a person would rely on: the pixels shown are the
decoder's frame for the index shown, keys move where they say, a rectangle
drawn with the mouse is stored on the right frame with the right geometry,
and a broken file in an import is reported while the others arrive.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDialogButtonBox
from tests.gui_helpers import open_clip, show_window

from verifier.config import load_settings
from verifier.gui.dialogs import AnnotationDialog, ImportSummaryDialog
from verifier.gui.imaging import rgb_from_qimage
from verifier.gui.main_window import MainWindow
from verifier.gui.viewer import Look
from verifier.media.decode import VideoDecoder
from verifier.media.enhance import Enhancement
from verifier.services import cases
from verifier.services.annotations import list_annotations
from verifier.services.clips import custody_log
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, fixture_dir: Path) -> Iterator[App]:
    """One case with a cut clip, its B-frame re-encode and a still, imported once."""
    data = tmp_path_factory.mktemp("gui-data")
    application = open_app(load_settings(data_dir=data, analyst="tester"))
    case = cases.create_case(application, "GUI case")
    report = import_paths(
        application,
        [fixture_dir / "cut.mp4", fixture_dir / "offset.mp4", fixture_dir / "still.jpg"],
        case,
    )
    assert report.count("imported") == 3, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "GUI case", 3)
    yield win
    win.close()


def _clip_id(win: MainWindow, name: str) -> int:
    return next(r.id for r in win.browser.model.rows if r.name == name)


def _wait_index(qtbot: Any, win: MainWindow, index: int) -> None:
    qtbot.waitUntil(
        lambda: win.viewer.current_index == index and not win.runner.busy, timeout=10_000
    )


def _decoder_frame(win: MainWindow, index: int, side: int) -> np.ndarray:
    view = win.viewer.view
    assert view is not None
    with VideoDecoder(view.path) as decoder:
        return decoder.frame(index).rgb(side)


def test_stepping_shows_exactly_the_decoders_frame(qtbot: Any, window: MainWindow) -> None:
    open_clip(qtbot, window, "cut.mp4")
    viewer = window.viewer
    for _ in range(3):
        qtbot.keyClick(viewer.canvas, Qt.Key.Key_Right)
    _wait_index(qtbot, window, 3)
    shown = viewer.shown
    assert shown is not None
    side = max(shown.raw.shape[:2])
    on_screen = rgb_from_qimage(shown.image)
    assert np.array_equal(on_screen, shown.raw)  # no enhancement: the pixels as decoded
    assert np.array_equal(shown.raw, _decoder_frame(window, 3, side))
    # A different frame really is different (the comparison can fail).
    assert not np.array_equal(shown.raw, _decoder_frame(window, 60, side))
    assert "Frame 3 / 99" in viewer.info.text()
    assert f"pts {shown.pts}" in viewer.info.text()

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_Left)
    _wait_index(qtbot, window, 2)
    assert np.array_equal(viewer.shown.raw, _decoder_frame(window, 2, side))


def test_keyboard_shortcuts_move_where_they_say(qtbot: Any, window: MainWindow) -> None:
    open_clip(qtbot, window, "cut.mp4")
    viewer = window.viewer
    view = viewer.view
    assert view is not None
    canvas = viewer.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    _wait_index(qtbot, window, view.index_at(1.0))
    assert viewer.current_index == 25  # 25 fps: one second is 25 frames
    qtbot.keyClick(canvas, Qt.Key.Key_PageDown)
    _wait_index(qtbot, window, 50)  # the cut at frame 50 is the next mark
    qtbot.keyClick(canvas, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: viewer.current_index is not None and viewer.current_index < 50)
    assert viewer.current_index == view.previous_mark(50)
    qtbot.keyClick(canvas, Qt.Key.Key_End)
    _wait_index(qtbot, window, view.last_index)
    qtbot.keyClick(canvas, Qt.Key.Key_Right)  # past the end: stays on the last frame
    qtbot.keyClick(canvas, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    _wait_index(qtbot, window, view.index_at(view.seconds_of(view.last_index) - 1.0))
    qtbot.keyClick(canvas, Qt.Key.Key_Home)
    _wait_index(qtbot, window, 0)
    qtbot.keyClick(canvas, Qt.Key.Key_Left)  # before the start: stays on frame 0
    _wait_index(qtbot, window, 0)

    window.go_to_dialog()
    dialog = window.dialog
    dialog.edit.setText("#42")
    dialog.accept()
    _wait_index(qtbot, window, 42)
    window.go_to_dialog()
    window.dialog.edit.setText("0:01.5")
    window.dialog.accept()
    _wait_index(qtbot, window, view.index_at(1.5))
    # A mistyped position is refused in a dialog that says why; the frame stays.
    window.go_to_dialog()
    window.dialog.edit.setText("soon")
    window.dialog.accept()
    assert "neither a time" in window.runner.errors[-1]
    assert viewer.current_index == view.index_at(1.5)


def test_annotation_drawn_with_the_mouse_is_stored(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    viewer = window.viewer
    for _ in range(7):
        qtbot.keyClick(viewer.canvas, Qt.Key.Key_Right)
    _wait_index(qtbot, window, 7)
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_A)  # annotation mode
    assert viewer.canvas.draw_mode
    canvas = viewer.canvas
    # Corners inside the picture (the canvas letterboxes the frame).
    start = canvas.frame_to_widget(QPointF(40, 30)).toPoint()
    end = canvas.frame_to_widget(QPointF(200, 150)).toPoint()
    expected_tl = canvas.widget_to_frame(QPointF(start))
    expected_br = canvas.widget_to_frame(QPointF(end))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, (start + end) / 2)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    dialog = window.dialog
    assert isinstance(dialog, AnnotationDialog)
    dialog.label_box.setCurrentText("vehicle")
    dialog.note_edit.setPlainText("white van by the gate")
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: len(window.annotations.annotations) == 1, timeout=10_000)

    stored = list_annotations(library, clip_id)
    assert len(stored) == 1
    a = stored[0]
    assert a["frame_index"] == 7
    assert a["label"] == "vehicle" and a["note"] == "white van by the gate"
    assert a["x"] == pytest.approx(expected_tl.x(), abs=1.0)
    assert a["y"] == pytest.approx(expected_tl.y(), abs=1.0)
    assert a["x"] + a["w"] == pytest.approx(expected_br.x(), abs=1.0)
    assert a["y"] + a["h"] == pytest.approx(expected_br.y(), abs=1.0)
    # Drawn on the frame it belongs to, and only there.
    assert [b.annotation_id for b in canvas._boxes] == [a["id"]]
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    _wait_index(qtbot, window, 8)
    assert canvas._boxes == []
    # On the timeline, and in the custody log.
    qtbot.waitUntil(lambda: [m.frame_index for m in viewer.view.annotations] == [7])
    actions = [e["action"] for e in custody_log(library, None)]
    assert "annotation.add" in actions

    # Edit from the pane: the new label is stored.
    window.annotations.select(a["id"])
    window._edit_annotation(window.annotations.current())
    window.dialog.label_box.setCurrentText("building")
    window.dialog.accept()
    qtbot.waitUntil(lambda: window.annotations.annotations[0]["label"] == "building")
    # Delete, confirmed: gone from the pane and the store, kept in the log.
    window._delete_annotation(window.annotations.current())
    window.dialog.done(int(window.dialog.StandardButton.Yes))
    qtbot.waitUntil(lambda: window.annotations.annotations == [], timeout=10_000)
    assert list_annotations(library, clip_id) == []
    assert "annotation.delete" in [e["action"] for e in custody_log(library, None)]


def test_import_reports_a_broken_file_and_imports_the_rest(
    qtbot: Any, window: MainWindow, fixture_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(fixture_dir / "vfr.mp4", folder / "vfr.mp4")
    shutil.copy(fixture_dir / "notvideo.mp4", folder / "notvideo.mp4")
    shutil.copy(fixture_dir / "still.png", folder / "still.png")
    before = window.browser.model.rowCount()
    window.import_paths([folder])
    qtbot.waitUntil(lambda: window.last_import is not None, timeout=60_000)
    report = window.last_import
    assert report.count("imported") == 2
    [failed] = report.failed
    assert failed.path.endswith("notvideo.mp4")
    dialog = window.dialog
    assert isinstance(dialog, ImportSummaryDialog)
    assert dialog.isVisible()
    assert "2 imported" in dialog.summary.text() and "1 failed" in dialog.summary.text()
    assert dialog.table.rowCount() == 1
    assert dialog.table.item(0, 0).text().endswith("notvideo.mp4")
    assert dialog.table.item(0, 2).text()  # the reason is shown
    qtbot.waitUntil(lambda: window.browser.model.rowCount() == before + 2, timeout=10_000)
    names = {r.name for r in window.browser.model.rows}
    assert {"vfr.mp4", "still.png"} <= names and "notvideo.mp4" not in names


def test_view_only_enhancement_and_export(
    qtbot: Any, window: MainWindow, library: App, tmp_path: Path
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    viewer = window.viewer
    view = viewer.view
    assert view is not None
    evidence_before = hashlib.sha256(view.path.read_bytes()).hexdigest()
    viewer.set_look(Look(Enhancement(invert=True)))
    qtbot.waitUntil(
        lambda: (
            not window.runner.busy
            and np.array_equal(rgb_from_qimage(viewer.shown.image), 255 - viewer.shown.raw)
        ),
        timeout=10_000,
    )
    out = tmp_path / "frame.png"
    window.export_frame_to(out, enhanced=True)
    qtbot.waitUntil(lambda: out.exists() and not window.runner.busy, timeout=10_000)
    exported = window.last_export
    assert hashlib.sha256(out.read_bytes()).hexdigest() == exported.sha256
    full = _decoder_frame(window, 0, max(view.width, view.height))
    from PIL import Image

    with Image.open(out) as image:
        assert np.array_equal(np.asarray(image.convert("RGB")), 255 - full)
    assert hashlib.sha256(view.path.read_bytes()).hexdigest() == evidence_before
    assert any(
        e["action"] == "frame.export" and e["target_id"] == str(clip_id)
        for e in custody_log(library, None)
    )
    viewer.set_look(Look())


def test_wellbeing_veil_until_revealed(qtbot: Any, window: MainWindow) -> None:
    open_clip(qtbot, window, "cut.mp4")
    viewer = window.viewer
    window._wellbeing("blur_thumbnails", True)
    qtbot.waitUntil(
        lambda: (
            window.blur_action.isChecked() or window.case_settings.get("blur_thumbnails") is True
        ),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: viewer.reveal_button.isVisible() and not window.runner.busy)
    qtbot.waitUntil(
        lambda: (
            viewer.shown is not None
            and not np.array_equal(rgb_from_qimage(viewer.shown.image), viewer.shown.raw)
        )
    )
    veiled = rgb_from_qimage(viewer.shown.image)
    # Blurred: almost no fine detail (edge energy) is left.
    import cv2

    def detail(rgb: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())

    assert detail(veiled) < 0.02 * detail(viewer.shown.raw)
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: (
            not window.runner.busy
            and np.array_equal(rgb_from_qimage(viewer.shown.image), viewer.shown.raw)
        )
    )
    window._wellbeing("blur_thumbnails", False)
    qtbot.waitUntil(lambda: not viewer.reveal_button.isVisible() and not window.runner.busy)


def test_still_images_open_in_the_viewer(qtbot: Any, window: MainWindow) -> None:
    clip_id = _clip_id(window, "still.jpg")
    window.browser.select_clip(clip_id)
    qtbot.waitUntil(
        lambda: window.viewer.view is not None and window.viewer.current_index == 0
        and window.viewer.view.clip_id == clip_id, timeout=10_000,
    )  # fmt: skip
    assert "Still image" in window.viewer.info.text()
    qtbot.keyClick(window.viewer.canvas, Qt.Key.Key_Right)
    _wait_index(qtbot, window, 0)


def test_gui_command_without_a_display_says_so(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        [sys.executable, "-m", "verifier", "gui"], env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "no display" in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="offscreen platform")
def test_gui_command_opens_the_window_on_the_current_case(
    cli_env: dict[str, str], fixture_dir: Path, tmp_path: Path
) -> None:
    env = {**cli_env, "QT_QPA_PLATFORM": "offscreen"}
    run = [sys.executable, "-m", "verifier"]
    subprocess.run([*run, "case", "new", "Shown"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*run, "import", str(fixture_dir / "cut.mp4")], env=env, check=True, capture_output=True
    )
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [*run, "gui", "--screenshot", str(shot)], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    from PIL import Image

    with Image.open(shot) as image:
        assert image.width >= 1000 and image.height >= 600
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.std() > 10  # a real window, not a blank image
    assert os.path.getsize(shot) > 10_000


def test_demo_headless_prints_the_summary_and_without_a_display_refuses_first(
    cli_env: dict[str, str], fixture_dir: Path, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    for name in ("cut.mp4", "vfr.mp4", "notvideo.mp4"):
        shutil.copy(fixture_dir / name, media / name)
    env = {k: v for k, v in cli_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    run = [sys.executable, "-m", "verifier", "demo", "--media", str(media)]
    refused = subprocess.run(run, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "--headless" in refused.stderr
    assert not (Path(env["VERIFIER_HOME"]) / "store" / "objects").exists()  # nothing imported

    result = subprocess.run(
        [*run, "--headless"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "notvideo.mp4" in result.stderr + result.stdout  # the broken file is named
    assert "Same footage (cluster 1, 1 relations): cut.mp4, vfr.mp4" in result.stdout


def test_zoom_pan_loupe_and_play(qtbot: Any, window: MainWindow) -> None:
    open_clip(qtbot, window, "cut.mp4")
    viewer, canvas = window.viewer, window.viewer.canvas
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    centre = QPointF(canvas.width() / 2 + 40, canvas.height() / 2)
    under = canvas.widget_to_frame(centre)
    wheel = QWheelEvent(
        centre, canvas.mapToGlobal(centre), P(0, 0), P(0, 240), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(canvas, wheel)
    assert canvas.zoom == pytest.approx(1.25**2)
    # Zooming keeps the frame point under the mouse where it was.
    after = canvas.widget_to_frame(centre)
    assert (after.x(), after.y()) == pytest.approx((under.x(), under.y()), abs=0.5)
    # Zoomed in, the viewer decodes at full resolution.
    qtbot.waitUntil(
        lambda: viewer.shown is not None and viewer.shown.raw.shape[:2] == (240, 320)
        and not window.runner.busy
    )  # fmt: skip
    before = canvas.widget_to_frame(centre)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=centre.toPoint())
    qtbot.mouseMove(canvas, centre.toPoint() + P(30, 0))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=centre.toPoint() + P(30, 0))
    assert canvas.widget_to_frame(centre).x() < before.x()  # dragged right: view moves left
    qtbot.keyClick(canvas, Qt.Key.Key_0)
    assert canvas.zoom == 1.0
    qtbot.keyClick(canvas, Qt.Key.Key_L)
    assert canvas.loupe and canvas.display_side() is None
    qtbot.keyClick(canvas, Qt.Key.Key_L)

    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert viewer.playing
    qtbot.waitUntil(lambda: (viewer.current_index or 0) >= 10, timeout=10_000)
    qtbot.keyClick(canvas, Qt.Key.Key_Space)
    assert not viewer.playing
    qtbot.waitUntil(lambda: not window.runner.busy)
    stopped = viewer.current_index
    qtbot.wait(200)
    assert viewer.current_index == stopped
