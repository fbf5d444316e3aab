"""Comparing any two clips in the window: unlinked opening, the distance scale, difference view."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from tests.gui_helpers import open_clip, show_window

from verifier.gui.clip_chooser import ClipChooserDialog
from verifier.gui.compare import ComparisonWindow
from verifier.gui.imaging import rgb_from_qimage
from verifier.gui.main_window import MainWindow
from verifier.gui.viewer import FrameViewer
from verifier.media.compose import blend
from verifier.services import cases
from verifier.services.context import App
from verifier.services.distances import SAME_PICTURE, UNRELATED, pair_distances
from verifier.services.importing import import_paths
from verifier.tools import ffmpeg_exe

pytestmark = pytest.mark.gui


@pytest.fixture(scope="session")
def life_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of Conway's Life: nothing in common with cut.mp4."""
    target = tmp_path_factory.mktemp("unrelated-gui") / "life.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         "life=s=320x240:r=25:seed=7:mold=10:ratio=0.3:death_color=#202020:life_color=#e0e020",
         "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-an", str(target)],
        check=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="session")
def remuxed(fixture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cut.mp4's streams copied into a new file: other bytes, identical frames."""
    target = tmp_path_factory.mktemp("remux") / "cut-remuxed.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(fixture_dir / "cut.mp4"), "-c", "copy",
         "-metadata", "comment=remuxed copy", str(target)],
        check=True,
    )  # fmt: skip
    return target


def _settled(viewer: FrameViewer) -> bool:
    return viewer.shown is not None and viewer.target_index == viewer.shown.index


def _settle(qtbot: Any, window: ComparisonWindow) -> None:
    qtbot.waitUntil(
        lambda: _settled(window.viewer_a) and _settled(window.viewer_b) and not window.runner.busy,
        timeout=10_000,
    )


def _compare_from_main(
    qtbot: Any, app: App, case: str, a: str, b: str, *, matched: bool
) -> ComparisonWindow:
    """Open ``a`` in the main window, choose ``b`` in "Compare with…", return the comparison."""
    win: MainWindow = show_window(qtbot, app, case, 2)
    open_clip(qtbot, win, a)
    qtbot.waitUntil(lambda: win.details is not None and not win.runner.busy, timeout=10_000)
    win.compare_with_dialog()
    dialog = win.dialog
    assert isinstance(dialog, ClipChooserDialog)
    b_id = next(r.id for r in win.browser.model.rows if r.name == b)
    assert [dialog.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(dialog.list.count())] == [b_id]  # fmt: skip
    # The list says whether the matcher related B to A (the window then opens linked).
    assert ("matched with A" in dialog.list.item(0).text()) == matched
    assert dialog.list.item(0).text().startswith(f"{b}  (#{b_id} · video")
    assert dialog.select(b_id)
    dialog.accept()
    qtbot.waitUntil(lambda: bool(win.comparisons), timeout=10_000)
    window = win.comparisons[-1]
    assert isinstance(window, ComparisonWindow)
    qtbot.waitExposed(window)
    _settle(qtbot, window)
    return window


