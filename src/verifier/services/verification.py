"""Verify a data folder: every stored file re-hashed, the custody chain checked.

Verification is itself a custody event: the report records when the
evidence was last shown to be intact, and by whom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from verifier.db.models import Clip, Keyframe, StoredFile
from verifier.evidence import custody
from verifier.progress import ProgressCallback, ProgressUpdate, no_progress
from verifier.services.cases import CaseRecord
from verifier.services.context import App


@dataclass(frozen=True)
class Problem:
    kind: str  # file | custody
    target: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class VerificationReport:
    files_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    unreferenced_objects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked,
            "events_checked": self.events_checked,
            "problems": [p.to_json() for p in self.problems],
            "unreferenced_objects": self.unreferenced_objects,
        }


def _files_for_case(app: App, case: CaseRecord) -> list[StoredFile]:
    """Evidence of the case's clips and the files derived from them."""
    with app.db.read() as session:
        evidence = list(
            session.scalars(
                select(StoredFile)
                .join(Clip, Clip.file_id == StoredFile.id)
                .where(Clip.case_id == case.id)
            )
        )
        ids = {f.id for f in evidence}
        derived = (
            list(session.scalars(select(StoredFile).where(StoredFile.derived_from_id.in_(ids))))
            if ids
            else []
        )
        thumbs = list(
            session.scalars(
                select(StoredFile)
                .join(Keyframe, Keyframe.thumbnail_file_id == StoredFile.id)
                .join(Clip, Clip.id == Keyframe.clip_id)
                .where(Clip.case_id == case.id)
            )
        )
    unique = {f.id: f for f in [*evidence, *derived, *thumbs]}
    return sorted(unique.values(), key=lambda f: f.id)


def verify(
    app: App, case: CaseRecord | None = None, *, progress: ProgressCallback = no_progress
) -> VerificationReport:
    """Re-hash stored files (of one case, or all) and check the custody chain."""
    report = VerificationReport()
    if case is None:
        with app.db.read() as session:
            files = list(session.scalars(select(StoredFile).order_by(StoredFile.id)))
    else:
        files = _files_for_case(app, case)
    total = sum(f.size for f in files)
    for number, stored in enumerate(files):
        progress(
            ProgressUpdate(
                "verify",
                report.bytes_checked,
                total,
                stored.original_name,
                "bytes",
                number,
                len(files),
            )
        )
        problem = app.store.verify_object(stored.sha256)
        report.files_checked += 1
        report.bytes_checked += stored.size
        if problem:
            label = f"{stored.kind} file {stored.original_name} (sha256 {stored.sha256})"
            report.problems.append(Problem("file", label, f"{label}: {problem}"))
    if case is None:
        known = {f.sha256 for f in files}
        report.unreferenced_objects = sorted(
            sha for sha, _ in app.store.iter_objects() if sha not in known
        )
    with app.db.read() as session:
        count, chain_problems = custody.verify_chain(session, app.settings.data_dir)
    report.events_checked = count
    report.problems.extend(Problem("custody", f"event #{p.seq}", p.message) for p in chain_problems)
    with app.db.write() as session:
        custody.record(
            session,
            actor=app.analyst,
            action="verify",
            target_type="case" if case else "library",
            target_id=case.id if case else None,
            case_id=case.id if case else None,
            details={
                "ok": report.ok,
                "files_checked": report.files_checked,
                "bytes_checked": report.bytes_checked,
                "events_checked": report.events_checked,
                "problems": [p.message for p in report.problems][:50],
            },
        )
    return report


# ---------------------------------------------------------------- per-clip checks
#
# ``verify`` re-hashes everything and takes minutes on a real library; the window
# needs to say, on every listing, that a clip's evidence is gone, and, when a
# clip is opened, that its bytes are not the ones imported. These checks are
# read-only and record nothing: they point at problems, ``verify`` proves them.


@dataclass(frozen=True)
class ClipIntegrity:
    """What is wrong with one clip's stored files: short flags and full sentences."""

    clip_id: int
    flags: tuple[str, ...]
    messages: tuple[str, ...]
    hashed: bool  # True when the evidence was re-hashed, not only looked at

    @property
    def ok(self) -> bool:
        return not self.flags


def stored_file_problem(
    app: App, sha256: str, size: int, *, rehash: bool
) -> tuple[str, str] | None:
    """(``missing`` | ``altered`` | ``unreadable``, reason) for one stored file, or None.

    Without ``rehash`` only existence and size are checked (a stat).
    """
    path = app.store.path_for(sha256)
    try:
        actual_size = path.stat().st_size
    except FileNotFoundError:
        return "missing", f"not in the store (expected at {path})"
    except OSError as exc:
        return "unreadable", f"cannot be read at {path} ({exc.strerror})"
    if actual_size != size:
        return "altered", f"is {actual_size} bytes at {path}, {size} were imported"
    if rehash:
        problem = app.store.verify_object(sha256)
        if problem is not None:
            state = "missing" if problem.startswith("missing") else "unreadable"
            if problem.startswith("content changed"):
                state = "altered"
            return state, f"{problem} (at {path}; imported with SHA-256 {sha256})"
    return None


def clip_integrity(
    app: App,
    evidence: tuple[str, int],
    thumbnails: list[tuple[str, int]],
    *,
    clip_id: int,
    rehash: bool = False,
) -> ClipIntegrity:
    """Flags for one clip from its evidence and thumbnails, given as (sha256, size).

    Takes plain values so the clip listing can call it on rows it already
    loaded. Thumbnails are small and always re-hashed (an altered one would
    otherwise be shown as if it were the clip); ``rehash`` re-hashes the
    evidence too (when the clip is opened).
    """
    flags: list[str] = []
    messages: list[str] = []
    problem = stored_file_problem(app, *evidence, rehash=rehash)
    if problem is not None:
        flags.append(f"evidence {problem[0]}")
        messages.append(f"The evidence file {problem[1]}.")
    for sha256, size in thumbnails:
        problem = stored_file_problem(app, sha256, size, rehash=True)
        if problem is not None:
            flag = f"thumbnail {problem[0]}"
            if flag not in flags:
                flags.append(flag)
            messages.append(f"A thumbnail {problem[1]}.")
    return ClipIntegrity(clip_id, tuple(flags), tuple(messages), hashed=rehash)


def check_clip(app: App, clip_id: int) -> ClipIntegrity:
    """Re-hash one clip's evidence and every keyframe thumbnail (when it is opened)."""
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            return ClipIntegrity(clip_id, (), (), hashed=False)
        evidence = (clip.file.sha256, clip.file.size)
        thumbs = [(k.thumbnail.sha256, k.thumbnail.size) for k in clip.keyframes if k.thumbnail]
    return clip_integrity(app, evidence, thumbs, clip_id=clip_id, rehash=True)
