"""The incident clock: every clip of an incident on one time axis, with its gaps.

Clips are placed by the time offsets of the links between them
(``b_time = speed * a_time + offset``: a person's link has speed 1, a match
carries the speed it found). The offsets are solved over the link graph as a
spanning tree grown breadth-first from a reference clip (the longest clip of
the largest group of clips joined by offsets); every link that closes a cycle
is checked against the tree, and one whose offset disagrees by more than
:data:`CYCLE_TOLERANCE` is reported, never silently averaged. Clips joined to
the incident only by links without an offset are listed as not placed, with
the reason. The clock's zero is the first moment any placed clip shows.

Where the placed clips have time findings (confirmed or probable, not
rejected, not a pending proposal), each dates the frame it cites (or the
clip's first frame) and so bounds the UTC time of the clock's zero; all such
bounds are intersected, and bounds that exclude each other are reported as a
conflict instead of giving the clock a time. With bounds, every moment of the
clock has a UTC window and a local one at the clips' geolocation.

Excerpts and re-uploads sit under the footage they come from (a lane
hierarchy: an excerpt link's first clip under its second, a matched excerpt
or re-upload's shorter clip under the longer one). Per clip the clock gives
the span it covers, its edit points (the cuts and fades analysis found)
mapped to the clock, and for the incident the stretches no clip covers
(gaps) and the stretches two clips both cover (overlaps).

:func:`coverage_at` answers, for one moment of the clock, which clips cover
it and at which clip time and frame: what the incident view opens side by
side, and what the events listing cross-references.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import Chronolocation, Clip, ClipLink, Event, Keyframe
from verifier.errors import VerifierError
from verifier.services.cases import CaseRecord, resolve_case
from verifier.services.chronolocation import clip_zone, local_time
from verifier.services.context import App
from verifier.services.events import event_json
from verifier.services.frames import FrameTable, frame_table
from verifier.services.incidents import incident_members
from verifier.services.links import link_type

__all__ = [
    "CYCLE_TOLERANCE",
    "clock_time_text",
    "coverage_at",
    "incident_clock",
    "incident_events",
]

CYCLE_TOLERANCE = 0.25
"""Seconds by which two routes through the links may disagree before it is reported
(a few frames: offsets found by eye or by sound are rarely more exact)."""
GAP_MIN = 1e-3
"""Stretches shorter than this (float rounding) are neither gaps nor overlaps."""
_DATING = ("confirmed", "probable")


def clock_time_text(seconds: float) -> str:
    """``00:41.2``: minutes and seconds to a tenth, as a report cites a moment."""
    sign = "-" if seconds < 0 else ""
    tenths = round(abs(seconds) * 10)
    minutes, rest = divmod(tenths, 600)
    return f"{sign}{minutes:02d}:{rest // 10:02d}.{rest % 10}"


@dataclass
class _Edge:
    link: ClipLink
    speed: float
    offset: float | None


@dataclass
class _Placed:
    start: float
    rate: float  # clock seconds per clip second
    via: int | None  # link id that placed it (None: the reference)


@dataclass
class _Clock:
    incident: dict[str, Any]
    clips: dict[int, Clip]
    tables: dict[int, FrameTable]
    placed: dict[int, _Placed] = field(default_factory=dict)
    doc: dict[str, Any] = field(default_factory=dict)


def _edge(link: ClipLink) -> _Edge:
    details = link.details or {}
    speed = float((details.get("transform") or {}).get("speed", 1.0) or 1.0)
    offset = link.offset_seconds
    if offset is None and details.get("offset") is not None:
        offset = float(details["offset"])
    return _Edge(link, speed, offset)


def _usable(link: ClipLink) -> bool:
    """A link whose offset may place clips: a person's link or a match a person confirmed."""
    return link.status == "confirmed"


def _duration(clip: Clip) -> float:
    return float(clip.duration or 0.0) if clip.media_kind != "image" else 0.0


