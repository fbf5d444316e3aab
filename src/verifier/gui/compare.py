"""Two matched clips side by side, aligned by the stored time map.

A relation from :func:`verifier.services.matching.list_matches` (seen from
clip A, with ``explain=True`` for its frame pairs) maps A's clip time to B's:
``b_time = speed * a_time + offset``. The window shows A on the left and B on
the right; while *Linked* is on, every frame A is asked for moves B to the
frame nearest the mapped time on B's own timeline, as soon as A is asked (B
does not wait for A's frame to decode); when that frame does not start exactly
at A's moment, the readout says by how much. Unlinked, B steps on its own; linking again snaps
B back to the stored alignment.

The table lists the matched frame pairs the matcher used; choosing one puts
A and B exactly on that pair's frames, bypassing the time map until A is
moved again, so a person can check each pair the relation rests on.

"Show B unmirrored" flips only what is displayed of B (a mirrored re-upload
then lines up with A); the decoded pixels (``viewer_b.shown.raw``), exports
and the evidence are untouched.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.gui.viewer import FrameViewer
from verifier.services.cases import case_settings
from verifier.services.comparison import (
    TimeMap,
    describe_gap,
    describe_offset,
    describe_relation,
    is_outside,
    pair_indexes,
    short_number,
    signed_seconds,
    signed_time,
    sorted_pairs,
    start_index,
)
from verifier.services.context import App
from verifier.services.viewing import ClipView, format_seconds, load_clip_view

#: Keys that move a viewer (as bound by FrameViewer); B's are off while linked.
TRANSPORT_KEYS = frozenset(
    QKeySequence(k).toString()
    for k in (
        Qt.Key.Key_Right, Qt.Key.Key_Left, "Shift+Right", "Shift+Left", Qt.Key.Key_PageDown,
        Qt.Key.Key_PageUp, Qt.Key.Key_Home, Qt.Key.Key_End, Qt.Key.Key_Space,
    )
)  # fmt: skip
PAIR_COLUMNS = ("A time", "A frame", "B time", "B frame", "PDQ distance", "pHash distance")


class ComparisonWindow(QWidget):
    """A and B side by side, B following A through the relation's time map.

    Attributes for callers and tests: ``viewer_a``, ``viewer_b``
    (:class:`FrameViewer`), ``pairs_table`` (rows sorted by A time),
    ``linked`` and ``unmirror`` (:class:`QCheckBox`), ``readout``
    (:class:`QLabel`), ``outside_label`` (says when A's moment is outside B).
    """

    def __init__(
        self, app: App, runner: TaskRunner, relation: dict[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.app = app
        self.runner = runner
        self.relation = relation
        self.time_map = TimeMap.of(relation)
        self.speed = self.time_map.speed
        self.offset = self.time_map.offset
        self.mirrored = self.time_map.mirrored
        self.clip_a: dict[str, Any] = relation["clip_a"]
        self.clip_b: dict[str, Any] = relation["clip_b"]
        self.pairs: list[dict[str, Any]] = sorted_pairs(relation)
        self.view_a: ClipView | None = None
        self.view_b: ClipView | None = None
        self._pinned: tuple[int, int, int] | None = None  # (a index, b index, pair row)
        self._driving_b = False
        self._closed = False

        self.setWindowTitle(
            f"Compare — A: {self.clip_a.get('name')}  ↔  B: {self.clip_b.get('name')}"
        )
        self.viewer_a = FrameViewer(app, runner, self, compact=True)
        self.viewer_b = FrameViewer(app, runner, self, compact=True)
        for viewer in (self.viewer_a, self.viewer_b):
            self._hide_annotate(viewer)
            viewer.canvas.placeholder = "Opening…"

        self.summary = QLabel(self._summary_text(), self)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setObjectName("relationSummary")

        self.header_a = self._header_label()
        self.header_b = self._header_label()
        self.status_a = QLabel("drives B while linked", self)
        self.status_a.setObjectName("compareLinkStatus")
        self.outside_label = QLabel("", self)
        self.outside_label.setObjectName("outsideClipB")
        self._update_headers()

        self.linked = QCheckBox("Linked", self)
        self.linked.setChecked(True)
        self.linked.setToolTip(
            "B follows A through the time map; unlink to step B on its own "
            "(linking again snaps B back to the stored alignment)"
        )
        self.linked.toggled.connect(self._on_linked_toggled)
        self.unmirror = QCheckBox("Show B unmirrored", self)
        self.unmirror.setToolTip(
            "B is a mirror image of A: flip B's display back (view only, evidence unchanged)"
        )
        self.unmirror.setVisible(self.mirrored)
        self.unmirror.toggled.connect(lambda _on: self._show_b_image())
        self.readout = QLabel("", self)
        self.readout.setObjectName("alignmentReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)

        self.pairs_table = self._make_pairs_table()

        self.viewer_a.indexRequested.connect(self._on_a_requested)
        self.viewer_b.indexRequested.connect(self._on_b_requested)
        self.viewer_a.frameShown.connect(lambda _i: self._update_readout())
        self.viewer_b.frameShown.connect(self._on_b_shown)

        self._build_layout()
        self._apply_link_state()
        self._update_readout()
        self.resize(1400, 900)
        self._load()

    # ------------------------------------------------------------------ layout

    def _header_label(self) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long name must not make one pane wider than the other.
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        label.setMinimumWidth(0)
        return label

    @staticmethod
    def _hide_annotate(viewer: FrameViewer) -> None:
        """Annotating belongs to the workbench; here the button (and its key) do nothing."""
        button = viewer.annotate_button
        button.hide()
        button.toggled.connect(lambda on, b=button: on and b.setChecked(False))

    def _pane(self, header: QLabel, status: QLabel, viewer: FrameViewer) -> QWidget:
        pane = QWidget(self)
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        row = QHBoxLayout()
        row.addWidget(header, 1)
        row.addWidget(status, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        column.addLayout(row)
        column.addWidget(viewer, 1)
        return pane

    def _build_layout(self) -> None:
        panes = QSplitter(Qt.Orientation.Horizontal, self)
        panes.addWidget(self._pane(self.header_a, self.status_a, self.viewer_a))
        panes.addWidget(self._pane(self.header_b, self.outside_label, self.viewer_b))
        panes.setChildrenCollapsible(False)
        panes.setHandleWidth(10)
        panes.setSizes([10_000, 10_000])
        self._panes = panes

        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.setSpacing(4)
        options = QHBoxLayout()
        options.addWidget(self.linked)
        options.addWidget(self.unmirror)
        options.addSpacing(12)
        options.addWidget(self.readout, 1)
        lower_layout.addLayout(options)
        title = QLabel(
            f"Matched frame pairs ({len(self.pairs)}), by A time: "
            "choose one to put A and B exactly on its frames",
            lower,
        )
        lower_layout.addWidget(title)
        lower_layout.addWidget(self.pairs_table, 1)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(panes)
        splitter.addWidget(lower)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([620, 240])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

    def _make_pairs_table(self) -> QTableWidget:
        table = QTableWidget(len(self.pairs), len(PAIR_COLUMNS), self)
        table.setHorizontalHeaderLabels(list(PAIR_COLUMNS))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        for row, pair in enumerate(self.pairs):
            values = (
                format_seconds(float(pair.get("a_seconds", 0.0))),
                pair.get("a_index"),
                format_seconds(float(pair.get("b_seconds", 0.0))),
                pair.get("b_index"),
                pair.get("pdq_distance"),
                pair.get("phash_distance"),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem("–" if value is None else str(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(row, column, item)
        table.itemSelectionChanged.connect(self._on_pair_selection)
        return table

    # ----------------------------------------------------------------- texts

    def _summary_text(self) -> str:
        a_duration = self.view_a.duration if self.view_a else None
        b_duration = self.view_b.duration if self.view_b else None
        sentence = describe_relation(self.relation, a_duration, b_duration)
        score = self.relation.get("score")
        score_text = f"score {float(score):.2f}" if score is not None else "score –"
        mirrored = "B is mirrored" if self.mirrored else "not mirrored"
        time_map = _escape(describe_offset(self.offset, self.speed))
        return (
            f"<b>{_escape(sentence)}</b> &nbsp;·&nbsp; {score_text} &nbsp;·&nbsp; "
            f"offset {signed_seconds(self.offset)}: {time_map}"
            f" &nbsp;·&nbsp; speed {short_number(self.speed)}× &nbsp;·&nbsp; {mirrored}"
        )

    @staticmethod
    def _clip_text(side: str, clip: dict[str, Any], view: ClipView | None) -> str:
        parts = [f"<b>{side}</b> &nbsp;{_escape(str(clip.get('name')))}"]
        parts.append(f"clip #{clip.get('id')}")
        if clip.get("case"):
            parts.append(f"case {_escape(str(clip['case']))}")
        if view is not None:
            rate = f"{float(view.fps):.3g} fps · " if view.fps else ""
            parts.append(
                f"{view.width}×{view.height} · {rate}{view.frame_count} frames · "
                f"{format_seconds(view.duration)}"
            )
        return " &nbsp;·&nbsp; ".join(parts)

    def _update_headers(self) -> None:
        for label, side, clip, view in (
            (self.header_a, "A", self.clip_a, self.view_a),
            (self.header_b, "B", self.clip_b, self.view_b),
        ):
            text = self._clip_text(side, clip, view)
            label.setText(text)
            label.setToolTip(text)
        self.summary.setText(self._summary_text())

    # ------------------------------------------------------------------ loading

    def _load(self) -> None:
        app, a_id, b_id = self.app, int(self.clip_a["id"]), int(self.clip_b["id"])

        def work(ctx: TaskContext) -> tuple[ClipView, ClipView, dict[int, dict[str, Any]]]:
            view_a = load_clip_view(app, a_id)
            view_b = load_clip_view(app, b_id)
            settings = {v.case_id: case_settings(app, v.case_id) for v in (view_a, view_b)}
            return view_a, view_b, settings

        self.runner.run(work, on_done=self._on_loaded)

    def _on_loaded(self, result: tuple[ClipView, ClipView, dict[int, dict[str, Any]]]) -> None:
        if self._closed:
            return
        view_a, view_b, settings = result
        self.view_a, self.view_b = view_a, view_b
        self._update_headers()
        for viewer, view in ((self.viewer_a, view_a), (self.viewer_b, view_b)):
            case = settings.get(view.case_id, {})
            viewer.set_veil(
                bool(case.get("blur_thumbnails")), bool(case.get("greyscale_thumbnails"))
            )
            viewer.set_sound_default(bool(case.get("mute_audio", True)))
        start = self._start_index(view_a)
        # B first: A's first request makes B follow, which needs B's view.
        self._driving_b = True
        try:
            self.viewer_b.set_view(view_b, self.expected_b_index(start))
        finally:
            self._driving_b = False
        self.viewer_a.set_view(view_a, start)
        self.viewer_a.canvas.setFocus()

    def _start_index(self, view_a: ClipView) -> int:
        """Where A opens: the first matched pair, else the first segment, else frame 0."""
        return start_index(self.relation, view_a)

    # ----------------------------------------------------------------- the map

    def expected_b_seconds(self, a_index: int) -> float:
        """B's clip time for A's frame ``a_index``: ``speed * t_a + offset``."""
        if self.view_a is None:
            raise RuntimeError("clip A is not loaded yet")
        return self.time_map.b_seconds(self.view_a, a_index)

    def expected_b_index(self, a_index: int) -> int:
        """The B frame nearest A's frame's mapped time, by B's own frame times."""
        if self.view_b is None:
            raise RuntimeError("clip B is not loaded yet")
        if self.view_a is None:
            raise RuntimeError("clip A is not loaded yet")
        return self.time_map.b_index(self.view_a, self.view_b, a_index)

    def is_outside_b(self, b_seconds: float) -> bool:
        assert self.view_b is not None
        return is_outside(self.view_b, b_seconds)

    # ------------------------------------------------------------- following

    def _on_a_requested(self, a_index: int) -> None:
        if self.view_a is None or self.view_b is None:
            return
        pinned = self._pinned
        if pinned is not None and a_index == pinned[0]:
            target = pinned[1]
        else:
            self._pinned = None
            if not self.linked.isChecked():
                self._update_readout()
                return
            target = self.expected_b_index(a_index)
        self._move_b(target)
        self._update_readout(a_index)

    def _move_b(self, index: int) -> None:
        self._driving_b = True
        try:
            self.viewer_b.go_to(index)
        finally:
            self._driving_b = False

    def _on_b_requested(self, _index: int) -> None:
        if not self._driving_b:
            self._pinned = None  # B was moved on its own
        self._update_readout()

    def _on_linked_toggled(self, on: bool) -> None:
        self._apply_link_state()
        if on and self.view_a is not None and self.view_b is not None:
            self._pinned = None
            self._move_b(self.expected_b_index(self.viewer_a.target_index))
        self._update_readout()

    def _apply_link_state(self) -> None:
        """B's transport (buttons and keys) works only while unlinked."""
        free = not self.linked.isChecked()
        controls = self.viewer_b.controls
        for position in range(controls.count()):
            item = controls.itemAt(position)
            if item.spacerItem() is not None:
                break  # the transport buttons come before the stretch
            widget = item.widget()
            if widget is not None:
                widget.setEnabled(free)
        for shortcut in self.viewer_b.findChildren(QShortcut):
            if shortcut.key().toString() in TRANSPORT_KEYS:
                shortcut.setEnabled(free)
        self.viewer_b.set_sound_allowed(free)  # linked, B only follows A, which plays its sound
        self.status_a.setText("drives B (linked)" if not free else "B unlinked")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Transport keys pressed over B while linked drive A (and so B)."""
        focus = self.focusWidget()
        if self.linked.isChecked() and focus is not None and self.viewer_b.isAncestorOf(focus):
            pressed = QKeySequence(event.keyCombination()).toString()
            if pressed in TRANSPORT_KEYS:
                for shortcut in self.viewer_a.findChildren(QShortcut):
                    if shortcut.key().toString() == pressed:
                        shortcut.activated.emit()
                        event.accept()
                        return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ pairs

    def _on_pair_selection(self) -> None:
        rows = {index.row() for index in self.pairs_table.selectionModel().selectedRows()}
        if len(rows) == 1:
            self.select_pair(rows.pop())

    def select_pair(self, row: int) -> None:
        """Put A and B exactly on the frames of pair ``row`` (in table order)."""
        if self.view_a is None or self.view_b is None or not 0 <= row < len(self.pairs):
            return
        a_index, b_index = pair_indexes(self.pairs[row], self.view_a, self.view_b)
        self._pinned = (a_index, b_index, row)
        if self.pairs_table.currentRow() != row:
            self.pairs_table.selectRow(row)
        self.viewer_a.go_to(a_index)  # B goes to the pinned frame in _on_a_requested
        if self.viewer_b.target_index != b_index:
            self._move_b(b_index)

    # ---------------------------------------------------------------- display

    def _on_b_shown(self, _index: int) -> None:
        self._show_b_image()
        self._update_readout()

    def _show_b_image(self) -> None:
        """Flip B's displayed image when asked (the decoded pixels are untouched)."""
        shown = self.viewer_b.shown
        if shown is None:
            return
        image = shown.image
        if self.mirrored and self.unmirror.isChecked():
            image = image.flipped(Qt.Orientation.Horizontal)
        self.viewer_b.canvas.set_frame(image, self.viewer_b.canvas.frame_size)

    def _update_readout(self, a_requested: int | None = None) -> None:
        view_a, view_b = self.view_a, self.view_b
        if view_a is None or view_b is None:
            self.readout.setText("Opening both clips…")
            return
        a_index = a_requested if a_requested is not None else self.viewer_a.target_index
        b_index = self.viewer_b.target_index
        expected_t = self.expected_b_seconds(a_index)
        expected_i = self.expected_b_index(a_index)
        b_t = view_b.seconds_of(b_index)
        outside = self.is_outside_b(expected_t)
        if outside:
            where = "before B starts" if expected_t < 0 else "after B ends"
            self.outside_label.setText(f"outside clip B ({where}): nearest frame shown")
        else:
            self.outside_label.setText("")
        delta_t = b_t - expected_t
        delta_f = b_index - expected_i
        if self._pinned is not None:
            mode = f"pair {self._pinned[2] + 1} (time map bypassed)"
        elif self.linked.isChecked():
            mode = "linked"
        else:
            mode = "unlinked"
        frames = "frame" if abs(delta_f) == 1 else "frames"
        # Linked, say when B's nearest frame does not start exactly at A's moment.
        gap = describe_gap(view_b, b_index, expected_t) if b_index == expected_i else ""
        self.readout.setText(
            f"A frame {a_index} @ {format_seconds(view_a.seconds_of(a_index))} &nbsp;│&nbsp; "
            f"B frame {b_index} @ {format_seconds(b_t)} &nbsp;│&nbsp; "
            f"expected B {signed_time(expected_t)} (frame {expected_i}) &nbsp;│&nbsp; "
            f"B − expected: {signed_seconds(delta_t)} ({delta_f:+d} {frames}) &nbsp;·&nbsp; "
            f"<i>{mode}</i>" + (f" &nbsp;·&nbsp; {_escape(gap)}" if gap else "")
        )

    # ---------------------------------------------------------------- closing

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.viewer_a.shutdown()
        self.viewer_b.shutdown()
        super().closeEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
