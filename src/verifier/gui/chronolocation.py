"""The "Time" side tab: when the open clip was filmed.

Lists the clip's time findings, each window in UTC and in the local time of
the clip's location (zone, abbreviation and offset at each end, so a window
over a clock change shows both offsets), with the confidence, method and the
reasoning wrapped below. Proposals the program made (first appearance, file
metadata) are marked and wait for Confirm or Reject. Add and Edit open a
dialog that keeps the typed text until the service accepts it: a refused
value or a stale save (someone changed the finding meanwhile) is explained in
the dialog, never lost. All work runs on the task runner; the pane only calls
services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from verifier.errors import VerifierError
from verifier.gui.finding_panes import RecordsPane, ask_to_delete
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.ids import ChronolocationId, ClipId
from verifier.services.chronolocation import (
    CONFIDENCES,
    METHODS,
    add_chronolocation,
    confirm_chronolocation,
    delete_chronolocation,
    edit_chronolocation,
    list_chronolocations,
    reject_chronolocation,
    zone_for_clip,
)
from verifier.services.context import App
from verifier.services.edits import EditConflict

PROPOSED = QColor(176, 96, 0)
REJECTED = QColor(128, 128, 128)


def _short(iso: str) -> str:
    """``2025-03-30T02:30:00+02:00`` as ``2025-03-30 02:30:00``: the offset is shown apart."""
    return iso[:19].replace("T", " ")


def window_lines(doc: dict[str, Any]) -> list[str]:
    """Each end of a window on its own lines: UTC, then the local time at the location with
    that end's abbreviation and offset (they differ across a clock change); or why not."""
    lines = []
    zone = doc.get("zone")
    for label, end in (("From", "earliest"), ("To", "latest")):
        value = doc[end]
        if value is None:
            lines.append(f"{label:<5} open")
            continue
        lines.append(f"{label:<5} {_short(value)} UTC")
        local = doc.get(f"{end}_local")
        if local:
            lines.append(f"{'':<5} {_short(local['time'])} local, "
                         f"{local['abbreviation']} {local['offset']}")  # fmt: skip
    if zone is None:
        lines.append("No location: UTC only")
    return lines


def finding_text(doc: dict[str, Any]) -> str:
    """What one row of the list says."""
    head = f"#{doc['id']}  {doc['confidence']} · {doc['method']}"
    if doc["status"] == "proposed":
        head = f"PROPOSED — confirm or reject.  {head}"
    elif doc["status"] == "rejected":
        head = f"REJECTED.  {head}"
    return "\n".join([head, *window_lines(doc)])


def _ints(text: str, option: str) -> list[int]:
    values = []
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part.strip():
            continue
        try:
            values.append(int(part.lstrip("#")))
        except ValueError:
            raise VerifierError(f"{option}: {part!r} is not a number") from None
    return values


