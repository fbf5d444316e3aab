"""Cases: create, list, choose the current one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from verifier.config import read_state, write_state
from verifier.db.models import Case, Clip
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.services.context import App

DEFAULT_CASE_SETTINGS: dict[str, Any] = {
    # Graphic footage: start thumbnails and the viewer blurred, audio muted.
    "blur_thumbnails": False,
    "greyscale_thumbnails": False,
    "mute_audio": True,
}


@dataclass(frozen=True)
class CaseSummary:
    id: int
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


def create_case(app: App, name: str, description: str = "", *, make_current: bool = True) -> Case:
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
            )
    except IntegrityError as exc:
        raise VerifierError(f"a case named {name!r} already exists") from exc
    if make_current:
        write_state(app.settings, current_case=name)
    return case


def get_or_create_case(app: App, name: str, description: str = "") -> Case:
    with app.db.read() as session:
        case = session.scalar(select(Case).where(Case.name == _clean_name(name)))
    return case if case is not None else create_case(app, name, description)


def list_cases(app: App) -> list[CaseSummary]:
    current = read_state(app.settings).get("current_case")
    with app.db.read() as session:
        counts = dict(
            session.execute(select(Clip.case_id, func.count(Clip.id)).group_by(Clip.case_id)).all()
        )
        return [
            CaseSummary(
                id=case.id,
                name=case.name,
                description=case.description,
                created_at=case.created_at.isoformat(),
                created_by=case.created_by,
                clip_count=counts.get(case.id, 0),
                current=case.name == current,
            )
            for case in session.scalars(select(Case).order_by(Case.name))
        ]


def resolve_case(app: App, name: str | None) -> Case:
    """The case named, else the remembered current case, else the only case."""
    with app.db.read() as session:
        if name:
            case = session.scalar(select(Case).where(Case.name == _clean_name(name)))
            if case is None:
                raise VerifierError(f"no case named {name!r}; see `verifier case list`")
            return case
        remembered = read_state(app.settings).get("current_case")
        if isinstance(remembered, str):
            case = session.scalar(select(Case).where(Case.name == remembered))
            if case is not None:
                return case
        cases = list(session.scalars(select(Case).limit(2)))
    if len(cases) == 1:
        return cases[0]
    if not cases:
        raise VerifierError("there is no case yet: create one with `verifier case new NAME`")
    raise VerifierError("no current case: pass --case NAME or run `verifier case use NAME`")


def use_case(app: App, name: str) -> Case:
    """Remember a case as the current one for later commands."""
    case = resolve_case(app, name)
    write_state(app.settings, current_case=case.name)
    return case


def update_case_settings(app: App, case_id: int, **changes: Any) -> dict[str, Any]:
    """Change per-case preferences (logged)."""
    with app.db.write() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise VerifierError(f"no case with id {case_id}")
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
        )
        return merged
