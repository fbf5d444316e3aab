"""The incident view: every clip of an incident as a lane on one clock, its gaps and events.

The clock comes from :func:`verifier.services.incident_clock.incident_clock`
(placement by link offsets, excerpts under their source, cuts, gaps) and the
events from :func:`~verifier.services.incident_clock.incident_events`; this
module only draws them. Each lane shows the clip's span with its cuts as
ticks; the stretches no clip covers are shaded and labelled with their
length, so a person sees at once what the footage does not show; events are
markers with their labels (the tooltip names clip and frame). The axis is in
seconds of the incident clock and, when the clips' time findings date it, in
UTC too. The wheel zooms around the pointer; dragging pans.

Clicking a moment opens the clips that cover it side by side
(:class:`verifier.gui.incident_player.IncidentPlayer`), each at the frame the
service names for that moment. Beside the timeline, events are added at the
moment shown (on a clip that covers it, at the frame on screen), edited and
deleted through :mod:`verifier.services.events`, and the loud sounds of a
clip's soundtrack are offered as candidate moments that a person accepts with
a label of their own or ignores.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.incident_player import IncidentPlayer, choose_clips
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.ids import EventId
from verifier.services.cases import CaseRecord, resolve_case
from verifier.services.context import App
from verifier.services.events import (
    accept_candidate,
    add_event,
    delete_event,
    edit_event,
    event_candidates,
)
from verifier.services.incident_clock import (
    clock_time_text,
    coverage_at,
    incident_clock,
    incident_events,
)

NAME_WIDTH = 210
AXIS_HEIGHT = 24
UTC_HEIGHT = 18
EVENT_HEIGHT = 20
LANE_HEIGHT = 34
MARGIN = 12
LANE_COLOURS = ("#2e6db4", "#2f8f5b", "#a05a00", "#7b3fa0", "#b03a2e", "#3b7f8c")
GAP_COLOUR = QColor(220, 60, 40, 48)
EVENT_COLOUR = QColor("#c0392b")
PLAYHEAD_COLOUR = QColor("#e67e22")
#: Nice tick steps of the axis, in seconds.
TICK_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
DRAG_START = 4  # pixels moved before a press becomes a pan


def gap_label(seconds: float) -> str:
    """``gap 3.2 s`` / ``gap 2 min 05 s``: a stretch no clip covers, for the lane area."""
    if seconds < 60:
        return f"gap {seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"gap {minutes} min {rest:02d} s"


class IncidentTimeline(QWidget):
    """Lanes, gaps, events and a playhead on the incident clock; wheel zoom, drag pan.

    For callers and tests: ``clock`` and ``events`` (as the services gave them),
    ``lanes`` (the clock's clip entries, top to bottom), ``x_of``/``seconds_at``
    (clock seconds ↔ widget x), ``lane_rect(i)`` (the span drawn for lane i),
    ``gap_rects`` (rect and text per gap), ``event_marks`` (x and event),
    ``playhead``. ``momentClicked`` carries the clock seconds clicked.
    """

    momentClicked = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        self.lanes: list[dict[str, Any]] = []
        self.playhead: float | None = None
        self.t0 = 0.0  # clock seconds at the left edge of the lane area
        self.scale = 10.0  # pixels per second
        self.gap_rects: list[tuple[QRectF, str]] = []
        self.event_marks: list[tuple[float, dict[str, Any]]] = []
        self._press: QPointF | None = None
        self._press_t0 = 0.0
        self._panning = False
        self.setMouseTracking(True)
        self.setMinimumHeight(160)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("")

    # ---------------------------------------------------------------- data

    def set_clock(self, clock: dict[str, Any], events: list[dict[str, Any]]) -> None:
        refit = self.clock is None or self.clock.get("length") != clock.get("length")
        self.clock = clock
        self.lanes = list(clock["clips"])
        self.events = [e for e in events if e.get("clock_seconds") is not None]
        if refit:
            self.fit()
        self.setMinimumHeight(int(self._lanes_top() + LANE_HEIGHT * max(1, len(self.lanes)) + 30))
        self.update()

    def set_playhead(self, seconds: float | None) -> None:
        self.playhead = seconds
        self.update()

    def fit(self) -> None:
        """Show the whole clock."""
        length = float((self.clock or {}).get("length") or 1.0) or 1.0
        width = max(100, self.width() - NAME_WIDTH - 2 * MARGIN)
        self.scale = width / (length * 1.04)
        self.t0 = -0.02 * length
        self.update()

    # ------------------------------------------------------------ geometry

    def _absolute_zero(self) -> datetime | None:
        absolute = (self.clock or {}).get("absolute")
        if not absolute or not absolute.get("zero_earliest_utc"):
            return None
        return datetime.fromisoformat(absolute["zero_earliest_utc"])

    def _lanes_top(self) -> float:
        utc = UTC_HEIGHT if self._absolute_zero() is not None else 0
        return MARGIN + AXIS_HEIGHT + utc + EVENT_HEIGHT

    def x_of(self, seconds: float) -> float:
        return NAME_WIDTH + (seconds - self.t0) * self.scale

    def seconds_at(self, x: float) -> float:
        return self.t0 + (x - NAME_WIDTH) / self.scale

    def lane_height(self) -> float:
        """Lanes grow (up to 56 px) to use the height the window gives the timeline."""
        room = (self.height() - self._lanes_top() - 40) / max(1, len(self.lanes))
        return float(min(56, max(LANE_HEIGHT, room)))

    def lane_rect(self, row: int) -> QRectF:
        doc = self.lanes[row]
        lane = self.lane_height()
        top = self._lanes_top() + row * lane + 5
        x0, x1 = self.x_of(doc["start"]), self.x_of(doc["end"])
        return QRectF(x0, top, max(2.0, x1 - x0), lane - 10)

    def lane_at(self, y: float) -> int | None:
        row = math.floor((y - self._lanes_top()) / self.lane_height())
        return row if 0 <= row < len(self.lanes) else None

    def _tick_step(self) -> float:
        for step in TICK_STEPS:
            if step * self.scale >= 70:
                return step
        return TICK_STEPS[-1]

    # ------------------------------------------------------------- drawing

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#fbfbfb"))
        if self.clock is None:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading the clock…")
            return
        if not self.lanes:
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "No clip of this incident can be placed on a clock yet: link two of its "
                "clips with a time offset (verifier link edit ID --offset S).",
            )  # fmt: skip
            return
        area = QRectF(NAME_WIDTH, 0, self.width() - NAME_WIDTH, self.height())
        bottom = self._lanes_top() + self.lane_height() * len(self.lanes)
        self._draw_axis(painter, area, bottom)
        self._draw_gaps(painter, area, bottom)
        self._draw_lanes(painter, area)
        self._draw_events(painter, area, bottom)
        if self.playhead is not None:
            x = self.x_of(self.playhead)
            if area.left() <= x <= area.right():
                painter.setPen(QPen(PLAYHEAD_COLOUR, 2))
                painter.drawLine(QPointF(x, MARGIN), QPointF(x, bottom))
        painter.setPen(QColor("#777777"))
        painter.drawText(QPointF(NAME_WIDTH, bottom + 22), "Click a moment to open the clips "
                         "covering it side by side · wheel: zoom · drag: pan")  # fmt: skip
        painter.end()

    def _draw_axis(self, painter: QPainter, area: QRectF, bottom: float) -> None:
        step = self._tick_step()
        first = math.ceil(self.seconds_at(area.left()) / step) * step
        zero = self._absolute_zero()
        metrics = QFontMetrics(self.font())
        painter.setPen(QColor("#555555"))
        painter.drawText(QRectF(MARGIN, MARGIN, NAME_WIDTH - 2 * MARGIN, AXIS_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter, "incident clock")  # fmt: skip
        if zero is not None:
            painter.drawText(QRectF(MARGIN, MARGIN + AXIS_HEIGHT, NAME_WIDTH, UTC_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter, "UTC (earliest bound)")  # fmt: skip
        t = first
        while self.x_of(t) <= area.right():
            x = self.x_of(t)
            painter.setPen(QPen(QColor("#e3e3e3"), 1))
            painter.drawLine(QPointF(x, MARGIN + AXIS_HEIGHT), QPointF(x, bottom))
            painter.setPen(QColor("#333333"))
            text = clock_time_text(t) if step < 60 else clock_time_text(t)[:-2]
            painter.drawText(QPointF(x - metrics.horizontalAdvance(text) / 2, MARGIN + 16), text)
            if zero is not None:
                utc = (zero + timedelta(seconds=t)).strftime("%H:%M:%S")
                painter.setPen(QColor("#1f5fa8"))
                painter.drawText(
                    QPointF(x - metrics.horizontalAdvance(utc) / 2, MARGIN + AXIS_HEIGHT + 14), utc
                )
            t += step

    def _draw_gaps(self, painter: QPainter, area: QRectF, bottom: float) -> None:
        self.gap_rects = []
        top = self._lanes_top()
        for gap in (self.clock or {}).get("gaps", []):
            x0, x1 = self.x_of(gap["start"]), self.x_of(gap["end"])
            rect = QRectF(x0, top, max(1.0, x1 - x0), bottom - top)
            painter.fillRect(rect, GAP_COLOUR)
            text = gap_label(float(gap["duration"]))
            self.gap_rects.append((rect, text))
            painter.setPen(QColor("#9b2c1c"))
            width = QFontMetrics(self.font()).horizontalAdvance(text)
            if rect.width() >= width + 4:
                painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                                 text)  # fmt: skip
            else:  # too narrow at this zoom: the label sits above the lanes
                painter.drawText(QPointF(rect.center().x() - width / 2, top - 4), text)

    def _draw_lanes(self, painter: QPainter, area: QRectF) -> None:
        metrics = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        for row, doc in enumerate(self.lanes):
            top = self._lanes_top() + row * self.lane_height()
            indent = 14 * int(doc.get("depth") or 0)
            name = f"{'↳ ' if doc.get('parent') else ''}#{doc['clip']['id']} {doc['clip']['name']}"
            fits = bold_metrics if doc.get("reference") else metrics
            shown = fits.elidedText(name, Qt.TextElideMode.ElideRight,
                                       NAME_WIDTH - MARGIN - indent - 6)  # fmt: skip
            painter.setPen(QColor("#222222"))
            painter.setFont(bold if doc.get("reference") else self.font())
            painter.drawText(QRectF(MARGIN + indent, top, NAME_WIDTH - MARGIN - indent,
                                    self.lane_height()), Qt.AlignmentFlag.AlignVCenter,
                             shown)  # fmt: skip
            painter.setFont(self.font())
            rect = self.lane_rect(row)
            colour = QColor(LANE_COLOURS[row % len(LANE_COLOURS)])
            painter.setClipRect(area)
            painter.fillRect(rect, colour.lighter(150))
            painter.setPen(QPen(colour, 1.5))
            painter.drawRect(rect)
            painter.setPen(QPen(QColor("#111111"), 1.5))
            for cut in doc.get("cuts", []):
                x = self.x_of(cut["clock_seconds"])
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + 8))
                painter.drawLine(QPointF(x, rect.bottom() - 8), QPointF(x, rect.bottom()))
            span = f"{clock_time_text(doc['start'])}–{clock_time_text(doc['end'])}"
            if rect.width() > metrics.horizontalAdvance(span) + 10:
                painter.setPen(QColor("#10243d"))
                painter.drawText(rect.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, span)
            painter.setClipping(False)

    def _draw_events(self, painter: QPainter, area: QRectF, bottom: float) -> None:
        self.event_marks = []
        metrics = QFontMetrics(self.font())
        y_text = self._lanes_top() - 6
        right_of_last = -1e9
        for event in sorted(self.events, key=lambda e: e["clock_seconds"]):
            x = self.x_of(event["clock_seconds"])
            if not area.left() <= x <= area.right():
                continue
            self.event_marks.append((x, event))
            painter.setPen(QPen(EVENT_COLOUR, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(x, y_text), QPointF(x, bottom))
            painter.setBrush(EVENT_COLOUR)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(QPointF(x, y_text + 2), 4, 4)
            label = metrics.elidedText(str(event["label"]), Qt.TextElideMode.ElideRight, 180)
            if x + 6 > right_of_last:  # labels never overprint: a crowded one shows on hover
                painter.setPen(EVENT_COLOUR)
                painter.drawText(QPointF(x + 6, y_text - 2), label)
                right_of_last = x + 6 + metrics.horizontalAdvance(label) + 8
        painter.setBrush(Qt.BrushStyle.NoBrush)

    # ----------------------------------------------------------- tooltips

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def tooltip_at(self, point: QPointF) -> str:
        """What hovering at ``point`` explains: an event, a gap or a lane."""
        for x, ev in self.event_marks:
            if abs(x - point.x()) <= 5:
                return (f"{ev['label']}\n{ev['clock_text']} on the incident clock\n"
                        f"clip #{ev['clip']['id']} {ev['clip']['name']}, frame {ev['frame_index']}"
                        f" ({clock_time_text(ev['at_seconds'])} in the clip)\n"
                        f"{ev.get('cross_reference', '')}")  # fmt: skip
        for rect, text in self.gap_rects:
            if rect.contains(point):
                return f"{text}: no clip of this incident shows this stretch"
        row = self.lane_at(point.y())
        if row is not None:
            doc = self.lanes[row]
            cuts = len(doc.get("cuts", []))
            parent = f"\nunder clip #{doc['parent']} (excerpt/re-upload)" if doc["parent"] else ""
            return (f"#{doc['clip']['id']} {doc['clip']['name']}\n"
                    f"{clock_time_text(doc['start'])}–{clock_time_text(doc['end'])} on the "
                    f"incident clock, {doc['frame_count']} frames, {cuts} cuts{parent}\n"
                    "Click to open the clips covering a moment")  # fmt: skip
        return ""

    # --------------------------------------------------------- navigation

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Zoom around the pointer, so the moment under it stays put."""
        x = event.position().x()
        anchor = self.seconds_at(x)
        factor = 1.25 ** (event.angleDelta().y() / 120)
        self.scale = min(2000.0, max(0.01, self.scale * factor))
        self.t0 = anchor - (x - NAME_WIDTH) / self.scale
        self.update()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._press_t0 = self.t0
            self._panning = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        dx = event.position().x() - self._press.x()
        if self._panning or abs(dx) >= DRAG_START:
            self._panning = True
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.t0 = self._press_t0 - dx / self.scale
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._press is None:
            return
        was_pan, self._press = self._panning, None
        self._panning = False
        self.setCursor(Qt.CursorShape.CrossCursor)
        if not was_pan and event.position().x() >= NAME_WIDTH:
            self.momentClicked.emit(round(self.seconds_at(event.position().x()), 6))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.clock is not None and event.oldSize().width() <= 0:
            self.fit()


class EventDialog(QDialog):
    """Label and note of an event (and, when adding, the clip it is marked on)."""

    def __init__(
        self, parent: QWidget, title: str, clips: list[tuple[int, str]] | None,
        label: str = "", note: str = "",
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        self.clip_box = QComboBox(self)
        if clips is not None:
            for clip_id, text in clips:
                self.clip_box.addItem(text, clip_id)
            form.addRow("Clip", self.clip_box)
        self.label_edit = QLineEdit(label, self)
        self.label_edit.setPlaceholderText("what happens, e.g. the prisoners lie face down")
        self.label_edit.setMinimumWidth(380)
        self.note_edit = QPlainTextEdit(note, self)
        self.note_edit.setPlaceholderText("what you see and why you mark it here")
        form.addRow("Label", self.label_edit)
        form.addRow("Note", self.note_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @property
    def clip_id(self) -> int | None:
        data = self.clip_box.currentData()
        return int(data) if data is not None else None


class IncidentView(QWidget):
    """One incident on its clock: the timeline, what covers the playhead, the events.

    For callers and tests: ``timeline`` (:class:`IncidentTimeline`), ``clock``,
    ``events``, ``coverage`` (the service's answer for the playhead),
    ``moment`` (clock seconds), ``coverage_label``, ``event_list``,
    ``add_button``/``edit_button``/``delete_button``, ``candidate_clip``,
    ``candidate_list``, ``accept_button``/``ignore_button``, ``player`` (the
    multi-clip window last opened) and :meth:`open_moment`.
    ``loaded`` is True once the clock is drawn.
    """

    def __init__(
        self, app: App, runner: TaskRunner, ref: str, case: CaseRecord | str | None = None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.app, self.runner, self.ref = app, runner, str(ref)
        # A case name is resolved on the worker with the first load (never on this thread).
        self.case: CaseRecord | None = case if isinstance(case, CaseRecord) else None
        self._case_name = case if isinstance(case, str) else None
        self.clock: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        self.coverage: dict[str, Any] | None = None
        self.moment: float | None = None
        self.player: IncidentPlayer | None = None
        self.candidates: list[dict[str, Any]] = []
        self.loaded = False
        self.setWindowTitle(f"Incident timeline — {self.ref}")

        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline = IncidentTimeline(self)
        self.timeline.momentClicked.connect(self.open_moment)
        fit = QPushButton("Show all", self)
        fit.setToolTip("Zoom to the whole clock (wheel zooms, drag pans)")
        fit.clicked.connect(self.timeline.fit)
        self.open_button = QPushButton("Open clips at this moment", self)
        self.open_button.clicked.connect(lambda: self.open_moment(self.moment or 0.0))
        self.coverage_label = QLabel("Click a moment on the timeline to open the clips "
                                     "covering it side by side.", self)  # fmt: skip
        self.coverage_label.setWordWrap(True)
        self.coverage_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        legend = QLabel(
            "<span style='color:#c0392b'>┆ event</span> · "
            "<span style='background:rgba(220,60,40,0.19)'>&nbsp;gap&nbsp;</span> "
            "no clip covers it · ticks on a lane: cuts · ↳ excerpt or re-upload under its "
            "source · <span style='color:#e67e22'>│</span> the moment shown · bold: the "
            "reference clip",
            self,
        )
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setWordWrap(True)

        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.summary)
        column.addWidget(self.timeline, 1)
        column.addWidget(legend)
        row = QHBoxLayout()
        row.addWidget(self.coverage_label, 1)
        row.addWidget(fit)
        row.addWidget(self.open_button)
        column.addLayout(row)

        right = QWidget(self)
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(QLabel("<b>Events</b> on the incident clock", self))
        self.event_list = QListWidget(self)
        self.event_list.setWordWrap(True)
        self.event_list.currentRowChanged.connect(lambda _r: self._enable())
        self.event_list.itemDoubleClicked.connect(lambda _i: self._event_moment())
        side.addWidget(self.event_list, 2)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add at this moment…", self)
        self.add_button.setToolTip("Mark the moment shown on a clip that covers it, at the "
                                   "frame on screen")  # fmt: skip
        self.add_button.clicked.connect(self.add_dialog)
        self.edit_button = QPushButton("Edit…", self)
        self.edit_button.clicked.connect(self.edit_dialog)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_current)
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        side.addLayout(buttons)
        side.addWidget(QLabel("<b>Loud sounds</b> (candidates, not named by the program)", self))
        pick = QHBoxLayout()
        self.candidate_clip = QComboBox(self)
        self.find_button = QPushButton("Find", self)
        self.find_button.setToolTip("List sudden loud sounds in this clip's soundtrack")
        self.find_button.clicked.connect(self.find_candidates)
        pick.addWidget(self.candidate_clip, 1)
        pick.addWidget(self.find_button)
        side.addLayout(pick)
        self.candidate_list = QListWidget(self)
        self.candidate_list.currentRowChanged.connect(lambda _r: self._enable())
        side.addWidget(self.candidate_list, 1)
        decide = QHBoxLayout()
        self.accept_button = QPushButton("Accept as event…", self)
        self.accept_button.clicked.connect(self.accept_dialog)
        self.ignore_button = QPushButton("Ignore", self)
        self.ignore_button.setToolTip("Leave it out of the list; nothing is stored")
        self.ignore_button.clicked.connect(self.ignore_current)
        decide.addWidget(self.accept_button)
        decide.addWidget(self.ignore_button)
        side.addLayout(decide)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 360])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.resize(1300, 720)
        self._enable()
        self.reload()

    # --------------------------------------------------------------- loading

    def reload(self) -> None:
        app, ref, case, name = self.app, self.ref, self.case, self._case_name

        def work(ctx: TaskContext) -> tuple[CaseRecord, dict[str, Any], dict[str, Any]]:
            record = case or resolve_case(app, name)
            return record, incident_clock(app, ref, record), incident_events(app, ref, record)

        self.runner.run(work, on_done=self._show)

    def _show(self, result: tuple[CaseRecord, dict[str, Any], dict[str, Any]]) -> None:
        self.case, clock, listing = result
        self.clock, self.events = clock, list(listing["events"])
        head = clock["incident"]
        name = head.get("name") or f"Unnamed incident ({head['ref']})"
        self.setWindowTitle(f"Incident timeline — {name}")
        self.title.setText(f"<b>{_escape(name)}</b> · {len(clock['clips'])} clips on the clock, "
                           f"{clock_time_text(clock['length'])} long")  # fmt: skip
        self.summary.setText(self._summary_text(clock))
        self.timeline.set_clock(clock, self.events)
        self.event_list.clear()
        for event in self.events:
            where = event["clock_text"] or "not on the clock"
            item = QListWidgetItem(f"{where}  {event['label']}\n{event['cross_reference']}"
                                   f", frame {event['frame_index']}")  # fmt: skip
            item.setToolTip(event.get("note") or "")
            self.event_list.addItem(item)
        current = self.candidate_clip.currentData()
        self.candidate_clip.clear()
        for doc in clock["clips"]:
            self.candidate_clip.addItem(f"#{doc['clip']['id']} {doc['clip']['name']}",
                                        doc["clip"]["id"])  # fmt: skip
        if current is not None:
            self.candidate_clip.setCurrentIndex(max(0, self.candidate_clip.findData(current)))
        self.loaded = True
        self._enable()

    @staticmethod
    def _summary_text(clock: dict[str, Any]) -> str:
        parts = []
        gaps = clock["gaps"]
        if gaps:
            total = sum(g["duration"] for g in gaps)
            parts.append(f"{len(gaps)} gap{'s' if len(gaps) != 1 else ''} no clip covers "
                         f"({total:.1f} s in all)")  # fmt: skip
        else:
            parts.append("no gaps: the clips cover the whole clock")
        absolute = clock.get("absolute")
        if absolute and absolute.get("zero_earliest_utc"):
            zone = (absolute.get("zone") or {}).get("name")
            parts.append(f"clock zero between {absolute['zero_earliest_utc']} and "
                         f"{absolute.get('zero_latest_utc') or 'open'} UTC"
                         + (f" ({zone})" if zone else ""))  # fmt: skip
        else:
            parts.append("no time finding dates the clock: times are relative")
        for item in clock["not_placed"]:
            parts.append(f"not placed: #{item['clip']['id']} {item['clip']['name']}: "
                         f"{item['reason']}")  # fmt: skip
        for warning in clock["warnings"]:
            parts.append(f"warning: {warning['message']}")
        return " ".join(p[0].upper() + p[1:] + "." for p in parts)

    # --------------------------------------------------------------- moments

    def open_moment(self, seconds: float) -> None:
        """Ask which clips cover ``seconds`` and open them side by side at their frames."""
        self._locate(seconds, open_player=True)

    def _locate(self, seconds: float, open_player: bool) -> None:
        app, ref, case = self.app, self.ref, self.case
        if case is None:
            return  # not loaded yet: there is no clock to click on
        self.moment = float(seconds)
        self.timeline.set_playhead(self.moment)

        def done(coverage: dict[str, Any]) -> None:
            self.coverage = coverage
            self.coverage_label.setText(self._coverage_text(coverage))
            self._enable()
            if open_player:
                self._open_player(coverage)

        self.runner.run(lambda ctx: coverage_at(app, ref, seconds, case), on_done=done)

    @staticmethod
    def _coverage_text(coverage: dict[str, Any]) -> str:
        parts = []
        for entry in coverage["clips"]:
            clip = f"#{entry['clip']['id']}"
            if entry["covers"]:
                parts.append(f"{clip} frame {entry['frame_index']}")
            else:
                parts.append(f"{clip}: no footage")
        return f"{coverage['clock_text']} on the incident clock: " + ", ".join(parts)

    def _open_player(self, coverage: dict[str, Any]) -> None:
        if self.clock is None or len(self.clock["clips"]) < 2:
            return
        ids = choose_clips(self.clock, coverage)
        player = self.player
        if player is not None and [p.clip_id for p in player.panes] == ids and player.isVisible():
            player.go_to_moment(coverage["clock_seconds"])
            player.raise_()
            return
        if player is not None:
            player.close()
        assert self.case is not None  # the clock is loaded, so is the case
        player = IncidentPlayer(self.app, self.runner, self.case, self.clock, ids,
                                coverage["clock_seconds"], self)  # fmt: skip
        player.momentChanged.connect(self._follow_player)
        self.player = player
        player.show()

    def _follow_player(self, seconds: float) -> None:
        """The player stepped: the playhead and what covers it follow."""
        if self.player is not None and self.player.coverage is not None:
            self.moment = seconds
            self.coverage = self.player.coverage
            self.timeline.set_playhead(seconds)
            self.coverage_label.setText(self._coverage_text(self.coverage))
            self._enable()

    def _event_moment(self) -> None:
        event = self.current_event()
        if event is not None and event["clock_seconds"] is not None:
            self.open_moment(event["clock_seconds"])

    # ---------------------------------------------------------------- events

    def current_event(self) -> dict[str, Any] | None:
        row = self.event_list.currentRow()
        return self.events[row] if 0 <= row < len(self.events) else None

    def _enable(self) -> None:
        covering = bool(self.coverage and any(c["covers"] for c in self.coverage["clips"]))
        self.add_button.setEnabled(covering)
        self.open_button.setEnabled(self.moment is not None)
        on = self.current_event() is not None
        self.edit_button.setEnabled(on)
        self.delete_button.setEnabled(on)
        picked = 0 <= self.candidate_list.currentRow() < len(self.candidates)
        self.accept_button.setEnabled(picked)
        self.ignore_button.setEnabled(picked)
        self.find_button.setEnabled(self.candidate_clip.count() > 0)

    def covering_clips(self) -> list[tuple[int, int, str]]:
        """(clip id, frame, text) of the clips covering the moment shown."""
        out = []
        for entry in (self.coverage or {}).get("clips", []):
            if entry["covers"] and entry["frame_index"] is not None:
                at = clock_time_text(entry["clip_seconds"])
                clip = f"#{entry['clip']['id']} {entry['clip']['name']}"
                text = f"{clip} — frame {entry['frame_index']} ({at})"
                out.append((int(entry["clip"]["id"]), int(entry["frame_index"]), text))
        return out

    def add_dialog(self) -> None:
        clips = self.covering_clips()
        if not clips:
            self.runner.show_error("No clip has footage at this moment: choose a moment on a lane.")
            return
        dialog = EventDialog(self, "Add an event", [(c, text) for c, _f, text in clips])
        frames = {c: f for c, f, _t in clips}

        def accepted() -> None:
            clip_id = dialog.clip_id
            if clip_id is not None:
                self.add_event(clip_id, frames[clip_id], dialog.label_edit.text(),
                               dialog.note_edit.toPlainText())  # fmt: skip

        dialog.accepted.connect(accepted)
        self.dialog = dialog
        dialog.open()

    def add_event(self, clip_id: int, frame: int, label: str, note: str) -> None:
        """Store an event on ``clip_id`` at ``frame`` (the frame on screen), then redraw."""
        app, case = self.app, self.case
        self._save(lambda: add_event(app, str(clip_id), label=label, frame=frame, note=note,
                                     case=case))  # fmt: skip

    def edit_dialog(self) -> None:
        event = self.current_event()
        if event is None:
            return
        dialog = EventDialog(self, f"Edit event #{event['id']}", None, event["label"],
                             event.get("note") or "")  # fmt: skip
        app = self.app

        def accepted() -> None:
            label, note = dialog.label_edit.text(), dialog.note_edit.toPlainText()
            self._save(lambda: edit_event(app, EventId(event["id"]), label=label, note=note,
                                          expected_version=event["version"]))  # fmt: skip

        dialog.accepted.connect(accepted)
        self.dialog = dialog
        dialog.open()

    def delete_current(self) -> None:
        event = self.current_event()
        if event is None:
            return
        app = self.app
        self._save(lambda: delete_event(app, EventId(event["id"]),
                                        expected_version=event["version"]))  # fmt: skip

    def _save(self, action: Any) -> None:
        def failed(exc: BaseException) -> None:
            self.runner.show_error(describe_error(exc), "Event")
            self.reload()

        self.runner.run(lambda ctx: action(), on_done=lambda _r: self.reload(), on_error=failed)

    # ------------------------------------------------------------ candidates

    def find_candidates(self) -> None:
        clip_id = self.candidate_clip.currentData()
        if clip_id is None:
            return
        app, case = self.app, self.case
        self.candidate_list.clear()
        self.candidate_list.addItem("Listening…")

        def done(found: list[dict[str, Any]]) -> None:
            self.candidates = [c for c in found if c.get("accepted_as") is None]
            self.candidate_list.clear()
            for c in self.candidates:
                where = f"{c['time']:.3f} s, frame {c['frame_index']}"
                self.candidate_list.addItem(
                    f"{where}: {c['description']} ({c['strength_db']:.1f} dB)"
                )
            if not self.candidates:
                self.candidate_list.addItem("No sudden loud sound found (or all accepted).")
            self._candidates_of = int(clip_id)
            self._enable()

        def failed(exc: BaseException) -> None:
            self.candidates = []
            self.candidate_list.clear()
            self.candidate_list.addItem(describe_error(exc))
            self._enable()

        self.runner.run(lambda ctx: event_candidates(app, str(clip_id), case), on_done=done,
                        on_error=failed)  # fmt: skip

    def accept_dialog(self) -> None:
        row = self.candidate_list.currentRow()
        if not 0 <= row < len(self.candidates):
            return
        found = self.candidates[row]
        clip_id = self._candidates_of
        dialog = EventDialog(self, f"Accept the sound at {found['time']:.3f} s", None)
        dialog.label_edit.setPlaceholderText("your own words: what you hear and see here")
        app, case = self.app, self.case

        def accepted() -> None:
            label, note = dialog.label_edit.text(), dialog.note_edit.toPlainText()
            self.candidates.pop(row)
            self.candidate_list.takeItem(row)
            self._save(lambda: accept_candidate(app, str(clip_id), found["time"], label=label,
                                                note=note, case=case))  # fmt: skip

        dialog.accepted.connect(accepted)
        self.dialog = dialog
        dialog.open()

    def ignore_current(self) -> None:
        """Drop a candidate from the list (nothing is stored: it was only a suggestion)."""
        row = self.candidate_list.currentRow()
        if 0 <= row < len(self.candidates):
            self.candidates.pop(row)
            self.candidate_list.takeItem(row)
        self._enable()

    def closeEvent(self, event: QCloseEvent) -> None:
        """The clips opened from this view close with it (their decoders too)."""
        if self.player is not None:
            self.player.close()
        super().closeEvent(event)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
