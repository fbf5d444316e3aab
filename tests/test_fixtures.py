"""The fixture script: the facts other tests rely on, and pure command builders."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import exifread
import pytest
from fixtures.make_fixtures import (
    FFmpegVersion,
    cut_commands,
    detect_ffmpeg,
    fps_mode_args,
    make,
    parse_ffmpeg_version,
    rotation_input_args,
    rotation_remux_args,
)

from verifier.tools import ffprobe_exe


def ffprobe(*args: str) -> dict:
    exe = ffprobe_exe()
    if exe is None:
        pytest.skip("ffprobe is not installed")
    out = subprocess.run(
        [exe, "-v", "error", "-of", "json", *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_version_dependent_options_are_pure() -> None:
    old, new = FFmpegVersion(5, 1), FFmpegVersion(7, 0)
    assert parse_ffmpeg_version("ffmpeg version 5.1.6-0+deb12u1 Copyright") == old
    assert fps_mode_args(FFmpegVersion(4, 4), "vfr") == ["-vsync", "vfr"]
    assert fps_mode_args(new, "vfr") == ["-fps_mode", "vfr"]
    assert rotation_input_args(old) == [] and rotation_remux_args(old)[0] == "-metadata:s:v:0"
    assert rotation_input_args(new)[0] == "-display_rotation" and rotation_remux_args(new) == []


def test_cut_command_is_built_without_running_ffmpeg(tmp_path: Path) -> None:
    [argv] = cut_commands(detect_ffmpeg(), tmp_path / "x.mp4")
    assert argv[-1] == str(tmp_path / "x.mp4") and "-frames:v" in argv
    assert argv[argv.index("-frames:v") + 1] == "100"


def test_cut_clip(fixture_dir: Path) -> None:
    doc = ffprobe(
        "-select_streams",
        "v:0",
        "-show_entries",
        "frame=pict_type,pts_time:stream=r_frame_rate",
        str(fixture_dir / "cut.mp4"),
    )
    frames = doc["frames"]
    assert len(frames) == 100 and doc["streams"][0]["r_frame_rate"] == "25/1"
    assert any(f["pict_type"] == "B" for f in frames), "B-frames present"


def test_rotated_vfr_offset_meta(fixture_dir: Path) -> None:
    rotated = ffprobe("-show_streams", str(fixture_dir / "rotated.mp4"))["streams"][0]
    rotations = [d.get("rotation") for d in rotated.get("side_data_list", [])]
    assert rotations and abs(rotations[0]) == 90
    frames = ffprobe(
        "-select_streams", "v:0", "-show_entries", "frame=pts", str(fixture_dir / "vfr.mp4")
    )
    deltas = {
        b["pts"] - a["pts"] for a, b in zip(frames["frames"], frames["frames"][1:], strict=False)
    }
    assert len(deltas) > 1, "variable frame durations"
    first = ffprobe(
        "-select_streams",
        "v:0",
        "-show_entries",
        "frame=pts_time",
        "-read_intervals",
        "%+#1",
        str(fixture_dir / "offset.mp4"),
    )["frames"][0]
    assert float(first["pts_time"]) >= 9.9
    tags = ffprobe("-show_format", str(fixture_dir / "meta.mp4"))["format"]["tags"]
    assert tags["creation_time"].startswith("2024-03-13T09:41:00")
    assert tags["location"].startswith("+50.4501+030.5234")


def test_still_exif(fixture_dir: Path) -> None:
    with open(fixture_dir / "still.jpg", "rb") as handle:
        tags = exifread.process_file(handle, details=False)
    assert str(tags["EXIF DateTimeOriginal"]) == "2024:03:13 11:41:00"
    assert str(tags["EXIF OffsetTimeOriginal"]) == "+02:00"
    assert str(tags["GPS GPSLatitudeRef"]) == "N" and str(tags["Image Make"]) == "Canon"


def test_truncated_clip_is_unreadable(fixture_dir: Path) -> None:
    exe = ffprobe_exe()
    if exe is None:
        pytest.skip("ffprobe is not installed")
    result = subprocess.run(
        [exe, "-v", "error", str(fixture_dir / "truncated.mp4")], capture_output=True
    )
    assert result.returncode != 0


def test_golden_png_is_reproducible(tmp_path: Path, fixture_dir: Path) -> None:
    again = make("frame.png", tmp_path)
    digest = hashlib.sha256(again.read_bytes()).hexdigest()
    assert digest == hashlib.sha256((fixture_dir / "frame.png").read_bytes()).hexdigest()