class TimeFindingDialog(QDialog):
    """Add or edit one window; Save asks the pane, which closes it only on success."""

    submitted = Signal(dict)

    def __init__(self, parent: QWidget | None, *, title: str, zone_text: str,
                 has_zone: bool, current_frame: int | None,
                 finding: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(title)
        self.finding = finding
        self.expected_version = finding["version"] if finding else None
        self.from_edit = QLineEdit(self)
        self.to_edit = QLineEdit(self)
        for edit in (self.from_edit, self.to_edit):
            edit.setPlaceholderText("e.g. 2025-03-30T14:05Z or …T17:05+03:00 — empty: open")
        self.local_box = QCheckBox("Times without an offset are local time at the location", self)
        self.local_box.setEnabled(has_zone)
        self.zone_label = QLabel(f"Location's zone: {zone_text}", self)
        self.zone_label.setWordWrap(True)
        self.confidence = QComboBox(self)
        self.confidence.addItems(list(CONFIDENCES))
        self.method = QComboBox(self)
        self.method.addItems(list(METHODS))
        # No default: a method picked by accident ("file metadata") would mislead a court.
        self.method.setPlaceholderText("choose how the time was found")
        self.method.setCurrentIndex(-1)
        self.reasoning = QPlainTextEdit(self)
        self.reasoning.setPlaceholderText("How the time was found (it goes in the report).")
        self.frames = QLineEdit(self)
        self.frames.setPlaceholderText("frame numbers, e.g. 120, 348")
        self.annotations = QLineEdit(self)
        self.annotations.setPlaceholderText("annotation ids, e.g. 4, 7")
        self.current_frame = current_frame
        self.add_current = QCheckBox(
            f"Add the frame on screen ({current_frame}) as supporting evidence"
            if current_frame is not None
            else "No frame on screen",
            self,
        )
        self.add_current.setEnabled(current_frame is not None)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("dialogError")
        self.error.setStyleSheet("color: #b03a2e;")
        self.error.hide()
        if finding is not None:
            self.from_edit.setText(finding["earliest"] or "")
            self.to_edit.setText(finding["latest"] or "")
            self.confidence.setCurrentText(finding["confidence"] or "possible")
            self.method.setCurrentText(finding["method"] or "other")
            self.reasoning.setPlainText(finding["reasoning"] or "")
            self.frames.setText(", ".join(str(f) for f in finding["frames"]))
            self.annotations.setText(", ".join(str(a) for a in finding["annotations"]))
        else:
            self.confidence.setCurrentText("probable")
        form = QFormLayout()
        form.addRow("Earliest (from):", self.from_edit)
        form.addRow("Latest (to):", self.to_edit)
        form.addRow("", self.local_box)
        form.addRow("", self.zone_label)
        form.addRow("Confidence:", self.confidence)
        form.addRow("Method:", self.method)
        form.addRow("Reasoning:", self.reasoning)
        form.addRow("Frames:", self.frames)
        form.addRow("", self.add_current)
        form.addRow("Annotations:", self.annotations)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 520)

    def values(self) -> dict[str, Any]:
        """What the person typed, as the service's keyword arguments."""
        if self.method.currentIndex() < 0:
            raise VerifierError("Method: choose how the time was found")
        frames = _ints(self.frames.text(), "Frames")
        if self.add_current.isChecked() and self.current_frame is not None:
            frames.append(self.current_frame)
        return {
            "earliest": self.from_edit.text().strip() or None,
            "latest": self.to_edit.text().strip() or None,
            "local": self.local_box.isChecked(),
            "confidence": self.confidence.currentText(),
            "method": self.method.currentText(),
            "reasoning": self.reasoning.toPlainText(),
            "frames": sorted(set(frames)),
            "annotations": _ints(self.annotations.text(), "Annotations"),
        }

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _submit(self) -> None:
        try:
            values = self.values()
        except VerifierError as exc:
            self.show_error(str(exc))
            return
        self.error.hide()
        self.submitted.emit(values)


