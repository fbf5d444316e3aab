"""Consistency checks: what contradicts what in a case, before a report leaves the building.

Each rule is a pure function over plain facts (:class:`ClipFacts`, :class:`Window`,
:class:`Place`, :class:`LinkFacts`) that returns :class:`Problem` values, so
each can be tested alone; :func:`run_checks` gathers the facts of a case from
the database and runs them all. A problem has:

* a stable ``key``: the rule id and the items involved (``window-before-
  creation:chronolocation:4``), so an acknowledgement finds it again;
* a ``severity``: ``error`` (two recorded facts cannot both be true, or the
  evidence is damaged), ``warning`` (probably a mistake) or ``info`` (work
  left to do);
* the clips and items involved, and a sentence with the numbers;
* ``facts``: the values the rule used (item versions and the compared
  values). Their SHA-256 is the problem's ``fingerprint``.

An acknowledgement (:func:`acknowledge`) stores the key, the fingerprint and
the facts with a person's reason, as one custody event. An acknowledged
problem stays quiet while its fingerprint is the same; when the facts change
it comes back, saying it was acknowledged before and which facts changed.

Evidence files are checked for presence and size (a stat) by default and
their thumbnails re-hashed; ``rehash=True`` re-hashes the evidence too. Only
``verifier verify`` proves the whole store and the custody chain.

A clip's "verified" mark is a column of the clip (``verified_at``,
``verified_by``), set and cleared by :func:`mark_verified` with a custody
event: there was no such state before.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import (
    Appearance,
    CheckAcknowledgement,
    Chronolocation,
    Clip,
    ClipLink,
    Geolocation,
)
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import ClipId
from verifier.media.info import parse_timestamp
from verifier.services.cases import CaseRecord, resolve_case
from verifier.services.context import App
from verifier.services.incidents import NEARBY_M, distance_m, list_incidents
from verifier.services.links import link_type
from verifier.services.lookup import find_clip
from verifier.services.verification import clip_integrity
from verifier.sources.post_ids import PRECISION_SPAN

__all__ = [
    "GPS_MARGIN_M",
    "RULES",
    "SEVERITIES",
    "CheckReport",
    "ClipFacts",
    "LinkFacts",
    "Place",
    "Problem",
    "Window",
    "acknowledge",
    "mark_verified",
    "run_checks",
    "unacknowledge",
]

SEVERITIES = ("error", "warning", "info")
GPS_MARGIN_M = 250.0
"""Added to both precisions before a GPS tag counts as far from a confirmed place."""
RULES: dict[str, str] = {
    "window-before-creation": "time window ends before the file's creation time",
    "window-after-first-appearance": "time window starts after the first appearance",
    "creation-after-first-post": "metadata creation time after the first posting",
    "gps-far-from-geolocation": "GPS tag far from the confirmed geolocation",
    "same-incident-times-apart": "same incident, time windows do not overlap",
    "same-incident-places-apart": "same incident, places further apart than precisions allow",
    "continuation-reversed": "continuation whose times are reversed",
    "nearby-unlinked": "nearby places, overlapping times, no link",
    "verified-without-finding": "verified clip without a confirmed finding",
    "auto-link-unreviewed": "automatic match left unreviewed",
    "reupload-original-later": "re-upload whose original appeared later",
    "evidence-integrity": "evidence file does not verify",
}
"""Every rule id with a short title (the panel's group heading)."""
# Offsets in use on Earth: a time of unknown zone is between 14 h before and 12 h after
# the same digits read as UTC (as services/chronolocation.py widens its proposal).
_EARLIEST_OFFSET = timedelta(hours=14)
_LATEST_OFFSET = timedelta(hours=12)


# ------------------------------------------------------------------------------ facts


@dataclass(frozen=True)
class Window:
    """A confirmed time finding: either end may be open (None)."""

    id: int
    version: int
    clip_id: int
    earliest: datetime | None
    latest: datetime | None

    @property
    def item(self) -> str:
        return f"chronolocation:{self.id}"


@dataclass(frozen=True)
class Place:
    """A confirmed geolocation finding (not a metadata tag)."""

    id: int
    version: int
    clip_id: int
    latitude: float
    longitude: float
    precision_m: float | None

    @property
    def item(self) -> str:
        return f"geolocation:{self.id}"


@dataclass(frozen=True)
class ClipFacts:
    """What the rules need to know about one clip."""

    id: int
    name: str
    # The file's creation time as an interval (a time of unknown zone is 26 h wide).
    created_from: datetime | None = None
    created_to: datetime | None = None
    created_text: str | None = None
    gps: tuple[float, float] | None = None
    gps_precision_m: float | None = None
    # The first posting: the earliest latest-possible moment over the clip's posts.
    first_post: datetime | None = None
    first_post_id: int | None = None
    verified: bool = False
    windows: tuple[Window, ...] = ()
    places: tuple[Place, ...] = ()

    @property
    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class LinkFacts:
    """A link between two clips, in its stored order (A, B)."""

    id: int
    version: int
    type: str
    status: str
    origin: str
    a: int
    b: int

    @property
    def item(self) -> str:
        return f"link:{self.id}"


# --------------------------------------------------------------------------- problems


def fingerprint(facts: dict[str, Any]) -> str:
    """SHA-256 of the facts a rule used, as canonical JSON."""
    text = json.dumps(facts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Problem:
    """One thing to resolve, with the clips and items it concerns and why."""

    rule: str
    severity: str
    key: str
    clips: list[dict[str, Any]]
    items: list[str]
    message: str
    facts: dict[str, Any]
    # Filled from the acknowledgements: "acknowledged" while the facts are the same;
    # a note when an acknowledgement was made for other facts.
    acknowledged: dict[str, Any] | None = None
    acknowledged_before: dict[str, Any] | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.facts)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rule": self.rule,
            "title": RULES[self.rule],
            "severity": self.severity,
            "clips": self.clips,
            "items": self.items,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "acknowledged": self.acknowledged,
            "acknowledged_before": self.acknowledged_before,
        }