def _offset_groups(members: list[int], edges: list[_Edge]) -> list[list[int]]:
    adjacent: dict[int, set[int]] = {m: set() for m in members}
    for e in edges:
        adjacent[e.link.clip_a_id].add(e.link.clip_b_id)
        adjacent[e.link.clip_b_id].add(e.link.clip_a_id)
    seen: set[int] = set()
    groups = []
    for m in members:
        if m in seen:
            continue
        group, todo = [], [m]
        seen.add(m)
        while todo:
            x = todo.pop()
            group.append(x)
            for y in adjacent[x] - seen:
                seen.add(y)
                todo.append(y)
        groups.append(sorted(group))
    return groups


def _through(e: _Edge, frm: int, placed: _Placed) -> _Placed:
    """Where the other clip of ``e`` sits, given where ``frm`` sits."""
    assert e.offset is not None
    s, o = e.speed, e.offset
    if frm == e.link.clip_a_id:  # clock = start_a + rate_a * (b_t - o) / s
        return _Placed(placed.start - placed.rate * o / s, placed.rate / s, e.link.id)
    return _Placed(placed.start + placed.rate * o, placed.rate * s, e.link.id)


def _path(placed: dict[int, _Placed], by_clip: dict[int, list[_Edge]], a: int, b: int) -> set[int]:
    """Link ids of the spanning tree's path between clips ``a`` and ``b``."""

    def up(c: int) -> list[tuple[int, int]]:  # (clip, link that placed it) up to the root
        chain = []
        while placed[c].via is not None:
            via = placed[c].via
            e = next(x for x in by_clip[c] if x.link.id == via)
            chain.append((c, via))
            c = e.link.clip_b_id if c == e.link.clip_a_id else e.link.clip_a_id
        chain.append((c, -1))
        return chain

    ua, ub = up(a), up(b)
    on_b = {c for c, _ in ub}
    links: set[int] = set()
    meet = None
    for c, via in ua:
        if c in on_b:
            meet = c
            break
        links.add(via)
    for c, via in ub:
        if c == meet:
            break
        links.add(via)
    return links


def _solve(
    clips: dict[int, Clip], members: list[int], edges: list[_Edge]
) -> tuple[int | None, dict[int, _Placed], list[dict[str, Any]]]:
    """Reference clip, placements (clock zero not yet shifted) and inconsistent cycles."""
    groups = _offset_groups(members, edges)
    main = max(groups, key=lambda g: (len(g), sum(_duration(clips[c]) for c in g), -g[0]))
    if len(main) < 2:
        return None, {}, []
    reference = max(main, key=lambda c: (_duration(clips[c]), -c))
    placed = {reference: _Placed(0.0, 1.0, None)}
    by_clip: dict[int, list[_Edge]] = {m: [] for m in members}
    for e in sorted(edges, key=lambda e: e.link.id):
        by_clip[e.link.clip_a_id].append(e)
        by_clip[e.link.clip_b_id].append(e)
    todo = deque([reference])
    tree: set[int] = set()
    while todo:
        x = todo.popleft()
        for e in by_clip[x]:
            other = e.link.clip_b_id if x == e.link.clip_a_id else e.link.clip_a_id
            if other not in placed:
                placed[other] = _through(e, x, placed[x])
                tree.add(e.link.id)
                todo.append(other)
    cycles = []
    for e in edges:
        if e.link.id in tree:
            continue
        a, b = e.link.clip_a_id, e.link.clip_b_id
        predicted = _through(e, a, placed[a])
        disagreement = predicted.start - placed[b].start
        if abs(disagreement) > CYCLE_TOLERANCE:
            pa, pb = placed[a], placed[b]
            implied = (pb.start - pa.start) / pa.rate if pa.rate else 0.0
            loop = sorted({e.link.id, *_path(placed, by_clip, a, b)})
            named = ", ".join(f"#{k}" for k in loop)
            cycles.append({
                "link_id": e.link.id,
                "links": loop,
                "clips": [a, b],
                "stated_offset": e.offset,
                "offset_from_other_links": round(implied, 3),
                "disagreement_seconds": round(abs(disagreement), 3),
                "message": (
                    f"links {named} go round in a circle but their offsets disagree by "
                    f"{abs(disagreement):.3f} s: link #{e.link.id} says clip #{b} runs "
                    f"{e.offset:+.3f} s from clip #{a}, the others say {implied:+.3f} s; "
                    "check the offsets of these links (the clock uses all but the last)"
                ),
            })  # fmt: skip
    return reference, placed, cycles


