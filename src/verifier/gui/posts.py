"""The posts of a case: every place footage was posted, including posts not downloaded.

A post whose media was not downloaded belongs to no clip, so no clip's
Appearances pane shows it; this dialog lists every post recorded in the case
(or only the ones still to fetch) with its clip, time, where, who and the
readers' warnings. It asks the provenance service, on a worker thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.ids import CaseId
from verifier.services import cases as case_service
from verifier.services.context import App
from verifier.services.provenance import list_posts, post_facts

NOT_DOWNLOADED = "media not downloaded"
MAX_COLUMN = 340  # pixels: every fact stays in view without scrolling sideways


def post_row(post: dict[str, Any]) -> list[str]:
    """The cells of one post, in the order of :attr:`PostsDialog.HEADERS`."""
    facts = post_facts(post)
    clip = post.get("clip")
    return [
        f"#{post['id']}",
        facts.when,
        post["platform"],
        facts.where,
        facts.who,
        f"#{clip['id']} {clip['name']}" if clip else NOT_DOWNLOADED,
        "; ".join(facts.notes),
        post.get("url") or "",
    ]


class PostsDialog(QDialog):
    """Every post recorded in one case, earliest first; optionally only those to fetch."""

    HEADERS = ("Post", "Posted (UTC)", "Platform", "Where", "Who", "Clip", "Warnings", "Address")

    def __init__(self, parent: QWidget | None, app: App, runner: TaskRunner, case_id: int) -> None:
        super().__init__(parent)
        self.app = app
        self.runner = runner
        self.case_id = case_id
        self.posts: list[dict[str, Any]] = []
        self.loaded = False
        self._request = 0
        self.setWindowTitle("Posts of the case")
        self.only_unavailable = QCheckBox("Only posts whose media was not downloaded", self)
        self.only_unavailable.toggled.connect(lambda _checked: self.reload())
        self.summary = QLabel("Loading…", self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(self.HEADERS), self)
        self.table.setHorizontalHeaderLabels(list(self.HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.only_unavailable)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(1400, 420)
        self.reload()

    def reload(self) -> None:
        """List the posts again (in the background), as the checkbox asks."""
        unavailable = self.only_unavailable.isChecked()
        case_id = CaseId(self.case_id)
        self.loaded = False
        self._request += 1
        request = self._request

        def work(ctx: TaskContext) -> list[dict[str, Any]]:
            case = case_service.get_case(self.app, case_id)
            return list_posts(self.app, case, unavailable=unavailable)

        def done(posts: list[dict[str, Any]]) -> None:
            if request == self._request:  # an answer to an older choice is stale
                self.show_posts(posts, unavailable)

        self.runner.run(work, on_done=done)

    def show_posts(self, posts: list[dict[str, Any]], unavailable: bool) -> None:
        """Fill the table: one row per post, warnings in the last column."""
        self.posts = posts
        rows = [post_row(post) for post in posts]
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.table.setItem(r, c, cell)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):  # long warnings: the tooltip has all
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN))
        self.table.horizontalHeader().setStretchLastSection(True)
        missing = sum(1 for post in posts if post.get("clip") is None)
        if unavailable:
            text = f"{len(posts)} post(s) whose media was not downloaded: still to fetch."
        else:
            text = f"{len(posts)} post(s), earliest first; {missing} without downloaded media."
        self.summary.setText(text if posts else "No posts recorded.")
        self.loaded = True
