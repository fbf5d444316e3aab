"""Verify a data folder: every stored file re-hashed, the custody chain and anchor
checked, and every recorded item compared with what the custody log says it was.

Verification is itself a custody event where it can be: the report records
when the evidence was last shown to be intact, and by whom. On a
write-protected copy (an expert's copy) every check still runs and the report
says that the verification was not recorded, and why. The checks only read,
so that a copy is verified exactly as it was handed over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from verifier.db.models import Clip, Keyframe, StoredFile
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.evidence.state import RECORDED, case_filter, check_states
from verifier.progress import ProgressCallback, ProgressUpdate, no_progress
from verifier.services.cases import CaseRecord
from verifier.services.context import App


@dataclass(frozen=True)
class Problem:
    kind: str  # file | custody | state
    target: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class VerificationReport:
    files_checked: int = 0
    bytes_checked: int = 0
    events_checked: int = 0
    items_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    # Information, not failures: items last recorded before state hashes existed.
    notes: list[str] = field(default_factory=list)
    unreferenced_objects: list[str] = field(default_factory=list)
    # Whether the verification itself went into the custody log, and if not, why.
    recorded: bool = False
    not_recorded_reason: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def unreferenced_note(self) -> str | None:
        """What the stored objects that no database row refers to are, in one line.

        They are files written to the store whose recording did not commit:
        mostly the thumbnails of an analysis (written just before the rows
        that name them) and sometimes an imported file, when the program was
        stopped or the database could not be written. Not evidence lost, and
        not an "interrupted import" as such: nothing refers to them, so they
        are kept intact, and importing or analysing the same file again
        reuses them.
        """
        count = len(self.unreferenced_objects)
        if not count:
            return None
        return (
            f"{count} stored object(s) are not referenced by the database: files written "
            "to the store whose recording did not complete (thumbnails of an analysis, or an "
            "imported file, when the program was stopped or the database could not be "
            "written); they are intact and kept, and are reused when that file is imported "
            "or analysed again."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked,
            "events_checked": self.events_checked,
            "items_checked": self.items_checked,
            "problems": [p.to_json() for p in self.problems],
            "notes": self.notes,
            "unreferenced_objects": self.unreferenced_objects,
            "recorded": self.recorded,
            "not_recorded_reason": self.not_recorded_reason,
            "unreferenced_note": self.unreferenced_note,
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
    """Re-hash stored files (of one case, or all), check the custody log and item states."""
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
        findings = check_states(session, case.id if case else None)
    report.events_checked = count
    report.problems.extend(Problem("custody", f"event #{p.seq}", p.message) for p in chain_problems)
    report.items_checked = _count_items(app, case)
    report.problems.extend(Problem("state", f.key, f.message) for f in findings if f.failure)
    report.notes.extend(f.message for f in findings if not f.failure)
    _record_verification(app, case, report)
    return report


def _count_items(app: App, case: CaseRecord | None) -> int:
    """How many recorded items exist (of the case, or all): each was compared."""
    total = 0
    with app.db.read() as session:
        for kind in RECORDED:
            query = select(func.count()).select_from(kind.model)
            if case is not None:
                query = query.where(case_filter(kind, case.id))
            total += session.scalar(query) or 0
    return total


def _record_verification(app: App, case: CaseRecord | None, report: VerificationReport) -> None:
    """Log the verification where the data folder can be written; else say why not."""
    if app.read_only is not None:
        report.not_recorded_reason = app.read_only
        return
    try:
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
                    "items_checked": report.items_checked,
                    "problems": [p.message for p in report.problems][:50],
                },
            )
    except (VerifierError, SQLAlchemyError, OSError) as exc:
        # The checks are done and their result stands; only the record failed.
        reason = getattr(exc, "orig", None) or exc
        report.not_recorded_reason = f"the custody log could not be written: {reason}"
        return
    report.recorded = True


def re_anchor(app: App, reason: str) -> dict[str, Any]:
    """Trust the custody log as it is now: write a fresh anchor from it, as a logged act.

    For a known cause only (a copy made without ``custody.anchor``, a crash
    between a commit and its anchoring): the event names who decided it, when
    and why, and what the old anchor was (it is kept, renamed, beside the new
    one). Raises VerifierError without a reason or on a read-only folder.
    """
    reason = reason.strip()
    if not reason:
        raise VerifierError("re-anchoring needs a reason (--reason TEXT): it is logged")
    data_dir = app.settings.data_dir
    with app.db.read() as session:
        count, problems = custody.verify_chain(session, data_dir)
    previous = custody.anchor_digest(data_dir)
    with app.db.write() as session:
        event = custody.record(
            session,
            actor=app.analyst,
            action="custody.re-anchor",
            target_type="library",
            details={
                "reason": reason,
                "previous_anchor_sha256": previous,
                "events_in_log": count,
                "problems_before": [p.message for p in problems][:50],
            },
        )
        seq = event.seq
    with app.db.read() as session:
        heads = custody.chain_heads(session)
    stamp = f"{seq}"
    kept = custody.replace_anchor(data_dir, heads, stamp)
    return {
        "seq": seq,
        "reason": reason,
        "events_anchored": len(heads),
        "previous_anchor_sha256": previous,
        "previous_anchor_kept_as": str(kept) if kept else None,
    }


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

    Without ``rehash`` only existence and size are checked (a stat). A file
    re-hashed intact is remembered with its stat for the life of the
    application, so the window's repeated listings do not re-read the same
    thumbnails; any write to the file changes its stat and re-hashes it
    (``verify`` always re-hashes everything).
    """
    path = app.store.path_for(sha256)
    try:
        found = path.stat()
    except FileNotFoundError:
        return "missing", f"is not in the store (expected at {path})"
    except OSError as exc:
        return "unreadable", f"cannot be read at {path} ({exc.strerror})"
    if found.st_size != size:
        return "altered", f"is {found.st_size} bytes at {path}, {size} were imported"
    if not rehash:
        return None
    intact: dict[str, tuple[int, int, int]] = app.caches.setdefault("intact-stored-files", {})
    key = (found.st_ino, found.st_size, found.st_mtime_ns)
    if intact.get(sha256) == key:
        return None
    problem = app.store.verify_object(sha256)
    if problem is None:
        intact[sha256] = key
        return None
    intact.pop(sha256, None)
    # Read after "The evidence file": "is missing from the store", "is
    # unreadable (...)", "has changed: SHA-256 is now ...".
    if problem.startswith("content changed:"):
        state, said = "altered", "has changed:" + problem.removeprefix("content changed:")
    else:
        state = "missing" if problem.startswith("missing") else "unreadable"
        said = f"is {problem}"
    return state, f"{said} (at {path}; imported with SHA-256 {sha256})"


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
