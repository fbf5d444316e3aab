"""The custody log in the window: who did what to the evidence, and when.

What ``verifier log`` prints, as a table a person can filter: by clip (asked
of the service, on a worker thread, so deleted annotations and posts of the
clip still show), by action and by any text. Newest first by default; every
column sorts. The selected event is shown in full below the table, wrapped
and selectable, with the old and new values of an edit side by side, so a
reviewer can read and copy exactly what the log says.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.services import cases as case_service
from verifier.services.clips import list_clips
from verifier.services.context import App
from verifier.services.custody_view import custody_events

ALL_CLIPS = "All clips of the case"
ALL_ACTIONS = "All actions"
#: Details shown in the table's summary column, most telling first.
SUMMARY_KEYS = ("source_name", "name", "label", "url", "status", "reason", "out_dir", "ok")


def details_summary(event: dict[str, Any]) -> str:
    """One line of the event's details for the table (the pane below has everything)."""
    details = event.get("details") or {}
    parts = [f"{key}: {details[key]}" for key in SUMMARY_KEYS if details.get(key) not in (None, "")]
    for key in ("annotation", "deleted"):  # an annotation or post recorded or withdrawn
        item = details.get(key)
        if isinstance(item, dict):
            what = item.get("label") or item.get("url") or item.get("platform")
            where = f" on frame {item['frame_index']}" if "frame_index" in item else ""
            parts.append(f"{what}{where}" if what else "")
    if isinstance(details.get("matches"), list):
        found = details["matches"]
        clips = ", ".join(f"#{m['clip']}" for m in found if isinstance(m, dict) and "clip" in m)
        parts.append(f"{len(found)} match(es)" + (f" with {clips}" if clips else ""))
    if "files" in details and isinstance(details["files"], list):
        parts.append(f"{len(details['files'])} file(s)")
    if "before" in details and "after" in details:
        changed = changed_fields(details["before"], details["after"])
        parts.append("changed " + ", ".join(changed) if changed else "no field changed")
    return "; ".join(p for p in parts if p)


def changed_fields(before: Any, after: Any) -> list[str]:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    ignored = {"version", "updated_at"}
    return [k for k in after if k not in ignored and before.get(k) != after.get(k)]


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def event_text(event: dict[str, Any]) -> str:
    """An event in full, as a person reads it: header, old → new values, then every detail."""
    target = f"{event['target_type']} {event['target_id'] or ''}".strip()
    lines = [
        f"Event #{event['seq']}: {event['action']} on {target}",
        f"When (UTC): {event['occurred_at']}",
        f"Who: {event['actor']}",
        f"Tool: {event.get('tool') or ''} {event.get('tool_version') or ''}".rstrip(),
        f"Hash: {event['hash']}",
        f"Previous hash: {event.get('prev_hash') or '(first event)'}",
    ]
    details = dict(event.get("details") or {})
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        changed = changed_fields(before, after)
        lines.append("")
        lines.append("Changed (old → new):" if changed else "No field value changed.")
        for key in changed:
            lines.append(f"  {key}:")
            lines.append(f"    old: {_value(before.get(key))}")
            lines.append(f"    new: {_value(after.get(key))}")
    lines.append("")
    lines.append("Details:")
    lines.append(json.dumps(details, indent=2, ensure_ascii=False, default=str))
    return "\n".join(lines)


VISIBLE_ROLE = Qt.ItemDataRole.UserRole + 2


class _ShownRows(QSortFilterProxyModel):
    """Sorts by each cell's key; shows the rows the dialog's filters marked visible."""

    def begin_change(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateFilter is deprecated there
            self.beginFilterChange()

    def end_change(self) -> None:
        if hasattr(self, "endFilterChange"):
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Any) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        return index.data(VISIBLE_ROLE) is not False


