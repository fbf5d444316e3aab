"""Time-aligned clip matching: synthetic hash timelines, then real clips end to end."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from tests.helpers import PATTERNS, UNRELATED

from verifier.hashing.frames import FrameHashes
from verifier.hashing.match import Match, MatchParams, match_clips

ROOT = Path(__file__).resolve().parents[1]
SHARED_MEDIA = ROOT.parent / "shared" / "media"
THREATEXCHANGE = SHARED_MEDIA / "threatexchange"
FIXTURE_OUT = ROOT / "fixtures" / "out"
STEP = 0.2
RATE = 5.0

# --------------------------------------------------------------------------- synthetic


def _hashes(pdq: np.ndarray, seconds: np.ndarray, *, low_info: bool = False) -> FrameHashes:
    """FrameHashes for given PDQ rows; the pHash is derived from the PDQ's first 8 bytes."""
    n = pdq.shape[0]
    phash = pdq[:, :8].copy().view(">u8").reshape(n).astype(np.uint64)
    return FrameHashes(
        index=np.arange(n, dtype=np.int32) * 6,
        pts=np.arange(n, dtype=np.int64) * 6,
        seconds=seconds,
        phash=phash,
        pdq=pdq,
        quality=np.full(n, 100, dtype=np.uint8),
        low_info=np.full(n, low_info, dtype=bool),
        time_base="1/30",
        sample_rate=RATE,
    )


