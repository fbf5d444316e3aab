"""Provenance: where each clip appeared, and which post came first.

Appearances come from sidecars met during import (yt-dlp ``.info.json``,
Telegram Desktop exports, manifests) or are entered by hand. Every addition,
edit and deletion is a custody event that keeps the values involved, so the
log shows what was asserted and what was withdrawn. The timeline of a clip
covers the clip and every clip matched to it (the same footage), sorted by
the earliest moment each post can have been made, with the precision of each
time kept honest: a date-only entry is a whole day, not midnight.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from verifier.db.models import Appearance, Case, Clip, SourceCollection
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.ids import AppearanceId, CaseId, ClipId
from verifier.services.cases import CaseRecord
from verifier.services.chronolocation import propose_times
from verifier.services.context import App
from verifier.services.edits import check_version, deleted_conflict
from verifier.services.lookup import find_clip
from verifier.services.matching import list_matches
from verifier.sources import AppearanceRecord, CollectionRecord
from verifier.sources.post_ids import (
    DISAGREEMENT_MARK,
    PRECISION_SPAN,
    IdTime,
    IdTimeRefused,
    compare_times,
    time_from_url,
)

# Finest first: the record of a post that knows its time best represents it.
PRECISION_ORDER = ("millisecond", "second", "minute", "date")
EDITABLE = ("platform", "url", "channel", "channel_id", "post_id", "posted_at", "caption",
            "forwarded_from", "collected_at", "archive_url")  # fmt: skip


def parse_posted_at(text: str | None) -> tuple[datetime | None, str]:
    """A user-typed posting time: ISO 8601 with an offset, or a date.

    A date and time without an offset is refused: guessing the zone of a
    posting time is how a timeline goes wrong.
    """
    return _parse_utc(text, "posting time")


def parse_collected_at(text: str | None) -> datetime | None:
    """A user-typed collection time (when the analyst saved the post), read like a posting time."""
    return _parse_utc(text, "collection time")[0]


def parse_archive_url(text: str | None) -> str | None:
    """A web-archive address of the post: an absolute http(s) URL, or nothing.

    An empty text clears it (an edit can withdraw a wrong archive link). The
    address is checked for form only: nothing is fetched, the tool works offline.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise VerifierError(
            f"the archive link {value!r} is not a web address: give the full "
            "https://web.archive.org/... or https://archive.ph/... address"
        )
    return value


def _parse_utc(text: str | None, what: str) -> tuple[datetime | None, str]:
    if text is None or not text.strip():
        return None, "unknown"
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day, "date"
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise VerifierError(
            f"cannot read the {what} {value!r}: use 2025-03-13T09:41:00Z, "
            "2025-03-13T11:41:00+02:00 or 2025-03-13"
        ) from exc
    if moment.tzinfo is None:
        raise VerifierError(
            f"the {what} {value!r} has no UTC offset: add Z or +HH:MM so it cannot be misread"
        )
    precision = "second" if ":" in value[14:] or moment.second else "minute"
    return moment.astimezone(UTC), precision


def _json_safe(raw: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(raw, default=str, ensure_ascii=False))


#: Sidecar text longer than this (characters) is kept once, in the appearance's
#: caption, and referenced elsewhere: a 10 MB caption was stored three times
#: (the caption, the raw sidecar record and the custody event).
LARGE_TEXT = 4096


