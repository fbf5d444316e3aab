"""Events: moments an investigator marks on a clip ("the prisoners lie face down").

An event names one moment of one clip: the clip-relative time and the frame
on screen then (its index and presentation timestamp, so the report cites the
exact frame), a short label and a note. The incident clock
(:mod:`verifier.services.incident_clock`) puts the events of every clip of an
incident on one time axis, which is the reconstruction a report narrates.

A moment can be given as seconds (the frame on screen at that time is found
in the clip's frame table) or as a frame index (its time is read from the
table). A time after the end of the clip, or a frame that does not exist, is
refused rather than clamped.

Events are recorded items: every add, edit and delete is one transaction with
its custody event on the clip carrying the old and new values and the event's
state hash; edits are version checked, so a stale save is refused.

Sudden loud sounds in a clip's soundtrack are offered as candidate moments
(:func:`event_candidates`, from the sync module's transient detector), never
named by the program: a person accepts one with a label of their own
(:func:`accept_candidate`, origin ``candidate-accepted``) or ignores it, which
stores nothing.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import Clip, CustodyEvent, Event
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import ClipId, EventId
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.edits import check_version, deleted_conflict
from verifier.services.frames import FrameTable, load_frame_table, parse_seconds
from verifier.services.lookup import find_clip
from verifier.services.sync import candidate_markers

__all__ = [
    "CANDIDATE_MATCH",
    "ORIGINS",
    "accept_candidate",
    "add_event",
    "delete_event",
    "edit_event",
    "event_candidates",
    "event_json",
    "list_events",
]

ORIGINS = ("manual", "candidate-accepted")
"""A person marked the moment, or a person accepted a moment the program detected."""
MAX_LABEL = 200
_ACTIONS = ("event.add", "event.edit")
_EPSILON = Fraction(1, 10**6)


def _clip_ref(clip: Clip) -> dict[str, Any]:
    return {"id": clip.id, "name": clip.name, "sha256": clip.file.sha256}


def event_json(event: Event, clip: Clip) -> dict[str, Any]:
    """An event as JSON: what ``event list --json`` shows and the custody log keeps."""
    return {
        "id": event.id,
        "version": event.version,
        "clip": _clip_ref(clip),
        "at_seconds": event.at_seconds,
        "frame_index": event.frame_index,
        "pts": event.pts,
        "label": event.label,
        "note": event.note,
        "origin": event.origin,
        "created_at": event.created_at.isoformat() if event.created_at else None,
        "created_by": event.created_by,
        "updated_at": event.updated_at.isoformat() if event.updated_at else None,
    }


def _label(text: str) -> str:
    value = (text or "").strip()
    if not value:
        raise VerifierError("--label: say what happens at this moment (it goes in the report)")
    if len(value) > MAX_LABEL:
        raise VerifierError(f"--label: at most {MAX_LABEL} characters ({len(value)} given)")
    return value


def _moment(
    clip: Clip, table: FrameTable, at: str | float | Fraction | None, frame: int | None
) -> tuple[float, int | None, int | None]:
    """(seconds, frame index, pts) of the moment given as ``at`` seconds or as ``frame``."""
    if (at is None) == (frame is None):
        raise VerifierError("give the moment either as --at SECONDS or as --frame N")
    if frame is not None:
        table.check_index(int(frame), f"clip #{clip.id}")
        seconds = table.seconds_of(int(frame))
        if seconds is None:
            raise VerifierError(f"--frame: the time of frame {frame} of clip #{clip.id} is "
                                "unknown (analyse the clip first, or give --at)")  # fmt: skip
        return seconds, int(frame), table.pts_of(int(frame))
    try:
        value = parse_seconds(at)  # type: ignore[arg-type]
    except VerifierError as exc:
        raise VerifierError(f"--at: {exc}") from None
    duration = clip.duration if clip.duration is not None else table.duration
    if table.is_image:
        if value > 0:
            raise VerifierError(f"--at: clip #{clip.id} is a still image: its only moment is 0 s")
        return 0.0, 0, None
    if duration is not None and value > Fraction(duration) + _EPSILON:
        raise VerifierError(f"--at: {float(value):g} s is after the end of clip #{clip.id} "
                            f"({duration:.3f} s)")  # fmt: skip
    index = table.index_at(value)
    return float(value), index, table.pts_of(index) if index is not None else None


def _record(
    app: App, session: Session, action: str, event: Event, clip: Clip,
    details: dict[str, Any], *, deleted: bool = False,
) -> None:  # fmt: skip
    items, gone = ([], [event]) if deleted else ([event], [])
    custody.record(session, actor=app.analyst, action=action, target_type="clip",
                   target_id=clip.id, case_id=clip.case_id,
                   details={"event_id": event.id, **details}, items=items,
                   deleted=gone)  # fmt: skip


def add_event(
    app: App,
    clip_ref: str | ClipId,
    *,
    label: str,
    at: str | float | Fraction | None = None,
    frame: int | None = None,
    note: str = "",
    origin: str = "manual",
    case: CaseRecord | None = None,
) -> dict[str, Any]:
    """Mark a moment of ``clip_ref`` (at ``at`` seconds or at ``frame``); logged on the clip."""
    label = _label(label)
    if origin not in ORIGINS:
        raise VerifierError(f"origin: use one of {', '.join(ORIGINS)}")
    with app.db.write() as session:
        clip = find_clip(session, clip_ref, case)
        table = load_frame_table(app, clip)
        seconds, index, pts = _moment(clip, table, at, frame)
        event = Event(clip_id=clip.id, at_seconds=seconds, frame_index=index, pts=pts,
                      label=label, note=(note or "").strip(), origin=origin,
                      created_by=app.analyst)  # fmt: skip
        session.add(event)
        session.flush()
        data = event_json(event, clip)
        _record(app, session, "event.add", event, clip, {"event": data})
        return data


def list_events(
    app: App, clip_ref: str | ClipId | None = None, case: CaseRecord | None = None
) -> list[dict[str, Any]]:
    """Events of one clip, or of every clip of a case (or of all), in clip and time order."""
    with app.db.read() as session:
        query = select(Event, Clip).join(Clip, Clip.id == Event.clip_id)
        if clip_ref is not None:
            query = query.where(Event.clip_id == find_clip(session, clip_ref, case).id)
        elif case is not None:
            query = query.where(Clip.case_id == case.id)
        query = query.order_by(Event.clip_id, Event.at_seconds, Event.id)
        return [event_json(e, c) for e, c in session.execute(query).all()]


def _of(event_id: EventId) -> Any:
    return lambda details: details.get("event_id") == event_id


def _check(session: Session, event_id: EventId, expected_version: int | None) -> Event:
    """The event, if it is still the version the user saw (else a clear refusal)."""
    event = session.get(Event, event_id)
    if event is None:
        if expected_version is None:
            raise VerifierError(f"no event with id {event_id}")
        clip_id = session.scalar(
            select(CustodyEvent.target_id)
            .where(CustodyEvent.action == "event.delete")
            .where(CustodyEvent.details["event_id"].as_integer() == event_id)
            .limit(1)
        )
        raise deleted_conflict(session, what=f"event #{event_id}", target_type="clip",
                               target_id=int(clip_id or 0), action="event.delete",
                               matches=_of(event_id))  # fmt: skip
    clip = session.get(Clip, event.clip_id)
    assert clip is not None
    check_version(session, what=f"event #{event_id}", current_version=event.version,
                  expected_version=expected_version, target_type="clip",
                  target_id=event.clip_id, actions=_ACTIONS, matches=_of(event_id),
                  current=event_json(event, clip))  # fmt: skip
    return event


def edit_event(
    app: App,
    event_id: EventId,
    *,
    expected_version: int | None = None,
    at: str | float | Fraction | None = None,
    frame: int | None = None,
    label: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Change an event; only what is given changes, and the log keeps before and after."""
    label = _label(label) if label is not None else None
    with app.db.write() as session:
        event = _check(session, event_id, expected_version)
        clip = session.get(Clip, event.clip_id)
        assert clip is not None
        before = event_json(event, clip)
        if at is not None or frame is not None:
            table = load_frame_table(app, clip)
            event.at_seconds, event.frame_index, event.pts = _moment(clip, table, at, frame)
        if label is not None:
            event.label = label
        if note is not None:
            event.note = note.strip()
        event.updated_at = utcnow()
        session.flush()
        after = event_json(event, clip)
        _record(app, session, "event.edit", event, clip, {"before": before, "after": after})
        return after


