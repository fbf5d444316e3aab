"""State hashes: what each recorded item looked like when the custody log last saw it.

The custody chain proves the log was not rewritten, but the rows it talks
about live in ordinary tables that anyone with the database file can edit.
So every custody event about an item carries, in its details, a SHA-256 of
that item's recorded fields as they were after the change (see
:func:`state_entries`); ``verify`` recomputes the hash for every item and
names each one whose current state differs from its latest event.

Which fields are "recorded" is defined here, per item type, in
:data:`RECORDED`. Derived data that analysis can rebuild from the evidence
(keyframes, frame hashes, a clip's probe results and analysis status) is
left out on purpose: re-running analysis legitimately replaces it. Bookkeeping
columns (``id``, the ``version`` concurrency counter) are left out too. Later
findings (geolocations, chronolocations, events...) get an entry here when a
service first records them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Float, Integer, inspect, or_, select
from sqlalchemy.orm import DeclarativeBase, Session, load_only

from verifier.db.models import (
    Annotation,
    Appearance,
    Case,
    CheckAcknowledgement,
    Chronolocation,
    Clip,
    ClipLink,
    CustodyEvent,
    Event,
    Geolocation,
    Incident,
    SourceCollection,
    StoredFile,
)
from verifier.db.types import UTCDateTime

# The key in a custody event's details that holds the state hashes:
# {"<kind>:<id>": "<sha256>" | None}, None meaning the item was deleted.
STATE_KEY = "state"


@dataclass(frozen=True)
class ItemType:
    """One kind of recorded item: its label in the log and the fields hashed."""

    kind: str
    model: type[DeclarativeBase]
    fields: tuple[str, ...]
    # How a person names it in a problem report.
    label: str
    # Fields added after items of this kind were first recorded, with the
    # value every older item has. Such a field is hashed only when it differs
    # from that value, so an item recorded before the field existed keeps the
    # hash its custody event carries and ``verify`` stays clean after upgrade.
    added: tuple[tuple[str, Any], ...] = ()

    @property
    def loaded(self) -> tuple[str, ...]:
        """Every column the hash may read: the fields and the added fields."""
        return self.fields + tuple(name for name, _ in self.added)


def _fields(names: str) -> tuple[str, ...]:
    return tuple(names.split())


RECORDED: tuple[ItemType, ...] = (
    ItemType(
        "case",
        Case,
        _fields("name description created_at created_by settings"),
        "case",
    ),
    ItemType(
        "file",
        StoredFile,
        _fields(
            "sha256 size kind role original_name original_path mime_type container "
            "stored_path imported_at imported_by derived_from_id"
        ),
        "stored file",
    ),
    ItemType(
        "clip",
        Clip,
        _fields("case_id file_id name added_at added_by media_kind"),
        "clip",
        # Revision 0007: no clip was marked verified before it.
        added=(("verified_at", None), ("verified_by", None)),
    ),
    ItemType(
        "appearance",
        Appearance,
        _fields(
            "clip_id case_id platform url channel channel_id channel_url post_id posted_at "
            "posted_at_text posted_at_precision collected_at caption forwarded_from "
            "chat_type author author_id posted_at_method id_posted_at "
            "id_posted_at_precision warnings collection_id media_available source "
            "raw_sidecar created_at created_by"
        ),
        "appearance",
        added=(("archive_url", None),),
    ),
    ItemType(
        "collection",
        SourceCollection,
        _fields(
            "case_id kind platform external_id title url uploader uploader_id uploader_url "
            "sidecar_path raw_sidecar created_at created_by"
        ),
        "collection",
    ),
    ItemType(
        "annotation",
        Annotation,
        _fields("clip_id frame_index pts x y w h label note created_at created_by updated_at"),
        "annotation",
        added=(("shape", "rect"), ("points", None)),
    ),
    ItemType(
        "link",
        ClipLink,
        _fields(
            "clip_a_id clip_b_id relation origin score offset_seconds rationale details "
            "created_at created_by updated_at"
        ),
        "link",
        # Revision 0005: every link stored before it was an automatic proposal.
        added=(("status", "proposed"), ("confidence", None), ("evidence", None)),
    ),
    ItemType(
        "geolocation",
        Geolocation,
        _fields(
            "clip_id latitude longitude precision_m confidence method reasoning "
            "coordinate_text evidence place origin status created_at created_by updated_at"
        ),
        "geolocation",
    ),
    ItemType(
        "chronolocation",
        Chronolocation,
        _fields(
            "clip_id earliest latest method reasoning evidence confidence origin status source "
            "zone_note created_at created_by updated_at"
        ),
        "time finding",
    ),
    ItemType(
        "incident",
        Incident,
        _fields("case_id name description clip_ids created_at created_by updated_at"),
        "incident",
    ),
    ItemType(
        "acknowledgement",
        CheckAcknowledgement,
        _fields(
            "case_id key rule fingerprint facts message reason created_at created_by updated_at"
        ),
        "check acknowledgement",
    ),
    ItemType(
        "event",
        Event,
        _fields(
            "clip_id at_seconds frame_index pts label note origin created_at created_by updated_at"
        ),
        "event",
    ),
)

_BY_MODEL: dict[type, ItemType] = {t.model: t for t in RECORDED}
BY_KIND: dict[str, ItemType] = {t.kind: t for t in RECORDED}


def item_type(item: object) -> ItemType:
    """The recorded type of an ORM object; a programming error if it has none."""
    found = _BY_MODEL.get(type(item))
    if found is None:
        raise TypeError(f"{type(item).__name__} is not a recorded item type")
    return found


def item_key(item: object) -> str:
    """``kind:id``, the name of an item in the log (the row must be flushed)."""
    ident = getattr(item, "id", None)
    if ident is None:
        raise ValueError(f"{type(item).__name__} has no id yet: flush before recording it")
    return f"{item_type(item).kind}:{ident}"


def _normalise(column_type: Any, value: Any) -> Any:
    """One value as the same JSON whether it comes from Python or back from the database."""
    if value is None:
        return None
    if isinstance(column_type, UTCDateTime) or isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, Float):
        # SQLite stores a whole-number REAL as an integer, so -0.0 comes back
        # as 0.0: adding 0.0 gives both the same sign before they are hashed.
        return float(value) + 0.0
    if isinstance(column_type, Integer):
        return int(value)
    # JSON columns and text: what a JSON column gives back.
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def canonical_state(item: object) -> bytes:
    """The exact bytes hashed for an item: sorted-key JSON of its recorded fields."""
    kind = item_type(item)
    columns = inspect(kind.model).columns
    doc = {name: _normalise(columns[name].type, getattr(item, name)) for name in kind.fields}
    for name, absent in kind.added:
        value = getattr(item, name)
        if value is not None and value != absent:
            doc[name] = _normalise(columns[name].type, value)
    doc["_kind"] = kind.kind
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def state_hash(item: object) -> str:
    """SHA-256 of :func:`canonical_state`."""
    return hashlib.sha256(canonical_state(item)).hexdigest()


def state_entries(
    items: Iterable[object] = (), deleted: Iterable[object] = ()
) -> dict[str, str | None]:
    """The ``state`` mapping a custody event carries: hashes of items, None for deletions.

    An item created in the same event under the key of one it deleted (SQLite
    reuses the highest row id once that row is gone, as when matching replaces
    its proposals) exists afterwards: its hash wins over the deletion.
    """
    entries: dict[str, str | None] = {item_key(i): None for i in deleted}
    entries.update({item_key(i): state_hash(i) for i in items})
    return entries


@dataclass(frozen=True)
class StateFinding:
    """An item whose current state the custody log does not vouch for.

    ``failure`` False marks information only: an item last recorded before
    state hashes existed, which the log can neither confirm nor refute.
    """

    key: str
    message: str
    failure: bool


@dataclass
class _Seen:
    seq: int
    digest: str | None
    case_id: int | None


@dataclass
class _Log:
    """What the custody log says about items, read once."""

    latest: dict[str, _Seen]
    # Seq of the first event carrying state hashes (None: none does).
    first_state: int | None
    # Whether events from before state hashes exist.
    legacy: bool
    # Items that events from before state hashes name (by target or details).
    named_before: set[str]


# Item kinds every event from before state hashes named (as its target, or by
# id in its details); stored files made by analysis and links were not named.
_NAMED_BY_OLD_EVENTS = frozenset({"case", "clip", "appearance", "collection", "annotation"})


def _old_names(target_type: str, target_id: str | None, details: dict[str, Any]) -> list[str]:
    names = [f"{target_type}:{target_id}"] if target_id else []
    for field_name, kind in (("annotation_id", "annotation"), ("file_id", "file")):
        if details.get(field_name) is not None:
            names.append(f"{kind}:{details[field_name]}")
    return names


def _read_log(session: Session) -> _Log:
    """Latest state per item from the log, and what older events named."""
    latest: dict[str, _Seen] = {}
    first_state: int | None = None
    legacy = False
    named: set[str] = set()
    rows = session.execute(
        select(
            CustodyEvent.seq,
            CustodyEvent.action,
            CustodyEvent.case_id,
            CustodyEvent.target_type,
            CustodyEvent.target_id,
            CustodyEvent.details,
        ).order_by(CustodyEvent.seq)
    )
    for seq, action, case_id, target_type, target_id, details in rows:
        states = (details or {}).get(STATE_KEY)
        if not isinstance(states, dict):
            if action not in _NO_ITEMS:
                legacy = True
                named.update(_old_names(target_type, target_id, details or {}))
            continue
        if first_state is None:
            first_state = seq
        for key, digest in states.items():
            latest[str(key)] = _Seen(seq, digest if isinstance(digest, str) else None, case_id)
    return _Log(latest, first_state, legacy, named)


# Older actions about no recorded item: their lack of state hashes means nothing.
_NO_ITEMS = frozenset({"verify", "keyframes.export"})


def case_filter(kind: ItemType, case_id: int) -> Any:
    """A WHERE clause keeping the items of one case."""
    model: Any = kind.model
    if model is Case:
        return Case.id == case_id
    if model in (Clip, Appearance, SourceCollection, Incident, CheckAcknowledgement):
        return model.case_id == case_id
    clip_ids = select(Clip.id).where(Clip.case_id == case_id)
    if model in (Annotation, Geolocation, Chronolocation, Event):
        return model.clip_id.in_(clip_ids)
    if model is ClipLink:
        return or_(ClipLink.clip_a_id.in_(clip_ids), ClipLink.clip_b_id.in_(clip_ids))
    evidence = select(Clip.file_id).where(Clip.case_id == case_id)
    return or_(StoredFile.id.in_(evidence), StoredFile.derived_from_id.in_(evidence))


def check_states(session: Session, case_id: int | None = None) -> list[StateFinding]:
    """Compare every recorded item (of one case, or all) with its latest custody event."""
    log = _read_log(session)
    latest = log.latest
    before = "recorded before state hashes were introduced" + (
        f" at custody event #{log.first_state}" if log.first_state is not None else ""
    )
    findings: list[StateFinding] = []
    present: set[str] = set()
    for kind in RECORDED:
        model: Any = kind.model
        # Only the hashed columns: a clip's frame table or probe can be large.
        query = (
            select(model)
            .options(load_only(*(getattr(model, name) for name in kind.loaded)))
            .order_by(model.id)
        )
        if case_id is not None:
            query = query.where(case_filter(kind, case_id))
        for item in session.scalars(query):
            key = item_key(item)
            present.add(key)
            name = f"{kind.label} #{item.id}{_describe(item)}"  # type: ignore[attr-defined]
            seen = latest.get(key)
            if seen is None:
                unnamed = kind.kind in _NAMED_BY_OLD_EVENTS and key not in log.named_before
                if log.legacy and not unnamed:
                    findings.append(
                        StateFinding(
                            key, f"{name} is not covered by a state hash ({before})", False
                        )
                    )
                else:
                    findings.append(
                        StateFinding(key, f"{name} exists but no custody event recorded it", True)
                    )
            elif seen.digest is None:
                findings.append(
                    StateFinding(
                        key, f"{name} exists although custody event #{seen.seq} deleted it", True
                    )
                )
            elif seen.digest != state_hash(item):
                findings.append(
                    StateFinding(
                        key,
                        f"{name} was changed outside the program: it differs from what custody "
                        f"event #{seen.seq} recorded",
                        True,
                    )
                )
    for key, seen in latest.items():
        if key in present or seen.digest is None:
            continue
        if case_id is not None and seen.case_id != case_id:
            continue
        kind_name, _, ident = key.partition(":")
        label = BY_KIND[kind_name].label if kind_name in BY_KIND else kind_name
        findings.append(
            StateFinding(
                key,
                f"{label} #{ident} recorded by custody event #{seen.seq} is gone, "
                "and no custody event deleted it",
                True,
            )
        )
    return findings


def _describe(item: object) -> str:
    """A few words that let a person find the item: its name or address."""
    for attr in ("name", "original_name", "url", "label", "relation", "title"):
        value = getattr(item, attr, None)
        if value:
            text = str(value).replace("\n", " ")
            return f" ({text[:60]})"
    return ""
