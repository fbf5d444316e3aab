"""Audio sync (offset, confidence, refusals, figure, link) and loud transients."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fixtures.sync_pairs import PAIRS, PairSpec, build_pair
from scipy import signal
from sqlalchemy import select

from verifier.analysis.sync import SYNC_RATE, SyncSettings, estimate_offset, read_sound
from verifier.analysis.transients import transients
from verifier.cli.main import cli
from verifier.db.models import ClipLink, CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.ids import ClipId
from verifier.services import cases, links
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.sync import ROLE_SYNC_FIGURE, candidate_markers, sync_clips
from verifier.tools import ffmpeg_exe

R = SYNC_RATE
TOLERANCE = 0.020  # seconds: what the offsets must meet (measured errors are ~0.1 ms)


# ----------------------------------------------------------------------------- generated sound


def _scene(seconds: float, seed: int) -> np.ndarray:
    """An incident's sound: irregular bursts and knocks over a murmur, as a shared source."""
    rng = np.random.default_rng(seed)
    n = int(seconds * R)
    out = rng.normal(0, 0.01, n)
    t = 0.1
    while t < seconds - 0.1:
        i, length = int(t * R), int(rng.uniform(0.02, 0.2) * R)
        length = min(length, n - i)
        decay = np.exp(-np.arange(length) / (rng.uniform(0.005, 0.05) * R))
        out[i : i + length] += rng.normal(0, rng.uniform(0.05, 0.4), length) * decay
        t += rng.uniform(0.15, 0.9)
    return out


def _second_camera(scene: np.ndarray, start: float, length: float, seed: int) -> np.ndarray:
    """The same scene through another microphone: band-limited, quieter, noisier."""
    rng = np.random.default_rng(seed)
    cut = scene[int(start * R) : int((start + length) * R)]
    sos = signal.butter(4, [400, 3000], "bandpass", fs=R, output="sos")
    return 0.2 * signal.sosfilt(sos, cut) + rng.normal(0, 0.01, len(cut))


def test_offset_of_a_generated_pair_is_exact_and_confident() -> None:
    scene = _scene(20.0, 1)
    a = scene[int(2.0 * R) : int(14.0 * R)]  # A starts at scene time 2.0
    b = _second_camera(scene, 4.4, 12.0, 2)  # B starts at scene time 4.4
    result = estimate_offset(a, b)
    # An event at scene time s: a_time = s - 2.0, b_time = s - 4.4: offset -2.4.
    assert result.offset == pytest.approx(-2.4, abs=0.002)
    assert result.confidence == "confident"
    assert result.refined
    flipped = estimate_offset(b, a)
    assert flipped.offset == pytest.approx(2.4, abs=0.002)


def test_unrelated_generated_sounds_have_no_confident_offset() -> None:
    result = estimate_offset(_scene(12.0, 3), _scene(12.0, 4))
    assert result.confidence == "none"
    assert result.offset is None
    assert result.best_offset is not None  # still drawn in the figure


def test_max_offset_limits_the_search() -> None:
    scene = _scene(20.0, 5)
    a, b = scene[: 12 * R], scene[int(5.0 * R) : int(17.0 * R)]  # true offset -5
    assert estimate_offset(a, b).offset == pytest.approx(-5.0, abs=0.002)
    limited = estimate_offset(a, b, settings=SyncSettings(max_offset=3.0))
    assert np.abs(limited.lags).max() <= 3.0
    assert limited.offset is None or abs(limited.offset + 5.0) > 1  # the truth was not searched


def test_silence_and_short_overlap_are_refused() -> None:
    scene = _scene(10.0, 6)
    with pytest.raises(VerifierError, match="B: the sound track is silent"):
        estimate_offset(scene, np.zeros(5 * R))
    with pytest.raises(VerifierError, match=r"overlap too short: B has only 1\.50 s"):
        estimate_offset(scene, scene[: int(1.5 * R)])
    with pytest.raises(VerifierError, match="--max-offset"):
        estimate_offset(scene, scene, settings=SyncSettings(max_offset=0))


