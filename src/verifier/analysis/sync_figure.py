"""The correlation curve of an audio sync as a figure for the report.

The curve (z-score per candidate offset) with the best peak marked and
labelled, the best other peak marked, and a caption with the offset, the
confidence in words and the two clips. Drawn with OpenCV on NumPy (no
plotting library needed); text is ASCII because OpenCV's fonts have no
other glyphs.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from verifier.analysis.sync import SyncResult

__all__ = ["draw_sync_figure"]

_WIDTH, _HEIGHT = 1200, 520
_LEFT, _RIGHT, _TOP, _BOTTOM = 80, 30, 124, 56
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_INK = (30, 30, 30)
_GRID = (222, 222, 222)
_CURVE = (40, 90, 170)
_BEST = (200, 40, 40)
_SECOND = (120, 120, 120)


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _nice_step(span: float, count: int = 8) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for mult in (1, 2, 5, 10):
        if raw <= mult * power:
            return mult * power
    return 10 * power


def draw_sync_figure(result: SyncResult, label_a: str, label_b: str) -> np.ndarray:
    """An RGB image of the curve; x is B's offset (s), y the peak's z-score."""
    img = np.full((_HEIGHT, _WIDTH, 3), 255, np.uint8)
    lags, curve = result.lags, result.curve
    x0, x1 = float(lags.min()), float(lags.max())
    if x1 - x0 < 1e-6:
        x0, x1 = x0 - 1, x1 + 1
    y_low = min(0.0, float(curve.min()))
    y_high = max(float(curve.max()) * 1.1, 1.0)
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM

    def px(x: float, y: float) -> tuple[int, int]:
        return (round(_LEFT + (x - x0) / (x1 - x0) * plot_w),
                round(_TOP + (y_high - y) / (y_high - y_low) * plot_h))  # fmt: skip

    step = _nice_step(x1 - x0)
    tick = math.ceil(x0 / step) * step
    while tick <= x1 + 1e-9:
        p = px(tick, y_low)
        cv2.line(img, (p[0], _TOP), (p[0], _TOP + plot_h), _GRID, 1)
        text = f"{tick:+g}" if abs(tick) > 1e-9 else "0"
        cv2.putText(img, text, (p[0] - 14, _TOP + plot_h + 22), _FONT, 0.5, _INK, 1, cv2.LINE_AA)
        tick += step
    ystep = _nice_step(y_high - y_low, 5)
    ytick = math.ceil(y_low / ystep) * ystep
    while ytick <= y_high + 1e-9:
        p = px(x0, ytick)
        cv2.line(img, (_LEFT, p[1]), (_LEFT + plot_w, p[1]), _GRID, 1)
        cv2.putText(img, f"{ytick:g}", (_LEFT - 48, p[1] + 5), _FONT, 0.5, _INK, 1, cv2.LINE_AA)
        ytick += ystep
    cv2.rectangle(img, (_LEFT, _TOP), (_LEFT + plot_w, _TOP + plot_h), _INK, 1)
    points = np.array([px(float(x), float(y)) for x, y in zip(lags, curve, strict=True)], np.int32)
    cv2.polylines(img, [points.reshape(-1, 1, 2)], False, _CURVE, 1, cv2.LINE_AA)

    best_i = int(np.argmax(curve))
    best = px(float(lags[best_i]), float(curve[best_i]))
    cv2.circle(img, best, 6, _BEST, 2, cv2.LINE_AA)
    label = f"{result.best_offset:+.3f} s (z {result.peak:.1f})"
    (text_w, _h), _base = cv2.getTextSize(label, _FONT, 0.55, 1)
    # Right of the marker, or left of it near the right edge: never over the marker.
    tx = best[0] + 10 if best[0] + 12 + text_w < _WIDTH - _RIGHT else best[0] - 12 - text_w
    cv2.putText(img, label, (tx, max(best[1] - 8, _TOP + 16)), _FONT, 0.55, _BEST, 1, cv2.LINE_AA)
    if result.second_offset is not None:
        j = int(np.argmin(np.abs(lags - result.second_offset)))
        second = px(float(lags[j]), float(curve[j]))
        cv2.circle(img, second, 5, _SECOND, 1, cv2.LINE_AA)
        cv2.putText(img, f"next {result.second_offset:+.2f} s (z {result.second_peak:.1f})",
                    (min(second[0] + 8, _WIDTH - _RIGHT - 220), max(second[1] - 8, _TOP + 34)),
                    _FONT, 0.45, _SECOND, 1, cv2.LINE_AA)  # fmt: skip

    verdict = (f"offset {result.offset:+.3f} s ({result.words})" if result.offset is not None
               else f"no confident offset (best {result.best_offset:+.3f} s)")  # fmt: skip
    lines = [
        f"Audio sync: B time = A time + offset.  {verdict}; peak / next = {result.ratio:.2f}",
        f"A: {label_a}",
        f"B: {label_b}",
        f"method: {result.method}; curve: z-score of the envelope correlation per offset",
    ]
    for k, line in enumerate(lines):
        scale = 0.62 if k == 0 else 0.5
        cv2.putText(img, _ascii(line)[:150], (16, 26 + 24 * k), _FONT, scale,
                    _SECOND if k == 3 else _INK,
                    2 if k == 0 else 1, cv2.LINE_AA)  # fmt: skip
    cv2.putText(img, "offset of B against A, seconds", (_LEFT + plot_w // 2 - 130, _HEIGHT - 10),
                _FONT, 0.5, _INK, 1, cv2.LINE_AA)  # fmt: skip
    return img
