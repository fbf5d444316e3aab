"""The timeline under the viewer: shot thumbnails, cuts, annotations, matched segments.

Two rows over the clip's duration: marks (shot thumbnails as short grey ticks,
cuts and fades as tall red and orange lines, annotated frames as yellow
triangles) and matched segments (one band per other clip, blue), crossed by
the white playhead. A legend under it names each mark. Clicking or dragging
asks to jump to the frame under the mouse.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolTip, QWidget

from verifier.services.viewing import ClipView, format_seconds

MARK_COLOURS = {
    "cut": QColor(230, 60, 60),
    "fade": QColor(240, 150, 40),
    "first": QColor(150, 150, 150),
    "sample": QColor(120, 120, 120),
}
SPAN_COLOUR = QColor(70, 130, 220)
ANNOTATION_COLOUR = QColor(255, 210, 0)
PLAYHEAD_COLOUR = QColor(255, 255, 255)
#: What each mark means, in the order the legend lists them: (symbol, colour, words, tip).
LEGEND = (
    ("▮", MARK_COLOURS["cut"], "Cut", "A hard cut: a new shot starts (an edit point)"),
    ("▮", MARK_COLOURS["fade"], "Fade", "A fade: a new shot starts gradually (an edit point)"),
    ("▮", MARK_COLOURS["sample"], "Thumbnail",
     "A shot thumbnail the analysis chose (first frame or regular sample)"),
    ("▼", ANNOTATION_COLOUR, "Annotation", "A frame with an annotation"),
    ("▬", SPAN_COLOUR, "Match",
     "A stretch found in another clip (lower row, one band per other clip)"),
    ("┃", QColor(90, 90, 90), "Playhead", "The frame on screen (white on the timeline)"),
)  # fmt: skip
#: How the timeline names a mark in its tooltip.
MARK_WORDS = {"cut": "cut", "fade": "fade", "first": "first-frame thumbnail"}


class Timeline(QWidget):
    """A clickable overview of one clip."""

    seekRequested = Signal(int)

    MARGIN = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self._view: ClipView | None = None
        self._index = 0

    @property
    def view(self) -> ClipView | None:
        return self._view

    def set_view(self, view: ClipView | None) -> None:
        self._view = view
        self._index = 0
        self.update()

    def set_position(self, index: int) -> None:
        self._index = index
        self.update()

    # ------------------------------------------------------------ geometry

    def _length(self) -> float:
        view = self._view
        if view is None:
            return 0.0
        return max(view.duration, view.seconds_of(view.last_index), 1e-6)

    def x_of(self, seconds: float) -> float:
        usable = self.width() - 2 * self.MARGIN
        return self.MARGIN + usable * min(max(seconds / self._length(), 0.0), 1.0)

    def seconds_at(self, x: float) -> float:
        usable = max(1, self.width() - 2 * self.MARGIN)
        return (x - self.MARGIN) / usable * self._length()

    def index_at_x(self, x: float) -> int:
        assert self._view is not None
        return self._view.index_at(self.seconds_at(x))

    # -------------------------------------------------------------- events

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._view is not None and event.button() == Qt.MouseButton.LeftButton:
            self.seekRequested.emit(self.index_at_x(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._view is None:
            return
        x = event.position().x()
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seekRequested.emit(self.index_at_x(x))
            return
        seconds = self.seconds_at(x)
        tip = [format_seconds(max(seconds, 0.0))]
        y = event.position().y()
        if y > self.height() * 0.55:
            tip += [
                f"{span.relation} of {span.other_name}: "
                f"{format_seconds(span.start)}–{format_seconds(span.end)}"
                for span in self._view.spans
                if span.start <= seconds <= span.end
            ]
        near = [m for m in self._view.keyframes if abs(self.x_of(m.seconds) - x) < 3]
        tip += [
            f"{MARK_WORDS.get(m.kind, m.kind)} at frame {m.frame_index}"
            for m in near
            if m.kind != "sample"
        ]
        QToolTip.showText(event.globalPosition().toPoint(), "\n".join(tip), self)

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        height = self.height()
        bar = QRectF(self.MARGIN, 6, self.width() - 2 * self.MARGIN, height * 0.5)
        painter.fillRect(bar, QColor(45, 45, 45))
        view = self._view
        if view is None:
            painter.end()
            return
        for mark in view.keyframes:
            x = self.x_of(mark.seconds)
            colour = MARK_COLOURS.get(mark.kind, MARK_COLOURS["sample"])
            tall = mark.kind in ("cut", "fade")
            painter.setPen(QPen(colour, 2 if tall else 1))
            top = bar.top() if tall else bar.bottom() - bar.height() * 0.35
            painter.drawLine(QPointF(x, top), QPointF(x, bar.bottom()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ANNOTATION_COLOUR)
        for mark in view.annotations:
            x = self.x_of(mark.seconds)
            painter.drawPolygon(
                QPolygonF([QPointF(x - 4, bar.top()), QPointF(x + 4, bar.top()),
                           QPointF(x, bar.top() + 7)])
            )  # fmt: skip
        lane = QRectF(bar.left(), bar.bottom() + 4, bar.width(), height - bar.bottom() - 10)
        painter.fillRect(lane, QColor(35, 35, 35))
        # One thin row per other clip, so overlapping matches stay distinct.
        others = sorted({span.other_id for span in view.spans})
        row_height = (lane.height() - 2) / max(1, len(others))
        for span in view.spans:
            left, right = self.x_of(span.start), self.x_of(span.end)
            top = lane.top() + 1 + others.index(span.other_id) * row_height
            painter.fillRect(
                QRectF(left, top + 0.5, max(2.0, right - left), max(1.0, row_height - 1)),
                SPAN_COLOUR,
            )
        x = self.x_of(view.seconds_of(self._index))
        painter.setPen(QPen(PLAYHEAD_COLOUR, 2))
        painter.drawLine(QPointF(x, 2), QPointF(x, lane.bottom() + 2))
        painter.end()


class TimelineLegend(QWidget):
    """One line under the timeline naming what each mark and colour means."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineLegend")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(Timeline.MARGIN, 0, Timeline.MARGIN, 0)
        layout.setSpacing(12)
        self.labels: list[QLabel] = []
        for symbol, colour, words, tip in LEGEND:
            label = QLabel(f"<span style='color:{colour.name()}'>{symbol}</span> {words}", self)
            label.setToolTip(tip)
            layout.addWidget(label)
            self.labels.append(label)
        layout.addStretch(1)

    def entries(self) -> list[str]:
        """The words shown, left to right."""
        return [words for _symbol, _colour, words, _tip in LEGEND]
