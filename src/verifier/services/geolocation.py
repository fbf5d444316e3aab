"""Geolocation findings: where a clip was filmed, how sure, and the evidence for it.

A clip can carry several findings (competing hypotheses happen): a point, a
precision radius in metres, a confidence (confirmed, probable, possible,
rejected), the method, the reasoning, a place name, the frames and
annotations that show the working, and reference images (satellite or
street-level pictures, imported into the evidence store as files of their
own with their SHA-256, provider and capture date, never modified).

A GPS tag in the file's metadata is not a finding a person made: analysis
proposes it (method "metadata GPS", confidence "possible", status
"proposed") and a person confirms or rejects it. It is proposed once per
clip: re-analysis neither duplicates it nor revives a rejected one.

Every change is one transaction with its custody event on the clip, carrying
the old and new values and the finding's state hash; edits are version
checked so a stale save is refused.
"""

from __future__ import annotations

import math
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.db.models import Annotation, Clip, Geolocation, StoredFile
from verifier.db.types import utcnow
from verifier.errors import VerifierError
from verifier.evidence.store import StoreWriteError
from verifier.geo.maps import map_links, osm_url
from verifier.ids import ClipId, GeolocationId
from verifier.services.cases import CaseRecord
from verifier.services.clip_findings import FindingKind, check_finding, record_on_clip
from verifier.services.context import App
from verifier.services.lookup import find_clip

__all__ = [
    "CONFIDENCES",
    "METHODS",
    "ReferenceImage",
    "add_geolocation",
    "confirm_geolocation",
    "delete_geolocation",
    "edit_geolocation",
    "export_features",
    "geolocation_json",
    "list_geolocations",
    "parse_confidence",
    "parse_method",
    "propose_metadata_gps",
    "reject_geolocation",
]

CONFIDENCES = ("confirmed", "probable", "possible", "rejected")
METHODS = (
    "satellite imagery",
    "street-level imagery",
    "terrain or horizon",
    "landmark",
    "metadata GPS",
    "other",
)
METADATA_GPS = "metadata GPS"
REFERENCE_ROLE = "reference-image"
FIGURE_ROLE = "landmark-figure"
_METHOD_KEYS = {" ".join(m.lower().replace("-", " ").split()): m for m in METHODS}


@dataclass(frozen=True)
class ReferenceImage:
    """A picture the finding was compared with: the file, who made it, when it was taken."""

    path: Path
    provider: str
    captured: str


def parse_confidence(text: str) -> str:
    """One of :data:`CONFIDENCES`, or an error naming ``--confidence``."""
    value = str(text).strip().lower()
    if value not in CONFIDENCES:
        raise VerifierError(
            f"--confidence: unknown confidence {text!r}: use one of {', '.join(CONFIDENCES)}"
        )
    return value


def parse_method(text: str) -> str:
    """One of :data:`METHODS`; hyphens, underscores and case are forgiven
    (``satellite-imagery``, ``metadata-gps``, ``Terrain_or_Horizon``)."""
    key = " ".join(str(text).lower().replace("-", " ").replace("_", " ").split())
    method = _METHOD_KEYS.get(key)
    if method is None:
        shown = ", ".join(m.replace(" ", "-") for m in METHODS)
        raise VerifierError(f"--method: unknown method {text!r}: use one of {shown}")
    return method


def _check_precision(value: float) -> float:
    precision = float(value)
    if not math.isfinite(precision) or precision <= 0:
        raise VerifierError(f"--precision: the radius must be more than 0 metres (got {value:g})")
    return precision


def _check_date(text: str) -> str:
    """A capture date as imagery providers give it: YYYY-MM-DD, YYYY-MM or YYYY."""
    value = str(text).strip()
    for candidate in (value, f"{value}-01", f"{value}-01-01"):
        try:
            date.fromisoformat(candidate)
        except ValueError:
            continue
        if len(value) in (4, 7, 10):
            return value
    raise VerifierError(
        f"--reference-date: {text!r} is not a date: give YYYY-MM-DD (or YYYY-MM, YYYY)"
    )