def _parents(
    clips: dict[int, Clip], placed: dict[int, _Placed], links: list[ClipLink]
) -> dict[int, int]:
    """Each excerpt or re-upload under the footage it comes from (placed clips only)."""
    parent: dict[int, int] = {}
    for link in sorted(links, key=lambda k: k.id):
        kind = link_type(link.relation)
        if kind not in ("excerpt", "re-upload") or link.status != "confirmed":
            continue
        a, b = link.clip_a_id, link.clip_b_id
        if a not in placed or b not in placed:
            continue
        if link.relation == "excerpt" and link.origin == "manual":
            child, mother = a, b  # "A is an excerpt of B"
        else:
            child, mother = sorted((a, b), key=lambda c: (_duration(clips[c]), -c))
        if child in parent:
            continue
        # Never a loop: walk up from the would-be parent.
        up = mother
        while up in parent and up != child:
            up = parent[up]
        if up != child:
            parent[child] = mother
    return parent


def _intervals(spans: dict[int, tuple[float, float]]) -> tuple[list[dict], list[dict]]:
    """Gaps (no clip) and overlaps (two clips) between the placed spans."""
    ordered = sorted(spans.items(), key=lambda kv: (kv[1][0], kv[0]))
    gaps = []
    covered_to = None
    for _clip, (start, end) in ordered:
        if covered_to is not None and start - covered_to > GAP_MIN:
            gaps.append({"start": round(covered_to, 6), "end": round(start, 6),
                         "duration": round(start - covered_to, 6)})  # fmt: skip
        covered_to = end if covered_to is None else max(covered_to, end)
    overlaps = []
    for i, (a, (a0, a1)) in enumerate(ordered):
        for b, (b0, b1) in ordered[i + 1 :]:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi - lo > GAP_MIN:
                overlaps.append({"clips": sorted((a, b)), "start": round(lo, 6),
                                 "end": round(hi, 6), "duration": round(hi - lo, 6)})  # fmt: skip
    return gaps, overlaps


def _frame_at(table: FrameTable, clip_seconds: float) -> int | None:
    """The frame on screen at ``clip_seconds`` (a time rounded to the microsecond).

    A frame starting less than half a microsecond after it starts there: frame
    times such as 136/30 s are not whole microseconds, and the rounding must not
    name the frame before the one that starts at the moment.
    """
    if table.is_image:
        return 0
    try:
        at = Fraction(round(clip_seconds * 10**6), 10**6) + Fraction(1, 2 * 10**6)
        return table.index_at(at)
    except (ValueError, ZeroDivisionError):  # pragma: no cover - finite floats only
        return None


def _dated_frame_seconds(finding: Chronolocation, table: FrameTable) -> float:
    """The clip time a finding dates: the first frame it cites, else the first frame."""
    frames = (finding.evidence or {}).get("frames") or []
    if frames:
        seconds = table.seconds_of(int(frames[0]))
        if seconds is not None:
            return seconds
    return 0.0