def _problem(
    rule: str, severity: str, parts: Sequence[str], clips: Iterable[ClipFacts],
    message: str, facts: dict[str, Any],
) -> Problem:  # fmt: skip
    return Problem(rule=rule, severity=severity, key=":".join((rule, *parts)),
                   clips=[c.ref for c in clips], items=list(parts), message=message,
                   facts=facts)  # fmt: skip


def _t(moment: datetime | None) -> str:
    """A moment as people read it in a report: ``2024-03-01 10:00 UTC``."""
    if moment is None:
        return "open"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _w(window: Window) -> dict[str, Any]:
    return {"version": window.version, "earliest": _t(window.earliest),
            "latest": _t(window.latest)}  # fmt: skip


def _p(place: Place) -> dict[str, Any]:
    return {"version": place.version, "at": [place.latitude, place.longitude],
            "precision_m": place.precision_m}  # fmt: skip


# ------------------------------------------------------------------------------ rules


def window_before_creation(clip: ClipFacts) -> list[Problem]:
    """A confirmed window that ends before the earliest the file can have been created."""
    if clip.created_from is None:
        return []
    out = []
    for w in clip.windows:
        if w.latest is not None and w.latest < clip.created_from:
            exact = clip.created_from == clip.created_to
            created = _t(clip.created_from) if exact else (
                f"{_t(clip.created_from)} at the earliest (of unknown zone: {clip.created_text})"
            )  # fmt: skip
            out.append(_problem(
                "window-before-creation", "error", [w.item], [clip],
                f"time window #{w.id} of clip #{clip.id} ends {_t(w.latest)}, before the "
                f"file's creation time {created}",
                {w.item: _w(w), "creation_time": clip.created_text},
            ))  # fmt: skip
    return out


def window_after_first_appearance(clip: ClipFacts) -> list[Problem]:
    """A confirmed window that starts after the clip was already posted."""
    if clip.first_post is None:
        return []
    out = []
    for w in clip.windows:
        if w.earliest is not None and w.earliest > clip.first_post:
            out.append(_problem(
                "window-after-first-appearance", "error", [w.item], [clip],
                f"time window #{w.id} of clip #{clip.id} starts {_t(w.earliest)}, after its "
                f"first appearance (appearance #{clip.first_post_id}, posted no later than "
                f"{_t(clip.first_post)})",
                {w.item: _w(w), "first_post": _t(clip.first_post),
                 "appearance": clip.first_post_id},
            ))  # fmt: skip
    return out