def _random_pdq(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def _noisy(rng: np.random.Generator, pdq: np.ndarray, bits: int) -> np.ndarray:
    """Flip ``bits`` random bits of each hash (a re-encode's effect on PDQ)."""
    out = np.unpackbits(pdq, axis=1)
    for row in out:
        flip = rng.choice(256, size=bits, replace=False)
        row[flip] ^= 1
    return np.packbits(out, axis=1)


def _clip(rng: np.random.Generator, seconds: float) -> FrameHashes:
    n = round(seconds / STEP)
    return _hashes(_random_pdq(rng, n), np.arange(n) * STEP)


def _derived(
    rng: np.random.Generator,
    a: FrameHashes,
    b_seconds: float,
    a_time_of: Callable[[float], float | None],
    noise: int = 10,
) -> FrameHashes:
    """A clip B whose sample at time t shows A at ``a_time_of(t)`` (None: other content).

    A's content is taken to change every sample (the hardest case for alignment:
    a frame looks like nothing else), so B shows A's nearest sample.
    """
    n = round(b_seconds / STEP)
    times = np.arange(n) * STEP
    pdq = _random_pdq(rng, n)
    for k, t in enumerate(times):
        source = a_time_of(float(t))
        if source is not None:
            row = round(source / STEP)
            if 0 <= row < len(a):
                pdq[k] = a.pdq[row]
    return _hashes(_noisy(rng, pdq, noise), times)


def test_shifted_copy_is_near_duplicate_at_the_offset() -> None:
    rng = np.random.default_rng(1)
    a = _clip(rng, 30.0)
    b = _derived(rng, a, 33.4, lambda t: t - 3.4 if t >= 3.4 else None)
    m = match_clips(a, b, a_duration=30.0, b_duration=33.4)
    assert m is not None
    assert m.offset == pytest.approx(3.4, abs=0.1)
    assert m.speed == 1.0
    assert m.relation == "excerpt"  # B has 3.4 s of other content before A
    assert m.variant == "full" and not m.mirrored
    assert len(m.segments) == 1 and m.segments[0].frames_matched >= 145
    assert m.score > 0.8


def test_trimmed_re_upload_is_near_duplicate() -> None:
    rng = np.random.default_rng(2)
    a = _clip(rng, 30.0)
    b = _derived(rng, a, 29.4, lambda t: t + 0.4)  # first 0.4 s trimmed, end cut short
    m = match_clips(a, b, a_duration=30.0, b_duration=29.4)
    assert m is not None
    assert m.relation == "near-duplicate"
    assert m.offset == pytest.approx(-0.4, abs=0.1)
    assert [p.a_seconds for p in m.pairs] == sorted(p.a_seconds for p in m.pairs)
    data = m.to_json()
    assert set(data) == {"relation", "score", "segments", "transform", "offset", "pairs"}
    assert data["transform"]["speed"] == 1.0 and data["transform"]["mirrored"] is False
    assert set(data["segments"][0]) == {"a_start", "a_end", "b_start", "b_end", "frames_matched"}


def test_middle_excerpt_reports_its_segment() -> None:
    rng = np.random.default_rng(3)
    a = _clip(rng, 50.0)
    b = _derived(rng, a, 20.0, lambda t: t + 15.0)  # A's 15-35 s: its middle 40 %
    m = match_clips(a, b, a_duration=50.0, b_duration=20.0)
    assert m is not None
    assert m.relation == "excerpt"
    assert m.offset == pytest.approx(-15.0, abs=0.1)
    (seg,) = m.segments
    assert seg.a_start == pytest.approx(15.0, abs=0.25)
    assert seg.a_end == pytest.approx(35.0, abs=0.25)
    assert seg.b_start == pytest.approx(0.0, abs=0.25)
    assert seg.b_end == pytest.approx(20.0, abs=0.25)


def test_compilation_gives_segments_at_one_offset() -> None:
    rng = np.random.default_rng(4)
    a = _clip(rng, 40.0)

    def shows(t: float) -> float | None:  # B shows A's 0-10 s and 25-40 s, 5 s apart
        if 2.0 <= t < 12.0:
            return t - 2.0
        if 27.0 <= t < 42.0:
            return t - 2.0
        return None

    b = _derived(rng, a, 45.0, shows)
    m = match_clips(a, b, a_duration=40.0, b_duration=45.0)
    assert m is not None
    assert m.offset == pytest.approx(2.0, abs=0.1)
    assert len(m.segments) == 2
    assert m.segments[0].a_end == pytest.approx(10.0, abs=0.25)
    assert m.segments[1].a_start == pytest.approx(25.0, abs=0.25)
    assert m.relation == "overlap"


@pytest.mark.parametrize(
    ("speed", "params"),
    [(1.1, MatchParams()), (0.8, MatchParams()), (1.25, MatchParams()),
     # Rarer speeds are not tried by default (they invite wrong alignments of
     # slowly changing footage) but can be asked for.
     (1.5, MatchParams(speeds=(1.0, 1.5)))],
)  # fmt: skip
def test_speed_change_is_found(speed: float, params: MatchParams) -> None:
    rng = np.random.default_rng(5)
    a = _clip(rng, 30.0)
    b = _derived(rng, a, 30.0 * speed + 1.0, lambda t: (t - 1.0) / speed if t >= 1.0 else None)
    m = match_clips(a, b, a_duration=30.0, b_duration=30.0 * speed + 1.0, params=params)
    assert m is not None
    assert m.speed == pytest.approx(speed, rel=0.02)
    assert m.offset == pytest.approx(1.0, abs=0.25)


def test_mirrored_variant_is_used_when_only_it_matches() -> None:
    rng = np.random.default_rng(6)
    a = _clip(rng, 20.0)
    mirrored = _clip(rng, 20.0)  # the hashes of A's flipped frames: unrelated bits
    b = _derived(rng, mirrored, 20.0, lambda t: t)
    assert match_clips(a, b, a_duration=20.0, b_duration=20.0) is None
    m = match_clips({"full": a, "mirrored": mirrored}, b, a_duration=20.0, b_duration=20.0)
    assert m is not None
    assert m.mirrored and m.variant == "mirrored"
    assert m.to_json()["transform"]["mirrored"] is True


def test_ties_between_variants_go_to_full() -> None:
    rng = np.random.default_rng(7)
    a = _clip(rng, 20.0)
    b = _derived(rng, a, 20.0, lambda t: t)
    m = match_clips({"center": a, "full": a}, b, a_duration=20.0, b_duration=20.0)
    assert m is not None and m.variant == "full"


def test_low_information_frames_never_match() -> None:
    rng = np.random.default_rng(8)
    pdq = _random_pdq(rng, 100)
    a = _hashes(pdq, np.arange(100) * STEP, low_info=True)
    b = _hashes(pdq.copy(), np.arange(100) * STEP, low_info=True)
    assert match_clips(a, b, a_duration=20.0, b_duration=20.0) is None
    low_quality = _hashes(pdq.copy(), np.arange(100) * STEP)
    low_quality.quality[:] = 20
    assert match_clips(a, low_quality, a_duration=20.0, b_duration=20.0) is None


def test_unrelated_random_clips_do_not_match() -> None:
    rng = np.random.default_rng(9)
    for _ in range(5):
        a = _clip(rng, 60.0)
        b = _clip(rng, 60.0)
        assert match_clips(a, b, a_duration=60.0, b_duration=60.0) is None


def test_static_background_without_alignment_does_not_match() -> None:
    """Every frame of both clips is the same background plus small changes: no offset wins."""
    rng = np.random.default_rng(10)
    background = _random_pdq(rng, 1)
    a = _hashes(_noisy(rng, np.repeat(background, 100, axis=0), 12), np.arange(100) * STEP)
    b = _hashes(_noisy(rng, np.repeat(background, 100, axis=0), 12), np.arange(100) * STEP)
    assert match_clips(a, b, a_duration=20.0, b_duration=20.0) is None


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        MatchParams(speeds=())
    with pytest.raises(ValueError):
        MatchParams(min_pairs=1)
    with pytest.raises(ValueError):
        match_clips({}, _clip(np.random.default_rng(0), 2.0), a_duration=2.0, b_duration=2.0)


def test_two_300_sample_clips() -> None:  # timed by benchmarks/hot_paths.py
    rng = np.random.default_rng(11)
    a = _clip(rng, 60.0)
    b = _derived(rng, a, 60.0, lambda t: t - 5.0 if t >= 5.0 else None)
    m = match_clips(a, b, a_duration=60.0, b_duration=60.0)
    assert m is not None


# --------------------------------------------------------------------------- real clips

_BARS = (
    "full-frame hashes of the HD original vs an SD copy with letterbox bars differ by 72-114 "
    "bits; the bars-removed view finds them (tests/test_matching.py)"
)
# With full-frame hashes only the HD pair and the three SD (barred) copies find each other.
PATTERN_PAIRS = [
    pytest.param(a, b, marks=pytest.mark.xfail(strict=True, reason=_BARS))
    if (a.startswith("pattern-sd") != b.startswith("pattern-sd"))
    else pytest.param(a, b)
    for k, a in enumerate(PATTERNS)
    for b in PATTERNS[k + 1 :]
]


def _duration(analysis: object) -> float:
    """Clip length in seconds from the decoded frames' timestamps (last frame included)."""
    pts = analysis.frame_pts  # type: ignore[attr-defined]
    base = Fraction(analysis.time_base)  # type: ignore[attr-defined]
    step = float(np.median(np.diff(pts))) if pts.size > 1 else 0.0
    return float((int(pts[-1]) - int(pts[0]) + step) * base)


Clip = tuple[FrameHashes, float]


@pytest.fixture(scope="session")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Clip]:
    """Analyse each file once per session: (hashes, duration)."""
    from verifier.analysis.pipeline import analyse_video

    cache: dict[Path, Clip] = {}

    def get(path: Path) -> Clip:
        if path not in cache:
            analysis = analyse_video(path)
            cache[path] = (analysis.hashes, _duration(analysis))
        return cache[path]

    return get


