"""Cases: create, list, choose the current one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from verifier.config import read_state, write_state
from verifier.db.models import Case, Clip
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import CaseId
from verifier.services.context import App
from verifier.services.edits import check_version

DEFAULT_CASE_SETTINGS: dict[str, Any] = {
    # Graphic footage: start thumbnails and the viewer blurred, audio muted.
    "blur_thumbnails": False,
    "greyscale_thumbnails": False,
    "mute_audio": True,
}


@dataclass(frozen=True)
class CaseRecord:
    """A case as the window, the CLI and other services see it: values, not a live row."""

    id: CaseId
    name: str
    description: str
    settings: dict[str, Any]
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, case: Case) -> CaseRecord:
        return cls(
            id=CaseId(case.id),
            name=case.name,
            description=case.description,
            settings=dict(case.settings or {}),
            created_at=case.created_at,
            created_by=case.created_by,
        )


@dataclass(frozen=True)
class CaseSummary:
    """One line of the case list: the case and how many clips it holds."""

    id: CaseId
    name: str
    description: str
    created_at: str
    created_by: str
    clip_count: int
    current: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise VerifierError("a case name cannot be empty")
    if len(cleaned) > 200:
        raise VerifierError("a case name can be at most 200 characters")
    return cleaned


def create_case(
    app: App, name: str, description: str = "", *, make_current: bool = True
) -> CaseRecord:
    """Create a case (logged) and, by default, make it the current one."""
    name = _clean_name(name)
    try:
        with app.db.write() as session:
            if session.scalar(select(Case).where(Case.name == name)) is not None:
                raise VerifierError(f"a case named {name!r} already exists")
            case = Case(
                name=name,
                description=description,
                created_by=app.analyst,
                settings=dict(DEFAULT_CASE_SETTINGS),
            )
            session.add(case)
            session.flush()
            custody.record(
                session,
                actor=app.analyst,
                action="case.create",
                target_type="case",
                target_id=case.id,
                case_id=case.id,
                details={"name": name, "description": description},
                items=[case],
            )
            record = CaseRecord.of(case)
    except IntegrityError as exc:
        raise VerifierError(f"a case named {name!r} already exists") from exc
    if make_current:
        write_state(app.settings, current_case=name)
    return record


def get_or_create_case(app: App, name: str, description: str = "") -> CaseRecord:
    """The case of that name, created (and made current) when there is none."""
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.name == _clean_name(name)))
        if case is not None:
            return CaseRecord.of(case)
    return create_case(app, name, description)


def get_case(app: App, case_id: CaseId) -> CaseRecord:
    """The case with that id."""
    with app.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise VerifierError(f"no case with id {case_id}")
        return CaseRecord.of(case)


def case_settings(app: App, case_id: CaseId) -> dict[str, Any]:
    """A case's stored preferences; empty when the case no longer exists."""
    with app.db.read() as session:
        case = session.get(Case, case_id)
        return dict(case.settings or {}) if case is not None else {}


def list_cases(app: App) -> list[CaseSummary]:
    current = read_state(app.settings).get("current_case")
    with app.db.read() as session:
        counts = dict(
            session.execute(select(Clip.case_id, func.count(Clip.id)).group_by(Clip.case_id)).all()
        )
        return [
            CaseSummary(
                id=CaseId(case.id),
                name=case.name,
                description=case.description,
                created_at=case.created_at.isoformat(),
                created_by=case.created_by,
                clip_count=counts.get(case.id, 0),
                current=case.name == current,
            )
            for case in session.scalars(select(Case).order_by(Case.name))
        ]


def resolve_case(app: App, name: str | None) -> CaseRecord:
    """The case named, else the remembered current case, else the only case."""
    with app.db.read() as session:
        if name:
            case = session.scalar(select(Case).where(Case.name == _clean_name(name)))
            if case is None:
                raise VerifierError(f"no case named {name!r}; see `verifier case list`")
            return CaseRecord.of(case)
        remembered = read_state(app.settings).get("current_case")
        if isinstance(remembered, str):
            case = session.scalar(select(Case).where(Case.name == remembered))
            if case is not None:
                return CaseRecord.of(case)
        cases = [CaseRecord.of(c) for c in session.scalars(select(Case).limit(2))]
    if len(cases) == 1:
        return cases[0]
    if not cases:
        raise VerifierError("there is no case yet: create one with `verifier case new NAME`")
    raise VerifierError("no current case: pass --case NAME or run `verifier case use NAME`")


def use_case(app: App, name: str) -> CaseRecord:
    """Remember a case as the current one for later commands."""
    case = resolve_case(app, name)
    write_state(app.settings, current_case=case.name)
    return case


def update_case_settings(
    app: App, case_id: CaseId, *, expected_version: int | None = None, **changes: Any
) -> dict[str, Any]:
    """Change per-case preferences (logged); only the keys given change.

    The keys given are merged into what is stored now, so two analysts
    changing different preferences both keep theirs. With
    ``expected_version`` (the case version the user saw) a change to a case
    altered since is refused with :class:`~verifier.services.edits.EditConflict`.
    """
    with app.db.write() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise VerifierError(f"no case with id {case_id}")
        check_version(
            session, what=f"case {case.name!r}", current_version=case.version,
            expected_version=expected_version, target_type="case", target_id=case.id,
            actions=("case.settings", "case.create"),
        )  # fmt: skip
        merged = {**DEFAULT_CASE_SETTINGS, **case.settings, **changes}
        case.settings = merged
        custody.record(
            session,
            actor=app.analyst,
            action="case.settings",
            target_type="case",
            target_id=case.id,
            case_id=case.id,
            details={"changes": changes},
            items=[case],
        )
        return merged
