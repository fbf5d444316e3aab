"""Synchronising two clips by their soundtracks; loud transients offered as candidate markers.

:func:`sync_clips` reads both soundtracks on the clips' own clocks (sample
0 is the clip's first frame, as the viewer and the links count time),
estimates the offset with :mod:`verifier.analysis.sync`, shows the offset
matching found where the two clips share footage, draws the correlation
curve and, when a clip is involved, keeps that figure as a derived file
(role ``sync-figure``) with a custody event naming both inputs, the
settings and the result. On request the offset is stored on the pair's
same-incident link (added or updated through :mod:`verifier.services.links`,
with the method in the rationale). Plain files need no case; nothing is
recorded for them.

:func:`candidate_markers` lists a clip's sudden loud sounds with the frame
on screen at each; it stores nothing: a person decides what to mark.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from verifier import TOOL_NAME, __version__
from verifier.analysis.sync import SYNC_RATE, SyncResult, SyncSettings, estimate_offset, read_sound
from verifier.analysis.sync_figure import draw_sync_figure
from verifier.analysis.transients import Transient, TransientSettings, transients
from verifier.db.models import ClipLink
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import ClipId, FileId, LinkId
from verifier.services import links as link_service
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.frames import (
    FrameTable,
    derived_png,
    encode_png,
    frame_table,
    write_atomically,
)
from verifier.services.landmarks import WRITE_FAILURE, _check_out
from verifier.services.lookup import find_clip

__all__ = [
    "ROLE_SYNC_FIGURE",
    "CandidateMarker",
    "SyncRun",
    "SyncSide",
    "candidate_markers",
    "sync_clips",
]

ROLE_SYNC_FIGURE = "sync-figure"
_MATCH_RELATIONS = tuple(link_service.TYPE_OF_RELATION)


@dataclass(frozen=True)
class SyncSide:
    """One input: a clip of a case or a plain file, and the identity of its bytes."""

    label: str
    kind: str  # "clip" | "file"
    sha256: str
    path: Path
    start: float | None  # container time of the clip's first frame
    clip_id: ClipId | None = None
    case_id: int | None = None
    file_id: FileId | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "label": self.label, "sha256": self.sha256}
        if self.kind == "clip":
            data.update(clip_id=self.clip_id, file_id=self.file_id)
        else:
            data["path"] = str(self.path)
        return data


@dataclass(frozen=True)
class SyncRun:
    """A finished sync: the result, the matching offset if any, the figure and the link."""

    a: SyncSide
    b: SyncSide
    result: SyncResult
    settings: SyncSettings
    match_offset: float | None
    match_relation: str | None
    figure_png: bytes
    figure_sha256: str
    figure_file_id: FileId | None
    figure_path: Path | None
    link: dict[str, Any] | None = None

    @property
    def difference(self) -> float | None:
        """Audio offset minus matching offset, where both exist (seconds)."""
        if self.match_offset is None or self.result.offset is None:
            return None
        return self.result.offset - self.match_offset

    def to_json(self) -> dict[str, Any]:
        return {
            **self.result.to_json(),
            "words": self.result.words,
            "max_offset": self.settings.max_offset,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "matching": None if self.match_offset is None else {
                "offset": round(self.match_offset, 4), "relation": self.match_relation,
                "difference": None if self.difference is None else round(self.difference, 4),
            },
            "figure": {
                "file_id": self.figure_file_id, "sha256": self.figure_sha256,
                "role": ROLE_SYNC_FIGURE if self.figure_file_id is not None else None,
                "out_path": None if self.figure_path is None else str(self.figure_path),
            },
            "link": self.link,
        }  # fmt: skip


@dataclass(frozen=True)
class CandidateMarker:
    """A sudden loud sound in a clip, offered to a person as a moment to mark."""

    time: float  # clip seconds
    frame_index: int | None  # the frame on screen at that time
    strength_db: float
    description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "time": round(self.time, 4),
            "frame_index": self.frame_index,
            "strength_db": round(self.strength_db, 1),
            "description": self.description,
        }


# ----------------------------------------------------------------------------- inputs


def _clip_start(table: FrameTable) -> float | None:
    if table.start_pts is None or table.time_base is None:
        return None
    return float(table.start_pts * table.time_base)


def _side(app: App | None, text: str, name: str, case: CaseRecord | None) -> SyncSide:
    """An existing file wins (a file name may look like an id); else a clip of the case."""
    raw = str(text).strip()
    if not raw:
        raise VerifierError(f"{name}: give a clip (id or SHA-256 prefix) or a file")
    path = Path(raw).expanduser()
    if path.is_file():
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return SyncSide(path.name, "file", digest.hexdigest(), path.resolve(), None)
    if path.is_dir():
        raise VerifierError(f"{name}: {raw} is a folder: give a clip or a file")
    if app is None:
        raise VerifierError(f"{name}: no such file {raw!r}, and a clip needs a case")
    with app.db.read() as session:
        try:
            clip = find_clip(session, raw, case)
        except VerifierError as exc:
            raise VerifierError(f"{name}: {exc}") from exc
        if clip.media_kind == "image":
            raise VerifierError(f"{name}: clip #{clip.id} is a still image: it has no sound")
        return SyncSide(
            f"clip #{clip.id} {clip.name}", "clip", clip.file.sha256,
            app.store.readable(clip.file.stored_path), _clip_start(frame_table(clip)),
            ClipId(clip.id), clip.case_id, FileId(clip.file_id),
        )  # fmt: skip


def needs_case(a_text: str, b_text: str) -> bool:
    """Whether either input names a clip rather than an existing file."""
    return not (Path(a_text).expanduser().is_file() and Path(b_text).expanduser().is_file())


def _match_offset(app: App, a: SyncSide, b: SyncSide) -> tuple[float | None, str | None]:
    """The offset matching stored between the two clips (B against A), if they share footage."""
    if a.clip_id is None or b.clip_id is None:
        return None, None
    with app.db.read() as session:
        pair = or_(
            (ClipLink.clip_a_id == a.clip_id) & (ClipLink.clip_b_id == b.clip_id),
            (ClipLink.clip_a_id == b.clip_id) & (ClipLink.clip_b_id == a.clip_id),
        )
        query = select(ClipLink).where(
            pair, ClipLink.relation.in_(_MATCH_RELATIONS), ClipLink.status != "rejected"
        )
        for link in session.scalars(query.order_by(ClipLink.id)):
            offset = link.offset_seconds
            if offset is None:
                offset = (link.details or {}).get("offset")
            if offset is None:
                continue
            offset = float(offset)
            return (offset if link.clip_a_id == a.clip_id else -offset), link.relation
    return None, None


# ----------------------------------------------------------------------------- the run


def _png_text(a: SyncSide, b: SyncSide, result: SyncResult) -> dict[str, str]:
    said = "no confident offset" if result.offset is None else f"offset {result.offset:+.4f} s"
    return {
        "Software": f"{TOOL_NAME} {__version__}",
        "Title": "Audio sync correlation figure",
        "Description": f"A: {a.label} (SHA-256 {a.sha256}); B: {b.label} (SHA-256 {b.sha256}); "
        f"{said}, {result.confidence}; b_time = a_time + offset.",
    }


def _rationale(run_result: SyncResult, figure_id: FileId | None, text: str | None) -> str:
    method = (f"offset {run_result.offset:+.3f} s from the soundtracks ({run_result.method}; "
              f"{run_result.confidence}: peak z {run_result.peak:.1f}, "
              f"{run_result.ratio:.2f}x the next peak")  # fmt: skip
    if figure_id is not None:
        method += f"; correlation figure file #{figure_id}"
    method += ")"
    return f"{text.strip()}. {method}" if text and text.strip() else method


def sync_clips(
    app: App | None,
    a_text: str,
    b_text: str,
    *,
    settings: SyncSettings | None = None,
    figure_path: Path | None = None,
    store_link: bool = False,
    rationale: str | None = None,
    case: CaseRecord | None = None,
) -> SyncRun:
    """Estimate B's offset against A from the sound; keep the figure; optionally the link.

    ``a_text``/``b_text`` are clip references or files. With a clip the
    figure is stored (derived from A's file, else B's) with a custody event
    ``sync.estimate`` in one transaction; ``figure_path`` also writes a copy
    inside it. ``store_link`` needs two clips and an offset that is not
    "none": the pair's same-incident link gets the offset (added, or edited
    with its old values kept in the log).
    """
    settings = settings or SyncSettings()
    side_a, side_b = _side(app, a_text, "A", case), _side(app, b_text, "B", case)
    if store_link and (side_a.clip_id is None or side_b.clip_id is None):
        raise VerifierError("--store-link: a link joins two clips of a case, not plain files")
    if side_a.clip_id is not None and side_a.clip_id == side_b.clip_id:
        raise VerifierError(f"A and B are the same clip (#{side_a.clip_id})")
    target = None
    if figure_path is not None:
        target = _check_out(app, figure_path, [s.path for s in (side_a, side_b)])
    sound_a = read_sound(side_a.path, side_a.start, SYNC_RATE, "A")
    sound_b = read_sound(side_b.path, side_b.start, SYNC_RATE, "B")
    result = estimate_offset(sound_a, sound_b, SYNC_RATE, settings)
    if store_link and result.offset is None:
        raise VerifierError(
            "--store-link: no confident offset (the soundtracks do not agree on one): "
            "nothing stored; align by eye in the comparison window instead"
        )
    match_offset, match_relation = (_match_offset(app, side_a, side_b) if app is not None
                                    else (None, None))  # fmt: skip
    image = draw_sync_figure(result, side_a.label, side_b.label)
    data = encode_png(image, _png_text(side_a, side_b, result))
    sha = hashlib.sha256(data).hexdigest()
    owner = side_a if side_a.clip_id is not None else side_b
    if owner.clip_id is None or app is None:
        if target is not None:
            write_atomically(target, data, WRITE_FAILURE)
        return SyncRun(side_a, side_b, result, settings, None, None, data, sha, None, target)

    sha, relative, _new = app.store.put_bytes(data)
    with app.db.write() as session:
        name = f"sync-{side_a.sha256[:12]}-{side_b.sha256[:12]}-{sha[:8]}.png"
        stored = derived_png(app, session, sha, relative, len(data), owner.file_id,
                             ROLE_SYNC_FIGURE, name)  # fmt: skip
        run = SyncRun(side_a, side_b, result, settings, match_offset, match_relation, data, sha,
                      FileId(stored.id), target)  # fmt: skip
        custody.record(
            session, actor=app.analyst, action="sync.estimate", target_type="clip",
            target_id=owner.clip_id, case_id=owner.case_id,
            details={**run.to_json(), "settings": vars(settings)}, items=[stored],
        )  # fmt: skip
        if target is not None:
            write_atomically(target, data, WRITE_FAILURE)
    if store_link:
        run = _store_link(app, run, rationale, case)
    return run


def _store_link(app: App, run: SyncRun, rationale: str | None, case: CaseRecord | None) -> SyncRun:
    """Add the pair's same-incident link with the offset, or update the one that exists."""
    assert run.a.clip_id is not None and run.b.clip_id is not None
    assert run.result.offset is not None
    text = _rationale(run.result, run.figure_file_id, rationale)
    confidence = "probable" if run.result.confidence == "confident" else "possible"
    with app.db.read() as session:
        existing = link_service.same_pair(session, run.a.clip_id, run.b.clip_id, "same-incident")
        found = None if existing is None else (existing.id, existing.version, existing.clip_a_id)
        evidence = dict(existing.evidence or {}) if existing is not None else {}
    # The correlation figure is the link's evidence for its offset, beside any it had.
    if run.figure_file_id is not None:
        figures = [int(f) for f in evidence.get("figures") or []]
        evidence["figures"] = [*figures, int(run.figure_file_id)]
    if found is None:
        link = link_service.add_link(app, run.a.clip_id, run.b.clip_id, "same-incident", text,
                                     offset=run.result.offset, confidence=confidence,
                                     evidence=evidence or None, case=case)  # fmt: skip
    else:
        link_id, version, stored_a = found
        # The link may be stored as (B, A): its offset is then the negative.
        offset = run.result.offset if stored_a == run.a.clip_id else -run.result.offset
        link = link_service.edit_link(app, LinkId(link_id), expected_version=version,
                                      offset=offset, rationale=text,
                                      evidence=evidence or None)  # fmt: skip
    return SyncRun(run.a, run.b, run.result, run.settings, run.match_offset, run.match_relation,
                   run.figure_png, run.figure_sha256, run.figure_file_id, run.figure_path,
                   link)  # fmt: skip


# ----------------------------------------------------------------------------- transients


def candidate_markers(
    app: App,
    clip_ref: str | ClipId,
    *,
    case: CaseRecord | None = None,
    settings: TransientSettings | None = None,
) -> list[CandidateMarker]:
    """Sudden loud sounds of a clip, with the frame on screen at each; nothing is stored."""
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        if clip.media_kind == "image":
            raise VerifierError(f"clip #{clip.id} is a still image: it has no sound")
        table = frame_table(clip)
        path = app.store.readable(clip.file.stored_path)
    samples = read_sound(path, _clip_start(table), SYNC_RATE, f"clip #{clip_ref}")
    found: list[Transient] = transients(samples, SYNC_RATE, settings)
    out = []
    for item in found:
        index = table.index_at(Fraction(item.time).limit_denominator(SYNC_RATE))
        if index is not None and table.count is not None:
            index = min(index, table.count - 1)
        out.append(CandidateMarker(item.time, index, item.strength_db, item.description))
    return out
