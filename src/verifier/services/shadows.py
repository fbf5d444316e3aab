"""The shadow tool: a shadow measured on a frame, the times it fits, and a time finding.

The analyst draws (or picks existing line annotations for) three lines on a
frame of a clip: a vertical object, its shadow and a reference line whose
true bearing they know from the map (:mod:`verifier.geo.shadow` turns them
into a shadow bearing and a length ratio, with the error the drawing
allows). At the clip's best geolocation, over a date range (by default the
clip's own time window), :func:`verifier.geo.sun.find_windows` lists every
window when the sun casts that shadow, and the sun-path figure shows them.

:func:`measure` only reads. :func:`create_time_finding` then records what a
person chose, in one transaction: the lines drawn in the tool become line
annotations of the frame, the sun-path figure is kept as a derived file of
the clip's file (role ``sun-path-figure``, its own SHA-256), and a time
finding (method "sun position and shadows") carries the window(s) chosen,
the whole calculation as its reasoning (and, as data, in its evidence), the
frame, the annotations and the figure; each with its custody event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import pvlib
from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier import TOOL_NAME, __version__
from verifier.db.models import Annotation, Chronolocation, Clip
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.geo.shadow import (
    ASSUMPTION,
    DEFAULT_PIXEL_ERROR,
    Line,
    ShadowError,
    ShadowMeasure,
    measure_shadow,
)
from verifier.geo.sun import (
    MAX_SEARCH_DAYS,
    Measurement,
    Window,
    WindowSearch,
    Zone,
    find_windows,
    zone_at,
)
from verifier.geo.sun_figure import draw_sun_path
from verifier.ids import ClipId, FileId
from verifier.services.annotations import Shape, annotation_json, fit_shape
from verifier.services.cases import CaseRecord
from verifier.services.chronolocation import chronolocation_json, parse_confidence
from verifier.services.context import App
from verifier.services.frames import FrameTable, derived_png, encode_png, load_frame_table
from verifier.services.geolocation import _check_frames, best_geolocation
from verifier.services.lookup import find_clip

__all__ = [
    "ROLES",
    "ROLE_FIGURE",
    "ShadowRun",
    "create_time_finding",
    "measure",
    "shadow_context",
]

ROLE_FIGURE = "sun-path-figure"
#: The three lines, in the order the tool asks for them, and how each is drawn.
ROLES = {
    "object": "object (base → top)",
    "shadow": "shadow (base → tip)",
    "reference": "reference line (drawn in the direction of its bearing)",
}
#: Label and note of the annotation a line drawn in the tool becomes.
_ANNOTATION = {"object": "other", "shadow": "shadow", "reference": "landmark"}
#: The narrowest tolerances the search is given, whatever the drawing says: a shadow's
#: edge is never sharper than this.
MIN_BEARING_TOLERANCE = 0.5
MIN_RATIO_TOLERANCE_PCT = 1.0

LineInput = Line | int  # drawn pixels, or the id of a line annotation on the frame


@dataclass(frozen=True)
class DrawnLine:
    """One of the three lines: its pixels and, when it is one, the annotation it came from."""

    role: str
    line: Line
    annotation_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "points_px": self.line.to_json(),
                "length_px": round(self.line.length, 2),
                "annotation_id": self.annotation_id}  # fmt: skip


@dataclass(frozen=True)
class Place:
    """Where the sun is computed: the clip's best geolocation, or a place given."""

    lat: float
    lon: float
    source: str  # "geolocation #4 (confirmed)" or "given"
    geolocation_id: int | None = None

    def describe(self) -> str:
        return f"{self.lat:.5f}, {self.lon:.5f} ({self.source})"


@dataclass(frozen=True)
class ShadowRun:
    """A measurement and its answer, kept whole so it can be shown and recorded."""

    clip_id: ClipId
    clip_name: str
    file_id: FileId
    case_id: int | None
    frame: int
    lines: tuple[DrawnLine, DrawnLine, DrawnLine]
    reference_source: str
    measure: ShadowMeasure
    measurement: Measurement
    place: Place
    search: WindowSearch
    dates_source: str  # "given" or where the default range came from
    figure_day: date
    figure_png: bytes = field(repr=False)

    @property
    def zone(self) -> Zone:
        return self.search.zone

    @property
    def windows(self) -> list[Window]:
        return self.search.windows

    def to_json(self) -> dict[str, Any]:
        return {
            "clip_id": self.clip_id,
            "frame": self.frame,
            "lines": [line.to_json() for line in self.lines],
            "reference_source": self.reference_source,
            "measure": self.measure.to_json(),
            "place": {
                "lat": self.place.lat,
                "lon": self.place.lon,
                "source": self.place.source,
                "geolocation_id": self.place.geolocation_id,
            },
            "dates_source": self.dates_source,
            "search": self.search.to_json(),
            "algorithm": algorithm_text(),
        }


