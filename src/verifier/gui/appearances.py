"""Appearances (the posts where a clip was seen): the pane and its editor.

The pane lists every known post of the footage, earliest first, with the id
the notes and the CLI refer to (``#12``), and lets an analyst add, correct
and withdraw posts: the same service calls as ``verifier appearance
add/edit/delete``, each one transaction with its custody event. An edit is
sent with the version the analyst saw, so a post changed by someone else in
the meantime is never silently overwritten: the refusal is explained and the
post shown as it is now.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.finding_panes import RecordsPane, ask_to_delete, table_item
from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.ids import AppearanceId
from verifier.services.context import App
from verifier.services.edits import EditConflict
from verifier.services.provenance import (
    add_appearance,
    delete_appearance,
    edit_appearance,
    post_facts,
    provenance_for_clip,
)

#: The fields the editor shows, in order, with what a person types there.
FIELDS = (
    ("url", "Post address", "https://t.me/channel/1234"),
    ("platform", "Platform", "telegram, youtube, x… (guessed from the address when empty)"),
    ("posted_at", "Posted at", "2025-03-13T09:41:00Z, 2025-03-13T11:41:00+02:00 or 2025-03-13"),
    ("channel", "Channel or account", "who posted it"),
    ("collected_at", "Collected at", "when you saved the post, e.g. 2025-03-14T10:00:00Z"),
    ("archive_url", "Archive link", "a web-archive copy: https://web.archive.org/web/…"),
)


def posted_text(entry: dict[str, Any]) -> str:
    """The posting time as precise as it is known: a date-only post shows as a date.

    A post known only to the day is stored at midnight UTC; showing that
    midnight would claim a time nobody knows.
    """
    posted = entry.get("posted_at")
    if not posted:
        return entry.get("posted_at_text") or "unknown"
    if entry.get("posted_at_precision") in ("date", "day"):
        return str(posted)[:10]
    return str(posted).replace("T", " ").replace("+00:00", " UTC")


def collected_text(entry: dict[str, Any]) -> str:
    collected = entry.get("collected_at")
    return str(collected).replace("T", " ").replace("+00:00", " UTC") if collected else ""


class AppearanceDialog(QDialog):
    """Add or correct one post: address, platform, posting time, channel, caption.

    The dialog only collects text; the service checks it (a time without a
    UTC offset is refused with the reason) and the window shows the refusal.
    """

    def __init__(
        self, parent: QWidget | None, *, title: str, entry: dict[str, Any] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.entry = entry or {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.edits: dict[str, QLineEdit] = {}
        for key, label, hint in FIELDS:
            edit = QLineEdit(self)
            edit.setPlaceholderText(hint)
            value = self.entry.get(key)
            if key == "posted_at":
                value = self.entry.get("posted_at_text") or self.entry.get("posted_at")
            edit.setText("" if value is None else str(value))
            edit.setObjectName(key)
            self.edits[key] = edit
            form.addRow(label, edit)
        self.caption = QPlainTextEdit(self)
        self.caption.setObjectName("caption")
        self.caption.setPlaceholderText("Text of the post")
        self.caption.setPlainText(self.entry.get("caption") or "")
        self.caption.setFixedHeight(90)
        form.addRow("Caption", self.caption)
        if entry:
            # Facts the reader recorded and the analyst does not retype: shown, not edited.
            facts = [f"Appearance #{entry['id']}, version {entry.get('version')}"]
            if entry.get("source") == "manual":
                facts.append("entered by hand")
            elif entry.get("source"):
                facts.append(f"recorded from {entry['source']}")
            info = QLabel(" · ".join(facts), self)
            info.setWordWrap(True)
            info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow("", info)
        note = QLabel(
            "Saved with your name in the custody log; a correction keeps the old values there.",
            self,
        )
        note.setWordWrap(True)
        note.setObjectName("hint")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def values(self) -> dict[str, str | None]:
        """What was typed, stripped; an empty field is None."""
        out: dict[str, str | None] = {
            key: (edit.text().strip() or None) for key, edit in self.edits.items()
        }
        out["caption"] = self.caption.toPlainText().strip() or None
        return out

    def changes(self) -> dict[str, str]:
        """Only the fields that differ from the post as it was opened."""
        before = {key: self.entry.get(key) for key, *_ in FIELDS}
        before["posted_at"] = self.entry.get("posted_at_text") or self.entry.get("posted_at")
        before["caption"] = self.entry.get("caption")
        return {
            key: value or ""
            for key, value in self.values().items()
            if (value or None) != (before.get(key) or None)
        }


class ProvenancePane(RecordsPane):
    """Every known post of this footage, earliest first; the first seen marked.

    Where (channel or chat) and who (author) are separate columns; the notes
    below say how each time is known, the readers' warnings, a disagreement
    with the time the post id encodes, and the cases a post was recorded in.
    The "#" column is the id those notes and ``verifier appearance`` use.
    """

    HEADERS = ("#", "", "Posted (UTC)", "Precision", "Platform", "Where", "Who", "URL",
               "Archive", "Collected (UTC)", "Clip", "Case", "Source", "Warnings")  # fmt: skip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.app: App | None = None
        self.runner: TaskRunner | None = None
        self.clip_id: int | None = None
        self.entries: list[dict[str, Any]] = []
        table = QTableWidget(0, len(self.HEADERS), self)
        table.setHorizontalHeaderLabels(list(self.HEADERS))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        table.doubleClicked.connect(lambda _index: self.edit_selected())
        table.itemSelectionChanged.connect(self._enable)
        self.table = table
        self.notes = QLabel(self)
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.add_button = QPushButton("Add post…", self)
        self.add_button.setToolTip("Record a post where this footage appeared")
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.setToolTip("Correct the selected post (the log keeps the old values)")
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setToolTip("Withdraw the selected post (the log keeps what it said)")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes)
        self._enable()

    def connect_editing(self, app: App, runner: TaskRunner) -> None:
        """Let the pane save through the services (the window's runner shows errors)."""
        self.app, self.runner = app, runner
        self._enable()

    # ------------------------------------------------------------- showing

    def show_details(self, details: Any) -> None:
        """Show the appearances of a loaded clip (a ``ClipDetails``), or nothing."""
        self.clip_id = int(details.clip["id"]) if details is not None else None
        entries = details.provenance["appearances"] if details is not None else []
        self.show_entries(entries, empty_note=details is not None)

    def show_entries(self, entries: list[dict[str, Any]], *, empty_note: bool = True) -> None:
        self.entries = list(entries)
        rows, notes = [], []
        for entry in entries:
            facts = post_facts(entry)
            places = entry.get("recorded_in") or [{"clip": entry.get("clip"),
                                                   "case": entry.get("case") or {}}]  # fmt: skip
            clips = ", ".join(p["clip"]["name"] for p in places if p.get("clip")) or "–"
            case_names = ", ".join(dict.fromkeys(str(p["case"].get("name")) for p in places))
            rows.append([
                f"#{entry['id']}", "★ first seen" if entry.get("first_seen") else "",
                posted_text(entry), entry["posted_at_precision"], entry["platform"],
                facts.where, facts.who,
                entry["url"] or ("(media not downloaded)" if not entry["media_available"] else ""),
                entry.get("archive_url") or "", collected_text(entry), clips, case_names,
                entry["source"], "; ".join(facts.notes),
            ])  # fmt: skip
            if entry.get("first_seen_note"):
                notes.append(f"#{entry['id']}: {entry['first_seen_note']}")
            if entry.get("posted_at_method"):
                notes.append(f"#{entry['id']} posted at {facts.when}")
            notes.extend(f"#{entry['id']} warning: {note}" for note in facts.notes)
            if entry.get("forwarded_from"):
                original = entry.get("forwarded_original_at")
                notes.append(
                    f"#{entry['id']} was forwarded from {entry['forwarded_from']}"
                    + (f", originally posted {original}" if original else "")
                )
            if len(places) > 1:
                notes.append(f"#{entry['id']} is recorded in cases {case_names}")
            if entry.get("record_note"):
                notes.append(f"#{entry['id']}: {entry['record_note']}")
        self.table.setRowCount(len(rows))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                self.table.setItem(r, c, table_item(value, entries[r]["id"] if c == 0 else None))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        if empty_note and not entries:
            notes.append("No appearances recorded: import the post's sidecar or add one.")
        self.notes.setText("\n".join(notes))
        self._enable()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        wanted = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((e for e in self.entries if e["id"] == wanted), None)

    def select(self, appearance_id: int) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == appearance_id:
                self.table.selectRow(row)
                return

    def _enable(self) -> None:
        editable = self.runner is not None and self.clip_id is not None
        chosen = self.selected() is not None
        self.add_button.setEnabled(editable)
        self.edit_button.setEnabled(editable and chosen)
        self.delete_button.setEnabled(editable and chosen)

    def reload(self, selected: int | None = None) -> None:
        """Fetch this clip's appearances again (on the worker) and show them."""
        if self.app is None or self.runner is None or self.clip_id is None:
            return
        app, clip_id = self.app, self.clip_id

        def done(entries: list[dict[str, Any]]) -> None:
            if self.clip_id != clip_id:
                return
            self.show_entries(entries)
            if selected is not None:
                self.select(selected)

        self.runner.run(
            lambda ctx: provenance_for_clip(app, str(clip_id)).to_json()["appearances"],
            on_done=done,
        )

    # ------------------------------------------------------------- editing

    def add(self) -> None:
        if self.app is None or self.runner is None or self.clip_id is None:
            return
        app, runner, clip_id = self.app, self.runner, self.clip_id
        dialog = AppearanceDialog(self, title="Add a post where this footage appeared")

        def accepted() -> None:
            values = dialog.values()

            def work(ctx: TaskContext) -> dict[str, Any]:
                return add_appearance(app, str(clip_id), **values)

            runner.run(work, on_done=lambda a: self._saved(a["id"]), title=None)

        dialog.accepted.connect(accepted)
        self._open(dialog)

    def edit_selected(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.edit(entry)

    def edit(self, entry: dict[str, Any]) -> None:
        """Correct a post; only what changed is sent, with the version that was shown."""
        if self.app is None or self.runner is None:
            return
        app, runner = self.app, self.runner
        dialog = AppearanceDialog(self, title=f"Edit appearance #{entry['id']}", entry=entry)

        def accepted() -> None:
            changes = dialog.changes()
            if not changes:
                return

            def work(ctx: TaskContext) -> dict[str, Any]:
                return edit_appearance(
                    app, AppearanceId(entry["id"]), expected_version=entry.get("version"),
                    **changes,
                )  # fmt: skip

            runner.run(
                work,
                on_done=lambda a: self._saved(a["id"]),
                on_error=lambda exc: self._refused(exc, entry),
            )

        dialog.accepted.connect(accepted)
        self._open(dialog)

    def delete_selected(self) -> None:
        entry = self.selected()
        if entry is None or self.app is None or self.runner is None:
            return
        app, runner = self.app, self.runner

        def delete() -> None:
            runner.run(
                lambda ctx: delete_appearance(
                    app, AppearanceId(entry["id"]), expected_version=entry.get("version")
                ),
                on_done=lambda _r: self._saved(None),
                on_error=lambda exc: self._refused(exc, entry),
            )

        self._open(ask_to_delete(
            self, "Delete appearance",
            f"Withdraw appearance #{entry['id']} ({entry.get('url') or entry['platform']})? "
            "The custody log keeps what it said.",
            delete,
        ))  # fmt: skip

    def _refused(self, exc: BaseException, entry: dict[str, Any]) -> None:
        """Explain a refused save; on a conflict, show the post as it is now, offer to edit it."""
        if not self._stale(exc, entry["id"], "Appearance"):
            return
        assert isinstance(exc, EditConflict)
        buttons = QMessageBox.StandardButton.Cancel
        if exc.current is not None:
            buttons |= QMessageBox.StandardButton.Retry
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Appearance changed by someone else",
            f"{exc}\n\nYour changes were not saved; the list now shows the post as it is.",
            buttons, self,
        )  # fmt: skip
        if exc.current is not None:
            box.button(QMessageBox.StandardButton.Retry).setText("Edit the current version")
            box.setDefaultButton(QMessageBox.StandardButton.Retry)
        current = exc.current

        def finished(result: int) -> None:
            if result == QMessageBox.StandardButton.Retry and current is not None:
                self.edit(current)

        box.finished.connect(finished)
        self._open(box)