def creation_after_first_post(clip: ClipFacts) -> list[Problem]:
    """The metadata says the file was made after it was first posted."""
    if clip.created_from is None or clip.first_post is None:
        return []
    if clip.created_from <= clip.first_post:
        return []
    zone = "" if clip.created_from == clip.created_to else " at the earliest, whatever its zone"
    return [_problem(
        "creation-after-first-post", "warning", [f"clip:{clip.id}"], [clip],
        f"clip #{clip.id}: the file's creation time {_t(clip.created_from)}{zone} is after its "
        f"first posting {_t(clip.first_post)} (appearance #{clip.first_post_id}): the "
        "metadata was rewritten (a re-encode) or the camera clock is wrong",
        {"creation_time": clip.created_text, "first_post": _t(clip.first_post),
         "appearance": clip.first_post_id},
    )]  # fmt: skip


def gps_far_from_geolocation(clip: ClipFacts, margin_m: float = GPS_MARGIN_M) -> list[Problem]:
    """The file's GPS tag lies further from a confirmed place than both precisions allow."""
    if clip.gps is None:
        return []
    out = []
    for p in clip.places:
        d = distance_m(clip.gps[0], clip.gps[1], p.latitude, p.longitude)
        limit = (p.precision_m or 0.0) + (clip.gps_precision_m or 0.0) + margin_m
        if d > limit:
            out.append(_problem(
                "gps-far-from-geolocation", "warning", [p.item], [clip],
                f"clip #{clip.id}: the GPS tag in the file ({clip.gps[0]:.5f}, "
                f"{clip.gps[1]:.5f}) is {d:,.0f} m from confirmed geolocation #{p.id} "
                f"(allowed {limit:,.0f} m: precisions plus {margin_m:,.0f} m)",
                {p.item: _p(p), "gps": list(clip.gps)},
            ))  # fmt: skip
    return out


def _overlap(a: Window, b: Window) -> bool:
    if a.earliest is not None and b.latest is not None and a.earliest > b.latest:
        return False
    return not (b.earliest is not None and a.latest is not None and b.earliest > a.latest)


def same_incident_apart(link: LinkFacts, a: ClipFacts, b: ClipFacts) -> list[Problem]:
    """Two clips said to show one incident, whose times or places cannot meet."""
    if link.type != "same-incident" or link.status == "rejected":
        return []
    out = []
    if a.windows and b.windows and not any(_overlap(x, y) for x in a.windows for y in b.windows):
        x, y = a.windows[0], b.windows[0]
        out.append(_problem(
            "same-incident-times-apart", "error", [link.item], [a, b],
            f"clips #{a.id} and #{b.id} are linked as the same incident (link #{link.id}) but "
            f"their time windows do not overlap: window #{x.id} is {_t(x.earliest)} to "
            f"{_t(x.latest)}, window #{y.id} is {_t(y.earliest)} to {_t(y.latest)}",
            {link.item: link.version, **{w.item: _w(w) for w in a.windows + b.windows}},
        ))  # fmt: skip
    if a.places and b.places:
        best = min(
            ((distance_m(p.latitude, p.longitude, q.latitude, q.longitude), p, q)
             for p in a.places for q in b.places), key=lambda t: t[0],
        )  # fmt: skip
        d, p, q = best
        limit = (p.precision_m or 0.0) + (q.precision_m or 0.0) + NEARBY_M
        if d > limit:
            out.append(_problem(
                "same-incident-places-apart", "error", [link.item], [a, b],
                f"clips #{a.id} and #{b.id} are linked as the same incident (link #{link.id}) "
                f"but were geolocated {d:,.0f} m apart (#{p.id} and #{q.id}; their precisions "
                f"plus {NEARBY_M:,.0f} m allow {limit:,.0f} m)",
                {link.item: link.version, **{g.item: _p(g) for g in a.places + b.places}},
            ))  # fmt: skip
    return out