def algorithm_text() -> str:
    """What computed the answer, for the reasoning and the report."""
    return (
        f"Sun positions by NREL's Solar Position Algorithm (Reda & Andreas 2004) in pvlib "
        f"{pvlib.__version__}, apparent elevation with standard refraction (1013.25 hPa, "
        f"12 °C); windows from a scan every minute of the local days, edges resolved to the "
        f"second ({TOOL_NAME} {__version__}, verifier.geo.sun.find_windows)."
    )


# --------------------------------------------------------------------------- reading


def _best_place(session: Session, clip: Clip) -> Place | None:
    """The clip's best non-rejected geolocation: confirmed > probable > possible, a
    person's decision before a pending proposal, then the newest."""
    best = best_geolocation(session, clip.id)
    if best is None:
        return None
    return Place(best.latitude, best.longitude,
                 f"geolocation #{best.id}, {best.confidence}", best.id)  # fmt: skip


def _clip_window(session: Session, clip: Clip) -> tuple[datetime, datetime, str] | None:
    """The narrowest window the clip's non-rejected time findings agree on, when both ends
    are known (the latest start and the earliest end); None when an end is open."""
    rows = session.scalars(
        select(Chronolocation).where(
            Chronolocation.clip_id == clip.id, Chronolocation.status != "rejected"
        )
    ).all()
    starts = [(c.earliest, c.id) for c in rows if c.earliest is not None]
    ends = [(c.latest, c.id) for c in rows if c.latest is not None]
    if not starts or not ends:
        return None
    start, start_id = max(starts)
    end, end_id = min(ends)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    if end < start:
        return None
    ids = sorted({start_id, end_id})
    return start, end, "the clip's time window (finding " + ", ".join(f"#{i}" for i in ids) + ")"


def _local_days(start: datetime, end: datetime, zone: Zone) -> tuple[date, date]:
    return zone.local(start).date(), zone.local(end).date()


def shadow_context(app: App, clip_id: ClipId, frame: int) -> dict[str, Any]:
    """What the tool shows before a measurement: the place, the default dates and the
    line annotations already on the frame; reads only."""
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        place = _best_place(session, clip)
        window = _clip_window(session, clip)
        lines = session.scalars(
            select(Annotation)
            .where(Annotation.clip_id == clip.id, Annotation.frame_index == frame,
                   Annotation.shape == "line")
            .order_by(Annotation.id)
        ).all()  # fmt: skip
        doc: dict[str, Any] = {
            "clip_id": clip.id,
            "place": None if place is None else place.describe(),
            "dates": None,
            "dates_source": None,
            "line_annotations": [annotation_json(a) for a in lines],
        }
        if window is not None:
            # Local days at the place; UTC days until the clip has one.
            zone = zone_at(place.lat, place.lon) if place is not None else Zone("UTC", UTC)
            first, last = _local_days(window[0], window[1], zone)
            doc["dates"] = (first.isoformat(), last.isoformat())
            doc["dates_source"] = window[2]
        return doc


def _line_of(
    session: Session, clip: Clip, frame: int, role: str, value: LineInput, table: FrameTable
) -> DrawnLine:
    name = f"{role} line"
    if isinstance(value, Line):
        try:
            fit_shape(Shape.of_vertices("line", value.to_json()), table.width, table.height)
        except VerifierError as exc:
            raise ShadowError(f"{name}: {exc}") from None
        return DrawnLine(role, value)
    annotation = session.get(Annotation, int(value))
    if annotation is None or annotation.clip_id != clip.id:
        raise ShadowError(f"{name}: no annotation #{value} on clip #{clip.id}")
    if annotation.shape != "line" or not annotation.points or len(annotation.points) != 2:
        raise ShadowError(f"{name}: annotation #{value} is not a line of two points")
    if annotation.frame_index != frame:
        raise ShadowError(
            f"{name}: annotation #{value} is on frame {annotation.frame_index}, not frame {frame}"
        )
    return DrawnLine(role, Line.of(annotation.points), annotation.id)