def parse_at(text: str) -> tuple[float, float]:
    """``--at`` as people paste it (decimal, DMS, MGRS, a map URL): (lat, lon)."""
    from verifier.geo.coords import CoordinateError, parse_location

    try:
        location = parse_location(text)
    except CoordinateError as exc:
        raise VerifierError(f"--at: {exc}") from exc
    return float(location.lat), float(location.lon)


def _point(at: str | Sequence[float]) -> tuple[float, float, str]:
    """(lat, lon, the text as given): coordinates are kept exactly as typed, too."""
    if isinstance(at, str):
        lat, lon = parse_at(at)
        return lat, lon, at.strip()
    lat, lon = (float(v) for v in at)
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise VerifierError(f"--at: latitude {lat:g} is outside -90..90")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise VerifierError(f"--at: longitude {lon:g} is outside -180..180")
    return lat, lon, f"{lat:.6f}, {lon:.6f}"


def geolocation_json(g: Geolocation, clip: Clip) -> dict[str, Any]:
    """A finding as JSON, with the map links every display of it offers."""
    evidence = g.evidence or {}
    return {
        "id": g.id,
        "version": g.version,
        "clip_id": g.clip_id,
        "clip_name": clip.name,
        "sha256": clip.file.sha256,
        "lat": g.latitude,
        "lon": g.longitude,
        "precision_m": g.precision_m,
        "confidence": g.confidence,
        "method": g.method,
        "reasoning": g.reasoning,
        "place": g.place,
        "coordinate_text": g.coordinate_text,
        "origin": g.origin,
        "status": g.status,
        "frames": list(evidence.get("frames", [])),
        "annotations": list(evidence.get("annotations", [])),
        "references": list(evidence.get("references", [])),
        "figures": list(evidence.get("figures", [])),
        "map_links": [{"name": m.name, "url": m.url} for m in map_links(g.latitude, g.longitude)],
        "created_at": g.created_at.isoformat() if g.created_at else None,
        "created_by": g.created_by,
        "updated_at": g.updated_at.isoformat() if g.updated_at else None,
    }


def _json(session: Session, g: Geolocation) -> dict[str, Any]:
    clip = session.get(Clip, g.clip_id)
    assert clip is not None
    return geolocation_json(g, clip)


#: Which finding a clip is placed by, surest first ("rejected" never places it).
_RANK = {"confirmed": 0, "probable": 1, "possible": 2}


def best_geolocation(session: Session, clip_id: int) -> Geolocation | None:
    """The clip's best non-rejected geolocation: confirmed > probable > possible, a
    person's decision before a pending proposal, then the newest; None without one.

    One choice for every use of "where the clip was filmed" (the zone of its local
    times, the place the sun is computed for), so they never disagree.
    """
    rows = session.scalars(
        select(Geolocation).where(
            Geolocation.clip_id == clip_id,
            Geolocation.status != "rejected",
            Geolocation.confidence.in_(tuple(_RANK)),
        )
    ).all()
    if not rows:
        return None
    return min(rows, key=lambda g: (_RANK[g.confidence or "possible"],
                                    g.status != "confirmed", -g.id))  # fmt: skip


def list_geolocations(
    app: App, clip_ref: str | ClipId | None = None, case: CaseRecord | None = None
) -> list[dict[str, Any]]:
    """Findings of one clip, or of every clip of a case (or of all cases), oldest first."""
    with app.db.read() as session:
        query = select(Geolocation).order_by(Geolocation.clip_id, Geolocation.id)
        if clip_ref is not None:
            query = query.where(Geolocation.clip_id == find_clip(session, clip_ref, case).id)
        elif case is not None:
            query = query.where(
                Geolocation.clip_id.in_(select(Clip.id).where(Clip.case_id == case.id))
            )
        return [_json(session, g) for g in session.scalars(query)]


