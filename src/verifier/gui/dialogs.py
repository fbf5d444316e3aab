"""Small dialogs of the workbench: annotation, go to, new case, summaries, enhancement.

The static ones (annotation, go to, new case) are Qt Designer forms in
``ui/forms/``; the import summary, the verification findings and the
enhancement sliders are built here because their content depends on the data
they show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.resources import form_child, load_form
from verifier.media.enhance import Enhancement
from verifier.services.annotations import LABELS, Shape

#: How each annotation shape is named to a person.
SHAPE_NAMES = {"rect": "Rectangle", "point": "Point", "line": "Line", "polygon": "Polygon"}


def shape_of(annotation: dict[str, Any]) -> Shape:
    """The shape of an annotation as the service lists it."""
    kind = annotation.get("shape") or "rect"
    if kind == "rect" or not annotation.get("points"):
        return Shape.rect(annotation["x"], annotation["y"], annotation["w"], annotation["h"])
    return Shape.of_vertices(kind, annotation["points"])


def describe_shape(shape: Shape, *, short: bool = False) -> str:
    """A shape in words, in frame pixels: what was drawn, where (``short``: for a table cell)."""
    if shape.kind == "rect":
        x, y, w, h = shape.numbers
        return f"rect {x:.0f}, {y:.0f}, {w:.0f}×{h:.0f}" if short else (
            f"rectangle {x:.0f}, {y:.0f}, {w:.0f}×{h:.0f} px")  # fmt: skip
    vertices = shape.vertices
    coords = " → ".join(f"{x:.0f}, {y:.0f}" for x, y in vertices)
    if shape.kind == "point":
        return f"point {coords}" + ("" if short else " px")
    count = f"{len(vertices)} vertices" if len(vertices) > 2 else ""
    if short:  # a table cell: a line's two ends, else the count and where it starts
        x0, y0 = vertices[0]
        return f"{shape.kind} {coords}" if len(vertices) == 2 else (
            f"{shape.kind}, {count} from {x0:.0f}, {y0:.0f}")  # fmt: skip
    return f"{shape.kind} {coords} px" + (f" ({count})" if count else "")


def _form_dialog(dialog: QDialog, form_name: str) -> QWidget:
    """Lay the Designer form ``form_name`` into ``dialog``; its button box accepts or rejects."""
    form = load_form(form_name, dialog)
    layout = QVBoxLayout(dialog)
    layout.addWidget(form)
    buttons = form_child(form, QDialogButtonBox, "buttons")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return form


class AnnotationDialog(QDialog):
    """Label and note for a shape drawn on a frame (or for editing one); says which shape."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        where: str,
        label: str = "landmark",
        note: str = "",
        shape: str = "rect",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = _form_dialog(self, "annotation")
        where_label = form_child(form, QLabel, "where")
        where_label.setText(where)
        where_label.setWordWrap(True)
        where_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shape_value = form_child(form, QLabel, "shape_value")
        self.shape_value.setText(SHAPE_NAMES.get(shape, shape))
        self.label_box = form_child(form, QComboBox, "label_box")
        self.label_box.addItems(list(LABELS))
        self.label_box.setCurrentText(label)
        self.note_edit = form_child(form, QPlainTextEdit, "note_edit")
        self.note_edit.setPlainText(note)
        self.buttons = form_child(form, QDialogButtonBox, "buttons")

    @property
    def label(self) -> str:
        return self.label_box.currentText()

    @property
    def note(self) -> str:
        return self.note_edit.toPlainText().strip()


