"""Export keyframes at full resolution for reverse image search.

The exported PNGs are new files outside the store; their names carry the
clip id and the timestamp, and their SHA-256s go into the custody log so a
picture found later online can be traced back to the exact frame.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.media.decode import VideoDecoder
from verifier.services.analysis import unpack_frame_index
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.lookup import find_clip


@dataclass(frozen=True)
class ExportedFrame:
    path: Path
    frame_index: int
    seconds: float
    reason: str
    sha256: str


def timestamp_label(seconds: float) -> str:
    """``00h01m02.480s``: sortable, readable, safe in file names on every system."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}h{minutes:02d}m{rest // 1000:02d}.{rest % 1000:03d}s"


def _write_png(path: Path, rgb: np.ndarray) -> str:
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover
        raise VerifierError("could not encode PNG", path=path)
    data = buffer.tobytes()
    tmp = path.with_suffix(".png.part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()


def export_keyframes(
    app: App, ref: str, out_dir: Path, case: CaseRecord | None = None
) -> list[ExportedFrame]:
    """Write every keyframe of a clip as a full-resolution, upright PNG."""
    with app.db.read() as session:
        clip = find_clip(session, ref, case)
        if clip.analysis_status not in ("ok", "partial"):
            raise VerifierError(
                f"clip #{clip.id} has no keyframes (analysis: {clip.analysis_status}); "
                "run `verifier analyse` first"
            )
        keyframes = [(k.frame_index, k.seconds, k.reason) for k in clip.keyframes]
        source = app.store.resolve(clip.file.stored_path)
        index = unpack_frame_index(clip.frame_index) if clip.frame_index else None
        clip_id, case_id, sha, kind = clip.id, clip.case_id, clip.file.sha256, clip.media_kind
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VerifierError(
            f"cannot create the output folder ({exc.strerror})", path=out_dir
        ) from exc
    exported: list[ExportedFrame] = []

    def name(frame_index: int, seconds: float, reason: str) -> Path:
        return (
            out_dir
            / f"clip{clip_id}_{sha[:12]}_{timestamp_label(seconds)}_f{frame_index}_{reason}.png"
        )

    if kind == "image":
        with Image.open(source) as image:
            rgb = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
        path = name(0, 0.0, "first")
        exported.append(ExportedFrame(path, 0, 0.0, "first", _write_png(path, rgb)))
    else:
        with VideoDecoder(source, index=list(index) if index is not None else None) as decoder:
            for frame_index, seconds, reason in keyframes:
                rgb = decoder.frame(frame_index).rgb()
                path = name(frame_index, seconds, reason)
                exported.append(
                    ExportedFrame(path, frame_index, seconds, reason, _write_png(path, rgb))
                )
    with app.db.write() as session:
        custody.record(
            session,
            actor=app.analyst,
            action="keyframes.export",
            target_type="clip",
            target_id=clip_id,
            case_id=case_id,
            details={
                "out_dir": str(out_dir.resolve()),
                "files": [
                    {"name": e.path.name, "sha256": e.sha256, "frame_index": e.frame_index}
                    for e in exported
                ],
            },
        )
    return exported
