"""Typed links between two clips: the corroboration an investigator asserts or confirms.

A link says how two clips relate: the same incident seen from elsewhere (two
drones, one from each side), the same location, a continuation (B picks up
where A stops), a re-upload or an excerpt (found by matching, which proposes
them; a person confirms or rejects), a contradiction, or a plain alignment
found by eye in the comparison window. Each carries a rationale, a
confidence, an optional time offset in the matches' convention
(``b_time = a_time + offset``) and optional evidence (frames, annotations,
landmark figures).

Symmetric types are stored once per pair, whichever order they are given in;
directional ones (continuation, excerpt) keep their order. Matching stores
its relations (exact-duplicate, near-duplicate, overlap, excerpt) in the same
table; :data:`TYPE_OF_RELATION` maps them onto this vocabulary, so the
``relation`` column keeps what ``verifier matches`` has always shown.

Every create, edit, decision and deletion is one transaction with its custody
event (target ``link``), carrying the old and new values and the state hash.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from verifier.db.models import Annotation, Clip, ClipLink, CustodyEvent, StoredFile
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import ClipId, LinkId
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.edits import check_version, deleted_conflict
from verifier.services.lookup import find_clip

__all__ = [
    "CONFIDENCES",
    "DIRECTIONAL",
    "LINK_TYPES",
    "STATUSES",
    "TYPE_OF_RELATION",
    "add_link",
    "confirm_link",
    "delete_link",
    "edit_link",
    "link_json",
    "link_type",
    "list_links",
    "parse_link_type",
    "reject_link",
    "save_alignment",
]

LINK_TYPES = (
    "same-incident",
    "same-location",
    "continuation",
    "re-upload",
    "excerpt",
    "contradicts",
    "aligned",
)
"""Every link type a person can assert. ``aligned`` is an offset found by eye."""
DIRECTIONAL = frozenset({"continuation", "excerpt"})
"""Types whose order matters: A then B (continuation), A is an excerpt of B."""
STATUSES = ("proposed", "confirmed", "rejected")
CONFIDENCES = ("confirmed", "probable", "possible")
TYPE_OF_RELATION: Mapping[str, str] = {
    "exact-duplicate": "re-upload",
    "near-duplicate": "re-upload",
    "overlap": "re-upload",
    "excerpt": "excerpt",
}
"""Matching's relations seen as link types (the stored ``relation`` is kept)."""
DIRECTION_TEXT = {
    "continuation": "B picks up where A stops",
    "excerpt": "one clip contains footage of the other (see the segments)",
}
# Figures a link can cite: landmarks matched between the clips, and the
# correlation of their soundtracks that gave the offset.
_FIGURE_ROLES = ("landmark-figure", "sync-figure")


def link_type(relation: str) -> str:
    """The link type of a stored relation (a match relation or a type itself)."""
    return TYPE_OF_RELATION.get(relation, relation)


def parse_link_type(text: str) -> str:
    """A link type as typed (``same incident``, ``Same_Incident``...), or a clear error."""
    value = "-".join(str(text).strip().lower().replace("_", " ").replace("-", " ").split())
    if value not in LINK_TYPES:
        raise VerifierError(
            f"--type: unknown link type {text!r}: use one of {', '.join(LINK_TYPES)}"
        )
    return value


def _check_confidence(text: str | None) -> str | None:
    if text is None:
        return None
    value = str(text).strip().lower()
    if value not in CONFIDENCES:
        raise VerifierError(
            f"--confidence: unknown confidence {text!r}: use one of {', '.join(CONFIDENCES)}"
        )
    return value


def _check_offset(offset: float | None) -> float | None:
    if offset is None:
        return None
    value = float(offset)
    if not math.isfinite(value):
        raise VerifierError("--offset: the time offset must be a finite number of seconds")
    return value


def _clip_ref(clip: Clip) -> dict[str, Any]:
    return {"id": clip.id, "name": clip.name, "sha256": clip.file.sha256, "case": clip.case.name}


