"""Listing clips and describing them for people and for JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from verifier.db.models import (
    Appearance,
    Chronolocation,
    Clip,
    ClipLink,
    CustodyEvent,
    Geolocation,
    StoredFile,
)
from verifier.ids import CaseId, ClipId
from verifier.services.annotations import annotations_for_clip
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.lookup import find_clip
from verifier.services.matching import RELATIONS, list_matches
from verifier.services.provenance import post_json
from verifier.services.verification import clip_integrity

#: Keyframe reasons that are edit points (a new shot starts there).
EDIT_POINTS = frozenset({"cut", "fade"})
#: Geolocation confidences from strongest to weakest; "rejected" findings are not counted.
GEO_CONFIDENCES = ("confirmed", "probable", "possible")
REJECTED = "rejected"


@dataclass(frozen=True)
class ClipSummary:
    """One clip as listed by ``verifier clips`` and the window's clip browser."""

    id: ClipId
    case_id: CaseId
    case_name: str
    name: str
    sha256: str
    size: int
    media_kind: str
    duration: float | None
    width: int | None
    height: int | None
    frame_count: int | None
    analysis_status: str
    added_at: datetime
    added_by: str
    appearances: int
    keyframes: int
    edit_points: int
    flags: tuple[str, ...]
    matches: int
    geolocated: bool
    chronolocated: bool
    thumbnail: Path | None
    first_seen: str | None
    #: Problems with the stored files ("evidence missing", "thumbnail altered"...):
    #: a quick check (existence and size of the evidence, the listed thumbnail
    #: re-hashed); ``verify`` re-hashes everything.
    integrity: tuple[str, ...] = ()
    #: Geolocation findings not rejected, and the strongest confidence among them.
    geolocations: int = 0
    geo_confidence: str | None = None
    #: Proposed findings (a GPS tag in the file) that nobody confirmed or rejected yet.
    geo_proposed: int = 0
    #: Chronolocation windows recorded.
    chronolocations: int = 0
    #: Proposed time windows (first appearance, file metadata) awaiting a decision.
    chrono_proposed: int = 0

    def to_json(self) -> dict[str, Any]:
        """The keys of ``verifier clips --json`` (and the head of ``verifier show``)."""
        return {
            "id": self.id,
            "name": self.name,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.media_kind,
            "duration": self.duration,
            "width": self.width,
            "height": self.height,
            "frame_count": self.frame_count,
            "analysis_status": self.analysis_status,
            "added_at": self.added_at.isoformat(),
            "added_by": self.added_by,
            "appearances": self.appearances,
            "keyframes": self.keyframes,
            "edit_points": self.edit_points,
            "flags": ", ".join(self.flags),
            "integrity": list(self.integrity),
            "case": self.case_name,
        }


@dataclass
class _Findings:
    """Per clip: findings a person stands by, the strongest confidence, proposals pending."""

    counted: dict[int, int] = field(default_factory=dict)
    best: dict[int, str | None] = field(default_factory=dict)
    proposed: dict[int, int] = field(default_factory=dict)


def _findings(session: Session, model: Any, ids: list[int]) -> _Findings:
    """One grouped query over geolocation or time findings, rejected ones left out.

    A proposal (a GPS tag or a creation time from the file, a first appearance)
    awaits a person's decision, so it is counted apart and never lends its
    confidence to the clip.
    """
    out = _Findings()
    for clip_id, confidence, status, count in session.execute(
        select(model.clip_id, model.confidence, model.status, func.count(model.id))
        .where(
            model.clip_id.in_(ids),
            or_(model.confidence.is_(None), model.confidence != REJECTED),
            model.status != REJECTED,
        )
        .group_by(model.clip_id, model.confidence, model.status)
    ).all():
        if status == "proposed":
            out.proposed[clip_id] = out.proposed.get(clip_id, 0) + count
            continue
        out.counted[clip_id] = out.counted.get(clip_id, 0) + count
        out.best[clip_id] = _stronger(out.best.get(clip_id), confidence)
    return out


