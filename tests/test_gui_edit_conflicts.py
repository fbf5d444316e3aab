"""The window never overwrites another analyst's edit (pytest-qt, offscreen).

The annotation dialog sends only what the user changed, with the version it
opened; a save on an annotation changed meanwhile is refused with a message
naming the other analyst's change, and "Reload and edit" reopens the dialog on
the annotation as it is now.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QMessageBox
from tests.gui_helpers import open_clip, show_window

from verifier.config import load_settings
from verifier.gui.dialogs import AnnotationDialog
from verifier.gui.main_window import MainWindow
from verifier.services import cases
from verifier.services.annotations import add_annotation, edit_annotation, list_annotations
from verifier.services.clips import custody_log
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


@pytest.fixture
def library(tmp_path: Path, fixture_dir: Path) -> Iterator[App]:
    application = open_app(load_settings(data_dir=tmp_path / "data", analyst="bob"))
    case = cases.create_case(application, "Conflicts")
    report = import_paths(application, [fixture_dir / "cut.mp4"], case)
    assert report.count("imported") == 1, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "Conflicts", 1)
    yield win
    win.close()


def _annotated(qtbot: Any, win: MainWindow, app: App) -> dict[str, Any]:
    clip_id = open_clip(qtbot, win, "cut.mp4")
    added = add_annotation(app, clip_id, 3, (10, 10, 60, 40), "landmark", "water tower")
    win._reload_annotations(added["id"])
    qtbot.waitUntil(lambda: [a["id"] for a in win.annotations.annotations] == [added["id"]])
    return win.annotations.annotations[0]


def _edits(app: App) -> int:
    return sum(e["action"] == "annotation.edit" for e in custody_log(app, None))


def test_unchanged_dialog_sends_nothing(qtbot: Any, window: MainWindow, library: App) -> None:
    shown = _annotated(qtbot, window, library)
    window._edit_annotation(shown)
    window.dialog.accept()
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert _edits(library) == 0
    assert list_annotations(library, shown["clip_id"])[0]["version"] == 1


def test_conflicting_save_is_refused_and_reload_reopens_the_current_annotation(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    shown = _annotated(qtbot, window, library)
    window._edit_annotation(shown)
    dialog = window.dialog
    assert isinstance(dialog, AnnotationDialog)
    # Meanwhile Alice, in another window, changes the note.
    alice = open_app(load_settings(data_dir=library.settings.data_dir, analyst="alice"))
    try:
        edit_annotation(alice, shown["id"], expected_version=1, note="the mosque's minaret")
    finally:
        alice.close()
    dialog.label_box.setCurrentText("building")
    dialog.accept()
    qtbot.waitUntil(lambda: isinstance(window.dialog, QMessageBox), timeout=10_000)
    refusal = window.dialog
    text = refusal.text()
    assert f"annotation #{shown['id']} was changed by alice at" in text
    assert "note 'water tower' → \"the mosque's minaret\"" in text
    assert "Nothing was saved" in text
    # Alice's note is intact and Bob's label was not written.
    [stored] = list_annotations(library, shown["clip_id"])
    assert (stored["label"], stored["note"], stored["version"]) == (
        "landmark", "the mosque's minaret", 2
    )  # fmt: skip
    # Reload: the dialog reopens on the annotation as it is now.
    refusal.done(int(QMessageBox.StandardButton.Retry))
    qtbot.waitUntil(
        lambda: isinstance(window.dialog, AnnotationDialog) and window.dialog is not dialog,
        timeout=10_000,
    )
    again = window.dialog
    assert again.note == "the mosque's minaret" and again.label == "landmark"
    again.label_box.setCurrentText("building")
    again.accept()
    qtbot.waitUntil(
        lambda: list_annotations(library, shown["clip_id"])[0]["version"] == 3, timeout=10_000
    )
    [final] = list_annotations(library, shown["clip_id"])
    assert (final["label"], final["note"]) == ("building", "the mosque's minaret")
