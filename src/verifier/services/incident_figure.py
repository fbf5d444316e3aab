"""The incident timeline as a figure for the report: PNG (OpenCV) or SVG (plain text).

One lane per placed clip (excerpts and re-uploads indented under their
source), its span as a bar, its cuts and fades as ticks, the stretches no
clip covers hatched across all lanes, the events as numbered markers, a time
axis in seconds and, when the clock has UTC bounds, the UTC time of the
earliest bound under it. Clips that could not be placed are named under the
lanes with the reason, so the figure never hides a clip of the incident.

The figure is stored in the evidence store as a derived file (role
``incident-timeline``, its own SHA-256) with a custody event that names the
incident, the clips and their placement, the same way a landmark figure is.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import cv2
import numpy as np
from sqlalchemy import select

from verifier.db.models import Clip, StoredFile
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import FileId
from verifier.services.cases import CaseRecord, resolve_case
from verifier.services.context import App
from verifier.services.frames import encode_png
from verifier.services.incident_clock import build_clock, clock_time_text

__all__ = ["ROLE_TIMELINE", "TimelineFigure", "render_png", "render_svg", "store_timeline"]

ROLE_TIMELINE = "incident-timeline"
WIDTH = 1400
LEFT = 260
RIGHT = 40
TOP = 70
LANE = 46
BAR = 24
_BG = (255, 255, 255)
_INK = (30, 30, 30)
_GREY = (150, 150, 150)
_BAR_RGB = (70, 120, 190)
_CHILD_RGB = (120, 160, 210)
_CUT_RGB = (220, 50, 50)
_EVENT_RGB = (230, 140, 0)
_GAP_RGB = (200, 200, 200)
_WRAP = 170
"""Characters per line of the text under the axis (the figure is 1400 px wide)."""


@dataclass(frozen=True)
class TimelineFigure:
    """A stored timeline figure: its bytes, where they are, and the clock it shows."""

    data: bytes
    sha256: str
    file_id: FileId
    stored_path: str
    format: str
    clock: dict[str, Any]
    out_path: Path | None


def _nice_step(length: float, ticks: int = 10) -> float:
    raw = max(length, 1e-3) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


@dataclass(frozen=True)
class _Layout:
    clock: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def length(self) -> float:
        return max(float(self.clock["length"]), 1.0)

    def x(self, seconds: float) -> int:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * seconds / self.length)

    def lane_y(self, n: int) -> int:
        return TOP + n * LANE

    @property
    def axis_y(self) -> int:
        return self.lane_y(len(self.clock["clips"])) + 10

    @property
    def height(self) -> int:
        extra = 30 * len(_footer(self.clock, self.events))
        return self.axis_y + 70 + extra

    def ticks(self) -> list[float]:
        step = _nice_step(self.length)
        return [i * step for i in range(int(self.length / step + 1e-9) + 1)]

    def lane_of(self, clip_id: int) -> int | None:
        ids = [c["clip"]["id"] for c in self.clock["clips"]]
        return ids.index(clip_id) if clip_id in ids else None


def _ascii(text: str) -> str:
    """OpenCV's fonts draw ASCII only; anything else shows as ``?`` (the SVG keeps it)."""
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


def _label(clip: dict[str, Any]) -> str:
    name = clip["clip"]["name"]
    return f"#{clip['clip']['id']} {name if len(name) <= 24 else name[:23] + '~'}"


def _title(clock: dict[str, Any]) -> str:
    inc = clock["incident"]
    name = inc["name"] or "unnamed"
    return f"Incident {inc['ref']}: {name} - {clock_time_text(clock['length'])} on the clock"


def _utc_lines(clock: dict[str, Any]) -> list[str]:
    absolute = clock["absolute"]
    if absolute is None:
        return ["no time finding dates this clock"]
    lo, hi = absolute["zero_earliest_utc"], absolute["zero_latest_utc"]
    lines = [f"0 s on this clock is between {lo or 'open'} and {hi or 'open'} UTC"]
    if not absolute["zone"]:
        return [lines[0] + " (no location: UTC only)"]
    local = [absolute[f"zero_{side}_local"] for side in ("earliest", "latest")]
    shown = [f"{x['time']} {x['abbreviation']}" if x else "open" for x in local]
    lines.append(f"    local time ({absolute['zone']['name']}): {shown[0]} to {shown[1]}")
    return lines


