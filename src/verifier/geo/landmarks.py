"""Landmark matching: do two images show the same place, and which points correspond?

A geolocation claim is convincing when a reader sees the same features
(a roof line, a window row, a pylon) in the clip's frame and in a reference
image, numbered at both ends. This stage finds those correspondences and
says, with a reason in words, whether they amount to a match:

1. SIFT keypoints in both images (in a region of A if one is given), on a
   working copy no larger than :data:`WORK_MAX_SIDE` (coordinates are mapped
   back to the original pixels);
2. tentative matches: each descriptor of A's nearest neighbour in B, kept
   only when clearly better than the second nearest (Lowe's ratio test);
3. a robust geometric fit of the tentative matches with OpenCV's USAC
   MAGSAC++: a homography (a planar scene, a far view, a pure rotation) and
   a fundamental matrix (a 3-D scene seen from two viewpoints);
4. the verdict: enough matches agreeing on one homography, or, because the
   epipolar constraint is much weaker (a point only has to lie near a
   line), a stricter count agreeing on one fundamental matrix.

Unrelated images still produce tentative matches (repeated texture, noise)
and a handful of them fit some model by chance; the thresholds below were
set from the inlier counts measured on real true and false pairs
(``benchmarks/landmarks.py``), with a wide margin on both sides.

Pure NumPy/OpenCV: no database, no Qt. Inputs are RGB arrays (H, W, 3) or
greyscale (H, W), uint8.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import cv2
import numpy as np

from verifier.errors import VerifierError

__all__ = [
    "MATCH",
    "NO_MATCH",
    "LandmarkResult",
    "MatchSettings",
    "Region",
    "draw_figure",
    "match_landmarks",
    "parse_region",
]

MATCH = "match"
NO_MATCH = "no-match"

#: Longest side of the working copy. SIFT on a 4K frame is slow and finds
#: mostly fine texture; 1600 px keeps building-scale detail.
WORK_MAX_SIDE = 1600
#: Below this (either side, or a region's side) there is too little to match.
MIN_SIDE = 32

# Thresholds, from benchmarks/landmarks.py on the OpenCV sample pairs and on
# frames of a real clip (inliers of USAC MAGSAC++ after a 0.75 ratio test and
# one-to-one matches; homography H / fundamental matrix F):
#   true pairs: leuvenA/B H 166 (F 222), graf1/3 H 421, box/box_in_scene
#     H 73, two framings of one room in box.mp4 (1 s, left 3/4; 8 s, right
#     3/4 at 60 %) H 61;
#   the 12 cross pairs of those images, and frames of four unrelated clips
#     against the box.mp4 frames: H at most 6, F at most 10.
# A homography needs 25 inliers: 4x the worst false pair, and the weakest
# true pair (61) has 2.4x that. A fundamental matrix, which chance matches
# fit more easily (a point only has to lie near an epipolar line), needs 50
# inliers, 5x the worst false pair, and half of the tentative matches.
MIN_TENTATIVE = 12
MIN_HOMOGRAPHY_INLIERS = 25
MIN_FUNDAMENTAL_INLIERS = 50
MIN_FUNDAMENTAL_RATIO = 0.5
#: Inliers of a homography clustered in a speck of A are not a landmark match
#: (a logo, a repeated tile): their bounding box must cover this share of the
#: searched area's diagonal.
MIN_SPREAD = 0.08


@dataclass(frozen=True)
class Region:
    """A rectangle of image A in its original pixels: where the landmark is."""

    x: int
    y: int
    w: int
    h: int

    def to_json(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def __str__(self) -> str:
        return f"{self.x},{self.y},{self.w},{self.h}"


def parse_region(text: str) -> Region:
    """``X,Y,W,H`` as typed by a person, in pixels."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise VerifierError(f"region {text!r}: give X,Y,W,H as four whole numbers of pixels")
    x, y, w, h = values
    if x < 0 or y < 0:
        raise VerifierError(f"region {text!r}: X and Y must be 0 or more")
    if w < MIN_SIDE or h < MIN_SIDE:
        raise VerifierError(f"region {text!r}: width and height must be at least {MIN_SIDE} pixels")
    return Region(x, y, w, h)


