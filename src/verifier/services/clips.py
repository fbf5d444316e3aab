"""Finding clips and describing them for people and for JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from verifier.db.models import Appearance, Case, Clip, CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.services.context import App
from verifier.services.matching import list_matches


def find_clip(session: Session, ref: str | int, case: Case | None = None) -> Clip:
    """A clip by id or by a unique SHA-256 prefix (of at least 6 hex digits).

    With a case, the prefix is looked up in that case; without, in all cases,
    where the same bytes in two cases make the prefix ambiguous.
    """
    text = str(ref).strip().lower()
    query = select(Clip).options(joinedload(Clip.file), joinedload(Clip.case))
    if case is not None:
        query = query.where(Clip.case_id == case.id)
    if text.isdigit() and len(text) < 6:
        clip = session.scalar(query.where(Clip.id == int(text)))
        if clip is None:
            raise VerifierError(f"no clip with id {text}")
        return clip
    if len(text) < 6 or any(c not in "0123456789abcdef" for c in text):
        raise VerifierError(f"{ref!r} is neither a clip id nor a SHA-256 prefix of 6+ hex digits")
    conditions = [StoredFile.sha256.startswith(text)]
    if text.isdigit():
        conditions.append(Clip.id == int(text))
    matches = list(session.scalars(query.join(Clip.file).where(or_(*conditions))).unique())
    if not matches:
        raise VerifierError(f"no clip matches {ref!r}")
    if len(matches) > 1:
        listing = ", ".join(f"#{c.id} ({c.case.name})" for c in matches[:5])
        raise VerifierError(f"{ref!r} matches {len(matches)} clips: {listing}; be more specific")
    return matches[0]


def clip_row(clip: Clip, appearance_count: int = 0) -> dict[str, Any]:
    """The short description used by clip listings."""
    reasons = [k.reason for k in clip.keyframes]
    return {
        "id": clip.id,
        "name": clip.name,
        "sha256": clip.file.sha256,
        "size": clip.file.size,
        "kind": clip.media_kind,
        "duration": clip.duration,
        "width": clip.width,
        "height": clip.height,
        "frame_count": clip.frame_count,
        "analysis_status": clip.analysis_status,
        "added_at": clip.added_at.isoformat(),
        "added_by": clip.added_by,
        "appearances": appearance_count,
        "keyframes": len(reasons),
        "edit_points": sum(r in ("cut", "fade") for r in reasons),
        "flags": ", ".join(f["code"] for f in clip.flags or []),
        "case": clip.case.name,
    }


def list_clips(app: App, case: Case) -> list[dict[str, Any]]:
    with app.db.read() as session:
        counts = dict(
            session.execute(
                select(Appearance.clip_id, func.count(Appearance.id))
                .where(Appearance.case_id == case.id)
                .group_by(Appearance.clip_id)
            ).all()
        )
        clips = session.scalars(
            select(Clip)
            .options(joinedload(Clip.file), joinedload(Clip.case), selectinload(Clip.keyframes))
            .where(Clip.case_id == case.id)
            .order_by(Clip.id)
        )
        return [clip_row(clip, counts.get(clip.id, 0)) for clip in clips]


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


def custody_log(app: App, case: Case | None) -> list[dict[str, Any]]:
    with app.db.read() as session:
        query = select(CustodyEvent).order_by(CustodyEvent.seq)
        if case is not None:
            query = query.where(CustodyEvent.case_id == case.id)
        return [event_json(event) for event in session.scalars(query)]


def describe_clip(app: App, ref: str | int, case: Case | None = None) -> dict[str, Any]:
    """Everything known about one clip, JSON-ready (what `verifier show` prints)."""
    # Imported here: annotations build on this module (find_clip).
    from verifier.services.annotations import annotations_for_clip

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
        appearances = [
            {
                "id": a.id,
                "platform": a.platform,
                "url": a.url,
                "channel": a.channel,
                "posted_at": a.posted_at.isoformat() if a.posted_at else None,
                "posted_at_precision": a.posted_at_precision,
                "source": a.source,
            }
            for a in clip.appearances
        ]
        row = clip_row(clip, len(appearances))
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
                "edit_points": [k for k in keyframes if k["reason"] in ("cut", "fade")],
                "appearances": appearances,
                "annotations": annotations_for_clip(session, clip),
                "custody": custody_for_clip(session, clip),
            }
        )
    row["matches"] = list_matches(app, clip_id=row["id"])
    return row