def _measurement(found: ShadowMeasure, use_ratio: bool) -> Measurement:
    if found.bearing_error > 90:
        raise ShadowError(
            f"shadow line: the bearing is uncertain by ±{found.bearing_error:.0f}°: "
            "draw the lines longer"
        )
    ratio_pct = max(found.ratio_error_pct, MIN_RATIO_TOLERANCE_PCT)
    if use_ratio and ratio_pct >= 100:
        raise ShadowError(
            f"object line: the length ratio is uncertain by ±{ratio_pct:.0f} %: draw the "
            "lines longer, or search on the bearing alone"
        )
    return Measurement(
        bearing=round(found.shadow_bearing, 3),
        bearing_tolerance=round(max(found.bearing_error, MIN_BEARING_TOLERANCE), 3),
        ratio=round(found.ratio, 4) if use_ratio else None,
        ratio_tolerance_pct=round(ratio_pct, 2) if use_ratio else 10.0,
    )


def _figure(run: ShadowRun, day: date, windows: Sequence[Window]) -> bytes:
    search = run.search
    query = (
        f"Shadow on frame {run.frame} of clip #{run.clip_id}: {run.measurement.describe()}; "
        f"searched {search.first_day.isoformat()} to {search.last_day.isoformat()}"
    )
    image = draw_sun_path(search.lat, search.lon, day, search.zone, windows=windows,
                          measurement=run.measurement, query=query)  # fmt: skip
    return encode_png(image, {
        "Software": f"{TOOL_NAME} {__version__}",
        "Title": "Sun-path figure",
        "Description": f"Clip #{run.clip_id}, frame {run.frame}: {run.measure.describe()}; "
                       f"place {run.place.describe()}; day {day.isoformat()}.",
    })  # fmt: skip


def measure(
    app: App,
    clip_ref: str | ClipId,
    frame: int,
    *,
    object_line: LineInput,
    shadow_line: LineInput,
    reference_line: LineInput,
    reference_bearing: float,
    reference_source: str = "",
    reference_error: float = 0.0,
    pixel_error: float = DEFAULT_PIXEL_ERROR,
    date_from: date | None = None,
    date_to: date | None = None,
    use_ratio: bool = True,
    at: tuple[float, float] | None = None,
    case: CaseRecord | None = None,
) -> ShadowRun:
    """Measure the shadow on ``frame`` and find when the sun casts it; reads only.

    Lines are frame pixels (:class:`Line`) or ids of line annotations on that
    frame. The place is ``at`` or the clip's best geolocation; the dates are
    ``date_from``..``date_to`` or, without them, the clip's time window (its
    findings' latest start to earliest end, in local days). The search uses
    the drawing's error as its tolerance (never below 0.5° and 1 %).
    """
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        table = load_frame_table(app, clip)
        _check_frames(clip, [frame])
        drawn = tuple(
            _line_of(session, clip, frame, role, value, table)
            for role, value in (("object", object_line), ("shadow", shadow_line),
                                ("reference", reference_line))
        )  # fmt: skip
        if at is not None:
            place = Place(float(at[0]), float(at[1]), "given")
        else:
            found_place = _best_place(session, clip)
            if found_place is None:
                raise VerifierError(
                    f"place: clip #{clip.id} has no geolocation: add one (Geolocation tab) "
                    "so the sun can be computed where it was filmed"
                )
            place = found_place
        window = _clip_window(session, clip) if date_from is None or date_to is None else None
        clip_id, clip_name = ClipId(clip.id), clip.name
        file_id, case_id = FileId(clip.file_id), clip.case_id

    zone = zone_at(place.lat, place.lon)
    if date_from is not None and date_to is not None:
        first, last, dates_source = date_from, date_to, "given"
    elif window is not None:
        first, last = _local_days(window[0], window[1], zone)
        dates_source = window[2]
        if (last - first).days + 1 > MAX_SEARCH_DAYS:
            raise VerifierError(
                f"dates: the clip's time window spans {(last - first).days + 1} days, more "
                f"than the {MAX_SEARCH_DAYS} searched at once: give a date range"
            )
    else:
        raise VerifierError(
            "dates: the clip has no time window closed at both ends: give the dates to search"
        )
    found = measure_shadow(drawn[0].line, drawn[1].line, drawn[2].line, float(reference_bearing),
                           pixel_error=pixel_error,
                           reference_error=reference_error)  # fmt: skip
    wanted = _measurement(found, use_ratio)
    search = find_windows(place.lat, place.lon, first, last, [wanted], zone)
    day = zone.local(search.windows[0].best).date() if search.windows else first
    run = ShadowRun(clip_id, clip_name, file_id, case_id, frame, drawn,  # type: ignore[arg-type]
                    reference_source.strip(), found, wanted, place, search, dates_source,
                    day, b"")  # fmt: skip
    return replace(run, figure_png=_figure(run, day, search.windows))