def continuation_reversed(link: LinkFacts, a: ClipFacts, b: ClipFacts) -> list[Problem]:
    """B continues A, yet every window of B ends before every window of A starts."""
    if link.type != "continuation" or link.status == "rejected":
        return []
    starts = [w.earliest for w in a.windows]
    ends = [w.latest for w in b.windows]
    if not starts or not ends or None in starts or None in ends:
        return []
    a_start, b_end = min(starts), max(ends)  # type: ignore[type-var]
    if b_end >= a_start:  # type: ignore[operator]
        return []
    return [_problem(
        "continuation-reversed", "error", [link.item], [a, b],
        f"clip #{b.id} is linked as continuing clip #{a.id} (link #{link.id}) but its time "
        f"windows end {_t(b_end)}, before clip #{a.id}'s start {_t(a_start)}: the link's "
        "direction or a window is wrong",
        {link.item: link.version, **{w.item: _w(w) for w in a.windows + b.windows}},
    )]  # fmt: skip


def verified_without_finding(clip: ClipFacts) -> list[Problem]:
    """A clip marked verified that lacks a confirmed geolocation or time finding."""
    if not clip.verified:
        return []
    missing = [what for what, have in (("geolocation", clip.places),
                                       ("time finding", clip.windows)) if not have]  # fmt: skip
    if not missing:
        return []
    return [_problem(
        "verified-without-finding", "error", [f"clip:{clip.id}"], [clip],
        f"clip #{clip.id} is marked verified but has no confirmed "
        + " and no confirmed ".join(missing),
        {"verified": True, "missing": missing},
    )]  # fmt: skip


def auto_link_unreviewed(link: LinkFacts, a: ClipFacts, b: ClipFacts) -> list[Problem]:
    """A link matching proposed that no person confirmed or rejected."""
    if link.origin != "auto" or link.status != "proposed":
        return []
    return [_problem(
        "auto-link-unreviewed", "info", [link.item], [a, b],
        f"clips #{a.id} and #{b.id}: the automatic {link.type} match (link #{link.id}) "
        "waits for a person to confirm or reject it",
        {link.item: {"version": link.version, "status": link.status}},
    )]  # fmt: skip


def reupload_original_later(link: LinkFacts, a: ClipFacts, b: ClipFacts) -> list[Problem]:
    """A confirmed re-upload or excerpt whose copy was posted before its "original".

    The original is A of a re-upload link (stored order: the clip matching
    compared against, or the first given to ``link add``) and B of an excerpt
    link (A is an excerpt of B).
    """
    if link.status != "confirmed" or link.type not in ("re-upload", "excerpt"):
        return []
    original, copy = (b, a) if link.type == "excerpt" else (a, b)
    if original.first_post is None or copy.first_post is None:
        return []
    if copy.first_post >= original.first_post:
        return []
    return [_problem(
        "reupload-original-later", "warning", [link.item], [a, b],
        f"clip #{original.id} is treated as the original of clip #{copy.id} ({link.type}, "
        f"link #{link.id}) but clip #{copy.id} appeared earlier: {_t(copy.first_post)} "
        f"(appearance #{copy.first_post_id}) against {_t(original.first_post)} (appearance "
        f"#{original.first_post_id})",
        {link.item: link.version, "original_first_post": _t(original.first_post),
         "copy_first_post": _t(copy.first_post)},
    )]  # fmt: skip


CLIP_RULES: tuple[Callable[[ClipFacts], list[Problem]], ...] = (
    window_before_creation,
    window_after_first_appearance,
    creation_after_first_post,
    gps_far_from_geolocation,
    verified_without_finding,
)
LINK_RULES: tuple[Callable[[LinkFacts, ClipFacts, ClipFacts], list[Problem]], ...] = (
    same_incident_apart,
    continuation_reversed,
    auto_link_unreviewed,
    reupload_original_later,
)


# ---------------------------------------------------------------------- gathering facts


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _creation(info: dict[str, Any]) -> tuple[datetime | None, datetime | None, str | None]:
    moment, _ = parse_timestamp(info.get("creation_time"))
    if moment is None:
        return None, None, None
    raw = str(info.get("creation_time_raw") or info.get("creation_time"))
    if bool(info.get("creation_time_is_local")) or moment.tzinfo is None:
        naive = moment.replace(tzinfo=UTC)
        return naive - _EARLIEST_OFFSET, naive + _LATEST_OFFSET, raw
    return _utc(moment), _utc(moment), raw


def _gps(info: dict[str, Any]) -> tuple[tuple[float, float] | None, float | None]:
    gps = info.get("gps")
    if not isinstance(gps, dict) or gps.get("lat") is None or gps.get("lon") is None:
        return None, None
    precision = gps.get("precision_m") or gps.get("hpe")
    return (float(gps["lat"]), float(gps["lon"])), (float(precision) if precision else None)


