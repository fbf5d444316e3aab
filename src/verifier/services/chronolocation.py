"""Time findings (chronolocation): when a clip was filmed, how sure, and why.

A finding is a window (earliest, latest) stored in UTC; either end may be
open, because some evidence bounds one side only (a clip cannot have been
filmed after it was first posted, but the post says nothing about how long
before). Each finding has a confidence (confirmed, probable, possible,
rejected), a method, the reasoning, and the frames and annotations that show
the working.

Investigators think in the local time of the place, so every window is shown
in UTC and in the local time of the clip's best geolocation finding (the zone
and its daylight-saving rule looked up offline with ``timezonefinder`` and
``zoneinfo``), each end with its own offset: a window on a clock-change day
has two different offsets. Without a geolocation the window is UTC only, and
says so.

Two kinds of finding are proposed by the program, never accepted silently (a
person confirms or rejects them):

* the first appearance: the earliest posting time of the clip's appearances
  is an upper bound (a date-only post bounds at the end of that day);
* the creation time in the file's metadata: with its offset, or "of unknown
  zone" when it has none, and then the window is widened by the UTC offsets in
  use on Earth (−12:00 to +14:00) and says why.

Proposals are made idempotently by :func:`propose_times`, inside the caller's
transaction: analysis calls it (the metadata is read then), recording an
appearance calls it, and ``verifier chrono propose`` calls it for clips
recorded before. A proposal is made once per source: re-running does not
duplicate it, a rejected one stays rejected, and a pending proposal whose
source changed (an earlier post was added) is updated with a custody event
that keeps the old values. A decided (confirmed or rejected) proposal is
never changed: a new source gives a new proposal beside it.

Every change is one transaction with its custody event on the clip, carrying
the old and new values and the finding's state hash; edits are version
checked so a stale save is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import Appearance, Chronolocation, Clip
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.ids import ChronolocationId, ClipId
from verifier.media.info import parse_timestamp
from verifier.services.cases import CaseRecord
from verifier.services.clip_findings import FindingKind, check_finding, record_on_clip
from verifier.services.context import App
from verifier.services.geolocation import (
    CONFIDENCES,
    _check_annotations,
    _check_frames,
    best_geolocation,
    parse_confidence,
)
from verifier.services.lookup import find_clip
from verifier.sources.post_ids import PRECISION_SPAN

__all__ = [
    "CONFIDENCES",
    "KEEP",
    "METHODS",
    "NO_LOCATION",
    "add_chronolocation",
    "chronolocation_json",
    "clip_zone",
    "confirm_chronolocation",
    "delete_chronolocation",
    "edit_chronolocation",
    "list_chronolocations",
    "local_time",
    "parse_method",
    "parse_time",
    "propose_for",
    "propose_times",
    "reject_chronolocation",
    "zone_for_clip",
]

METHODS = (
    "file metadata",
    "first appearance",
    "sun position and shadows",
    "weather",
    "visible events",
    "other",
)
_METHOD_KEYS = {m: m for m in METHODS}
NO_LOCATION = "no location: UTC only"
# UTC offsets in use run from −12:00 (Baker Island) to +14:00 (Line Islands): a local
# time of unknown zone is between 14 h before and 12 h after the same digits in UTC.
_EARLIEST_OFFSET = timedelta(hours=14)
_LATEST_OFFSET = timedelta(hours=12)


class _Keep:
    """Marks an argument of :func:`edit_chronolocation` that is left as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def parse_method(text: str) -> str:
    """One of :data:`METHODS`; hyphens, underscores and case are forgiven
    (``sun-position-and-shadows``, ``File_Metadata``); ``sun`` and ``metadata`` too."""
    key = " ".join(str(text).lower().replace("-", " ").replace("_", " ").split())
    key = {"sun": "sun position and shadows", "metadata": "file metadata"}.get(key, key)
    method = _METHOD_KEYS.get(key)
    if method is None:
        shown = ", ".join(m.replace(" ", "-") for m in METHODS)
        raise VerifierError(f"--method: unknown method {text!r}: use one of {shown}")
    return method


# --------------------------------------------------------------------------- time zones


@lru_cache(maxsize=1)
def _finder() -> Any:
    """One TimezoneFinder per process: loading its polygons takes a moment."""
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


@lru_cache(maxsize=4096)
def zone_at(lat: float, lon: float) -> str | None:
    """The IANA zone name at a point (offline), or None (the open sea far from land)."""
    return _finder().timezone_at(lat=float(lat), lng=float(lon))


