"""Two to four clips of one incident side by side, stepping together on its clock.

The incident clock (:mod:`verifier.services.incident_clock`) places every clip
of an incident on one time axis. This window shows 2 to 4 of them at one
moment of that axis: each pane shows the frame the service's coverage query
names for the moment (:func:`~verifier.services.incident_clock.coverage_at`),
never a frame worked out here, so what is on screen is what a report cites.

One pane is the reference: → and ← step it one frame (its own frame times),
the moment becomes the clock time of that frame, and every other pane goes to
the frame the service names for the new moment. Frames of clips filmed at
different rates do not start at the same instant: under each following pane
the readout says by how much its frame's start differs from the moment. A
pane whose clip has no footage at the moment shows "no footage at this
moment" instead of its last frame, so a stale picture is never taken for the
moment's.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.compare import TRANSPORT_KEYS
from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.gui.viewer import FrameViewer
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.incident_clock import clock_time_text, coverage_at
from verifier.services.viewing import ClipView, load_clip_view

MIN_PANES = 2
MAX_PANES = 4
NO_FOOTAGE = "no footage at this moment"
#: Frame starts closer than this to the moment count as lined up (float rounding).
LINED_UP = 0.0005
_window_ids = itertools.count(1)


def choose_clips(clock: dict[str, Any], coverage: dict[str, Any]) -> list[int]:
    """The clips to show for a moment: those covering it (lane order, at most four); when
    fewer than two cover it, the nearest other lanes fill up to two, so the gap shows."""
    covering = [c["clip"]["id"] for c in coverage["clips"] if c["covers"]][:MAX_PANES]
    if len(covering) >= MIN_PANES:
        return covering
    moment = float(coverage["clock_seconds"])

    def distance(doc: dict[str, Any]) -> float:
        return max(doc["start"] - moment, moment - doc["end"], 0.0)

    others = sorted(
        (d for d in clock["clips"] if d["clip"]["id"] not in covering),
        key=lambda d: (distance(d), d["start"]),
    )
    chosen = set(covering) | {d["clip"]["id"] for d in others[: MIN_PANES - len(covering)]}
    return [d["clip"]["id"] for d in clock["clips"] if d["clip"]["id"] in chosen]


def gap_text(view: ClipView, frame_index: int, clip_seconds: float, rate: float) -> str:
    """How far the frame shown starts from the moment, on the incident clock."""
    gap = (view.seconds_of(frame_index) - clip_seconds) * rate
    if abs(gap) < LINED_UP:
        return f"frame {frame_index} starts at this moment"
    side = "before" if gap < 0 else "after"
    return f"frame {frame_index} starts {abs(gap):.3f} s {side} this moment"


class ClipPane(QWidget):
    """One clip: its header, the viewer or "no footage at this moment", and the readout."""

    def __init__(self, window: IncidentPlayer, doc: dict[str, Any]) -> None:
        super().__init__(window)
        self.doc = doc
        self.clip_id = int(doc["clip"]["id"])
        self.view: ClipView | None = None
        self.covers = False
        self.frame_index: int | None = None  # the frame the service named
        self.following = False  # moved by the window, not by the person
        self.header = QLabel(self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.header.setText(
            f"<b>#{self.clip_id}</b> {_escape(str(doc['clip']['name']))} · on the clock "
            f"{clock_time_text(doc['start'])}–{clock_time_text(doc['end'])}"
        )
        self.header.setToolTip(str(doc["clip"]["name"]))
        self.reference = QRadioButton("steps the others", self)
        self.reference.setToolTip("→ and ← step this clip one frame; the others follow")
        self.viewer = FrameViewer(window.app, window.runner, self, compact=True)
        self.viewer.annotate_button.hide()
        self.viewer.canvas.placeholder = "Opening…"
        self.empty = QLabel(NO_FOOTAGE, self)
        self.empty.setObjectName("noFootage")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("background:#1b1b1b;color:#f0f0f0;font-size:15pt;")
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.viewer)
        self.stack.addWidget(self.empty)
        self.readout = QLabel("", self)
        self.readout.setObjectName("paneReadout")
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.reference)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(top)
        column.addWidget(self.stack, 1)
        column.addWidget(self.readout)

    @property
    def showing_footage(self) -> bool:
        return self.stack.currentWidget() is self.viewer

    def set_transport(self, free: bool) -> None:
        """Only the reference pane steps by itself; the others follow it."""
        controls = self.viewer.controls
        for position in range(controls.count()):
            item = controls.itemAt(position)
            if item.spacerItem() is not None:
                break
            widget = item.widget()
            if widget is not None:
                widget.setEnabled(free)
        for shortcut in self.viewer.findChildren(QShortcut):
            if shortcut.key().toString() in TRANSPORT_KEYS:
                shortcut.setEnabled(free)
        self.viewer.set_sound_allowed(free)


class IncidentPlayer(QWidget):
    """2 to 4 clips of an incident at one moment of its clock, stepping together.

    For callers and tests: ``panes`` (:class:`ClipPane`, each with ``viewer``,
    ``empty`` (the "no footage" label), ``readout``, ``covers`` and
    ``frame_index``, the frame the service named), ``reference_pane``,
    ``moment`` (clock seconds shown), ``coverage`` (the service's last answer),
    ``moment_label`` and :meth:`go_to_moment`. ``momentChanged`` carries the
    clock seconds each time a moment's frames are put on screen.
    """

    momentChanged = Signal(float)

    def __init__(
        self,
        app: App,
        runner: TaskRunner,
        case: CaseRecord,
        clock: dict[str, Any],
        clip_ids: list[int],
        moment: float,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        if not MIN_PANES <= len(clip_ids) <= MAX_PANES:
            raise ValueError(f"clips: show {MIN_PANES} to {MAX_PANES} clips ({len(clip_ids)})")
        self.app, self.runner, self.case, self.clock = app, runner, case, clock
        self.ref = str(clock["incident"]["ref"])
        self.moment = float(moment)
        self.coverage: dict[str, Any] | None = None
        self.loaded = False
        self._closed = False
        self._lane = f"incident-player-{next(_window_ids)}"
        docs = {d["clip"]["id"]: d for d in clock["clips"]}
        title = clock["incident"].get("name") or f"incident {self.ref}"
        self.setWindowTitle(f"Incident clips at one moment — {title}")

        self.moment_label = QLabel(self)
        self.moment_label.setObjectName("incidentMoment")
        self.moment_label.setTextFormat(Qt.TextFormat.RichText)
        self.moment_label.setWordWrap(True)
        self.moment_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel(
            "→ / ← step the clip marked “steps the others” one frame; every other clip goes to "
            "its frame at that moment of the incident clock.",
            self,
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.panes = [ClipPane(self, docs[c]) for c in clip_ids]
        self._group = QButtonGroup(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        for pane in self.panes:
            self._group.addButton(pane.reference)
            pane.reference.toggled.connect(lambda on, p=pane: on and self._set_reference(p))
            pane.viewer.indexRequested.connect(lambda i, p=pane: self._on_requested(p, i))
            split.addWidget(pane)
        self.reference_pane = self.panes[0]
        layout = QVBoxLayout(self)
        layout.addWidget(self.moment_label)
        layout.addWidget(split, 1)
        layout.addWidget(hint)
        self._show_moment_text()
        self.resize(1400, 820)
        self._load()

    # ------------------------------------------------------------------ loading

    def _load(self) -> None:
        app, ids = self.app, [p.clip_id for p in self.panes]

        def work(ctx: TaskContext) -> list[ClipView]:
            return [load_clip_view(app, c) for c in ids]  # type: ignore[arg-type]

        self.runner.run(work, on_done=self._on_loaded)

    def _on_loaded(self, views: list[ClipView]) -> None:
        if self._closed:
            return
        for pane, view in zip(self.panes, views, strict=True):
            pane.view = view
        self.loaded = True
        self.go_to_moment(self.moment)

    # ------------------------------------------------------------------ moments

    def go_to_moment(self, seconds: float) -> None:
        """Show every pane at ``seconds`` on the incident clock (the service names the frames)."""
        self._query(float(seconds))

    def _query(self, seconds: float) -> None:
        app, ref, case = self.app, self.ref, self.case
        self.moment = seconds
        self._show_moment_text()

        def work(ctx: TaskContext) -> dict[str, Any]:
            return coverage_at(app, ref, seconds, case)

        self.runner.run(work, on_done=self._apply, lane=self._lane, latest_only=True)

    def _apply(self, coverage: dict[str, Any]) -> None:
        if self._closed or abs(coverage["clock_seconds"] - self.moment) > 1e-9:
            return  # a later moment was asked for meanwhile
        self.coverage = coverage
        by_clip = {c["clip"]["id"]: c for c in coverage["clips"]}
        for pane in self.panes:
            entry = by_clip.get(pane.clip_id)
            pane.covers = bool(entry and entry["covers"])
            pane.frame_index = entry["frame_index"] if pane.covers else None
            if not pane.covers or pane.view is None or pane.frame_index is None:
                pane.stack.setCurrentWidget(pane.empty)
                pane.readout.setText(self._outside_text(pane))
                continue
            pane.stack.setCurrentWidget(pane.viewer)
            # The service's frame wins, for the pane stepped too (it names the same one).
            if pane.viewer.view is None or pane.viewer.target_index != pane.frame_index:
                self._drive(pane, pane.frame_index)
            pane.readout.setText(
                gap_text(pane.view, pane.frame_index, entry["clip_seconds"], pane.doc["rate"])
                + f" · clip time {clock_time_text(entry['clip_seconds'])}"
            )
        if not self.reference_pane.covers:
            covering = next((p for p in self.panes if p.covers), None)
            if covering is not None:
                self.reference_pane = covering
        self._apply_reference()
        self._show_moment_text()
        self.momentChanged.emit(self.moment)

    def _drive(self, pane: ClipPane, index: int) -> None:
        pane.following = True
        try:
            if pane.viewer.view is None and pane.view is not None:
                pane.viewer.set_view(pane.view, index)
            else:
                pane.viewer.go_to(index)
        finally:
            pane.following = False

    def _on_requested(self, pane: ClipPane, index: int) -> None:
        """A pane was asked for a frame: if by the person on the reference, the others follow."""
        if pane.following or pane is not self.reference_pane:
            return
        if pane.view is None:
            return
        doc = pane.doc
        moment = doc["start"] + doc["rate"] * pane.view.seconds_of(index)
        self._query(round(moment, 6))

    def _outside_text(self, pane: ClipPane) -> str:
        doc = pane.doc
        if self.moment < doc["start"]:
            return f"this clip starts {doc['start'] - self.moment:.3f} s after this moment"
        return f"this clip ended {self.moment - doc['end']:.3f} s before this moment"

    # ---------------------------------------------------------------- reference

    def _set_reference(self, pane: ClipPane) -> None:
        if pane.covers:
            self.reference_pane = pane
        self._apply_reference()

    def _apply_reference(self) -> None:
        for pane in self.panes:
            is_ref = pane is self.reference_pane
            pane.set_transport(is_ref)
            pane.reference.blockSignals(True)
            pane.reference.setChecked(is_ref)
            pane.reference.blockSignals(False)
            pane.reference.setEnabled(pane.covers)
        if self.reference_pane.showing_footage:
            self.reference_pane.viewer.canvas.setFocus()

    def step(self, frames: int) -> None:
        """Step the reference pane (the others follow through the coverage query)."""
        self.reference_pane.viewer.step(frames)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Transport keys pressed anywhere in the window drive the reference pane."""
        pressed = QKeySequence(event.keyCombination()).toString()
        if pressed in TRANSPORT_KEYS:
            for shortcut in self.reference_pane.viewer.findChildren(QShortcut):
                if shortcut.key().toString() == pressed:
                    shortcut.activated.emit()
                    event.accept()
                    return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ display

    def _show_moment_text(self) -> None:
        text = f"<b>Incident clock {clock_time_text(self.moment)}</b> ({self.moment:.3f} s)"
        utc = (self.coverage or {}).get("utc") if self.coverage else None
        if utc and utc.get("earliest_utc"):
            text += f" · UTC {utc['earliest_utc']}"
            if utc.get("latest_utc") and utc["latest_utc"] != utc["earliest_utc"]:
                text += f" to {utc['latest_utc']}"
        shown = sum(1 for p in self.panes if p.covers)
        if self.coverage is not None:
            text += f" · {shown} of {len(self.panes)} clips have footage at this moment"
        self.moment_label.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        for pane in self.panes:
            pane.viewer.shutdown()
        self.runner.close_lane(self._lane)
        super().closeEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
