"""Analyse clips and store the results: metadata, flags, keyframes, hashes.

The expensive pass (:mod:`verifier.analysis.ingest`) runs outside any
database transaction; its results are then written in one transaction
together with the custody event, so a crash leaves either the old analysis
or the new one, never half of each. Thumbnails are derived files in the
evidence store with their own SHA-256. A re-analysis is followed by matching,
with the hashes just computed.

New results replace old ones only when they are complete: a re-analysis
that fails is recorded (custody event, error, warnings) but leaves the
previous keyframes, frame hashes and status in place, so that a clip never
drops out of matching because a decoder or a drive failed once. A stored
file that cannot be read is an error about the store, raised before
anything is recorded.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import av
import numpy as np
from sqlalchemy import delete, func, select

from verifier.analysis.ingest import ANALYSIS_FAILURES, AnalysisOutcome, examine
from verifier.analysis.pipeline import ANALYSIS_VERSION, hash_algorithm
from verifier.db.models import Appearance, Clip, FrameHashSet, Keyframe, StoredFile
from verifier.db.types import utcnow
from verifier.errors import Cancelled, VerifierError
from verifier.evidence import custody
from verifier.evidence.store import InterruptedWork
from verifier.ids import ClipId
from verifier.media.flags import metadata_flags
from verifier.media.info import MediaInfo
from verifier.progress import CancelToken, ProgressCallback, ProgressUpdate, no_progress
from verifier.services.chronolocation import propose_times
from verifier.services.context import App
from verifier.services.geolocation import propose_metadata_gps
from verifier.services.matching import StoredViews, match_clip


@dataclass
class AnalysisResult:
    """The outcome of analysing one clip, as reported to the user."""

    clip_id: ClipId
    status: str  # ok | partial | failed
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    keyframes: int = 0
    cuts: int = 0
    hashed_frames: int = 0
    # A failed re-analysis of a clip analysed before: its earlier results stand.
    kept_previous: bool = False


ANALYSED = ("ok", "partial")
"""Statuses of a clip whose keyframes and frame hashes are on record."""


def pack_frame_index(pts: np.ndarray) -> bytes:
    return zlib.compress(np.ascontiguousarray(pts, dtype="<i8").tobytes())


def unpack_frame_index(blob: bytes) -> np.ndarray:
    return np.frombuffer(zlib.decompress(blob), dtype="<i8")


def _first_seen(session: Any, clip: Clip) -> datetime | None:
    return session.scalar(
        select(func.min(Appearance.posted_at)).where(Appearance.clip_id == clip.id)
    )


def _store_thumbnail(
    app: App, session: Any, data: bytes, source: StoredFile, name: str
) -> StoredFile:
    sha, relative, _ = app.store.put_bytes(data)
    existing = session.scalar(select(StoredFile).where(StoredFile.sha256 == sha))
    if existing is not None:
        return existing
    stored = StoredFile(
        sha256=sha,
        size=len(data),
        kind="derived",
        role="thumbnail",
        original_name=name,
        mime_type="image/jpeg",
        container="jpeg",
        stored_path=relative,
        imported_by=app.analyst,
        derived_from_id=source.id,
    )
    session.add(stored)
    session.flush()
    return stored


def record_analysis(
    app: App, clip_id: ClipId, info: MediaInfo | None, outcome: AnalysisOutcome
) -> tuple[AnalysisResult, StoredViews | None]:
    """Record ``outcome`` as the clip's analysis in one transaction, custody event included.

    A complete outcome replaces the previous analysis. A failed one replaces
    nothing that a clip analysed before has: its keyframes, frame hashes,
    status, flags and metadata stay, and the failure is recorded beside them
    (``analysis_error``, a warning, the custody event). ``info`` is the probe
    the analysis used (None when the probe itself failed). Returns the result
    and, when frames were hashed, the hashes as stored, so that matching need
    not read them back.
    """
    analysis, status, error, warnings = (
        outcome.analysis, outcome.status, outcome.error, outcome.warnings
    )  # fmt: skip
    stored_views: StoredViews | None = None
    with app.db.write() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        result = AnalysisResult(clip_id, status, error, list(warnings))
        if analysis is None and clip.analysis_status in ANALYSED:
            result.kept_previous = True
            _record_failed_reanalysis(app, session, clip, result)
            return result, None
        first_seen = _first_seen(session, clip)
        flags = [f.__dict__ for f in metadata_flags(info, first_seen=first_seen)] if info else []
        session.execute(delete(Keyframe).where(Keyframe.clip_id == clip_id))
        session.execute(delete(FrameHashSet).where(FrameHashSet.clip_id == clip_id))
        thumbnails: list[StoredFile] = []
        if analysis is not None:
            for k in analysis.keyframes:
                thumb = _store_thumbnail(
                    app,
                    session,
                    k.thumbnail_jpeg,
                    clip.file,
                    f"{clip.file.sha256[:12]}-f{k.index}.jpg",
                )
                thumbnails.append(thumb)
                session.add(
                    Keyframe(
                        clip_id=clip_id,
                        frame_index=k.index,
                        pts=k.pts,
                        time_base=analysis.time_base,
                        seconds=k.seconds,
                        reason=k.reason,
                        score=k.score,
                        thumbnail_file_id=thumb.id,
                        phash=format(k.phash, "016x"),
                        pdq=k.pdq.hex(),
                        pdq_quality=k.pdq_quality,
                    )
                )
            views = {"full": analysis.hashes, **analysis.variants}
            hash_sets: dict[str, FrameHashSet] = {}
            for name, hashes in [("", analysis.hashes), *analysis.variants.items()]:
                hash_sets[name or "full"] = hash_set = FrameHashSet(
                    clip_id=clip_id,
                    algorithm=hash_algorithm(name),
                    sample_rate=hashes.sample_rate,
                    count=len(hashes),
                    data=hashes.to_bytes(),
                )
                session.add(hash_set)
            session.flush()
            stored_views = StoredViews(views, {view: s.id for view, s in hash_sets.items()})
            clip.frame_index = pack_frame_index(analysis.frame_pts)
            clip.frame_count = analysis.frame_count if clip.media_kind == "video" else None
            result.keyframes = len(analysis.keyframes)
            result.cuts = len(analysis.boundaries)
            result.hashed_frames = len(analysis.hashes)
        if info is not None:
            clip.media_info = info.to_json()
            clip.duration = info.duration
            clip.width, clip.height = info.display_width, info.display_height
        clip.analysis_status = status
        clip.analysis_error = error
        clip.analysis_warnings = list(warnings)
        clip.flags = flags
        clip.analysed_at = utcnow()
        clip.analysis_version = ANALYSIS_VERSION
        _record_event(app, session, clip, result, thumbnails)
        # A GPS tag is a proposal a person must confirm or reject, never a finding.
        propose_metadata_gps(app, session, clip)
        # So is the creation time, and the first posting once it is known.
        propose_times(app, session, clip)
    return result, stored_views


def _record_event(
    app: App,
    session: Any,
    clip: Clip,
    result: AnalysisResult,
    thumbnails: list[StoredFile] | None = None,
) -> None:
    """The custody event of one analysis, complete or failed.

    The results are derived and replaced by every analysis; only the
    thumbnails kept in the store are recorded items (with state hashes).
    """
    custody.record(
        session,
        actor=app.analyst,
        action="analyse",
        target_type="clip",
        target_id=clip.id,
        case_id=clip.case_id,
        details={
            "status": result.status,
            "error": result.error,
            "warnings": list(result.warnings),
            "keyframes": result.keyframes,
            "shot_boundaries": result.cuts,
            "hashed_frames": result.hashed_frames,
            "previous_analysis_kept": result.kept_previous,
            "sha256": clip.file.sha256,
            "analysis_version": ANALYSIS_VERSION,
            "pyav": av.__version__,
            "libavcodec": ".".join(map(str, av.library_versions.get("libavcodec", ()))),
        },
        items=thumbnails or [],
    )


def _record_failed_reanalysis(app: App, session: Any, clip: Clip, result: AnalysisResult) -> None:
    """Put a failed re-analysis on record beside the analysis that stays in force."""
    when = clip.analysed_at.strftime("%Y-%m-%d %H:%M UTC") if clip.analysed_at else "earlier"
    clip.analysis_error = f"re-analysis failed ({result.error}); the analysis of {when} is kept"
    note = f"re-analysis failed: {result.error}"
    previous = [w for w in (clip.analysis_warnings or []) if not str(w).startswith(
        "re-analysis failed: ")]  # fmt: skip
    clip.analysis_warnings = [*previous, note, *(w for w in result.warnings if w not in previous)]
    result.keyframes = (
        session.scalar(
            select(func.count()).select_from(Keyframe).where(Keyframe.clip_id == clip.id)
        )
        or 0
    )
    _record_event(app, session, clip, result)


def analyse_clip(
    app: App,
    clip_id: ClipId,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> tuple[AnalysisResult, StoredViews | None]:
    """(Re-)analyse one stored clip with the ingest stage and record the outcome, failure too.

    The stored file is examined in place (it is evidence already, so no
    staging copy). A stored file that is missing or unreadable raises
    VerifierError naming it, and nothing is recorded: that is the store's
    problem, not the clip's. Raises :class:`Cancelled` (or
    :class:`InterruptedWork` on Ctrl+C) when the user stops it; the previous
    analysis is then left as it was.
    """
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        stored_path = clip.file.stored_path
        name = clip.name
        analysed_before = clip.analysis_status in ANALYSED
    path = app.store.readable(stored_path)

    def on_frame(done: int, total: int | None) -> None:
        progress(ProgressUpdate("analyse", done, total, name, "frames"))

    info: MediaInfo | None = None
    try:
        examination = examine(path, cancel=cancel, on_frame=on_frame)
        info, outcome = examination.info, examination.outcome
    except VerifierError as exc:
        outcome = AnalysisOutcome(None, exc.reason)
    except ANALYSIS_FAILURES as exc:
        outcome = AnalysisOutcome(None, f"analysis stopped: {exc}")
    except KeyboardInterrupt:
        outcome = AnalysisOutcome(None, stopped="interrupted")
    assert outcome is not None  # examine() analyses unless told not to
    if outcome.stopped == "cancelled":
        raise Cancelled()
    if outcome.stopped == "interrupted":
        kept = (
            "its previous analysis is kept"
            if analysed_before
            else "it waits for analysis: run `verifier analyse --pending`"
        )
        raise InterruptedWork(
            f"clip #{clip_id} ({name}) is kept; its analysis was stopped and {kept}"
        )
    return record_analysis(app, clip_id, info, outcome)


def reanalyse(
    app: App,
    clip_id: ClipId,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> AnalysisResult:
    """Analyse a stored clip again, then find its relations with the hashes just computed.

    A failed analysis leaves the clip's links as they were (there is nothing
    to match with).
    """
    result, views = analyse_clip(app, clip_id, cancel=cancel, progress=progress)
    if result.status != "failed":
        match_clip(app, clip_id, views)
    return result