def clip_zone(session: Session, clip_id: int) -> dict[str, Any] | None:
    """The zone of the clip's best non-rejected geolocation (confirmed > probable >
    possible; a person's decision before a pending proposal; then the newest), or None."""
    best = best_geolocation(session, clip_id)
    if best is None:
        return None
    name = zone_at(best.latitude, best.longitude)
    if name is None:
        return None
    return {"name": name, "geolocation_id": best.id, "confidence": best.confidence,
            "lat": best.latitude, "lon": best.longitude}  # fmt: skip


def _zone_text(zone: dict[str, Any] | None) -> str:
    if zone is None:
        return NO_LOCATION
    return f"{zone['name']} (from geolocation #{zone['geolocation_id']}, {zone['confidence']})"


def _offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_time(moment: datetime | None, zone: str | None) -> dict[str, Any] | None:
    """A UTC moment in a zone: the local wall time, its offset, abbreviation and DST."""
    if moment is None or zone is None:
        return None
    local = moment.astimezone(ZoneInfo(zone))
    dst = local.dst()
    return {
        "time": local.isoformat(timespec="seconds"),
        "offset": _offset_text(local.utcoffset()),
        "abbreviation": local.tzname(),
        "dst": bool(dst),
    }


# --------------------------------------------------------------------------- parsing


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def parse_time(
    text: str | datetime | None, option: str, zone: str | None = None
) -> datetime | None:
    """A moment as ISO 8601 with an offset or ``Z``; a time without an offset is refused,
    unless ``zone`` is given (``--local``): then it is that zone's wall time, refused
    when the clocks skipped it or showed it twice (a clock change)."""
    if text is None:
        return None
    if isinstance(text, datetime):
        if text.tzinfo is None:
            raise VerifierError(f"{option}: a time without a UTC offset is ambiguous")
        return _utc(text)
    value = str(text).strip()
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value else value)
    except ValueError:
        raise VerifierError(
            f"{option}: {text!r} is not a time: give ISO 8601 with an offset, "
            "e.g. 2025-03-30T14:05Z or 2025-03-30T17:05+03:00"
        ) from None
    if moment.tzinfo is not None:
        return _utc(moment)
    if zone is None:
        raise VerifierError(
            f"{option}: {value} has no UTC offset: add Z or an offset such as +03:00 "
            "(or give --local to read it in the zone of the clip's location)"
        )
    tz = ZoneInfo(zone)
    first, second = moment.replace(tzinfo=tz, fold=0), moment.replace(tzinfo=tz, fold=1)
    if _utc(first).astimezone(tz).replace(tzinfo=None) != moment:
        raise VerifierError(
            f"{option}: {value} did not exist in {zone} (the clocks were put forward): "
            "give the time with its offset"
        )
    if first.utcoffset() != second.utcoffset():
        raise VerifierError(
            f"{option}: {value} happened twice in {zone} (the clocks were put back): "
            f"give it with its offset, {_offset_text(first.utcoffset())} or "
            f"{_offset_text(second.utcoffset())}"
        )
    return _utc(first)


def _check_window(earliest: datetime | None, latest: datetime | None) -> None:
    if earliest is None and latest is None:
        raise VerifierError("--from/--to: give at least one end of the window")
    if earliest is not None and latest is not None and earliest > latest:
        raise VerifierError(
            f"--from: {earliest.isoformat()} is after --to {latest.isoformat()} "
            "(the window would be empty)"
        )


# --------------------------------------------------------------------------- JSON


def _iso(moment: datetime | None) -> str | None:
    return _utc(moment).isoformat() if moment is not None else None


def chronolocation_json(c: Chronolocation, clip: Clip) -> dict[str, Any]:
    """A finding as recorded (the custody log keeps this): UTC only."""
    evidence = c.evidence or {}
    return {
        "id": c.id,
        "version": c.version,
        "clip_id": c.clip_id,
        "clip_name": clip.name,
        "earliest": _iso(c.earliest),
        "latest": _iso(c.latest),
        "confidence": c.confidence,
        "method": c.method,
        "reasoning": c.reasoning,
        "origin": c.origin,
        "status": c.status,
        "source": c.source,
        "zone_note": c.zone_note,
        "frames": list(evidence.get("frames", [])),
        "annotations": list(evidence.get("annotations", [])),
        "figures": list(evidence.get("figures", [])),
        "created_at": c.created_at.isoformat() if c.created_at else None,
        "created_by": c.created_by,
        "updated_at": c.updated_at.isoformat() if c.updated_at else None,
    }


