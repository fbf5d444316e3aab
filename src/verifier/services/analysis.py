"""Analyse clips and store the results: metadata, flags, keyframes, hashes.

The expensive pass runs outside any database transaction; its results are
then written in one transaction together with the custody event, so a crash
leaves either the old analysis or the new one, never half of each.
Thumbnails are derived files in the evidence store with their own SHA-256.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import av
import numpy as np
from sqlalchemy import delete, func, select

from verifier.analysis.pipeline import ANALYSIS_VERSION, ClipAnalysis, analyse_still, analyse_video
from verifier.db.models import Appearance, Clip, FrameHashSet, Keyframe, StoredFile
from verifier.db.types import utcnow
from verifier.errors import Cancelled, VerifierError
from verifier.evidence import custody
from verifier.media.flags import metadata_flags
from verifier.media.info import MediaInfo
from verifier.media.probe import probe
from verifier.progress import CancelToken, ProgressCallback, ProgressUpdate, no_progress
from verifier.services.context import App

HASH_ALGORITHM = "phash64+pdq256"


def hash_algorithm(variant: str) -> str:
    """Name of a stored hash set: the frame itself ("") or a normalised view."""
    return f"{HASH_ALGORITHM}/{variant}" if variant else HASH_ALGORITHM


@dataclass
class AnalysisResult:
    clip_id: int
    status: str  # ok | partial | failed
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    keyframes: int = 0
    cuts: int = 0
    hashed_frames: int = 0


def pack_frame_index(pts: np.ndarray) -> bytes:
    return zlib.compress(np.ascontiguousarray(pts, dtype="<i8").tobytes())


def unpack_frame_index(blob: bytes) -> np.ndarray:
    return np.frombuffer(zlib.decompress(blob), dtype="<i8")


def _first_seen(session: Any, clip: Clip) -> datetime | None:
    return session.scalar(
        select(func.min(Appearance.posted_at)).where(Appearance.clip_id == clip.id)
    )


def _summarise_errors(errors: list[str]) -> list[str]:
    if not errors:
        return []
    shown = "; ".join(errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return [f"{len(errors)} decoding problem(s): {shown}{more}"]


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


def analyse_clip(
    app: App,
    clip_id: int,
    *,
    cancel: CancelToken | None = None,
    progress: ProgressCallback = no_progress,
) -> AnalysisResult:
    """(Re-)analyse one clip and record the outcome, including failure."""
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        stored = clip.file
        path = app.store.resolve(stored.stored_path)
        name = clip.name
        first_seen = _first_seen(session, clip)

    def on_frame(done: int, total: int | None) -> None:
        progress(ProgressUpdate("analyse", done, total, name, "frames"))

    warnings: list[str] = []
    analysis: ClipAnalysis | None = None
    info: MediaInfo | None = None
    error: str | None = None
    try:
        info = probe(path)
        warnings.extend(info.warnings)
        if info.kind == "image":
            analysis = analyse_still(path)
        else:
            analysis = analyse_video(path, cancel=cancel, on_frame=on_frame)
    except Cancelled:
        raise
    except VerifierError as exc:
        error = exc.reason
    except (av.error.FFmpegError, OSError, ValueError) as exc:  # decoder failure mid-clip
        error = f"analysis stopped: {exc}"

    if analysis is not None:
        warnings.extend(_summarise_errors(analysis.errors))
        status = "partial" if analysis.errors else "ok"
    else:
        status = "failed"
    flags = [f.__dict__ for f in metadata_flags(info, first_seen=first_seen)] if info else []

    with app.db.write() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        session.execute(delete(Keyframe).where(Keyframe.clip_id == clip_id))
        session.execute(delete(FrameHashSet).where(FrameHashSet.clip_id == clip_id))
        result = AnalysisResult(clip_id, status, error, warnings)
        if analysis is not None:
            for k in analysis.keyframes:
                thumb = _store_thumbnail(
                    app,
                    session,
                    k.thumbnail_jpeg,
                    clip.file,
                    f"{clip.file.sha256[:12]}-f{k.index}.jpg",
                )
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
            for name, hashes in [("", analysis.hashes), *analysis.variants.items()]:
                session.add(
                    FrameHashSet(
                        clip_id=clip_id,
                        algorithm=hash_algorithm(name),
                        sample_rate=hashes.sample_rate,
                        count=len(hashes),
                        data=hashes.to_bytes(),
                    )
                )
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
        clip.analysis_warnings = warnings
        clip.flags = flags
        clip.analysed_at = utcnow()
        clip.analysis_version = ANALYSIS_VERSION
        custody.record(
            session,
            actor=app.analyst,
            action="analyse",
            target_type="clip",
            target_id=clip_id,
            case_id=clip.case_id,
            details={
                "status": status,
                "error": error,
                "warnings": warnings,
                "keyframes": result.keyframes,
                "shot_boundaries": result.cuts,
                "hashed_frames": result.hashed_frames,
                "sha256": clip.file.sha256,
                "analysis_version": ANALYSIS_VERSION,
                "pyav": av.__version__,
                "libavcodec": ".".join(map(str, av.library_versions.get("libavcodec", ()))),
            },
        )
    return result
