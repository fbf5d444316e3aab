"""The consistency-checks panel: what contradicts what in the case, and why.

What ``verifier check`` prints, grouped by severity and then by rule: each
problem's sentence with the numbers, the clips it concerns (a click opens
the first one in the main window; the buttons below open any of them), and
an Acknowledge button that asks for a reason. Acknowledged problems are
hidden unless "Show acknowledged" is ticked; a problem acknowledged for
other facts says so. The checks run on a worker thread (they read the whole
case and stat every evidence file).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.services import cases as case_service
from verifier.services import checks as check_service
from verifier.services.context import App

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1
SEVERITY_TITLES = {
    "error": "Errors: recorded facts that cannot all be true",
    "warning": "Warnings: probably a mistake",
    "info": "To do: work left unreviewed",
}
SEVERITY_COLOURS = {"error": "#b3261e", "warning": "#8a5a00", "info": "#35578a"}


def problem_text(doc: dict[str, Any]) -> str:
    """A problem in full for the pane below the list: why, what, and any acknowledgement."""
    clips = ", ".join(f"#{c['id']} {c['name']}" for c in doc["clips"])
    lines = [doc["message"], "", f"Rule: {doc['title']} ({doc['severity']})", f"Clips: {clips}",
             f"Items: {', '.join(doc['items'])}", f"Key: {doc['key']}"]  # fmt: skip
    if doc["acknowledged"]:
        ack = doc["acknowledged"]
        when = ack["at"][:16].replace("T", " ")
        lines += ["", f"Acknowledged by {ack['by']} ({when} UTC): {ack['reason']}"]
    elif doc["acknowledged_before"]:
        ack = doc["acknowledged_before"]
        changed = ", ".join(ack["changed"]) or "the facts"
        lines += [
            "",
            f"Acknowledged before by {ack['by']} ({ack['reason']}), but since then these "
            f"changed: {changed}. Acknowledge again if it is still acceptable.",
        ]
    return "\n".join(lines)


class ChecksDialog(QDialog):
    """The consistency problems of one case, with acknowledgement."""

    clipRequested = Signal(int)

    def __init__(self, parent: QWidget | None, app: App, runner: TaskRunner, case_id: int) -> None:
        super().__init__(parent)
        self.app, self.runner, self.case_id = app, runner, case_id
        self.report: dict[str, Any] = {"problems": [], "open": 0, "acknowledged": 0}
        self.loaded = False
        self._request = 0
        self.setWindowTitle("Consistency checks")
        self.summary = QLabel("Checking…", self)
        self.summary.setWordWrap(True)
        self.show_acknowledged = QCheckBox("Show acknowledged", self)
        self.recheck = QPushButton("Check again", self)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Problem", "Clips"])
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a problem to read it in full.")
        self.clip_buttons = QHBoxLayout()
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("Why this is acceptable (recorded in the custody log)")
        self.acknowledge_button = QPushButton("Acknowledge", self)
        self.withdraw_button = QPushButton("Withdraw acknowledgement", self)
        for button in (self.acknowledge_button, self.withdraw_button):
            button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.show_acknowledged)
        top.addWidget(self.recheck)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.details, 1)
        lower_layout.addLayout(self.clip_buttons)
        ack_row = QHBoxLayout()
        ack_row.addWidget(QLabel("Reason:", self))
        ack_row.addWidget(self.reason, 1)
        ack_row.addWidget(self.acknowledge_button)
        ack_row.addWidget(self.withdraw_button)
        lower_layout.addLayout(ack_row)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.tree)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.resize(1000, 620)

        self.show_acknowledged.toggled.connect(lambda _on: self.show_report(self.report))
        self.recheck.clicked.connect(self.reload)
        self.tree.itemSelectionChanged.connect(self._show_selected)
        self.tree.itemClicked.connect(self._clicked)
        self.reason.textChanged.connect(lambda _t: self._update_buttons())
        self.acknowledge_button.clicked.connect(self.acknowledge)
        self.withdraw_button.clicked.connect(self.withdraw)
        self.reload()

    # ------------------------------------------------------------- loading

    def reload(self) -> None:
        """Run every check on the case, on a worker thread."""
        self.loaded = False
        self._request += 1
        request, case_id = self._request, self.case_id
        self.summary.setText("Checking…")

        def work(ctx: TaskContext) -> dict[str, Any]:
            case = case_service.get_case(self.app, case_id)
            report = check_service.run_checks(self.app, case)
            return report.to_json(include_acknowledged=True)

        def done(report: dict[str, Any]) -> None:
            if request == self._request:
                self.show_report(report)

        self.runner.run(work, on_done=done, lane="checks", latest_only=True)

    def show_report(self, report: dict[str, Any]) -> None:
        """Fill the tree: severity, then rule, then each problem."""
        selected = self.selected_problem()
        keep = selected["key"] if selected else None
        self.report = report
        shown = [p for p in report["problems"]
                 if self.show_acknowledged.isChecked() or not p["acknowledged"]]  # fmt: skip
        self.tree.clear()
        again = None
        for severity in check_service.SEVERITIES:
            of_severity = [p for p in shown if p["severity"] == severity]
            if not of_severity:
                continue
            top = QTreeWidgetItem([f"{SEVERITY_TITLES[severity]} ({len(of_severity)})", ""])
            top.setForeground(0, QBrush(QColor(SEVERITY_COLOURS[severity])))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            top.setFlags(top.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(top)
            for rule, title in check_service.RULES.items():
                of_rule = [p for p in of_severity if p["rule"] == rule]
                if not of_rule:
                    continue
                group = QTreeWidgetItem([f"{title} ({len(of_rule)})", ""])
                group.setFlags(group.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                top.addChild(group)
                for doc in of_rule:
                    mark = "[acknowledged] " if doc["acknowledged"] else ""
                    if doc["acknowledged_before"]:
                        mark = "[changed since acknowledged] "
                    clips = ", ".join(f"#{c['id']}" for c in doc["clips"])
                    item = QTreeWidgetItem([mark + doc["message"], clips])
                    item.setData(0, PROBLEM_ROLE, doc)
                    item.setToolTip(0, doc["message"])
                    if doc["acknowledged"]:
                        item.setForeground(0, QBrush(QColor("#6b6b6b")))
                    group.addChild(item)
                    if doc["key"] == keep:
                        again = item
        self.tree.expandAll()
        hidden = report["acknowledged"] if not self.show_acknowledged.isChecked() else 0
        text = f"{report['open']} open problem(s), {report['acknowledged']} acknowledged"
        if hidden:
            text += " (hidden: tick Show acknowledged)"
        if not report["open"]:
            text = "No open problem. " + text
        self.summary.setText(text + ". Evidence files are checked for presence and size; "
                             "Verify evidence re-hashes them.")  # fmt: skip
        if again is not None:
            self.tree.setCurrentItem(again)
        else:
            self._show_selected()
        self.loaded = True

    # ----------------------------------------------------------- selection

    def problem_items(self) -> list[QTreeWidgetItem]:
        """Every problem row shown, in order."""
        out = []
        for n in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(n)
            for g in range(top.childCount()):
                group = top.child(g)
                out += [group.child(i) for i in range(group.childCount())]
        return out

    def selected_problem(self) -> dict[str, Any] | None:
        item = self.tree.currentItem()
        return item.data(0, PROBLEM_ROLE) if item is not None else None

    def _show_selected(self) -> None:
        doc = self.selected_problem()
        while self.clip_buttons.count():
            widget = self.clip_buttons.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.details.setPlainText(problem_text(doc) if doc else "")
        if doc:
            for clip in doc["clips"]:
                button = QPushButton(f"Open clip #{clip['id']} {clip['name']}", self)
                button.clicked.connect(lambda _c=False, i=clip["id"]: self.clipRequested.emit(i))
                self.clip_buttons.addWidget(button)
            self.clip_buttons.addStretch(1)
        self._update_buttons()

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        doc = item.data(0, PROBLEM_ROLE)
        if doc and doc["clips"]:
            self.clipRequested.emit(int(doc["clips"][0]["id"]))

    def _update_buttons(self) -> None:
        doc = self.selected_problem()
        self.acknowledge_button.setEnabled(
            bool(doc) and not (doc or {}).get("acknowledged") and bool(self.reason.text().strip())
        )
        self.withdraw_button.setEnabled(bool(doc) and bool((doc or {}).get("acknowledged")))

    # ------------------------------------------------------ acknowledgements

    def acknowledge(self) -> None:
        """Acknowledge the selected problem with the reason typed (kept if it fails)."""
        doc, reason = self.selected_problem(), self.reason.text().strip()
        if not doc or not reason:
            return
        case_id, key = self.case_id, doc["key"]

        def work(ctx: TaskContext) -> None:
            case = case_service.get_case(self.app, case_id)
            check_service.acknowledge(self.app, key, reason, case=case)

        def done(_result: None) -> None:
            self.reason.clear()
            self.reload()

        self.runner.run(work, on_done=done)

    def withdraw(self) -> None:
        """Withdraw the selected problem's acknowledgement."""
        doc = self.selected_problem()
        if not doc or not doc.get("acknowledged"):
            return
        case_id, key = self.case_id, doc["key"]

        def work(ctx: TaskContext) -> None:
            case = case_service.get_case(self.app, case_id)
            check_service.unacknowledge(self.app, key, case=case)

        self.runner.run(work, on_done=lambda _r: self.reload())