# --------------------------------------------------------------------------- recording


def _moment(instant: datetime, zone: Zone) -> str:
    utc = instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if zone.note is not None:
        return utc
    return f"{utc} ({zone.local(instant).isoformat(sep=' ', timespec='seconds')} local)"


def reasoning_text(run: ShadowRun, chosen: Sequence[int], figure: str) -> str:
    """The whole calculation, in words and numbers, as the finding's reasoning."""
    m, w = run.measure, run.measurement
    out = [
        f"Sun position and shadows: a shadow measured on frame {run.frame} of clip "
        f"#{run.clip_id} with the shadow tool.",
        f"Lines drawn (frame pixels, each end ±{m.pixel_error:g} px):",
    ]
    for line in run.lines:
        (x1, y1), (x2, y2) = line.line.to_json()
        source = f", annotation #{line.annotation_id}" if line.annotation_id else ""
        out.append(f"- {ROLES[line.role]}: ({x1:.1f}, {y1:.1f}) → ({x2:.1f}, {y2:.1f}), "
                   f"{line.line.length:.1f} px{source}")  # fmt: skip
    source = run.reference_source or "not given"
    out += [
        f"Reference line: true bearing {m.reference_bearing:g}° ±{m.reference_error:g}° "
        f"(source: {source}); in the image it points at {m.reference_line.angle:.2f}°, the "
        f"shadow at {m.shadow_line.angle:.2f}° (clockwise from up).",
        f"Measured: shadow bearing {m.shadow_bearing:.2f}° ±{m.bearing_error:.2f}° (the sun "
        f"at azimuth {m.sun_azimuth:.2f}°); length ratio {m.ratio:.3f} "
        f"({m.ratio_low:.3f} to {m.ratio_high:.3f}); the shadow starts "
        f"{m.base_gap_px:.1f} px from the object's base.",
        f"Assumption: {ASSUMPTION}",
        f"Place: {run.place.describe()}; time zone {run.zone.name}"
        + (f" ({run.zone.note})" if run.zone.note else "")
        + ".",
        f"Searched: local days {run.search.first_day.isoformat()} to "
        f"{run.search.last_day.isoformat()} ({run.dates_source}); "
        f"{w.describe() if w.ratio is not None else w.describe() + ', ratio not used'}.",
        f"Windows found: {len(run.windows)}.",
    ]
    for number, window in enumerate(run.windows, start=1):
        mark = " [chosen]" if number - 1 in chosen else ""
        out.append(f"{number}. {_moment(window.start, run.zone)} to "
                   f"{_moment(window.end, run.zone)}; best {_moment(window.best, run.zone)}"
                   f"{mark}")  # fmt: skip
    out += [algorithm_text(), f"Sun-path figure: {figure}."]
    return "\n".join(out)


def _new_annotation(
    app: App, session: Session, clip: Clip, run: ShadowRun, line: DrawnLine, table: FrameTable
) -> Annotation:
    """A line drawn in the tool, kept as a line annotation of the frame (logged)."""
    (box, points) = fit_shape(Shape.of_vertices("line", line.line.to_json()),
                              table.width, table.height)  # fmt: skip
    note = f"shadow tool: {ROLES[line.role]}"
    if line.role == "reference":
        note += f", true bearing {run.measure.reference_bearing:g}°"
        if run.reference_source:
            note += f" ({run.reference_source})"
    annotation = Annotation(clip_id=clip.id, frame_index=run.frame, pts=table.pts_of(run.frame),
                            x=box[0], y=box[1], w=box[2], h=box[3], shape="line",
                            points=points, label=_ANNOTATION[line.role], note=note,
                            created_by=app.analyst)  # fmt: skip
    session.add(annotation)
    session.flush()
    custody.record(session, actor=app.analyst, action="annotation.add", target_type="clip",
                   target_id=clip.id, case_id=clip.case_id,
                   details={"annotation_id": annotation.id,
                            "annotation": annotation_json(annotation, table)},
                   items=[annotation])  # fmt: skip
    return annotation


