"""The wellbeing veil: revealing is for one opening of one clip.

A case can blur (or greyscale) its footage until the investigator presses R.
That choice is about the clip on screen: the next clip opened, and the same
clip opened again, are veiled again. The checks look at the pixels on screen,
compared with the decoded frame, not at flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from tests.gui_helpers import open_clip, show_window

from verifier.config import load_settings
from verifier.gui.imaging import rgb_from_qimage
from verifier.gui.main_window import MainWindow
from verifier.gui.tasks import TaskRunner
from verifier.gui.viewer import FrameViewer
from verifier.services import cases
from verifier.services.clips import list_clips
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.viewing import load_clip_view

pytestmark = pytest.mark.gui

CASE = "Veiled case"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, fixture_dir: Path) -> Iterator[App]:
    """A case that blurs its footage until revealed, with two different clips."""
    data = tmp_path_factory.mktemp("veil-data")
    application = open_app(load_settings(data_dir=data, analyst="tester"))
    case = cases.create_case(application, CASE)
    cases.update_case_settings(application, case.id, blur_thumbnails=True)
    report = import_paths(application, [fixture_dir / "cut.mp4", fixture_dir / "offset.mp4"], case)
    assert report.count("imported") == 2, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, CASE, 2)
    yield win
    win.close()


def _detail(rgb: np.ndarray) -> float:
    """Edge energy: a blurred picture has almost none of the original's."""
    import cv2

    return float(cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def _settled(viewer: FrameViewer, runner: TaskRunner) -> bool:
    return viewer.shown is not None and viewer._requested is None and not runner.busy


def _plain(viewer: FrameViewer) -> bool:
    """The pixels on screen are the decoded frame's, unveiled."""
    assert viewer.shown is not None
    return np.array_equal(rgb_from_qimage(viewer.shown.image), viewer.shown.raw)


def _assert_veiled(viewer: FrameViewer) -> None:
    shown = viewer.shown
    assert shown is not None
    on_screen = rgb_from_qimage(shown.image)
    assert not np.array_equal(on_screen, shown.raw), "the frame is shown unveiled"
    assert _detail(on_screen) < 0.02 * _detail(shown.raw), "the frame is not blurred"
    assert not viewer.revealed
    assert viewer.reveal_button.text() == "Reveal"
    assert not viewer.reveal_button.isChecked()


def _open_settled(qtbot: Any, win: MainWindow, name: str) -> int:
    clip_id = open_clip(qtbot, win, name)
    qtbot.waitUntil(lambda: _settled(win.viewer, win.runner), timeout=10_000)
    return clip_id


def test_revealing_one_clip_leaves_the_next_clip_veiled(qtbot: Any, window: MainWindow) -> None:
    viewer = window.viewer
    _open_settled(qtbot, window, "cut.mp4")
    assert viewer.reveal_button.isVisible()
    _assert_veiled(viewer)

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: _settled(viewer, window.runner) and _plain(viewer), timeout=10_000)
    assert viewer.revealed and viewer.reveal_button.text() == "Veil"

    _open_settled(qtbot, window, "offset.mp4")
    _assert_veiled(viewer)

    # Back to the first clip: a new opening, veiled again.
    _open_settled(qtbot, window, "cut.mp4")
    _assert_veiled(viewer)


def test_veiling_again_while_a_frame_decodes_shows_it_veiled(
    qtbot: Any, window: MainWindow
) -> None:
    """R pressed while the next frame is still decoding applies to that frame too."""
    viewer = window.viewer
    _open_settled(qtbot, window, "cut.mp4")
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: _settled(viewer, window.runner) and _plain(viewer), timeout=10_000)
    viewer.step(1)  # asked for unveiled ...
    viewer.toggle_reveal()  # ... and veiled again before it has arrived
    qtbot.waitUntil(
        lambda: _settled(viewer, window.runner) and viewer.current_index == 1, timeout=10_000
    )
    _assert_veiled(viewer)


def test_a_viewer_given_another_clip_veils_it(qtbot: Any, library: App) -> None:
    """The comparison's viewers load clips with ``set_view``: the same rule holds there."""
    case_id = next(c.id for c in cases.list_cases(library) if c.name == CASE)
    rows = {r.name: r.id for r in list_clips(library, case_id)}
    view_a = load_clip_view(library, rows["cut.mp4"])
    view_b = load_clip_view(library, rows["offset.mp4"])
    runner = TaskRunner()
    viewer = FrameViewer(library, runner)
    qtbot.addWidget(viewer)
    viewer.resize(640, 480)
    viewer.show()
    try:
        viewer.set_veil(True, False)
        viewer.set_view(view_a)
        qtbot.waitUntil(lambda: _settled(viewer, runner), timeout=10_000)
        _assert_veiled(viewer)
        viewer.toggle_reveal()
        qtbot.waitUntil(lambda: _settled(viewer, runner) and _plain(viewer), timeout=10_000)

        viewer.set_view(view_b)
        qtbot.waitUntil(
            lambda: _settled(viewer, runner) and viewer.shown.index == 0, timeout=10_000
        )
        assert viewer.view is view_b
        _assert_veiled(viewer)
    finally:
        viewer.close()
        runner.wait_idle()
        runner.shutdown()
    assert not runner.errors