def _confirmed(row: Geolocation | Chronolocation) -> bool:
    return row.status == "confirmed" and row.confidence != "rejected"


def gather(session: Session, case_id: int) -> tuple[dict[int, ClipFacts], list[LinkFacts]]:
    """The facts of one case, read in one session."""
    clips = list(session.scalars(select(Clip).where(Clip.case_id == case_id).order_by(Clip.id)))
    ids = [c.id for c in clips]
    windows: dict[int, list[Window]] = defaultdict(list)
    for t in session.scalars(
        select(Chronolocation).where(Chronolocation.clip_id.in_(ids)).order_by(Chronolocation.id)
    ):
        if _confirmed(t) and (t.earliest is not None or t.latest is not None):
            windows[t.clip_id].append(Window(
                t.id, t.version, t.clip_id,
                _utc(t.earliest) if t.earliest else None, _utc(t.latest) if t.latest else None,
            ))  # fmt: skip
    places: dict[int, list[Place]] = defaultdict(list)
    for g in session.scalars(
        select(Geolocation).where(Geolocation.clip_id.in_(ids)).order_by(Geolocation.id)
    ):
        if _confirmed(g) and g.origin != "metadata":
            places[g.clip_id].append(
                Place(g.id, g.version, g.clip_id, g.latitude, g.longitude, g.precision_m)
            )
    first: dict[int, tuple[datetime, int]] = {}
    for a in session.scalars(
        select(Appearance).where(Appearance.clip_id.in_(ids), Appearance.posted_at.is_not(None))
    ):
        assert a.posted_at is not None and a.clip_id is not None
        bound = _utc(a.posted_at) + PRECISION_SPAN.get(a.posted_at_precision, timedelta(0))
        if a.clip_id not in first or (bound, a.id) < first[a.clip_id]:
            first[a.clip_id] = (bound, a.id)
    facts: dict[int, ClipFacts] = {}
    for c in clips:
        info = c.media_info or {}
        created_from, created_to, created_text = _creation(info)
        gps, gps_precision = _gps(info)
        post = first.get(c.id)
        facts[c.id] = ClipFacts(
            id=c.id, name=c.name, created_from=created_from, created_to=created_to,
            created_text=created_text, gps=gps, gps_precision_m=gps_precision,
            first_post=post[0] if post else None, first_post_id=post[1] if post else None,
            verified=c.verified_at is not None, windows=tuple(windows[c.id]),
            places=tuple(places[c.id]),
        )  # fmt: skip
    links = [
        LinkFacts(
            link.id,
            link.version,
            link_type(link.relation),
            link.status,
            link.origin,
            link.clip_a_id,
            link.clip_b_id,
        )
        for link in session.scalars(
            select(ClipLink)
            .where(ClipLink.clip_a_id.in_(ids), ClipLink.clip_b_id.in_(ids))
            .order_by(ClipLink.id)
        )
    ]
    return facts, links


def evaluate(clips: dict[int, ClipFacts], links: Iterable[LinkFacts]) -> list[Problem]:
    """Every clip and link rule over gathered facts (no database: testable alone)."""
    out: list[Problem] = []
    for clip in clips.values():
        for clip_rule in CLIP_RULES:
            out += clip_rule(clip)
    for link in links:
        a, b = clips.get(link.a), clips.get(link.b)
        if a is None or b is None:
            continue
        for link_rule in LINK_RULES:
            out += link_rule(link, a, b)
    return out


def _nearby(app: App, case: CaseRecord, clips: dict[int, ClipFacts]) -> list[Problem]:
    """The incidents listing's nearby-unlinked warnings, as problems."""
    out = []
    for warning in list_incidents(app, case)["warnings"]:
        if warning.get("code") != "nearby-unlinked":
            continue
        a, b = (int(c["id"]) for c in warning["clips"])
        ga, gb = warning["geolocations"]
        facts = {
            "distance_m": warning["distance_m"],
            **{p.item: _p(p) for c in (a, b) for p in clips[c].places if p.id in (ga, gb)},
            **{w.item: _w(w) for c in (a, b) for w in clips[c].windows},
        }
        out.append(_problem("nearby-unlinked", "warning", [f"clip:{a}", f"clip:{b}"],
                            [clips[a], clips[b]], warning["message"], facts))  # fmt: skip
    return out


