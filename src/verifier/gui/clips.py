"""The case and clip browser: a sortable, searchable table of a case's clips.

At its default size the table shows what a person decides from (thumbnail,
name, duration, posts, matches, geolocation, chronolocation, flags, state);
the other columns are chosen from the header's context menu and remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSettings,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.imaging import qimage_from_rgb
from verifier.media.enhance import wellbeing_filter
from verifier.services.clips import ClipSummary

THUMB_SIZE = QSize(64, 36)
COLUMNS = (
    ("", "thumbnail"),
    ("Name", "name"),
    ("Duration", "duration"),
    ("Posts", "appearances"),
    ("Matches", "matches"),
    ("Geo", "geolocations"),
    ("Chrono", "chronolocations"),
    ("Flags", "flags"),
    ("State", "analysis_status"),
    ("Resolution", "resolution"),
    ("File size", "file_size"),
    ("Evidence", "integrity"),
    ("Thumbnails", "keyframes"),
    ("Edit points", "edit_points"),
    ("First seen", "first_seen"),
    ("Added", "added_at"),
)
#: Shown until the person chooses otherwise: the columns a decision is made from.
DECISION_COLUMNS = (
    "thumbnail", "name", "duration", "appearances", "matches", "geolocations",
    "chronolocations", "flags", "analysis_status",
)  # fmt: skip
#: Columns too useful to hide (the table would lose its meaning without them).
ALWAYS_SHOWN = frozenset({"name"})
HEADER_TIPS = {
    "appearances": "Posts: places this footage was found online (appearances)",
    "matches": "Matches: other clips that share footage with this one",
    "geolocations": "Geolocation findings not rejected, with the best confidence; "
    "proposals (a GPS tag in the file) await a person's decision",
    "chronolocations": "Time windows (when the clip was filmed) not rejected; proposals "
    "(first appearance, file metadata) await a person's decision",
    "flags": "Flags raised by the metadata and consistency checks",
    "analysis_status": "Analysis state; a problem with the stored evidence is shown first",
    "resolution": "Picture size in pixels (width × height, as displayed)",
    "file_size": "Size of the evidence file",
    "keyframes": "Shot thumbnails chosen by the analysis",
}
SETTINGS_KEY = "clipTable/visibleColumns"
FLAGS_WIDTH = 96
# The widest a fitted column grows; wider text is elided, with its tooltip.
FIT_LIMIT = 110
STATUS_COLOURS = {
    "ok": QColor(39, 174, 96),
    "partial": QColor(230, 126, 34),
    "failed": QColor(192, 57, 43),
    "pending": QColor(127, 140, 141),
}
#: Colour of an integrity problem (evidence missing or altered, thumbnail altered).
PROBLEM_COLOUR = QColor(192, 57, 43)
INTEGRITY_TIP = (
    "Quick check on every listing: the evidence file exists with its size, the "
    "thumbnail matches its SHA-256. Opening a clip re-hashes its evidence; "
    "Case ▸ Verify evidence re-hashes everything."
)


def format_bytes(size: int) -> str:
    """A file size a person reads at a glance: ``12.4 MB`` (decimal units, like file managers)."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def load_thumbnail(path: Path | None, *, blur: bool, greyscale: bool) -> QImage | None:
    """A clip's first keyframe thumbnail, veiled when the case asks for it.

    Runs on a worker thread (QImage, unlike QPixmap, may be made there).
    """
    if path is None:
        return None
    try:
        with Image.open(path) as image:
            image.thumbnail((THUMB_SIZE.width() * 2, THUMB_SIZE.height() * 2))
            rgb = np.asarray(image.convert("RGB"))
    except OSError:
        return None  # blank; the clip's integrity flag says why ("thumbnail missing")
    if blur or greyscale:
        rgb = wellbeing_filter(rgb, blur=blur, greyscale=greyscale)
    return qimage_from_rgb(rgb)


