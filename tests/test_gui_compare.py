"""The comparison window: two matched clips side by side, B following A's time map."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PIL import Image
from PySide6.QtCore import Qt

from verifier.gui.compare import ComparisonWindow
from verifier.gui.imaging import rgb_from_qimage
from verifier.gui.tasks import TaskRunner
from verifier.gui.viewer import FrameViewer
from verifier.media.decode import VideoDecoder
from verifier.services import cases
from verifier.services.comparison import describe_offset
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.matching import list_matches
from verifier.tools import ffmpeg_exe

pytestmark = pytest.mark.gui


@pytest.fixture(scope="session")
def excerpt(fixture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of cut.mp4 from 1.3 s, re-encoded: B time = A time - 1.3 s."""
    target = tmp_path_factory.mktemp("compare") / "excerpt.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-ss", "1.3", "-i", str(fixture_dir / "cut.mp4"),
         "-t", "2", "-c:v", "libx264", "-crf", "28", "-an", str(target)],
        check=True,
    )  # fmt: skip
    return target


def _relation_of_cut_to(app: App, fixture_dir: Path, other: Path, case_name: str) -> dict[str, Any]:
    """Import cut.mp4 and ``other`` into a new case; the relation found between them."""
    case = cases.create_case(app, case_name)
    report = import_paths(app, [fixture_dir / "cut.mp4", other], case)
    assert report.count("imported") == 2
    cut = next(i.clip_id for i in report.items if i.path.endswith("cut.mp4"))
    [found] = [
        r for r in list_matches(app, clip_id=cut, explain=True)
        if r["clip_b"]["name"] == other.name
    ]  # fmt: skip
    return found


@pytest.fixture
def relation(app: App, fixture_dir: Path, excerpt: Path) -> dict[str, Any]:
    found = _relation_of_cut_to(app, fixture_dir, excerpt, "Compare")
    assert found["relation"] == "excerpt" and found["pairs"]
    assert found["offset"] == pytest.approx(-1.3, abs=0.1)
    return found


@pytest.fixture
def runner(qtbot: Any) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait_idle()
    tasks.shutdown()
    assert not tasks.errors


def _open(qtbot: Any, app: App, runner: TaskRunner, relation: dict[str, Any]) -> ComparisonWindow:
    window = ComparisonWindow(app, runner, relation)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    _settle(qtbot, window)
    return window


def _settled(viewer: FrameViewer) -> bool:
    return viewer.shown is not None and viewer.target_index == viewer.shown.index


def _settle(qtbot: Any, window: ComparisonWindow) -> None:
    """Both viewers show the frame last asked for and nothing is left to decode."""
    qtbot.waitUntil(
        lambda: _settled(window.viewer_a) and _settled(window.viewer_b) and not window.runner.busy,
        timeout=10_000,
    )


def _decoded(path: Path, index: int, max_side: int) -> np.ndarray:
    with VideoDecoder(path) as decoder:
        return decoder.frame(index).rgb(max_side=max_side)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        b = np.asarray(Image.fromarray(b).resize((a.shape[1], a.shape[0]), Image.Resampling.BOX))
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def _expected(window: ComparisonWindow, a_index: int) -> int:
    view_a, view_b = window.viewer_a.view, window.viewer_b.view
    assert view_a is not None and view_b is not None
    t_b = window.speed * view_a.seconds_of(a_index) + window.offset
    # B's frame nearest that moment: the one on screen or the next (the earlier on a tie).
    on_screen = view_b.index_at(t_b)
    following = min(on_screen + 1, view_b.frame_count - 1)
    gaps = {i: abs(view_b.seconds_of(i) - t_b) for i in (on_screen, following)}
    return min(gaps, key=lambda i: (gaps[i], i))