LEGEND = (
    "bar: the span a clip covers; indented, lighter: an excerpt or re-upload under its source; "
    "red tick: a cut or fade; orange marker: an event; hatched: no clip covers it"
)


def _footer(clock: dict[str, Any], events: list[dict[str, Any]]) -> list[str]:
    """The text under the axis: legend, absolute time, events, unplaced clips (wrapped)."""
    lines = [LEGEND, *_utc_lines(clock)]
    lines += [_event_text(n, e) for n, e in enumerate(events, 1)]
    lines += [f"not placed: #{p['clip']['id']} {p['clip']['name']}: {p['reason']}"
              for p in clock["not_placed"]]  # fmt: skip
    wrapped: list[str] = []
    for line in lines:
        wrapped += textwrap.wrap(line, _WRAP, subsequent_indent="    ") or [""]
    return wrapped


def _event_text(n: int, e: dict[str, Any]) -> str:
    when = e["clock_text"] or "not placed"
    return f"{n}. {when}  {e['label']}  ({e['cross_reference']})"


def render_png(clock: dict[str, Any], events: list[dict[str, Any]]) -> np.ndarray:
    """The timeline as an RGB image."""
    lay = _Layout(clock, events)
    img = np.full((lay.height, WIDTH, 3), _BG, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, _ascii(_title(clock)), (20, 32), font, 0.7, _INK, 2, cv2.LINE_AA)
    top, bottom = lay.lane_y(0), lay.axis_y
    for gap in clock["gaps"]:
        x0, x1 = lay.x(gap["start"]), lay.x(gap["end"])
        cv2.rectangle(img, (x0, top), (x1, bottom), (240, 240, 240), -1)
        for k in range(x0 - (bottom - top), x1, 8):  # diagonal hatching, clipped to the gap
            p0, p1 = (k, bottom), (k + (bottom - top), top)
            ok, q0, q1 = cv2.clipLine((x0, top, max(1, x1 - x0), bottom - top), p0, p1)
            if ok:
                cv2.line(img, q0, q1, _GAP_RGB, 1, cv2.LINE_AA)
        cv2.putText(img, f"gap {gap['duration']:.1f} s", (x0 + 3, top - 6), font, 0.4,
                    _GREY, 1, cv2.LINE_AA)  # fmt: skip
    for n, c in enumerate(clock["clips"]):
        y = lay.lane_y(n)
        indent = 16 * c["depth"]
        cv2.putText(img, _ascii(("- " if c["depth"] else "") + _label(c)),
                    (12 + indent, y + BAR // 2 + 14), font, 0.5, _INK, 1, cv2.LINE_AA)  # fmt: skip
        x0, x1 = lay.x(c["start"]), max(lay.x(c["end"]), lay.x(c["start"]) + 2)
        colour = _CHILD_RGB if c["depth"] else _BAR_RGB
        cv2.rectangle(img, (x0, y + 8), (x1, y + 8 + BAR), colour, -1)
        for cut in c["cuts"]:
            xc = lay.x(cut["clock_seconds"])
            cv2.line(img, (xc, y + 4), (xc, y + 12 + BAR), _CUT_RGB, 2)
    for n, e in enumerate(events, 1):
        lane = lay.lane_of(e["clip"]["id"])
        if lane is None or e["clock_seconds"] is None:
            continue
        xe, y = lay.x(e["clock_seconds"]), lay.lane_y(lane) + 8
        pts = np.array([[xe, y + BAR], [xe - 7, y - 4], [xe + 7, y - 4]], np.int32)
        cv2.fillPoly(img, [pts], _EVENT_RGB, cv2.LINE_AA)
        cv2.putText(img, str(n), (xe + 8, y + 4), font, 0.45, _INK, 1, cv2.LINE_AA)
    y = lay.axis_y
    cv2.line(img, (LEFT, y), (WIDTH - RIGHT, y), _INK, 1)
    for t in lay.ticks():
        xt = lay.x(t)
        cv2.line(img, (xt, y), (xt, y + 6), _INK, 1)
        cv2.putText(img, f"{t:g} s", (xt - 12, y + 22), font, 0.45, _INK, 1, cv2.LINE_AA)
    cv2.putText(img, "incident clock", (20, y + 22), font, 0.45, _GREY, 1, cv2.LINE_AA)
    lines = _footer(clock, events)
    for k, text in enumerate(lines):
        cv2.putText(img, _ascii(text), (20, y + 52 + 30 * k), font, 0.45, _INK, 1,
                    cv2.LINE_AA)  # fmt: skip
    return img


def render_svg(clock: dict[str, Any], events: list[dict[str, Any]]) -> bytes:
    """The same timeline as a small hand-written SVG (text stays searchable in the report)."""
    lay = _Layout(clock, events)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{lay.height}" '
           f'viewBox="0 0 {WIDTH} {lay.height}" font-family="sans-serif" font-size="12">',
           '<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="8" stroke="#c8c8c8" '
           'stroke-width="2"/></pattern></defs>',
           f'<rect width="{WIDTH}" height="{lay.height}" fill="#fff"/>',
           f'<text x="20" y="32" font-size="18" font-weight="bold">{escape(_title(clock))}'
           "</text>"]  # fmt: skip
    top, bottom = lay.lane_y(0), lay.axis_y
    for gap in clock["gaps"]:
        x0, x1 = lay.x(gap["start"]), lay.x(gap["end"])
        out.append(f'<rect class="gap" x="{x0}" y="{top}" width="{x1 - x0}" '
                   f'height="{bottom - top}" fill="url(#hatch)"/>')  # fmt: skip
        out.append(f'<text x="{x0 + 3}" y="{top - 6}" fill="#888">gap '
                   f'{gap["duration"]:.1f} s</text>')  # fmt: skip
    for n, c in enumerate(clock["clips"]):
        y = lay.lane_y(n)
        indent = 16 * c["depth"]
        label = ("↳ " if c["depth"] else "") + _label(c)
        out.append(f'<text x="{12 + indent}" y="{y + BAR // 2 + 14}">{escape(label)}</text>')
        x0, x1 = lay.x(c["start"]), max(lay.x(c["end"]), lay.x(c["start"]) + 2)
        colour = "#78a0d2" if c["depth"] else "#4678be"
        out.append(f'<rect class="span" data-clip="{c["clip"]["id"]}" x="{x0}" y="{y + 8}" '
                   f'width="{x1 - x0}" height="{BAR}" fill="{colour}"/>')  # fmt: skip
        for cut in c["cuts"]:
            xc = lay.x(cut["clock_seconds"])
            out.append(f'<line class="cut" x1="{xc}" y1="{y + 4}" x2="{xc}" '
                       f'y2="{y + 12 + BAR}" stroke="#dc3232" stroke-width="2"/>')  # fmt: skip
    for n, e in enumerate(events, 1):
        lane = lay.lane_of(e["clip"]["id"])
        if lane is None or e["clock_seconds"] is None:
            continue
        xe, y = lay.x(e["clock_seconds"]), lay.lane_y(lane) + 8
        out.append(f'<polygon class="event" points="{xe},{y + BAR} {xe - 7},{y - 4} '
                   f'{xe + 7},{y - 4}" fill="#e68c00"/>')  # fmt: skip
        out.append(f'<text x="{xe + 8}" y="{y + 4}">{n}</text>')
    y = lay.axis_y
    out.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#1e1e1e"/>')
    for t in lay.ticks():
        xt = lay.x(t)
        out.append(f'<line x1="{xt}" y1="{y}" x2="{xt}" y2="{y + 6}" stroke="#1e1e1e"/>')
        out.append(f'<text x="{xt}" y="{y + 22}" text-anchor="middle">{t:g} s</text>')
    out.append(f'<text x="20" y="{y + 22}" fill="#969696">incident clock</text>')
    lines = _footer(clock, events)
    for k, text in enumerate(lines):
        out.append(f'<text x="20" y="{y + 52 + 30 * k}">{escape(text)}</text>')
    out.append("</svg>\n")
    return "\n".join(out).encode("utf-8")


def _check_out(app: App, out_path: Path) -> tuple[Path, str]:
    kind = out_path.suffix.lower().lstrip(".")
    if kind not in ("png", "svg"):
        raise VerifierError("--out: the figure is written as PNG or SVG: give a file name "
                            "ending in .png or .svg", path=out_path)  # fmt: skip
    target = out_path.resolve()
    if target.is_dir():
        raise VerifierError("--out: is a folder: give a file name", path=out_path)
    if not target.parent.is_dir():
        raise VerifierError("--out: the folder does not exist", path=out_path.parent)
    if target.is_relative_to(app.store.root.resolve()):
        raise VerifierError("--out: cannot write into the evidence store", path=out_path)
    return target, kind


def _write(path: Path, data: bytes) -> None:
    part = path.with_name(path.name + ".part")
    try:
        part.write_bytes(data)
        part.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise VerifierError(f"cannot write the figure ({exc.strerror or exc})",
                            path=path) from exc  # fmt: skip


def _png_bytes(clock: dict[str, Any], events: list[dict[str, Any]]) -> bytes:
    text = {"Title": _title(clock), "Software": "verifier incident timeline"}
    return encode_png(render_png(clock, events), text)


def store_timeline(
    app: App, ref: str, out_path: Path | None = None, *, fmt: str | None = None,
    case: CaseRecord | None = None,
) -> TimelineFigure:  # fmt: skip
    """Draw the incident's timeline, store it as a derived file with a custody event, and
    write a copy to ``out_path`` (its suffix chooses PNG or SVG; default PNG)."""
    target, kind = _check_out(app, out_path) if out_path is not None else (None, fmt or "png")
    if kind not in ("png", "svg"):
        raise VerifierError("format: use png or svg")
    case = case or resolve_case(app, None)
    with app.db.read() as session:
        clock, events = build_clock(session, case.id, str(ref))
    if not clock["clips"]:
        raise VerifierError(f"incident {clock['incident']['ref']}: no clip could be placed on "
                            "its clock (the links have no time offsets), so there is no "
                            "timeline to draw")  # fmt: skip
    data = _png_bytes(clock, events) if kind == "png" else render_svg(clock, events)
    sha, relative, _new = app.store.put_bytes(data)
    owner_id = clock["reference_clip"] or clock["clips"][0]["clip"]["id"]
    with app.db.write() as session:
        owner = session.get(Clip, owner_id)
        assert owner is not None
        stored = session.scalar(select(StoredFile).where(StoredFile.sha256 == sha))
        if stored is None:
            name = f"incident-{clock['incident']['ref'].replace(':', '')}-timeline-{sha[:8]}.{kind}"
            stored = StoredFile(
                sha256=sha, size=len(data), kind="derived", role=ROLE_TIMELINE,
                original_name=name, mime_type="image/png" if kind == "png" else "image/svg+xml",
                container=kind, stored_path=relative, imported_by=app.analyst,
                derived_from_id=owner.file_id,
            )  # fmt: skip
            session.add(stored)
            session.flush()
        details = {
            "incident": clock["incident"],
            "file_id": stored.id,
            "sha256": sha,
            "format": kind,
            "placement": [{"clip_id": c["clip"]["id"], "start": c["start"], "end": c["end"]}
                          for c in clock["clips"]],
            "not_placed": [p["clip"]["id"] for p in clock["not_placed"]],
            "gaps": clock["gaps"],
            "events": [e["id"] for e in events],
        }  # fmt: skip
        custody.record(session, actor=app.analyst, action="incident.timeline",
                       target_type="clip", target_id=owner.id, case_id=owner.case_id,
                       details=details, items=[stored])  # fmt: skip
        figure = TimelineFigure(data, sha, FileId(stored.id), stored.stored_path, kind, clock,
                                target)  # fmt: skip
    if target is not None:
        _write(target, data)
    return figure