def _counted(count: int, best: str | None, proposed: int) -> str:
    """A findings cell, short enough for a laptop: ``probable``, ``2 · probable``,
    ``probable +1`` (one proposal waiting), ``1 proposed`` or ``–``."""
    if not count:
        return f"{proposed} proposed" if proposed else "–"
    shown = (best or str(count)) if count == 1 else f"{count} · {best}" if best else str(count)
    return f"{shown} +{proposed}" if proposed else shown


def _counted_tip(what: str, count: int, best: str | None, proposed: int) -> str:
    """The findings cell in full words, for its tooltip."""
    lines = [f"{count} {what} not rejected" + (f", the strongest {best}" if best else "")]
    if proposed:
        lines.append(f"{proposed} proposed from the file or its posts, awaiting a decision")
    return "\n".join(lines)


@dataclass
class ClipTableData:
    rows: list[ClipSummary]
    thumbnails: dict[int, QImage]


class ClipTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ClipSummary] = []
        self._pixmaps: dict[int, QPixmap] = {}

    def set_data(self, data: ClipTableData) -> None:
        self.beginResetModel()
        self._rows = list(data.rows)
        self._pixmaps = {cid: QPixmap.fromImage(img) for cid, img in data.thumbnails.items()}
        self.endResetModel()

    def row_for(self, clip_id: int) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.id == clip_id), None)

    def clip_at(self, row: int) -> ClipSummary:
        return self._rows[row]

    @property
    def rows(self) -> list[ClipSummary]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(COLUMNS[section][1])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        key = COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, key)
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return self._sort_key(row, key)
        if role == Qt.ItemDataRole.DecorationRole and key == "thumbnail":
            return self._pixmaps.get(row.id)
        if role == Qt.ItemDataRole.SizeHintRole and key == "thumbnail":
            return THUMB_SIZE
        if role == Qt.ItemDataRole.ForegroundRole and key in ("integrity", "analysis_status"):
            if row.integrity:
                return PROBLEM_COLOUR
            return STATUS_COLOURS.get(row.analysis_status) if key == "analysis_status" else None
        if role == Qt.ItemDataRole.ToolTipRole and key in ("integrity", "analysis_status"):
            found = "\n".join(row.integrity) or "no problem found with the stored files"
            return f"Analysis: {row.analysis_status}\n{found}\n\n{INTEGRITY_TIP}"
        if role == Qt.ItemDataRole.ToolTipRole and key == "geolocations":
            return _counted_tip(
                "geolocation finding(s)", row.geolocations, row.geo_confidence, row.geo_proposed
            )
        if role == Qt.ItemDataRole.ToolTipRole and key == "chronolocations":
            return _counted_tip("time window(s)", row.chronolocations, None, row.chrono_proposed)
        if role == Qt.ItemDataRole.ToolTipRole and key == "flags" and row.flags:
            return "\n".join(row.flags)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"#{row.id} {row.name}\nSHA-256 {row.sha256}" + (
                f"\nfirst seen {row.first_seen}" if row.first_seen else ""
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and key in (
            "appearances", "matches", "chronolocations", "keyframes", "edit_points"
        ):  # fmt: skip
            return Qt.AlignmentFlag.AlignCenter
        return None

    @staticmethod
    def _display(row: ClipSummary, key: str) -> str | None:
        if key == "thumbnail":
            return None
        if key == "duration":
            if not row.duration:
                return "still" if row.media_kind == "image" else "–"
            minutes, seconds = divmod(row.duration, 60)
            return f"{int(minutes)}:{seconds:04.1f}"
        if key == "resolution":
            return f"{row.width}×{row.height}" if row.width else "–"
        if key == "file_size":
            return format_bytes(row.size)
        if key == "geolocations":
            return _counted(row.geolocations, row.geo_confidence, row.geo_proposed)
        if key == "chronolocations":
            return _counted(row.chronolocations, None, row.chrono_proposed)
        if key == "flags":
            return ", ".join(row.flags) if row.flags else "–"
        if key == "integrity":
            return ", ".join(row.integrity) if row.integrity else "–"
        if key == "analysis_status":
            # A problem with the stored evidence outranks how the analysis went.
            return ", ".join(row.integrity) if row.integrity else row.analysis_status
        if key == "first_seen":
            return row.first_seen[:16].replace("T", " ") if row.first_seen else "–"
        if key == "added_at":
            return row.added_at.strftime("%Y-%m-%d %H:%M")
        return str(getattr(row, key))

    @staticmethod
    def _sort_key(row: ClipSummary, key: str) -> Any:
        if key == "thumbnail":
            return row.id
        if key == "resolution":
            return (row.width or 0) * (row.height or 0)
        if key == "file_size":
            return row.size
        if key == "geolocations":
            return row.geolocations
        if key in ("first_seen", "added_at"):
            value = getattr(row, key)
            return "" if value is None else str(value)
        if key == "analysis_status":
            return f"{len(row.integrity):03d} {row.analysis_status}"
        if key == "duration":
            return row.duration or 0.0
        if key == "flags":
            return len(row.flags)
        if key == "integrity":
            return len(row.integrity)
        if key == "name":
            return row.name.lower()
        value = getattr(row, key)
        return int(value) if isinstance(value, bool) else value


class ClipFilter(QSortFilterProxyModel):
    """Search by name, SHA-256 prefix, flag or analysis state."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        # Qt 6.10 deprecates invalidateFilter() for begin/endFilterChange().
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            self._needle = text.strip().lower()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # older Qt
            self._needle = text.strip().lower()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Any) -> bool:
        if not self._needle:
            return True
        model = self.sourceModel()
        assert isinstance(model, ClipTableModel)
        row = model.clip_at(source_row)
        haystack = " ".join(
            [row.name, row.analysis_status, *row.flags, *row.integrity, f"#{row.id}"]
        ).lower()
        return all(word in haystack or row.sha256.startswith(word) for word in self._needle.split())


class ClipBrowser(QWidget):
    """Case chooser, search box and clip table."""

    clipSelected = Signal(int)
    caseChosen = Signal(int)
    newCaseRequested = Signal()

    def __init__(self, parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        # Where the chosen columns are remembered (the application's settings by default).
        self.settings = settings if settings is not None else QSettings("Verifier", "Verifier")
        self.case_box = QComboBox(self)
        self.case_box.setToolTip("The case you are working on")
        self.case_box.activated.connect(self._case_activated)
        new_case = QPushButton("New case…", self)
        new_case.clicked.connect(self.newCaseRequested)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search name, SHA-256, flag, state…")
        self.search.setClearButtonEnabled(True)
        self.model = ClipTableModel(self)
        self.proxy = ClipFilter(self)
        self.proxy.setSourceModel(self.model)
        self.search.textChanged.connect(self.proxy.set_needle)
        self.table = QTableView(self)
        self.table.setObjectName("clipTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(THUMB_SIZE)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIZE.height() + 6)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        # The name takes the room left; the short columns fit their contents, the
        # flags get a fixed width (elided; every flag is in the tooltip and the
        # Metadata tab), so all decision columns stay on screen on a small laptop.
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(28)
        for column, (_title, key) in enumerate(COLUMNS):
            if key == "name":
                mode = QHeaderView.ResizeMode.Stretch
            elif key in ("thumbnail", "flags"):
                mode = QHeaderView.ResizeMode.Fixed
            else:
                mode = QHeaderView.ResizeMode.Interactive
            header.setSectionResizeMode(column, mode)
        self.table.setColumnWidth(0, THUMB_SIZE.width() + 8)
        self.table.setColumnWidth(self.column_of("flags"), FLAGS_WIDTH)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        header.setToolTip("Right-click to choose the columns")
        self._apply_visible(self._saved_visible())
        self._fit_columns()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        top = QHBoxLayout()
        top.addWidget(self.case_box, 1)
        top.addWidget(new_case)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)

    def set_cases(self, cases: list[tuple[int, str, int]], current: int | None) -> None:
        """``(id, name, clip count)`` per case."""
        self.case_box.blockSignals(True)
        self.case_box.clear()
        for case_id, name, count in cases:
            self.case_box.addItem(f"{name}  ({count} clips)", case_id)
            if case_id == current:
                self.case_box.setCurrentIndex(self.case_box.count() - 1)
        self.case_box.blockSignals(False)

    # ------------------------------------------------------------ columns

    @staticmethod
    def column_of(key: str) -> int:
        return [k for _title, k in COLUMNS].index(key)

    def visible_columns(self) -> list[str]:
        """Keys of the columns shown, in table order."""
        return [
            key for column, (_t, key) in enumerate(COLUMNS) if not self.table.isColumnHidden(column)
        ]

    def set_column_visible(self, key: str, visible: bool) -> None:
        """Show or hide one column and remember the choice."""
        if key in ALWAYS_SHOWN:
            return
        self.table.setColumnHidden(self.column_of(key), not visible)
        self.settings.setValue(SETTINGS_KEY, ",".join(self.visible_columns()))

    def _saved_visible(self) -> set[str]:
        saved = self.settings.value(SETTINGS_KEY, "")
        keys = {k for k in str(saved or "").split(",") if k}
        known = {key for _t, key in COLUMNS}
        return (keys & known) | ALWAYS_SHOWN if keys & known else set(DECISION_COLUMNS)

    def _apply_visible(self, keys: set[str]) -> None:
        for column, (_title, key) in enumerate(COLUMNS):
            self.table.setColumnHidden(column, key not in keys)

    def column_menu(self) -> QMenu:
        """The column chooser: one checkable entry per column (the name always stays)."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        shown = set(self.visible_columns())
        for title, key in COLUMNS:
            action = menu.addAction(title or "Thumbnail")
            action.setCheckable(True)
            action.setChecked(key in shown)
            action.setEnabled(key not in ALWAYS_SHOWN)
            action.setToolTip(HEADER_TIPS.get(key, ""))
            action.setData(key)
            action.toggled.connect(lambda on, k=key: self.set_column_visible(k, on))
        menu.addSeparator()
        reset = menu.addAction("Decision columns only")
        reset.triggered.connect(self._reset_columns)
        return menu

    def _reset_columns(self) -> None:
        self._apply_visible(set(DECISION_COLUMNS))
        self.settings.setValue(SETTINGS_KEY, ",".join(self.visible_columns()))

    def _column_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(pos))
        menu.deleteLater()

    def _fit_columns(self) -> None:
        """Size the short columns to their text with a small margin.

        Qt's own fit-to-contents reserves room for the sort arrow in every
        column, which on a 1366-pixel screen pushes the last decision columns
        off the right edge; the arrow only shows on the sorted column.
        """
        header = self.table.horizontalHeader()
        cell = self.table.fontMetrics()
        head = header.fontMetrics()
        for column, (title, key) in enumerate(COLUMNS):
            if key in ("thumbnail", "flags", "name"):
                continue
            texts = [self.model._display(row, key) or "" for row in self.model.rows]
            width = max(
                [head.horizontalAdvance(title) + 14]
                + [cell.horizontalAdvance(text) + 12 for text in texts]
            )
            # A long cell is elided (its tooltip has it all) rather than
            # squeezing the name, which is what a person reads first.
            self.table.setColumnWidth(column, min(width, FIT_LIMIT))

    def set_clips(self, data: ClipTableData, keep: int | None = None) -> None:
        self.model.set_data(data)
        self._fit_columns()
        if keep is not None:
            self.select_clip(keep, emit=False)

    def select_clip(self, clip_id: int, *, emit: bool = True) -> bool:
        row = self.model.row_for(clip_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 1))
        if not index.isValid():
            return False
        if not emit:
            self.table.selectionModel().blockSignals(True)
        self.table.selectRow(index.row())
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        if not emit:
            self.table.selectionModel().blockSignals(False)
        return True

    def selected_clip(self) -> int | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.clip_at(self.proxy.mapToSource(index).row()).id

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.clipSelected.emit(self.model.clip_at(self.proxy.mapToSource(current).row()).id)

    def _case_activated(self, position: int) -> None:
        case_id = self.case_box.itemData(position)
        if case_id is not None:
            self.caseChosen.emit(int(case_id))