def _shown(session: Session, c: Chronolocation) -> dict[str, Any]:
    """A finding as shown: the recorded values plus each end in the location's local time."""
    clip = session.get(Clip, c.clip_id)
    assert clip is not None
    doc = chronolocation_json(c, clip)
    zone = clip_zone(session, c.clip_id)
    doc["zone"] = zone
    doc["zone_text"] = _zone_text(zone)
    name = zone["name"] if zone else None
    doc["earliest_local"] = local_time(c.earliest, name)
    doc["latest_local"] = local_time(c.latest, name)
    return doc


def list_chronolocations(
    app: App, clip_ref: str | ClipId | None = None, case: CaseRecord | None = None
) -> list[dict[str, Any]]:
    """Time findings of one clip, or of every clip of a case (or of all), oldest first."""
    with app.db.read() as session:
        query = select(Chronolocation).order_by(Chronolocation.clip_id, Chronolocation.id)
        if clip_ref is not None:
            query = query.where(Chronolocation.clip_id == find_clip(session, clip_ref, case).id)
        elif case is not None:
            query = query.where(
                Chronolocation.clip_id.in_(select(Clip.id).where(Clip.case_id == case.id))
            )
        return [_shown(session, c) for c in session.scalars(query)]


#: How a stale or deleted finding is refused and a change logged (as for geolocations).
_KIND = FindingKind(model=Chronolocation, name="chronolocation", noun="time finding",
                    missing="time finding", as_json=chronolocation_json)  # fmt: skip


def _zone_name(session: Session, clip_id: int, local: bool) -> str | None:
    if not local:
        return None
    zone = clip_zone(session, clip_id)
    if zone is None:
        raise VerifierError(
            f"--local: clip #{clip_id} has no geolocation to take a time zone from: "
            "give the times with their offsets"
        )
    return str(zone["name"])


def zone_for_clip(app: App, clip_id: ClipId) -> dict[str, Any]:
    """The zone local times of ``clip_id`` are shown in (None when it has no location),
    with the text that says where it comes from; for the add dialog."""
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        zone = clip_zone(session, clip_id)
        return {"zone": zone, "zone_text": _zone_text(zone), "frame_count": clip.frame_count}


# --------------------------------------------------------------------------- a person's findings


def add_chronolocation(
    app: App,
    clip_ref: str | ClipId,
    *,
    earliest: str | datetime | None,
    latest: str | datetime | None,
    confidence: str,
    method: str,
    reasoning: str,
    frames: Iterable[int] = (),
    annotations: Iterable[int] = (),
    local: bool = False,
    case: CaseRecord | None = None,
) -> dict[str, Any]:
    """A person's finding of when ``clip_ref`` was filmed (logged on the clip)."""
    confidence = parse_confidence(confidence)
    method = parse_method(method)
    reasoning = (reasoning or "").strip()
    if not reasoning:
        raise VerifierError("--reasoning: say how the time was found (it goes in the report)")
    with app.db.write() as session:
        clip = find_clip(session, clip_ref, case)
        zone = _zone_name(session, clip.id, local)
        start = parse_time(earliest, "--from", zone)
        end = parse_time(latest, "--to", zone)
        _check_window(start, end)
        evidence: dict[str, Any] = {}
        frame_list = _check_frames(clip, frames)
        note_list = _check_annotations(session, clip, annotations)
        for key, value in (("frames", frame_list), ("annotations", note_list)):
            if value:
                evidence[key] = value
        c = Chronolocation(clip_id=clip.id, earliest=start, latest=end, confidence=confidence,
                           method=method, reasoning=reasoning, evidence=evidence,
                           origin="manual", status="confirmed",
                           created_by=app.analyst)  # fmt: skip
        session.add(c)
        session.flush()
        record_on_clip(app, session, _KIND, "chronolocation.add", c, clip,
                       {"chronolocation": chronolocation_json(c, clip)})  # fmt: skip
        return _shown(session, c)


