"""Normalised views of a frame, hashed alongside the frame itself.

Re-uploads change the frame around the footage: letterbox or pillarbox bars,
often a blurred, enlarged copy of the video behind a narrower one; mirroring
to dodge automated matching; logos and captions near the edges; crops.
Whole-frame hashes of such copies are 70-110 bits away from the original's
(PDQ), as far as unrelated footage. So each sampled frame is also hashed as:

* ``mirrored``: flipped left-right;
* ``content``: with bars and blurred side panels removed (only when found);
* ``center``: the central :data:`CENTER_FRACTION` (by width and height) of
  the picture inside any bars, which leaves out edge logos and captions and
  matches a crop of the original.

Everything works on the small grey (luma) image that is hashed anyway.
"""

from __future__ import annotations

from typing import Final

import cv2
import numpy as np

VARIANTS: Final = ("mirrored", "content", "center")
CENTER_FRACTION: Final = 0.7
VARIANT_SIDE: Final = 128
"""Variants are hashed at this long side: PDQ and pHash reduce every image to
64x64 and 32x32 first, so a larger input costs more and changes little."""

_BAR_STD: Final = 6.0  # a row/column this uniform is a bar
_PANEL_DETAIL: Final = 0.3  # a column with this fraction of the centre's detail is a blurred panel
_MIN_BAR: Final = 0.03  # bars thinner than this fraction are ignored (compression edges)
_MIN_CONTENT: Final = 0.3  # never crop to less than this fraction of a dimension


def _edge_run(flags: np.ndarray) -> int:
    """How many leading entries of ``flags`` are True."""
    false = np.flatnonzero(~flags)
    return int(false[0]) if false.size else int(flags.size)


def content_box(gray: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the picture inside bars or blurred panels, or None.

    Rows and columns at the edges that are uniform (bars of any colour) are
    removed; so are columns whose vertical detail is far below the centre's
    (the blurred copy that fills the sides of a vertical video turned
    landscape). None when nothing worth removing was found.
    """
    h, w = gray.shape
    if h < 2 or w < 2:
        return None  # a picture one pixel high or wide has no bars to remove
    g = gray.astype(np.float32)
    row_bar = g.std(axis=1) < _BAR_STD
    top, bottom = _edge_run(row_bar), _edge_run(row_bar[::-1])
    col_bar = g.std(axis=0) < _BAR_STD
    detail = np.abs(np.diff(g, axis=0)).mean(axis=0)
    centre = float(np.median(detail[w // 3 : 2 * w // 3])) if w >= 3 else 0.0
    if centre > 0:
        col_bar |= detail < _PANEL_DETAIL * centre
    left, right = _edge_run(col_bar), _edge_run(col_bar[::-1])
    top, bottom = (top, bottom) if top + bottom <= h * (1 - _MIN_CONTENT) else (0, 0)
    left, right = (left, right) if left + right <= w * (1 - _MIN_CONTENT) else (0, 0)
    top, bottom = (t if t >= _MIN_BAR * h else 0 for t in (top, bottom))
    left, right = (x if x >= _MIN_BAR * w else 0 for x in (left, right))
    if not (top or bottom or left or right):
        return None
    return left, top, w - right, h - bottom


def _small(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = VARIANT_SIDE / max(h, w)
    if scale >= 1:
        return np.ascontiguousarray(image)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def variant_images(gray: np.ndarray) -> dict[str, np.ndarray | None]:
    """The normalised views of one frame; ``content`` is None when no bars were found."""
    box = content_box(gray)
    content = gray if box is None else gray[box[1] : box[3], box[0] : box[2]]
    # The centre of the picture itself, bars excluded.
    h, w = content.shape
    dy, dx = round(h * (1 - CENTER_FRACTION) / 2), round(w * (1 - CENTER_FRACTION) / 2)
    return {
        "mirrored": _small(gray[:, ::-1]),
        "content": None if box is None else _small(content),
        "center": _small(content[dy : h - dy, dx : w - dx]),
    }