def text_reference(text: str, stored_in: str) -> dict[str, Any]:
    """What stands in for a large text kept elsewhere: where, its length and SHA-256.

    The SHA-256 binds the reference to the exact text, so the custody log
    still proves what the text was without holding a copy of it.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return {"text_stored_in": stored_in, "length": len(text), "sha256": digest}


def _caption_referenced(value: Any, caption: str | None) -> Any:
    """``value`` with every copy of a large caption replaced by a reference to it."""
    if caption is None or len(caption) <= LARGE_TEXT:
        return value
    if isinstance(value, str):
        if value == caption:
            return text_reference(value, "appearance caption")
        if value.strip() == caption:  # readers strip the caption; the hash is of this text
            return text_reference(value, "appearance caption, without surrounding spaces")
        return value
    if isinstance(value, dict):
        return {k: _caption_referenced(v, caption) for k, v in value.items()}
    if isinstance(value, list):
        return [_caption_referenced(v, caption) for v in value]
    return value


def logged_appearance(a: Appearance) -> dict[str, Any]:
    """An appearance as recorded or changed, for its custody event: a large caption by reference.

    Only where the row holds the text: what an edit replaces or a deletion
    withdraws is logged in full, because the log is then its only copy.
    """
    return _caption_referenced(appearance_json(a), a.caption)


def appearance_json(a: Appearance, clip: Clip | None = None) -> dict[str, Any]:
    return {
        "id": a.id,
        "version": a.version,
        "clip": None
        if clip is None
        else {"id": clip.id, "name": clip.name, "sha256": clip.file.sha256},
        "platform": a.platform,
        "url": a.url,
        "channel": a.channel,
        "channel_id": a.channel_id,
        "channel_url": a.channel_url,
        "post_id": a.post_id,
        "posted_at": a.posted_at.isoformat() if a.posted_at else None,
        "posted_at_text": a.posted_at_text,
        "posted_at_precision": a.posted_at_precision,
        "collected_at": a.collected_at.isoformat() if a.collected_at else None,
        "archive_url": a.archive_url,
        "caption": a.caption,
        "forwarded_from": a.forwarded_from,
        "chat_type": a.chat_type,
        "author": a.author,
        "author_id": a.author_id,
        "posted_at_method": a.posted_at_method,
        "id_posted_at": a.id_posted_at.isoformat() if a.id_posted_at else None,
        "id_posted_at_precision": a.id_posted_at_precision,
        "warnings": list(a.warnings or ()),
        # The channel or playlist this post was downloaded with, when known.
        "collection": None
        if a.collection is None
        else {
            "id": a.collection.id,
            "kind": a.collection.kind,
            "title": a.collection.title,
            "url": a.collection.url,
            "platform": a.collection.platform,
        },
        # Telegram's HTML export gives the forwarded post's original time: a lead
        # to an earlier appearance by the original channel.
        "forwarded_original_at": (a.raw_sidecar or {}).get("forwarded_date_utc"),
        "media_available": a.media_available,
        "source": a.source,
    }


def _same_post(session: Session, case_id: CaseId, clip_id: ClipId | None,
               rec: AppearanceRecord) -> Appearance | None:  # fmt: skip
    query = select(Appearance).where(
        Appearance.case_id == case_id,
        Appearance.platform == rec.platform,
        Appearance.source == rec.source,
    )
    query = query.where(Appearance.clip_id == clip_id if clip_id else Appearance.clip_id.is_(None))
    if rec.url:
        query = query.where(Appearance.url == rec.url)
    elif rec.post_id:
        query = query.where(Appearance.post_id == rec.post_id,
                            Appearance.channel_id == rec.channel_id)  # fmt: skip
    else:
        return None
    return session.scalar(query.limit(1))


def record_appearance(
    app: App, session: Session, case_id: CaseId, clip_id: ClipId | None, rec: AppearanceRecord
) -> Appearance | None:
    """Store one appearance (in the caller's transaction); None if already recorded."""
    if _same_post(session, case_id, clip_id, rec) is not None:
        return None
    appearance = Appearance(
        clip_id=clip_id,
        case_id=case_id,
        platform=rec.platform,
        url=rec.url,
        channel=rec.channel,
        channel_id=rec.channel_id,
        channel_url=rec.channel_url,
        post_id=rec.post_id,
        posted_at=rec.posted_at,
        posted_at_text=rec.posted_at_text,
        posted_at_precision=rec.posted_at_precision,
        collected_at=rec.collected_at,
        archive_url=rec.archive_url,
        caption=rec.caption,
        forwarded_from=rec.forwarded_from,
        chat_type=rec.chat_type,
        author=rec.author,
        author_id=rec.author_id,
        posted_at_method=rec.posted_at_method,
        id_posted_at=rec.id_posted_at,
        id_posted_at_precision=rec.id_posted_at_precision,
        warnings=list(rec.warnings),
        media_available=rec.media_available and clip_id is not None,
        source=rec.source,
        # The caption column holds a large caption; the raw record refers to it.
        raw_sidecar=_caption_referenced(
            _json_safe(
                {
                    **rec.raw,
                    "_sidecar": str(rec.sidecar_path or ""),
                    "_warnings": list(rec.warnings),
                }
            ),
            rec.caption,
        ),
        created_by=app.analyst,
    )
    session.add(appearance)
    session.flush()
    custody.record(
        session,
        actor=app.analyst,
        action="appearance.add",
        target_type="appearance",
        target_id=appearance.id,
        case_id=case_id,
        details={
            **logged_appearance(appearance),
            "clip_id": clip_id,
            "sidecar": str(rec.sidecar_path) if rec.sidecar_path else None,
        },
        items=[appearance],
    )
    if clip_id is not None:
        # The first posting bounds when the clip was filmed: proposed, never accepted.
        clip = session.get(Clip, clip_id)
        if clip is not None:
            propose_times(app, session, clip)
    return appearance


def attach_records(
    app: App, case: CaseRecord, clip_id: ClipId | None, records: Iterable[AppearanceRecord]
) -> int:
    """Record the appearances read from sidecars for one clip (or none); return how many."""
    added = 0
    with app.db.write() as session:
        for rec in records:
            if record_appearance(app, session, case.id, clip_id, rec) is not None:
                added += 1
    return added


@dataclass
class CollectionResult:
    """What :func:`record_collection` did: the row, whether it is new, posts linked."""

    collection_id: int
    created: bool
    linked: list[int] = field(default_factory=list)


def collection_json(c: SourceCollection) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "platform": c.platform,
        "external_id": c.external_id,
        "title": c.title,
        "url": c.url,
        "uploader": c.uploader,
        "uploader_id": c.uploader_id,
        "uploader_url": c.uploader_url,
        "sidecar": c.sidecar_path,
    }