@dataclass(frozen=True)
class MatchSettings:
    """The parameters of one run, recorded with its result in the custody log."""

    ratio: float = 0.75
    homography_threshold: float = 4.0  # px of the working copy
    fundamental_threshold: float = 1.5  # px of the working copy
    confidence: float = 0.999
    max_iterations: int = 10000
    max_features: int = 8000
    seed: int = 0  # USAC's random state: the same inputs give the same result

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LandmarkResult:
    """What was found: counts, the model, the verdict and why, and the inliers.

    ``points_a``/``points_b`` are the inlier correspondences in the original
    pixels of A and B (N x 2), ordered best first (lowest descriptor ratio);
    ``scores`` their ratio-test values (smaller is more distinctive).
    """

    keypoints_a: int
    keypoints_b: int
    tentative: int
    inliers: int
    inlier_ratio: float
    model: str | None  # "homography" | "fundamental" | None
    homography_inliers: int
    fundamental_inliers: int
    verdict: str
    reason: str
    size_a: tuple[int, int]  # width, height
    size_b: tuple[int, int]
    region: Region | None
    settings: MatchSettings
    points_a: np.ndarray = field(repr=False)
    points_b: np.ndarray = field(repr=False)
    scores: np.ndarray = field(repr=False)

    @property
    def is_match(self) -> bool:
        return self.verdict == MATCH

    def to_json(self) -> dict[str, Any]:
        """The result without the point arrays: for the CLI and the custody log."""
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "keypoints_a": self.keypoints_a,
            "keypoints_b": self.keypoints_b,
            "matches": self.tentative,
            "inliers": self.inliers,
            "inlier_ratio": round(self.inlier_ratio, 4),
            "model": self.model,
            "homography_inliers": self.homography_inliers,
            "fundamental_inliers": self.fundamental_inliers,
            "size_a": list(self.size_a),
            "size_b": list(self.size_b),
            "region": self.region.to_json() if self.region is not None else None,
            "settings": self.settings.to_json(),
        }


# ----------------------------------------------------------------------------- matching


def _grey(image: np.ndarray, name: str) -> np.ndarray:
    """uint8 greyscale of an RGB/RGBA/grey array, refusing what is not an image."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise VerifierError(f"image {name}: expected 8-bit pixels, got {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    if array.ndim == 3 and array.shape[2] == 3:
        array = cv2.cvtColor(np.ascontiguousarray(array), cv2.COLOR_RGB2GRAY)
    if array.ndim != 2:
        raise VerifierError(f"image {name}: expected an RGB or greyscale image")
    height, width = array.shape
    if min(height, width) < MIN_SIDE:
        raise VerifierError(
            f"image {name} is {width}x{height} pixels: too small for landmark matching "
            f"(at least {MIN_SIDE} on each side)"
        )
    return array


def _working(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """A copy no larger than WORK_MAX_SIDE and the factor back to the original pixels."""
    height, width = grey.shape
    longest = max(height, width)
    if longest <= WORK_MAX_SIDE:
        return grey, 1.0
    scale = WORK_MAX_SIDE / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA), longest / WORK_MAX_SIDE


def _check_region(region: Region, width: int, height: int) -> None:
    if region.x + region.w > width or region.y + region.h > height:
        raise VerifierError(
            f"region {region} lies outside image A ({width}x{height} pixels): "
            f"it must end within x<={width}, y<={height}"
        )


def _usac(settings: MatchSettings, threshold: float) -> cv2.UsacParams:
    params = cv2.UsacParams()
    params.confidence = settings.confidence
    params.maxIterations = settings.max_iterations
    params.threshold = threshold
    params.sampler = cv2.SAMPLING_UNIFORM
    params.score = cv2.SCORE_METHOD_MAGSAC
    params.loMethod = cv2.LOCAL_OPTIM_SIGMA
    params.loIterations = 10
    params.loSampleSize = 14
    params.final_polisher = cv2.MAGSAC
    params.final_polisher_iterations = 10
    params.isParallel = False
    params.randomGeneratorState = settings.seed
    return params


def _fit(
    src: np.ndarray, dst: np.ndarray, settings: MatchSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Inlier masks of the best homography and the best fundamental matrix."""
    none = np.zeros(len(src), bool)
    hom_mask, fun_mask = none, none
    if len(src) >= 4:
        model, mask = cv2.findHomography(src, dst, _usac(settings, settings.homography_threshold))
        if model is not None and mask is not None and _plausible(model):
            hom_mask = mask.ravel().astype(bool)
    if len(src) >= 8:
        # The fundamental matrix needs at least 7 points; 8 keeps it well posed.
        model, mask = cv2.findFundamentalMat(
            src, dst, _usac(settings, settings.fundamental_threshold)
        )
        if model is not None and mask is not None:
            fun_mask = mask.ravel().astype(bool)
    return hom_mask, fun_mask