def _absolute(session: Session, clock: _Clock) -> tuple[dict[str, Any] | None, list[dict]]:
    """UTC bounds of the clock's zero from the placed clips' time findings, or a conflict."""
    placed = clock.placed
    if not placed:
        return None, []
    findings = list(session.scalars(
        select(Chronolocation).where(
            Chronolocation.clip_id.in_(list(placed)),
            Chronolocation.status == "confirmed",
            Chronolocation.confidence.in_(_DATING),
        ).order_by(Chronolocation.id)
    ))  # fmt: skip
    lo: datetime | None = None
    hi: datetime | None = None
    used = []
    for f in findings:
        if f.earliest is None and f.latest is None:
            continue
        p = placed[f.clip_id]
        at = p.start + p.rate * _dated_frame_seconds(f, clock.tables[f.clip_id])
        shift = timedelta(seconds=at)
        f_lo = f.earliest - shift if f.earliest is not None else None
        f_hi = f.latest - shift if f.latest is not None else None
        used.append({"id": f.id, "clip_id": f.clip_id, "confidence": f.confidence,
                     "clock_seconds": round(at, 6), "zero_earliest": f_lo,
                     "zero_latest": f_hi})  # fmt: skip
        if f_lo is not None and (lo is None or f_lo > lo):
            lo = f_lo
        if f_hi is not None and (hi is None or f_hi < hi):
            hi = f_hi
    if not used:
        return None, []
    if lo is not None and hi is not None and lo > hi:
        late = max((u for u in used if u["zero_earliest"] is not None),
                   key=lambda u: u["zero_earliest"])  # fmt: skip
        early = min((u for u in used if u["zero_latest"] is not None),
                    key=lambda u: u["zero_latest"])  # fmt: skip
        return None, [{
            "findings": sorted({late["id"], early["id"]}),
            "message": (
                f"time findings #{late['id']} (clip #{late['clip_id']}) and #{early['id']} "
                f"(clip #{early['clip_id']}) cannot both hold on this clock: with the link "
                f"offsets they exclude each other by {(lo - hi).total_seconds():,.0f} s; "
                "check the findings or the offsets"
            ),
        }]  # fmt: skip
    zone = None
    for clip_id in sorted(placed, key=lambda c: (placed[c].start, c)):
        zone = clip_zone(session, clip_id)
        if zone is not None:
            break
    name = zone["name"] if zone else None
    return {
        "zero_earliest_utc": lo.isoformat() if lo else None,
        "zero_latest_utc": hi.isoformat() if hi else None,
        "zero_earliest_local": local_time(lo, name),
        "zero_latest_local": local_time(hi, name),
        "zone": zone,
        "findings": [
            {**u, "zero_earliest": u["zero_earliest"].isoformat() if u["zero_earliest"] else None,
             "zero_latest": u["zero_latest"].isoformat() if u["zero_latest"] else None}
            for u in used
        ],
    }, []  # fmt: skip


def _clip_ref(clip: Clip) -> dict[str, Any]:
    return {"id": clip.id, "name": clip.name, "sha256": clip.file.sha256}


def _cuts(session: Session, clip: Clip, p: _Placed) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Keyframe)
        .where(Keyframe.clip_id == clip.id, Keyframe.reason.in_(("cut", "fade")))
        .order_by(Keyframe.frame_index)
    )
    return [
        {"kind": k.reason, "frame_index": k.frame_index, "clip_seconds": k.seconds,
         "clock_seconds": round(p.start + p.rate * k.seconds, 6)}
        for k in rows
    ]  # fmt: skip