def record_collection(app: App, case: CaseRecord, rec: CollectionRecord) -> CollectionResult:
    """Record a channel or playlist of the case and link the posts downloaded with it.

    The posts linked are the case's yt-dlp appearances whose ``.info.json``
    lies in the same folder as the collection's and that belong to no
    collection yet: yt-dlp writes a channel's or playlist's file beside its
    videos' files. The same collection (kind, platform, id and address) is
    recorded once per case; importing the folder again only links posts that
    are new. One transaction, with a ``collection.add`` custody event (or
    ``collection.link`` when only new posts were linked).
    """
    folder = None if rec.sidecar_path is None else Path(os.path.abspath(rec.sidecar_path)).parent
    with app.db.write() as session:
        row = session.scalar(
            select(SourceCollection)
            .where(
                SourceCollection.case_id == case.id,
                SourceCollection.kind == rec.kind,
                _equal_or_null(SourceCollection.platform, rec.platform),
                _equal_or_null(SourceCollection.external_id, rec.id),
                _equal_or_null(SourceCollection.url, rec.url),
            )
            .limit(1)
        )
        created = row is None
        if row is None:
            row = SourceCollection(
                case_id=case.id,
                kind=rec.kind,
                platform=rec.platform,
                external_id=rec.id,
                title=rec.title,
                url=rec.url,
                uploader=rec.uploader,
                uploader_id=rec.uploader_id,
                uploader_url=rec.uploader_url,
                sidecar_path=str(rec.sidecar_path) if rec.sidecar_path else None,
                raw_sidecar=_json_safe(rec.raw),
                created_by=app.analyst,
            )
            session.add(row)
            session.flush()
        linked: list[int] = []
        if folder is not None:
            candidates = session.scalars(
                select(Appearance).where(
                    Appearance.case_id == case.id,
                    Appearance.source == "sidecar",
                    Appearance.collection_id.is_(None),
                )
            )
            for appearance in candidates:
                sidecar = (appearance.raw_sidecar or {}).get("_sidecar") or ""
                if (
                    sidecar.endswith(".info.json")
                    and Path(os.path.abspath(sidecar)).parent == folder
                ):
                    appearance.collection_id = row.id
                    linked.append(appearance.id)
        if created or linked:
            custody.record(
                session,
                actor=app.analyst,
                action="collection.add" if created else "collection.link",
                target_type="collection",
                target_id=row.id,
                case_id=case.id,
                details={**collection_json(row), "appearances": linked},
                items=[row, *(session.get(Appearance, a) for a in linked)],
            )
        return CollectionResult(row.id, created, linked)