def export_features(app: App, case: CaseRecord) -> list[dict[str, Any]]:
    """Every finding of a case as the mappings the KML/GeoJSON writers take."""
    keys = ("id", "clip_id", "clip_name", "sha256", "lat", "lon", "precision_m", "confidence",
            "method", "reasoning", "place")  # fmt: skip
    out = []
    for doc in list_geolocations(app, case=case):
        feature = {k: doc[k] for k in keys}
        feature["url"] = osm_url(doc["lat"], doc["lon"])
        out.append(feature)
    return out


def _frame_count(clip: Clip) -> int | None:
    return 1 if clip.media_kind == "image" else clip.frame_count


def _check_frames(clip: Clip, frames: Iterable[int]) -> list[int]:
    out = []
    for frame in frames:
        count = _frame_count(clip)
        if count is None:
            raise VerifierError(
                f"--frame: the frames of clip #{clip.id} are not counted yet: "
                "run `verifier analyse`"
            )
        if not 0 <= int(frame) < count:
            raise VerifierError(
                f"--frame: frame {frame} is out of range: clip #{clip.id} has frames 0-{count - 1}"
            )
        out.append(int(frame))
    return sorted(set(out))


def _check_annotations(session: Session, clip: Clip, ids: Iterable[int]) -> list[int]:
    out = []
    for ident in ids:
        annotation = session.get(Annotation, int(ident))
        if annotation is None or annotation.clip_id != clip.id:
            raise VerifierError(f"--annotation: no annotation #{ident} on clip #{clip.id}")
        out.append(int(ident))
    return sorted(set(out))


def _check_figures(session: Session, ids: Iterable[int]) -> list[int]:
    out = []
    for ident in ids:
        stored = session.get(StoredFile, int(ident))
        if stored is None or stored.role != FIGURE_ROLE:
            raise VerifierError(f"--figure: stored file #{ident} is not a landmark figure")
        out.append(int(ident))
    return sorted(set(out))


@dataclass(frozen=True)
class _Staged:
    reference: ReferenceImage
    sha256: str
    size: int
    relative: str


def _preserve(app: App, references: Sequence[ReferenceImage]) -> list[_Staged]:
    """Copy the reference images into the store (hashing them) before the transaction."""
    out = []
    for ref in references:
        if not str(ref.provider or "").strip():
            raise VerifierError("--reference-provider: say who made the reference image")
        _check_date(ref.captured)
        path = Path(ref.path)
        if not path.is_file():
            raise VerifierError(f"--reference: {path} is not a readable file")
        try:
            staged = app.store.stage_file(path)
        except StoreWriteError:
            raise
        except OSError as exc:
            raise VerifierError(f"--reference: cannot read {path}: {exc.strerror or exc}") from exc
        relative, _ = app.store.commit(staged)
        out.append(_Staged(ref, staged.sha256, staged.size, relative))
    return out


def _reference_rows(
    app: App, session: Session, staged: Sequence[_Staged]
) -> tuple[list[dict[str, Any]], list[StoredFile]]:
    """Evidence entries for preserved references, and the stored-file rows added."""
    entries: list[dict[str, Any]] = []
    added: list[StoredFile] = []
    for item in staged:
        stored = session.scalar(select(StoredFile).where(StoredFile.sha256 == item.sha256))
        path = Path(item.reference.path)
        if stored is None:
            stored = StoredFile(
                sha256=item.sha256, size=item.size, kind="reference", role=REFERENCE_ROLE,
                original_name=path.name, original_path=str(path.resolve()),
                mime_type=mimetypes.guess_type(path.name)[0],
                container=path.suffix.lstrip(".").lower() or None, stored_path=item.relative,
                imported_by=app.analyst,
            )  # fmt: skip
            session.add(stored)
            session.flush()
            added.append(stored)
        entries.append({
            "file_id": stored.id, "sha256": item.sha256, "name": path.name,
            "provider": item.reference.provider.strip(),
            "captured": _check_date(item.reference.captured),
        })  # fmt: skip
    return entries, added


