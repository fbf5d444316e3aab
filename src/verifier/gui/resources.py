"""The window's dressing: style sheet, SVG icons and Qt Designer forms.

They live in the top-level ``ui/`` folder, shipped as the package
``verifier.ui``; they are found through :mod:`importlib.resources` so that an
installed copy uses the files inside its own wheel, never the source tree.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtGui import QIcon
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QApplication, QWidget

from verifier.errors import VerifierError

PACKAGE = "verifier.ui"
STYLE_SHEET = "verifier.qss"
_DRESSED = "verifierDressed"  # dynamic property: the application has its style sheet

W = TypeVar("W", bound=QWidget)


class Icon(StrEnum):
    """Every icon the window uses: each names ``ui/icons/<value>.svg``."""

    APPLICATION = "verifier"
    PLAY = "play"
    PAUSE = "pause"
    FIRST_FRAME = "first-frame"
    LAST_FRAME = "last-frame"
    STEP_BACK = "step-back"
    STEP_FORWARD = "step-forward"
    SECOND_BACK = "second-back"
    SECOND_FORWARD = "second-forward"
    PREVIOUS_MARK = "previous-mark"
    NEXT_MARK = "next-mark"
    SOUND_ON = "sound-on"
    SOUND_MUTED = "sound-muted"


def ui_dir() -> Path:
    """The folder of ``verifier.ui`` (a real folder: the wheel is installed unzipped)."""
    return Path(str(resources.files(PACKAGE)))


def _existing(path: Path) -> Path:
    # A missing file is a broken installation, not something to paper over with
    # an empty icon or an unstyled window.
    if not path.is_file():
        raise VerifierError(f"the installation is incomplete: {path} is missing; reinstall")
    return path


def icon_path(name: Icon) -> Path:
    return _existing(ui_dir() / "icons" / f"{name.value}.svg")


def icon(name: Icon) -> QIcon:
    """The SVG icon ``name``: drawn at whatever size a button asks for."""
    return QIcon(str(icon_path(name)))


def style_sheet() -> str:
    return _existing(ui_dir() / STYLE_SHEET).read_text(encoding="utf-8")


def dress_application() -> None:
    """Give the application its style sheet and icon, once however many windows open."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("the window's dressing needs the QApplication to exist first")
    if app.property(_DRESSED):
        return
    app.setStyleSheet(style_sheet())
    app.setWindowIcon(icon(Icon.APPLICATION))
    app.setProperty(_DRESSED, True)


def load_form(name: str, parent: QWidget) -> QWidget:
    """Build the Qt Designer form ``ui/forms/<name>.ui`` as a child of ``parent``.

    Loaded at run time with QUiLoader so the ``.ui`` file stays the one
    source of the layout, with no generated code to keep in step.
    """
    path = _existing(ui_dir() / "forms" / f"{name}.ui")
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise VerifierError(f"cannot read {path}: {file.errorString()}")
    loader = QUiLoader()
    try:
        form = loader.load(file, parent)
    finally:
        file.close()
    if form is None:
        raise VerifierError(f"cannot build the form {path}: {loader.errorString()}")
    return form


def form_child(form: QWidget, kind: type[W], name: str) -> W:
    """The widget ``name`` of a loaded form, typed; a form without it is a broken install."""
    child = form.findChild(kind, name)
    if child is None:
        raise VerifierError(f"the form {form.objectName()} has no {kind.__name__} {name!r}")
    return child