def _equal_or_null(column: Any, value: str | None) -> Any:
    return column.is_(None) if value is None else column == value


def post_warnings(records: Iterable[AppearanceRecord]) -> list[str]:
    """The readers' warnings of some posts, each prefixed with the post it is about."""
    lines = []
    for rec in records:
        label = rec.url or (f"{rec.platform} post {rec.post_id}" if rec.post_id else rec.platform)
        lines.extend(f"{label}: {warning}" for warning in rec.warnings)
    return lines


def add_appearance(
    app: App, clip_ref: str, *, case: CaseRecord | None = None, url: str | None = None,
    platform: str | None = None, posted_at: str | None = None, channel: str | None = None,
    caption: str | None = None, collected_at: str | None = None,
    archive_url: str | None = None, now: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An appearance entered by hand (logged), timed from its post id where the id says.

    X, TikTok and Discord post addresses carry the posting time in the id.
    Without ``posted_at`` that time is recorded, with its precision and the
    method; with one, the id's time is kept beside it and a disagreement
    beyond the coarser precision is stored (and returned) as a warning.
    """
    if not url and not platform:
        raise VerifierError("an appearance needs at least --url or --platform")
    moment, precision = parse_posted_at(posted_at)
    collected = parse_collected_at(collected_at)
    archive = parse_archive_url(archive_url)
    method = "manual" if moment is not None else None
    text = posted_at
    warnings: list[str] = []
    found = time_from_url(url, now=now)
    id_time = found if isinstance(found, IdTime) else None
    if isinstance(found, IdTimeRefused):
        warnings.append(f"{found.reason}: no time read from it")
    if id_time is not None:
        if moment is None:
            moment, precision, method = id_time.when, id_time.precision, id_time.method
            text = f"post id {id_time.post_id}"
        else:
            disagreement = compare_times(moment, precision, id_time, source="the time given")
            if disagreement:
                warnings.append(disagreement)
    with app.db.write() as session:
        clip = find_clip(session, clip_ref, case)
        rec = AppearanceRecord(
            platform=(platform or _platform_from_url(url) or "unknown").lower(),
            source="manual", url=url, channel=channel, posted_at=moment,
            posted_at_text=text, posted_at_precision=precision, posted_at_method=method,
            id_posted_at=id_time.when if id_time else None,
            id_posted_at_precision=id_time.precision if id_time else None,
            post_id=id_time.post_id if id_time else None,
            caption=caption, warnings=tuple(warnings), collected_at=collected,
            archive_url=archive,
        )  # fmt: skip
        appearance = record_appearance(app, session, clip.case_id, clip.id, rec)
        if appearance is None:
            raise VerifierError(f"clip #{clip.id} already has an appearance at {url}")
        return appearance_json(appearance, clip)


def _platform_from_url(url: str | None) -> str | None:
    if not url:
        return None
    host = url.split("//", 1)[-1].split("/", 1)[0].lower().removeprefix("www.")
    table = {"t.me": "telegram", "youtube.com": "youtube", "youtu.be": "youtube",
             "x.com": "x", "twitter.com": "x", "tiktok.com": "tiktok",
             "instagram.com": "instagram", "facebook.com": "facebook", "vk.com": "vk"}  # fmt: skip
    return table.get(host, host or None)


def _check_appearance(
    session: Session,
    appearance_id: AppearanceId,
    appearance: Appearance | None,
    expected_version: int | None,
) -> Appearance:
    """The appearance, if it is still the version the user saw (else a clear refusal)."""
    what = f"appearance #{appearance_id}"
    if appearance is None:
        if expected_version is None:
            raise VerifierError(f"no appearance with id {appearance_id}")
        raise deleted_conflict(session, what=what, target_type="appearance",
                               target_id=appearance_id, action="appearance.delete")  # fmt: skip
    clip = session.get(Clip, appearance.clip_id) if appearance.clip_id else None
    check_version(
        session, what=what, current_version=appearance.version,
        expected_version=expected_version, target_type="appearance", target_id=appearance_id,
        actions=("appearance.edit", "appearance.add"), current=appearance_json(appearance, clip),
    )  # fmt: skip
    return appearance


def edit_appearance(
    app: App,
    appearance_id: AppearanceId,
    *,
    expected_version: int | None = None,
    **changes: str | None,
) -> dict[str, Any]:
    """Change fields of an appearance; the log keeps the old and new values.

    Only the fields given (not None) change. With ``expected_version`` (the
    version the user saw) a save on an appearance changed or deleted since is
    refused with :class:`~verifier.services.edits.EditConflict`.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise VerifierError(f"cannot edit {', '.join(sorted(unknown))}")
    with app.db.write() as session:
        appearance = _check_appearance(
            session, appearance_id, session.get(Appearance, appearance_id), expected_version
        )
        # The text an edit replaces lives on only in the log: logged in full.
        before = appearance_json(appearance)
        for name, value in changes.items():
            if value is None:
                continue
            if name == "posted_at":
                moment, precision = parse_posted_at(value)
                appearance.posted_at, appearance.posted_at_precision = moment, precision
                appearance.posted_at_text = value
            elif name == "collected_at":
                appearance.collected_at = parse_collected_at(value)
            elif name == "archive_url":
                appearance.archive_url = parse_archive_url(value)
            else:
                setattr(appearance, name, value)
        session.flush()
        after = logged_appearance(appearance)
        custody.record(
            session, actor=app.analyst, action="appearance.edit", target_type="appearance",
            target_id=appearance.id, case_id=appearance.case_id,
            details={"before": before, "after": after}, items=[appearance],
        )  # fmt: skip
        clip = session.get(Clip, appearance.clip_id) if appearance.clip_id else None
        if clip is not None and changes.get("posted_at") is not None:
            propose_times(app, session, clip)  # the first posting may have moved
        return appearance_json(appearance, clip)


def delete_appearance(
    app: App, appearance_id: AppearanceId, *, expected_version: int | None = None
) -> None:
    """Withdraw an appearance; the log keeps what it said.

    With ``expected_version``, an appearance changed since the user saw it is
    not withdrawn.
    """
    with app.db.write() as session:
        appearance = _check_appearance(
            session, appearance_id, session.get(Appearance, appearance_id), expected_version
        )
        custody.record(
            session, actor=app.analyst, action="appearance.delete", target_type="appearance",
            target_id=appearance.id, case_id=appearance.case_id,
            details={"deleted": appearance_json(appearance)},  # the log keeps the only copy
            deleted=[appearance],
        )  # fmt: skip
        clip = session.get(Clip, appearance.clip_id) if appearance.clip_id else None
        session.delete(appearance)
        if clip is not None:
            session.flush()
            propose_times(app, session, clip)  # the first posting may have moved


@dataclass
class Timeline:
    clips: list[dict[str, Any]]
    entries: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"clips": self.clips, "appearances": self.entries}