#: How a stale or deleted finding is refused and a change logged (as for time findings).
_KIND = FindingKind(model=Geolocation, name="geolocation", noun="geolocation",
                    missing="geolocation finding", as_json=geolocation_json)  # fmt: skip


def add_geolocation(
    app: App,
    clip_ref: str | ClipId,
    *,
    at: str | Sequence[float],
    precision_m: float,
    confidence: str,
    method: str,
    reasoning: str,
    place: str | None = None,
    frames: Iterable[int] = (),
    annotations: Iterable[int] = (),
    references: Sequence[ReferenceImage] = (),
    figures: Iterable[int] = (),
    case: CaseRecord | None = None,
) -> dict[str, Any]:
    """A person's finding of where ``clip_ref`` was filmed (logged on the clip)."""
    confidence = parse_confidence(confidence)
    method = parse_method(method)
    precision = _check_precision(precision_m)
    reasoning = (reasoning or "").strip()
    if not reasoning:
        raise VerifierError("--reasoning: say how the place was found (it goes in the report)")
    lat, lon, typed = _point(at)
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        clip_id = clip.id
        frame_list = _check_frames(clip, frames)
        note_list = _check_annotations(session, clip, annotations)
        figure_list = _check_figures(session, figures)
    staged = _preserve(app, references)
    with app.db.write() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:  # deleted meanwhile
            raise VerifierError(f"no clip with id {clip_id}")
        refs, files = _reference_rows(app, session, staged)
        evidence: dict[str, Any] = {}
        for key, value in (("frames", frame_list), ("annotations", note_list),
                           ("references", refs), ("figures", figure_list)):  # fmt: skip
            if value:
                evidence[key] = value
        g = Geolocation(clip_id=clip_id, latitude=lat, longitude=lon, precision_m=precision,
                        confidence=confidence, method=method, reasoning=reasoning,
                        coordinate_text=typed, evidence=evidence,
                        place=(place or "").strip() or None, origin="manual",
                        status="confirmed", created_by=app.analyst)  # fmt: skip
        session.add(g)
        session.flush()
        data = geolocation_json(g, clip)
        record_on_clip(
            app, session, _KIND, "geolocation.add", g, clip, {"geolocation": data}, files=files
        )
        return data


def propose_metadata_gps(app: App, session: Session, clip: Clip) -> Geolocation | None:
    """Propose the GPS tag of the clip's metadata as a finding, once, inside the caller's
    transaction (analysis); None when there is no tag or it was proposed before."""
    gps = (clip.media_info or {}).get("gps")
    if not isinstance(gps, dict) or gps.get("lat") is None or gps.get("lon") is None:
        return None
    earlier = session.scalar(
        select(Geolocation.id).where(
            Geolocation.clip_id == clip.id, Geolocation.origin == "metadata"
        )
    )
    if earlier is not None:
        return None
    raw = gps.get("raw") or f"{gps['lat']}, {gps['lon']}"
    g = Geolocation(
        clip_id=clip.id, latitude=float(gps["lat"]), longitude=float(gps["lon"]),
        precision_m=None, confidence="possible", method=METADATA_GPS,
        reasoning=(f"GPS tag in the file's metadata ({raw}). A tag can be wrong, stale or "
                   "forged: compare the picture with the place before confirming it."),
        coordinate_text=str(raw), evidence={}, origin="metadata", status="proposed",
        created_by=app.analyst,
    )  # fmt: skip
    session.add(g)
    session.flush()
    record_on_clip(app, session, _KIND, "geolocation.propose", g, clip,
                   {"geolocation": geolocation_json(g, clip)})  # fmt: skip
    return g


