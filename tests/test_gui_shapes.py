"""Drawing points, lines and polygons on the frame, and annotate mode ending after a save."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialogButtonBox
from tests.gui_helpers import open_clip, show_window

from verifier.config import load_settings
from verifier.gui.dialogs import AnnotationDialog
from verifier.gui.main_window import MainWindow
from verifier.services import cases
from verifier.services.annotations import list_annotations
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, fixture_dir: Path) -> Iterator[App]:
    data = tmp_path_factory.mktemp("gui-shapes")
    application = open_app(load_settings(data_dir=data, analyst="tester"))
    case = cases.create_case(application, "Shapes case")
    report = import_paths(application, [fixture_dir / "cut.mp4"], case)
    assert report.count("imported") == 1, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "Shapes case", 1)
    yield win
    win.close()


def _idle(qtbot: Any, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=10_000)


def _click(qtbot: Any, win: MainWindow, frame_point: tuple[float, float]) -> QPointF:
    """Click where ``frame_point`` is on screen; returns the frame point the click maps to."""
    canvas = win.viewer.canvas
    pos = canvas.frame_to_widget(QPointF(*frame_point)).toPoint()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    return canvas.widget_to_frame(QPointF(pos))


def _save(qtbot: Any, win: MainWindow, label: str, note: str = "") -> None:
    dialog = win.dialog
    assert isinstance(dialog, AnnotationDialog)
    dialog.label_box.setCurrentText(label)
    dialog.note_edit.setPlainText(note)
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )


def _clear(library: App, clip_id: int) -> None:
    from verifier.services.annotations import delete_annotation

    for a in list_annotations(library, clip_id):
        delete_annotation(library, a["id"])


def test_line_by_two_clicks_and_enter_at_zoom_is_stored_in_frame_pixels(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    _clear(library, clip_id)
    viewer, canvas = window.viewer, window.viewer.canvas
    for _ in range(4):
        qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: viewer.current_index == 4, timeout=10_000)
    canvas.set_zoom(2.5, QPointF(canvas.width() / 2, canvas.height() / 2))
    _idle(qtbot, window)
    assert canvas.zoom == 2.5
    qtbot.keyClick(canvas, Qt.Key.Key_3)  # annotate with a line
    assert canvas.draw_mode and canvas.draw_shape == "line"
    assert viewer.annotate_button.isChecked() and viewer.shape_actions["line"].isChecked()
    assert viewer.annotate_button.text() == "╱ Annotate"
    first = _click(qtbot, window, (130, 100))
    second = _click(qtbot, window, (185.5, 141))
    assert window.dialog is None or not window.dialog.isVisible()  # not finished yet
    assert canvas.vertices == [first, second]
    qtbot.keyClick(canvas, Qt.Key.Key_Return)
    dialog = window.dialog
    assert isinstance(dialog, AnnotationDialog)
    assert dialog.shape_value.text() == "Line"
    where = dialog.findChild(type(dialog.shape_value), "where").text()
    drawn = f"line {first.x():.0f}, {first.y():.0f} → {second.x():.0f}, {second.y():.0f}"
    assert where.startswith("Frame 4 (") and f"{drawn} px" in where
    _save(qtbot, window, "shadow", "lamp post's shadow")
    qtbot.waitUntil(lambda: len(window.annotations.annotations) == 1, timeout=10_000)

    [stored] = list_annotations(library, clip_id)
    assert stored["shape"] == "line" and stored["frame_index"] == 4
    assert stored["label"] == "shadow" and stored["note"] == "lamp post's shadow"
    assert stored["points"] == [
        [pytest.approx(first.x()), pytest.approx(first.y())],
        [pytest.approx(second.x()), pytest.approx(second.y())],
    ]
    # Frame pixels, not screen pixels: within one screen pixel (1/scale) of the aim.
    scale_px = 1 / (canvas.frame_to_widget(QPointF(1, 0)).x() - canvas.frame_to_widget(
        QPointF(0, 0)).x())  # fmt: skip
    assert scale_px < 0.5  # zoomed in: a screen pixel is under half a frame pixel
    assert stored["points"][0] == [pytest.approx(130, abs=scale_px),
                                   pytest.approx(100, abs=scale_px)]  # fmt: skip
    assert stored["points"][1] == [pytest.approx(185.5, abs=scale_px),
                                   pytest.approx(141, abs=scale_px)]  # fmt: skip
    assert stored["w"] == pytest.approx(second.x() - first.x())
    # Saved: annotate mode is over, keys step frames and clicks pan again.
    assert not viewer.annotate_button.isChecked() and not canvas.draw_mode
    [box] = canvas.boxes
    assert box.shape == "line" and [(p.x(), p.y()) for p in box.points] == [
        (pytest.approx(first.x()), pytest.approx(first.y())),
        (pytest.approx(second.x()), pytest.approx(second.y())),
    ]
    assert window.annotations.table.item(0, 4).text() == drawn
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: viewer.current_index == 5, timeout=10_000)
    assert canvas.boxes == []


def test_polygon_is_drawn_closed_on_the_canvas(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    _clear(library, clip_id)
    window._reload_annotations()
    _idle(qtbot, window)
    viewer, canvas = window.viewer, window.viewer.canvas
    viewer.shape_actions["polygon"].trigger()  # the annotate button's menu
    assert canvas.draw_mode and canvas.draw_shape == "polygon"
    corners = [(40, 40), (200, 50), (120, 200)]
    # The closing edge (third corner back to the first) is what a polyline would lack.
    closing = QPointF(80, 120)
    before = canvas.grab().toImage()
    _click(qtbot, window, corners[0])
    _click(qtbot, window, corners[1])
    qtbot.keyClick(canvas, Qt.Key.Key_Return)  # two corners are not a polygon yet
    assert window.dialog is None and len(canvas.vertices) == 2
    pos = canvas.frame_to_widget(QPointF(*corners[2])).toPoint()
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=pos)
    _save(qtbot, window, "building", "the compound's outline")
    qtbot.waitUntil(lambda: len(canvas.boxes) == 1, timeout=10_000)
    [stored] = list_annotations(library, clip_id)
    assert stored["shape"] == "polygon" and len(stored["points"]) == 3
    for (x, y), (ax, ay) in zip(stored["points"], corners, strict=True):
        assert (x, y) == (pytest.approx(ax, abs=1), pytest.approx(ay, abs=1))
    [box] = canvas.boxes
    assert box.shape == "polygon" and len(box.points) == 3
    assert not viewer.annotate_button.isChecked()
    # Pixels: the closing edge is painted in the annotation colour (yellow, red if selected).
    after = canvas.grab().toImage()
    at = canvas.frame_to_widget(closing).toPoint()
    assert _annotation_colour_near(after, at) and not _annotation_colour_near(before, at)


def _annotation_colour_near(image: QImage, at: QPoint) -> bool:
    ratio = image.devicePixelRatio()
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            c = image.pixelColor(round((at.x() + dx) * ratio), round((at.y() + dy) * ratio))
            if c.red() > 220 and c.blue() < 110 and (c.green() > 180 or c.green() < 110):
                return True
    return False


def test_point_by_click_escape_and_cancel(qtbot: Any, window: MainWindow, library: App) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    _clear(library, clip_id)
    viewer, canvas = window.viewer, window.viewer.canvas
    # Escape drops a line in progress; a second Escape leaves annotate mode.
    qtbot.keyClick(canvas, Qt.Key.Key_3)
    _click(qtbot, window, (50, 50))
    assert len(canvas.vertices) == 1
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.vertices == [] and canvas.draw_mode
    qtbot.keyClick(canvas, Qt.Key.Key_Escape)
    assert not canvas.draw_mode and not viewer.annotate_button.isChecked()
    # Vertices placed on one frame are dropped when the frame changes.
    qtbot.keyClick(canvas, Qt.Key.Key_3)
    _click(qtbot, window, (50, 50))
    qtbot.keyClick(canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: viewer.current_index == 1, timeout=10_000)
    assert canvas.vertices == []
    # ... and when another clip (here the same one, reopened) is shown.
    _click(qtbot, window, (50, 50))
    assert len(canvas.vertices) == 1
    viewer.set_view(viewer.view, at=1)
    assert canvas.vertices == []
    qtbot.waitUntil(lambda: viewer.current_index == 1 and not window.runner.busy, timeout=10_000)
    # A point is one click; cancelling its dialog also ends annotate mode, nothing stored.
    qtbot.keyClick(canvas, Qt.Key.Key_2)
    aimed = _click(qtbot, window, (60, 70))
    dialog = window.dialog
    assert isinstance(dialog, AnnotationDialog) and dialog.shape_value.text() == "Point"
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert not viewer.annotate_button.isChecked() and not canvas.draw_mode
    assert list_annotations(library, clip_id) == []
    # A (annotate mode) keeps the last shape chosen: a point again, saved this time.
    qtbot.keyClick(canvas, Qt.Key.Key_A)
    assert canvas.draw_mode and canvas.draw_shape == "point"
    aimed = _click(qtbot, window, (60, 70))
    _save(qtbot, window, "insignia")
    qtbot.waitUntil(lambda: len(canvas.boxes) == 1, timeout=10_000)
    [stored] = list_annotations(library, clip_id)
    assert stored["shape"] == "point" and stored["frame_index"] == 1
    assert stored["points"] == [[pytest.approx(aimed.x()), pytest.approx(aimed.y())]]
    assert (stored["w"], stored["h"]) == (0, 0)
    assert not canvas.draw_mode
    # Clicking the marker selects the annotation (it has no area to click inside).
    window.annotations.table.clearSelection()
    marker = canvas.frame_to_widget(QPointF(aimed.x() + 1, aimed.y())).toPoint()
    with qtbot.waitSignal(canvas.boxClicked, timeout=2_000) as clicked:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=marker)
    assert clicked.args == [stored["id"]]
