"""Two clips side by side, aligned by the stored time map or by eye.

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

Any two clips can be compared: without a stored relation
(:func:`verifier.services.comparison.comparison_of` gives the identity map)
the window opens unlinked, each clip steps on its own and the readout gives
B's time minus A's (:meth:`ComparisonWindow.eye_offset`), the offset found
by eye.

Under the panes, the PDQ and pHash distances of the two frames on screen are
read against the matcher's thresholds (measured on a worker thread), and the
B pane can show, instead of B, A and B blended (with B's opacity) or their
absolute difference (black where the pictures agree), made by
:mod:`verifier.media.compose` from the two frames as displayed.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QImage, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.distance_scale import PairDistancePanel
from verifier.gui.imaging import qimage_from_rgb, rgb_from_qimage
from verifier.gui.links import SaveAlignmentDialog
from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.gui.viewer import FrameViewer
from verifier.ids import ClipId
from verifier.media.compose import blend, difference
from verifier.services.cases import case_settings
from verifier.services.comparison import (
    TimeMap,
    describe_gap,
    describe_offset,
    describe_relation,
    is_outside,
    is_related,
    pair_indexes,
    short_number,
    signed_seconds,
    signed_time,
    sorted_pairs,
    start_index,
)
from verifier.services.context import App
from verifier.services.distances import PairDistance, pair_distances
from verifier.services.links import save_alignment
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
#: What the B pane shows: B itself, A and B blended, or their absolute difference.
VIEW_MODES = {
    "side": "Side by side",
    "overlay": "Overlay A + B",
    "difference": "Difference |A − B|",
}
_window_ids = itertools.count(1)


class ComparisonWindow(QWidget):
    """A and B side by side, B following A through the relation's time map.

    Attributes for callers and tests: ``viewer_a``, ``viewer_b``
    (:class:`FrameViewer`), ``pairs_table`` (rows sorted by A time),
    ``linked`` and ``unmirror`` (:class:`QCheckBox`), ``readout``
    (:class:`QLabel`), ``outside_label`` (says when A's moment is outside B),
    ``related`` (False when no relation is stored: opened unlinked),
    ``distance_panel`` (:class:`PairDistancePanel`), ``mode_buttons`` and
    ``opacity`` (the overlay/difference view of the B pane), ``composite``
    (the last blended or difference image shown, as an RGB array), and
    ``alignment_actions``, the row where actions on the alignment go, with
    ``save_alignment_button`` (shown only without a stored relation) and
    ``saved_label`` (which link the offset was stored as). ``alignmentSaved``
    carries the link stored.
    """

    alignmentSaved = Signal(object)

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
        self.related = is_related(relation)
        self._eye_linked = False  # unrelated clips linked at an offset lined up by eye
        self.clip_a: dict[str, Any] = relation["clip_a"]
        self.clip_b: dict[str, Any] = relation["clip_b"]
        self.pairs: list[dict[str, Any]] = sorted_pairs(relation)
        self.view_a: ClipView | None = None
        self.view_b: ClipView | None = None
        self._pinned: tuple[int, int, int] | None = None  # (a index, b index, pair row)
        self._driving_b = False
        self._closed = False
        number = next(_window_ids)
        self._compose_lane = f"compare-{number}-compose"
        self._distance_lane = f"compare-{number}-distance"
        self.mode = "side"
        self.composite: np.ndarray | None = None
        self._composite_key: tuple[Any, ...] | None = None
        self._composite_shown: tuple[QImage, QSize] | None = None
        self.last_distance: tuple[int, int, PairDistance] | None = None

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
        self.linked.setChecked(self.related)
        self.linked.setToolTip(
            "B follows A through the time map; unlink to step B on its own "
            "(linking again snaps B back to the stored alignment)"
            if self.related
            else "No stored relation: linking keeps the offset lined up by eye (B's time "
            "minus A's) and steps both together; unlinked, each clip steps on its own"
        )
        self.linked.toggled.connect(self._on_linked_toggled)
        self.unmirror = QCheckBox("Show B unmirrored", self)
        self.unmirror.setToolTip(
            "B is a mirror image of A: flip B's display back (view only, evidence unchanged)"
        )
        self.unmirror.setVisible(self.mirrored)
        self.unmirror.toggled.connect(lambda _on: (self._show_b_image(), self._refresh_pair()))
        self.readout = QLabel("", self)
        self.readout.setObjectName("alignmentReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setWordWrap(True)

        self.pairs_table = self._make_pairs_table()
        self.distance_panel = PairDistancePanel(self)
        self.mode_note = QLabel("", self)
        self.mode_note.setObjectName("compareModeNote")
        self.mode_buttons: dict[str, QRadioButton] = {}
        self._mode_group = QButtonGroup(self)
        for key, text in VIEW_MODES.items():
            button = QRadioButton(text, self)
            button.setChecked(key == "side")
            button.toggled.connect(lambda on, k=key: on and self.set_mode(k))
            self._mode_group.addButton(button)
            self.mode_buttons[key] = button
        self.mode_buttons["overlay"].setToolTip(
            "The B pane shows A with B laid over it (B resized to A), at the opacity set"
        )
        self.mode_buttons["difference"].setToolTip(
            "The B pane shows |A − B| per pixel (B resized to A): black where they agree"
        )
        self.opacity = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(50)
        self.opacity.setFixedWidth(120)
        self.opacity.setToolTip("B's opacity over A in the overlay")
        self.opacity.setEnabled(False)  # only the overlay uses it
        self.opacity.setVisible(False)
        self.opacity_label = QLabel("", self)
        self.opacity_label.setVisible(False)
        self.brighten = QCheckBox("Brighten ×4", self)
        self.brighten.setToolTip(
            "Multiply the difference by 4: re-encoding leaves faint differences, edits stand out"
        )
        self.brighten.setEnabled(False)  # only the difference uses it
        self.brighten.setVisible(False)
        self.brighten.toggled.connect(lambda _on: self._on_opacity())
        self.opacity.valueChanged.connect(lambda _v: self._on_opacity())
        #: Where actions on the alignment shown go (e.g. saving an offset found by eye).
        self.alignment_actions = QHBoxLayout()
        self.alignment_actions.setContentsMargins(0, 0, 0, 0)
        self.saved_label = QLabel("", self)
        self.saved_label.setObjectName("alignmentSaved")
        self.saved_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_alignment_button = QPushButton("Save this alignment…", self)
        self.save_alignment_button.setToolTip(
            "Store the offset lined up by eye (B's time minus A's) as a link between the clips, "
            "with its type and why: it then shows in both clips' Links tab"
        )
        self.save_alignment_button.clicked.connect(self.save_alignment_dialog)
        self.save_alignment_button.setVisible(not self.related)
        self.saved_label.setVisible(not self.related)
        self.alignment_actions.addWidget(self.saved_label)
        self.alignment_actions.addWidget(self.save_alignment_button)
        self.dialog: SaveAlignmentDialog | None = None

        self.viewer_a.indexRequested.connect(self._on_a_requested)
        self.viewer_b.indexRequested.connect(self._on_b_requested)
        self.viewer_a.frameShown.connect(self._on_a_shown)
        self.viewer_b.frameShown.connect(self._on_b_shown)

        self._build_layout()
        self._on_opacity()
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

    def _pane(self, header: QLabel, viewer: FrameViewer, *status: QLabel) -> QWidget:
        pane = QWidget(self)
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        row = QHBoxLayout()
        row.addWidget(header, 1)
        for label in status:
            row.addWidget(label, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        column.addLayout(row)
        column.addWidget(viewer, 1)
        return pane

    def _build_layout(self) -> None:
        panes = QSplitter(Qt.Orientation.Horizontal, self)
        panes.addWidget(self._pane(self.header_a, self.viewer_a, self.status_a))
        panes.addWidget(
            self._pane(self.header_b, self.viewer_b, self.mode_note, self.outside_label)
        )
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
        options.addSpacing(16)
        options.addWidget(QLabel("B pane:", lower))
        for button in self.mode_buttons.values():
            options.addWidget(button)
        options.addWidget(self.opacity)
        options.addWidget(self.opacity_label)
        options.addWidget(self.brighten)
        options.addStretch(1)
        options.addLayout(self.alignment_actions)
        lower_layout.addLayout(options)
        lower_layout.addWidget(self.readout)

        pairs = QWidget(lower)
        pairs_layout = QVBoxLayout(pairs)
        pairs_layout.setContentsMargins(0, 0, 0, 0)
        if self.related:
            text = (
                f"Matched frame pairs ({len(self.pairs)}), by A time: "
                "choose one to put A and B exactly on its frames"
            )
        else:
            text = (
                "No matched frame pairs: these clips have no stored relation. "
                "Step each clip on its own until the pictures agree; the readout above "
                "gives B's time minus A's, the offset found by eye."
            )
        self.pairs_title = QLabel(text, pairs)
        self.pairs_title.setWordWrap(True)
        pairs_layout.addWidget(self.pairs_title)
        pairs_layout.addWidget(self.pairs_table, 1)
        self.pairs_table.setVisible(self.related)
        if not self.related:
            pairs_layout.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(pairs, 3)
        bottom.addWidget(self.distance_panel, 2, Qt.AlignmentFlag.AlignTop)
        lower_layout.addLayout(bottom, 1)

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
        if not self.related:
            if not self._eye_linked:
                found = "link them to step both at the offset lined up by eye"
            else:
                found = (
                    f"linked at the offset found by eye, {signed_seconds(self.offset)}: "
                    f"{_escape(describe_offset(self.offset, self.speed))}"
                )
            return f"<b>{_escape(sentence)}</b> &nbsp;·&nbsp; no time map stored: {found}"
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

    def eye_offset(self) -> float | None:
        """B's clip time minus A's, for the frames asked for: the offset found by eye.

        With it, ``B time = A time + eye_offset()`` maps the two clips as they
        are lined up on screen (None until both are loaded).
        """
        if self.view_a is None or self.view_b is None:
            return None
        a_seconds = self.view_a.seconds_of(self.viewer_a.target_index)
        return self.view_b.seconds_of(self.viewer_b.target_index) - a_seconds

    def alignment_to_save(self) -> float | None:
        """The offset "Save this alignment" stores: the one linked at, while linked by
        eye; else B's time minus A's for the frames on screen."""
        if self._eye_linked and self.linked.isChecked():
            return self.offset
        return self.eye_offset()

    def save_alignment_dialog(self) -> None:
        """Ask for the link's type and rationale, then store the offset as a link."""
        offset = self.alignment_to_save()
        if offset is None:
            self.runner.show_error("Wait until both clips are open: the offset is read from them.")
            return
        dialog = SaveAlignmentDialog(
            self, str(self.clip_a.get("name")), str(self.clip_b.get("name")), offset
        )
        dialog.accepted.connect(lambda: self.store_alignment(offset, dialog.link_type, dialog.text))
        self.dialog = dialog
        dialog.open()

    def store_alignment(self, offset: float, link_type: str, rationale: str) -> None:
        """Store ``b_time = a_time + offset`` as a link (through the links service)."""
        app = self.app
        a, b = ClipId(int(self.clip_a["id"])), ClipId(int(self.clip_b["id"]))

        def done(link: dict[str, Any]) -> None:
            self.saved_label.setText(
                f"Saved as link #{link['id']} ({link['type']}): offset "
                f"{signed_seconds(float(link['offset']))}"
            )
            self.alignmentSaved.emit(link)

        self.runner.run(
            lambda ctx: save_alignment(app, a, b, offset, link_type, rationale), on_done=done
        )

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
        if on and not self.related:
            # No stored map: link at the offset the person lined up by eye.
            found = self.eye_offset()
            if found is not None:
                self.time_map = TimeMap(speed=1.0, offset=found)
                self.offset, self.speed = found, 1.0
                self._eye_linked = True
            self.summary.setText(self._summary_text())
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

    def _on_a_shown(self, _index: int) -> None:
        self._update_readout()
        self._refresh_pair()

    def _on_b_shown(self, _index: int) -> None:
        self._show_b_image()
        self._update_readout()
        self._refresh_pair()

    def _b_flipped(self) -> bool:
        return self.mirrored and self.unmirror.isChecked()

    def _show_b_image(self) -> None:
        """What the B pane shows: B (flipped when asked), or the overlay/difference image.

        The decoded pixels are untouched; while a new composite is made the
        previous one stays on screen rather than B flashing up in between.
        """
        shown = self.viewer_b.shown
        if shown is None:
            return
        if self.mode != "side":
            if self._composite_shown is not None:
                self.viewer_b.canvas.set_frame(*self._composite_shown)
            return
        image = shown.image
        if self._b_flipped():
            image = image.flipped(Qt.Orientation.Horizontal)
        size = shown.frame_size if shown.frame_size.width() else shown.image.size()
        self.viewer_b.canvas.set_frame(image, size)

    def _refresh_pair(self) -> None:
        """A or B changed: measure the pair's distances and, if shown, recompose."""
        self._measure()
        if self.mode != "side":
            self._compose()

    # ------------------------------------------------------ overlay / difference

    def set_mode(self, mode: str) -> None:
        """``"side"`` (B itself), ``"overlay"`` (A and B blended) or ``"difference"``."""
        if mode not in VIEW_MODES:
            raise ValueError(f"view mode: one of {', '.join(VIEW_MODES)}, got {mode!r}")
        self.mode = mode
        if not self.mode_buttons[mode].isChecked():
            self.mode_buttons[mode].setChecked(True)
        # Each mode's own control is shown (and enabled) only in that mode.
        for control, own in ((self.opacity, "overlay"), (self.opacity_label, "overlay"),
                             (self.brighten, "difference")):  # fmt: skip
            control.setEnabled(mode == own)
            control.setVisible(mode == own)
        self._composite_key = None
        self._composite_shown = None
        self.composite = None
        self._update_mode_note()
        if mode == "side":
            self._show_b_image()
        else:
            self._compose()

    def _on_opacity(self) -> None:
        self.opacity_label.setText(f"B {self.opacity.value()} %")
        self._update_mode_note()
        if self.mode != "side":
            self._compose()

    def _update_mode_note(self) -> None:
        if self.mode == "overlay":
            text = f"showing A + B at {self.opacity.value()} % (view only)"
        elif self.mode == "difference":
            gain = " ×4" if self.brighten.isChecked() else ""
            text = f"showing |A − B|{gain}: black where equal (view only)"
        else:
            text = ""
        self.mode_note.setText(text)

    def _compose(self) -> None:
        """Make the overlay or difference image of the two frames shown, on a worker."""
        shown_a, shown_b = self.viewer_a.shown, self.viewer_b.shown
        if shown_a is None or shown_b is None or self.mode == "side":
            return
        mode, opacity, flipped = self.mode, self.opacity.value() / 100.0, self._b_flipped()
        gain = 4.0 if self.brighten.isChecked() else 1.0
        key = (shown_a.index, shown_b.index, mode, opacity, gain, flipped,
               shown_a.image.cacheKey(), shown_b.image.cacheKey())  # fmt: skip
        if key == self._composite_key:
            return
        self._composite_key = key
        # As displayed (enhanced and veiled as each pane shows it), copied on this thread.
        a = rgb_from_qimage(shown_a.image)
        b = rgb_from_qimage(shown_b.image)
        frame_size = shown_a.frame_size if shown_a.frame_size.width() else shown_a.image.size()

        def work(ctx: TaskContext) -> tuple[np.ndarray, QImage]:
            other = b[:, ::-1] if flipped else b
            diff = mode == "difference"
            made = difference(a, other, gain) if diff else blend(a, other, opacity)
            return made, qimage_from_rgb(made)

        def done(result: tuple[np.ndarray, QImage]) -> None:
            if self._closed or key != self._composite_key:
                return  # superseded by a newer pair, mode or opacity
            self.composite, image = result
            self._composite_shown = (image, QSize(frame_size))
            self.viewer_b.canvas.set_frame(image, QSize(frame_size))

        self.runner.run(work, on_done=done, lane=self._compose_lane, latest_only=True)

    # ------------------------------------------------------------- distances

    def _measure(self) -> None:
        """Measure the PDQ and pHash distances of the two frames on screen, on a worker."""
        shown_a, shown_b = self.viewer_a.shown, self.viewer_b.shown
        if shown_a is None or shown_b is None:
            return
        flipped = self._b_flipped()
        key = (shown_a.index, shown_b.index, flipped)
        raw_a, raw_b = shown_a.raw, shown_b.raw  # as decoded, before enhancement or veil

        def work(ctx: TaskContext) -> PairDistance:
            return pair_distances(raw_a, np.ascontiguousarray(raw_b[:, ::-1]) if flipped else raw_b)

        def done(found: PairDistance) -> None:
            if self._closed:
                return
            a_now, b_now = self.viewer_a.shown, self.viewer_b.shown
            if a_now is None or b_now is None:
                return
            if key != (a_now.index, b_now.index, self._b_flipped()):
                return  # the pair changed meanwhile; its own measurement follows
            self.last_distance = (key[0], key[1], found)
            self.distance_panel.show_distance(found, key[0], key[1])

        self.runner.run(work, on_done=done, lane=self._distance_lane, latest_only=True)

    def _update_readout(self, a_requested: int | None = None) -> None:
        view_a, view_b = self.view_a, self.view_b
        if view_a is None or view_b is None:
            self.readout.setText("Opening both clips…")
            return
        a_index = a_requested if a_requested is not None else self.viewer_a.target_index
        b_index = self.viewer_b.target_index
        if not self.related and not self.linked.isChecked():
            self.outside_label.setText("")
            a_t, b_t = view_a.seconds_of(a_index), view_b.seconds_of(b_index)
            self.readout.setText(
                f"A frame {a_index} @ {format_seconds(a_t)} &nbsp;│&nbsp; "
                f"B frame {b_index} @ {format_seconds(b_t)} &nbsp;│&nbsp; "
                f"B − A: <b>{signed_seconds(b_t - a_t)}</b>, the offset found by eye: "
                f"{_escape(describe_offset(b_t - a_t, 1.0))} &nbsp;·&nbsp; "
                "<i>unlinked, no stored relation</i>"
            )
            return
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
        self.runner.close_lane(self._compose_lane)
        self.runner.close_lane(self._distance_lane)
        self.viewer_a.shutdown()
        self.viewer_b.shutdown()
        super().closeEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
