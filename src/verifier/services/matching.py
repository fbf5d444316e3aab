"""Find re-uploads and excerpts of every clip across the whole library.

After a clip is analysed, its sampled frame hashes are looked up in an index
over every stored frame hash (all cases), the clips with enough hits are
aligned in time against it, and the relations found are stored as automatic
clip links with status "proposed" (replacing the clip's previous proposals)
with a custody event. A link a person confirmed or rejected is never replaced:
a rejected re-upload stays rejected however often matching runs. Exact copies
(same SHA-256 in several cases) are linked without looking at pixels.

The index lives in memory, per process, and is brought up to date from the
database before each query, so clips added or deleted by another process
are seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from verifier.analysis.pipeline import HASH_ALGORITHM, analyse_video, hash_algorithm
from verifier.db.models import Clip, ClipLink, FrameHashSet, StoredFile
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.evidence.store import open_source, sha256_file
from verifier.hashing.frames import FrameHashes
from verifier.hashing.index import FrameHashIndex
from verifier.hashing.match import Match, match_clips
from verifier.ids import ClipId
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.links import link_type

MAX_CANDIDATES = 50
"""Clips aligned per query, the ones sharing the most frames first."""
RELATIONS = ("exact-duplicate", "near-duplicate", "excerpt", "overlap")
INDEXED_VIEWS = ("", "content", "center")
"""Views of each clip kept in the index. Queries use these and ``mirrored``:
a mirrored copy is found from either side by the query's mirrored view, while
bars, logos and crops need the stored clip's normalised views too, because the
clip with the bars may be the one imported first."""
_SLOTS = len(INDEXED_VIEWS)


@dataclass(frozen=True)
class StoredViews:
    """A clip's hashes as analysis just computed and stored them.

    ``views`` holds "full" and the normalised views by name; ``set_ids`` the
    id of the stored hash set of each, so the index can take the hashes from
    memory and still know it is up to date with the database.
    """

    views: dict[str, FrameHashes]
    set_ids: dict[str, int]


@dataclass
class _IndexState:
    index: FrameHashIndex = field(default_factory=FrameHashIndex)
    versions: dict[int, int] = field(default_factory=dict)  # index key -> hash set id


def _state(app: App) -> _IndexState:
    """The index belongs to the opened application (one database, one process)."""
    state = app.caches.get("frame-hash-index")
    if not isinstance(state, _IndexState):
        state = app.caches["frame-hash-index"] = _IndexState()
    return state


def _key(clip_id: int, view: str) -> int:
    return clip_id * _SLOTS + INDEXED_VIEWS.index(view)


def refresh_index(app: App, session: Session) -> FrameHashIndex:
    """Bring the in-memory index in line with the stored hash sets (all cases)."""
    state = _state(app)
    views = {hash_algorithm(v): v for v in INDEXED_VIEWS}
    rows = session.execute(
        select(FrameHashSet.clip_id, FrameHashSet.algorithm, FrameHashSet.id).where(
            FrameHashSet.algorithm.in_(views)
        )
    ).all()
    current = {_key(clip_id, views[algorithm]): set_id for clip_id, algorithm, set_id in rows}
    for key in set(state.versions) - set(current):
        state.index.remove(key)
        del state.versions[key]
    stale = {set_id: key for key, set_id in current.items() if state.versions.get(key) != set_id}
    ids = list(stale)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for hash_set in session.scalars(select(FrameHashSet).where(FrameHashSet.id.in_(chunk))):
            key = stale[hash_set.id]
            state.index.add(key, FrameHashes.from_bytes(hash_set.data))
            state.versions[key] = hash_set.id
    return state.index


def load_views(session: Session, clip_id: int) -> dict[str, FrameHashes]:
    """A clip's stored hashes: "full" and its normalised views."""
    views: dict[str, FrameHashes] = {}
    for algorithm, blob in session.execute(
        select(FrameHashSet.algorithm, FrameHashSet.data).where(FrameHashSet.clip_id == clip_id)
    ):
        if algorithm == HASH_ALGORITHM:
            views["full"] = FrameHashes.from_bytes(blob)
        elif algorithm.startswith(HASH_ALGORITHM + "/"):
            views[algorithm.split("/", 1)[1]] = FrameHashes.from_bytes(blob)
    return views


def _duration(clip: Clip | None, hashes: FrameHashes) -> float:
    if clip is not None and clip.duration:
        return float(clip.duration)
    if len(hashes) and hashes.sample_rate:
        return float(hashes.seconds[-1]) + 1.0 / hashes.sample_rate
    return 0.0


def best_match(
    a: dict[str, FrameHashes], b: dict[str, FrameHashes], a_duration: float, b_duration: float
) -> Match | None:
    """The strongest alignment between any view of A and B's frames or normalised views."""
    best: Match | None = None
    for view in ("full", "content", "center"):
        if view not in b:
            continue
        match = match_clips(a, b[view], a_duration=a_duration, b_duration=b_duration)
        if match is not None and (best is None or match.score > best.score):
            best = match
    return best