def _plausible(homography: np.ndarray) -> bool:
    """A homography that folds the image over itself or crushes it is no viewpoint change."""
    det = float(np.linalg.det(homography[:2, :2]))
    return 1e-3 < abs(det) < 1e3 and det > 0


def _spread(points: np.ndarray, width: float, height: float) -> float:
    """Diagonal of the inliers' bounding box, as a share of the searched area's diagonal."""
    if len(points) < 2:
        return 0.0
    extent = points.max(axis=0) - points.min(axis=0)
    return float(math.hypot(*extent) / math.hypot(width, height))


def match_landmarks(
    image_a: np.ndarray,
    image_b: np.ndarray,
    region: Region | None = None,
    settings: MatchSettings | None = None,
) -> LandmarkResult:
    """Find landmarks of A (within ``region`` if given) in B, and judge the match.

    Raises VerifierError for input that cannot be matched at all (not an
    image, too small, a region outside A); featureless or unrelated images
    give a ``no-match`` with the reason.
    """
    settings = settings or MatchSettings()
    grey_a, grey_b = _grey(image_a, "A"), _grey(image_b, "B")
    height_a, width_a = grey_a.shape
    height_b, width_b = grey_b.shape
    if region is not None:
        _check_region(region, width_a, height_a)
    work_a, scale_a = _working(grey_a)
    work_b, scale_b = _working(grey_b)
    mask = None
    if region is not None:
        mask = np.zeros(work_a.shape, np.uint8)
        x0, y0 = int(region.x / scale_a), int(region.y / scale_a)
        x1 = math.ceil((region.x + region.w) / scale_a)
        y1 = math.ceil((region.y + region.h) / scale_a)
        mask[y0:y1, x0:x1] = 255

    sift = cv2.SIFT_create(nfeatures=settings.max_features)
    kp_a, des_a = sift.detectAndCompute(work_a, mask)
    kp_b, des_b = sift.detectAndCompute(work_b, None)

    searched_w = region.w if region is not None else width_a
    searched_h = region.h if region is not None else height_a

    def result(
        verdict: str, reason: str, tentative: int = 0, hom: int = 0, fun: int = 0,
        model: str | None = None, inliers: int = 0,
        pts_a: np.ndarray | None = None, pts_b: np.ndarray | None = None,
        scores: np.ndarray | None = None,
    ) -> LandmarkResult:  # fmt: skip
        empty = np.zeros((0, 2), np.float32)
        return LandmarkResult(
            keypoints_a=len(kp_a), keypoints_b=len(kp_b), tentative=tentative,
            inliers=inliers, inlier_ratio=inliers / tentative if tentative else 0.0,
            model=model, homography_inliers=hom, fundamental_inliers=fun,
            verdict=verdict, reason=reason, size_a=(width_a, height_a),
            size_b=(width_b, height_b), region=region, settings=settings,
            points_a=pts_a if pts_a is not None else empty,
            points_b=pts_b if pts_b is not None else empty,
            scores=scores if scores is not None else np.zeros(0, np.float32),
        )  # fmt: skip

    where_a = "the region of A" if region is not None else "A"
    if len(kp_a) < 2 or des_a is None:
        return result(NO_MATCH, f"no features found in {where_a} (blank or featureless)")
    if len(kp_b) < 2 or des_b is None:
        return result(NO_MATCH, "no features found in B (blank or featureless)")

    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(des_a, des_b, k=2)
    good = [
        (m.queryIdx, m.trainIdx, m.distance / n.distance)
        for m, n in (p for p in pairs if len(p) == 2)
        if n.distance > 0 and m.distance < settings.ratio * n.distance
    ]
    # Best first, and deterministic for ties.
    good.sort(key=lambda item: (item[2], item[0], item[1]))
    # One-to-one: several points of A matched to one point of B fit any
    # epipolar geometry (every line through that point), so only the best
    # match of each point of B is kept.
    seen: set[int] = set()
    good = [g for g in good if not (g[1] in seen or seen.add(g[1]))]
    tentative = len(good)
    if tentative < MIN_TENTATIVE:
        return result(
            NO_MATCH,
            f"only {tentative} tentative matches pass the ratio test: "
            f"below the {MIN_TENTATIVE} needed to fit a model",
            tentative,
        )
    src = np.float32([kp_a[q].pt for q, _, _ in good])
    dst = np.float32([kp_b[t].pt for _, t, _ in good])
    ratios = np.float32([r for _, _, r in good])
    hom_mask, fun_mask = _fit(src, dst, settings)
    hom, fun = int(hom_mask.sum()), int(fun_mask.sum())
    spread = _spread(src[hom_mask] * scale_a, searched_w, searched_h)

    def chosen(mask_: np.ndarray) -> dict[str, Any]:
        return {
            "pts_a": src[mask_] * np.float32(scale_a),
            "pts_b": dst[mask_] * np.float32(scale_b),
            "scores": ratios[mask_],
        }

    percent = f"{100 * hom / tentative:.0f} %"
    if hom >= MIN_HOMOGRAPHY_INLIERS and spread >= MIN_SPREAD:
        return result(
            MATCH,
            f"{hom} of {tentative} tentative matches agree on one homography ({percent})",
            tentative, hom, fun, "homography", hom, **chosen(hom_mask),
        )  # fmt: skip
    fun_ratio = fun / tentative
    if fun >= MIN_FUNDAMENTAL_INLIERS and fun_ratio >= MIN_FUNDAMENTAL_RATIO:
        return result(
            MATCH,
            f"{fun} of {tentative} tentative matches agree on one fundamental matrix "
            f"({100 * fun_ratio:.0f} %): the same 3-D scene from another viewpoint",
            tentative, hom, fun, "fundamental", fun, **chosen(fun_mask),
        )  # fmt: skip
    if hom >= MIN_HOMOGRAPHY_INLIERS:
        reason = (
            f"{hom} inliers agree on a homography but lie in a small patch of {where_a} "
            f"(spread {100 * spread:.0f} % of its diagonal, {100 * MIN_SPREAD:.0f} % needed)"
        )
    else:
        reason = (
            f"only {hom} inliers agree on a homography: below the {MIN_HOMOGRAPHY_INLIERS} "
            f"needed ({fun} on a fundamental matrix, {MIN_FUNDAMENTAL_INLIERS} and half of "
            f"the {tentative} tentative matches needed)"
        )
    # The best model's inliers are still returned, so the figure shows what little agreed.
    best = hom_mask if hom >= fun else fun_mask
    model = ("homography" if hom >= fun else "fundamental") if max(hom, fun) else None
    return result(NO_MATCH, reason, tentative, hom, fun, model, max(hom, fun), **chosen(best))


