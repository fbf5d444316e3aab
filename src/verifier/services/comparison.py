"""Two clips compared: the stored time map and the relation in words.

A relation from :func:`verifier.services.matching.list_matches` (seen from
clip A, with ``explain=True`` for its frame pairs) maps A's clip time to B's:
``b_time = speed * a_time + offset``, B possibly mirrored. The comparison
window and the CLI both ask this module which B frame belongs to an A frame
and how to say what the relation is, so the two never disagree.

Any two clips can be compared, not only matched ones: :func:`comparison_of`
gives the stored relation when there is one, else an *unrelated* comparison
(no relation kind, no frame pairs, the identity map: offset 0, speed 1) that
a person aligns by eye.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from verifier.errors import VerifierError
from verifier.ids import ClipId
from verifier.services.context import App
from verifier.services.lookup import find_clip
from verifier.services.matching import list_matches
from verifier.services.viewing import ClipView, format_seconds

#: Slack for float rounding when deciding whether a time lies outside clip B, and
#: when two candidate B frames are equally near (the earlier, on screen, wins).
_TOLERANCE = 1e-6

#: A gap between A's moment and B's frame below this is shown as none (the
#: readouts print milliseconds).
_GAP_SHOWN = 0.0005


def signed_seconds(value: float) -> str:
    """``+1.275 s`` / ``−1.275 s``; a value that rounds to zero has no sign."""
    if abs(value) < 0.0005:
        return "0.000 s"
    return f"{'+' if value > 0 else '−'}{abs(value):.3f} s"


def signed_time(seconds: float) -> str:
    """A clip time that may lie before the clip's start (``−00:00:01.000``)."""
    return f"−{format_seconds(-seconds)}" if seconds < -0.0005 else format_seconds(max(seconds, 0))


def short_number(value: float) -> str:
    """A speed or factor with four significant digits (``1.25``, ``1``)."""
    return f"{value:.4g}"


def describe_offset(offset: float, speed: float) -> str:
    """The time map in words, e.g. ``B time = A time − 1.275 s (B's start is A at 1.275 s)``."""
    speed = speed or 1.0
    scale = "" if abs(speed - 1.0) < 1e-9 else f"{short_number(speed)} × "
    if abs(offset) < 0.0005:
        return f"B time = {scale}A time (both start together)"
    sign = "+" if offset > 0 else "−"
    mapped = f"B time = {scale}A time {sign} {abs(offset):.3f} s"
    if offset < 0:
        # B's frame 0 shows what A shows at -offset / speed.
        return f"{mapped} (B starts at A {format_seconds(-offset / speed)})"
    return f"{mapped} (A starts at B {format_seconds(offset)})"


def describe_relation(
    relation: dict[str, Any], a_duration: float | None = None, b_duration: float | None = None
) -> str:
    """One sentence for the relation, with which clip lies in which when known."""
    kind = relation.get("relation", "")
    if not is_related(relation):
        return "No stored relation between A and B: step each on its own and align them by eye"
    if kind == "exact-duplicate":
        return "A and B are the same file (identical SHA-256)"
    if kind == "near-duplicate":
        return "B is a re-upload of A (each covers the other)"
    if kind == "overlap":
        return "A and B share a segment (an overlap)"
    if kind == "excerpt":
        if a_duration is not None and b_duration is not None and b_duration > a_duration:
            return "A is an excerpt of B"
        return "B is an excerpt of A"
    return f"relation: {kind}"


def is_related(relation: dict[str, Any]) -> bool:
    """Whether a comparison rests on a stored relation (else it is aligned by eye)."""
    return bool(relation.get("relation"))


def comparison_of(app: App, clip_a: ClipId, clip_b: ClipId) -> dict[str, Any]:
    """What the comparison window needs for any two clips, seen from ``clip_a``.

    The stored relation between them (with its frame pairs) when the matcher
    found one; otherwise the same shape with ``relation`` None, no segments or
    pairs and the identity time map (offset 0, speed 1, not mirrored), so the
    window opens unlinked and a person aligns the two by eye.
    """
    if int(clip_a) == int(clip_b):
        raise VerifierError(f"clip B: choose a clip other than A (#{int(clip_a)})")
    for relation in list_matches(app, clip_id=clip_a, explain=True):
        if int(relation["clip_b"]["id"]) == int(clip_b):
            return relation
    with app.db.read() as session:
        refs = []
        for side, clip_id in (("A", clip_a), ("B", clip_b)):
            try:
                clip = find_clip(session, ClipId(int(clip_id)))
            except VerifierError as exc:
                raise VerifierError(f"clip {side}: {exc}") from None
            refs.append(
                {"id": clip.id, "sha256": clip.file.sha256, "name": clip.name,
                 "case": clip.case.name}
            )  # fmt: skip
    return {
        "clip_a": refs[0],
        "clip_b": refs[1],
        "relation": None,
        "score": None,
        "segments": [],
        "transform": {"mirrored": False, "speed": 1.0},
        "offset": 0.0,
        "origin": None,
        "pairs": [],
    }