def find_matches(
    session: Session, index: FrameHashIndex, views: dict[str, FrameHashes], duration: float,
    *, exclude: set[int],
) -> list[tuple[int, Match]]:  # fmt: skip
    """Align a clip's views against the library's best candidate clips."""
    excluded = {_key(c, v) for c in exclude for v in INDEXED_VIEWS}
    hits: dict[int, int] = {}
    for view in views.values():
        result = index.query(view, exclude=excluded)
        for key in result.candidates():
            clip_id = key // _SLOTS
            hits[clip_id] = max(hits.get(clip_id, 0), result.frames_hit(key))
    ranked = sorted(hits, key=lambda c: -hits[c])[:MAX_CANDIDATES]
    found: list[tuple[int, Match]] = []
    for candidate_id in ranked:
        other = session.get(Clip, candidate_id)
        other_views = load_views(session, candidate_id)
        if "full" not in other_views:
            continue
        match = best_match(views, other_views, duration, _duration(other, other_views["full"]))
        if match is not None:
            found.append((candidate_id, match))
    return found


def _seed_index(app: App, clip_id: ClipId, fresh: StoredViews) -> None:
    """Index a clip's just-stored hashes from memory, as the next refresh would load them."""
    state = _state(app)
    for view in INDEXED_VIEWS:
        name = view or "full"
        if name in fresh.set_ids:
            key = _key(clip_id, view)
            state.index.add(key, fresh.views[name])
            state.versions[key] = fresh.set_ids[name]


def match_clip(app: App, clip_id: ClipId, fresh: StoredViews | None = None) -> int:
    """Recompute the automatic links of one clip; return how many were found.

    ``fresh`` are the clip's hashes as analysis has just stored them: then
    they are used as they are instead of being read back from the database.
    The index is brought up to date from the database for every other clip.
    """
    if fresh is not None:
        _seed_index(app, clip_id, fresh)
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        if clip is None:
            raise VerifierError(f"no clip with id {clip_id}")
        views = fresh.views if fresh is not None else load_views(session, clip_id)
        twins = [
            c.id for c in session.scalars(
                select(Clip).where(Clip.file_id == clip.file_id, Clip.id != clip_id)
            )
        ]  # fmt: skip
        matches: list[tuple[int, Match]] = []
        if "full" in views and len(views["full"]):
            index = refresh_index(app, session)
            matches = find_matches(
                session, index, views, _duration(clip, views["full"]), exclude={clip_id, *twins}
            )
        case_id = clip.case_id
    with app.db.write() as session:
        # Proposals are replaced; a link a person confirmed or rejected stays as
        # they left it, and suppresses the same proposal from coming back.
        replaced = list(session.scalars(select(ClipLink).where(
            ClipLink.origin == "auto", ClipLink.status == "proposed",
            or_(ClipLink.clip_a_id == clip_id, ClipLink.clip_b_id == clip_id),
        )))  # fmt: skip
        for old in replaced:
            session.delete(old)
        session.flush()
        decided = {
            (frozenset((d.clip_a_id, d.clip_b_id)), link_type(d.relation))
            for d in session.scalars(select(ClipLink).where(
                or_(ClipLink.clip_a_id == clip_id, ClipLink.clip_b_id == clip_id)
            ))
        }  # fmt: skip
        links = [ClipLink(
            clip_a_id=clip_id, clip_b_id=twin, relation="exact-duplicate", origin="auto",
            score=1.0, offset_seconds=0.0, rationale="identical bytes (same SHA-256)",
            details={"segments": [], "transform": {"mirrored": False, "speed": 1.0}},
            created_by=app.analyst,
        ) for twin in twins
          if (frozenset((clip_id, twin)), "re-upload") not in decided]  # fmt: skip
        for other_id, match in matches:
            doc = match.to_json()
            if (frozenset((clip_id, other_id)), link_type(match.relation)) in decided:
                continue
            links.append(ClipLink(
                clip_a_id=clip_id, clip_b_id=other_id, relation=match.relation, origin="auto",
                score=match.score, offset_seconds=match.offset,
                rationale=f"{len(match.pairs)} frame pairs aligned at a consistent offset",
                details=doc, created_by=app.analyst,
            ))  # fmt: skip
        session.add_all(links)
        custody.record(
            session,
            actor=app.analyst,
            action="match",
            target_type="clip",
            target_id=clip_id,
            case_id=case_id,
            details={
                "exact_duplicates": twins,
                "matches": [
                    {"clip": other, "relation": m.relation, "score": round(m.score, 4),
                     "offset": round(m.offset, 3)}
                    for other, m in matches
                ],
            },
            items=links,
            deleted=replaced,
        )  # fmt: skip
    return len(twins) + len(matches)


def _clip_ref(clip: Clip) -> dict[str, Any]:
    return {"id": clip.id, "sha256": clip.file.sha256, "name": clip.name, "case": clip.case.name}