def link_json(link: ClipLink, a: Clip, b: Clip) -> dict[str, Any]:
    """A link as JSON, in its stored order (A, B): what the panes and ``--json`` show."""
    kind = link_type(link.relation)
    details = link.details or {}
    offset = link.offset_seconds
    if offset is None and "offset" in details:
        offset = details.get("offset")
    return {
        "id": link.id,
        "version": link.version,
        "type": kind,
        "relation": link.relation,
        "directional": kind in DIRECTIONAL,
        "origin": link.origin,
        "status": link.status,
        "confidence": link.confidence,
        "score": link.score,
        "offset": offset,
        "rationale": link.rationale,
        "evidence": dict(link.evidence or {}),
        "clip_a": _clip_ref(a),
        "clip_b": _clip_ref(b),
        "created_at": link.created_at.isoformat() if link.created_at else None,
        "created_by": link.created_by,
        "updated_at": link.updated_at.isoformat() if link.updated_at else None,
    }


def _json(session: Session, link: ClipLink) -> dict[str, Any]:
    a, b = session.get(Clip, link.clip_a_id), session.get(Clip, link.clip_b_id)
    assert a is not None and b is not None
    return link_json(link, a, b)


def links_of_case(session: Session, case_id: int) -> list[ClipLink]:
    """Links with both clips in one case (a link across cases belongs to neither's incidents)."""
    clip_ids = select(Clip.id).where(Clip.case_id == case_id)
    return list(
        session.scalars(
            select(ClipLink)
            .where(ClipLink.clip_a_id.in_(clip_ids), ClipLink.clip_b_id.in_(clip_ids))
            .order_by(ClipLink.id)
        )
    )


def list_links(
    app: App,
    *,
    case: CaseRecord | None = None,
    clip_ref: str | ClipId | None = None,
    include_rejected: bool = True,
) -> list[dict[str, Any]]:
    """Links of one clip (either side), or of a case (either clip in it), or all."""
    with app.db.read() as session:
        query = select(ClipLink).order_by(ClipLink.id)
        if clip_ref is not None:
            clip = find_clip(session, clip_ref, case)
            query = query.where(or_(ClipLink.clip_a_id == clip.id, ClipLink.clip_b_id == clip.id))
        elif case is not None:
            ids = select(Clip.id).where(Clip.case_id == case.id)
            query = query.where(or_(ClipLink.clip_a_id.in_(ids), ClipLink.clip_b_id.in_(ids)))
        if not include_rejected:
            query = query.where(ClipLink.status != "rejected")
        return [_json(session, link) for link in session.scalars(query)]


def same_pair(session: Session, a: int, b: int, kind: str) -> ClipLink | None:
    """An existing link of ``kind`` between A and B (either order for a symmetric type)."""
    if kind in DIRECTIONAL:
        pair = (ClipLink.clip_a_id == a) & (ClipLink.clip_b_id == b)
    else:
        pair = or_(
            (ClipLink.clip_a_id == a) & (ClipLink.clip_b_id == b),
            (ClipLink.clip_a_id == b) & (ClipLink.clip_b_id == a),
        )
    for link in session.scalars(select(ClipLink).where(pair).order_by(ClipLink.id)):
        if link_type(link.relation) == kind:
            return link
    return None


def _frame_count(clip: Clip) -> int | None:
    if clip.media_kind == "image":
        return 1
    return clip.frame_count