# ----------------------------------------------------------------------------- the figure

#: Colours of the numbered landmarks (RGB), distinct on photographs and in greyscale print.
_PALETTE = [
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
]  # fmt: skip
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_MARKER_RADIUS = 11
FIGURE_HEIGHT = 720  # each image is scaled to this height (up or down)
MAX_PANEL_WIDTH = 1280


def spread_selection(
    points_a: np.ndarray, points_b: np.ndarray, count: int, min_distance: float = 0.0
) -> list[int]:
    """Indices of up to ``count`` correspondences, well spread: farthest-point sampling.

    Points are ordered best first; the first is always taken, then each next
    one is the point of A farthest from all taken, so the numbered landmarks
    cover the scene instead of crowding on one facade. A point closer than
    ``min_distance`` to a taken one, in A or in B, is skipped: its numbered
    circle would cover another's.
    """
    if len(points_a) == 0 or count <= 0:
        return []
    chosen = [0]
    far_a = np.linalg.norm(points_a - points_a[0], axis=1)
    far_b = np.linalg.norm(points_b - points_b[0], axis=1)
    while len(chosen) < count:
        eligible = np.where(np.minimum(far_a, far_b) >= max(min_distance, 1e-6), far_a, -1.0)
        nxt = int(np.argmax(eligible))
        if eligible[nxt] < 0:
            break
        chosen.append(nxt)
        far_a = np.minimum(far_a, np.linalg.norm(points_a - points_a[nxt], axis=1))
        far_b = np.minimum(far_b, np.linalg.norm(points_b - points_b[nxt], axis=1))
    return chosen


