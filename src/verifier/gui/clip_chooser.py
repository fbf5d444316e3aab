"""Choose the second clip of a comparison: "Compare with…" lists the case's other clips.

Any two clips can be compared, matched or not; the list says which ones the
matcher related to the open clip, so a person sees at once whether the
window will open aligned (linked) or for aligning by eye (unlinked).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.services.clips import ClipSummary
from verifier.services.viewing import format_seconds


def describe_choice(row: ClipSummary, related: bool) -> str:
    """One line per clip: name, id, kind and length, and whether it is related to A."""
    if row.media_kind == "video" and row.duration is not None:
        kind = f"video {format_seconds(row.duration)}"
    else:
        kind = row.media_kind
    size = f" · {row.width}×{row.height}" if row.width and row.height else ""
    relation = " · matched with A" if related else ""
    return f"{row.name}  (#{row.id} · {kind}{size}{relation})"


class ClipChooserDialog(QDialog):
    """Pick clip B for a comparison with clip A among ``rows`` (A itself is left out).

    ``chosen`` is the picked clip's id once accepted; ``related`` are the ids
    the matcher related to A (they are listed first).
    """

    def __init__(
        self,
        parent: QWidget | None,
        a_name: str,
        a_id: int,
        rows: Sequence[ClipSummary],
        related: Sequence[int] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare with…")
        self.chosen: int | None = None
        linked = set(related)
        intro = QLabel(
            f"Compare A: <b>{_escape(a_name)}</b> (#{a_id}) side by side with B. Matched clips "
            "open aligned by the stored time map; any other clip opens unlinked, to be "
            "aligned by eye.",
            self,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter by name or id")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget(self)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        others = sorted(
            (r for r in rows if r.id != a_id), key=lambda r: (r.id not in linked, r.name.lower())
        )
        for row in others:
            item = QListWidgetItem(describe_choice(row, row.id in linked))
            item.setData(Qt.ItemDataRole.UserRole, int(row.id))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.resize(560, 420)

    def select(self, clip_id: int) -> bool:
        """Make ``clip_id`` the current choice (False when it is not listed)."""
        for position in range(self.list.count()):
            if self.list.item(position).data(Qt.ItemDataRole.UserRole) == clip_id:
                self.list.setCurrentRow(position)
                return True
        return False

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for position in range(self.list.count()):
            item = self.list.item(position)
            haystack = item.text().lower()
            item.setHidden(not all(word in haystack for word in words))

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return  # nothing chosen: the dialog stays open
        self.chosen = int(item.data(Qt.ItemDataRole.UserRole))
        super().accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
