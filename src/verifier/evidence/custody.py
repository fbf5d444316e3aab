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
import os
from collections.abc import Iterable, Sequence
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
from verifier.evidence.state import STATE_KEY, state_entries

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
    items: Iterable[object] = (),
    deleted: Iterable[object] = (),
) -> CustodyEvent:
    """Append one event inside the caller's write transaction.

    ``items`` are the recorded rows (see :mod:`verifier.evidence.state`) this
    event created or changed, and ``deleted`` those it removes (pass them
    before deleting): their state hashes go into the event's details so that
    ``verify`` can tell a later direct edit of the row from a recorded one.
    """
    _lock_chain(session)
    details = dict(details or {})
    items, deleted = list(items), list(deleted)
    if items or deleted:
        # Defaults (ids, timestamps) are filled in by the flush: hash what is stored.
        session.flush()
    # Always present (empty when the event is about no recorded item), so that
    # ``verify`` can tell events made before state hashes existed.
    details[STATE_KEY] = state_entries(items, deleted)
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
        details=_json_safe(details),
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
    """Append committed chain heads to the anchor file (call after commit).

    A missing anchor is only started with the log's first event: when it has
    gone missing later it stays missing, so that ``verify`` keeps reporting it
    until someone re-anchors explicitly (``verifier custody re-anchor``).
    """
    if not heads:
        return
    path = data_dir / ANCHOR_NAME
    if not path.exists() and heads[0][0] != 1:
        return
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
        problems.extend(_check_anchor(data_dir, hashes))
    return count, problems


def _ranges(numbers: Sequence[int]) -> str:
    """``#3, #7..#9``: consecutive sequence numbers folded for a one-line message."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"#{start}" if start == prev else f"#{start}..#{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts[:10]) + (f" and {len(parts) - 10} more" if len(parts) > 10 else "")


def _check_anchor(data_dir: Path, hashes: dict[int, str]) -> list[ChainProblem]:
    """Every event must be in the anchor with the same hash, and nothing more.

    A missing anchor, or one without some events, is a failure: that is what
    deleting or replacing the anchor to hide a rewritten chain looks like.
    After a known cause (a copy made without the anchor, a crash between
    commit and anchoring) ``verifier custody re-anchor --reason`` records the
    decision to trust the current chain.
    """
    path = data_dir / ANCHOR_NAME
    hint = "; if the cause is known, run `verifier custody re-anchor --reason TEXT`"
    if not path.exists():
        if hashes:
            return [
                ChainProblem(
                    None,
                    None,
                    f"the custody anchor {path} is missing although the log has "
                    f"{len(hashes)} event(s): it was deleted or not copied{hint}",
                )
            ]
        return []
    problems: list[ChainProblem] = []
    anchored: dict[int, str] = {}
    for seq, digest in read_anchor(data_dir):
        anchored.setdefault(seq, digest)
        stored = hashes.get(seq)
        if stored is None:
            problems.append(
                ChainProblem(
                    seq, None, f"custody event #{seq} was recorded but is now missing from the log"
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
    unanchored = sorted(seq for seq in hashes if seq not in anchored)
    if unanchored:
        problems.append(
            ChainProblem(
                unanchored[0],
                None,
                f"custody event(s) {_ranges(unanchored)} are not in the anchor {path}: "
                f"the anchor was replaced or truncated, or the program stopped between "
                f"recording and anchoring{hint}",
            )
        )
    return problems


def anchor_digest(data_dir: Path) -> str | None:
    """SHA-256 of the anchor file as it is now (None when there is none)."""
    path = data_dir / ANCHOR_NAME
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def replace_anchor(data_dir: Path, heads: Sequence[tuple[int, str]], stamp: str) -> Path | None:
    """Write a fresh anchor holding ``heads``; the old one is kept beside it, renamed.

    Returns where the old anchor was kept (None when there was none). The new
    file is written completely before it takes the anchor's name.
    """
    path = data_dir / ANCHOR_NAME
    kept: Path | None = None
    if path.exists():
        kept = data_dir / f"{ANCHOR_NAME}.replaced-{stamp}"
        os.link(path, kept)
    temp = data_dir / f"{ANCHOR_NAME}.new"
    with open(temp, "w", encoding="utf-8") as handle:
        handle.writelines(f"{seq} {digest}\n" for seq, digest in heads)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return kept


def chain_heads(session: Session) -> list[tuple[int, str]]:
    """Every event's (seq, hash), in order: the content of a fresh anchor."""
    rows = session.execute(select(CustodyEvent.seq, CustodyEvent.hash).order_by(CustodyEvent.seq))
    return [(seq, digest) for seq, digest in rows]