class GoToDialog(QDialog):
    """Go to a time (62.5, 1:02.5) or a frame number (#120)."""

    def __init__(self, parent: QWidget | None, current: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Go to")
        form = _form_dialog(self, "go_to")
        self.edit = form_child(form, QLineEdit, "edit")
        self.edit.setText(current)
        self.edit.selectAll()
        self.error = form_child(form, QLabel, "goToError")


class NewCaseDialog(QDialog):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New case")
        form = _form_dialog(self, "new_case")
        self.name_edit = form_child(form, QLineEdit, "name_edit")
        self.description_edit = form_child(form, QLineEdit, "description_edit")
        self.blur = form_child(form, QCheckBox, "blur")
        self.greyscale = form_child(form, QCheckBox, "greyscale")


class ImportSummaryDialog(QDialog):
    """What an import did: counts, and one line per file that failed."""

    def __init__(self, parent: QWidget | None, report: Any) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import finished")
        items = list(report.items)
        counts = {s: report.count(s) for s in ("imported", "already-present", "failed", "skipped")}
        summary = (
            f"{counts['imported']} imported, {counts['already-present']} already present, "
            f"{counts['failed']} failed, {counts['skipped']} skipped."
        )
        if getattr(report, "cancelled", False):
            summary = "Cancelled. " + summary
        if getattr(report, "stopped", None):
            # The database could not be written: the rest of the batch was not tried.
            summary = f"Stopped: {report.stopped}. " + summary
        posts = getattr(report, "unavailable_posts", 0)
        if posts:
            summary += (
                f" {posts} post{'s' if posts != 1 else ''} recorded whose media was not "
                "downloaded: see Case ▸ Posts…"
            )
        problems = [
            i
            for i in items
            if i.status in ("failed", "skipped") or i.warnings or getattr(i, "post_warnings", [])
        ]
        rows = []
        for item in problems:
            # The readers' warnings about the file's posts come after the file's own.
            notes = [*item.warnings, *(f"post: {w}" for w in getattr(item, "post_warnings", []))]
            rows.append((str(item.path), item.status, item.reason or "; ".join(notes)))
        self.summary, self.table = _summary_and_table(
            self, summary, ["File", "Result", "Reason"], rows, (760, 320 if rows else 120)
        )


def _summary_and_table(
    dialog: QDialog,
    summary: str,
    headers: list[str],
    rows: list[tuple[str, ...]],
    size: tuple[int, int],
) -> tuple[QLabel, QTableWidget]:
    """Lay out a report dialog: a summary line, a table of rows (hidden when empty), Close.

    Every cell carries its text as a tooltip too: paths and reasons are long.
    """
    label = QLabel(summary, dialog)
    label.setWordWrap(True)
    table = QTableWidget(len(rows), len(headers), dialog)
    table.setHorizontalHeaderLabels(headers)
    for row, values in enumerate(rows):
        for column, text in enumerate(values):
            cell = QTableWidgetItem(text)
            cell.setToolTip(text)
            table.setItem(row, column, cell)
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    table.setVisible(bool(rows))
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(*size)
    return label, table


class VerificationDialog(QDialog):
    """What ``verify`` found: files re-hashed, custody events checked, every problem."""

    def __init__(self, parent: QWidget | None, report: Any, scope: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Verification finished")
        problems = list(report.problems)
        megabytes = report.bytes_checked / 1_000_000
        verdict = (
            "Everything checked is intact."
            if report.ok
            else f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found."
        )
        text = (
            f"{verdict} {scope}: {report.files_checked} stored files ({megabytes:.1f} MB) "
            f"re-hashed, {report.events_checked} custody events checked."
        )
        unreferenced = len(getattr(report, "unreferenced_objects", []) or [])
        if unreferenced:
            text += f" {unreferenced} files in the store belong to no record."
        rows = [(str(p.kind), str(p.target), str(p.message)) for p in problems]
        self.summary, self.table = _summary_and_table(
            self, text, ["Kind", "What", "Problem"], rows, (860, 360 if rows else 120)
        )

    @property
    def findings(self) -> list[str]:
        """The problems as listed, one line each (Kind: Problem)."""
        rows = range(self.table.rowCount())
        return [f"{self.table.item(r, 0).text()}: {self.table.item(r, 2).text()}" for r in rows]


class _Slider(QWidget):
    """A labelled slider over a float range."""

    changed = Signal()

    def __init__(self, name: str, low: float, high: float, neutral: float, parent: QWidget) -> None:
        super().__init__(parent)
        self._low, self._high, self._neutral = low, high, neutral
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 1000)
        self.value_label = QLabel(self)
        self.value_label.setMinimumWidth(44)
        self.slider.valueChanged.connect(self._moved)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(name, self), 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.set_value(neutral)

    def _moved(self) -> None:
        self.value_label.setText(f"{self.value():.2f}")
        self.changed.emit()

    def value(self) -> float:
        return self._low + (self._high - self._low) * self.slider.value() / 1000

    def set_value(self, value: float) -> None:
        self.slider.setValue(round((value - self._low) / (self._high - self._low) * 1000))
        self.value_label.setText(f"{value:.2f}")


class EnhanceDialog(QDialog):
    """View-only adjustments; applied live, never to evidence."""

    def __init__(
        self, parent: QWidget | None, current: Enhancement, apply: Callable[[Enhancement], None]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Enhance the view")
        self._apply = apply
        note = QLabel(
            "These change only what is shown. Evidence files are never modified; "
            "an enhanced export is a new file, marked as enhanced.",
            self,
        )
        note.setWordWrap(True)
        self.brightness = _Slider("Brightness", -1.0, 1.0, 0.0, self)
        self.contrast = _Slider("Contrast", 0.2, 3.0, 1.0, self)
        self.gamma = _Slider("Gamma", 0.2, 5.0, 1.0, self)
        self.sharpen = _Slider("Sharpen", 0.0, 3.0, 0.0, self)
        self.greyscale = QCheckBox("Greyscale", self)
        self.invert = QCheckBox("Invert", self)
        self.set_enhancement(current)
        for slider in (self.brightness, self.contrast, self.gamma, self.sharpen):
            slider.changed.connect(self._changed)
        self.greyscale.toggled.connect(self._changed)
        self.invert.toggled.connect(self._changed)
        reset = QPushButton("Reset", self)
        reset.clicked.connect(lambda: (self.set_enhancement(Enhancement()), self._changed()))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.addButton(reset, QDialogButtonBox.ButtonRole.ResetRole)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        for widget in (self.brightness, self.contrast, self.gamma, self.sharpen):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addWidget(self.greyscale)
        row.addWidget(self.invert)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.resize(420, 260)

    def set_enhancement(self, enhancement: Enhancement) -> None:
        widgets = (self.brightness, self.contrast, self.gamma, self.sharpen, self.greyscale)
        for widget in (*widgets, self.invert):
            widget.blockSignals(True)
        self.brightness.set_value(enhancement.brightness)
        self.contrast.set_value(enhancement.contrast)
        self.gamma.set_value(enhancement.gamma)
        self.sharpen.set_value(enhancement.sharpen)
        self.greyscale.setChecked(enhancement.greyscale)
        self.invert.setChecked(enhancement.invert)
        for widget in (*widgets, self.invert):
            widget.blockSignals(False)

    def enhancement(self) -> Enhancement:
        return Enhancement(
            brightness=round(self.brightness.value(), 3),
            contrast=round(self.contrast.value(), 3),
            gamma=round(self.gamma.value(), 3),
            sharpen=round(self.sharpen.value(), 3),
            greyscale=self.greyscale.isChecked(),
            invert=self.invert.isChecked(),
        )

    def _changed(self) -> None:
        self._apply(self.enhancement())
