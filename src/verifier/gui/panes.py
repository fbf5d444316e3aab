"""Side panes: metadata and flags, keyframes, matches, annotations.

The appearances pane lives in :mod:`verifier.gui.appearances` with its editor.

Each pane shows a :class:`ClipDetails`, loaded in one background task when a
clip is chosen, and emits what the user asked for (jump to a frame, compare
a match, edit an annotation); the main window runs the work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QImage, QPixmap
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
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.clips import load_thumbnail
from verifier.gui.dialogs import describe_shape, shape_of
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


def _item(text: Any, data: Any = None) -> QTableWidgetItem:
    cell = QTableWidgetItem("" if text is None else str(text))
    cell.setToolTip(cell.text())
    if data is not None:
        cell.setData(Qt.ItemDataRole.UserRole, data)
    return cell


def _fill(table: QTableWidget, rows: list[list[Any]], data: list[Any] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, _item(value, data[r] if data and c == 0 else None))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)


class MetadataPane(QTreeWidget):
    """Technical metadata, grouped, with the flags first."""

    SECTIONS = (
        ("Video", ("video_codec", "video_profile", "pix_fmt", "coded_width", "coded_height",
                   "display_width", "display_height", "rotation", "mirrored",
                   "sample_aspect_ratio", "display_aspect_ratio", "frame_rate",
                   "variable_frame_rate", "frame_count", "frame_count_header", "duration",
                   "video_bit_rate", "time_base", "start_time", "video_encoder")),
        ("Audio", ("has_audio", "audio_codec", "audio_channels", "audio_sample_rate",
                   "audio_bit_rate")),
        ("Container", ("container_format", "container_long_name", "size_bytes",
                       "overall_bit_rate", "major_brand", "image_format")),
        ("Capture and software", ("creation_time", "creation_time_raw", "creation_time_source",
                                  "creation_time_is_local", "encoder", "handler_name",
                                  "device_make", "device_model", "gps", "gps_raw")),
    )  # fmt: skip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Field", "Value"])
        self.setColumnWidth(0, 190)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)

    def show_details(self, details: ClipDetails | None) -> None:
        self.clear()
        if details is None:
            return
        clip = details.clip
        bold = QFont()
        bold.setBold(True)

        def section(title: str) -> QTreeWidgetItem:
            item = QTreeWidgetItem(self, [title])
            item.setFont(0, bold)
            item.setFirstColumnSpanned(True)
            item.setExpanded(True)
            return item

        flags = section(f"Flags ({len(clip['flags'])})")
        for flag in clip["flags"]:
            row = QTreeWidgetItem(flags, [flag["code"], flag["message"]])
            row.setToolTip(1, flag["message"])
            colour = SEVERITY_COLOURS.get(flag.get("severity", ""))
            if colour is not None:
                row.setForeground(0, QBrush(colour))
        file = section("File")
        for key, value in (
            ("SHA-256", clip["sha256"]), ("size", f"{clip['size']:,} bytes"),
            ("original name", clip["file"]["original_name"]),
            ("original path", clip["file"]["original_path"]),
            ("imported", f"{clip['file']['imported_at']} by {clip['file']['imported_by']}"),
            ("stored as", clip["file"]["stored_path"]),
        ):  # fmt: skip
            row = QTreeWidgetItem(file, [key, str(value)])
            row.setToolTip(1, str(value))
        analysis = clip["analysis"]
        node = section(f"Analysis: {analysis['status']}")
        for key in ("error", "analysed_at", "version"):
            if analysis.get(key):
                QTreeWidgetItem(node, [key, str(analysis[key])])
        for warning in analysis.get("warnings") or []:
            row = QTreeWidgetItem(node, ["warning", str(warning)])
            row.setToolTip(1, str(warning))
        metadata = clip.get("metadata") or {}
        for title, keys in self.SECTIONS:
            present = [(k, metadata.get(k)) for k in keys if metadata.get(k) not in (None, "")]
            if not present:
                continue
            node = section(title)
            for key, value in present:
                if isinstance(value, dict | list):
                    text = json.dumps(value)
                elif isinstance(value, float):
                    text = f"{value:.6g}"
                else:
                    text = str(value)
                QTreeWidgetItem(node, [key, text]).setToolTip(1, text)
        tags = metadata.get("tags") or {}
        if tags:
            node = section(f"All tags ({len(tags)})")
            node.setExpanded(False)
            for key, value in sorted(tags.items()):
                QTreeWidgetItem(node, [str(key), str(value)]).setToolTip(1, str(value))


class KeyframeStrip(QListWidget):
    """Keyframe thumbnails in time order; activating one jumps there."""

    frameChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(160, 90))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSpacing(4)
        self.setUniformItemSizes(True)
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
    HEADERS = ("Other clip", "Relation", "Score", "Offset (s)", "Speed", "Mirrored", "Segments")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _table(self, list(self.HEADERS))
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
                f"{transform.get('speed', 1.0):g}", "yes" if transform.get("mirrored") else "",
                segments,
            ])  # fmt: skip
        _fill(self.table, rows, list(range(len(rows))))
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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = _table(self, list(self.HEADERS))
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
             format_seconds(a["seconds"]) if a.get("seconds") is not None else "",
             a["label"], describe_shape(shape_of(a), short=True),
             a["note"], a["created_by"]]
            for a in self._annotations
        ]  # fmt: skip
        self.table.blockSignals(True)
        _fill(self.table, rows)
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