def check_evidence(
    session: Session, clips: Iterable[Clip], evidence: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Evidence as stored: frames within their clip, annotations and figures that exist.

    ``frames`` are ``{"clip_id", "frame_index"}`` of one of ``clips``;
    ``annotations`` ids of annotations on one of them; ``figures`` ids of
    stored landmark or sync figures. Anything else is refused with the field named.
    """
    if not evidence:
        return {}
    by_id = {c.id: c for c in clips}
    out: dict[str, Any] = {}
    unknown = set(evidence) - {"frames", "annotations", "figures"}
    if unknown:
        raise VerifierError(f"evidence: unknown field(s) {', '.join(sorted(unknown))}")
    frames = []
    for item in evidence.get("frames") or []:
        clip_id, index = int(item["clip_id"]), int(item["frame_index"])
        clip = by_id.get(clip_id)
        if clip is None:
            raise VerifierError(f"evidence frame: clip #{clip_id} is not one of the linked clips")
        count = _frame_count(clip)
        if count is None:
            raise VerifierError(f"evidence frame: clip #{clip_id} is not analysed yet")
        if not 0 <= index < count:
            raise VerifierError(
                f"evidence frame: frame {index} is out of range: clip #{clip_id} has frames "
                f"0-{count - 1}"
            )
        frames.append({"clip_id": clip_id, "frame_index": index})
    if frames:
        out["frames"] = frames
    notes = []
    for ident in evidence.get("annotations") or []:
        annotation = session.get(Annotation, int(ident))
        if annotation is None or annotation.clip_id not in by_id:
            raise VerifierError(
                f"evidence annotation: no annotation #{ident} on "
                + " or ".join(f"clip #{c}" for c in by_id)
            )
        notes.append(int(ident))
    if notes:
        out["annotations"] = notes
    figures = []
    for ident in evidence.get("figures") or []:
        stored = session.get(StoredFile, int(ident))
        if stored is None or stored.role not in _FIGURE_ROLES:
            raise VerifierError(
                f"evidence figure: stored file #{ident} is not a landmark or sync figure"
            )
        figures.append(int(ident))
    if figures:
        out["figures"] = figures
    return out


def _record(
    app: App, session: Session, action: str, link: ClipLink, details: dict[str, Any],
    *, deleted: bool = False,
) -> None:  # fmt: skip
    a = session.get(Clip, link.clip_a_id)
    custody.record(session, actor=app.analyst, action=action, target_type="link",
                   target_id=link.id, case_id=a.case_id if a is not None else None,
                   details={"link_id": link.id, **details},
                   items=[] if deleted else [link], deleted=[link] if deleted else [])  # fmt: skip


def add_link(
    app: App,
    a_ref: str | ClipId,
    b_ref: str | ClipId,
    link_type_text: str,
    rationale: str,
    *,
    offset: float | None = None,
    confidence: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    case: CaseRecord | None = None,
) -> dict[str, Any]:
    """A person's link between two clips (status confirmed: they assert it).

    Refused: a clip linked to itself, an empty rationale, and a link that
    already exists between the pair with that type (either order for a
    symmetric type): confirm or edit that one instead.
    """
    kind = parse_link_type(link_type_text)
    confidence = _check_confidence(confidence)
    offset = _check_offset(offset)
    rationale = (rationale or "").strip()
    if not rationale:
        raise VerifierError("--rationale: say why the clips are linked (it goes in the report)")
    with app.db.write() as session:
        a, b = find_clip(session, a_ref, case), find_clip(session, b_ref, case)
        if a.id == b.id:
            raise VerifierError(f"a clip cannot be linked to itself (clip #{a.id})")
        existing = same_pair(session, a.id, b.id, kind)
        if existing is not None:
            raise VerifierError(
                f"clips #{a.id} and #{b.id} already have a {kind} link (#{existing.id}, "
                f"{existing.status}): confirm, edit or delete that one"
            )
        link = ClipLink(clip_a_id=a.id, clip_b_id=b.id, relation=kind, origin="manual",
                        status="confirmed", confidence=confidence, offset_seconds=offset,
                        rationale=rationale, details={},
                        evidence=check_evidence(session, (a, b), evidence) or None,
                        created_by=app.analyst)  # fmt: skip
        session.add(link)
        session.flush()
        data = link_json(link, a, b)
        _record(app, session, "link.add", link, {"link": data})
        return data


def save_alignment(
    app: App,
    a: ClipId,
    b: ClipId,
    offset: float,
    link_type_text: str = "aligned",
    rationale: str = "",
    *,
    confidence: str | None = None,
) -> dict[str, Any]:
    """The comparison window's "Save this alignment": an offset found by eye, as a link.

    ``b_time = a_time + offset``. An empty rationale is recorded as what it
    is, an alignment made by eye in the comparison window.
    """
    text = rationale.strip() or f"aligned by eye in the comparison window (offset {offset:+.3f} s)"
    return add_link(app, a, b, link_type_text, text, offset=offset, confidence=confidence)


def _of(link_id: LinkId) -> Any:
    return lambda details: details.get("link_id") == link_id


def _check_link(session: Session, link_id: LinkId, expected_version: int | None) -> ClipLink:
    """The link, if it is still the version the user saw (else a clear refusal)."""
    link = session.get(ClipLink, link_id)
    if link is None:
        if expected_version is None:
            raise VerifierError(f"no link with id {link_id}")
        raise deleted_conflict(session, what=f"link #{link_id}", target_type="link",
                               target_id=link_id, action="link.delete")  # fmt: skip
    check_version(session, what=f"link #{link_id}", current_version=link.version,
                  expected_version=expected_version, target_type="link", target_id=link_id,
                  actions=("link.add", "link.edit", "link.confirm", "link.reject", "match"),
                  current=_json(session, link))  # fmt: skip
    return link


def edit_link(
    app: App,
    link_id: LinkId,
    *,
    expected_version: int | None = None,
    link_type_text: str | None = None,
    rationale: str | None = None,
    confidence: str | None = None,
    offset: float | None = None,
    clear_offset: bool = False,
    evidence: Mapping[str, Any] | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """Change a link's fields; only those given change and the log keeps before and after."""
    kind = parse_link_type(link_type_text) if link_type_text is not None else None
    confidence = _check_confidence(confidence)
    offset = _check_offset(offset)
    if status is not None and status not in STATUSES:
        raise VerifierError(f"status: use one of {', '.join(STATUSES)}")
    if rationale is not None and not rationale.strip():
        raise VerifierError("--rationale: a link's rationale cannot be empty")
    with app.db.write() as session:
        link = _check_link(session, link_id, expected_version)
        a, b = session.get(Clip, link.clip_a_id), session.get(Clip, link.clip_b_id)
        assert a is not None and b is not None
        before = link_json(link, a, b)
        # Checked before anything changes: its queries would flush a half-made
        # edit, and every flush bumps the version (one edit, one version).
        checked = check_evidence(session, (a, b), evidence) if evidence is not None else None
        if kind is not None and kind != link_type(link.relation):
            clash = same_pair(session, a.id, b.id, kind)
            if clash is not None:
                raise VerifierError(f"clips #{a.id} and #{b.id} already have a {kind} link "
                                    f"(#{clash.id})")  # fmt: skip
            link.relation = kind
        if rationale is not None:
            link.rationale = rationale.strip()
        if confidence is not None:
            link.confidence = confidence
        if offset is not None:
            link.offset_seconds = offset
        elif clear_offset:
            link.offset_seconds = None
        if evidence is not None:
            link.evidence = checked or None
        if status is not None:
            link.status = status
        link.updated_at = utcnow()
        session.flush()
        after = link_json(link, a, b)
        action = {"confirmed": "link.confirm", "rejected": "link.reject"}.get(
            status or "", "link.edit"
        )
        if before["status"] == after["status"] and action != "link.edit":
            action = "link.edit"
        _record(app, session, action, link, {"before": before, "after": after})
        return after


def confirm_link(
    app: App, link_id: LinkId, *, expected_version: int | None = None
) -> dict[str, Any]:
    """A person stands by the link (a proposal from matching becomes a finding)."""
    return edit_link(app, link_id, expected_version=expected_version, status="confirmed")


def reject_link(
    app: App, link_id: LinkId, *, expected_version: int | None = None
) -> dict[str, Any]:
    """A person rejects the link; a rejected automatic link stays rejected when matching reruns."""
    return edit_link(app, link_id, expected_version=expected_version, status="rejected")


def delete_link(app: App, link_id: LinkId, *, expected_version: int | None = None) -> None:
    """Withdraw a link; the log keeps what it said.

    Deleting an automatic proposal lets matching propose it again; reject it
    instead to keep it from coming back.
    """
    with app.db.write() as session:
        link = _check_link(session, link_id, expected_version)
        data = _json(session, link)
        _record(app, session, "link.delete", link, {"deleted": data}, deleted=True)
        session.delete(link)


def link_events(session: Session, link_id: LinkId) -> list[CustodyEvent]:
    """Custody events about one link, oldest first (its history in a pane)."""
    return list(
        session.scalars(
            select(CustodyEvent)
            .where(CustodyEvent.target_type == "link", CustodyEvent.target_id == str(link_id))
            .order_by(CustodyEvent.seq)
        )
    )