def _bounds(a: Appearance) -> tuple[datetime, datetime] | None:
    if a.posted_at is None:
        return None
    return a.posted_at, a.posted_at + PRECISION_SPAN.get(a.posted_at_precision, timedelta(0))


def _post_key(a: Appearance) -> tuple[Any, ...]:
    """What makes two recorded appearances the same post: its address, else its ids.

    A post without an address (a personal chat, a group without a public
    link) is the same post when the platform, chat and message id agree;
    with none of those it is only ever itself.
    """
    if a.url and a.url.strip():
        return ("url", a.url.strip())
    if a.post_id:
        return ("post", a.platform, a.channel_id or a.channel, a.post_id)
    return ("appearance", a.id)


def _representative(group: list[Appearance]) -> Appearance:
    """The record of a post that knows its time best: timed, finest precision, earliest."""
    rank = {p: i for i, p in enumerate(PRECISION_ORDER)}
    latest = datetime.max.replace(tzinfo=UTC)
    return min(
        group,
        key=lambda a: (
            a.posted_at is None,
            rank.get(a.posted_at_precision, len(rank)),
            a.posted_at or latest,
            a.id,
        ),
    )


def timeline(app: App, clip_ids: list[ClipId]) -> Timeline:
    """Posts of the given clips, earliest first, each post once, the first seen marked.

    The clips can belong to several cases (matches are found across the
    library), and the same post is then recorded once per case: such records
    are shown as one entry that lists every case and clip it was recorded
    in, so a post never competes with itself for first seen.
    """
    with app.db.read() as session:
        clips = {c.id: c for c in session.scalars(select(Clip).where(Clip.id.in_(clip_ids)))}
        rows = list(
            session.scalars(
                select(Appearance).where(Appearance.clip_id.in_(clip_ids)).order_by(Appearance.id)
            )
        )
        case_ids = {a.case_id for a in rows} | {c.case_id for c in clips.values()}
        case_names = _case_names(session, case_ids)
        groups: dict[tuple[Any, ...], list[Appearance]] = {}
        for a in rows:
            groups.setdefault(_post_key(a), []).append(a)
        posts = []
        for group in groups.values():
            rep = _representative(group)
            entry = post_json(rep, clips.get(rep.clip_id or -1), case_names)
            entry["recorded_in"] = [
                {
                    "appearance_id": a.id,
                    "case": {"id": a.case_id, "name": case_names.get(a.case_id)},
                    "clip": _clip_ref(clips.get(a.clip_id or -1)),
                }
                for a in group
            ]
            times = {_time_text(a) for a in group}
            if len(times) > 1:
                entry["record_note"] = "recorded with different times: " + "; ".join(
                    f"#{a.id} {_time_text(a)}" for a in group
                )
            posts.append((rep, entry))
        latest = datetime.max.replace(tzinfo=UTC)
        posts.sort(key=lambda p: (p[0].posted_at is None, p[0].posted_at or latest, p[0].id))
        dated = [(a, e) for a, e in posts if a.posted_at is not None]
        if dated:
            first, entry = dated[0]
            entry["first_seen"] = True
            _lo, hi = _bounds(first) or (first.posted_at, first.posted_at)
            rivals = [e["id"] for a, e in dated[1:] if (b := _bounds(a)) and b[0] < hi]
            if rivals:
                entry["first_seen_note"] = (
                    "order uncertain: appearance(s) "
                    + ", ".join(f"#{r}" for r in rivals)
                    + " may be as early, given the precision of their times"
                )
        clip_list = [
            {**_clip_ref(c), "case": case_names.get(c.case_id)}
            for c in sorted(clips.values(), key=lambda c: c.id)
        ]
    return Timeline(clip_list, [entry for _a, entry in posts])