def test_b_follows_a_through_the_time_map(
    qtbot: Any, app: App, runner: TaskRunner, relation: dict[str, Any]
) -> None:
    window = _open(qtbot, app, runner, relation)
    a, b = window.viewer_a, window.viewer_b
    assert a.view is not None and b.view is not None
    assert window.linked.isChecked() and not window.unmirror.isVisible()
    assert "excerpt of A" in window.summary.text() and "excerpt.mp4" in window.header_b.text()
    # A opens on the first matched pair, B on its mapped frame.
    assert a.current_index == min(window.pairs, key=lambda p: p["a_seconds"])["a_index"]
    assert (
        b.current_index
        == _expected(window, a.current_index)
        == window.expected_b_index(a.current_index)
    )

    path_b = b.view.path
    for key, modifier in [
        (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier),
    ]:
        before = a.target_index
        qtbot.keyClick(a, key, modifier)
        assert a.target_index != before, "the key moved A"
        # B is asked for its frame at once, not after A's frame decoded.
        assert b.target_index == _expected(window, a.target_index)
        _settle(qtbot, window)
        expected = _expected(window, a.current_index)
        assert b.current_index == expected
        assert not window.outside_label.text()
        raw = b.shown.raw
        assert np.array_equal(raw, _decoded(path_b, expected, max(raw.shape[:2])))

    # Past B's end: B shows its last frame and says A's moment is outside it.
    qtbot.keyClick(a, Qt.Key.Key_End)
    _settle(qtbot, window)
    assert a.current_index == a.view.last_index and b.current_index == b.view.last_index
    assert "outside clip B" in window.outside_label.text()
    qtbot.keyClick(a, Qt.Key.Key_Home)
    _settle(qtbot, window)
    assert a.current_index == 0 and b.current_index == 0
    assert "before B starts" in window.outside_label.text()


def test_stored_offset_aligns_the_content(
    qtbot: Any, app: App, runner: TaskRunner, relation: dict[str, Any]
) -> None:
    window = _open(qtbot, app, runner, relation)
    a, b = window.viewer_a, window.viewer_b
    assert a.view is not None and b.view is not None
    a.go_to(42)  # inside the shared stretch, before A's cut at frame 50
    _settle(qtbot, window)
    assert b.current_index == _expected(window, 42)
    shown_a, shown_b = a.shown.raw, b.shown.raw
    aligned = _mad(shown_a, shown_b)
    side = max(shown_b.shape[:2])
    misaligned = _mad(shown_a, _decoded(b.view.path, b.current_index + 6, side))
    assert aligned < 0.5 * misaligned, (aligned, misaligned)
    assert aligned < 12, aligned
    assert "B − expected" in window.readout.text()


