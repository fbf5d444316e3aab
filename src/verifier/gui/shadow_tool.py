"""The shadow tool: draw an object, its shadow and a reference line; find when it was filmed.

On the frame on screen the analyst draws three lines, two clicks each (or
picks line annotations already on that frame): the object from its base to
its top, the shadow from the same base to its tip, and a reference line
whose true bearing they know from the map, drawn in the direction of that
bearing. With the bearing and the dates (by default the clip's own time
window), **Find times** runs :func:`verifier.services.shadows.measure` on a
worker thread and shows the measured bearing and ratio with their error,
every matching window in UTC and local time, and the sun-path figure.
**Create time finding** records the chosen windows as a time finding with
the whole calculation, the lines and the figure; the Time tab then lists it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import partial
from typing import Any

from PySide6.QtCore import QDate, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from verifier.geo.shadow import DEFAULT_PIXEL_ERROR, Line
from verifier.gui.canvas import Box, FrameCanvas, _haloed
from verifier.gui.landmarks import FigureView
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.ids import ClipId
from verifier.services.chronolocation import CONFIDENCES
from verifier.services.context import App
from verifier.services.shadows import ROLES, ShadowRun, create_time_finding, measure
from verifier.services.shadows import shadow_context as load_context

#: The three lines in the order they are drawn, with what the button says.
ROLE_TEXT = {
    "object": "Object: base → top",
    "shadow": "Shadow: base → tip",
    "reference": "Reference: along its bearing",
}
HINT = (
    "Click the two ends of each line on the frame (wheel zooms, drag pans when not drawing). "
    "The object is something vertical; its shadow starts at the same base; the reference "
    "is a road or wall whose true bearing you read on the map, drawn in the direction of "
    "that bearing. Angles are read in the image: best for a view from above."
)


#: Each line in its own colour, so that object, shadow and reference are told apart.
ROLE_COLOURS = {"object": "#ffd200", "shadow": "#4fc3ff", "reference": "#7be37b"}
#: What the next two clicks draw, said on the frame.
ROLE_HINTS = {
    "object": "Object: click its base, then its top.",
    "shadow": "Shadow: click its base (the object's foot), then its tip.",
    "reference": "Reference: click one end, then the end its bearing points to.",
}


class TwoClickCanvas(FrameCanvas):
    """A frame canvas where a line is two clicks (the second ends it), each of the three
    lines drawn in its role's colour with an arrow at its end and its role beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint_text = ROLE_HINTS["object"]

    def _add_vertex(self, point: QPointF) -> None:
        super()._add_vertex(point)
        if len(self.vertices) >= 2:
            self.finish_drawing()

    def _paint_boxes(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for box in self.boxes:
            if len(box.points) < 2:
                continue
            colour = QColor(ROLE_COLOURS.get(box.label, "#ffd200"))
            a, b = (self.frame_to_widget(p) for p in box.points[:2])
            angle = math.atan2(b.y() - a.y(), b.x() - a.x())
            head = [QPointF(b.x() - 12 * math.cos(angle + s), b.y() - 12 * math.sin(angle + s))
                    for s in (0.45, -0.45)]  # fmt: skip
            arrow = QPolygonF([a, b, head[0], b, head[1]])
            _haloed(painter, colour, 2, partial(painter.drawPolyline, arrow))
            self._paint_tag(painter, box.label, QPointF(b.x() + 6, b.y()), colour)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_hint(self, painter: QPainter) -> None:
        text = f"{self.hint_text}  Esc cancels."
        metrics = painter.fontMetrics()
        needed = metrics.horizontalAdvance(text) + 24
        width = min(needed, self.width() - 8)
        if needed > width:  # only a narrow canvas cuts the hint short
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, int(width) - 16)
        area = QRectF(4, 4, width, metrics.height() + 8)
        painter.fillRect(area, QColor(0, 0, 0, 170))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(area.adjusted(8, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, text)


def _offset(moment: datetime) -> str:
    """The UTC offset as +03:00 (strftime's %z gives +0300)."""
    text = moment.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def _fmt_line(line: Line) -> str:
    return f"({line.x1:.0f}, {line.y1:.0f}) → ({line.x2:.0f}, {line.y2:.0f}), {line.length:.0f} px"


class ShadowToolDialog(QDialog):
    """Measure a shadow on one frame of a clip, find the times it fits, record one."""

    #: A time finding was recorded: its id.
    findingCreated = Signal(int)

    def __init__(
        self,
        parent: QWidget | None,
        app: App,
        runner: TaskRunner,
        clip_id: int,
        frame: int,
        image: QImage | None,
        frame_size: QSize,
    ) -> None:
        super().__init__(parent)
        self.app, self.runner = app, runner
        self.clip_id, self.frame = clip_id, frame
        self.run: ShadowRun | None = None
        self.lines: dict[str, Line | None] = dict.fromkeys(ROLES)
        self.picked: dict[str, int | None] = dict.fromkeys(ROLES)
        self._annotations: dict[int, dict[str, Any]] = {}
        self.setWindowTitle(f"Shadow tool: clip #{clip_id}, frame {frame}")
        self.setObjectName("shadowToolDialog")

        self.canvas = TwoClickCanvas(self)
        self.canvas.placeholder = "No frame"
        self.canvas.set_frame(image, frame_size)
        self.canvas.set_draw_shape("line")
        self.canvas.draw_mode = True
        self.canvas.shapeDrawn.connect(self._drawn)
        hint = QLabel(HINT, self)
        hint.setWordWrap(True)
        hint.setObjectName("shadowHint")

        self.role_group = QButtonGroup(self)
        self.role_buttons: dict[str, QRadioButton] = {}
        self.line_labels: dict[str, QLabel] = {}
        self.pickers: dict[str, QComboBox] = {}
        lines = QGridLayout()
        lines.setHorizontalSpacing(8)
        lines.setVerticalSpacing(2)
        for row, role in enumerate(ROLES):
            button = QRadioButton(ROLE_TEXT[role], self)
            self.role_group.addButton(button, row)
            self.role_buttons[role] = button
            label = QLabel("not drawn", self)
            label.setObjectName("shadowLineState")
            self.line_labels[role] = label
            picker = QComboBox(self)
            picker.addItem("or an annotation…", None)
            picker.setToolTip("Use a line annotation already on this frame instead")
            picker.currentIndexChanged.connect(lambda _i, r=role: self._picked(r))
            self.pickers[role] = picker
            swatch = QLabel(f"<span style='color:{ROLE_COLOURS[role]}'>━━▶</span>", self)
            swatch.setTextFormat(Qt.TextFormat.RichText)
            lines.addWidget(swatch, row, 0)
            lines.addWidget(button, row, 1)
            lines.addWidget(label, row, 2)
            lines.addWidget(picker, row, 3)
        lines.setColumnStretch(2, 1)
        self.role_buttons["object"].setChecked(True)
        self.role_group.idToggled.connect(self._role_changed)

        left = QWidget(self)
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.canvas, 1)
        left_box.addLayout(lines)
        left_box.addWidget(hint)

        self.bearing = QDoubleSpinBox(self)
        self.bearing.setRange(0.0, 360.0)
        self.bearing.setDecimals(1)
        self.bearing.setSuffix("°")
        self.bearing.setWrapping(True)
        self.reference_error = QDoubleSpinBox(self)
        self.reference_error.setRange(0.0, 45.0)
        self.reference_error.setDecimals(1)
        self.reference_error.setValue(1.0)
        self.reference_error.setPrefix("± ")
        self.reference_error.setSuffix("°")
        self.source = QLineEdit(self)
        self.source.setPlaceholderText("where the bearing comes from, e.g. OSM way 4211, satellite")
        self.pixel_error = QDoubleSpinBox(self)
        self.pixel_error.setRange(0.0, 50.0)
        self.pixel_error.setDecimals(1)
        self.pixel_error.setValue(DEFAULT_PIXEL_ERROR)
        self.pixel_error.setPrefix("± ")
        self.pixel_error.setSuffix(" px at each end")
        self.date_from = QDateEdit(self)
        self.date_to = QDateEdit(self)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setDate(QDate.currentDate())
        self._clip_dates: tuple[str, str] | None = None
        self._clip_dates_source: str | None = None
        self._dates_edited = False
        self._setting_dates = False
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self._dates_changed(edited=True))
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to", self))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        self.dates_note = QLabel("", self)
        self.dates_note.setWordWrap(True)
        self.use_ratio = QCheckBox("Also match the length ratio (needs a near-orthographic view)")
        self.use_ratio.setChecked(True)
        self.place = QLabel("…", self)
        self.place.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Reference bearing:", self._pair(self.bearing, self.reference_error))
        form.addRow("Bearing source:", self.source)
        form.addRow("Drawing error:", self.pixel_error)
        form.addRow("Dates (local):", dates)
        form.addRow("", self.dates_note)
        form.addRow("Place:", self.place)
        form.addRow("", self.use_ratio)

        self.find_button = QPushButton("Find times", self)
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.start)
        self.measured = QLabel("Draw the three lines, enter the bearing, then Find times.")
        self.measured.setObjectName("shadowMeasured")
        self.measured.setWordWrap(True)
        self.measured.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.windows = QListWidget(self)
        self.windows.setObjectName("shadowWindows")
        self.windows.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.windows.setMaximumHeight(self.fontMetrics().height() * 5 + 8)
        self.windows.itemSelectionChanged.connect(self._sync_create)
        self.figure = FigureView(self)
        self.figure.setText("The sun-path figure appears here.")
        self.confidence = QComboBox(self)
        for value in CONFIDENCES:
            if value != "rejected":
                self.confidence.addItem(value)
        self.confidence.setCurrentText("probable")
        self.create_button = QPushButton("Create time finding", self)
        self.create_button.setEnabled(False)
        self.create_button.clicked.connect(self.create)
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)
        self.stored = QLabel("", self)
        self.stored.setWordWrap(True)
        self.stored.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        create_row = QHBoxLayout()
        create_row.addWidget(QLabel("Confidence:", self))
        create_row.addWidget(self.confidence)
        create_row.addWidget(self.create_button)
        create_row.addStretch(1)
        create_row.addWidget(close)

        right = QWidget(self)
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addLayout(form)
        right_box.addWidget(self.find_button, 0, Qt.AlignmentFlag.AlignLeft)
        right_box.addWidget(self.measured)
        right_box.addWidget(self.windows)
        right_box.addWidget(self.figure, 1)
        right_box.addWidget(self.stored)
        right_box.addLayout(create_row)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        screen = self.screen().availableGeometry()
        self.resize(min(1500, int(screen.width() * 0.96)), min(980, int(screen.height() * 0.94)))
        splitter.setSizes([self.width() // 2, self.width() // 2])
        self._load_context()

    @staticmethod
    def _pair(a: QWidget, b: QWidget) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(a, 1)
        box.addWidget(b, 1)
        return row

    # ------------------------------------------------------------ the lines

    def _load_context(self) -> None:
        clip_id, frame = self.clip_id, self.frame
        self.runner.run(lambda ctx: load_context(self.app, ClipId(clip_id), frame),
                        on_done=self._show_context,
                        on_error=lambda exc: self.place.setText(describe_error(exc)))  # fmt: skip

    def _show_context(self, context: dict[str, Any]) -> None:
        self.place.setText(
            context["place"] or "none: add a geolocation to the clip (Geolocation tab) first"
        )
        self._clip_dates = context["dates"]
        self._clip_dates_source = context["dates_source"]
        if context["dates"] and not self._dates_edited:
            first, last = (QDate.fromString(d, "yyyy-MM-dd") for d in context["dates"])
            self._setting_dates = True
            self.date_from.setDate(first)
            self.date_to.setDate(last)
            self._setting_dates = False
        self._dates_changed()
        self._annotations = {a["id"]: a for a in context["line_annotations"]}
        for picker in self.pickers.values():
            for ident, annotation in self._annotations.items():
                note = f" {annotation['note']}" if annotation["note"] else ""
                picker.addItem(f"#{ident} {annotation['label']}{note}"[:60], ident)

    def _role_changed(self, index: int, checked: bool) -> None:
        if checked:
            self.canvas.cancel_drawing()
            self.canvas.hint_text = ROLE_HINTS[list(ROLES)[index]]
            self.canvas.update()

    def _dates(self) -> tuple[str, str]:
        return (self.date_from.date().toString("yyyy-MM-dd"),
                self.date_to.date().toString("yyyy-MM-dd"))  # fmt: skip

    def _dates_changed(self, edited: bool = False) -> None:
        """Say where the dates come from: the clip's time window, or the person."""
        if edited and not self._setting_dates:
            self._dates_edited = True
        clip = self._clip_dates
        if clip is None:
            self.dates_note.setText("The clip has no time window closed at both ends: "
                                    "choose the dates.")  # fmt: skip
        elif self._dates() == tuple(clip):
            self.dates_note.setText(f"From {self._clip_dates_source}.")
        else:
            self.dates_note.setText(f"Chosen here; {self._clip_dates_source} gives "
                                    f"{clip[0]} to {clip[1]}.")  # fmt: skip

    def current_role(self) -> str:
        return list(ROLES)[max(self.role_group.checkedId(), 0)]

    def set_line(self, role: str, line: Line | None, annotation_id: int | None = None) -> None:
        """Take ``line`` (frame pixels) as the object, shadow or reference line."""
        self.lines[role] = line
        self.picked[role] = annotation_id
        if annotation_id is None and self.pickers[role].currentIndex() != 0:
            self.pickers[role].blockSignals(True)
            self.pickers[role].setCurrentIndex(0)
            self.pickers[role].blockSignals(False)
        if line is None:
            self.line_labels[role].setText("not drawn")
        else:
            where = f"annotation #{annotation_id}: " if annotation_id is not None else ""
            self.line_labels[role].setText(where + _fmt_line(line))
        self._show_lines()

    def _drawn(self, kind: str, vertices: list[QPointF]) -> None:
        if kind != "line" or len(vertices) < 2:
            return
        a, b = vertices[0], vertices[-1]
        role = self.current_role()
        self.set_line(role, Line(a.x(), a.y(), b.x(), b.y()))
        # On to the next line still to draw.
        for index, other in enumerate(ROLES):
            if self.lines[other] is None:
                self.role_group.button(index).setChecked(True)
                break

    def _picked(self, role: str) -> None:
        ident = self.pickers[role].currentData()
        if ident is None:
            return
        self.set_line(role, Line.of(self._annotations[ident]["points"]), ident)

    def _show_lines(self) -> None:
        boxes = []
        for index, role in enumerate(ROLES):
            line = self.lines[role]
            if line is None:
                continue
            a, b = QPointF(line.x1, line.y1), QPointF(line.x2, line.y2)
            boxes.append(Box(-(index + 1), QRectF(a, b).normalized(), role, shape="line",
                             points=(a, b)))  # fmt: skip
        self.canvas.set_boxes(boxes)

    # ------------------------------------------------------------ measuring

    def _inputs(self) -> dict[str, Any]:
        missing = [ROLE_TEXT[r].split(":")[0].lower() for r in ROLES if self.lines[r] is None]
        if missing:
            names = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1
                                 else missing)  # fmt: skip
            raise ValueError(f"Draw the {names} line{'s' if len(missing) > 1 else ''} first.")
        return {
            f"{role}_line": self.picked[role] if self.picked[role] is not None else self.lines[role]
            for role in ROLES
        }

    def start(self) -> None:
        """Measure and search on a worker thread."""
        try:
            lines = self._inputs()
        except ValueError as exc:
            self.runner.show_error(str(exc), "Shadow tool")
            return
        first = date.fromisoformat(self.date_from.date().toString("yyyy-MM-dd"))
        last = date.fromisoformat(self.date_to.date().toString("yyyy-MM-dd"))
        args = dict(
            lines, reference_bearing=self.bearing.value(), reference_source=self.source.text(),
            reference_error=self.reference_error.value(), pixel_error=self.pixel_error.value(),
            date_from=first, date_to=last, use_ratio=self.use_ratio.isChecked(),
        )  # fmt: skip
        clip_id, frame = self.clip_id, self.frame
        self.find_button.setEnabled(False)
        self.create_button.setEnabled(False)
        self.measured.setText("Searching…")

        def work(ctx: TaskContext) -> ShadowRun:
            return measure(self.app, str(clip_id), frame, **args)

        self.runner.run(work, on_done=self._show, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.find_button.setEnabled(True)
        self.measured.setText(describe_error(exc))
        self.runner.show_error(describe_error(exc), "Shadow tool")

    def _show(self, run: ShadowRun) -> None:
        self.run = run
        self.find_button.setEnabled(True)
        m, zone = run.measure, run.zone
        ratio = (f"length ratio {m.ratio:.2f} (from {m.ratio_low:.2f} to {m.ratio_high:.2f})"
                 if run.measurement.ratio is not None
                 else f"length ratio {m.ratio:.2f}, not used")  # fmt: skip
        self.measured.setText(
            f"<b>Shadow bearing {m.shadow_bearing:.1f}° ± {m.bearing_error:.1f}°</b> (the sun at "
            f"azimuth {m.sun_azimuth:.1f}°), {ratio}. "
            f"<b>{len(run.windows)} matching window(s)</b> at {run.place.describe()}, "
            f"{run.search.first_day} to {run.search.last_day}; times in UTC and "
            f"{'local time, ' + zone.name if zone.note is None else 'UTC only (at sea)'}."
        )
        self.windows.clear()
        for number, window in enumerate(run.windows, start=1):
            local = lambda t: zone.local(t).strftime("%H:%M")  # noqa: E731
            text = (
                f"{number}. {window.start:%Y-%m-%d %H:%M}–{window.end:%H:%M} UTC · "
                f"local {zone.local(window.start):%Y-%m-%d} {local(window.start)}–"
                f"{local(window.end)} ({_offset(zone.local(window.start))}) · best "
                f"{local(window.best)}"
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, number - 1)
            self.windows.addItem(item)
        if run.windows:
            self.windows.setCurrentRow(0)
        self.figure.set_png(run.figure_png)
        self._sync_create()

    def _sync_create(self) -> None:
        self.create_button.setEnabled(self.run is not None and bool(self.chosen()))

    def chosen(self) -> list[int]:
        """Indices of the windows selected (the finding spans them)."""
        return sorted(item.data(Qt.ItemDataRole.UserRole) for item in self.windows.selectedItems())

    # ------------------------------------------------------------ recording

    def create(self) -> None:
        """Record the chosen windows as a time finding (on a worker thread)."""
        run, chosen = self.run, self.chosen()
        if run is None or not chosen:
            return
        confidence = self.confidence.currentText()
        self.create_button.setEnabled(False)

        def work(ctx: TaskContext) -> dict[str, Any]:
            return create_time_finding(self.app, run, windows=chosen, confidence=confidence)

        def done(found: dict[str, Any]) -> None:
            figure = found["figure"]
            self.stored.setText(
                f"Time finding #{found['id']} recorded (see the Time tab); the figure is file "
                f"#{figure['file_id']}, SHA-256 {figure['sha256'][:16]}…"
            )
            self.findingCreated.emit(int(found["id"]))

        def failed(exc: BaseException) -> None:
            self._sync_create()
            self.runner.show_error(describe_error(exc), "Create time finding")

        self.runner.run(work, on_done=done, on_error=failed)
