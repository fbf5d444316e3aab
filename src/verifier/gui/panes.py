"""Side panes: metadata and flags, shot thumbnails, matches, annotations.

The appearances pane lives in :mod:`verifier.gui.appearances` with its editor.

Each pane shows a :class:`ClipDetails`, loaded in one background task when a
clip is chosen, and emits what the user asked for (jump to a frame, compare
a match, edit an annotation); the main window runs the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.clips import load_thumbnail
from verifier.gui.dialogs import describe_shape, shape_of
from verifier.gui.finding_panes import table_item
from verifier.gui.metadata import MetadataPane as MetadataPane  # the Metadata tab
from verifier.services.annotations import list_annotations
from verifier.services.clips import describe_clip
from verifier.services.context import App
from verifier.services.matching import list_matches
from verifier.services.provenance import provenance_for_clip
from verifier.services.viewing import format_seconds

SEVERITY_COLOURS = {"high": QColor(192, 57, 43), "warning": QColor(211, 84, 0)}


@dataclass
class ClipDetails:
    """Everything the side panes show about one clip."""

    clip: dict[str, Any]
    provenance: dict[str, Any]
    matches: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    thumbnails: dict[int, QImage] = field(default_factory=dict)  # by frame index


def load_details(app: App, clip_id: int, *, blur: bool, greyscale: bool) -> ClipDetails:
    """Runs on a worker thread."""
    clip = describe_clip(app, clip_id)
    provenance = provenance_for_clip(app, str(clip_id)).to_json()
    matches = list_matches(app, clip_id=clip_id, explain=True)
    annotations = list_annotations(app, clip_id)
    thumbnails: dict[int, QImage] = {}
    for keyframe in clip["keyframes"]:
        sha = keyframe.get("thumbnail_sha256")
        if sha:
            image = load_thumbnail(app.store.path_for(sha), blur=blur, greyscale=greyscale)
            if image is not None:
                thumbnails[keyframe["frame_index"]] = image
    return ClipDetails(clip, provenance, matches, annotations, thumbnails)


def _table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def _fill(table: QTableWidget, rows: list[list[Any]], data: list[Any] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, table_item(value, data[r] if data and c == 0 else None))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)


def _fit_columns(table: QTableWidget, stretch: int, caps: dict[int, int]) -> None:
    """Keep every column on screen: short ones fit their text, long ones are capped
    (elided, full text in the tooltip) and ``stretch`` takes the rest, wrapping its
    text over several lines so a note stays readable in a narrow pane."""
    table.setWordWrap(True)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(24)
    for column in range(table.columnCount()):
        if column == stretch:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            continue
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        table.resizeColumnToContents(column)
        if column in caps and table.columnWidth(column) > caps[column]:
            table.setColumnWidth(column, caps[column])
    table.resizeRowsToContents()


class _FittedTable(QTableWidget):
    """A table whose wrapped rows get their height back whenever a column's width changes.

    Rows filled while the tab is hidden are measured against a column width that
    the layout then changes; without this the note would stay one elided line.
    """

    def __init__(self, rows: int, columns: int, parent: QWidget | None = None) -> None:
        super().__init__(rows, columns, parent)
        self.horizontalHeader().sectionResized.connect(lambda *_a: self.resizeRowsToContents())

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.resizeRowsToContents()


def _fitted_table(parent: QWidget, headers: list[str]) -> QTableWidget:
    table = _FittedTable(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    return table


class KeyframeStrip(QListWidget):
    """Shot thumbnails in time order; activating one jumps there.

    These are the representative frames the analysis chose (the first frame,
    each cut or fade, regular samples), called *thumbnails* in the window so
    that *key frame* keeps its codec meaning (an I-frame).
    """

    TITLE = "Thumbnails"
    TIP = (
        "Shot thumbnails: frames the analysis chose to represent the clip (the first frame, "
        "each cut or fade in red, and regular samples). Not the codec's key frames."
    )

    frameChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(160, 90))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setToolTip(self.TIP)
        self.itemClicked.connect(self._chosen)
        self.itemActivated.connect(self._chosen)

    def show_details(self, details: ClipDetails | None) -> None:
        self.clear()
        if details is None:
            return
        for keyframe in details.clip["keyframes"]:
            index = keyframe["frame_index"]
            text = f"f{index} · {format_seconds(keyframe['seconds'])[3:]}\n{keyframe['reason']}"
            item = QListWidgetItem(text)
            image = details.thumbnails.get(index)
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            item.setData(Qt.ItemDataRole.UserRole, index)
            if keyframe["reason"] in ("cut", "fade"):
                item.setForeground(QBrush(QColor(192, 57, 43)))
            self.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        self.frameChosen.emit(int(item.data(Qt.ItemDataRole.UserRole)))


class MatchesPane(QWidget):
    """Clips that share footage with this one; open a side-by-side comparison."""

    compareRequested = Signal(object)
    HEADERS = ("Other clip", "Relation", "Score", "Offset (s)", "Speed", "Mirror", "Segments")
    TIPS = (
        "The clip that shares footage with this one",
        "How the two clips relate (duplicate, re-upload, excerpt…)",
        "Share of compared frames that matched (1 = all)",
        "Seconds to add to a time in this clip to get the same moment in the other",
        "Playback speed of the other clip relative to this one",
        "Yes when the other clip is mirrored left to right",
        "The stretches of this clip found in the other",
    )
    NAME_WIDTH = 130
    RELATION_WIDTH = 90

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _fitted_table(self, list(self.HEADERS))
        for column, tip in enumerate(self.TIPS):
            header_item = self.table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.table.itemDoubleClicked.connect(lambda _i: self._compare())
        self.compare_button = QPushButton("Compare side by side", self)
        self.compare_button.clicked.connect(self._compare)
        self.compare_button.setEnabled(False)
        self.table.itemSelectionChanged.connect(
            lambda: self.compare_button.setEnabled(bool(self.table.selectedItems()))
        )
        self._relations: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.compare_button)
        layout.addLayout(row)

    @property
    def relations(self) -> list[dict[str, Any]]:
        return list(self._relations)

    def show_details(self, details: ClipDetails | None) -> None:
        self._relations = list(details.matches) if details else []
        rows = []
        for r in self._relations:
            transform = r.get("transform") or {}
            segments = ", ".join(
                f"{format_seconds(s['a_start'])[3:]}–{format_seconds(s['a_end'])[3:]}"
                for s in r["segments"]
            )
            rows.append([
                f"#{r['clip_b']['id']} {r['clip_b']['name']}", r["relation"],
                f"{r['score']:.3f}" if r["score"] is not None else "",
                f"{r['offset']:+.3f}" if r["offset"] is not None else "",
                f"{transform.get('speed', 1.0):g}", "yes" if transform.get("mirrored") else "no",
                segments,
            ])  # fmt: skip
        _fill(self.table, rows, list(range(len(rows))))
        _fit_columns(
            self.table, len(self.HEADERS) - 1, {0: self.NAME_WIDTH, 1: self.RELATION_WIDTH}
        )
        self.compare_button.setEnabled(False)

    def _compare(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self._relations):
            self.compareRequested.emit(self._relations[row])


class AnnotationsPane(QWidget):
    """The clip's annotations: choose one to see it, edit or delete it."""

    annotationChosen = Signal(object)
    editRequested = Signal(object)
    deleteRequested = Signal(object)
    HEADERS = ("#", "Frame", "Time", "Label", "Shape (px)", "Note", "By")
    NOTE = 5
    LABEL_WIDTH = 100
    BY_WIDTH = 70

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _fitted_table(self, list(self.HEADERS))
        self.table.itemSelectionChanged.connect(self._selection)
        self.table.itemDoubleClicked.connect(lambda _i: self._emit(self.editRequested))
        self.edit_button = QPushButton("Edit…", self)
        self.delete_button = QPushButton("Delete", self)
        self.edit_button.clicked.connect(lambda: self._emit(self.editRequested))
        self.delete_button.clicked.connect(lambda: self._emit(self.deleteRequested))
        self.hint = QLabel(
            "Draw one: ▭ Annotate under the frame (A), or keys 1-4 for a rectangle, "
            "point, line or polygon.", self,
        )  # fmt: skip
        self.hint.setWordWrap(True)
        self._annotations: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(self.hint, 1)
        row.addWidget(self.edit_button)
        row.addWidget(self.delete_button)
        layout.addLayout(row)
        self._selection()

    @property
    def annotations(self) -> list[dict[str, Any]]:
        return list(self._annotations)

    def show_annotations(self, annotations: list[dict[str, Any]]) -> None:
        self._annotations = list(annotations)
        rows = [
            [a["id"], a["frame_index"],
             format_seconds(a["seconds"])[3:] if a.get("seconds") is not None else "",
             a["label"], describe_shape(shape_of(a), short=True), a["note"], a["created_by"]]
            for a in self._annotations
        ]  # fmt: skip
        self.table.blockSignals(True)
        _fill(self.table, rows)
        _fit_columns(self.table, self.NOTE, {3: self.LABEL_WIDTH, 6: self.BY_WIDTH})
        self.table.blockSignals(False)
        self._selection()

    def select(self, annotation_id: int) -> None:
        for row, a in enumerate(self._annotations):
            if a["id"] == annotation_id:
                self.table.selectRow(row)
                return

    def current(self) -> dict[str, Any] | None:
        row = self.table.currentRow()
        selected = self.table.selectedItems()
        if selected and 0 <= row < len(self._annotations):
            return self._annotations[row]
        return None

    def _selection(self) -> None:
        annotation = self.current()
        self.edit_button.setEnabled(annotation is not None)
        self.delete_button.setEnabled(annotation is not None)
        if annotation is not None:
            self.annotationChosen.emit(annotation)

    def _emit(self, signal: Any) -> None:
        annotation = self.current()
        if annotation is not None:
            signal.emit(annotation)