def _flip(details: dict[str, Any]) -> dict[str, Any]:
    """The same relation seen from the other clip: swap sides, invert the time map."""
    speed = float(details.get("transform", {}).get("speed", 1.0)) or 1.0
    offset = float(details.get("offset", 0.0))
    segments = [
        {"a_start": s["b_start"], "a_end": s["b_end"], "b_start": s["a_start"],
         "b_end": s["a_end"], "frames_matched": s["frames_matched"]}
        for s in details.get("segments", [])
    ]  # fmt: skip
    pairs = [{**p, "a_seconds": p["b_seconds"], "b_seconds": p["a_seconds"],
              "a_index": p.get("b_index"), "b_index": p.get("a_index")}
             for p in details.get("pairs", [])]  # fmt: skip
    return {
        **details,
        "segments": segments,
        "pairs": pairs,
        "offset": -offset / speed,
        "transform": {**details.get("transform", {}), "speed": 1.0 / speed},
    }


def relation_json(link: ClipLink, a: Clip, b: Clip, *, explain: bool = False) -> dict[str, Any]:
    """The documented JSON of one relation, from ``a``'s point of view."""
    details = dict(link.details or {})
    if link.clip_a_id != a.id:
        details = _flip(details)
    doc: dict[str, Any] = {
        "clip_a": _clip_ref(a),
        "clip_b": _clip_ref(b),
        "relation": link.relation,
        "score": link.score,
        "segments": details.get("segments", []),
        "transform": details.get("transform", {"mirrored": False, "speed": 1.0}),
        "offset": details.get("offset", link.offset_seconds),
        "origin": link.origin,
        "status": link.status,
        "link_id": link.id,
    }
    if explain:
        doc["pairs"] = details.get("pairs", [])
    return doc


def list_matches(
    app: App,
    *,
    case: CaseRecord | None = None,
    clip_id: ClipId | None = None,
    explain: bool = False,
) -> list[dict[str, Any]]:
    """Stored relations, of one clip (as clip_a) or among a case's clips."""
    with app.db.read() as session:
        query = select(ClipLink).where(
            ClipLink.relation.in_(RELATIONS), ClipLink.status != "rejected"
        )
        if clip_id is not None:
            query = query.where(or_(ClipLink.clip_a_id == clip_id, ClipLink.clip_b_id == clip_id))
        out = []
        for link in session.scalars(query.order_by(ClipLink.id)):
            a, b = session.get(Clip, link.clip_a_id), session.get(Clip, link.clip_b_id)
            if a is None or b is None:
                continue
            if clip_id is not None and a.id != clip_id:
                a, b = b, a
            if case is not None and case.id not in (a.case_id, b.case_id):
                continue
            out.append(relation_json(link, a, b, explain=explain))
        return out


def clusters(app: App, case: CaseRecord | None = None) -> list[dict[str, Any]]:
    """Groups of clips that are the same footage (connected by any relation)."""
    relations = list_matches(app, case=case)
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in relations:
        parent[root(r["clip_a"]["id"])] = root(r["clip_b"]["id"])
    groups: dict[int, list[dict[str, Any]]] = {}
    members: dict[int, dict[int, dict[str, Any]]] = {}
    for r in relations:
        key = root(r["clip_a"]["id"])
        groups.setdefault(key, []).append(r)
        for side in ("clip_a", "clip_b"):
            members.setdefault(key, {})[r[side]["id"]] = r[side]
    ordered = sorted(groups, key=lambda k: min(members[k]))
    return [
        {"cluster": n + 1, "members": sorted(members[k].values(), key=lambda m: m["id"]),
         "relations": groups[k]}
        for n, k in enumerate(ordered)
    ]  # fmt: skip


def match_file(app: App, path: Path) -> list[dict[str, Any]]:
    """Check a file that is not imported against the library; nothing is stored."""
    open_source(path)
    sha = sha256_file(path)
    analysis = analyse_video(path)
    views = {"full": analysis.hashes, **analysis.variants}
    duration = _duration(None, analysis.hashes)
    with app.db.read() as session:
        twins = list(session.scalars(
            select(Clip).join(StoredFile, Clip.file_id == StoredFile.id).where(
                StoredFile.sha256 == sha
            )
        ))  # fmt: skip
        index = refresh_index(app, session)
        matches = find_matches(session, index, views, duration, exclude={c.id for c in twins})
        file_ref = {"id": None, "sha256": sha, "name": path.name}
        out = [
            {"clip_a": file_ref, "clip_b": _clip_ref(c), "relation": "exact-duplicate",
             "score": 1.0, "segments": [], "transform": {"mirrored": False, "speed": 1.0},
             "offset": 0.0}
            for c in twins
        ]  # fmt: skip
        for other_id, match in matches:
            other = session.get(Clip, other_id)
            assert other is not None
            doc = match.to_json()
            out.append({"clip_a": file_ref, "clip_b": _clip_ref(other), **doc})
    return out