def _integrity(app: App, case_id: int, rehash: bool) -> list[Problem]:
    """Clips whose evidence or thumbnails are missing, altered or unreadable."""
    with app.db.read() as session:
        rows = []
        for c in session.scalars(select(Clip).where(Clip.case_id == case_id).order_by(Clip.id)):
            thumbs = [(k.thumbnail.sha256, k.thumbnail.size) for k in c.keyframes if k.thumbnail]
            rows.append((ClipFacts(c.id, c.name), (c.file.sha256, c.file.size), thumbs))
    out = []
    for clip, evidence, thumbs in rows:
        found = clip_integrity(app, evidence, thumbs, clip_id=clip.id, rehash=rehash)
        if found.ok:
            continue
        out.append(_problem(
            "evidence-integrity", "error", [f"clip:{clip.id}"], [clip],
            f"clip #{clip.id}: " + " ".join(found.messages)
            + " Run `verifier verify` to re-hash the whole store and check the custody log.",
            {"flags": list(found.flags), "sha256": evidence[0]},
        ))  # fmt: skip
    return out


@dataclass
class CheckReport:
    """The problems of one case: those to resolve and those acknowledged."""

    case: str
    problems: list[Problem] = field(default_factory=list)
    rehashed: bool = False

    @property
    def open(self) -> list[Problem]:
        return [p for p in self.problems if p.acknowledged is None]

    @property
    def acknowledged(self) -> list[Problem]:
        return [p for p in self.problems if p.acknowledged is not None]

    def to_json(self, *, include_acknowledged: bool = False) -> dict[str, Any]:
        shown = self.problems if include_acknowledged else self.open
        return {
            "case": self.case,
            "problems": [p.to_json() for p in shown],
            "open": len(self.open),
            "acknowledged": len(self.acknowledged),
            "evidence_rehashed": self.rehashed,
        }


_ORDER = {s: n for n, s in enumerate(SEVERITIES)}


def _natural(key: str) -> tuple[Any, ...]:
    """``link:2`` before ``link:10``."""
    return tuple(int(part) if part.isdigit() else part for part in key.split(":"))


_RULE_ORDER = {r: n for n, r in enumerate(RULES)}


_FACT_NAMES = {"chronolocation": "time finding", "geolocation": "geolocation", "link": "link"}


def _fact_name(key: str) -> str:
    """A fact's key as people say it: ``chronolocation:4`` is "time finding #4"."""
    kind, _, ident = key.partition(":")
    if kind in _FACT_NAMES and ident.isdigit():
        return f"{_FACT_NAMES[kind]} #{ident}"
    return key.replace("_", " ")


