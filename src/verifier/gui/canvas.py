"""The frame canvas: a frame with zoom, pan, a loupe and annotation boxes.

Coordinates: annotations and drawn rectangles are in pixels of the upright,
full-resolution frame (what `verifier frame` exports), whatever size the
displayed image was decoded at. The canvas maps frame pixels to the widget
with one scale and one offset (:meth:`FrameCanvas.frame_to_widget`).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Zoom limits relative to "fit the frame in the window".
MIN_ZOOM, MAX_ZOOM = 1.0, 32.0
LOUPE_RADIUS = 90
LOUPE_FACTOR = 4.0


@dataclass(frozen=True)
class Box:
    """An annotation drawn on the frame."""

    annotation_id: int
    rect: QRectF  # frame pixels
    label: str
    selected: bool = False


class FrameCanvas(QWidget):
    """Shows one frame; emits rectangles drawn on it in frame pixels."""

    rectangleDrawn = Signal(QRectF)
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
        self._pan_from: QPointF | None = None
        self._cursor: QPointF | None = None
        self.draw_mode = False
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
            self._drawing = True
            self._draw_start = self._clip_to_frame(self.widget_to_frame(position))
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

    def leaveEvent(self, event: object) -> None:
        self._cursor = None
        self.update()

    def _box_at(self, position: QPointF) -> int | None:
        point = self.widget_to_frame(position)
        for box in reversed(self._boxes):
            if box.rect.contains(point):
                return box.annotation_id
        return None

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
        if self.loupe and self._cursor is not None and target.contains(self._cursor):
            self._paint_loupe(painter, target)
        painter.end()

    def _paint_boxes(self, painter: QPainter) -> None:
        for box in self._boxes:
            rect = self.frame_rect_to_widget(box.rect)
            colour = QColor(255, 80, 80) if box.selected else QColor(255, 210, 0)
            painter.setPen(QPen(colour, 3 if box.selected else 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect)
            label = f"#{box.annotation_id} {box.label}"
            metrics = painter.fontMetrics()
            width, height = metrics.horizontalAdvance(label) + 8, metrics.height() + 2
            tag = QRectF(rect.left(), rect.top() - height, width, height)
            if tag.top() < 0:
                tag.moveTop(rect.top())
            painter.fillRect(tag, colour)
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

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