def _summaries(app: App, session: Session, clips: list[Clip]) -> list[ClipSummary]:
    """Summaries of loaded clips (file, case and keyframes loaded), with their counts."""
    ids = [c.id for c in clips]

    def counts(column: Any, model: Any) -> dict[int, int]:
        return dict(
            session.execute(
                select(column, func.count(model.id)).where(column.in_(ids)).group_by(column)
            ).all()
        )

    appearances = counts(Appearance.clip_id, Appearance)
    geos = _findings(session, Geolocation, ids)
    chronos = _findings(session, Chronolocation, ids)
    first_seen = dict(
        session.execute(
            select(Appearance.clip_id, func.min(Appearance.posted_at))
            .where(Appearance.clip_id.in_(ids))
            .group_by(Appearance.clip_id)
        ).all()
    )
    matches: dict[int, int] = dict.fromkeys(ids, 0)
    if ids:
        links = session.execute(
            select(ClipLink.clip_a_id, ClipLink.clip_b_id).where(
                ClipLink.relation.in_(RELATIONS),
                ClipLink.status != "rejected",
                or_(ClipLink.clip_a_id.in_(ids), ClipLink.clip_b_id.in_(ids)),
            )
        ).all()
        for a, b in links:
            for side in (a, b):
                if side in matches:
                    matches[side] += 1
    thumbs: dict[int, int | None] = {}
    for clip in clips:
        first = min(clip.keyframes, key=lambda k: k.frame_index, default=None)
        thumbs[clip.id] = first.thumbnail_file_id if first else None
    thumb_files = {
        f.id: f
        for f in session.scalars(
            select(StoredFile).where(StoredFile.id.in_([t for t in thumbs.values() if t]))
        )
    }
    paths = {i: app.store.resolve(f.stored_path) for i, f in thumb_files.items()}
    summaries = []
    for clip in clips:
        reasons = [k.reason for k in clip.keyframes]
        seen = first_seen.get(clip.id)
        thumb = thumb_files.get(thumbs[clip.id] or -1)
        integrity = clip_integrity(
            app, (clip.file.sha256, clip.file.size),
            [(thumb.sha256, thumb.size)] if thumb is not None else [], clip_id=clip.id,
        )  # fmt: skip
        summaries.append(
            ClipSummary(
                id=ClipId(clip.id),
                case_id=CaseId(clip.case_id),
                case_name=clip.case.name,
                name=clip.name,
                sha256=clip.file.sha256,
                size=clip.file.size,
                media_kind=clip.media_kind,
                duration=clip.duration,
                width=clip.width,
                height=clip.height,
                frame_count=clip.frame_count,
                analysis_status=clip.analysis_status,
                added_at=clip.added_at,
                added_by=clip.added_by,
                appearances=appearances.get(clip.id, 0),
                keyframes=len(reasons),
                edit_points=sum(r in EDIT_POINTS for r in reasons),
                flags=tuple(f["code"] for f in clip.flags or []),
                matches=matches.get(clip.id, 0),
                geolocated=geos.counted.get(clip.id, 0) > 0,
                chronolocated=chronos.counted.get(clip.id, 0) > 0,
                thumbnail=paths.get(thumbs[clip.id] or -1),
                first_seen=seen.isoformat() if seen else None,
                integrity=integrity.flags,
                geolocations=geos.counted.get(clip.id, 0),
                geo_confidence=geos.best.get(clip.id),
                geo_proposed=geos.proposed.get(clip.id, 0),
                chronolocations=chronos.counted.get(clip.id, 0),
                chrono_proposed=chronos.proposed.get(clip.id, 0),
            )
        )
    return summaries


def _stronger(a: str | None, b: str | None) -> str | None:
    """The stronger of two confidences; a word outside the known scale ranks last."""

    def rank(value: str | None) -> int:
        if value is None:
            return len(GEO_CONFIDENCES) + 1
        lower = value.lower()
        return GEO_CONFIDENCES.index(lower) if lower in GEO_CONFIDENCES else len(GEO_CONFIDENCES)

    return a if rank(a) <= rank(b) else b


def list_clips(app: App, case_id: CaseId) -> list[ClipSummary]:
    """The clips of a case by id, with counts of appearances, keyframes and matches."""
    with app.db.read() as session:
        clips = list(
            session.scalars(
                select(Clip)
                .options(joinedload(Clip.file), joinedload(Clip.case), selectinload(Clip.keyframes))
                .where(Clip.case_id == case_id)
                .order_by(Clip.id)
            )
        )
        return _summaries(app, session, clips)


def custody_for_clip(session: Session, clip: Clip) -> list[dict[str, Any]]:
    events = session.scalars(
        select(CustodyEvent)
        .where(CustodyEvent.target_type == "clip", CustodyEvent.target_id == str(clip.id))
        .order_by(CustodyEvent.seq)
    )
    return [event_json(event) for event in events]


def event_json(event: CustodyEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "case_id": event.case_id,
        "details": event.details,
        "tool": event.tool,
        "tool_version": event.tool_version,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def custody_log(app: App, case: CaseRecord | None) -> list[dict[str, Any]]:
    with app.db.read() as session:
        query = select(CustodyEvent).order_by(CustodyEvent.seq)
        if case is not None:
            query = query.where(CustodyEvent.case_id == case.id)
        return [event_json(event) for event in session.scalars(query)]


def describe_clip(app: App, ref: str | ClipId, case: CaseRecord | None = None) -> dict[str, Any]:
    """Everything known about one clip, JSON-ready (what `verifier show` prints)."""
    with app.db.read() as session:
        clip = find_clip(session, ref, case)
        keyframes = [
            {
                "frame_index": k.frame_index,
                "pts": k.pts,
                "time_base": k.time_base,
                "seconds": k.seconds,
                "reason": k.reason,
                "score": k.score,
                "phash": k.phash,
                "pdq": k.pdq,
                "pdq_quality": k.pdq_quality,
                "thumbnail_sha256": k.thumbnail.sha256 if k.thumbnail else None,
            }
            for k in clip.keyframes
        ]
        # Every post with where, who, how its time is known and the readers' warnings.
        appearances = [
            post_json(a, clip, {clip.case_id: clip.case.name})
            for a in sorted(clip.appearances, key=lambda a: a.id)
        ]
        row = _summaries(app, session, [clip])[0].to_json()
        row.update(
            {
                "file": {
                    "sha256": clip.file.sha256,
                    "size": clip.file.size,
                    "original_name": clip.file.original_name,
                    "original_path": clip.file.original_path,
                    "mime_type": clip.file.mime_type,
                    "container": clip.file.container,
                    "stored_path": clip.file.stored_path,
                    "imported_at": clip.file.imported_at.isoformat(),
                    "imported_by": clip.file.imported_by,
                },
                "metadata": clip.media_info,
                "flags": clip.flags,
                "analysis": {
                    "status": clip.analysis_status,
                    "error": clip.analysis_error,
                    "warnings": clip.analysis_warnings,
                    "analysed_at": clip.analysed_at.isoformat() if clip.analysed_at else None,
                    "version": clip.analysis_version,
                },
                "keyframes": keyframes,
                "edit_points": [k for k in keyframes if k["reason"] in EDIT_POINTS],
                "appearances": appearances,
                "annotations": annotations_for_clip(session, clip),
                "custody": custody_for_clip(session, clip),
            }
        )
    row["matches"] = list_matches(app, clip_id=row["id"])
    return row
