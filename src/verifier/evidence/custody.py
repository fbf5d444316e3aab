"""The chain-of-custody log: append-only, hash-chained, verifiable.

Each event's hash covers its own fields and the previous event's hash, so
editing, reordering or deleting any past event breaks the chain from that
point on. Deleting the newest events cannot be seen from the chain alone, so
every append also writes the new head to an anchor file outside the
database (``custody.anchor``); ``verify`` checks that each anchored event is
still in the chain with the same hash.

Services are the only writers: they call :func:`record` inside their own
write transaction so that an action and its custody event commit together.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from verifier import TOOL_NAME, __version__
from verifier.db.models import CustodyEvent
from verifier.db.types import utcnow

GENESIS = "0" * 64
ANCHOR_NAME = "custody.anchor"


def _json_safe(value: Any) -> Any:
    """Normalise details to what a JSON column gives back, so hashes are stable."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def canonical_payload(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | None,
    case_id: int | None,
    details: dict[str, Any],
    tool: str,
    tool_version: str,
    prev_hash: str,
) -> bytes:
    """The exact bytes an event's hash is computed over (sorted-key JSON)."""
    doc = {
        "seq": seq,
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "case_id": case_id,
        "details": details,
        "tool": tool,
        "tool_version": tool_version,
        "prev_hash": prev_hash,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: CustodyEvent) -> str:
    """Recompute an event's hash from its stored fields."""
    payload = canonical_payload(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor=event.actor,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        case_id=event.case_id,
        details=event.details,
        tool=event.tool,
        tool_version=event.tool_version,
        prev_hash=event.prev_hash,
    )
    return hashlib.sha256(payload).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends. SQLite write transactions already start IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(724130)"))


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str | int | None = None,
    case_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> CustodyEvent:
    """Append one event inside the caller's write transaction."""
    _lock_chain(session)
    last = session.execute(
        select(CustodyEvent.seq, CustodyEvent.hash).order_by(CustodyEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = CustodyEvent(
        seq=seq,
        occurred_at=utcnow(),
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        case_id=case_id,
        details=_json_safe(details or {}),
        tool=TOOL_NAME,
        tool_version=__version__,
        prev_hash=prev,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    pending = session.info.get("custody_heads")
    if pending is None:
        pending = session.info["custody_heads"] = []
        sa_event.listen(session, "after_commit", _anchor_committed_heads)
        sa_event.listen(session, "after_rollback", _forget_heads)
    pending.append((event.seq, event.hash))
    return event


def _anchor_committed_heads(session: Session) -> None:
    """Only committed events are anchored outside the database."""
    heads = session.info.pop("custody_heads", [])
    data_dir = session.info.get("data_dir")
    if heads and data_dir is not None:
        write_anchor(Path(data_dir), heads)


def _forget_heads(session: Session) -> None:
    session.info.pop("custody_heads", None)


def write_anchor(data_dir: Path, heads: Sequence[tuple[int, str]]) -> None:
    """Append committed chain heads to the anchor file (call after commit)."""
    if not heads:
        return
    path = data_dir / ANCHOR_NAME
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            for seq, digest in heads:
                handle.write(f"{seq} {digest}\n")
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_anchor(data_dir: Path) -> list[tuple[int, str]]:
    path = data_dir / ANCHOR_NAME
    if not path.exists():
        return []
    heads: list[tuple[int, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            heads.append((int(parts[0]), parts[1]))
    return heads


@dataclass(frozen=True)
class ChainProblem:
    """One break in the custody log, located by event sequence number."""

    seq: int | None
    event_id: int | None
    message: str


def verify_chain(session: Session, data_dir: Path | None = None) -> tuple[int, list[ChainProblem]]:
    """Check every event's hash and link; return (events checked, problems)."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    hashes: dict[int, str] = {}
    for event in session.scalars(select(CustodyEvent).order_by(CustodyEvent.seq)):
        count += 1
        where = f"custody event #{event.seq} ({event.action} {event.target_type} {event.target_id})"
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(
                    event.seq,
                    event.id,
                    f"events #{expected_seq}..#{event.seq - 1} are missing before {where}",
                )
            )
        if event.prev_hash != prev_hash:
            problems.append(
                ChainProblem(
                    event.seq,
                    event.id,
                    f"{where} does not follow the previous event: the chain is broken",
                )
            )
        actual = event_hash(event)
        if actual != event.hash:
            problems.append(
                ChainProblem(
                    event.seq,
                    event.id,
                    f"{where} was altered after it was recorded (hash mismatch)",
                )
            )
        hashes[event.seq] = event.hash
        prev_hash = event.hash
        expected_seq = event.seq + 1
    if data_dir is not None:
        for seq, digest in read_anchor(data_dir):
            stored = hashes.get(seq)
            if stored is None:
                problems.append(
                    ChainProblem(
                        seq,
                        None,
                        f"custody event #{seq} was recorded but is now missing from the log",
                    )
                )
            elif stored != digest:
                problems.append(
                    ChainProblem(
                        seq,
                        None,
                        f"custody event #{seq} differs from the hash anchored when it was recorded",
                    )
                )
    return count, problems