# ----------------------------------------------------------------------------- real recordings


@pytest.fixture(scope="session")
def pair_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sync-pairs")


def _estimate(spec: PairSpec, media: Path, out: Path) -> tuple[float | None, str]:
    a_path, b_path = build_pair(spec, media, out)
    result = estimate_offset(read_sound(a_path, label="A"), read_sound(b_path, label="B"))
    return result.offset, result.confidence


RELATED = [p for p in PAIRS if p.b_source is None and not p.name.startswith("box")]
PERIODIC = [p for p in PAIRS if p.b_source is None and p.name.startswith("box")]
UNRELATED = [p for p in PAIRS if p.b_source is not None]


@pytest.mark.parametrize("spec", RELATED, ids=lambda p: p.name)
def test_real_pairs_are_synchronised_within_20_ms(
    spec: PairSpec, shared_media: Path, pair_dir: Path
) -> None:
    offset, confidence = _estimate(spec, shared_media, pair_dir)
    assert confidence == "confident"
    assert offset is not None and abs(offset - spec.offset) <= TOLERANCE, (offset, spec.offset)


@pytest.mark.parametrize("spec", PERIODIC, ids=lambda p: p.name)
def test_a_periodic_soundtrack_is_never_confidently_wrong(
    spec: PairSpec, shared_media: Path, pair_dir: Path
) -> None:
    """box.mp4's sound repeats every ~0.2 s: several lags fit; saying so is the right answer."""
    offset, confidence = _estimate(spec, shared_media, pair_dir)
    if confidence == "confident":
        assert offset is not None and abs(offset - spec.offset) <= TOLERANCE
    else:
        assert offset is None or abs(offset - spec.offset) <= TOLERANCE or confidence == "weak"


@pytest.mark.parametrize("spec", UNRELATED, ids=lambda p: p.name)
def test_unrelated_real_recordings_have_no_confident_offset(
    spec: PairSpec, shared_media: Path, pair_dir: Path
) -> None:
    offset, confidence = _estimate(spec, shared_media, pair_dir)
    assert confidence == "none"
    assert offset is None


def test_a_clip_without_sound_is_refused(shared_media: Path) -> None:
    silent = shared_media / "threatexchange" / "test-padded-dimensions.mp4"
    with pytest.raises(VerifierError, match=r"A: .*has no sound track"):
        read_sound(silent, label="A")
    result = CliRunner().invoke(
        cli, ["sync", str(silent), str(shared_media / "opencv" / "cup.mp4")]
    )
    assert result.exit_code == 1
    assert "A: " in result.output and "has no sound track" in result.output


# ----------------------------------------------------------------------------- clips in a case