def _rgb(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    return np.ascontiguousarray(array[:, :, :3])


def _panel(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The image scaled to the figure's height (width capped), and the scale used."""
    height, width = image.shape[:2]
    scale = min(FIGURE_HEIGHT / height, MAX_PANEL_WIDTH / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(_rgb(image), size, interpolation=interpolation), scale


def _text(canvas: np.ndarray, text: str, origin: tuple[int, int], scale: float,
          colour: tuple[int, int, int], thickness: int = 1) -> None:  # fmt: skip
    cv2.putText(canvas, text, origin, _FONT, scale, colour, thickness, cv2.LINE_AA)


def _tag(canvas: np.ndarray, text: str, x: int, y: int) -> None:
    """A label box (``A: name``) in a panel's top-left corner, readable on any photo."""
    (w, h), base = cv2.getTextSize(text, _FONT, 0.6, 1)
    cv2.rectangle(canvas, (x, y), (x + w + 12, y + h + base + 10), (20, 20, 20), -1)
    _text(canvas, text, (x + 6, y + h + 5), 0.6, (255, 255, 255))


def _marker(canvas: np.ndarray, centre: tuple[int, int], number: int,
            colour: tuple[int, int, int]) -> None:  # fmt: skip
    """A numbered circle: white disc, coloured ring, the number in black."""
    label = str(number)
    cv2.circle(canvas, centre, _MARKER_RADIUS, (255, 255, 255), -1, cv2.LINE_AA)
    cv2.circle(canvas, centre, _MARKER_RADIUS, colour, 2, cv2.LINE_AA)
    (w, h), _ = cv2.getTextSize(label, _FONT, 0.42, 1)
    _text(canvas, label, (centre[0] - w // 2, centre[1] + h // 2), 0.42, (0, 0, 0), 1)


def _fit_text(text: str, width: int, scale: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` pixels."""
    while len(text) > 4 and cv2.getTextSize(text, _FONT, scale, 1)[0][0] > width:
        text = text[:-4] + "..."
    return text


def draw_figure(
    image_a: np.ndarray,
    image_b: np.ndarray,
    result: LandmarkResult,
    label_a: str = "A",
    label_b: str = "B",
    max_landmarks: int = 30,
) -> np.ndarray:
    """The side-by-side figure A | B with numbered landmarks and a caption (RGB array).

    Up to ``max_landmarks`` inliers, chosen best-first and spread over the
    scene, are joined by lines and numbered at both ends; the caption states
    the counts and the verdict in the words of :attr:`LandmarkResult.reason`.
    Text is ASCII (OpenCV's fonts have no other glyphs).
    """
    panel_a, scale_a = _panel(image_a)
    panel_b, scale_b = _panel(image_b)
    gap, margin = 16, 12
    width = panel_a.shape[1] + gap + panel_b.shape[1]
    top = max(panel_a.shape[0], panel_b.shape[0])
    caption_h = 96
    canvas = np.full((top + caption_h, width, 3), 255, np.uint8)
    canvas[: panel_a.shape[0], : panel_a.shape[1]] = panel_a
    offset_b = panel_a.shape[1] + gap
    canvas[: panel_b.shape[0], offset_b : offset_b + panel_b.shape[1]] = panel_b

    if result.region is not None:
        r = result.region
        p0 = (round(r.x * scale_a), round(r.y * scale_a))
        p1 = (round((r.x + r.w) * scale_a), round((r.y + r.h) * scale_a))
        cv2.rectangle(canvas, p0, p1, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.rectangle(canvas, p0, p1, (255, 255, 0), 2, cv2.LINE_AA)

    # Labels first: a numbered marker under them stays visible.
    _tag(canvas, _fit_text(f"A: {label_a}", panel_a.shape[1] - 30, 0.6), margin, margin)
    _tag(canvas, _fit_text(f"B: {label_b}", panel_b.shape[1] - 30, 0.6), offset_b + margin,
         margin)  # fmt: skip

    shown = (
        spread_selection(result.points_a * scale_a, result.points_b * scale_b, max_landmarks,
                         min_distance=2 * _MARKER_RADIUS + 4)
        if result.is_match
        else []
    )  # fmt: skip
    ends = []
    for number, index in enumerate(shown, start=1):
        xa, ya = result.points_a[index] * scale_a
        xb, yb = result.points_b[index] * scale_b
        start = (round(float(xa)), round(float(ya)))
        end = (round(float(xb)) + offset_b, round(float(yb)))
        colour = _PALETTE[(number - 1) % len(_PALETTE)]
        cv2.line(canvas, start, end, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.line(canvas, start, end, colour, 1, cv2.LINE_AA)
        ends.append((start, end, number, colour))
    # Markers after every line, so no line crosses a number.
    for start, end, number, colour in ends:
        _marker(canvas, start, number, colour)
        _marker(canvas, end, number, colour)

    # Caption strip: the verdict in colour, then the counts and the method.
    cv2.line(canvas, (0, top), (width, top), (60, 60, 60), 1)
    verdict_colour = (0, 120, 40) if result.is_match else (180, 20, 20)
    verdict = "MATCH" if result.is_match else "NO MATCH"
    y = top + 32
    _text(canvas, verdict, (margin, y), 0.8, verdict_colour, 2)
    verdict_w = cv2.getTextSize(verdict, _FONT, 0.8, 2)[0][0]
    _text(canvas, _fit_text(result.reason, width - verdict_w - 3 * margin, 0.58),
          (margin * 2 + verdict_w, y), 0.58, (20, 20, 20))  # fmt: skip
    numbered = (
        f"{len(shown)} of {result.inliers} inliers numbered" if shown else "no landmarks drawn"
    )
    region = f"; region of A {result.region}" if result.region is not None else ""
    details = (
        f"SIFT keypoints A {result.keypoints_a}, B {result.keypoints_b}; "
        f"{result.tentative} tentative matches (ratio test {result.settings.ratio}); "
        f"USAC MAGSAC++ {result.model or 'no model'}; {numbered}{region}"
    )
    _text(canvas, _fit_text(details, width - 2 * margin, 0.5), (margin, y + 30), 0.5,
          (60, 60, 60))  # fmt: skip
    sizes = (
        f"A {result.size_a[0]}x{result.size_a[1]} px, B {result.size_b[0]}x{result.size_b[1]} px"
    )
    _text(canvas, _fit_text(sizes, width - 2 * margin, 0.5), (margin, y + 54), 0.5,
          (60, 60, 60))  # fmt: skip
    return canvas