@pytest.fixture(scope="session")
def media() -> Path:
    if not THREATEXCHANGE.is_dir():
        pytest.skip(f"real media folder not present at {SHARED_MEDIA}")
    return THREATEXCHANGE


@pytest.fixture(scope="session")
def fixture_clip() -> Callable[[str], Path]:
    from fixtures.make_fixtures import make

    def get(name: str) -> Path:
        return make(name, FIXTURE_OUT)

    return get


@pytest.fixture(scope="session")
def ffmpeg_clip(
    fixture_clip: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, list[str]], Path]:
    """Re-encode cut.mp4 with extra FFmpeg arguments into a session temp folder."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("match")
    made: dict[str, Path] = {}

    def get(name: str, args: list[str]) -> Path:
        if name not in made:
            out = folder / name
            source = fixture_clip("cut.mp4")
            cmd = ["ffmpeg", "-y", "-loglevel", "error", *args[:2], "-i", str(source)]
            subprocess.run([*cmd, *args[2:], str(out)], check=True)
            made[name] = out
        return made[name]

    return get


def _match(analysed: Callable[[Path], Clip], a: Path, b: Path) -> Match | None:
    ha, da = analysed(a)
    hb, db = analysed(b)
    return match_clips(ha, hb, a_duration=da, b_duration=db)


@pytest.mark.parametrize(("a", "b"), PATTERN_PAIRS)
def test_pattern_variants_match(
    media: Path, analysed: Callable[[Path], Clip], a: str, b: str
) -> None:
    m = _match(analysed, media / a, media / b)
    summary = "none" if m is None else f"{m.relation} offset={m.offset:+.3f} score={m.score:.2f}"
    print(f"\n{a} -> {b}: {summary}")
    assert m is not None
    assert m.speed == 1.0
    # All five start at the same frame of the pattern (pattern-longer only runs on longer).
    assert m.offset == pytest.approx(0.0, abs=0.1)
    assert m.relation in {"near-duplicate", "excerpt"}
    if "longer" in a or "longer" in b:
        assert m.relation == "excerpt"


@pytest.mark.parametrize("unrelated", UNRELATED)
def test_unrelated_real_clips_match_nothing(
    media: Path, analysed: Callable[[Path], Clip], unrelated: str
) -> None:
    for other in [*PATTERNS, *UNRELATED]:
        if other == unrelated:
            continue
        assert _match(analysed, media / unrelated, media / other) is None, other
        assert _match(analysed, media / other, media / unrelated) is None, other


def test_same_fixed_camera_different_footage_does_not_match(
    fixture_clip: Callable[[str], Path], analysed: Callable[[Path], Clip]
) -> None:
    a, b = fixture_clip("static_a.mp4"), fixture_clip("static_b.mp4")
    assert _match(analysed, a, b) is None
    assert _match(analysed, b, a) is None


def test_black_matches_nothing(
    fixture_clip: Callable[[str], Path], analysed: Callable[[Path], Clip]
) -> None:
    black = fixture_clip("black.mp4")
    for other in ["cut.mp4", "fade.mp4", "static_a.mp4", "black.mp4"]:
        assert _match(analysed, black, fixture_clip(other)) is None, other
        assert _match(analysed, fixture_clip(other), black) is None, other


def test_cut_excerpt_found_at_its_offset(
    fixture_clip: Callable[[str], Path],
    ffmpeg_clip: Callable[[str, list[str]], Path],
    analysed: Callable[[Path], Clip],
) -> None:
    excerpt = ffmpeg_clip("cut_excerpt.mp4", ["-ss", "1.3", "-t", "2", "-an"])
    m = _match(analysed, fixture_clip("cut.mp4"), excerpt)
    assert m is not None
    print(f"\ncut.mp4 -> excerpt: {m.relation} offset={m.offset:+.3f} score={m.score:.2f}")
    assert m.relation == "excerpt"
    assert m.speed == 1.0
    assert m.offset == pytest.approx(-1.3, abs=0.25)
    reverse = _match(analysed, excerpt, fixture_clip("cut.mp4"))
    assert reverse is not None and reverse.offset == pytest.approx(1.3, abs=0.25)


def test_mirrored_re_encode_needs_a_mirrored_variant(
    fixture_clip: Callable[[str], Path],
    ffmpeg_clip: Callable[[str, list[str]], Path],
    analysed: Callable[[Path], Clip],
) -> None:
    flipped = ffmpeg_clip("cut_hflip.mp4", ["-ss", "0", "-vf", "hflip", "-an"])
    full, duration = analysed(fixture_clip("cut.mp4"))
    hb, db = analysed(flipped)
    assert match_clips(full, hb, a_duration=duration, b_duration=db) is None
    # What the analysis will compute later: A's frames flipped (here: the flipped file itself).
    mirrored, _ = analysed(flipped)
    m = match_clips({"full": full, "mirrored": mirrored}, hb, a_duration=duration, b_duration=db)
    assert m is not None
    assert m.mirrored and m.variant == "mirrored"
    assert m.relation == "near-duplicate"
    assert m.offset == pytest.approx(0.0, abs=0.1)