def _write_wav(path: Path, samples: np.ndarray) -> Path:
    data = np.clip(samples * 32767, -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(R)
        handle.writeframes(data.tobytes())
    return path


def _clip_with_sound(out: Path, samples: np.ndarray, colour: str) -> Path:
    """A 25 fps clip (plain colour) whose sound is ``samples``."""
    wav = _write_wav(out.with_suffix(".wav"), samples)
    seconds = len(samples) / R
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
         "-i", f"color=c={colour}:s=160x120:r=25:d={seconds}", "-i", str(wav),
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-shortest", str(out)],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture
def two_clips(app: App, tmp_path: Path) -> tuple[cases.CaseRecord, int, int]:
    scene = _scene(16.0, 7)
    a = _clip_with_sound(tmp_path / "a.mp4", scene[int(1.0 * R) : int(11.0 * R)], "gray")
    b = _clip_with_sound(
        tmp_path / "b.mp4", _second_camera(scene, 1.73, 10.0, 8), "navy"
    )  # offset -0.73
    case = cases.create_case(app, "S")
    report = import_paths(app, [a, b], case, analyse=True)
    ids = [item.clip_id for item in report.items]
    assert all(ids)
    return case, ids[0], ids[1]  # type: ignore[return-value]


def test_sync_of_two_clips_keeps_the_figure_and_logs_it(
    app: App, two_clips: tuple[cases.CaseRecord, int, int], tmp_path: Path
) -> None:
    case, a, b = two_clips
    run = sync_clips(app, str(a), str(b), case=case, figure_path=tmp_path / "fig.png")
    assert run.result.offset == pytest.approx(-0.73, abs=0.005)
    assert run.result.confidence == "confident"
    assert (tmp_path / "fig.png").read_bytes() == run.figure_png
    with app.db.read() as session:
        stored = session.get(StoredFile, run.figure_file_id)
        assert stored is not None and stored.role == ROLE_SYNC_FIGURE
        event = session.scalar(select(CustodyEvent).where(CustodyEvent.action == "sync.estimate"))
        assert event is not None and event.target_id == str(a)
        assert event.details["offset"] == pytest.approx(-0.73, abs=0.005)
        assert event.details["b"]["clip_id"] == b
    assert run.link is None and run.match_offset is None


def test_store_link_adds_then_updates_the_same_incident_link(
    app: App, two_clips: tuple[cases.CaseRecord, int, int]
) -> None:
    case, a, b = two_clips
    first = sync_clips(app, str(a), str(b), case=case, store_link=True, rationale="two drones")
    assert first.link is not None
    assert first.link["type"] == "same-incident" and first.link["status"] == "confirmed"
    assert first.link["offset"] == pytest.approx(-0.73, abs=0.005)
    assert first.link["rationale"].startswith("two drones. offset -0.73")
    assert "GCC-PHAT" in first.link["rationale"]
    assert f"figure file #{first.figure_file_id}" in first.link["rationale"]
    # The correlation figure is the link's evidence for the offset.
    assert first.link["evidence"]["figures"] == [first.figure_file_id]
    # Asked from B's side, the same link is updated (stored A->B, so the offset keeps its sign).
    second = sync_clips(app, str(b), str(a), case=case, store_link=True)
    assert second.link is not None and second.link["id"] == first.link["id"]
    assert second.link["offset"] == pytest.approx(-0.73, abs=0.005)
    assert second.link["version"] == first.link["version"] + 1
    assert second.link["evidence"]["figures"] == [first.figure_file_id, second.figure_file_id]
    with app.db.read() as session:
        query = select(CustodyEvent).where(CustodyEvent.target_type == "link")
        actions = [e.action for e in session.scalars(query.order_by(CustodyEvent.seq))]
    assert actions == ["link.add", "link.edit"]


def test_store_link_is_refused_without_a_confident_offset(app: App, tmp_path: Path) -> None:
    a = _clip_with_sound(tmp_path / "a.mp4", _scene(8.0, 9), "gray")
    b = _clip_with_sound(tmp_path / "b.mp4", _scene(8.0, 10), "navy")
    case = cases.create_case(app, "U")
    ids = [i.clip_id for i in import_paths(app, [a, b], case, analyse=False).items]
    with pytest.raises(VerifierError, match="--store-link: no confident offset"):
        sync_clips(app, str(ids[0]), str(ids[1]), case=case, store_link=True)
    assert links.list_links(app, case=case) == []


def test_the_matching_offset_is_shown_beside_with_the_difference(
    app: App, two_clips: tuple[cases.CaseRecord, int, int]
) -> None:
    case, a, b = two_clips
    with app.db.write() as session:  # as matching stores a relation: B against A
        session.add(ClipLink(clip_a_id=b, clip_b_id=a, relation="overlap", origin="match",
                             offset_seconds=0.70, rationale="frames",
                             created_by="matching"))  # fmt: skip
    run = sync_clips(app, str(a), str(b), case=case)
    assert run.match_relation == "overlap"
    assert run.match_offset == pytest.approx(-0.70)  # turned to A->B
    assert run.difference == pytest.approx(-0.03, abs=0.005)


def test_cli_sync_prints_offset_and_json(
    app: App, two_clips: tuple[cases.CaseRecord, int, int]
) -> None:
    _case, a, b = two_clips
    base = ["--data-dir", str(app.settings.data_dir), "--analyst", "tester"]
    result = CliRunner().invoke(cli, [*base, "sync", str(a), str(b), "--case", "S"])
    assert result.exit_code == 0, result.output
    assert "offset -0.73" in result.output and "confident" in result.output
    assert "figure stored as file #" in result.output
    result = CliRunner().invoke(cli, [*base, "sync", str(a), str(b), "--case", "S", "--json"])
    data = json.loads(result.output)
    assert data["offset"] == pytest.approx(-0.73, abs=0.005)
    assert data["convention"] == "b_time = a_time + offset"
    bad = CliRunner().invoke(cli, [*base, "sync", str(a), str(b), "--rationale", "x"])
    assert bad.exit_code == 1 and "--rationale: only with --store-link" in bad.output


# ----------------------------------------------------------------------------- transients


CLICK_TIMES = (0.8, 1.9, 2.35, 3.3, 4.71)


def _clicks_in_noise(seconds: float = 6.0) -> np.ndarray:
    rng = np.random.default_rng(11)
    out = rng.normal(0, 0.005, int(seconds * R))
    for t in CLICK_TIMES:
        i, n = int(t * R), int(0.03 * R)
        out[i : i + n] += rng.normal(0, 0.3, n) * np.exp(-np.arange(n) / (0.006 * R))
    return out


def test_clicks_in_noise_are_found_within_10_ms() -> None:
    found = transients(_clicks_in_noise(), R)
    assert len(found) == len(CLICK_TIMES)
    for item, t in zip(found, CLICK_TIMES, strict=True):
        assert abs(item.time - t) <= 0.010
        assert item.strength_db > 20
        assert "gunshot" not in item.description.lower() and "shot" not in item.description


def test_speech_like_and_steady_sound_give_no_transients() -> None:
    rng = np.random.default_rng(12)
    t = np.arange(6 * R) / R
    # Voiced syllables: harmonics of 140 Hz, a 40 ms attack, four a second, pauses between.
    envelope = np.zeros_like(t)
    for start in np.arange(0.3, 5.6, 0.25):
        sel = (t >= start) & (t < start + 0.18)
        tau = t[sel] - start
        envelope[sel] = np.minimum(tau / 0.04, 1.0) * np.exp(-tau / 0.1)
    voiced = sum(np.sin(2 * np.pi * h * 140 * t) / h for h in range(1, 30))
    speech = 0.1 * voiced * envelope + rng.normal(0, 0.002, len(t))
    assert transients(speech, R) == []
    steady = rng.normal(0, 0.1, len(t)) + 0.3 * np.sin(2 * np.pi * 100 * t)
    assert transients(steady, R) == []


def test_candidate_markers_give_clip_time_and_frame(app: App, tmp_path: Path) -> None:
    clip = _clip_with_sound(tmp_path / "clicks.mp4", _clicks_in_noise(), "gray")
    case = cases.create_case(app, "T")
    [item] = import_paths(app, [clip], case, analyse=True).items
    markers = candidate_markers(app, ClipId(item.clip_id), case=case)
    assert [round(m.time, 2) for m in markers] == pytest.approx(CLICK_TIMES, abs=0.011)
    for m in markers:
        assert m.frame_index == int(m.time * 25)  # 25 fps, first frame at 0
    result = CliRunner().invoke(
        cli, ["--data-dir", str(app.settings.data_dir), "transients", str(item.clip_id),
              "--case", "T", "--json"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["frame_index"] for c in data["candidates"]] == [m.frame_index for m in markers]