def edit_chronolocation(
    app: App,
    chronolocation_id: ChronolocationId,
    *,
    expected_version: int | None = None,
    earliest: Any = KEEP,
    latest: Any = KEEP,
    confidence: str | None = None,
    method: str | None = None,
    reasoning: str | None = None,
    frames: Iterable[int] | None = None,
    annotations: Iterable[int] | None = None,
    local: bool = False,
    status: str | None = None,
) -> dict[str, Any]:
    """Change a finding; only what is given changes (``earliest``/``latest`` None opens
    that end; frames and annotations are replaced by the lists given)."""
    confidence = parse_confidence(confidence) if confidence is not None else None
    method = parse_method(method) if method is not None else None
    if status is not None and status not in ("proposed", "confirmed", "rejected"):
        raise VerifierError("status: use proposed, confirmed or rejected")
    with app.db.write() as session:
        c = check_finding(session, _KIND, chronolocation_id, expected_version)
        clip = session.get(Clip, c.clip_id)
        assert clip is not None
        if reasoning is not None and not reasoning.strip():
            raise VerifierError("--reasoning: a time finding needs its reasoning")
        zone = _zone_name(session, clip.id, local)
        start = c.earliest if earliest is KEEP else parse_time(earliest, "--from", zone)
        end = c.latest if latest is KEEP else parse_time(latest, "--to", zone)
        _check_window(start, end)
        evidence = dict(c.evidence or {})
        if frames is not None:
            evidence["frames"] = _check_frames(clip, frames)
        if annotations is not None:
            evidence["annotations"] = _check_annotations(session, clip, annotations)
        before = chronolocation_json(c, clip)
        c.earliest, c.latest = start, end
        if confidence is not None:
            c.confidence = confidence
        if method is not None:
            c.method = method
        if reasoning is not None:
            c.reasoning = reasoning.strip()
        c.evidence = {k: v for k, v in evidence.items() if v}
        if status is not None:
            c.status = status
            if status == "rejected":
                c.confidence = "rejected"
        c.updated_at = utcnow()
        session.flush()
        after = chronolocation_json(c, clip)
        action = "chronolocation.edit"
        if status in ("confirmed", "rejected") and before["status"] != after["status"]:
            action = f"chronolocation.{'confirm' if status == 'confirmed' else 'reject'}"
        record_on_clip(app, session, _KIND, action, c, clip, {"before": before, "after": after})
        return _shown(session, c)