def test_two_unmatched_clips_open_unlinked_and_step_on_their_own(
    qtbot: Any, app: App, fixture_dir: Path, life_clip: Path
) -> None:
    case = cases.create_case(app, "Unrelated")
    import_paths(app, [fixture_dir / "cut.mp4", life_clip], case)
    window = _compare_from_main(qtbot, app, "Unrelated", "cut.mp4", "life.mp4", matched=False)
    a, b = window.viewer_a, window.viewer_b
    assert not window.related and not window.linked.isChecked()
    assert (window.offset, window.speed) == (0.0, 1.0)
    assert "No stored relation" in window.summary.text()
    assert window.pairs_table.isHidden() and "no stored relation" in window.pairs_title.text()
    assert a.current_index == 0 and b.current_index == 0
    assert "life.mp4" in window.header_b.text() and "cut.mp4" in window.header_a.text()

    # A steps; B stays where it is.
    a.canvas.setFocus()
    for _ in range(3):
        qtbot.keyClick(a.canvas, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (3, 0)
    # B steps on its own (its transport is on while unlinked); A stays.
    b.canvas.setFocus()
    for _ in range(5):
        qtbot.keyClick(b.canvas, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (3, 5)
    assert a.view is not None and b.view is not None
    found = b.view.seconds_of(5) - a.view.seconds_of(3)
    assert window.eye_offset() == pytest.approx(found)
    readout = window.readout.text()
    assert "A frame 3" in readout and "B frame 5" in readout and "B − A:" in readout
    assert f"+{found:.3f} s" in readout and "unlinked" in readout

    # Linking keeps the offset lined up by eye: A steps, B follows at that offset.
    window.linked.setChecked(True)
    _settle(qtbot, window)
    assert b.current_index == 5 and window.offset == pytest.approx(found)
    assert f"offset found by eye, +{found:.3f} s" in window.summary.text()
    a.canvas.setFocus()
    qtbot.keyClick(a.canvas, Qt.Key.Key_Right)
    _settle(qtbot, window)
    t_b = a.view.seconds_of(4) + found
    nearest = min(range(b.view.frame_count), key=lambda i: abs(b.view.seconds_of(i) - t_b))
    assert (a.current_index, b.current_index) == (4, nearest)
    # Unlinked again, both go back to where they were lined up.
    window.linked.setChecked(False)
    qtbot.keyClick(a.canvas, Qt.Key.Key_Left)
    b.canvas.setFocus()
    qtbot.keyClick(b.canvas, Qt.Key.Key_Left)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (3, nearest - 1)
    b.go_to(5)
    _settle(qtbot, window)

    # The distance scale reads the pair as unrelated, with the distance measured.
    qtbot.waitUntil(lambda: window.last_distance is not None
                    and window.last_distance[:2] == (3, 5), timeout=10_000)  # fmt: skip
    assert a.shown is not None and b.shown is not None
    expected = pair_distances(a.shown.raw, b.shown.raw)
    assert window.last_distance is not None
    measured = window.last_distance[2]
    assert (measured.pdq, measured.phash) == (expected.pdq, expected.phash)
    panel = window.distance_panel
    assert panel.pdq_bar.distance == expected.pdq > 80
    assert panel.pdq_text.text() == f"<b>{expected.pdq}</b> of 256 bits: {UNRELATED}"
    assert panel.phash_bar.distance == expected.phash
    assert f"{expected.phash}</b> of 64 bits" in panel.phash_text.text()
    assert "A 3 ↔ B 5" in panel.title.text()

    # The difference of two unrelated pictures is not black; brightened, it is 4 times it.
    window.mode_buttons["difference"].click()
    qtbot.waitUntil(lambda: window.composite is not None, timeout=10_000)
    assert window.composite is not None and window.composite.any()
    plain = window.composite.astype(np.int32)
    assert window.brighten.isEnabled()
    window.brighten.setChecked(True)
    qtbot.waitUntil(
        lambda: (
            window.composite is not None
            and np.array_equal(window.composite, np.minimum(plain * 4, 255))
        ),
        timeout=10_000,
    )
    assert "×4" in window.mode_note.text()

    # Overlay at 30 %: two unrelated frames blended with B's weight; the slider redraws it.
    window.mode_buttons["overlay"].click()
    window.opacity.setValue(30)
    qtbot.waitUntil(lambda: window.composite is not None and window.composite.any(),
                    timeout=10_000)  # fmt: skip
    _settle(qtbot, window)
    assert a.shown is not None and b.shown is not None
    a_rgb, b_rgb = rgb_from_qimage(a.shown.image), rgb_from_qimage(b.shown.image)
    qtbot.waitUntil(
        lambda: (
            window.composite is not None
            and np.array_equal(window.composite, blend(a_rgb, b_rgb, 0.3))
        ),
        timeout=10_000,
    )
    assert "30 %" in window.mode_note.text() and window.opacity.isEnabled()
    assert window.opacity.isVisible() and window.brighten.isHidden()

    window.close()


def test_identical_frames_have_distance_zero_and_a_black_difference(
    qtbot: Any, app: App, fixture_dir: Path, remuxed: Path
) -> None:
    case = cases.create_case(app, "Identical")
    import_paths(app, [fixture_dir / "cut.mp4", remuxed], case)
    window = _compare_from_main(qtbot, app, "Identical", "cut.mp4", "cut-remuxed.mp4", matched=True)
    a, b = window.viewer_a, window.viewer_b
    assert window.related and window.linked.isChecked()  # the matcher related the copy
    a.canvas.setFocus()
    for _ in range(4):
        qtbot.keyClick(a.canvas, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert a.current_index == b.current_index

    index = a.current_index
    qtbot.waitUntil(lambda: window.last_distance is not None
                    and window.last_distance[:2] == (index, index), timeout=10_000)  # fmt: skip
    panel = window.distance_panel
    assert panel.pdq_bar.distance == 0 and panel.phash_bar.distance == 0
    assert panel.pdq_text.text() == f"<b>0</b> of 256 bits: {SAME_PICTURE}"
    assert panel.phash_text.text() == f"<b>0</b> of 64 bits: {SAME_PICTURE}"

    # Difference: black everywhere, in the image made and in what the B pane paints.
    assert window.mode_note.text() == ""
    window.mode_buttons["difference"].click()
    qtbot.waitUntil(lambda: window.composite is not None, timeout=10_000)
    assert window.composite is not None
    assert window.composite.shape[:2] == a.shown.raw.shape[:2] if a.shown else False
    assert not window.composite.any()
    shown = b.canvas.image
    assert shown is not None
    pixels = rgb_from_qimage(shown)
    assert pixels.shape == window.composite.shape and not pixels.any()
    assert "black where equal" in window.mode_note.text()
    assert not window.opacity.isEnabled() and window.opacity.isHidden()
    assert window.brighten.isVisible()

    # Back to side by side: B's own frame again.
    window.mode_buttons["side"].click()
    assert b.canvas.image is b.shown.image
    window.close()