def _build(session: Session, case_id: int, ref: str) -> _Clock:
    incident, members, links = incident_members(session, case_id, ref)
    clips = {c.id: c for c in session.scalars(select(Clip).where(Clip.id.in_(members)))}
    tables = {c: frame_table(clips[c]) for c in members}
    edges = [_edge(k) for k in links if _usable(k)]
    with_offset = [e for e in edges if e.offset is not None]
    reference, placed, cycles = _solve(clips, members, with_offset)
    if placed:
        zero = min(p.start for p in placed.values())
        placed = {c: _Placed(p.start - zero, p.rate, p.via) for c, p in placed.items()}
    ident = incident.id if incident is not None else None
    head = {
        "id": ident,
        "ref": str(ident) if ident is not None else f"clip:{members[0]}",
        "name": incident.name if incident is not None else None,
    }
    clock = _Clock(head, clips, tables, placed)
    parent = _parents(clips, placed, links)
    spans = {c: (p.start, p.start + p.rate * _duration(clips[c])) for c, p in placed.items()}
    gaps, overlaps = _intervals(spans)

    def lineage(c: int) -> set[int]:
        out = {c}
        while c in parent:
            c = parent[c]
            out.add(c)
        return out

    def related(a: int, b: int) -> bool:
        return a in lineage(b) or b in lineage(a)

    # An excerpt overlaps its source by definition: only independent footage is reported.
    overlaps = [o for o in overlaps if not related(*o["clips"])]
    absolute, conflicts = _absolute(session, clock)

    def depth(c: int) -> int:
        n = 0
        while c in parent:
            c, n = parent[c], n + 1
        return n

    lanes: list[int] = []

    def visit(c: int) -> None:
        lanes.append(c)
        for child in sorted((k for k, v in parent.items() if v == c),
                            key=lambda k: (placed[k].start, k)):  # fmt: skip
            visit(child)

    for c in sorted((c for c in placed if c not in parent), key=lambda c: (placed[c].start, c)):
        visit(c)
    placed_docs = []
    for c in lanes:
        p, clip = placed[c], clips[c]
        placed_docs.append({
            "clip": _clip_ref(clip),
            "start": round(p.start, 6),
            "end": round(spans[c][1], 6),
            "duration": _duration(clip),
            "rate": p.rate,
            "placed_by_link": p.via,
            "reference": c == reference,
            "parent": parent.get(c),
            "depth": depth(c),
            "frame_count": tables[c].count,
            "cuts": _cuts(session, clip, p),
        })  # fmt: skip
    joined_by_offset = {c for e in with_offset for c in (e.link.clip_a_id, e.link.clip_b_id)}
    not_placed = []
    for c in members:
        if c in placed:
            continue
        if c in joined_by_offset:
            reason = (
                "linked with time offsets only to clips that are not linked by offset to "
                "the placed ones: add a link with --offset to one of the placed clips"
            )
        else:
            reason = (
                "its links to the other clips have no time offset: add one (verifier "
                "link edit ID --offset S, b_time = a_time + S)"
            )
        not_placed.append({"clip": _clip_ref(clips[c]), "reason": reason})
    end = max((s[1] for s in spans.values()), default=0.0)
    clock.doc = {
        "incident": head,
        "reference_clip": reference,
        "length": round(end, 6),
        "clips": placed_docs,
        "not_placed": not_placed,
        "gaps": gaps,
        "overlaps": overlaps,
        "absolute": absolute,
        "warnings": [*cycles, *conflicts],
        "inconsistent_cycles": cycles,
        "time_conflicts": conflicts,
        "tolerance_seconds": CYCLE_TOLERANCE,
    }
    return clock


def _utc_at(clock: _Clock, seconds: float) -> dict[str, Any] | None:
    absolute = clock.doc["absolute"]
    if absolute is None:
        return None
    out: dict[str, Any] = {}
    zone = absolute["zone"]["name"] if absolute["zone"] else None
    for side in ("earliest", "latest"):
        text = absolute[f"zero_{side}_utc"]
        moment = datetime.fromisoformat(text) + timedelta(seconds=seconds) if text else None
        out[f"{side}_utc"] = moment.isoformat() if moment else None
        out[f"{side}_local"] = local_time(moment, zone)
    return out


def _coverage(clock: _Clock, seconds: float, skip: int | None = None) -> list[dict[str, Any]]:
    out = []
    for doc in clock.doc["clips"]:
        c = doc["clip"]["id"]
        if c == skip:
            continue
        p = clock.placed[c]
        clip_seconds = (seconds - p.start) / p.rate
        duration = doc["duration"]
        covers = -GAP_MIN <= clip_seconds <= duration + GAP_MIN
        entry: dict[str, Any] = {"clip": doc["clip"], "covers": covers}
        if covers:
            # Rounded to the microsecond before the lookup: float sums of offsets must not
            # land a hair before a frame's start and name the frame before it.
            clip_seconds = round(min(max(clip_seconds, 0.0), duration), 6)
            entry["clip_seconds"] = clip_seconds
            entry["frame_index"] = _frame_at(clock.tables[c], clip_seconds)
        else:
            entry["clip_seconds"] = None
            entry["frame_index"] = None
            entry["text"] = "no footage at this moment"
        out.append(entry)
    return out


