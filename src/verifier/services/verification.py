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
            "problems": [p.to_json() for p in self.problems],
            "unreferenced_objects": self.unreferenced_objects,
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