def provenance_for_clip(app: App, clip_ref: str, case: CaseRecord | None = None) -> Timeline:
    """The clip and every clip matched to it (same footage), all their appearances."""
    with app.db.read() as session:
        clip_id = find_clip(session, clip_ref, case).id
    related = {clip_id}
    frontier = [clip_id]
    while frontier:  # follow relations transitively: the whole group of same footage
        current = frontier.pop()
        for r in list_matches(app, clip_id=current):
            other = r["clip_b"]["id"]
            if other not in related:
                related.add(other)
                frontier.append(other)
    return timeline(app, sorted(related))


def unavailable_posts(app: App, case: CaseRecord) -> list[dict[str, Any]]:
    """Posts recorded without their media (not downloaded), so the timeline is complete."""
    return list_posts(app, case, unavailable=True)


def list_posts(app: App, case: CaseRecord, *, unavailable: bool = False) -> list[dict[str, Any]]:
    """Every post recorded in the case, earliest first (unknown times last).

    With ``unavailable`` only the posts whose media was not downloaded: the
    ones an investigator still has to fetch. Each entry is the appearance's
    JSON with its clip (None when there is none), its case and any
    disagreement between the recorded time and the time its post id encodes.
    """
    with app.db.read() as session:
        query = (
            select(Appearance)
            .options(joinedload(Appearance.clip).joinedload(Clip.file))
            .where(Appearance.case_id == case.id)
        )
        if unavailable:
            query = query.where(Appearance.clip_id.is_(None))
        rows = list(session.scalars(query))
        latest = datetime.max.replace(tzinfo=UTC)
        rows.sort(key=lambda a: (a.posted_at is None, a.posted_at or latest, a.id))
        names = {case.id: case.name}
        return [post_json(a, a.clip, names) for a in rows]