def _changed(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Which facts differ, as people name them ("time finding #4", "first post")."""
    old = old or {}
    return [_fact_name(k) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def _ack_json(ack: CheckAcknowledgement) -> dict[str, Any]:
    return {
        "id": ack.id,
        "key": ack.key,
        "rule": ack.rule,
        "reason": ack.reason,
        "fingerprint": ack.fingerprint,
        "by": ack.created_by,
        "at": (ack.updated_at or ack.created_at).isoformat(),
    }


def run_checks(app: App, case: CaseRecord | None = None, *, rehash: bool = False) -> CheckReport:
    """Every rule over one case (default: the current one), acknowledgements applied."""
    case = case or resolve_case(app, None)
    with app.db.read() as session:
        clips, links = gather(session, case.id)
        acks = {
            a.key: (_ack_json(a), a.facts)
            for a in session.scalars(
                select(CheckAcknowledgement).where(CheckAcknowledgement.case_id == case.id)
            )
        }
    # The incidents listing and the file checks open their own sessions.
    problems = evaluate(clips, links)
    problems += _nearby(app, case, clips)
    problems += _integrity(app, case.id, rehash)
    for p in problems:
        if p.key not in acks:
            continue
        ack, facts = acks[p.key]
        if ack["fingerprint"] == p.fingerprint:
            p.acknowledged = ack
        else:
            p.acknowledged_before = {**ack, "changed": _changed(facts, p.facts)}
    problems.sort(key=lambda p: (_ORDER[p.severity], _RULE_ORDER[p.rule], _natural(p.key)))
    return CheckReport(case.name, problems, rehashed=rehash)


# ------------------------------------------------------------------- acknowledgements


def _find_problem(app: App, case: CaseRecord, key: str) -> Problem:
    for p in run_checks(app, case).problems:
        if p.key == key:
            return p
    raise VerifierError(
        f"KEY: no current problem {key!r} in case {case.name!r} (see `verifier check --all`)"
    )


def acknowledge(
    app: App, key: str, reason: str, *, case: CaseRecord | None = None
) -> dict[str, Any]:
    """Acknowledge a current problem with a reason; it stays quiet until its facts change.

    Acknowledging again (after the facts changed, or to give a new reason)
    replaces the stored facts and reason; the log keeps the old ones.
    """
    key = (key or "").strip()
    reason = (reason or "").strip()
    if not reason:
        raise VerifierError("--reason: say why this problem is acceptable (it goes in the log)")
    case = case or resolve_case(app, None)
    problem = _find_problem(app, case, key)
    with app.db.write() as session:
        ack = session.scalar(select(CheckAcknowledgement).where(CheckAcknowledgement.key == key))
        before = _ack_json(ack) | {"facts": ack.facts} if ack is not None else None
        if ack is None:
            ack = CheckAcknowledgement(case_id=case.id, key=key, rule=problem.rule,
                                       created_by=app.analyst, fingerprint="", message="",
                                       reason="")  # fmt: skip
            session.add(ack)
        else:
            ack.updated_at = utcnow()
        ack.fingerprint, ack.facts = problem.fingerprint, problem.facts
        ack.message, ack.reason = problem.message, reason
        session.flush()
        after = _ack_json(ack) | {"facts": ack.facts, "message": ack.message}
        custody.record(session, actor=app.analyst, action="check.acknowledge",
                       target_type="acknowledgement", target_id=ack.id, case_id=case.id,
                       details={"key": key, "before": before, "after": after},
                       items=[ack])  # fmt: skip
        return after


def unacknowledge(app: App, key: str, *, case: CaseRecord | None = None) -> dict[str, Any]:
    """Withdraw an acknowledgement: the problem is listed again (the log keeps the reason)."""
    key = (key or "").strip()
    case = case or resolve_case(app, None)
    with app.db.write() as session:
        ack = session.scalar(
            select(CheckAcknowledgement).where(
                CheckAcknowledgement.key == key, CheckAcknowledgement.case_id == case.id
            )
        )
        if ack is None:
            raise VerifierError(f"KEY: no acknowledgement of {key!r} in case {case.name!r}")
        data = _ack_json(ack) | {"facts": ack.facts}
        custody.record(session, actor=app.analyst, action="check.unacknowledge",
                       target_type="acknowledgement", target_id=ack.id, case_id=case.id,
                       details={"key": key, "deleted": data}, deleted=[ack])  # fmt: skip
        session.delete(ack)
        return data


# ----------------------------------------------------------------------- verified mark


def mark_verified(
    app: App, clip_ref: str | ClipId, *, undo: bool = False, case: CaseRecord | None = None
) -> dict[str, Any]:
    """Mark a clip verified (or take the mark back), with a custody event on the clip."""
    with app.db.write() as session:
        clip = find_clip(session, clip_ref, case)
        before = {"verified_at": clip.verified_at.isoformat() if clip.verified_at else None,
                  "verified_by": clip.verified_by}  # fmt: skip
        if undo:
            if clip.verified_at is None:
                raise VerifierError(f"clip #{clip.id} is not marked verified")
            clip.verified_at, clip.verified_by = None, None
        else:
            if clip.verified_at is not None:
                raise VerifierError(
                    f"clip #{clip.id} is already marked verified (by {clip.verified_by})"
                )
            clip.verified_at, clip.verified_by = utcnow(), app.analyst
        session.flush()
        after = {"verified_at": clip.verified_at.isoformat() if clip.verified_at else None,
                 "verified_by": clip.verified_by}  # fmt: skip
        custody.record(session, actor=app.analyst,
                       action="clip.unverified" if undo else "clip.verified",
                       target_type="clip", target_id=clip.id, case_id=clip.case_id,
                       details={"clip_id": clip.id, "before": before, "after": after},
                       items=[clip])  # fmt: skip
        return {"id": clip.id, "name": clip.name, **after}
