"""The Links tab: how the open clip relates to others, and "Save this alignment".

A typed link says the clips show the same incident, the same location, that
one continues the other, is a re-upload or an excerpt of it, contradicts it,
or that a person lined them up by eye. The pane lists the open clip's links
(type, the other clip, the direction for directional types, confidence,
status, offset, rationale) and lets a person add, confirm, reject and delete
them through :mod:`verifier.services.links`. A link with a time offset opens
the side-by-side comparison aligned by that offset (``b_time = a_time +
offset``, the matches' convention).

:class:`SaveAlignmentDialog` is what the comparison window asks before it
stores an offset found by eye as a link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from verifier.errors import VerifierError
from verifier.gui.finding_panes import RecordsPane, ask_to_delete, conflict_box, table_item
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.ids import ClipId, LinkId
from verifier.services.comparison import signed_seconds
from verifier.services.context import App
from verifier.services.links import (
    CONFIDENCES,
    DIRECTIONAL,
    LINK_TYPES,
    add_link,
    confirm_link,
    delete_link,
    list_links,
    reject_link,
)

#: The clips of the case a link can point at: (id, name) pairs.
ClipSource = Callable[[], Sequence[tuple[int, str]]]
TYPE_TEXT = {
    "same-incident": "same incident (another viewpoint)",
    "same-location": "same location",
    "continuation": "continuation (B picks up where A stops)",
    "re-upload": "re-upload",
    "excerpt": "excerpt (A is an excerpt of B)",
    "contradicts": "contradicts",
    "aligned": "aligned by eye (time offset only)",
}
STATUS_COLOURS = {"proposed": QColor(255, 236, 179), "rejected": QColor(120, 120, 120)}


def parse_offset(text: str) -> float | None:
    """The optional offset field: empty is None, else seconds (``+1.5``, ``-0.04``)."""
    value = text.strip().replace("−", "-").removesuffix("s").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise VerifierError(
            f"Offset: {text.strip()!r} is not a number of seconds (e.g. 1.25 or -0.4)"
        ) from None


def direction_text(link: dict[str, Any], clip_id: int) -> str:
    """The order of a directional link seen from the open clip; ``↔`` for symmetric ones."""
    if not link["directional"]:
        return "↔ both ways"
    a = link["clip_a"]
    if link["type"] == "continuation":
        return "this, then the other" if a["id"] == clip_id else "the other, then this"
    return "this is an excerpt of it" if a["id"] == clip_id else "it is an excerpt of this"


def link_text(link: dict[str, Any]) -> str:
    """The selected link in full, under the table: type, order, who, when, why."""
    a, b = link["clip_a"], link["clip_b"]
    arrow = "→" if link["directional"] else "↔"
    offset = link.get("offset")
    parts = [
        f"Link #{link['id']}: {TYPE_TEXT.get(link['type'], link['type'])}, "
        f"A #{a['id']} {a['name']} {arrow} B #{b['id']} {b['name']}",
        f"{link['status']} ({'found by matching' if link['origin'] == 'auto' else 'by hand'})"
        + (f", confidence {link['confidence']}" if link.get("confidence") else ""),
    ]
    if offset is not None:
        parts.append(f"B time = A time {signed_seconds(float(offset))}")
    when = str(link.get("created_at") or "").replace("T", " ")[:19]
    parts.append(f"recorded by {link.get('created_by')} at {when} UTC")
    return " · ".join(parts) + f"\nWhy: {link.get('rationale') or '–'}"


def relation_of_link(link: dict[str, Any]) -> dict[str, Any]:
    """What the comparison window takes, for a link with an offset: A and B as stored,
    B following A at ``b_time = a_time + offset`` (no matched frame pairs)."""
    return {
        "clip_a": dict(link["clip_a"]),
        "clip_b": dict(link["clip_b"]),
        "relation": f"{link['type']} (link #{link['id']})",
        "score": None,
        "segments": [],
        "transform": {"mirrored": False, "speed": 1.0},
        "offset": float(link["offset"]),
        "origin": link["origin"],
        "pairs": [],
        "link_id": link["id"],
    }


def _type_combo(parent: QWidget, default: str) -> QComboBox:
    combo = QComboBox(parent)
    for kind in LINK_TYPES:
        combo.addItem(TYPE_TEXT.get(kind, kind), kind)
    combo.setCurrentIndex(LINK_TYPES.index(default))
    return combo


class LinkDialog(QDialog):
    """A new link from the open clip to another clip of the case.

    It stays open until the save succeeds; a refusal (say, the pair already
    has a link of that type) is shown in red above the buttons.
    """

    submitted = Signal(object)

    def __init__(
        self, parent: QWidget | None, clip_id: int, clip_name: str,
        clips: Sequence[tuple[int, str]],
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(f"Link clip #{clip_id} to another clip")
        self.setMinimumWidth(560)
        self.clip_id = clip_id
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("This clip", QLabel(f"#{clip_id} {clip_name}", self))
        self.other = QComboBox(self)
        for ident, name in clips:
            if ident != clip_id:
                self.other.addItem(f"#{ident} {name}", ident)
        form.addRow("Other clip", self.other)
        self.kind = _type_combo(self, "same-incident")
        form.addRow("Type", self.kind)
        self.other_first = QCheckBox("The other clip comes first (it is A)", self)
        self.other_first.setToolTip(
            "For a continuation: A is the clip that stops, B the one that picks up. "
            "For an excerpt: A is the excerpt of B."
        )
        form.addRow("Order", self.other_first)
        self.offset = QLineEdit(self)
        self.offset.setPlaceholderText("optional: seconds, B time = A time + offset")
        form.addRow("Time offset (s)", self.offset)
        self.confidence = QComboBox(self)
        self.confidence.addItem("(not given)", None)
        for value in CONFIDENCES:
            self.confidence.addItem(value, value)
        form.addRow("Confidence", self.confidence)
        self.rationale = QPlainTextEdit(self)
        self.rationale.setPlaceholderText("Why the clips are linked (it goes in the report)")
        self.rationale.setFixedHeight(90)
        form.addRow("Rationale", self.rationale)
        self.error = QLabel(self)
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b03a2e")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(self.other.count() > 0)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        directional = self.kind.currentData() in DIRECTIONAL
        self.other_first.setEnabled(directional)
        if not directional:
            self.other_first.setChecked(False)

    def values(self) -> dict[str, Any]:
        """The link as the service takes it (raises on an unreadable offset)."""
        other = int(self.other.currentData())
        a, b = (other, self.clip_id) if self.other_first.isChecked() else (self.clip_id, other)
        return {
            "a": a, "b": b, "kind": self.kind.currentData(),
            "offset": parse_offset(self.offset.text()),
            "confidence": self.confidence.currentData(),
            "rationale": self.rationale.toPlainText().strip(),
        }  # fmt: skip

    def _submit(self) -> None:
        try:
            values = self.values()
        except VerifierError as exc:
            self.refused(str(exc))
            return
        self.error.clear()
        self.save_button.setEnabled(False)
        self.submitted.emit(values)

    def refused(self, message: str) -> None:
        self.error.setText(message)
        self.save_button.setEnabled(True)


class SaveAlignmentDialog(QDialog):
    """Asked by the comparison window: the type of link and why, for an offset found by eye."""

    def __init__(self, parent: QWidget | None, a_name: str, b_name: str, offset: float) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save this alignment as a link")
        self.setMinimumWidth(520)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Clips", QLabel(f"A: {a_name}  ↔  B: {b_name}", self))
        shown = QLabel(f"B time = A time {signed_seconds(offset)}", self)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Offset", shown)
        self.kind = _type_combo(self, "aligned")
        form.addRow("Type", self.kind)
        self.rationale = QPlainTextEdit(self)
        self.rationale.setPlaceholderText(
            "What lines them up (e.g. the same explosion at A 0:04.2 and B 0:01.0); "
            "left empty, the log says it was aligned by eye"
        )
        self.rationale.setFixedHeight(80)
        form.addRow("Rationale", self.rationale)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @property
    def link_type(self) -> str:
        return str(self.kind.currentData())

    @property
    def text(self) -> str:
        return self.rationale.toPlainText().strip()


class LinksPane(RecordsPane):
    """The open clip's typed links to other clips, with their decisions."""

    #: A comparison to open, aligned by a link's offset (a relation dict).
    compareRequested = Signal(object)
    HEADERS = ("#", "Type", "Other clip", "Direction", "Confidence", "Status", "Offset (s)",
               "Rationale")  # fmt: skip

    def __init__(
        self, app: App, runner: TaskRunner, clips: ClipSource, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.app, self.runner, self.clips = app, runner, clips
        self.clip_id: int | None = None
        self.clip_name = ""
        self.links: list[dict[str, Any]] = []
        self.summary = ""
        self.add_button = QPushButton("Add link…", self)
        self.add_button.setToolTip("Link this clip to another clip of the case")
        self.confirm_button = QPushButton("Confirm", self)
        self.confirm_button.setToolTip("Accept the selected link (e.g. one proposed by matching)")
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setToolTip(
            "Reject the selected link: it stays on record, and matching does not propose it again"
        )
        self.delete_button = QPushButton("Delete…", self)
        self.compare_button = QPushButton("Compare side by side", self)
        self.compare_button.setToolTip("Open both clips aligned by the link's time offset")
        self.add_button.clicked.connect(self.add)
        self.confirm_button.clicked.connect(lambda: self._decide(True))
        self.reject_button.clicked.connect(lambda: self._decide(False))
        self.delete_button.clicked.connect(self.delete_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.confirm_button, self.reject_button,
                       self.delete_button):  # fmt: skip
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.compare_button)
        table = QTableWidget(0, len(self.HEADERS), self)
        table.setHorizontalHeaderLabels(list(self.HEADERS))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setMinimumSectionSize(24)
        table.itemSelectionChanged.connect(self._selection)
        table.doubleClicked.connect(lambda _index: self.compare_selected())
        self.table = table
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(table, 1)
        layout.addWidget(self.note)
        self._selection()

    # ------------------------------------------------------------- showing

    def show_clip(self, clip_id: int | None, name: str = "") -> None:
        self.clip_id, self.clip_name = clip_id, name
        self.show_links([])
        self.reload()

    def reload(self, selected: int | None = None) -> None:
        if self.clip_id is None:
            return
        app, clip_id = self.app, self.clip_id

        def done(links: list[dict[str, Any]]) -> None:
            if self.clip_id == clip_id:
                self.show_links(links, selected)

        self.runner.run(lambda ctx: list_links(app, clip_ref=ClipId(clip_id)), on_done=done)

    def show_links(self, links: list[dict[str, Any]], selected: int | None = None) -> None:
        self.links = list(links)
        clip_id = self.clip_id
        self.table.blockSignals(True)
        self.table.setRowCount(len(links))
        for r, link in enumerate(links):
            other = link["clip_b"] if link["clip_a"]["id"] == clip_id else link["clip_a"]
            offset = link.get("offset")
            values = [f"#{link['id']}", link["type"], f"#{other['id']} {other['name']}",
                      direction_text(link, clip_id or 0), link.get("confidence") or "–",
                      link["status"], f"{offset:+.3f}" if offset is not None else "",
                      link.get("rationale") or ""]  # fmt: skip
            for c, value in enumerate(values):
                cell = table_item(value, link["id"] if c == 0 else None)
                colour = STATUS_COLOURS.get(link["status"])
                if link["status"] == "proposed" and colour is not None:
                    cell.setBackground(QBrush(colour))
                elif colour is not None:
                    cell.setForeground(QBrush(colour))
                self.table.setItem(r, c, cell)
        # Every column on screen, one line a link: short ones fit their text, the clip
        # name and direction are capped (elided, whole in the tooltip), the rationale
        # takes the rest; the selected link is spelt out in full under the table.
        header = self.table.horizontalHeader()
        for column in range(self.table.columnCount() - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            self.table.resizeColumnToContents(column)
        for column, cap in ((2, 140), (3, 100)):
            if self.table.columnWidth(column) > cap:
                self.table.setColumnWidth(column, cap)
        header.setSectionResizeMode(self.table.columnCount() - 1, QHeaderView.ResizeMode.Stretch)
        self.table.blockSignals(False)
        if selected is not None:
            for r, link in enumerate(links):
                if link["id"] == selected:
                    self.table.selectRow(r)
        self.summary = ""
        if clip_id is None:
            self.summary = ""
        elif not links:
            self.summary = (
                "No links yet. Add link… records that another clip shows the same incident, the "
                "same place, a continuation…, with why; Save this alignment in the comparison "
                "window stores an offset found by eye."
            )
        else:
            proposed = sum(1 for link in links if link["status"] == "proposed")
            self.summary = (
                f"{len(links)} link(s)"
                + (f", {proposed} proposed by matching: confirm or reject them" if proposed else "")
                + ". Offsets: B time = A time + offset."
            )
        self._selection()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.links):
            return None
        return self.links[rows[0].row()]

    def select(self, link_id: int) -> None:
        for row, link in enumerate(self.links):
            if link["id"] == link_id:
                self.table.selectRow(row)

    def _selection(self) -> None:
        link = self.selected()
        self.note.setText(self.summary if link is None else link_text(link))
        self.add_button.setEnabled(self.clip_id is not None)
        self.delete_button.setEnabled(link is not None)
        self.confirm_button.setEnabled(link is not None and link["status"] != "confirmed")
        self.reject_button.setEnabled(link is not None and link["status"] != "rejected")
        self.compare_button.setEnabled(link is not None and link.get("offset") is not None)

    def compare_selected(self) -> None:
        link = self.selected()
        if link is not None and link.get("offset") is not None:
            self.compareRequested.emit(relation_of_link(link))

    # ------------------------------------------------------------- editing

    def add(self) -> None:
        if self.clip_id is None:
            return
        dialog = LinkDialog(self, self.clip_id, self.clip_name, list(self.clips()))
        app = self.app

        def submitted(v: dict[str, Any]) -> None:
            def work(ctx: TaskContext) -> dict[str, Any]:
                return add_link(app, ClipId(v["a"]), ClipId(v["b"]), v["kind"], v["rationale"],
                                offset=v["offset"], confidence=v["confidence"])  # fmt: skip

            self.runner.run(
                work,
                on_done=lambda link: (dialog.accept(), self._saved(link["id"])),
                on_error=lambda exc: dialog.refused(describe_error(exc)),
            )

        dialog.submitted.connect(submitted)
        self._open(dialog)

    def _decide(self, confirm: bool) -> None:
        link = self.selected()
        if link is None:
            return
        app, ident, version = self.app, LinkId(link["id"]), link["version"]
        call = confirm_link if confirm else reject_link
        self.runner.run(
            lambda ctx: call(app, ident, expected_version=version),
            on_done=lambda new: self._saved(new["id"]),
            on_error=lambda exc: self._refused(exc, link),
        )

    def delete_selected(self) -> None:
        link = self.selected()
        if link is None:
            return
        app = self.app

        def delete() -> None:
            self.runner.run(
                lambda ctx: delete_link(app, LinkId(link["id"]),
                                        expected_version=link["version"]),
                on_done=lambda _r: self._saved(None),
                on_error=lambda exc: self._refused(exc, link),
            )  # fmt: skip

        self._open(ask_to_delete(
            self, "Delete link",
            f"Delete link #{link['id']} ({link['type']}, #{link['clip_a']['id']} – "
            f"#{link['clip_b']['id']})? The custody log keeps what it said. "
            "To record that the link is wrong, Reject it instead.",
            delete,
        ))  # fmt: skip

    def _refused(self, exc: BaseException, link: dict[str, Any]) -> None:
        if not self._stale(exc, link["id"], "Link"):
            return
        self._open(conflict_box(
            self, exc, "Link changed by someone else",
            "Nothing was saved; the pane now shows the link as it is. "
            "Look at it again before deciding.",
        ))  # fmt: skip
