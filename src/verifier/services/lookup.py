"""Finding recorded items from what a person types: shared by every service.

Services look clips up here rather than in each other, so that no two
service modules need to import one another just to resolve a reference.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from verifier.db.models import Clip, StoredFile
from verifier.errors import VerifierError
from verifier.ids import ClipId
from verifier.services.cases import CaseRecord
from verifier.services.context import App


def find_clip(session: Session, ref: str | ClipId, case: CaseRecord | None = None) -> Clip:
    """A clip by id or by a unique SHA-256 prefix (of at least 6 hex digits).

    With a case, the prefix is looked up in that case; without, in all cases,
    where the same bytes in two cases make the prefix ambiguous.
    """
    text = str(ref).strip().lower()
    query = select(Clip).options(joinedload(Clip.file), joinedload(Clip.case))
    if case is not None:
        query = query.where(Clip.case_id == case.id)
    if text.isdigit() and len(text) < 6:
        clip = session.scalar(query.where(Clip.id == int(text)))
        if clip is None:
            raise VerifierError(f"no clip with id {text}")
        return clip
    if len(text) < 6 or any(c not in "0123456789abcdef" for c in text):
        raise VerifierError(f"{ref!r} is neither a clip id nor a SHA-256 prefix of 6+ hex digits")
    conditions = [StoredFile.sha256.startswith(text)]
    if text.isdigit():
        conditions.append(Clip.id == int(text))
    matches = list(session.scalars(query.join(Clip.file).where(or_(*conditions))).unique())
    if not matches:
        raise VerifierError(f"no clip matches {ref!r}")
    if len(matches) > 1:
        listing = ", ".join(f"#{c.id} ({c.case.name})" for c in matches[:5])
        raise VerifierError(f"{ref!r} matches {len(matches)} clips: {listing}; be more specific")
    return matches[0]


def clip_id_of(app: App, ref: str | ClipId, case: CaseRecord | None = None) -> ClipId:
    """The id of the clip a person referred to (see :func:`find_clip`)."""
    with app.db.read() as session:
        return ClipId(find_clip(session, ref, case).id)