def test_pair_rows_unlinking_and_unmirroring(
    qtbot: Any, app: App, runner: TaskRunner, relation: dict[str, Any]
) -> None:
    window = _open(qtbot, app, runner, relation)
    a, b = window.viewer_a, window.viewer_b
    table = window.pairs_table
    assert table.rowCount() == len(relation["pairs"])
    a_times = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert a_times == sorted(a_times)

    # A pair whose B frame is not where the time map puts it, if there is one.
    row = next(
        (r for r, p in enumerate(window.pairs)
         if p["b_index"] != window.expected_b_index(p["a_index"])),
        len(window.pairs) // 2,
    )  # fmt: skip
    pair = window.pairs[row]
    table.selectRow(row)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (pair["a_index"], pair["b_index"])
    assert int(table.item(row, 1).text()) == pair["a_index"]
    assert "time map bypassed" in window.readout.text()
    # Moving A again goes back to the time map.
    qtbot.keyClick(a, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert b.current_index == _expected(window, a.current_index)

    # Linked, B's own keys drive A (B's transport is off).
    b.canvas.setFocus()
    a_before = a.current_index
    qtbot.keyClick(b.canvas, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert a.current_index == a_before + 1
    assert b.current_index == _expected(window, a.current_index)

    # Unlinked, B steps alone and A's steps leave B where it is.
    window.linked.setChecked(False)
    a_index, b_index = a.current_index, b.current_index
    qtbot.keyClick(b.canvas, Qt.Key.Key_Right)
    qtbot.keyClick(b.canvas, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (a_index, b_index + 2)
    a.canvas.setFocus()
    qtbot.keyClick(a, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (a_index + 1, b_index + 2)
    assert "unlinked" in window.readout.text()
    # Linking again snaps B back to the stored alignment.
    window.linked.setChecked(True)
    _settle(qtbot, window)
    assert b.current_index == _expected(window, a.current_index)
    window.close()

    # A mirrored relation: B can be shown flipped back; the decoded pixels stay as they are.
    mirrored = {**relation, "transform": {**relation["transform"], "mirrored": True}}
    window = _open(qtbot, app, runner, mirrored)
    b = window.viewer_b
    assert window.unmirror.isVisible() and not window.unmirror.isChecked()
    window.unmirror.setChecked(True)
    shown = rgb_from_qimage(b.canvas.image)
    assert np.array_equal(shown, b.shown.raw[:, ::-1])
    qtbot.keyClick(window.viewer_a, Qt.Key.Key_Right)
    _settle(qtbot, window)
    assert np.array_equal(rgb_from_qimage(b.canvas.image), b.shown.raw[:, ::-1])
    window.unmirror.setChecked(False)
    assert np.array_equal(rgb_from_qimage(b.canvas.image), b.shown.raw)
    window.close()


def test_offset_is_explained_in_words() -> None:
    assert describe_offset(-1.275, 1.0) == (
        "B time = A time − 1.275 s (B starts at A 00:00:01.275)"
    )
    assert describe_offset(2.0, 1.0) == "B time = A time + 2.000 s (A starts at B 00:00:02.000)"
    assert describe_offset(-0.0, 1.0) == "B time = A time (both start together)"
    assert describe_offset(0.5, 1.25).startswith("B time = 1.25 × A time + 0.500 s")


@pytest.fixture(scope="session")
def reencoded(fixture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All of cut.mp4 re-encoded (same 25 fps frame times): a re-upload of it."""
    target = tmp_path_factory.mktemp("compare-linked") / "reupload.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(fixture_dir / "cut.mp4"),
         "-c:v", "libx264", "-crf", "30", "-an", str(target)],
        check=True,
    )  # fmt: skip
    return target


def test_linked_stepping_shows_the_nearest_b_frame_and_names_the_gap(
    qtbot: Any, app: App, runner: TaskRunner, fixture_dir: Path, reencoded: Path
) -> None:
    """Offset −0.003 s: A's frame 42 is B's frame 42 (3 ms later), not the frame before."""
    found = _relation_of_cut_to(app, fixture_dir, reencoded, "Compare linked")
    relation = {**found, "offset": -0.003, "transform": {"speed": 1.0, "mirrored": False}}
    window = _open(qtbot, app, runner, relation)
    a, b = window.viewer_a, window.viewer_b
    assert a.view is not None and b.view is not None
    a.go_to(41)
    _settle(qtbot, window)
    for _ in range(3):  # A 42, 43, 44: B on the same frame each step
        qtbot.keyClick(a, Qt.Key.Key_Right)
        assert b.target_index == a.target_index
        _settle(qtbot, window)
        assert b.current_index == a.current_index
    a.go_to(42)
    _settle(qtbot, window)
    assert (a.current_index, b.current_index) == (42, 42)
    assert np.array_equal(b.shown.raw, _decoded(b.view.path, 42, max(b.shown.raw.shape[:2])))
    text = window.readout.text()
    assert "B frame 42 is the nearest, 0.003 s from A's moment" in text, text
    assert "(frame 42)" in text and "+0 frames" in text
    # Frames that line up exactly need no such words.
    window.close()
    exact = _open(qtbot, app, runner, {**relation, "offset": 0.0})
    exact.viewer_a.go_to(42)
    _settle(qtbot, exact)
    assert exact.viewer_b.current_index == 42
    assert "is the nearest" not in exact.readout.text()
    exact.close()
