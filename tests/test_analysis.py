"""Clip analysis end to end: metadata, keyframes, edit points, hashes, failures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from verifier.analysis.pipeline import HASH_ALGORITHM
from verifier.cli.main import cli
from verifier.db.models import Clip, CustodyEvent, FrameHashSet, Keyframe, StoredFile
from verifier.hashing.frames import FrameHashes, pdq256, phash64
from verifier.media.decode import VideoDecoder
from verifier.services import cases
from verifier.services.analysis import unpack_frame_index
from verifier.services.clips import describe_clip
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.verification import verify
from verifier.tools import ffprobe_exe


def import_one(app: App, path: Path, case_name: str = "A") -> dict:
    case = cases.get_or_create_case(app, case_name)
    [item] = import_paths(app, [path], case).items
    assert item.status == "imported", item
    return describe_clip(app, item.clip_id)


def assert_keyframe_coverage(shown: dict, max_gap: float = 2.0) -> None:
    times = [k["seconds"] for k in shown["keyframes"]]
    assert times[0] == 0.0 and shown["keyframes"][0]["reason"] == "first"
    assert times == sorted(times)
    duration = shown["metadata"]["duration"]
    gaps = np.diff([*times, duration - 1 / shown["metadata"]["frame_rate_float"]])
    assert gaps.max() <= max_gap + 1e-6, f"a stretch of {gaps.max():.2f} s has no keyframe"


def test_hard_cut_clip(app: App, fixture_dir: Path) -> None:
    shown = import_one(app, fixture_dir / "cut.mp4")
    assert shown["analysis"]["status"] == "ok"
    meta = shown["metadata"]
    assert meta["frame_rate"] == "25/1" and meta["variable_frame_rate"] is False
    assert meta["frame_count"] == 100 and shown["frame_count"] == 100
    assert meta["video_codec"] == "h264" and meta["has_audio"] and meta["audio_codec"] == "aac"
    assert (meta["display_width"], meta["display_height"]) == (320, 240)
    assert [(k["frame_index"], k["reason"]) for k in shown["edit_points"]] == [(50, "cut")]
    assert shown["edit_points"][0]["seconds"] == pytest.approx(2.0)
    assert_keyframe_coverage(shown)
    for k in shown["keyframes"]:
        assert len(k["phash"]) == 16 and len(k["pdq"]) == 64 and 0 <= k["pdq_quality"] <= 100
        assert k["thumbnail_sha256"]
    with app.db.read() as session:
        [hash_set] = session.scalars(
            select(FrameHashSet).where(FrameHashSet.algorithm == HASH_ALGORITHM)
        ).all()
        variants = session.scalars(
            select(FrameHashSet.algorithm).where(FrameHashSet.algorithm != HASH_ALGORITHM)
        ).all()
        views = ("center", "content", "mirrored")
        assert sorted(variants) == [f"{HASH_ALGORITHM}/{v}" for v in views]
        hashes = FrameHashes.from_bytes(hash_set.data)
        clip = session.get(Clip, shown["id"])
        assert clip is not None and clip.frame_index is not None
        pts = unpack_frame_index(clip.frame_index)
    # Five hashes per second, the first at 0 s, none more than 0.2 s apart.
    assert len(hashes) == 20 and hashes.sample_rate == 5.0
    assert hashes.seconds[0] == 0.0 and np.diff(hashes.seconds).max() <= 0.2 + 1e-9
    assert not hashes.low_info.any()
    assert len(pts) == 100 and np.all(np.diff(pts) > 0)
    [event] = [e for e in shown["custody"] if e["action"] == "analyse"]
    assert event["details"]["status"] == "ok"
    assert event["details"]["shot_boundaries"] == 1


def test_thumbnails_are_derived_files_checked_by_verify(app: App, fixture_dir: Path) -> None:
    shown = import_one(app, fixture_dir / "cut.mp4")
    with app.db.read() as session:
        thumbs = list(session.scalars(select(StoredFile).where(StoredFile.kind == "derived")))
    assert len(thumbs) == len({k["thumbnail_sha256"] for k in shown["keyframes"]})
    assert all(t.role == "thumbnail" and t.mime_type == "image/jpeg" for t in thumbs)
    case = cases.resolve_case(app, "A")
    assert verify(app, case).files_checked == 1 + len(thumbs)
    victim = app.store.path_for(thumbs[0].sha256)
    victim.chmod(0o644)
    victim.write_bytes(b"\xff\xd8 altered")
    report = verify(app, case)
    assert not report.ok and thumbs[0].sha256 in report.problems[0].message


def test_fade_is_an_edit_point(app: App, fixture_dir: Path) -> None:
    shown = import_one(app, fixture_dir / "fade.mp4")
    [point] = shown["edit_points"]
    assert point["reason"] == "fade" and 1.9 <= point["seconds"] <= 2.6
    assert_keyframe_coverage(shown)


def test_variable_frame_rate_index_agrees_with_ffprobe(app: App, fixture_dir: Path) -> None:
    probe = ffprobe_exe()
    if probe is None:
        pytest.skip("ffprobe is not installed")
    shown = import_one(app, fixture_dir / "vfr.mp4")
    assert shown["metadata"]["variable_frame_rate"] is True
    out = subprocess.run(
        [
            probe,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts",
            "-of",
            "csv=p=0",
            str(fixture_dir / "vfr.mp4"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = [int(line.split(",")[0]) for line in out.split() if line.strip()]
    with app.db.read() as session:
        clip = session.get(Clip, shown["id"])
        assert clip is not None and clip.frame_index is not None
        assert unpack_frame_index(clip.frame_index).tolist() == expected


def test_rotation_and_gps_and_creation_time(app: App, fixture_dir: Path) -> None:
    rotated = import_one(app, fixture_dir / "rotated.mp4")
    assert rotated["metadata"]["rotation"] in (90, 270)
    assert (rotated["width"], rotated["height"]) == (240, 320)
    meta = import_one(app, fixture_dir / "meta.mp4")["metadata"]
    assert meta["gps"]["lat"] == pytest.approx(50.4501) and meta["gps"]["lon"] == pytest.approx(
        30.5234
    )
    assert meta["gps"]["alt"] == pytest.approx(179.0)
    assert meta["creation_time"].startswith("2024-03-13T09:41:00")


def test_still_with_exif(app: App, fixture_dir: Path) -> None:
    shown = import_one(app, fixture_dir / "still.jpg")
    assert shown["kind"] == "image" and shown["analysis"]["status"] == "ok"
    meta = shown["metadata"]
    assert meta["gps"]["lat"] == pytest.approx(50.4501, abs=1e-4)
    assert meta["creation_time"].startswith("2024-03-13T09:41:00")  # 11:41 at +02:00
    assert meta["device_make"] == "Canon"
    codes = {f["code"] for f in shown["flags"]}
    assert "editing-software" in codes  # Photoshop in the Software tag
    [keyframe] = shown["keyframes"]
    assert keyframe["reason"] == "first"


def test_golden_hashes_of_fixture_frame(app: App, fixture_dir: Path) -> None:
    """The stored hashes of the golden fixture image are pinned.

    An upgrade of a library that changes them must fail here, not silently.
    """
    shown = import_one(app, fixture_dir / "frame.png")
    [keyframe] = shown["keyframes"]
    rgb = np.asarray(Image.open(fixture_dir / "frame.png").convert("RGB"))
    assert keyframe["phash"] == format(phash64(rgb), "016x")
    assert keyframe["pdq"] == pdq256(rgb)[0].hex()
    assert (keyframe["phash"], keyframe["pdq"], keyframe["pdq_quality"]) == GOLDEN_FRAME_PNG


GOLDEN_FRAME_PNG = (
    "ca71d04e973e390e",
    "cc23c043da039c74fdab23545b8b1e0af67475f8739e1bbc33745ab98c05a447",
    100,
)


def test_near_black_clip_is_low_information(app: App, fixture_dir: Path) -> None:
    shown = import_one(app, fixture_dir / "black.mp4")
    with app.db.read() as session:
        hash_set = session.scalar(
            select(FrameHashSet).where(
                FrameHashSet.clip_id == shown["id"], FrameHashSet.algorithm == HASH_ALGORITHM
            )
        )
        assert hash_set is not None
        assert FrameHashes.from_bytes(hash_set.data).low_info.all()


def _zero_mdat(source: Path, target: Path) -> None:
    """Keep the container intact but destroy every coded picture."""
    data = bytearray(source.read_bytes())
    at = data.find(b"mdat")
    assert at > 4
    size = int.from_bytes(data[at - 4 : at], "big")
    data[at + 4 : at - 4 + size] = bytes(size - 8)
    target.write_bytes(bytes(data))


def test_clip_without_a_decodable_frame_fails_analysis(
    app: App, fixture_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "no-pictures.mp4"
    _zero_mdat(fixture_dir / "cut.mp4", broken)
    case = cases.create_case(app, "Broken")
    [item] = import_paths(app, [broken], case).items
    assert item.status == "imported" and item.analysis_status == "failed"
    shown = describe_clip(app, item.clip_id)
    assert shown["analysis"]["status"] == "failed"
    assert "no frame could be decoded" in shown["analysis"]["error"]
    assert shown["keyframes"] == [] and shown["metadata"]["video_codec"] == "h264"
    assert shown["custody"][-1]["details"]["status"] == "failed"


def test_damaged_real_clips_analyse_partially(app: App, shared_media: Path) -> None:
    results = {}
    for name in ("cup.mp4", "Megamind_bugy.avi", "box.mp4", "tree.avi"):
        shown = import_one(app, shared_media / "opencv" / name)
        assert shown["analysis"]["status"] in ("ok", "partial"), (name, shown["analysis"])
        assert shown["keyframes"], name
        results[name] = shown["analysis"]
    # Megamind and box.mp4 output frames out of timestamp order: analysed, and on record.
    for name in ("Megamind_bugy.avi", "box.mp4"):
        assert results[name]["status"] == "partial", name
        assert any("timestamps are not in increasing order" in w for w in results[name]["warnings"])


def test_reanalysis_replaces_results_and_is_logged(tmp_path: Path, fixture_dir: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    base = ["--data-dir", str(data), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "R"]).exit_code == 0
    assert runner.invoke(cli, [*base, "import", str(fixture_dir / "cut.mp4")]).exit_code == 0
    result = runner.invoke(cli, [*base, "analyse", "--all", "--json"])
    assert result.exit_code == 0, result.output
    [res] = json.loads(result.stdout)
    assert res["status"] == "ok" and res["cuts"] == 1
    result = runner.invoke(cli, [*base, "show", "1", "--json"])
    shown = json.loads(result.stdout)
    actions = [e["action"] for e in shown["custody"]]
    assert actions == ["import", "analyse", "match", "analyse", "match"]
    assert len(shown["edit_points"]) == 1
    text = runner.invoke(cli, [*base, "show", "1"]).stdout
    assert "Edit points" in text and "cut at frame 50" in text and "25/1" in text


def test_keyframe_export_full_resolution(app: App, fixture_dir: Path, tmp_path: Path) -> None:
    from verifier.services.keyframes import export_keyframes

    shown = import_one(app, fixture_dir / "rotated.mp4")
    out = tmp_path / "frames"
    exported = export_keyframes(app, str(shown["id"]), out)
    assert [e.frame_index for e in exported] == [k["frame_index"] for k in shown["keyframes"]]
    first = exported[0]
    assert first.path.name.startswith(f"clip{shown['id']}_") and "00h00m00.000s" in first.path.name
    image = np.asarray(Image.open(first.path).convert("RGB"))
    assert image.shape == (320, 240, 3), "exported upright, full resolution"
    with VideoDecoder(fixture_dir / "rotated.mp4") as decoder:
        assert np.array_equal(image, decoder.frame(first.frame_index).rgb())
    with app.db.read() as session:
        event = session.scalars(select(CustodyEvent).order_by(CustodyEvent.seq.desc())).first()
        assert event is not None and event.action == "keyframes.export"
        assert len(event.details["files"]) == len(exported)
        assert session.scalar(select(Keyframe).limit(1)) is not None


def test_keyframes_cli_on_a_clip_whose_keyframes_need_a_seek(tmp_path: Path) -> None:
    """`verifier keyframes` writes every keyframe of a clip where jumping needs a seek.

    The clip has a key frame every second, so each keyframe after the first is
    reached by seeking with the stored frame index: the path that crashed
    after the first PNG on nearly every real video (the fixture clips the
    other tests use have a single group of pictures, so they never seek).
    """
    import subprocess

    from verifier.tools import ffmpeg_exe

    clip = tmp_path / "gops.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
         "-t", "7", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-keyint_min", "25",
         "-sc_threshold", "0", "-threads", "1", str(clip)],
        check=True,
    )  # fmt: skip
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "K"]).exit_code == 0
    assert runner.invoke(cli, [*base, "import", str(clip)]).exit_code == 0
    shown = json.loads(runner.invoke(cli, [*base, "show", "1", "--json"]).stdout)
    wanted = [k["frame_index"] for k in shown["keyframes"]]
    assert len(wanted) >= 3 and max(wanted) - min(wanted) > 50
    out = tmp_path / "frames"
    result = runner.invoke(cli, [*base, "keyframes", "1", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    assert [w["frame_index"] for w in written] == wanted
    with VideoDecoder(clip) as decoder:
        for entry in written:
            image = np.asarray(Image.open(entry["path"]).convert("RGB"))
            assert np.array_equal(image, decoder.frame(entry["frame_index"]).rgb())
