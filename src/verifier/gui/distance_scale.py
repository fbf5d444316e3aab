"""What the distance between the two frames on screen means: a labelled scale per hash.

Each bar runs from 0 ("same picture") to the hash's bit count, cut at the
thresholds the matcher uses (:mod:`verifier.services.distances`), with a
marker at the current pair's distance; the words for that distance are
written beside the bar, so nothing needs a tooltip to be understood.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from verifier.services.distances import PDQ_SCALE, PHASH_SCALE, DistanceScale, PairDistance

#: Band colours, from "same picture" to "unrelated".
BAND_COLOURS = ("#2e9d4f", "#8cc63f", "#f0b429", "#c9ced6")
MARKER_COLOUR = "#1b1f24"


class DistanceBar(QWidget):
    """One hash's scale: coloured bands, threshold numbers and the current distance."""

    def __init__(self, scale: DistanceScale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale = scale
        self.distance: int | None = None
        self.setMinimumWidth(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(320, self._height())

    def minimumSizeHint(self) -> QSize:
        return QSize(180, self._height())

    def _height(self) -> int:
        return self.fontMetrics().height() + 22

    def set_distance(self, distance: int | None) -> None:
        self.distance = distance
        self.update()

    def x_of(self, distance: float) -> float:
        """Where a distance lies on the bar, in widget pixels."""
        left, width = 6.0, max(self.width() - 12.0, 1.0)
        return left + width * min(max(distance, 0.0), self.scale.bits) / self.scale.bits

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top, bar_height = 8.0, 10.0
        for position, band in enumerate(self.scale.bands):
            x0 = self.x_of(self.scale.band_start(position))
            x1 = self.x_of(band.upper + 1 if position < len(self.scale.bands) - 1 else band.upper)
            painter.fillRect(QRectF(x0, top, x1 - x0, bar_height), QColor(BAND_COLOURS[position]))
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        painter.setFont(font)
        painter.setPen(QColor("#555"))
        text_top = top + bar_height + 2
        metrics = painter.fontMetrics()
        for value in (0, *(band.upper for band in self.scale.bands)):
            x = self.x_of(value)
            painter.drawLine(QPointF(x, top + bar_height), QPointF(x, text_top))
            text = str(value)
            width = metrics.horizontalAdvance(text)
            left = min(max(x - width / 2, 0.0), self.width() - width)
            painter.drawText(QPointF(left, text_top + metrics.ascent()), text)
        if self.distance is not None:
            x = self.x_of(self.distance)
            painter.setPen(QPen(QColor(MARKER_COLOUR), 2))
            painter.drawLine(QPointF(x, top - 2), QPointF(x, top + bar_height + 2))
            painter.setBrush(QColor(MARKER_COLOUR))
            painter.drawPolygon(
                QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0), QPointF(x, top - 1)])
            )
        painter.end()


class PairDistancePanel(QWidget):
    """PDQ and pHash distance of the frame pair on screen, each on its scale, in words.

    ``pdq_bar`` / ``phash_bar`` (:class:`DistanceBar`) hold the distances shown,
    ``pdq_text`` / ``phash_text`` say them in words.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairDistance")
        self.title = QLabel("Distance of the two frames shown", self)
        self.title.setObjectName("pairDistanceTitle")
        self.pdq_bar = DistanceBar(PDQ_SCALE, self)
        self.phash_bar = DistanceBar(PHASH_SCALE, self)
        self.pdq_text = self._words_label()
        self.phash_text = self._words_label()
        self.note = QLabel("", self)
        self.note.setObjectName("pairDistanceNote")
        self.note.setWordWrap(True)
        legend = QLabel(
            "Scales as the matcher reads them: "
            + " · ".join(
                f"<span style='color:{colour}'>■</span>&nbsp;"
                + _short(band.words).replace(" ", "&nbsp;")
                for colour, band in zip(BAND_COLOURS, PDQ_SCALE.bands, strict=True)
            ),
            self,
        )
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setWordWrap(True)
        legend.setObjectName("pairDistanceLegend")
        self.legend = legend
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.title, 0, 0, 1, 3)
        grid.addWidget(QLabel("PDQ", self), 1, 0)
        grid.addWidget(self.pdq_bar, 1, 1)
        grid.addWidget(self.pdq_text, 1, 2)
        grid.addWidget(QLabel("pHash", self), 2, 0)
        grid.addWidget(self.phash_bar, 2, 1)
        grid.addWidget(self.phash_text, 2, 2)
        grid.addWidget(self.note, 3, 0, 1, 3)
        grid.addWidget(legend, 4, 0, 1, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 2)
        self.show_pending()

    def _words_label(self) -> QLabel:
        label = QLabel("", self)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setMinimumWidth(160)
        return label

    def show_pending(self) -> None:
        """No pair measured yet (or the frames are still decoding)."""
        for bar, text in ((self.pdq_bar, self.pdq_text), (self.phash_bar, self.phash_text)):
            bar.set_distance(None)
            text.setText("measuring…")
        self.note.setText("")

    def show_distance(self, found: PairDistance, a_index: int, b_index: int) -> None:
        """The distances of A's frame ``a_index`` and B's frame ``b_index``."""
        self.title.setText(f"Distance of the two frames shown (A {a_index} ↔ B {b_index})")
        self.pdq_bar.set_distance(found.pdq)
        self.phash_bar.set_distance(found.phash)
        self.pdq_text.setText(f"<b>{found.pdq}</b> of 256 bits: {found.pdq_words}")
        self.phash_text.setText(f"<b>{found.phash}</b> of 64 bits: {found.phash_words}")
        if found.too_plain:
            quality = min(found.pdq_quality_a, found.pdq_quality_b)
            self.note.setText(
                f"One frame is nearly uniform (PDQ quality {quality} of 100): the matcher "
                "ignores such frames, so these distances say little."
            )
        else:
            self.note.setText("")


def _short(words: str) -> str:
    """A band's name for the legend: its words up to the first comma or colon."""
    return words.split(":")[0].split(",")[0]
