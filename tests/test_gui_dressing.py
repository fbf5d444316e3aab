"""The window's dressing: one style sheet, SVG icons and Designer forms from ``verifier.ui``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QToolButton

from verifier.gui import resources
from verifier.gui.dialogs import AnnotationDialog, GoToDialog, NewCaseDialog
from verifier.gui.main_window import MainWindow
from verifier.gui.resources import Icon
from verifier.services.annotations import LABELS
from verifier.services.context import App


def _shown_label(qtbot: Any, name: str) -> QLabel:
    label = QLabel("text", None)
    label.setObjectName(name)
    qtbot.addWidget(label)
    label.show()  # polished: the application's style sheet reaches it
    return label


def test_files_are_found_inside_the_package() -> None:
    """Through importlib.resources, i.e. wherever ``verifier.ui`` is installed."""
    package = importlib.import_module("verifier.ui")
    assert resources.ui_dir() == Path(str(package.__file__)).parent
    assert (resources.ui_dir() / resources.STYLE_SHEET).is_file()


def test_main_window_loads_the_style_sheet_and_icon_once(qtbot: Any, app: App) -> None:
    qt_app = QApplication.instance()
    assert isinstance(qt_app, QApplication)
    window = MainWindow(app)
    qtbot.addWidget(window)
    assert qt_app.styleSheet() == resources.style_sheet()
    assert not qt_app.windowIcon().isNull()
    second = MainWindow(app)
    qtbot.addWidget(second)
    qtbot.waitUntil(lambda: not window.runner.busy and not second.runner.busy)
    assert qt_app.styleSheet() == resources.style_sheet()


@pytest.mark.parametrize(
    ("name", "colour", "bold"),
    [
        ("compareLinkStatus", "#777777", False),
        ("outsideClipB", "#e74c3c", True),
        ("goToError", "#c0392b", False),
    ],
)
def test_style_sheet_colours_the_named_labels(
    qtbot: Any, name: str, colour: str, bold: bool
) -> None:
    """The colours and weights the labels had inline before the one style sheet."""
    resources.dress_application()
    label = _shown_label(qtbot, name)
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == colour
    assert label.font().bold() is bold


def test_every_icon_exists_and_loads() -> None:
    for name in Icon:
        assert resources.icon_path(name).is_file(), name
        icon = resources.icon(name)
        assert not icon.isNull(), name
        assert not icon.pixmap(QSize(24, 24)).isNull(), name


def test_every_icon_file_is_used() -> None:
    """No SVG in ui/icons that the code does not name."""
    shipped = {p.stem for p in (resources.ui_dir() / "icons").glob("*.svg")}
    assert shipped == {name.value for name in Icon}


def test_a_missing_file_is_a_clear_error(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(resources, "ui_dir", lambda: tmp_path)
    with pytest.raises(Exception, match="installation is incomplete"):
        resources.icon(Icon.PLAY)


def test_transport_buttons_carry_the_svg_icons(qtbot: Any, app: App) -> None:
    window = MainWindow(app)
    qtbot.addWidget(window)
    viewer = window.viewer
    assert not viewer.play_button.icon().isNull()
    assert not viewer.sound_button.icon().isNull()
    assert viewer.sound_button.text() == "Muted"
    tips = {b.toolTip(): b for b in viewer.findChildren(QToolButton)}
    for tip in ("First frame (Home)", "Last frame (End)", "Play / pause (Space)"):
        assert not tips[tip].icon().isNull(), tip
    qtbot.waitUntil(lambda: not window.runner.busy)


def test_annotation_form_dialog(qtbot: Any) -> None:
    dialog = AnnotationDialog(
        None, title="Edit annotation", where="frame 7 at 0:00.28", label="vehicle", note="van"
    )
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Edit annotation"
    assert [dialog.label_box.itemText(i) for i in range(dialog.label_box.count())] == list(LABELS)
    assert dialog.label == "vehicle"
    assert "frame 7 at 0:00.28" in [w.text() for w in dialog.findChildren(QLabel)]
    dialog.note_edit.setPlainText("  white van by the gate \n")
    assert dialog.note == "white van by the gate"
    assert dialog.note_edit.minimumSize() == QSize(360, 100)
    with qtbot.waitSignal(dialog.accepted):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_go_to_form_dialog(qtbot: Any) -> None:
    dialog = GoToDialog(None, "0:01.5")
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Go to"
    assert dialog.edit.text() == "0:01.5" and dialog.edit.selectedText() == "0:01.5"
    assert dialog.edit.placeholderText() == "1:02.5, 62.5 or #120 for a frame number"
    assert dialog.error.text() == ""
    dialog.show()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Escape)


def test_new_case_form_dialog(qtbot: Any) -> None:
    dialog = NewCaseDialog(None)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "New case"
    assert not dialog.blur.isChecked() and not dialog.greyscale.isChecked()
    assert dialog.blur.text().startswith("Graphic footage")
    dialog.name_edit.setText("Kharkiv")
    dialog.description_edit.setText("market strike")
    boxes = dialog.findChildren(QDialogButtonBox)
    assert len(boxes) == 1
    with qtbot.waitSignal(dialog.accepted):
        boxes[0].button(QDialogButtonBox.StandardButton.Ok).click()
    assert dialog.name_edit.text() == "Kharkiv"
