"""What the findings recorded on a clip (where it was filmed, when) share.

A geolocation and a time finding are each a row on one clip, logged on that
clip in custody events whose details carry the finding's id, and edited with
the version the person saw. How a stale or deleted finding is refused and
how a change is logged must be the same for both (a court reads the two logs
side by side), so :func:`check_finding` and :func:`record_on_clip` are the one
place that does it; each service describes its kind in a :class:`FindingKind`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import Clip, CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.services.context import App
from verifier.services.edits import check_version, deleted_conflict

#: The custody actions that change a finding (its delete is refused apart).
_CHANGES = ("add", "propose", "edit", "confirm", "reject")


@dataclass(frozen=True)
class FindingKind:
    """One kind of finding on a clip.

    ``name`` is the custody action prefix (``geolocation.edit``) and, with
    ``_id``, the details key naming the finding; ``noun`` is how a refusal
    names one (``time finding #3``), ``missing`` how "no such id" names it;
    ``as_json`` is the finding as a refusal hands it back to be shown.
    """

    model: type[Any]
    name: str
    noun: str
    missing: str
    as_json: Callable[[Any, Clip], dict[str, Any]]

    @property
    def id_key(self) -> str:
        return f"{self.name}_id"

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.{verb}" for verb in _CHANGES)

    def about(self, finding_id: int) -> Callable[[dict[str, Any]], bool]:
        """Whether a custody event's details are about this finding."""
        return lambda details: details.get(self.id_key) == finding_id


def check_finding(
    session: Session, kind: FindingKind, finding_id: int, expected_version: int | None
) -> Any:
    """The finding, if it is still the version the user saw (else a clear refusal: not
    found, deleted since, or changed since, naming who did it and when)."""
    row = session.get(kind.model, finding_id)
    if row is None:
        if expected_version is None:
            raise VerifierError(f"no {kind.missing} with id {finding_id}")
        clip_id = session.scalar(
            select(CustodyEvent.target_id)
            .where(CustodyEvent.action == f"{kind.name}.delete")
            .where(CustodyEvent.details[kind.id_key].as_integer() == finding_id)
            .limit(1)
        )
        raise deleted_conflict(session, what=f"{kind.noun} #{finding_id}",
                               target_type="clip", target_id=int(clip_id or 0),
                               action=f"{kind.name}.delete",
                               matches=kind.about(finding_id))  # fmt: skip
    clip = session.get(Clip, row.clip_id)
    assert clip is not None
    check_version(session, what=f"{kind.noun} #{finding_id}",
                  current_version=row.version, expected_version=expected_version,
                  target_type="clip", target_id=row.clip_id, actions=kind.actions,
                  matches=kind.about(finding_id), current=kind.as_json(row, clip))  # fmt: skip
    return row


def record_on_clip(
    app: App, session: Session, kind: FindingKind, action: str, finding: Any, clip: Clip,
    details: dict[str, Any], *, files: Sequence[StoredFile] = (), deleted: bool = False,
) -> None:  # fmt: skip
    """Log a change of ``finding`` on its clip, with the stored ``files`` it brought."""
    custody.record(session, actor=app.analyst, action=action, target_type="clip",
                   target_id=clip.id, case_id=clip.case_id,
                   details={kind.id_key: finding.id, **details},
                   items=[*files, *([] if deleted else [finding])],
                   deleted=[finding] if deleted else [])  # fmt: skip
