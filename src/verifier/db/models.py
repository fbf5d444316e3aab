"""The domain as typed SQLAlchemy 2.x models.

Everything an investigator records lives here: cases and their clips, the
stored files behind them (evidence and derived), where clips appeared,
analysis results (keyframes, frame hashes), and the claims made about them
(geolocation, chronolocation, links, annotations), plus the custody log.
Later capabilities fill in tables that are already modelled so that the
schema grows by migrations, not by rewrites.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from verifier.db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Case(Base):
    """An investigation: a named collection of clips."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SQLAlchemy bumps ``version`` on every UPDATE and adds ``WHERE version = :seen``
    # to it (and to DELETE), so two writers cannot both win on one row.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    # Per-case preferences such as wellbeing (blur thumbnails, mute audio).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    clips: Mapped[list[Clip]] = relationship(back_populates="case")


class StoredFile(Base):
    """Bytes kept in the content-addressed store: evidence or derived.

    ``kind`` is "evidence" for imported originals and "derived" for files the
    program made (thumbnails, exported frames, reports); a derived file names
    the evidence file it came from.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16), default="evidence")
    role: Mapped[str] = mapped_column(String(32), default="original")
    original_name: Mapped[str] = mapped_column(Text)
    original_path: Mapped[str | None] = mapped_column(Text)
    mime_type: Mapped[str | None] = mapped_column(String(100))
    container: Mapped[str | None] = mapped_column(String(100))
    stored_path: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(200))
    derived_from_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))


class Clip(Base):
    """One evidence file as it belongs to one case.

    The same bytes imported into two cases are one stored file and two clips,
    so that each case keeps its own notes and claims.
    """

    __tablename__ = "clips"
    __table_args__ = (UniqueConstraint("case_id", "file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200))
    media_kind: Mapped[str] = mapped_column(String(16), default="video")
    # pending | ok | partial | failed
    analysis_status: Mapped[str] = mapped_column(String(16), default="pending")
    analysis_error: Mapped[str | None] = mapped_column(Text)
    analysis_warnings: Mapped[list[Any]] = mapped_column(default=list)
    analysed_at: Mapped[datetime | None] = mapped_column()
    analysis_version: Mapped[str | None] = mapped_column(String(32))
    # Technical metadata as probed (MediaInfo JSON), kept whole.
    media_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    duration: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    frame_count: Mapped[int | None] = mapped_column(Integer)
    # Presentation timestamps of every decoded frame (compact int64 array)
    # so that the frame stepper opens instantly and indexes stay exact.
    frame_index: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A person's statement that the clip is verified (place and time established):
    # set and cleared by ``verifier clip verified`` with a custody event; the
    # consistency checks flag a verified clip that lacks a confirmed finding.
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_by: Mapped[str | None] = mapped_column(String(200))

    case: Mapped[Case] = relationship(back_populates="clips")
    file: Mapped[StoredFile] = relationship()
    keyframes: Mapped[list[Keyframe]] = relationship(
        back_populates="clip", order_by="Keyframe.frame_index", cascade="all, delete-orphan"
    )
    appearances: Mapped[list[Appearance]] = relationship(
        back_populates="clip", order_by="Appearance.posted_at", cascade="all, delete-orphan"
    )


class Appearance(Base):
    """A place where a clip was seen: a post on a platform."""

    __tablename__ = "appearances"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SQLAlchemy bumps ``version`` on every UPDATE and adds ``WHERE version = :seen``
    # to it (and to DELETE), so two writers cannot both win on one row.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    clip_id: Mapped[int | None] = mapped_column(ForeignKey("clips.id"), index=True)
    # A post whose media was not downloaded still belongs to a case.
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    platform: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    channel_id: Mapped[str | None] = mapped_column(Text)
    channel_url: Mapped[str | None] = mapped_column(Text)
    post_id: Mapped[str | None] = mapped_column(String(200))
    posted_at: Mapped[datetime | None] = mapped_column()
    posted_at_text: Mapped[str | None] = mapped_column(Text)
    # second | minute | date | unknown
    posted_at_precision: Mapped[str] = mapped_column(String(16), default="unknown")
    collected_at: Mapped[datetime | None] = mapped_column()
    # A copy of the post in a web archive (Wayback Machine, archive.today...),
    # which stays citable when the platform deletes the post.
    archive_url: Mapped[str | None] = mapped_column(Text)
    caption: Mapped[str | None] = mapped_column(Text)
    forwarded_from: Mapped[str | None] = mapped_column(Text)
    # Where and who, kept apart: ``channel*`` is where the post was made (a
    # channel, group or personal chat; ``chat_type`` says which), ``author*`` who
    # made it (a group member, a channel's signature, the sender in a personal chat).
    chat_type: Mapped[str | None] = mapped_column(String(32))
    author: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[str | None] = mapped_column(Text)
    # How ``posted_at`` was obtained (the sidecar field, "post id", "manual"...).
    posted_at_method: Mapped[str | None] = mapped_column(String(64))
    # The posting time some platforms encode in the post id (X, TikTok, Discord),
    # kept beside the sidecar's own time so a disagreement can be shown.
    id_posted_at: Mapped[datetime | None] = mapped_column()
    id_posted_at_precision: Mapped[str | None] = mapped_column(String(16))
    # What the reader noticed about this post, shown wherever the post is shown.
    warnings: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_collections.id"), index=True
    )
    media_available: Mapped[bool] = mapped_column(Boolean, default=True)
    # sidecar | manual | manifest
    source: Mapped[str] = mapped_column(String(32), default="manual")
    raw_sidecar: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    clip: Mapped[Clip | None] = relationship(back_populates="appearances")
    collection: Mapped[SourceCollection | None] = relationship()


class SourceCollection(Base):
    """A channel or playlist a downloader described (yt-dlp's ``_type: playlist``).

    Not a post: metadata about where a folder of posts came from. Its id, address
    and name are provenance for every post of that folder.
    """

    __tablename__ = "source_collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # channel | playlist
    platform: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    uploader: Mapped[str | None] = mapped_column(Text)
    uploader_id: Mapped[str | None] = mapped_column(Text)
    uploader_url: Mapped[str | None] = mapped_column(Text)
    sidecar_path: Mapped[str | None] = mapped_column(Text)
    raw_sidecar: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class Keyframe(Base):
    """A frame chosen for reverse search and browsing, with its thumbnail."""

    __tablename__ = "keyframes"
    __table_args__ = (UniqueConstraint("clip_id", "frame_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    frame_index: Mapped[int] = mapped_column(Integer)
    pts: Mapped[int] = mapped_column(BigInteger)
    time_base: Mapped[str] = mapped_column(String(32))
    seconds: Mapped[float] = mapped_column(Float)
    # first | cut | fade | sample
    reason: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    thumbnail_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    phash: Mapped[str | None] = mapped_column(String(16))
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)

    clip: Mapped[Clip] = relationship(back_populates="keyframes")
    thumbnail: Mapped[StoredFile | None] = relationship()


class FrameHashSet(Base):
    """All sampled frame hashes of one clip, stored as one compact array."""

    __tablename__ = "frame_hash_sets"
    __table_args__ = (UniqueConstraint("clip_id", "algorithm"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    sample_rate: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Geolocation(Base):
    """A claim of where a clip was filmed, with its reasoning."""

    __tablename__ = "geolocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SQLAlchemy bumps ``version`` on every UPDATE and adds ``WHERE version = :seen``
    # to it (and to DELETE), so two writers cannot both win on one row.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    precision_m: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[str | None] = mapped_column(String(32))
    method: Mapped[str | None] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text, default="")
    coordinate_text: Mapped[str | None] = mapped_column(Text)
    # {"frames": [n...], "annotations": [id...], "references": [{file_id, sha256,
    # name, provider, captured}...], "figures": [file id...]}: what supports it.
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    place: Mapped[str | None] = mapped_column(Text)
    # manual (a person's finding) | metadata (a GPS tag read from the file)
    origin: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")
    # proposed (waits for a person: a metadata GPS tag) | confirmed | rejected
    status: Mapped[str] = mapped_column(String(16), default="confirmed", server_default="confirmed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class Chronolocation(Base):
    """A claim of when a clip was filmed: a UTC window with its reasoning."""

    __tablename__ = "chronolocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SQLAlchemy bumps ``version`` on every UPDATE and adds ``WHERE version = :seen``
    # to it (and to DELETE), so two writers cannot both win on one row.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    earliest: Mapped[datetime | None] = mapped_column()
    latest: Mapped[datetime | None] = mapped_column()
    method: Mapped[str | None] = mapped_column(Text)
    reasoning: Mapped[str] = mapped_column(Text, default="")
    # {"frames": [n...], "annotations": [id...]}: what supports it.
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # confirmed | probable | possible | rejected
    confidence: Mapped[str | None] = mapped_column(String(32))
    # manual (a person's finding) | first-appearance | metadata (proposed by the program)
    origin: Mapped[str] = mapped_column(String(16), default="manual", server_default="manual")
    # proposed (waits for a person) | confirmed | rejected
    status: Mapped[str] = mapped_column(String(16), default="confirmed", server_default="confirmed")
    # What a proposal was made from ("appearance:7 2025-03-30T00:00:00+00:00 date", the
    # metadata tag and its text): a proposal is made once per source.
    source: Mapped[str | None] = mapped_column(Text)
    # Why the window is as wide as it is in time-zone terms ("of unknown zone: ...").
    zone_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class ClipLink(Base):
    """A relation between two clips: duplicate, excerpt, same incident..."""

    __tablename__ = "clip_links"
    __table_args__ = (Index("ix_clip_links_pair", "clip_a_id", "clip_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SQLAlchemy bumps ``version`` on every UPDATE and adds ``WHERE version = :seen``
    # to it (and to DELETE), so two writers cannot both win on one row.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    clip_a_id: Mapped[int] = mapped_column(ForeignKey("clips.id"))
    clip_b_id: Mapped[int] = mapped_column(ForeignKey("clips.id"))
    relation: Mapped[str] = mapped_column(String(32))
    # auto (found by matching) | manual (asserted by an analyst)
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    score: Mapped[float | None] = mapped_column(Float)
    offset_seconds: Mapped[float | None] = mapped_column(Float)
    rationale: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # proposed (found by matching, waiting for a person) | confirmed | rejected.
    # A person's decision survives re-matching; links made before 0005 were all
    # automatic proposals.
    status: Mapped[str] = mapped_column(String(16), default="proposed", server_default="proposed")
    # confirmed | probable | possible (None: not stated, as for automatic links)
    confidence: Mapped[str | None] = mapped_column(String(32))
    # {"frames": [{clip_id, frame_index}...], "annotations": [id...], "figures": [file id...]}
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class Incident(Base):
    """A named group of clips that show one event.

    Which clips form an incident is computed from the links (connected
    components over same-incident, continuation and confirmed re-upload or
    excerpt links); this row only keeps what a person gave it, a name and a
    description, with the member clips at the time, so that the name follows
    the group when clips join it.
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    clip_ids: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class CheckAcknowledgement(Base):
    """A person's decision that one consistency problem is understood, and why.

    ``key`` names the problem (rule and items, see services/checks.py);
    ``fingerprint`` is a hash of the facts the rule used, kept with the facts
    themselves, so the problem comes back when they change.
    """

    __tablename__ = "check_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    rule: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class Annotation(Base):
    """A labelled shape on one frame (rectangle, point, line or polygon), with a note."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SQLAlchemy bumps ``version`` on every UPDATE and adds ``WHERE version = :seen``
    # to it (and to DELETE), so two writers cannot both win on one row.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    frame_index: Mapped[int] = mapped_column(Integer)
    pts: Mapped[int | None] = mapped_column(BigInteger)
    # Rectangle in upright frame pixels.
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    w: Mapped[float] = mapped_column(Float)
    h: Mapped[float] = mapped_column(Float)
    # rect | point | line | polygon. For the last three ``points`` holds the
    # vertices [[x, y], ...] in upright frame pixels and x/y/w/h their bounding
    # box, so code that only knows rectangles still finds the annotated area.
    shape: Mapped[str] = mapped_column(String(16), default="rect", server_default="rect")
    points: Mapped[list[Any] | None] = mapped_column()
    label: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class Event(Base):
    """A moment a person marked on a clip ("the prisoners lie face down"), with a note.

    ``at_seconds`` is the clip-relative time the person gave (or the time of
    the frame they chose); ``frame_index`` and ``pts`` the frame on screen at
    that moment, so the report can name the exact frame. The incident clock
    places the event on the incident's common time axis.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Bumped by every edit: a save made against an older version is refused
    # instead of silently overwriting another analyst's change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"), index=True)
    at_seconds: Mapped[float] = mapped_column(Float)
    frame_index: Mapped[int | None] = mapped_column(Integer)
    pts: Mapped[int | None] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    # manual (a person marked it) | candidate-accepted (a person accepted a detected moment)
    origin: Mapped[str] = mapped_column(String(24), default="manual", server_default="manual")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column()


class AppMeta(Base):
    """Facts about this database itself, such as the identity of its evidence store."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CustodyEvent(Base):
    """One entry of the append-only, hash-chained chain-of-custody log.

    ``hash`` covers every other column and the previous event's hash; the
    unique ``prev_hash`` forbids two events claiming the same predecessor,
    so concurrent writers cannot fork the chain.
    """

    __tablename__ = "custody_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(100))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tool: Mapped[str] = mapped_column(String(64))
    tool_version: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