def confirm_chronolocation(
    app: App, chronolocation_id: ChronolocationId, *, expected_version: int | None = None,
    confidence: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A person accepts a finding (a proposal becomes their finding)."""
    return edit_chronolocation(app, chronolocation_id, expected_version=expected_version,
                               status="confirmed", confidence=confidence)  # fmt: skip


def reject_chronolocation(
    app: App, chronolocation_id: ChronolocationId, *, expected_version: int | None = None
) -> dict[str, Any]:
    """A person rejects a finding: it stays on record as rejected and is not proposed again."""
    return edit_chronolocation(app, chronolocation_id, expected_version=expected_version,
                               status="rejected")  # fmt: skip


def delete_chronolocation(
    app: App, chronolocation_id: ChronolocationId, *, expected_version: int | None = None
) -> None:
    """Withdraw a finding; the log keeps what it said."""
    with app.db.write() as session:
        c = check_finding(session, _KIND, chronolocation_id, expected_version)
        clip = session.get(Clip, c.clip_id)
        assert clip is not None
        record_on_clip(app, session, _KIND, "chronolocation.delete", c, clip,
                       {"deleted": chronolocation_json(c, clip)}, deleted=True)  # fmt: skip
        session.delete(c)


# --------------------------------------------------------------------------- proposals


def _first_appearance(session: Session, clip: Clip) -> dict[str, Any] | None:
    """The proposal the clip's earliest post makes: an upper bound at the end of its
    precision (a date-only post: the end of that day, UTC)."""
    posts = session.scalars(
        select(Appearance).where(Appearance.clip_id == clip.id, Appearance.posted_at.is_not(None))
    ).all()
    bounded = [
        (_utc(a.posted_at) + PRECISION_SPAN.get(a.posted_at_precision, timedelta(0)), a)
        for a in posts
        if a.posted_at is not None
    ]
    if not bounded:
        return None
    end, post = min(bounded, key=lambda pair: (pair[0], pair[1].id))
    where = post.url or f"a {post.platform or 'post'} post"
    shown = post.posted_at_text or _iso(post.posted_at)
    precision = post.posted_at_precision or "unknown"
    reasoning = (
        f"First known appearance: {where}, posted {shown} (precision: {precision}). "
        "The clip was filmed before it was posted; an earlier copy may exist."
    )
    if precision == "date":
        reasoning += " The post gives a date only, so the bound is the end of that day (UTC)."
    return {
        "origin": "first-appearance",
        "method": "first appearance",
        "earliest": None,
        "latest": end,
        "reasoning": reasoning,
        "source": f"appearance:{post.id} {_iso(post.posted_at)} {precision}",
        "zone_note": None,
    }


def _metadata(clip: Clip) -> dict[str, Any] | None:
    """The proposal the file's creation time makes: with its offset a moment (through the
    clip's duration), without one a window widened by every UTC offset in use."""
    info = clip.media_info or {}
    moment, _ = parse_timestamp(info.get("creation_time"))
    if moment is None:
        return None
    raw = info.get("creation_time_raw") or info.get("creation_time")
    tag = info.get("creation_time_source") or "creation time"
    duration = clip.duration if clip.duration and math.isfinite(clip.duration) else 0.0
    length = timedelta(seconds=math.ceil(max(duration, 0.0)))
    unknown_zone = bool(info.get("creation_time_is_local")) or moment.tzinfo is None
    naive = moment.replace(tzinfo=UTC)
    reasoning = f"Creation time in the file's metadata ({tag}: {raw})."
    if unknown_zone:
        earliest, latest = naive - _EARLIEST_OFFSET, naive + _LATEST_OFFSET + length
        zone_note = (
            f"of unknown zone: {raw} has no UTC offset, so it is the camera's clock in an "
            "unknown zone; the window covers every UTC offset in use (−12:00 to +14:00)"
        )
        reasoning += " " + zone_note[0].upper() + zone_note[1:] + "."
    else:
        earliest, latest = _utc(moment), _utc(moment) + length
        zone_note = None
    reasoning += (
        " Metadata can be wrong (a camera clock not set) or rewritten when a file is "
        "re-encoded: compare with the picture before confirming it."
    )
    return {
        "origin": "metadata",
        "method": "file metadata",
        "earliest": earliest,
        "latest": latest,
        "reasoning": reasoning,
        "source": f"{tag}={raw}",
        "zone_note": zone_note,
    }


def _propose_one(
    app: App, session: Session, clip: Clip, made: dict[str, Any]
) -> Chronolocation | None:
    """Record one proposal unless its source was proposed before; a pending proposal of
    the same origin from another source is updated (the log keeps the old values)."""
    same_origin = session.scalars(
        select(Chronolocation).where(
            Chronolocation.clip_id == clip.id, Chronolocation.origin == made["origin"]
        )
    ).all()
    if any(c.source == made["source"] for c in same_origin):
        return None
    pending = [c for c in same_origin if c.status == "proposed"]
    if pending:
        c = pending[0]
        before = chronolocation_json(c, clip)
        c.earliest, c.latest = made["earliest"], made["latest"]
        c.reasoning, c.source, c.zone_note = made["reasoning"], made["source"], made["zone_note"]
        c.updated_at = utcnow()
        session.flush()
        record_on_clip(app, session, _KIND, "chronolocation.propose", c, clip,
                       {"before": before, "after": chronolocation_json(c, clip),
                       "why": "the source of the proposal changed"})  # fmt: skip
        return c
    c = Chronolocation(clip_id=clip.id, earliest=made["earliest"], latest=made["latest"],
                       confidence="possible", method=made["method"],
                       reasoning=made["reasoning"], evidence={}, origin=made["origin"],
                       status="proposed", source=made["source"], zone_note=made["zone_note"],
                       created_by=app.analyst)  # fmt: skip
    session.add(c)
    session.flush()
    record_on_clip(app, session, _KIND, "chronolocation.propose", c, clip,
                   {"chronolocation": chronolocation_json(c, clip)})  # fmt: skip
    return c


def propose_times(app: App, session: Session, clip: Clip) -> list[Chronolocation]:
    """Propose the first appearance and the metadata creation time of ``clip`` as time
    findings, inside the caller's transaction; the proposals made or updated."""
    out = []
    for made in (_first_appearance(session, clip), _metadata(clip)):
        if made is not None:
            c = _propose_one(app, session, clip, made)
            if c is not None:
                out.append(c)
    return out


def propose_for(
    app: App, clip_ref: str | ClipId | None = None, case: CaseRecord | None = None
) -> list[dict[str, Any]]:
    """``chrono propose``: propose for one clip, or every clip of a case; what changed."""
    with app.db.write() as session:
        if clip_ref is not None:
            clips = [find_clip(session, clip_ref, case)]
        else:
            query = select(Clip).order_by(Clip.id)
            if case is not None:
                query = query.where(Clip.case_id == case.id)
            clips = list(session.scalars(query))
        made = [c for clip in clips for c in propose_times(app, session, clip)]
        return [_shown(session, c) for c in made]
