"""Annotations: labelled shapes on frames, the analyst's pointers into the picture.

An annotation says "on frame 212, this rectangle is the water tower", "this
point is the insignia on the sleeve", "this line is the pole's shadow" or
"this polygon is the field": it is how a geolocation, a chronolocation or an
identification shows its working. Shapes are in pixels of the upright,
full-resolution frame (what an export of that frame shows), so they stay
valid whatever size the window draws the frame at.

A rectangle is clipped to the frame, so a drag past the edge does not record
a region that does not exist. A point, line or polygon is refused when a
vertex lies outside the frame instead: moving a line's end onto the edge
would change its direction, and the direction of a shadow, a horizon or a
road is what such a line measures. Their vertices are kept in ``points`` and
their bounding box in x/y/w/h (a point has w = h = 0), so every reader that
only knows rectangles still finds the annotated area.

Every addition, edit and deletion is a custody event on the clip (so it
appears in the clip's custody) that keeps the values involved: the log
shows what was marked, what it was changed from, and what was withdrawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import Annotation, Clip, CustodyEvent
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import AnnotationId, ClipId
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.edits import check_version, deleted_conflict
from verifier.services.frames import FrameTable, frame_table, load_frame_table
from verifier.services.lookup import find_clip

__all__ = [
    "LABELS",
    "SHAPES",
    "Shape",
    "ShapeError",
    "add_annotation",
    "annotation_json",
    "annotations_for_clip",
    "clip_rect",
    "delete_annotation",
    "edit_annotation",
    "fit_shape",
    "list_annotations",
    "parse_rect",
    "parse_shape",
]

LABELS = ("landmark", "building", "vehicle", "insignia", "weapon", "person", "face",
          "text/sign", "shadow", "other")  # fmt: skip

Rect = tuple[float, float, float, float]

#: The shapes an annotation can have, and the fewest vertices each needs.
SHAPES = ("rect", "point", "line", "polygon")
MIN_VERTICES = {"point": 1, "line": 2, "polygon": 3}
#: How the CLI asks for each shape (also used in messages).
SHAPE_SYNTAX = {"rect": "X,Y,W,H", "point": "X,Y", "line": "X1,Y1,X2,Y2[,...]",
                "polygon": "X1,Y1,X2,Y2,X3,Y3[,...]"}  # fmt: skip


class ShapeError(VerifierError):
    """A shape that cannot be recorded (too few vertices, outside the frame...).

    Its own type so that the CLI can name the option the shape came from.
    """


@dataclass(frozen=True)
class Shape:
    """What an annotation marks: a rectangle (X,Y,W,H) or vertices (X1,Y1,X2,Y2,...).

    ``numbers`` is flat, as a person types it; for a point, line or polygon
    the pairs are the vertices in order (a polygon is closed implicitly).
    """

    kind: str
    numbers: tuple[float, ...]

    @classmethod
    def rect(cls, x: float, y: float, w: float, h: float) -> Shape:
        return cls("rect", (float(x), float(y), float(w), float(h)))

    @classmethod
    def of_vertices(cls, kind: str, vertices: Sequence[Sequence[float]]) -> Shape:
        return cls(kind, tuple(float(v) for vertex in vertices for v in vertex))

    @property
    def vertices(self) -> list[tuple[float, float]]:
        n = self.numbers
        return [(n[i], n[i + 1]) for i in range(0, len(n) - 1, 2)]


def parse_rect(text: str) -> Rect:
    """``X,Y,W,H`` in frame pixels (the CLI's ``--rect``)."""
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    if len(parts) != 4:
        raise VerifierError(f"cannot read the rectangle {text!r}: give X,Y,W,H in pixels")
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError as exc:
        raise VerifierError(f"cannot read the rectangle {text!r}: X,Y,W,H must be numbers") from exc
    return x, y, w, h


def parse_shape(kind: str, text: str) -> Shape:
    """``--point X,Y``, ``--line X1,Y1,X2,Y2[,...]``, ``--polygon ...`` or ``--rect X,Y,W,H``.

    Checks what can be checked without the frame: numbers, an even count and
    enough vertices for the shape (:class:`ShapeError` says which).
    """
    if kind == "rect":
        try:
            return Shape.rect(*parse_rect(text))
        except VerifierError as exc:
            raise ShapeError(str(exc)) from exc
    if kind not in MIN_VERTICES:
        raise ShapeError(f"unknown shape {kind!r}: use one of {', '.join(SHAPES)}")
    syntax = SHAPE_SYNTAX[kind]
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError as exc:
        raise ShapeError(f"cannot read the {kind} {text!r}: {syntax} must be numbers") from exc
    if len(numbers) % 2:
        raise ShapeError(
            f"cannot read the {kind} {text!r}: {len(numbers)} numbers, but vertices come "
            f"in X,Y pairs ({syntax})"
        )
    shape = Shape(kind, numbers)
    _check_count(shape)
    return shape


def _check_count(shape: Shape) -> None:
    count, least = len(shape.vertices), MIN_VERTICES[shape.kind]
    if shape.kind == "point" and count != 1:
        raise ShapeError(f"a point is one vertex X,Y, not {count}")
    if count < least:
        raise ShapeError(f"a {shape.kind} needs at least {least} vertices "
                         f"({SHAPE_SYNTAX[shape.kind]}), not {count}")  # fmt: skip


def _as_shape(value: Shape | Sequence[float]) -> Shape:
    """A :class:`Shape`; four plain numbers are a rectangle, as they always were."""
    if isinstance(value, Shape):
        return value
    if len(value) != 4:
        raise ShapeError("a rectangle is X,Y,W,H: four numbers")
    return Shape.rect(*value)


def fit_shape(
    shape: Shape, width: int | None, height: int | None
) -> tuple[Rect, list[list[float]] | None]:
    """The shape as stored: its box (x, y, w, h) and its vertices (None for a rectangle).

    A rectangle is clipped to the ``width`` x ``height`` frame (see
    :func:`clip_rect`); a vertex outside the frame is refused, as are a line
    with no length and a polygon with no area.
    """
    if shape.kind == "rect":
        try:
            return clip_rect(shape.numbers, width, height), None
        except VerifierError as exc:
            raise ShapeError(str(exc)) from exc
    if shape.kind not in MIN_VERTICES:
        raise ShapeError(f"unknown shape {shape.kind!r}: use one of {', '.join(SHAPES)}")
    if len(shape.numbers) % 2:
        raise ShapeError(f"a {shape.kind}'s vertices come in X,Y pairs: "
                         f"{len(shape.numbers)} numbers given")  # fmt: skip
    _check_count(shape)
    if not all(math.isfinite(v) for v in shape.numbers):
        raise ShapeError(f"the {shape.kind}'s vertices must be finite numbers")
    if not width or not height:
        raise VerifierError("the frame size of this clip is unknown: run `verifier analyse`")
    vertices = shape.vertices
    for number, (x, y) in enumerate(vertices, start=1):
        if not (0 <= x <= width and 0 <= y <= height):
            which = "point" if shape.kind == "point" else f"{shape.kind}'s vertex {number}"
            raise ShapeError(f"the {which} ({x:g}, {y:g}) lies outside the {width}x{height} frame")
    if shape.kind == "line" and all(v == vertices[0] for v in vertices):
        raise ShapeError("the line has no length: its vertices are all the same point")
    if shape.kind == "polygon" and _area(vertices) == 0:
        raise ShapeError("the polygon has no area: its vertices lie on one line")
    xs, ys = [x for x, _ in vertices], [y for _, y in vertices]
    box = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    return box, [[x, y] for x, y in vertices]


def _area(vertices: Sequence[tuple[float, float]]) -> float:
    """The polygon's area (shoelace formula); 0 when all vertices lie on one line."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(vertices, [*vertices[1:], vertices[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def _check_label(label: str) -> str:
    value = str(label).strip().lower()
    if value not in LABELS:
        raise VerifierError(f"unknown label {label!r}: use one of {', '.join(LABELS)}")
    return value


def clip_rect(rect: Sequence[float], width: int | None, height: int | None) -> Rect:
    """The part of ``rect`` (x, y, w, h) inside a ``width`` x ``height`` frame.

    A rectangle with no area, or entirely outside the frame, is refused.
    """
    if len(rect) != 4:
        raise VerifierError("a rectangle is X,Y,W,H: four numbers")
    x, y, w, h = (float(v) for v in rect)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise VerifierError("the rectangle's X,Y,W,H must be finite numbers")
    if w <= 0 or h <= 0:
        raise VerifierError(f"the rectangle {w:g}x{h:g} has no area: width and height must be > 0")
    if not width or not height:
        raise VerifierError("the frame size of this clip is unknown: run `verifier analyse`")
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(width), x + w), min(float(height), y + h)
    if x1 <= x0 or y1 <= y0:
        raise VerifierError(
            f"the rectangle {x:g},{y:g} {w:g}x{h:g} lies outside the {width}x{height} frame"
        )
    return x0, y0, x1 - x0, y1 - y0


def annotation_json(a: Annotation, table: FrameTable | None = None) -> dict[str, Any]:
    """An annotation as JSON; ``seconds`` needs the clip's frame table."""
    return {
        "id": a.id,
        "version": a.version,
        "clip_id": a.clip_id,
        "frame_index": a.frame_index,
        "pts": a.pts,
        "seconds": table.seconds_of(a.frame_index) if table is not None else None,
        "x": a.x,
        "y": a.y,
        "w": a.w,
        "h": a.h,
        "shape": a.shape or "rect",
        "points": [list(p) for p in a.points] if a.points else None,
        "label": a.label,
        "note": a.note,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "created_by": a.created_by,
        "updated_at": a.updated_at.isoformat() if a.updated_at else None,
    }


def annotations_for_clip(session: Session, clip: Clip) -> list[dict[str, Any]]:
    """The clip's annotations, by frame then id (used by ``describe_clip`` too)."""
    table = frame_table(clip)
    rows = session.scalars(
        select(Annotation)
        .where(Annotation.clip_id == clip.id)
        .order_by(Annotation.frame_index, Annotation.id)
    )
    return [annotation_json(a, table) for a in rows]


def list_annotations(
    app: App, clip_ref: str | ClipId, case: CaseRecord | None = None
) -> list[dict[str, Any]]:
    """Annotations of one clip (id or SHA-256 prefix), ordered by frame then id."""
    with app.db.read() as session:
        return annotations_for_clip(session, find_clip(session, clip_ref, case))


def _record(
    app: App,
    session: Session,
    action: str,
    clip: Clip,
    details: dict[str, Any],
    annotation: Annotation,
    *,
    deleted: bool = False,
) -> None:
    custody.record(session, actor=app.analyst, action=action, target_type="clip",
                   target_id=clip.id, case_id=clip.case_id, details=details,
                   items=[] if deleted else [annotation],
                   deleted=[annotation] if deleted else [])  # fmt: skip


def _geometry(
    app: App, clip_ref: str | ClipId, case: CaseRecord | None
) -> tuple[ClipId, FrameTable]:
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        return ClipId(clip.id), load_frame_table(app, clip)


def add_annotation(
    app: App,
    clip_ref: str | ClipId,
    frame_index: int,
    shape: Shape | Sequence[float],
    label: str,
    note: str = "",
    *,
    case: CaseRecord | None = None,
) -> dict[str, Any]:
    """Mark a shape (or a rectangle given as X,Y,W,H) on one frame of a clip (logged on it)."""
    label = _check_label(label)
    wanted = _as_shape(shape)
    clip_id, table = _geometry(app, clip_ref, case)
    what = f"still image #{clip_id}" if table.is_image else f"clip #{clip_id}"
    table.check_index(frame_index, what)
    (x, y, w, h), points = fit_shape(wanted, table.width, table.height)
    with app.db.write() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:  # deleted meanwhile
            raise VerifierError(f"no clip with id {clip_id}")
        annotation = Annotation(clip_id=clip_id, frame_index=frame_index,
                                pts=table.pts_of(frame_index), x=x, y=y, w=w, h=h,
                                shape=wanted.kind, points=points, label=label,
                                note=note or "", created_by=app.analyst)  # fmt: skip
        session.add(annotation)
        session.flush()
        data = annotation_json(annotation, table)
        details: dict[str, Any] = {"annotation_id": annotation.id, "annotation": data}
        if wanted.kind == "rect" and (x, y, w, h) != wanted.numbers:
            details["requested_rect"] = list(wanted.numbers)
        _record(app, session, "annotation.add", clip, details, annotation)
        return data


def _of(annotation_id: AnnotationId) -> Any:
    """Custody details that concern one annotation (its events are logged on the clip)."""
    return lambda details: details.get("annotation_id") == annotation_id


def _current(session: Session, annotation: Annotation) -> dict[str, Any]:
    clip = session.get(Clip, annotation.clip_id)
    return annotation_json(annotation, frame_table(clip) if clip is not None else None)


def _check_annotation(
    session: Session,
    annotation_id: AnnotationId,
    annotation: Annotation | None,
    expected_version: int | None,
) -> Annotation:
    """The annotation, if it is still the version the user saw (else a clear refusal)."""
    if annotation is None:
        if expected_version is None:
            raise VerifierError(f"no annotation with id {annotation_id}")
        clip_id = session.scalar(
            select(CustodyEvent.target_id)
            .where(CustodyEvent.action == "annotation.delete", CustodyEvent.target_type == "clip")
            .where(CustodyEvent.details["annotation_id"].as_integer() == annotation_id)
            .limit(1)
        )
        raise deleted_conflict(session, what=f"annotation #{annotation_id}",
                               target_type="clip", target_id=int(clip_id or 0),
                               action="annotation.delete", matches=_of(annotation_id))  # fmt: skip
    check_version(
        session, what=f"annotation #{annotation_id}", current_version=annotation.version,
        expected_version=expected_version, target_type="clip", target_id=annotation.clip_id,
        actions=("annotation.edit", "annotation.add"), matches=_of(annotation_id),
        current=_current(session, annotation),
    )  # fmt: skip
    return annotation


def edit_annotation(
    app: App,
    annotation_id: AnnotationId,
    *,
    expected_version: int | None = None,
    rect: Sequence[float] | None = None,
    shape: Shape | None = None,
    label: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Change an annotation's shape, label or note; the log keeps before and after.

    Only the fields given change; ``rect`` is a new rectangle X,Y,W,H and
    ``shape`` any new shape (a rectangle may become a line, and back).

    With ``expected_version`` (the version the user saw) a save on an
    annotation changed or deleted since is refused with
    :class:`~verifier.services.edits.EditConflict` instead of overwriting the
    other analyst's work.
    """
    if rect is not None and shape is not None:
        raise VerifierError("give a new rectangle or a new shape, not both")
    wanted = _as_shape(rect) if rect is not None else shape
    if wanted is None and label is None and note is None:
        raise VerifierError("nothing to change: give a new shape, label or note")
    label = _check_label(label) if label is not None else None
    with app.db.read() as session:
        annotation = session.get(Annotation, annotation_id)
        if annotation is None:
            _check_annotation(session, annotation_id, None, expected_version)
        assert annotation is not None
        clip_id = ClipId(annotation.clip_id)
    _, table = _geometry(app, clip_id, None)
    fitted = fit_shape(wanted, table.width, table.height) if wanted is not None else None
    with app.db.write() as session:
        annotation = _check_annotation(
            session, annotation_id, session.get(Annotation, annotation_id), expected_version
        )
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no annotation with id {annotation_id}")
        before = annotation_json(annotation, table)
        if fitted is not None and wanted is not None:
            (annotation.x, annotation.y, annotation.w, annotation.h), points = fitted
            annotation.shape, annotation.points = wanted.kind, points
        if label is not None:
            annotation.label = label
        if note is not None:
            annotation.note = note
        annotation.updated_at = utcnow()
        session.flush()
        after = annotation_json(annotation, table)
        _record(app, session, "annotation.edit", clip,
                {"annotation_id": annotation_id, "before": before, "after": after},
                annotation)  # fmt: skip
        return after


def delete_annotation(
    app: App, annotation_id: AnnotationId, *, expected_version: int | None = None
) -> None:
    """Withdraw an annotation; the log keeps what it marked.

    With ``expected_version``, an annotation changed since the user saw it is
    not withdrawn (they would be deleting something they have not read).
    """
    with app.db.write() as session:
        annotation = _check_annotation(
            session, annotation_id, session.get(Annotation, annotation_id), expected_version
        )
        clip = session.get(Clip, annotation.clip_id)
        assert clip is not None
        data = annotation_json(annotation, frame_table(clip))
        _record(app, session, "annotation.delete", clip,
                {"annotation_id": annotation_id, "deleted": data}, annotation,
                deleted=True)  # fmt: skip
        session.delete(annotation)