def delete_event(app: App, event_id: EventId, *, expected_version: int | None = None) -> None:
    """Withdraw an event; the log keeps what it said."""
    with app.db.write() as session:
        event = _check(session, event_id, expected_version)
        clip = session.get(Clip, event.clip_id)
        assert clip is not None
        _record(app, session, "event.delete", event, clip,
                {"deleted": event_json(event, clip)}, deleted=True)  # fmt: skip
        session.delete(event)


CANDIDATE_MATCH = 0.01
"""Seconds within which an accepted time must match a detected candidate."""


def event_candidates(
    app: App, clip_ref: str | ClipId, case: CaseRecord | None = None
) -> list[dict[str, Any]]:
    """Sudden loud sounds of the clip as candidate moments (time, frame, strength), each
    with ``accepted_as`` (the id of the event a person made of it, or None)."""
    markers = candidate_markers(app, clip_ref, case=case)
    existing = list_events(app, clip_ref, case)
    out = []
    for m in markers:
        doc = m.to_json()
        doc["accepted_as"] = next(
            (e["id"] for e in existing if e["origin"] == "candidate-accepted"
             and abs(e["at_seconds"] - m.time) <= CANDIDATE_MATCH),
            None,
        )  # fmt: skip
        out.append(doc)
    return out


def accept_candidate(
    app: App,
    clip_ref: str | ClipId,
    at: float | str,
    *,
    label: str,
    note: str = "",
    case: CaseRecord | None = None,
) -> dict[str, Any]:
    """Make the candidate at ``at`` seconds an event with the person's own label."""
    label = _label(label)
    try:
        wanted = float(at)
    except (TypeError, ValueError):
        raise VerifierError(f"--at: cannot read the time {at!r}: give seconds") from None
    markers = candidate_markers(app, clip_ref, case=case)
    near = min(markers, key=lambda m: abs(m.time - wanted), default=None)
    if near is None or abs(near.time - wanted) > CANDIDATE_MATCH:
        times = ", ".join(f"{m.time:.3f}" for m in markers) or "none"
        raise VerifierError(f"--at: no candidate at {wanted:g} s in clip {clip_ref} "
                            f"(candidates: {times})")  # fmt: skip
    note = (note or "").strip()
    detected = f"detected: {near.description} ({near.strength_db:.1f} dB)"
    return add_event(app, clip_ref, label=label, at=str(round(float(near.time), 4)),
                     note=f"{note}\n{detected}" if note else detected,
                     origin="candidate-accepted", case=case)  # fmt: skip
