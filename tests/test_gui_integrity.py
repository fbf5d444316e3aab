"""The window says what is wrong with damaged evidence (pytest-qt, offscreen).

A clip whose evidence file was deleted is flagged in the clip table, the viewer
shows a banner when it is opened, and Case ▸ Verify evidence runs ``verify`` in
the background and lists what it found; an altered thumbnail is flagged too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from tests.gui_helpers import show_window
from tests.test_clip_integrity import make_writable

from verifier.config import load_settings
from verifier.gui.clips import COLUMNS
from verifier.gui.dialogs import VerificationDialog
from verifier.gui.main_window import MainWindow
from verifier.services import cases
from verifier.services.clips import list_clips
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


@pytest.fixture
def damaged(tmp_path: Path, fixture_dir: Path) -> Iterator[App]:
    """A case of two clips: cut.mp4's evidence deleted, still.jpg's thumbnail altered."""
    application = open_app(load_settings(data_dir=tmp_path / "data", analyst="tester"))
    case = cases.create_case(application, "Damaged")
    report = import_paths(application, [fixture_dir / "cut.mp4", fixture_dir / "still.jpg"], case)
    assert report.count("imported") == 2, report.to_json()
    rows = {r.name: r for r in list_clips(application, case.id)}
    evidence = application.store.path_for(rows["cut.mp4"].sha256)
    make_writable(evidence)
    evidence.unlink()
    thumbnail = rows["still.jpg"].thumbnail
    assert thumbnail is not None
    make_writable(thumbnail)
    data = bytearray(thumbnail.read_bytes())
    data[len(data) // 2] ^= 0xFF
    thumbnail.write_bytes(bytes(data))
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, damaged: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, damaged, "Damaged", 2)
    yield win
    win.close()


def _evidence_cell(win: MainWindow, name: str, role: Qt.ItemDataRole) -> Any:
    model = win.browser.model
    row = next(i for i, r in enumerate(model.rows) if r.name == name)
    column = [key for _title, key in COLUMNS].index("integrity")
    return model.data(model.index(row, column), role)


def test_clip_table_flags_missing_evidence_and_altered_thumbnail(window: MainWindow) -> None:
    display = Qt.ItemDataRole.DisplayRole
    assert _evidence_cell(window, "cut.mp4", display) == "evidence missing"
    assert _evidence_cell(window, "still.jpg", display) == "thumbnail altered"
    assert _evidence_cell(window, "cut.mp4", Qt.ItemDataRole.ForegroundRole) is not None
    assert "Verify evidence" in _evidence_cell(window, "cut.mp4", Qt.ItemDataRole.ToolTipRole)
    # The search box finds them.
    window.browser.proxy.set_needle("missing")
    assert window.browser.proxy.rowCount() == 1


def test_viewer_banner_names_the_missing_evidence(
    qtbot: Any, window: MainWindow, damaged: App
) -> None:
    clip_id = next(r.id for r in window.browser.model.rows if r.name == "still.jpg")
    assert window.browser.select_clip(clip_id)
    qtbot.waitUntil(lambda: window.viewer.view is not None and not window.runner.busy)
    assert "thumbnail" in window.viewer.banner.text() and window.viewer.banner.isVisibleTo(window)
    clip_id = next(r.id for r in window.browser.model.rows if r.name == "cut.mp4")
    assert window.browser.select_clip(clip_id)
    qtbot.waitUntil(lambda: "evidence file" in window.viewer.banner.text(), timeout=10_000)
    text = window.viewer.banner.text()
    sha = next(r.sha256 for r in window.browser.model.rows if r.id == clip_id)
    assert "not in the store" in text and str(damaged.store.path_for(sha)) in text
    assert window.viewer.banner.isVisibleTo(window)


def test_verify_action_lists_what_it_found(qtbot: Any, window: MainWindow) -> None:
    action = next(
        a for m in window.menuBar().actions() for a in m.menu().actions()
        if a.text() == "Verify evidence…"
    )  # fmt: skip
    action.trigger()
    qtbot.waitUntil(lambda: isinstance(window.dialog, VerificationDialog), timeout=30_000)
    dialog = window.dialog
    assert "2 problems found" in dialog.summary.text()
    findings = dialog.findings
    assert any("cut.mp4" in f and "missing from the store" in f for f in findings), findings
    assert any("content changed" in f for f in findings), findings
    assert not window.last_verification.ok
