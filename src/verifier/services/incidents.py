"""Incidents: the groups of clips that show one event, and their names.

Which clips belong together is not stored but computed, every time, from the
links of a case: the connected components (union-find) over links of type
same-incident and continuation and over confirmed re-upload and excerpt
links (a proposal from matching does not join clips until a person confirms
it; a rejected link never does). A group of two or more clips is an incident.

A person can name and describe an incident. The ``incidents`` table keeps the
name with the member clips at naming time; a listed group takes the name of
the named incident it shares most clips with, so the name follows the group
when a clip joins it. If a group overlaps two named incidents (a new link
merged them), it keeps the one it overlaps most and the listing reports the
merge; a named incident whose clips are no longer linked is listed apart
with a warning, never silently dropped.

The listing also warns about clips that probably show the same event but are
not linked: two clips of the case whose (non-rejected) geolocations lie within
max(precision radii, 1 km) of each other and whose chronolocation windows
overlap, with no link between them.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from verifier.db.models import Chronolocation, Clip, ClipLink, Geolocation, Incident
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import IncidentId
from verifier.services.cases import CaseRecord, resolve_case
from verifier.services.context import App
from verifier.services.edits import check_version
from verifier.services.links import link_json, link_type, links_of_case

__all__ = [
    "JOINING_TYPES",
    "NEARBY_M",
    "describe_incident",
    "distance_m",
    "incident_members",
    "list_incidents",
    "name_incident",
]

JOINING_TYPES = frozenset({"same-incident", "continuation"})
"""Link types that join two clips into one incident whatever their status but rejected."""
CONFIRMED_JOINING = frozenset({"re-upload", "excerpt"})
"""Link types that join clips only once a person confirmed them."""
NEARBY_M = 1000.0
"""Two findings this close (or within their precision radii) count as the same place."""
_EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine on the mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def joins(link: ClipLink) -> bool:
    """Whether a link puts its two clips in one incident."""
    if link.status == "rejected":
        return False
    kind = link_type(link.relation)
    return kind in JOINING_TYPES or (kind in CONFIRMED_JOINING and link.status == "confirmed")


@dataclass
class _Group:
    clips: list[int]
    links: list[ClipLink]


def _components(clip_ids: list[int], links: list[ClipLink]) -> list[_Group]:
    parent = {c: c for c in clip_ids}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    joining = [link for link in links if joins(link)]
    for link in joining:
        parent[root(link.clip_a_id)] = root(link.clip_b_id)
    members: dict[int, list[int]] = defaultdict(list)
    for c in clip_ids:
        members[root(c)].append(c)
    by_root: dict[int, list[ClipLink]] = defaultdict(list)
    for link in joining:
        by_root[root(link.clip_a_id)].append(link)
    groups = [_Group(sorted(m), by_root[r]) for r, m in members.items() if len(m) > 1]
    return sorted(groups, key=lambda g: g.clips[0])


def _assign(
    groups: list[_Group], named: list[Incident]
) -> tuple[dict[int, Incident], dict[int, list[Incident]], list[Incident]]:
    """Which named incident each group carries, which it absorbed, and the orphans.

    Each named incident goes to the group it shares most clips with; a group
    offered several keeps the one it shares most with (then the oldest).
    """
    offers: dict[int, list[tuple[int, Incident]]] = defaultdict(list)
    orphans: list[Incident] = []
    for incident in named:
        stored = {int(c) for c in incident.clip_ids or []}
        overlaps = [(len(stored & set(g.clips)), n) for n, g in enumerate(groups)]
        best = max(overlaps, default=(0, -1))
        if best[0] == 0:
            orphans.append(incident)
        else:
            offers[best[1]].append((best[0], incident))
    carried: dict[int, Incident] = {}
    absorbed: dict[int, list[Incident]] = {}
    for n, candidates in offers.items():
        candidates.sort(key=lambda pair: (-pair[0], pair[1].id))
        carried[n] = candidates[0][1]
        absorbed[n] = [inc for _, inc in candidates[1:]]
    return carried, absorbed, orphans


def _clip_ref(clip: Clip) -> dict[str, Any]:
    return {"id": clip.id, "name": clip.name, "sha256": clip.file.sha256}


def _overlap(
    a: tuple[datetime | None, datetime | None], b: tuple[datetime | None, datetime | None]
) -> bool:
    """Whether two time windows (None: open on that side) share a moment."""
    a0, a1 = a
    b0, b1 = b
    if a0 is not None and b1 is not None and a0 > b1:
        return False
    return not (b0 is not None and a1 is not None and b0 > a1)


def _warnings(
    session: Session, clips: dict[int, Clip], links: list[ClipLink]
) -> list[dict[str, Any]]:
    """Pairs of clips near in place and time with no link between them."""
    places: dict[int, list[Geolocation]] = defaultdict(list)
    for g in session.scalars(
        select(Geolocation).where(
            Geolocation.clip_id.in_(list(clips)),
            Geolocation.status != "rejected",
            or_(Geolocation.confidence.is_(None), Geolocation.confidence != "rejected"),
        )
    ):
        places[g.clip_id].append(g)
    windows: dict[int, list[tuple[datetime | None, datetime | None]]] = defaultdict(list)
    # A person's time findings only: a rejected window or a pending proposal (an open-ended
    # first-appearance bound overlaps almost everything) says nothing about the event.
    for t in session.scalars(
        select(Chronolocation).where(
            Chronolocation.clip_id.in_(list(clips)),
            Chronolocation.status == "confirmed",
            or_(Chronolocation.confidence.is_(None), Chronolocation.confidence != "rejected"),
        )
    ):
        if t.earliest is not None or t.latest is not None:
            windows[t.clip_id].append((t.earliest, t.latest))
    linked = {
        frozenset((link.clip_a_id, link.clip_b_id)) for link in links if link.status != "rejected"
    }
    out: list[dict[str, Any]] = []
    for a, b in itertools.combinations(sorted(set(places) & set(windows)), 2):
        if frozenset((a, b)) in linked:
            continue
        if not any(_overlap(x, y) for x in windows[a] for y in windows[b]):
            continue
        close = None
        for ga, gb in itertools.product(places[a], places[b]):
            d = distance_m(ga.latitude, ga.longitude, gb.latitude, gb.longitude)
            limit = max(ga.precision_m or 0.0, gb.precision_m or 0.0, NEARBY_M)
            if d <= limit and (close is None or d < close[0]):
                close = (d, ga.id, gb.id)
        if close is None:
            continue
        d, ga_id, gb_id = close
        out.append({
            "code": "nearby-unlinked",
            "clips": [_clip_ref(clips[a]), _clip_ref(clips[b])],
            "geolocations": [ga_id, gb_id],
            "distance_m": round(d, 1),
            "message": (
                f"clips #{a} and #{b} were geolocated {d:,.0f} m apart and their time windows "
                f"overlap, but no link connects them: link them (verifier link add {a} {b} "
                "--type ...) or record why not"
            ),
        })  # fmt: skip
    return out


def _incident_json(
    incident: Incident | None, group: _Group | None, clips: dict[int, Clip], session: Session,
    absorbed: list[Incident] = (),  # type: ignore[assignment]
) -> dict[str, Any]:  # fmt: skip
    members = group.clips if group is not None else [int(c) for c in incident.clip_ids or []]  # type: ignore[union-attr]
    ref = str(incident.id) if incident is not None else f"clip:{members[0]}"
    links = []
    for link in group.links if group is not None else []:
        a, b = session.get(Clip, link.clip_a_id), session.get(Clip, link.clip_b_id)
        assert a is not None and b is not None
        links.append(link_json(link, a, b))
    return {
        "id": incident.id if incident is not None else None,
        "version": incident.version if incident is not None else None,
        "ref": ref,
        "name": incident.name if incident is not None else None,
        "description": incident.description if incident is not None else "",
        "clips": [_clip_ref(clips[c]) for c in members if c in clips],
        "links": sorted(links, key=lambda d: d["id"]),
        "merged": [{"id": i.id, "name": i.name} for i in absorbed],
        "connected": group is not None,
    }


def _listing(session: Session, case_id: int) -> dict[str, Any]:
    clips = {
        c.id: c for c in session.scalars(select(Clip).where(Clip.case_id == case_id))
    }  # fmt: skip
    links = links_of_case(session, case_id)
    groups = _components(sorted(clips), links)
    named = list(
        session.scalars(select(Incident).where(Incident.case_id == case_id).order_by(Incident.id))
    )
    carried, absorbed, orphans = _assign(groups, named)
    incidents = [
        _incident_json(carried.get(n), g, clips, session, absorbed.get(n, []))
        for n, g in enumerate(groups)
    ]
    incidents += [_incident_json(i, None, clips, session) for i in orphans]
    warnings = _warnings(session, clips, links)
    for doc in incidents:
        for gone in doc["merged"]:
            warnings.append({
                "code": "incidents-merged",
                "incident": doc["ref"],
                "message": f"incident #{gone['id']} ({gone['name']}) is now part of "
                           f"{doc['name'] or 'incident ' + doc['ref']}: links joined them",
            })  # fmt: skip
        if not doc["connected"]:
            warnings.append({
                "code": "incident-unlinked",
                "incident": doc["ref"],
                "message": f"incident #{doc['id']} ({doc['name']}) no longer has links "
                           "joining its clips",
            })  # fmt: skip
    return {"incidents": incidents, "warnings": warnings}


def list_incidents(app: App, case: CaseRecord | None = None) -> dict[str, Any]:
    """``{"incidents": [...], "warnings": [...]}`` for a case (default: the current one).

    Each incident: ``id`` (None until named), ``ref`` (what ``incident name``
    takes: the id, or ``clip:N`` for an unnamed group), ``name``,
    ``description``, ``clips``, ``links`` (those that join it), ``merged``
    (named incidents it absorbed) and ``connected``.
    """
    case = case or resolve_case(app, None)
    with app.db.read() as session:
        return _listing(session, case.id)


def _find(session: Session, case_id: int, ref: str) -> tuple[Incident | None, list[int]]:
    """The named incident and current members a ref (``ID`` or ``clip:N``) points at."""
    listing = _listing(session, case_id)["incidents"]
    text = str(ref).strip().lower()
    if text.startswith("clip:"):
        try:
            clip_id = int(text[5:])
        except ValueError:
            raise VerifierError(f"incident {ref!r}: give an incident id or clip:N") from None
        for doc in listing:
            if doc["connected"] and clip_id in {c["id"] for c in doc["clips"]}:
                incident = session.get(Incident, doc["id"]) if doc["id"] else None
                return incident, [c["id"] for c in doc["clips"]]
        raise VerifierError(f"clip #{clip_id} is in no incident of this case (it has no links "
                            "that join it to another clip)")  # fmt: skip
    if not text.isdigit():
        raise VerifierError(f"incident {ref!r}: give an incident id or clip:N (see `incidents`)")
    incident = session.get(Incident, int(text))
    if incident is None or incident.case_id != case_id:
        raise VerifierError(f"no incident #{text} in this case (unnamed ones are clip:N)")
    for doc in listing:
        if doc["id"] == incident.id:
            return incident, [c["id"] for c in doc["clips"]]
    return incident, [int(c) for c in incident.clip_ids or []]


def incident_members(
    session: Session, case_id: int, ref: str
) -> tuple[Incident | None, list[int], list[ClipLink]]:
    """The named incident (if any), the member clips and the links that join them, for a
    ref (``ID`` or ``clip:N``); a clear error for an unknown one."""
    incident, members = _find(session, case_id, str(ref))
    joined = set(members)
    links = [
        link for link in links_of_case(session, case_id)
        if link.clip_a_id in joined and link.clip_b_id in joined
    ]  # fmt: skip
    return incident, members, links


def _json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "version": incident.version,
        "name": incident.name,
        "description": incident.description,
        "clip_ids": list(incident.clip_ids or []),
    }


def _save(
    app: App, ref: str, *, name: str | None, description: str | None,
    case: CaseRecord | None, expected_version: int | None,
) -> dict[str, Any]:  # fmt: skip
    if name is not None and not name.strip():
        raise VerifierError("incident name: the name cannot be empty")
    if name is not None and len(name.strip()) > 200:
        raise VerifierError("incident name: at most 200 characters")
    case = case or resolve_case(app, None)
    with app.db.write() as session:
        incident, members = _find(session, case.id, ref)
        if incident is None:
            if name is None:
                raise VerifierError(f"incident {ref} has no name yet: name it first")
            incident = Incident(case_id=case.id, name=name.strip(), description=description or "",
                                clip_ids=members, created_by=app.analyst)  # fmt: skip
            session.add(incident)
            session.flush()
            after = _json(incident)
            custody.record(session, actor=app.analyst, action="incident.name",
                           target_type="incident", target_id=incident.id, case_id=case.id,
                           details={"incident_id": incident.id, "before": None, "after": after},
                           items=[incident])  # fmt: skip
            return after
        check_version(session, what=f"incident #{incident.id}", current_version=incident.version,
                      expected_version=expected_version, target_type="incident",
                      target_id=incident.id, actions=("incident.name", "incident.describe"),
                      current=_json(incident))  # fmt: skip
        before = _json(incident)
        if name is not None:
            incident.name = name.strip()
        if description is not None:
            incident.description = description
        incident.clip_ids = members
        incident.updated_at = utcnow()
        session.flush()
        after = _json(incident)
        custody.record(session, actor=app.analyst,
                       action="incident.name" if name is not None else "incident.describe",
                       target_type="incident", target_id=incident.id, case_id=case.id,
                       details={"incident_id": incident.id, "before": before, "after": after},
                       items=[incident])  # fmt: skip
        return after


def name_incident(
    app: App, ref: str | IncidentId, name: str, *, description: str | None = None,
    case: CaseRecord | None = None, expected_version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Name (or rename) an incident: ``ref`` is its id or ``clip:N`` for an unnamed group."""
    return _save(app, str(ref), name=name, description=description, case=case,
                 expected_version=expected_version)  # fmt: skip


def describe_incident(
    app: App, ref: str | IncidentId, description: str, *,
    case: CaseRecord | None = None, expected_version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Set the description of a named incident."""
    return _save(app, str(ref), name=None, description=description, case=case,
                 expected_version=expected_version)  # fmt: skip
