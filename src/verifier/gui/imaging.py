"""Conversions between the decoder's arrays and Qt images."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """An RGB888 :class:`QImage` that owns a copy of ``rgb`` (H x W x 3 uint8).

    QImage does not keep the numpy buffer alive, and decoded arrays are
    shared read-only cache entries, so the image takes its own copy (about
    1 ms for a 1280x720 frame).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an HxWx3 uint8 array, got {rgb.shape} {rgb.dtype}")
    rgb = np.ascontiguousarray(rgb)
    height, width, _ = rgb.shape
    image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


def rgb_from_qimage(image: QImage) -> np.ndarray:
    """The pixels of ``image`` as a new H x W x 3 uint8 RGB array."""
    converted = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = converted.width(), converted.height()
    buffer = np.frombuffer(converted.constBits(), dtype=np.uint8)
    rows = buffer.reshape(height, converted.bytesPerLine())
    return rows[:, : width * 3].reshape(height, width, 3).copy()


def pixmap_from_rgb(rgb: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(qimage_from_rgb(rgb))