@dataclass(frozen=True)
class PostFacts:
    """A post as a person reads it: when and how that is known, where, who, and doubts."""

    when: str
    where: str
    who: str
    notes: tuple[str, ...]


def post_facts(entry: dict[str, Any]) -> PostFacts:
    """The facts of one post's JSON (from :func:`post_json`) as short texts.

    Where (the channel or chat, and its type) and who (the sender, or a
    channel post's signature) are separate facts: in a personal chat the
    chat carries the other party's name, not the poster's. The notes are
    the readers' warnings and a disagreement between the recorded time and
    the time the post id encodes.
    """
    if entry.get("posted_at"):
        how = [entry.get("posted_at_precision") or "unknown"]
        if entry.get("posted_at_method") == "manual":
            how.append("entered by hand")
        elif entry.get("posted_at_method"):
            method = str(entry["posted_at_method"])
            how.append(method if method.startswith("from ") else f"from {method}")
        # A post known to the day is stored at midnight UTC: show the day, not a time.
        posted = str(entry["posted_at"])
        if entry.get("posted_at_precision") in ("date", "day"):
            posted = posted[:10]
        when = f"{posted} ({', '.join(how)})"
    elif entry.get("posted_at_text"):
        when = f"unknown (the source said {entry['posted_at_text']!r})"
    else:
        when = "unknown"
    where = entry.get("channel") or entry.get("channel_id") or "unknown"
    if entry.get("chat_type"):
        where += f" ({str(entry['chat_type']).replace('_', ' ')})"
    collection = entry.get("collection")
    if collection:
        # The channel or playlist the post was downloaded with: provenance of its own.
        address = f" {collection['url']}" if collection.get("url") else ""
        where += f"; downloaded with the {collection['kind']} {collection['title']!r}{address}"
    who = entry.get("author") or "not recorded"
    if entry.get("author") and entry.get("author_id"):
        who = f"{entry['author']} ({entry['author_id']})"
    notes = [str(w) for w in entry.get("warnings") or ()]
    # A reader that saw the disagreement when it recorded the post said so
    # already: show it once.
    if entry.get("time_disagreement") and not any(DISAGREEMENT_MARK in n for n in notes):
        notes.append(str(entry["time_disagreement"]))
    return PostFacts(when, where, who, tuple(notes))


def time_disagreement(a: Appearance) -> str | None:
    """Text saying the recorded time and the post id's time cannot both be right; else None.

    Each time stands for the span its precision allows (a date is a whole
    day); the two disagree only when those spans do not overlap. The same
    comparison the readers make when they record a post
    (:func:`verifier.sources.post_ids.compare_times`), on the stored values.
    """
    if a.posted_at is None or a.id_posted_at is None:
        return None
    encoded = IdTime(
        platform=a.platform or "",
        post_id=a.post_id or "?",
        when=a.id_posted_at,
        precision=a.id_posted_at_precision or "second",  # type: ignore[arg-type]
        method="post id",
    )
    found = compare_times(
        a.posted_at, a.posted_at_precision, encoded, source=a.posted_at_method or "the record"
    )
    return None if found is None else f"times disagree: {found}"


def _time_text(a: Appearance) -> str:
    return f"{a.posted_at.isoformat()} ({a.posted_at_precision})" if a.posted_at else "unknown"


def _clip_ref(clip: Clip | None) -> dict[str, Any] | None:
    if clip is None:
        return None
    return {"id": clip.id, "name": clip.name, "sha256": clip.file.sha256}


def _case_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Case.id, Case.name).where(Case.id.in_(ids))).all())


def post_json(a: Appearance, clip: Clip | None, case_names: dict[int, str]) -> dict[str, Any]:
    """An appearance as shown to people: its JSON, its case and any time disagreement."""
    return {
        **appearance_json(a, clip),
        "case": {"id": a.case_id, "name": case_names.get(a.case_id)},
        "time_disagreement": time_disagreement(a),
    }