class ChronolocationPane(RecordsPane):
    """The clip's time findings, with add, edit, delete, confirm and reject."""

    def __init__(self, app: App, runner: TaskRunner, current_frame: Callable[[], int | None],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.app = app
        self.runner = runner
        self.current_frame = current_frame
        self.clip_id: int | None = None
        self.zone: dict[str, Any] = {"zone": None, "zone_text": "no location: UTC only"}
        self._findings: list[dict[str, Any]] = []
        self.zone_label = QLabel(self)
        self.zone_label.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(3)
        self.list.itemSelectionChanged.connect(self._selection)
        self.list.itemDoubleClicked.connect(lambda _i: self.edit_selected())
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.add_button = QPushButton("Add…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.delete_button = QPushButton("Delete", self)
        self.confirm_button = QPushButton("Confirm", self)
        self.reject_button = QPushButton("Reject", self)
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.confirm_button.clicked.connect(lambda: self._decide(confirm=True))
        self.reject_button.clicked.connect(lambda: self._decide(confirm=False))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.zone_label)
        layout.addWidget(self.list, 3)
        layout.addWidget(self.details, 2)
        decide = QHBoxLayout()
        decide.addWidget(self.confirm_button)
        decide.addWidget(self.reject_button)
        decide.addStretch(1)
        layout.addLayout(decide)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.set_clip(None)

    # ---------------------------------------------------------------- loading

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self._findings)

    def set_clip(self, clip_id: int | None) -> None:
        """Show the findings of ``clip_id`` (None: nothing open)."""
        self.clip_id = clip_id
        if clip_id is None:
            self._show([], {"zone": None, "zone_text": ""})
            return
        self.reload()

    def reload(self, select: int | None = None) -> None:
        clip_id = self.clip_id
        if clip_id is None:
            return

        def work(ctx: TaskContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
            return (list_chronolocations(self.app, ClipId(clip_id)),
                    zone_for_clip(self.app, ClipId(clip_id)))  # fmt: skip

        def done(result: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
            if self.clip_id == clip_id:
                self._show(*result, select=select)

        self.runner.run(work, on_done=done)

    def _show(self, findings: list[dict[str, Any]], zone: dict[str, Any],
              select: int | None = None) -> None:  # fmt: skip
        self._findings = list(findings)
        self.zone = zone
        if self.clip_id is None:
            self.zone_label.setText("Open a clip to see when it was filmed.")
        else:
            self.zone_label.setText(f"Local time: {zone['zone_text']}")
        self.list.blockSignals(True)
        self.list.clear()
        for doc in self._findings:
            item = QListWidgetItem(finding_text(doc))
            item.setData(Qt.ItemDataRole.UserRole, doc["id"])
            if doc["status"] == "proposed":
                item.setForeground(QBrush(PROPOSED))
            elif doc["status"] == "rejected":
                item.setForeground(QBrush(REJECTED))
            self.list.addItem(item)
            if doc["id"] == select:
                item.setSelected(True)
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.clip_id is not None and not self._findings:
            self.details.setText(
                "No time findings yet. Add one, or record an appearance or analyse the clip: "
                "its first posting and the file's creation time are proposed here."
            )
        self._selection()

    def current(self) -> dict[str, Any] | None:
        items = self.list.selectedItems()
        if not items:
            return None
        ident = items[0].data(Qt.ItemDataRole.UserRole)
        return next((d for d in self._findings if d["id"] == ident), None)

    def _selection(self) -> None:
        doc = self.current()
        self.edit_button.setEnabled(doc is not None)
        self.delete_button.setEnabled(doc is not None)
        self.add_button.setEnabled(self.clip_id is not None)
        self.confirm_button.setEnabled(doc is not None and doc["status"] != "confirmed")
        self.reject_button.setEnabled(doc is not None and doc["status"] != "rejected")
        if doc is None:
            if self._findings:
                self.details.setText("Choose a finding to read its reasoning.")
            return
        parts = [doc["reasoning"] or "(no reasoning)"]
        if doc["zone_note"]:
            parts.append(f"Time zone: {doc['zone_note']}.")
        if doc["frames"]:
            parts.append("Frames: " + ", ".join(str(f) for f in doc["frames"]))
        if doc["annotations"]:
            parts.append("Annotations: " + ", ".join(f"#{a}" for a in doc["annotations"]))
        origin = {"manual": "a person's finding", "first-appearance": "proposed from the first "
                  "appearance", "metadata": "proposed from the file's metadata"}  # fmt: skip
        parts.append(f"{origin.get(doc['origin'], doc['origin'])}, by {doc['created_by']}, "
                     f"{_short(doc['created_at'])} UTC (version {doc['version']})")  # fmt: skip
        self.details.setText("\n\n".join(parts))

    # ---------------------------------------------------------------- changes

    def add(self) -> None:
        if self.clip_id is None:
            return
        self._open_dialog(None)

    def edit_selected(self) -> None:
        doc = self.current()
        if doc is not None:
            self._open_dialog(doc)

    def _open_dialog(self, doc: dict[str, Any] | None) -> None:
        clip_id = self.clip_id
        assert clip_id is not None
        title = f"Edit time finding #{doc['id']}" if doc else "Add a time finding"
        dialog = TimeFindingDialog(self, title=title, zone_text=self.zone["zone_text"],
                                   has_zone=self.zone.get("zone") is not None,
                                   current_frame=self.current_frame(), finding=doc)  # fmt: skip

        def submitted(values: dict[str, Any]) -> None:
            if doc is None:
                work = lambda ctx: add_chronolocation(self.app, ClipId(clip_id), **values)  # noqa: E731
            else:
                version = dialog.expected_version

                def work(ctx: TaskContext) -> dict[str, Any]:
                    return edit_chronolocation(
                        self.app, ChronolocationId(doc["id"]), expected_version=version,
                        earliest=values["earliest"], latest=values["latest"],
                        local=values["local"], confidence=values["confidence"],
                        method=values["method"], reasoning=values["reasoning"],
                        frames=values["frames"], annotations=values["annotations"],
                    )  # fmt: skip

            def done(saved: dict[str, Any]) -> None:
                dialog.accept()
                self.reload(select=saved["id"])
                self.changed.emit()

            self.runner.run(work, on_done=done, on_error=lambda exc: self._refused(dialog, exc))

        dialog.submitted.connect(submitted)
        self._open(dialog)

    def _refused(self, dialog: TimeFindingDialog, exc: BaseException) -> None:
        """Explain a refusal in the dialog; the typed text stays. On a stale save, the list
        shows the finding as it is now and Save again replaces it knowingly."""
        if isinstance(exc, EditConflict):
            if exc.current is not None:
                dialog.expected_version = exc.current.get("version")
                tail = ("The list now shows the finding as it is. Your text is still here: "
                        "Save again to replace it with yours, or Cancel.")  # fmt: skip
            else:
                tail = "Cancel: there is nothing left to save it to."
            self.runner.errors.append(str(exc))
            dialog.show_error(f"{exc} {tail}")
            self.reload()
            return
        self.runner.errors.append(describe_error(exc))
        dialog.show_error(describe_error(exc))

    def _decide(self, *, confirm: bool) -> None:
        doc = self.current()
        if doc is None:
            return
        ident, version = ChronolocationId(doc["id"]), doc["version"]
        if confirm:
            work = lambda ctx: confirm_chronolocation(self.app, ident, expected_version=version)  # noqa: E731
        else:
            work = lambda ctx: reject_chronolocation(self.app, ident, expected_version=version)  # noqa: E731
        self.runner.run(work, on_done=lambda saved: self._saved(saved["id"]),
                        on_error=self._action_refused)  # fmt: skip

    def delete_selected(self) -> None:
        doc = self.current()
        if doc is None:
            return
        ident, version = ChronolocationId(doc["id"]), doc["version"]

        def delete() -> None:
            self.runner.run(
                lambda ctx: delete_chronolocation(self.app, ident, expected_version=version),
                on_done=lambda _r: self._saved(None), on_error=self._action_refused,
            )  # fmt: skip

        box = ask_to_delete(
            self, "Delete time finding",
            f"Delete time finding #{doc['id']} ({doc['method']})? "
            "The custody log keeps what it said.",
            delete,
        )  # fmt: skip
        self._open(box)

    def _action_refused(self, exc: BaseException) -> None:
        """A stale confirm, reject or delete: say so and show the finding as it is now."""
        self.reload()
        if isinstance(exc, EditConflict):
            self.runner.show_error(
                f"{exc} The list now shows it as it is: look again before deciding.",
                "Time finding changed by someone else",
            )
        else:
            self.runner.show_error(describe_error(exc), "Time finding")