def incident_clock(app: App, ref: str, case: CaseRecord | None = None) -> dict[str, Any]:
    """The incident's clock as JSON: ``clips`` (lanes in order, each with ``start``/``end``
    on the clock, ``parent``, ``depth`` and ``cuts``), ``not_placed`` (with the reason),
    ``gaps``, ``overlaps``, ``absolute`` (UTC/local bounds of the clock's zero, or None),
    ``warnings`` (inconsistent cycles and time conflicts), ``length``."""
    case = case or resolve_case(app, None)
    with app.db.read() as session:
        return _build(session, case.id, str(ref)).doc


def coverage_at(
    app: App, ref: str, seconds: float, case: CaseRecord | None = None
) -> dict[str, Any]:
    """For one moment of the incident clock, each placed clip: whether it covers it and at
    which clip time and frame (``text`` "no footage at this moment" where it has none)."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise VerifierError(f"--at: cannot read the time {seconds!r}: give seconds") from None
    case = case or resolve_case(app, None)
    with app.db.read() as session:
        clock = _build(session, case.id, str(ref))
        clips = _coverage(clock, value)
        return {
            "incident": clock.doc["incident"],
            "clock_seconds": value,
            "clock_text": clock_time_text(value),
            "utc": _utc_at(clock, value),
            "clips": clips,
            "covered": any(c["covers"] for c in clips),
        }


def _event_line(doc: dict[str, Any]) -> str:
    own = f"clip #{doc['clip']['id']} {clock_time_text(doc['at_seconds'])}"
    others = [f"clip #{o['clip']['id']} {clock_time_text(o['clip_seconds'])}"
              for o in doc["also_seen_in"]]  # fmt: skip
    return " = ".join([own, *others])


def events_on_clock(session: Session, clock: _Clock) -> list[dict[str, Any]]:
    """The events of the incident's clips, in clock order (unplaced clips' events last)."""
    rows = session.scalars(
        select(Event).where(Event.clip_id.in_(list(clock.clips))).order_by(Event.id)
    )
    docs = []
    for e in rows:
        doc = event_json(e, clock.clips[e.clip_id])
        p = clock.placed.get(e.clip_id)
        if p is None:
            doc.update(clock_seconds=None, clock_text=None, utc=None, also_seen_in=[])
        else:
            at = p.start + p.rate * e.at_seconds
            doc["clock_seconds"] = round(at, 6)
            doc["clock_text"] = clock_time_text(at)
            doc["utc"] = _utc_at(clock, at)
            doc["also_seen_in"] = [c for c in _coverage(clock, at, skip=e.clip_id) if c["covers"]]
        doc["cross_reference"] = _event_line(doc)
        docs.append(doc)
    inf = float("inf")
    docs.sort(key=lambda d: (d["clock_seconds"] if d["clock_seconds"] is not None else inf,
                             d["clip"]["id"], d["at_seconds"], d["id"]))  # fmt: skip
    return docs


def incident_events(app: App, ref: str, case: CaseRecord | None = None) -> dict[str, Any]:
    """The incident's events in order on its clock, each with the clip and frame it comes
    from and the other clips that cover that moment with their clip time and frame."""
    case = case or resolve_case(app, None)
    with app.db.read() as session:
        clock = _build(session, case.id, str(ref))
        return {"incident": clock.doc["incident"], "events": events_on_clock(session, clock),
                "not_placed": clock.doc["not_placed"]}  # fmt: skip


def build_clock(session: Session, case_id: int, ref: str) -> tuple[dict[str, Any], list[dict]]:
    """The clock and its events inside the caller's session (the figure is drawn from both)."""
    clock = _build(session, case_id, ref)
    return clock.doc, events_on_clock(session, clock)