def create_time_finding(
    app: App,
    run: ShadowRun,
    *,
    windows: Sequence[int] | None = None,
    confidence: str = "probable",
    note: str = "",
) -> dict[str, Any]:
    """Record a time finding from ``run``: the chosen windows (indices into
    ``run.windows``; all by default) become one window from the first start to the
    last end. One transaction: new line annotations, the stored figure and the
    finding, each with its custody event. Returns the finding as recorded, with the
    figure's file id and SHA-256."""
    confidence = parse_confidence(confidence)
    if not run.windows:
        raise VerifierError("windows: no window matched, so there is no time to record")
    chosen = sorted(set(range(len(run.windows)) if windows is None else windows))
    if not chosen or any(not 0 <= i < len(run.windows) for i in chosen):
        raise VerifierError(f"windows: choose among windows 1 to {len(run.windows)}")
    picked = [run.windows[i] for i in chosen]
    earliest, latest = min(w.start for w in picked), max(w.end for w in picked)
    day = run.zone.local(picked[0].best).date()
    png = run.figure_png if day == run.figure_day else _figure(run, day, run.windows)
    sha = hashlib.sha256(png).hexdigest()
    # Stored before the transaction, as landmark figures are: if the transaction fails
    # an unreferenced object remains, which verify reports as intact.
    _sha, relative, _new = app.store.put_bytes(png)
    with app.db.write() as session:
        clip = session.get(Clip, run.clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {run.clip_id}")
        table = load_frame_table(app, clip)
        annotation_ids = []
        for line in run.lines:
            if line.annotation_id is not None:
                if session.get(Annotation, line.annotation_id) is None:
                    raise VerifierError(
                        f"{line.role} line: annotation #{line.annotation_id} was deleted "
                        "meanwhile: measure again"
                    )
                annotation_ids.append(line.annotation_id)
            else:
                annotation_ids.append(_new_annotation(app, session, clip, run, line, table).id)
        name = f"sun-path-clip{clip.id}-f{run.frame}-{day.isoformat()}-{sha[:8]}.png"
        stored = derived_png(app, session, sha, relative, len(png), run.file_id, ROLE_FIGURE,
                             name)  # fmt: skip
        figure = {"file_id": stored.id, "sha256": sha, "role": ROLE_FIGURE,
                  "day": day.isoformat(), "stored_path": stored.stored_path}  # fmt: skip
        custody.record(session, actor=app.analyst, action="sun.figure", target_type="clip",
                       target_id=clip.id, case_id=clip.case_id,
                       details={"figure": figure, "frame": run.frame,
                                "measure": run.measure.to_json()},
                       items=[stored])  # fmt: skip
        reasoning = reasoning_text(
            run, chosen, f"stored file #{stored.id}, SHA-256 {sha}, day {day.isoformat()}"
        )
        if note.strip():
            reasoning = note.strip() + "\n\n" + reasoning
        calculation = {**run.to_json(), "chosen_windows": [i + 1 for i in chosen]}
        c = Chronolocation(clip_id=clip.id, earliest=earliest, latest=latest,
                           confidence=confidence, method="sun position and shadows",
                           reasoning=reasoning,
                           evidence={"frames": [run.frame],
                                     "annotations": sorted(set(annotation_ids)),
                                     "figures": [stored.id], "calculation": calculation},
                           origin="manual", status="confirmed",
                           created_by=app.analyst)  # fmt: skip
        session.add(c)
        session.flush()
        custody.record(session, actor=app.analyst, action="chronolocation.add",
                       target_type="clip", target_id=clip.id, case_id=clip.case_id,
                       details={"chronolocation_id": c.id,
                                "chronolocation": chronolocation_json(c, clip),
                                "calculation": calculation},
                       items=[c])  # fmt: skip
        return {**chronolocation_json(c, clip), "figure": figure}