def edit_geolocation(
    app: App,
    geolocation_id: GeolocationId,
    *,
    expected_version: int | None = None,
    at: str | Sequence[float] | None = None,
    precision_m: float | None = None,
    confidence: str | None = None,
    method: str | None = None,
    reasoning: str | None = None,
    place: str | None = None,
    frames: Iterable[int] | None = None,
    annotations: Iterable[int] | None = None,
    add_references: Sequence[ReferenceImage] = (),
    figures: Iterable[int] | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """Change a finding; only what is given changes (frames, annotations and figures
    are replaced by the lists given; references are added). The log keeps before and after."""
    confidence = parse_confidence(confidence) if confidence is not None else None
    method = parse_method(method) if method is not None else None
    precision = _check_precision(precision_m) if precision_m is not None else None
    point = _point(at) if at is not None else None
    if status is not None and status not in ("proposed", "confirmed", "rejected"):
        raise VerifierError("status: use proposed, confirmed or rejected")
    with app.db.read() as session:
        g = check_finding(session, _KIND, geolocation_id, expected_version)
        clip = session.get(Clip, g.clip_id)
        assert clip is not None
        frame_list = _check_frames(clip, frames) if frames is not None else None
        note_list = (
            _check_annotations(session, clip, annotations) if annotations is not None else None
        )
        figure_list = _check_figures(session, figures) if figures is not None else None
        if reasoning is not None and not reasoning.strip() and g.origin == "manual":
            raise VerifierError("--reasoning: a person's finding needs its reasoning")
    staged = _preserve(app, add_references)
    with app.db.write() as session:
        g = check_finding(session, _KIND, geolocation_id, expected_version)
        clip = session.get(Clip, g.clip_id)
        assert clip is not None
        before = geolocation_json(g, clip)
        if point is not None:
            g.latitude, g.longitude, g.coordinate_text = point
        if precision is not None:
            g.precision_m = precision
        if confidence is not None:
            g.confidence = confidence
        if method is not None:
            g.method = method
        if reasoning is not None:
            g.reasoning = reasoning.strip()
        if place is not None:
            g.place = place.strip() or None
        evidence = dict(g.evidence or {})
        refs, files = _reference_rows(app, session, staged)
        for key, value in (("frames", frame_list), ("annotations", note_list),
                           ("figures", figure_list)):  # fmt: skip
            if value is not None:
                evidence[key] = value
        if refs:
            evidence["references"] = [*evidence.get("references", []), *refs]
        g.evidence = {k: v for k, v in evidence.items() if v}
        if status is not None:
            g.status = status
            if status == "rejected":
                g.confidence = "rejected"
        g.updated_at = utcnow()
        session.flush()
        after = geolocation_json(g, clip)
        action = "geolocation.edit"
        if status is not None and before["status"] != after["status"]:
            action = f"geolocation.{'confirm' if status == 'confirmed' else 'reject'}"
            if status == "proposed":
                action = "geolocation.edit"
        record_on_clip(
            app, session, _KIND, action, g, clip, {"before": before, "after": after}, files=files
        )
        return after


def confirm_geolocation(
    app: App, geolocation_id: GeolocationId, *, expected_version: int | None = None,
    confidence: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A person accepts a finding (a metadata GPS proposal becomes their finding)."""
    return edit_geolocation(app, geolocation_id, expected_version=expected_version,
                            status="confirmed", confidence=confidence)  # fmt: skip


def reject_geolocation(
    app: App, geolocation_id: GeolocationId, *, expected_version: int | None = None
) -> dict[str, Any]:
    """A person rejects a finding: its status and confidence become "rejected"; it stays on
    record (and a rejected metadata GPS tag is not proposed again)."""
    return edit_geolocation(app, geolocation_id, expected_version=expected_version,
                            status="rejected")  # fmt: skip


def delete_geolocation(
    app: App, geolocation_id: GeolocationId, *, expected_version: int | None = None
) -> None:
    """Withdraw a finding; the log keeps what it said. Reference images stay in the store."""
    with app.db.write() as session:
        g = check_finding(session, _KIND, geolocation_id, expected_version)
        clip = session.get(Clip, g.clip_id)
        assert clip is not None
        record_on_clip(app, session, _KIND, "geolocation.delete", g, clip,
                       {"deleted": geolocation_json(g, clip)}, deleted=True)  # fmt: skip
        session.delete(g)