@dataclass(frozen=True)
class TimeMap:
    """How A's clip time maps onto B's: ``b = speed * a + offset``, B maybe mirrored."""

    speed: float = 1.0
    offset: float = 0.0
    mirrored: bool = False

    @classmethod
    def of(cls, relation: dict[str, Any]) -> TimeMap:
        """The stored time map of a relation (speed 1 and offset 0 when not recorded)."""
        transform = relation.get("transform") or {}
        return cls(
            speed=float(transform.get("speed") or 1.0),
            offset=float(relation.get("offset") or 0.0),
            mirrored=bool(transform.get("mirrored", False)),
        )

    def b_seconds(self, view_a: ClipView, a_index: int) -> float:
        """B's clip time for A's frame ``a_index``."""
        return self.speed * view_a.seconds_of(a_index) + self.offset

    def b_index(self, view_a: ClipView, view_b: ClipView, a_index: int) -> int:
        """The B frame nearest A's frame's mapped time, on B's own timeline.

        Nearest, not the one on screen at that moment: with an offset of
        −0.003 s the frame on screen is the one before (B 41 for A 42), while
        B's frame 42 starts only 3 ms later and shows the same moment.
        """
        return nearest_index(view_b, self.b_seconds(view_a, a_index))


def nearest_index(view: ClipView, seconds: float) -> int:
    """The frame of ``view`` whose exact start time is nearest ``seconds``.

    Uses the clip's own frame times (its frame table), so variable frame
    rates are handled; an exact tie (half a frame) goes to the earlier frame,
    the one on screen at that moment. Outside the clip, its first or last frame.
    """
    on_screen = view.index_at(seconds)
    later = view.clamp(on_screen + 1)
    if later == on_screen:
        return on_screen
    before = abs(seconds - view.seconds_of(on_screen))
    after = abs(view.seconds_of(later) - seconds)
    return later if after < before - _TOLERANCE else on_screen


def describe_gap(view_b: ClipView, b_index: int, b_seconds: float) -> str:
    """Say when B's nearest frame does not start exactly at A's mapped moment.

    E.g. ``B frame 42 is the nearest, 0.003 s from A's moment``; empty when the
    two frames line up (within half a millisecond) or the moment lies outside B.
    """
    if is_outside(view_b, b_seconds):
        return ""
    gap = view_b.seconds_of(b_index) - b_seconds
    if abs(gap) < _GAP_SHOWN:
        return ""
    side = "later" if gap > 0 else "earlier"
    return f"B frame {b_index} is the nearest, {abs(gap):.3f} s from A's moment (it starts {side})"


def clip_end(view: ClipView) -> float:
    """Where a clip's last frame stops being on screen (one frame past its start)."""
    step = 1.0 / float(view.fps) if view.fps else 0.0
    return max(view.seconds_of(view.last_index) + step, 0.0)


def is_outside(view: ClipView, seconds: float) -> bool:
    """Whether a clip time lies before the clip starts or after it ends."""
    return seconds < -_TOLERANCE or seconds > clip_end(view) + _TOLERANCE


def sorted_pairs(relation: dict[str, Any]) -> list[dict[str, Any]]:
    """The matched frame pairs of a relation, by A time then B time."""
    return sorted(
        relation.get("pairs") or [],
        key=lambda p: (float(p.get("a_seconds", 0.0)), float(p.get("b_seconds", 0.0))),
    )


def pair_indexes(
    pair: dict[str, Any], view_a: ClipView, view_b: ClipView | None
) -> tuple[int, int]:
    """A's and B's frame of a matched pair (B's is 0 while B is not loaded)."""
    a = pair.get("a_index")
    b = pair.get("b_index")
    a_index = view_a.clamp(int(a)) if a is not None else nearest_index(view_a, pair["a_seconds"])
    if view_b is None:
        return a_index, 0
    b_index = view_b.clamp(int(b)) if b is not None else nearest_index(view_b, pair["b_seconds"])
    return a_index, b_index


def start_index(relation: dict[str, Any], view_a: ClipView) -> int:
    """Where A opens: the first matched pair, else the first segment, else frame 0."""
    pairs = sorted_pairs(relation)
    if pairs:
        return pair_indexes(pairs[0], view_a, None)[0]
    segments = relation.get("segments") or []
    if segments:
        return view_a.index_at(min(float(s["a_start"]) for s in segments))
    return 0
