"""Refusing stale saves: an edit made on what an analyst saw, not on what is there now.

Editable items carry a ``version`` that every change bumps (the mapper's
``version_id_col``). A window or a command that shows an item remembers the
version it showed; saving passes it back as ``expected_version``. If the
item changed in between (another analyst, another window, another process),
the save is refused with :class:`EditConflict`, whose message says who
changed what and when, read from the custody log, so nothing anyone wrote is
silently overwritten. The check runs inside the write transaction, which on
SQLite holds the write lock and on PostgreSQL is backed by the mapper's
``WHERE version = :seen``; two concurrent saves cannot both pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import CustodyEvent
from verifier.errors import VerifierError

__all__ = ["EditConflict", "check_version", "deleted_conflict", "describe_changes"]

#: How many changed fields a conflict message spells out before summarising.
_SHOWN_FIELDS = 6
#: Longest value shown in a conflict message (a caption can be a page long).
_SHOWN_CHARS = 60


class EditConflict(VerifierError):
    """A save refused because the item changed (or went) after it was opened."""

    def __init__(self, message: str, *, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        #: The item as it is now (None when it was deleted), for a reload.
        self.current = current


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``label 'landmark' → 'vehicle'; note '' → 'x'``: the fields that differ."""
    ignored = {"updated_at", "version"}
    keys = [k for k in after if k not in ignored and before.get(k) != after.get(k)]
    parts = [f"{k} {_short(before.get(k))} → {_short(after.get(k))}" for k in keys]
    if len(parts) > _SHOWN_FIELDS:
        parts = [*parts[:_SHOWN_FIELDS], f"and {len(parts) - _SHOWN_FIELDS} more fields"]
    return "; ".join(parts) or "no field values differ"


def _latest_event(
    session: Session,
    target_type: str,
    target_id: int,
    actions: tuple[str, ...],
    matches: Callable[[dict[str, Any]], bool],
) -> CustodyEvent | None:
    """The newest custody event of ``actions`` on the target whose details match."""
    events = session.scalars(
        select(CustodyEvent)
        .where(
            CustodyEvent.target_type == target_type,
            CustodyEvent.target_id == str(target_id),
            CustodyEvent.action.in_(actions),
        )
        .order_by(CustodyEvent.seq.desc())
    )
    return next((e for e in events if matches(e.details or {})), None)


def _who_when(event: CustodyEvent | None) -> str:
    if event is None:
        return "by someone (no custody event found)"
    when = event.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"by {event.actor} at {when} (custody event #{event.seq})"


def check_version(
    session: Session,
    *,
    what: str,
    current_version: int,
    expected_version: int | None,
    target_type: str,
    target_id: int,
    actions: tuple[str, ...],
    matches: Callable[[dict[str, Any]], bool] = lambda _d: True,
    current: dict[str, Any] | None = None,
) -> None:
    """Refuse the save if ``what`` is no longer at the version the user saw.

    ``target_type``/``target_id``/``actions``/``matches`` find the custody
    event of the last change, which names who made it, when, and the old and
    new values (its ``before``/``after`` or ``changes`` details).
    """
    if expected_version is None or expected_version == current_version:
        return
    event = _latest_event(session, target_type, target_id, actions, matches)
    details = event.details if event is not None else {}
    if "before" in details and "after" in details:
        change = describe_changes(details["before"], details["after"])
    elif "changes" in details:
        change = "set " + "; ".join(f"{k} → {_short(v)}" for k, v in details["changes"].items())
    else:
        change = "details not recorded"
    raise EditConflict(
        f"{what} was changed {_who_when(event)} after you opened it "
        f"(you saw version {expected_version}, it is now version {current_version}): "
        f"{change}. Nothing was saved: reload it and make your change again.",
        current=current,
    )


def deleted_conflict(
    session: Session,
    *,
    what: str,
    target_type: str,
    target_id: int,
    action: str,
    matches: Callable[[dict[str, Any]], bool] = lambda _d: True,
) -> EditConflict:
    """The refusal for saving an item that was deleted after the user opened it."""
    event = _latest_event(session, target_type, target_id, (action,), matches)
    return EditConflict(
        f"{what} was deleted {_who_when(event)} after you opened it. Nothing was saved."
    )
