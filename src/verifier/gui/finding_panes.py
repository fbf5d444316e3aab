"""Plumbing the panes that edit recorded items share (findings, links, appearances).

The geolocation, links, time and appearances panes each list recorded items
and let a person delete one or find their save refused because someone else
changed the item meanwhile. The table cells, the "Delete …?" question and
the "changed by someone else" warning must read and behave the same in every
pane, so they are built here once; each pane keeps only its own wording.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QTableWidgetItem, QWidget

from verifier.gui.tasks import TaskRunner, describe_error
from verifier.services.edits import EditConflict


def table_item(text: Any, data: Any = None) -> QTableWidgetItem:
    """A read-only-looking cell whose tooltip repeats the text (long values are cut in the
    column) and that carries ``data`` (an item id) for the selection to find."""
    cell = QTableWidgetItem("" if text is None else str(text))
    cell.setToolTip(cell.text())
    if data is not None:
        cell.setData(Qt.ItemDataRole.UserRole, data)
    return cell


def ask_to_delete(
    parent: QWidget, title: str, question: str, on_yes: Callable[[], None]
) -> QMessageBox:
    """A Yes/No question that calls ``on_yes`` only on Yes; the caller opens it (window-modal,
    so tests and the person see the same box)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent,
    )  # fmt: skip

    def finished(result: int) -> None:
        if result == QMessageBox.StandardButton.Yes:
            on_yes()

    box.finished.connect(finished)
    return box


def conflict_box(parent: QWidget, exc: BaseException, title: str, advice: str) -> QMessageBox:
    """The warning after a stale save: the refusal itself, then what the pane now shows and
    what to do (``advice``); the caller opens it after reloading the item."""
    return QMessageBox(
        QMessageBox.Icon.Warning, title, f"{exc}\n\n{advice}",
        QMessageBox.StandardButton.Ok, parent,
    )  # fmt: skip


class RecordsPane(QWidget):
    """A pane listing recorded items that a person adds, edits and deletes through dialogs.

    Shared so every such pane keeps its open dialog in ``dialog`` (one at a time, reachable
    by the tests and the window) and, after any save, shows the list again with the saved
    item selected and says ``changed`` (counts elsewhere follow).
    """

    #: Emitted after an item was added, changed or deleted (counts elsewhere change).
    changed = Signal()
    #: Where the pane's work runs (set by each pane; None until a pane is connected).
    runner: TaskRunner | None

    #: Fetch the items again (on the worker) and show them, the given id chosen. Each
    #: pane defines it: what to fetch is the one thing the panes do not share.
    reload: Callable[[int | None], None]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dialog: QDialog | QMessageBox | None = None

    def _open(self, dialog: QDialog | QMessageBox) -> None:
        self.dialog = dialog
        dialog.open()

    def _saved(self, item_id: int | None) -> None:
        self.reload(item_id)
        self.changed.emit()

    def _stale(self, exc: BaseException, item_id: int, label: str) -> bool:
        """Whether a refused save was stale (someone changed the item meanwhile).

        A plain refusal is shown in the window's error box titled ``label`` (False); a
        stale one is noted and the item shown as it is now (True: the caller explains).
        """
        assert self.runner is not None
        if not isinstance(exc, EditConflict):
            self.runner.show_error(describe_error(exc), label)
            return False
        self.runner.errors.append(str(exc))
        self.reload(item_id)
        return True
