"""The frame canvas: a frame with zoom, pan, a loupe and annotation shapes.

Coordinates: annotations and drawn shapes are in pixels of the upright,
full-resolution frame (what `verifier frame` exports), whatever size the
displayed image was decoded at. The canvas maps frame pixels to the widget
with one scale and one offset (:meth:`FrameCanvas.frame_to_widget`).

Drawing, in annotate mode: a rectangle by dragging, a point by a click, a
line (or polyline) and a polygon by one click per vertex, finished with a
double-click or Enter; Escape drops the shape in progress (and, with none in
progress, asks to leave annotate mode).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Zoom limits relative to "fit the frame in the window".
MIN_ZOOM, MAX_ZOOM = 1.0, 32.0
LOUPE_RADIUS = 90
LOUPE_FACTOR = 4.0
#: Shapes a person can draw, and the fewest clicks that make one.
DRAW_SHAPES = ("rect", "point", "line", "polygon")
MIN_VERTICES = {"line": 2, "polygon": 3}
#: Screen pixels: a point's marker radius, and how near a click must be to pick a point or line.
MARKER_RADIUS = 7
PICK_DISTANCE = 6
#: What to do, said on the frame while drawing each shape.
DRAW_HINTS = {
    "rect": "Rectangle: drag across the area.  Esc leaves annotate mode.",
    "point": "Point: click the spot.  Esc leaves annotate mode.",
    "line": "Line: click each vertex; double-click or Enter to finish.  Esc cancels.",
    "polygon": "Polygon: click each corner; double-click or Enter to close it.  Esc cancels.",
}


@dataclass(frozen=True)
class Box:
    """An annotation drawn on the frame: a rectangle, point, line or polygon."""

    annotation_id: int
    rect: QRectF  # frame pixels; the bounding box of the other shapes
    label: str
    selected: bool = False
    shape: str = "rect"
    points: tuple[QPointF, ...] = ()  # frame pixels (point, line, polygon)


class FrameCanvas(QWidget):
    """Shows one frame; emits shapes drawn on it in frame pixels."""

    rectangleDrawn = Signal(QRectF)
    #: A point, line or polygon was drawn: its kind and its vertices (QPointF, frame pixels).
    shapeDrawn = Signal(str, list)
    #: The first vertex of a line or polygon was placed.
    drawingStarted = Signal()
    #: Escape with no shape in progress: the person wants to stop annotating.
    leaveRequested = Signal()
    zoomChanged = Signal(float)
    boxClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._frame_size = QSize(0, 0)
        self._zoom = 1.0
        self._center = QPointF(0, 0)  # frame point at the widget's centre
        self._boxes: list[Box] = []
        self._drawing = False
        self._draw_start: QPointF | None = None
        self._draw_end: QPointF | None = None
        self._vertices: list[QPointF] = []  # a line or polygon in progress, frame pixels
        self._pan_from: QPointF | None = None
        self._cursor: QPointF | None = None
        self._draw_mode = False
        self.draw_shape = "rect"
        self.loupe = False
        self.placeholder = "Choose a clip"

    # ------------------------------------------------------------------ state

    @property
    def image(self) -> QImage | None:
        return self._image

    @property
    def frame_size(self) -> QSize:
        return self._frame_size

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_frame(self, image: QImage | None, frame_size: QSize) -> None:
        """Show ``image`` (any size) as a frame of ``frame_size`` full-resolution pixels."""
        if frame_size != self._frame_size:
            self._frame_size = QSize(frame_size)
            self._zoom = 1.0
            self._center = QPointF(frame_size.width() / 2, frame_size.height() / 2)
        self._image = image
        self.update()

    @property
    def draw_mode(self) -> bool:
        return self._draw_mode

    @draw_mode.setter
    def draw_mode(self, on: bool) -> None:
        if not on:
            self.cancel_drawing()
        self._draw_mode = on
        self.update()

    def set_draw_shape(self, shape: str) -> None:
        """Draw ``shape`` next (rect, point, line or polygon); drops a shape in progress."""
        if shape not in DRAW_SHAPES:
            raise ValueError(f"unknown shape {shape!r}")
        self.cancel_drawing()
        self.draw_shape = shape
        self.update()

    @property
    def vertices(self) -> list[QPointF]:
        """The vertices of the line or polygon being drawn (frame pixels)."""
        return list(self._vertices)

    def cancel_drawing(self) -> None:
        """Forget the shape in progress (rectangle drag or vertices)."""
        self._drawing = False
        self._draw_start = self._draw_end = None
        self._vertices = []
        self.update()

    def finish_drawing(self) -> bool:
        """End the line or polygon in progress; False while it has too few vertices."""
        need = MIN_VERTICES.get(self.draw_shape)
        if need is None or len(self._vertices) < need:
            return False
        vertices, kind = list(self._vertices), self.draw_shape
        self._vertices = []
        self.update()
        self.shapeDrawn.emit(kind, vertices)
        return True

    @property
    def boxes(self) -> list[Box]:
        """The annotations drawn on the frame now."""
        return list(self._boxes)

    def set_boxes(self, boxes: list[Box]) -> None:
        self._boxes = list(boxes)
        self.update()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom relative to fit; ``anchor`` (widget point) stays over the same frame point."""
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if anchor is not None and self._frame_size.width():
            before = self.widget_to_frame(anchor)
            self._zoom = zoom
            after = self.widget_to_frame(anchor)
            self._center += before - after
        else:
            self._zoom = zoom
        if zoom == MIN_ZOOM:
            self._center = QPointF(self._frame_size.width() / 2, self._frame_size.height() / 2)
        self._clamp_center()
        self.zoomChanged.emit(self._zoom)
        self.update()

    def fit(self) -> None:
        self.set_zoom(1.0)

    def display_side(self) -> int | None:
        """The longest side the displayed image needs, in device pixels; None = full size."""
        if self._zoom > 1.0 or self.loupe:
            return None
        ratio = self.devicePixelRatioF()
        fw, fh = self._frame_size.width(), self._frame_size.height()
        if not fw or not fh:
            return max(1, round(max(self.width(), self.height()) * ratio))
        scale = self._scale()
        side = round(max(fw, fh) * scale * ratio)
        return None if side >= max(fw, fh) else max(16, side)

    # ------------------------------------------------------------ geometry

    def _scale(self) -> float:
        fw, fh = self._frame_size.width(), self._frame_size.height()
        if not fw or not fh:
            return 1.0
        fit = min(self.width() / fw, self.height() / fh)
        return fit * self._zoom

    def frame_to_widget(self, point: QPointF) -> QPointF:
        scale = self._scale()
        centre = QPointF(self.width() / 2, self.height() / 2)
        return centre + (point - self._center) * scale

    def widget_to_frame(self, point: QPointF) -> QPointF:
        scale = self._scale()
        centre = QPointF(self.width() / 2, self.height() / 2)
        return self._center + (point - centre) / scale

    def frame_rect_to_widget(self, rect: QRectF) -> QRectF:
        return QRectF(
            self.frame_to_widget(rect.topLeft()), self.frame_to_widget(rect.bottomRight())
        )

    def _clamp_center(self) -> None:
        fw, fh = self._frame_size.width(), self._frame_size.height()
        scale = self._scale()
        half_w, half_h = self.width() / 2 / scale, self.height() / 2 / scale
        x = min(max(self._center.x(), min(half_w, fw / 2)), max(fw - half_w, fw / 2))
        y = min(max(self._center.y(), min(half_h, fh / 2)), max(fh - half_h, fh / 2))
        self._center = QPointF(x, y)

    def _clip_to_frame(self, point: QPointF) -> QPointF:
        fw, fh = self._frame_size.width(), self._frame_size.height()
        return QPointF(min(max(point.x(), 0.0), fw), min(max(point.y(), 0.0), fh))

    # -------------------------------------------------------------- events

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._clamp_center()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps and self._frame_size.width():
            self.set_zoom(self._zoom * (1.25**steps), event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        if event.button() != Qt.MouseButton.LeftButton or not self._frame_size.width():
            return super().mousePressEvent(event)
        position = event.position()
        if self.draw_mode:
            point = self._clip_to_frame(self.widget_to_frame(position))
            if self.draw_shape == "point":
                self.shapeDrawn.emit("point", [point])
            elif self.draw_shape in MIN_VERTICES:
                self._add_vertex(point)
            else:
                self._drawing = True
                self._draw_start = point
                self._draw_end = self._draw_start
        else:
            hit = self._box_at(position)
            if hit is not None:
                self.boxClicked.emit(hit)
            self._pan_from = position
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        position = event.position()
        self._cursor = position
        if self._drawing:
            self._draw_end = self._clip_to_frame(self.widget_to_frame(position))
        elif self._pan_from is not None:
            delta = position - self._pan_from
            self._pan_from = position
            self._center -= delta / self._scale()
            self._clamp_center()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        if self._drawing and self._draw_start is not None:
            end = self._clip_to_frame(self.widget_to_frame(event.position()))
            rect = QRectF(self._draw_start, end).normalized()
            self._drawing = False
            self._draw_start = self._draw_end = None
            # A click, not a drag: at least 2 screen pixels each way.
            scale = self._scale()
            if rect.width() * scale >= 2 and rect.height() * scale >= 2:
                self.rectangleDrawn.emit(rect)
        self._pan_from = None
        self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        # The double-click's place is the last vertex (its first press, when delivered,
        # already added it: _add_vertex ignores the repeat); the double-click ends the shape.
        if self.draw_mode and self.draw_shape in MIN_VERTICES and self._frame_size.width():
            self._add_vertex(self._clip_to_frame(self.widget_to_frame(event.position())))
            self.finish_drawing()
            event.accept()
            return
        self.mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if self.draw_mode and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish_drawing()
        elif self.draw_mode and key == Qt.Key.Key_Escape:
            if self._vertices or self._drawing:
                self.cancel_drawing()
            else:
                self.leaveRequested.emit()
        elif self.draw_mode and key == Qt.Key.Key_Backspace and self._vertices:
            self._vertices.pop()
            self.update()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _add_vertex(self, point: QPointF) -> None:
        if self._vertices and _screen_distance(self, self._vertices[-1], point) < 3:
            return  # a double-click's second press, or a click on the same spot
        self._vertices.append(point)
        if len(self._vertices) == 1:
            self.drawingStarted.emit()
        self.update()

    def leaveEvent(self, event: object) -> None:
        self._cursor = None
        self.update()

    def _box_at(self, position: QPointF) -> int | None:
        point = self.widget_to_frame(position)
        for box in reversed(self._boxes):
            if self._hits(box, point, position):
                return box.annotation_id
        return None

    def _hits(self, box: Box, point: QPointF, position: QPointF) -> bool:
        """Whether a click at ``position`` (widget) picks ``box``: inside, or near its line."""
        if box.shape == "polygon" and len(box.points) >= 3:
            return QPolygonF(list(box.points)).containsPoint(point, Qt.FillRule.OddEvenFill)
        if box.shape == "point" and box.points:
            distance = QLineF(self.frame_to_widget(box.points[0]), position).length()
            return distance <= MARKER_RADIUS + 2
        if box.shape == "line" and len(box.points) >= 2:
            on_screen = [self.frame_to_widget(p) for p in box.points]
            return any(
                _segment_distance(position, a, b) <= PICK_DISTANCE
                for a, b in itertools.pairwise(on_screen)
            )
        return box.rect.contains(point)

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 24))
        if self._image is None or not self._frame_size.width():
            painter.setPen(QColor(160, 160, 160))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return
        full = QRectF(0, 0, self._frame_size.width(), self._frame_size.height())
        target = self.frame_rect_to_widget(full)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 3)
        painter.drawImage(target, self._image, QRectF(self._image.rect()))
        self._paint_boxes(painter)
        if self._drawing and self._draw_start is not None and self._draw_end is not None:
            painter.setPen(QPen(QColor(255, 210, 0), 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.frame_rect_to_widget(QRectF(self._draw_start, self._draw_end)))
        if self._vertices:
            self._paint_in_progress(painter)
        if self.draw_mode:
            self._paint_hint(painter)
        if self.loupe and self._cursor is not None and target.contains(self._cursor):
            self._paint_loupe(painter, target)
        painter.end()

    def _paint_boxes(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for box in self._boxes:
            colour = QColor(255, 80, 80) if box.selected else QColor(255, 210, 0)
            width = 3 if box.selected else 2
            points = [self.frame_to_widget(p) for p in box.points]
            rect = self.frame_rect_to_widget(box.rect)
            anchor = rect.topLeft()
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if box.shape == "point" and points:
                anchor = self._paint_marker(painter, points[0], colour, width)
            elif box.shape == "line" and len(points) >= 2:
                _haloed(painter, colour, width, partial(painter.drawPolyline, QPolygonF(points)))
                anchor = points[0]
            elif box.shape == "polygon" and len(points) >= 3:
                fill = QColor(colour)
                fill.setAlpha(45)
                painter.setBrush(QBrush(fill))
                _haloed(painter, colour, width, partial(painter.drawPolygon, QPolygonF(points)))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(QPen(colour, width))
                painter.drawRect(rect)
            self._paint_tag(painter, f"#{box.annotation_id} {box.label}", anchor, colour)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    @staticmethod
    def _paint_marker(painter: QPainter, centre: QPointF, colour: QColor, width: int) -> QPointF:
        """A ring with a cross, the same size at any zoom; returns where its tag goes."""
        r = MARKER_RADIUS

        def draw() -> None:
            painter.drawEllipse(centre, r, r)
            painter.drawLine(QPointF(centre.x() - r - 4, centre.y()),
                             QPointF(centre.x() + r + 4, centre.y()))  # fmt: skip
            painter.drawLine(QPointF(centre.x(), centre.y() - r - 4),
                             QPointF(centre.x(), centre.y() + r + 4))  # fmt: skip

        _haloed(painter, colour, width, draw)
        return QPointF(centre.x() + r + 4, centre.y() - r)

    @staticmethod
    def _paint_tag(painter: QPainter, label: str, anchor: QPointF, colour: QColor) -> None:
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance(label) + 8, metrics.height() + 2
        tag = QRectF(anchor.x(), anchor.y() - height, width, height)
        if tag.top() < 0:
            tag.moveTop(anchor.y())
        painter.fillRect(tag, colour)
        painter.setPen(QColor(0, 0, 0))
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_in_progress(self, painter: QPainter) -> None:
        """The vertices placed so far, and dashed lines to the mouse (and back, for a polygon)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        points = [self.frame_to_widget(p) for p in self._vertices]
        colour = QColor(255, 210, 0)
        _haloed(painter, colour, 2, partial(painter.drawPolyline, QPolygonF(points)))
        if self._cursor is not None:
            painter.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
            painter.drawLine(points[-1], self._cursor)
            if self.draw_shape == "polygon" and len(points) >= 2:
                painter.drawLine(self._cursor, points[0])
        painter.setPen(QPen(QColor(0, 0, 0), 1))
        painter.setBrush(QBrush(colour))
        for point in points:
            painter.drawEllipse(point, 3.5, 3.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)

    def _paint_hint(self, painter: QPainter) -> None:
        """What a click does now, on the frame, where the eye already is."""
        text = DRAW_HINTS[self.draw_shape]
        metrics = painter.fontMetrics()
        width = min(metrics.horizontalAdvance(text) + 16, self.width() - 8)
        area = QRectF(4, 4, width, metrics.height() + 8)
        painter.fillRect(area, QColor(0, 0, 0, 170))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(area.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                            int(width) - 16))  # fmt: skip

    def _paint_loupe(self, painter: QPainter, target: QRectF) -> None:
        assert self._image is not None and self._cursor is not None
        centre = self._cursor
        frame_point = self.widget_to_frame(centre)
        image_scale = self._image.width() / self._frame_size.width()
        half = LOUPE_RADIUS / (self._scale() * LOUPE_FACTOR)
        source = QRectF(
            (frame_point.x() - half) * image_scale, (frame_point.y() - half) * image_scale,
            2 * half * image_scale, 2 * half * image_scale,
        )  # fmt: skip
        area = QRectF(
            centre.x() - LOUPE_RADIUS, centre.y() - LOUPE_RADIUS, 2 * LOUPE_RADIUS, 2 * LOUPE_RADIUS
        )
        path = QPainterPath()
        path.addEllipse(area)
        painter.save()
        painter.setClipPath(path)
        painter.fillRect(area, QColor(0, 0, 0))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(area, self._image, source)
        painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        painter.drawEllipse(area)
        painter.setPen(QPen(QColor(255, 255, 255, 160), 1))
        painter.drawLine(QPointF(centre.x() - 8, centre.y()), QPointF(centre.x() + 8, centre.y()))
        painter.drawLine(QPointF(centre.x(), centre.y() - 8), QPointF(centre.x(), centre.y() + 8))


def _haloed(painter: QPainter, colour: QColor, width: int, draw: Callable[[], object]) -> None:
    """Draw twice: a dark halo, then the colour, so a line shows on bright and dark footage."""
    painter.setPen(QPen(QColor(0, 0, 0, 180), width + 2, Qt.PenStyle.SolidLine,
                        Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))  # fmt: skip
    draw()
    painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine,
                        Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))  # fmt: skip
    draw()


def _screen_distance(canvas: FrameCanvas, a: QPointF, b: QPointF) -> float:
    """How far apart two frame points are on screen, in widget pixels."""
    return QLineF(canvas.frame_to_widget(a), canvas.frame_to_widget(b)).length()


def _segment_distance(point: QPointF, a: QPointF, b: QPointF) -> float:
    """Distance from ``point`` to the segment ``a``-``b`` (all in the same pixels)."""
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2:
        t = max(0.0, min(1.0, ((point.x() - a.x()) * dx + (point.y() - a.y()) * dy) / length2))
    return math.hypot(point.x() - (a.x() + t * dx), point.y() - (a.y() + t * dy))