class CustodyLogDialog(QDialog):
    """The custody events of one case, filterable by clip, action and text."""

    HEADERS = ("#", "Time (UTC)", "Actor", "Action", "Target", "Details")

    def __init__(
        self,
        parent: QWidget | None,
        app: App,
        runner: TaskRunner,
        case_id: int,
        clip_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.app, self.runner, self.case_id = app, runner, case_id
        self.events: list[dict[str, Any]] = []
        self.loaded = False
        self._request = 0
        self.setWindowTitle("Custody log")
        self.clip_choice = QComboBox(self)
        self.clip_choice.addItem(ALL_CLIPS, None)
        self.clip_choice.setMinimumContentsLength(28)
        self.clip_choice.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.action_choice = QComboBox(self)
        self.action_choice.addItem(ALL_ACTIONS, None)
        self.text_filter = QLineEdit(self)
        self.text_filter.setPlaceholderText("Filter: any text (actor, target, details)")
        self.text_filter.setClearButtonEnabled(True)
        self.summary = QLabel("Loading…", self)
        self.summary.setWordWrap(True)

        self.model = QStandardItemModel(0, len(self.HEADERS), self)
        self.model.setHorizontalHeaderLabels(list(self.HEADERS))
        self.proxy = _ShownRows(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)  # still selectable and copyable
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.details.setPlaceholderText("Select an event to read it in full.")

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Clip:", self))
        filters.addWidget(self.clip_choice, 2)
        filters.addWidget(QLabel("Action:", self))
        filters.addWidget(self.action_choice, 1)
        filters.addWidget(self.text_filter, 2)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(1100, 640)

        self.clip_choice.currentIndexChanged.connect(lambda _i: self.reload())
        self.action_choice.currentIndexChanged.connect(lambda _i: self._apply_filters())
        self.text_filter.textChanged.connect(lambda _t: self._apply_filters())
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._show_selected())
        self._load_clips(clip_id)

    # -------------------------------------------------------------- loading

    def _load_clips(self, clip_id: int | None) -> None:
        def done(rows: list[Any]) -> None:
            self.clip_choice.blockSignals(True)
            for row in rows:
                self.clip_choice.addItem(f"#{row.id} {row.name}", row.id)
            if clip_id is not None:
                found = self.clip_choice.findData(clip_id)
                self.clip_choice.setCurrentIndex(max(found, 0))
            self.clip_choice.blockSignals(False)
            self.reload()

        self.runner.run(lambda ctx: list_clips(self.app, self.case_id), on_done=done)

    def choose_clip(self, clip_id: int | None) -> None:
        """Show the events of one clip (None: the whole case)."""
        self.clip_choice.setCurrentIndex(max(self.clip_choice.findData(clip_id), 0))

    def reload(self) -> None:
        """Ask the service for the events of the chosen clip (or the case), in the background."""
        clip_id = self.clip_choice.currentData()
        case_id = self.case_id
        self.loaded = False
        self._request += 1
        request = self._request

        def work(ctx: TaskContext) -> list[dict[str, Any]]:
            case = case_service.get_case(self.app, case_id)
            return custody_events(self.app, case, clip_id)

        def done(events: list[dict[str, Any]]) -> None:
            if request == self._request:  # an answer to an older choice is stale
                self.show_events(events)

        self.runner.run(work, on_done=done)

    def show_events(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.model.removeRows(0, self.model.rowCount())
        for event in events:
            target = f"{event['target_type']} {event['target_id'] or ''}".strip()
            cells = [
                (str(event["seq"]), event["seq"]),
                (event["occurred_at"][:23].replace("T", " "), event["occurred_at"]),
                (event["actor"], event["actor"]),
                (event["action"], event["action"]),
                (target, target),
                (details_summary(event), details_summary(event)),
            ]
            items = []
            for text, key in cells:
                item = QStandardItem(text)
                item.setData(key, Qt.ItemDataRole.UserRole)
                item.setToolTip(text)
                items.append(item)
            items[0].setData(event["seq"], Qt.ItemDataRole.UserRole + 1)
            self.model.appendRow(items)
        current = self.action_choice.currentData()
        self.action_choice.blockSignals(True)
        self.action_choice.clear()
        self.action_choice.addItem(ALL_ACTIONS, None)
        for action in sorted({e["action"] for e in events}):
            self.action_choice.addItem(action, action)
        self.action_choice.setCurrentIndex(max(self.action_choice.findData(current), 0))
        self.action_choice.blockSignals(False)
        self.proxy.sort(self.proxy.sortColumn(), self.proxy.sortOrder())
        self.table.resizeColumnsToContents()
        for column in range(len(self.HEADERS) - 1):  # long values: the pane below has them
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 260))
        self.table.horizontalHeader().setStretchLastSection(True)
        self._apply_filters()
        self.loaded = True

    # ------------------------------------------------------------ filtering

    def _apply_filters(self) -> None:
        action = self.action_choice.currentData()
        text = self.text_filter.text().strip()
        self.proxy.begin_change()
        for row in range(self.model.rowCount()):
            event = self._event_at(row)
            visible = action is None or event["action"] == action
            if visible and text:
                haystack = " ".join(
                    [event["actor"], event["action"], str(event["target_id"] or ""),
                     json.dumps(event.get("details"), ensure_ascii=False, default=str)]
                ).lower()  # fmt: skip
                visible = text.lower() in haystack
            self.model.item(row, 0).setData(visible, VISIBLE_ROLE)
        self.proxy.end_change()
        shown = self.proxy.rowCount()
        scope = self.clip_choice.currentText()
        self.summary.setText(
            f"{shown} of {len(self.events)} event(s) — {scope}. Newest first; click a column "
            "heading to sort. The selected event is shown in full below (select text to copy)."
        )
        self._show_selected()

    def _event_at(self, row: int) -> dict[str, Any]:
        seq = self.model.item(row, 0).data(Qt.ItemDataRole.UserRole + 1)
        return next(e for e in self.events if e["seq"] == seq)

    def visible_events(self) -> list[dict[str, Any]]:
        """The events shown, in the table's order."""
        return [
            self._event_at(self.proxy.mapToSource(self.proxy.index(r, 0)).row())
            for r in range(self.proxy.rowCount())
        ]

    def select_seq(self, seq: int) -> None:
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) == seq:
                self.table.selectRow(r)
                return

    def _show_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.details.setPlainText("")
            return
        source = self.proxy.mapToSource(rows[0])
        self.details.setPlainText(event_text(self._event_at(source.row())))
