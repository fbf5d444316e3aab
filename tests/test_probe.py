"""Tests for clip/still metadata (probe, stills) and the metadata flags.

Inputs are made here with FFmpeg lavfi sources and Pillow so the expected
values are known exactly; ffprobe serves as an independent oracle where the
value depends on the FFmpeg version (packet counts, display matrix sign).
Real files in ../shared/media are used when present.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from verifier.errors import VerifierError
from verifier.media.flags import Flag, match_products, metadata_flags
from verifier.media.probe import (
    MediaInfo,
    is_variable_frame_rate,
    parse_iso6709,
    parse_timestamp,
    probe,
    rotation_from_matrix,
)
from verifier.media.stills import probe_still

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
SHARED_MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"

needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg binary not installed")
needs_ffprobe = pytest.mark.skipif(FFPROBE is None, reason="ffprobe binary not installed")


def _ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; fail the test setup with its stderr on error."""
    assert FFMPEG is not None
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True, capture_output=True)


def _ffprobe_json(path: Path, *args: str) -> dict:
    assert FFPROBE is not None
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-of", "json", *args, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def _packet_count(path: Path) -> int:
    data = _ffprobe_json(
        path, "-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets"
    )
    return int(data["streams"][0]["nb_read_packets"])


def _shared(rel: str) -> Path:
    path = SHARED_MEDIA / rel
    if not path.exists():
        pytest.skip(f"shared media file {rel} not present at {SHARED_MEDIA}")
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny synthetic inputs, made once per session."""
    if FFMPEG is None:
        pytest.skip("ffmpeg binary not installed")
    d = tmp_path_factory.mktemp("probe-media")
    x264 = ("-c:v", "libx264", "-pix_fmt", "yuv420p")
    files = {
        name: d / name
        for name in (
            "cfr.mp4",
            "plain.mp4",
            "rot.mp4",
            "vfr.mp4",
            "meta.mp4",
            "audio.m4a",
            "trunc.mp4",
        )
    }
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=30000/1001",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "2",
        *x264,
        "-c:a",
        "aac",
        "-shortest",
        str(files["cfr.mp4"]),
    )
    # FFmpeg 5.1 drops the rotate tag when encoding; stream copy writes it as
    # a display matrix, so the rotated clip is made in two steps.
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25",
        "-t",
        "1",
        *x264,
        str(files["plain.mp4"]),
    )
    _ffmpeg(
        "-i",
        str(files["plain.mp4"]),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        str(files["rot.mp4"]),
    )
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=30",
        "-t",
        "2",
        "-vf",
        "setpts='if(lt(N,20),N/30/TB,(40+(N-20)*3)/30/TB)'",
        "-vsync",
        "vfr",
        *x264,
        str(files["vfr.mp4"]),
    )
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=25",
        "-t",
        "1",
        *x264,
        "-metadata",
        "creation_time=2024-03-13T09:41:00Z",
        "-metadata",
        "location=+50.4501+030.5234+179.000/",
        "-movflags",
        "use_metadata_tags",
        str(files["meta.mp4"]),
    )
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "sine=sample_rate=44100",
        "-t",
        "1",
        "-c:a",
        "aac",
        str(files["audio.m4a"]),
    )
    # No faststart: the moov index sits at the end, so cutting the file loses it.
    data = files["cfr.mp4"].read_bytes()
    files["trunc.mp4"].write_bytes(data[: len(data) // 3])
    files["empty.mp4"] = d / "empty.mp4"
    files["empty.mp4"].write_bytes(b"")
    files["text.mp4"] = d / "text.mp4"
    files["text.mp4"].write_text("this is a text file, not a video\n" * 20)
    return files


def _make_jpeg(
    path: Path,
    *,
    offset: str | None = "+03:00",
    orientation: int = 6,
    gps: bool = True,
    software: str = "Adobe Photoshop 25.0",
) -> Path:
    """A 64x48 JPEG with EXIF date, offset, GPS (rational DMS) and orientation."""
    img = Image.new("RGB", (64, 48), (200, 50, 50))
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS 5D"
    exif[0x0131] = software
    exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:03:13 12:41:00"
    if offset is not None:
        sub[0x9011] = offset
    sub[0x927C] = b"\x01" * 3000  # a MakerNote blob
    if gps:
        g = exif.get_ifd(0x8825)
        g[1] = "S"
        g[2] = (Fraction(33), Fraction(52), Fraction(768, 100))
        g[3] = "E"
        g[4] = (Fraction(151), Fraction(12), Fraction(3348, 100))
        g[5] = b"\x01"
        g[6] = Fraction(25, 2)
    img.save(path, exif=exif)
    return path


# --------------------------------------------------------------------------- clips


def test_cfr_clip_with_audio(media: dict[str, Path]) -> None:
    info = probe(media["cfr.mp4"])
    assert info.kind == "video"
    assert info.container_format == "mov,mp4,m4a,3gp,3g2,mj2"
    assert info.container_long_name == "QuickTime / MOV"
    assert info.video_codec == "h264"
    assert info.video_profile == "High"
    assert info.pix_fmt == "yuv420p"
    assert (info.coded_width, info.coded_height) == (320, 240)
    assert (info.display_width, info.display_height) == (320, 240)
    assert info.rotation == 0
    assert info.sample_aspect_ratio == "1:1"
    assert info.display_aspect_ratio == "4:3"
    assert info.frame_rate == "30000/1001"
    assert info.frame_rate_float == pytest.approx(29.97002997)
    assert info.variable_frame_rate is False
    assert info.frame_count == 60
    assert info.frame_count_header == 60
    assert info.time_base == "1/30000"
    assert info.start_time == 0.0
    assert info.duration == pytest.approx(2.002, abs=1e-6)
    assert info.size_bytes == media["cfr.mp4"].stat().st_size
    assert info.has_audio and info.audio_codec == "aac"
    assert info.audio_channels == 1 and info.audio_sample_rate == 48000
    assert info.encoder is not None and info.encoder.startswith("Lavf")
    assert info.major_brand == "isom"
    assert info.creation_time is None and info.gps is None
    assert info.warnings == ()
    codes = {f.code for f in metadata_flags(info)}
    assert codes == {"metadata-stripped", "platform-encoder"}


@needs_ffprobe
@pytest.mark.parametrize("name", ["cfr.mp4", "vfr.mp4", "rot.mp4", "meta.mp4"])
def test_frame_count_matches_ffprobe(media: dict[str, Path], name: str) -> None:
    assert probe(media[name]).frame_count == _packet_count(media[name])


def test_vfr_detected_from_timestamps(media: dict[str, Path]) -> None:
    info = probe(media["vfr.mp4"])
    assert info.variable_frame_rate is True
    # 20 frames 1/30 s apart, then frames 3/30 s apart until the 2 s cut: 20 + 7.
    assert info.frame_count == 27
    assert "variable-frame-rate" in {f.code for f in metadata_flags(info)}


@needs_ffprobe
def test_rotation_from_display_matrix(media: dict[str, Path]) -> None:
    """Rotation agrees with ffprobe's matrix and with how ffmpeg turns the pixels upright."""
    info = probe(media["rot.mp4"])
    side = _ffprobe_json(media["rot.mp4"], "-show_streams", "-select_streams", "v:0")
    ccw = side["streams"][0]["side_data_list"][0]["rotation"]
    assert info.rotation == (-ccw) % 360
    # FFmpeg 5.1's stream copy turns rotate=90 into a matrix of 90° counter-clockwise.
    assert info.rotation in (90, 270)
    assert (info.coded_width, info.coded_height) == (320, 240)
    assert (info.display_width, info.display_height) == (240, 320)
    assert info.display_aspect_ratio == "3:4"
    assert info.tags["streams"][0]["side_data"]["displaymatrix"][8] == 1 << 30

    # Pixel oracle: ffmpeg's autorotated first frame equals the raw frame
    # turned clockwise by info.rotation.
    upright_png = media["rot.mp4"].with_suffix(".upright.png")
    _ffmpeg("-i", str(media["rot.mp4"]), "-frames:v", "1", str(upright_png))
    upright = np.asarray(Image.open(upright_png).convert("RGB"), dtype=np.int16)
    with av.open(str(media["rot.mp4"])) as container:
        raw = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)
    turned = np.rot90(raw, k=-info.rotation // 90)
    other = np.rot90(raw, k=info.rotation // 90)
    assert np.abs(turned - upright).mean() < 3 < np.abs(other - upright).mean()
    assert "rotation-metadata" in {f.code for f in metadata_flags(info)}


def test_creation_time_and_location(media: dict[str, Path]) -> None:
    info = probe(media["meta.mp4"])
    assert info.creation_time == "2024-03-13T09:41:00Z"
    assert info.creation_time_raw == "2024-03-13T09:41:00Z"
    assert info.creation_time_source == "format:creation_time"
    assert info.creation_time_is_local is False
    assert info.gps is not None
    assert info.gps["lat"] == pytest.approx(50.4501)
    assert info.gps["lon"] == pytest.approx(30.5234)
    assert info.gps["alt"] == pytest.approx(179.0)
    # FFmpeg rewrites the altitude with six decimals; the literal is kept.
    assert info.gps_raw == info.gps["raw"] == info.tags["format"]["location"]
    flags = metadata_flags(
        info,
        first_seen=datetime(2024, 3, 12, tzinfo=UTC),
        now=datetime(2024, 3, 1, tzinfo=UTC),
    )
    codes = [f.code for f in flags]
    assert "metadata-stripped" not in codes
    assert {
        "gps-present",
        "platform-encoder",
        "creation-time-future",
        "creation-time-after-first-seen",
    } <= set(codes)
    assert codes.index("creation-time-future") < codes.index("gps-present")  # warnings first


def test_apple_quicktime_keys(tmp_path: Path) -> None:
    """iPhone-style mdta keys: capture time with offset, device, DDMM.MM location."""
    if FFMPEG is None:
        pytest.skip("ffmpeg binary not installed")
    path = tmp_path / "apple.mov"
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=30",
        "-t",
        "0.5",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-metadata",
        "com.apple.quicktime.make=Apple",
        "-metadata",
        "com.apple.quicktime.model=iPhone 13",
        "-metadata",
        "com.apple.quicktime.software=17.3.1",
        "-metadata",
        "com.apple.quicktime.creationdate=2024-03-13T12:41:00+0300",
        "-metadata",
        "com.apple.quicktime.location.ISO6709=+5027.00+03031.40+179.000/",
        "-movflags",
        "use_metadata_tags",
        str(path),
    )
    info = probe(path)
    assert info.creation_time == "2024-03-13T09:41:00Z"
    assert info.creation_time_raw == "2024-03-13T12:41:00+0300"
    assert info.creation_time_source == "format:com.apple.quicktime.creationdate"
    assert (info.device_make, info.device_model, info.encoder) == ("Apple", "iPhone 13", "17.3.1")
    assert info.major_brand == "qt"  # trimmed; the raw "qt  " stays in tags
    assert info.gps is not None
    assert (info.gps["lat"], info.gps["lon"]) == (pytest.approx(50.45), pytest.approx(30.52333333))
    assert "metadata-stripped" not in _codes(metadata_flags(info))


def test_json_round_trip(media: dict[str, Path], tmp_path: Path) -> None:
    for info in (probe(media["meta.mp4"]), probe_still(_make_jpeg(tmp_path / "a.jpg"))):
        text = json.dumps(info.to_json())
        back = MediaInfo.from_json(json.loads(text))
        assert back == info
    with pytest.raises(VerifierError, match="kind"):
        MediaInfo.from_json({"kind": "audio"})


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.mp4", "file is empty"),
        ("text.mp4", r"not a media file \(invalid data\)"),
        ("trunc.mp4", "moov atom"),
        ("audio.m4a", r"no video stream \(the file holds audio\)"),
    ],
)
def test_broken_inputs_raise_clear_errors(media: dict[str, Path], name: str, reason: str) -> None:
    with pytest.raises(VerifierError, match=reason) as caught:
        probe(media[name])
    assert caught.value.path == str(media[name])


def test_directory_and_missing(tmp_path: Path) -> None:
    with pytest.raises(VerifierError, match="folder"):
        probe(tmp_path)
    with pytest.raises(VerifierError, match="file not found"):
        probe(tmp_path / "nope.mp4")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read mode-000 files")
def test_unreadable_file(media: dict[str, Path], tmp_path: Path) -> None:
    locked = tmp_path / "locked.mp4"
    shutil.copy(media["cfr.mp4"], locked)
    locked.chmod(0)
    try:
        with pytest.raises(VerifierError, match="permission denied"):
            probe(locked)
    finally:
        locked.chmod(0o600)


def test_unreadable_file_reported(media: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Same check as above without needing a non-root user: the open is refused."""
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == media["cfr.mp4"]:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(VerifierError, match=r"cannot read the file \(permission denied\)"):
        probe(media["cfr.mp4"])


# --------------------------------------------------------------------------- stills


def test_jpeg_with_exif(tmp_path: Path) -> None:
    path = _make_jpeg(tmp_path / "photo.jpg")
    info = probe(path)  # dispatched by magic bytes, not reported as a 1-frame video
    assert info.kind == "image" and info.image_format == "JPEG"
    assert (info.coded_width, info.coded_height) == (64, 48)
    assert (info.display_width, info.display_height) == (48, 64)  # Orientation 6
    assert info.rotation == 90 and info.mirrored is False
    assert info.creation_time == "2024-03-13T09:41:00Z"
    assert info.creation_time_raw == "2024:03:13 12:41:00 +03:00"
    assert info.creation_time_is_local is False
    assert info.gps is not None
    assert info.gps["lat"] == pytest.approx(-(33 + 52 / 60 + 7.68 / 3600))
    assert info.gps["lon"] == pytest.approx(151 + 12 / 60 + 33.48 / 3600)
    assert info.gps["alt"] == pytest.approx(-12.5)
    assert (info.device_make, info.device_model) == ("Canon", "EOS 5D")
    assert info.encoder == "Adobe Photoshop 25.0"
    assert info.tags["exif"]["EXIF OffsetTimeOriginal"] == "+03:00"
    assert "EXIF MakerNote" not in info.tags["exif"]
    assert info.tags["omitted"]["EXIF MakerNote"] == "3000 bytes"
    flags = {f.code: f for f in metadata_flags(info, now=datetime(2025, 1, 1, tzinfo=UTC))}
    assert set(flags) == {"editing-software", "rotation-metadata", "gps-present"}
    assert "Adobe Photoshop" in flags["editing-software"].message
    assert "software field" in flags["editing-software"].message


def test_jpeg_without_offset_is_local(tmp_path: Path) -> None:
    info = probe_still(_make_jpeg(tmp_path / "local.jpg", offset=None, orientation=1, gps=False))
    assert info.creation_time == "2024-03-13T12:41:00"
    assert info.creation_time_is_local is True
    assert info.creation_time_raw == "2024:03:13 12:41:00"
    assert any("no UTC offset" in w for w in info.warnings)
    assert info.gps is None and info.rotation == 0
    # A local time is compared with 14 hours' leeway.
    seen = datetime(2024, 3, 13, 3, 0, tzinfo=UTC)
    assert "creation-time-after-first-seen" not in {
        f.code for f in metadata_flags(info, first_seen=seen)
    }


@pytest.mark.parametrize(
    ("orientation", "rotation", "mirrored", "size"),
    [
        (1, 0, False, (64, 48)),
        (3, 180, False, (64, 48)),
        (5, 270, True, (48, 64)),
        (8, 270, False, (48, 64)),
        (2, 0, True, (64, 48)),
    ],
)
def test_orientation(
    tmp_path: Path, orientation: int, rotation: int, mirrored: bool, size: tuple[int, int]
) -> None:
    info = probe_still(_make_jpeg(tmp_path / "o.jpg", orientation=orientation))
    assert (info.rotation, info.mirrored) == (rotation, mirrored)
    assert (info.display_width, info.display_height) == size


def test_png_without_exif_and_fake_heic(tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    Image.new("RGB", (30, 20)).save(png)
    info = probe(png)
    assert (info.kind, info.image_format, info.width, info.height) == ("image", "PNG", 30, 20)
    assert info.tags["exif"] == {}
    assert "metadata-stripped" in {f.code for f in metadata_flags(info)}
    heic = tmp_path / "photo.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    try:
        import pillow_heif  # noqa: F401
    except ImportError:
        with pytest.raises(VerifierError, match="HEIC not supported: install pillow-heif"):
            probe(heic)
    else:
        with pytest.raises(VerifierError):
            probe(heic)


# --------------------------------------------------------------------------- real files


def test_real_phone_clip() -> None:
    path = _shared("threatexchange/pattern-hd-no-bar.mp4")
    info = probe(path)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.display_width, info.display_height) == (720, 1280)
    assert info.frame_rate == "30/1" and info.variable_frame_rate is False
    assert info.frame_count == info.frame_count_header == 206
    if FFPROBE:
        assert info.frame_count == _packet_count(path)
    assert info.duration == pytest.approx(6.8667, abs=1e-3)
    assert info.time_base == "1/15360"


def test_real_cinepak_avi() -> None:
    """tree.avi stores only 68 real frames in 444 frame slots: the count says so."""
    path = _shared("opencv/tree.avi")
    info = probe(path)
    assert info.video_codec == "cinepak" and info.container_format == "avi"
    assert (info.display_width, info.display_height) == (320, 240)
    assert info.frame_rate == "1000000/66667"
    assert info.frame_count_header == 444
    if FFPROBE:
        assert info.frame_count == _packet_count(path)
    assert info.frame_count == 68
    assert info.variable_frame_rate is True
    assert any("444" in w for w in info.warnings)


def test_real_damaged_mpeg4_returns_info() -> None:
    info = probe(_shared("opencv/Megamind_bugy.avi"))
    assert info.video_codec == "mpeg4" and info.video_codec_long == "MPEG-4 part 2"
    assert (info.coded_width, info.coded_height) == (720, 528)
    assert info.frame_rate == "30/1" and info.frame_count == 270
    assert info.variable_frame_rate is False


# --------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("text", "lat", "lon", "alt"),
    [
        ("+50.4501+030.5234+179.000/", 50.4501, 30.5234, 179.0),
        ("+50.4501+030.5234/", 50.4501, 30.5234, None),
        ("-33.8688+151.2093/", -33.8688, 151.2093, None),
        ("+5027.00+03031.40/", 50.45, 30 + 31.4 / 60, None),
        (
            "+502700.5-0303124.0-12.5/",
            50 + 27 / 60 + 0.5 / 3600,
            -(30 + 31 / 60 + 24 / 3600),
            -12.5,
        ),
        ("+37.3318-122.0312+012.345/", 37.3318, -122.0312, 12.345),
        ("+40.7484-073.9857CRSWGS_84/", 40.7484, -73.9857, None),
        ("+50.4501+030.5234", 50.4501, 30.5234, None),
    ],
)
def test_iso6709_valid(text: str, lat: float, lon: float, alt: float | None) -> None:
    point = parse_iso6709(text)
    assert point is not None
    assert point["lat"] == pytest.approx(lat)
    assert point["lon"] == pytest.approx(lon)
    assert point["alt"] == (pytest.approx(alt) if alt is not None else None)
    assert point["raw"] == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "+95.0+030.0/",
        "+50.0+190.0/",
        "+5075.00+03031.40/",
        "+50.45",
        "+123.4+030.0/",
        "50.4501 30.5234",
    ],
)
def test_iso6709_invalid(text: str) -> None:
    assert parse_iso6709(text) is None


def test_video_with_invalid_location_keeps_raw() -> None:
    info = MediaInfo(kind="video", gps=None, gps_raw="+95.0+030.0/")
    assert info.to_json()["gps_raw"] == "+95.0+030.0/"


def test_parse_timestamp() -> None:
    dt, local = parse_timestamp("2019-05-07T14:33:12+0200")
    assert dt == datetime(2019, 5, 7, 12, 33, 12, tzinfo=UTC) and not local
    dt, local = parse_timestamp("2024:03:13 12:41:00")
    assert dt == datetime(2024, 3, 13, 12, 41) and local
    assert parse_timestamp("not a date") == (None, False)


def test_rotation_from_matrix() -> None:
    assert rotation_from_matrix([0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30]) == (90.0, False)
    assert rotation_from_matrix([0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30]) == (270.0, False)
    assert rotation_from_matrix([65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30]) == (0.0, False)
    assert rotation_from_matrix([-65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30])[1] is True


def test_vfr_rule() -> None:
    tb = Fraction(1, 15360)
    assert is_variable_frame_rate([i * 512 for i in range(50)], tb) == (False, 0)
    jitter = [i * 33 + (i % 3 == 0) for i in range(50)]  # ms-rounded 30 fps
    assert is_variable_frame_rate(jitter, Fraction(1, 1000))[0] is False
    assert is_variable_frame_rate([0, 512, 1024, 2048, 2560], tb)[0] is True
    assert is_variable_frame_rate([0, 1, 2, 4, 5], Fraction(1, 30))[0] is True  # skipped frame
    assert is_variable_frame_rate([0, 512, 512, 1024], tb) == (False, 1)


# --------------------------------------------------------------------------- flag rules


def _codes(flags: list[Flag]) -> set[str]:
    return {f.code for f in flags}


def test_flags_stripped_platform_copy() -> None:
    info = MediaInfo(kind="video", encoder="Lavf58.76.100", major_brand="isom")
    flags = metadata_flags(info)
    assert _codes(flags) == {"metadata-stripped", "platform-encoder"}
    stripped = next(f for f in flags if f.code == "metadata-stripped")
    assert stripped.severity == "warning" and "Lavf58.76.100" in stripped.message
    assert stripped.message.endswith(".")


def test_flags_camera_original_is_not_stripped() -> None:
    info = MediaInfo(
        kind="video",
        creation_time="2024-03-13T09:41:00Z",
        device_make="Apple",
        device_model="iPhone 13",
        encoder="17.3.1",
    )
    assert metadata_flags(info, now=datetime(2025, 1, 1, tzinfo=UTC)) == []


def test_flags_epoch_and_times() -> None:
    epoch = MediaInfo(kind="video", creation_time="1904-01-01T00:00:00Z")
    codes = _codes(metadata_flags(epoch, first_seen=datetime(2020, 1, 1, tzinfo=UTC)))
    assert "creation-time-epoch" in codes and "metadata-stripped" in codes
    assert "creation-time-after-first-seen" not in codes
    future = MediaInfo(kind="video", creation_time="2030-01-01T00:00:00Z", device_make="X")
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert _codes(metadata_flags(future, now=now)) == {"creation-time-future"}


@pytest.mark.parametrize(
    ("software", "product", "code"),
    [
        ("Adobe Premiere Pro 2024.0 (Windows)", "Adobe Premiere", "editing-software"),
        ("Adobe After Effects 23.0", "Adobe After Effects", "editing-software"),
        ("Adobe Lightroom Classic 13.1", "Adobe Lightroom", "editing-software"),
        ("Final Cut Pro 10.7", "Final Cut Pro", "editing-software"),
        ("iMovie 10.3", "iMovie", "editing-software"),
        ("DaVinci Resolve Studio", "DaVinci Resolve", "editing-software"),
        ("CapCut", "CapCut", "editing-software"),
        ("InShot", "InShot", "editing-software"),
        ("VN Video Editor", "VN Video Editor", "editing-software"),
        ("KineMaster 7.2", "KineMaster", "editing-software"),
        ("Wondershare Filmora 12", "Filmora", "editing-software"),
        ("HandBrake 1.7.2 2023121800", "HandBrake", "editing-software"),
        ("GIMP 2.10.36", "GIMP", "editing-software"),
        ("Snapseed 2.0", "Snapseed", "editing-software"),
        ("LAVF60.3.100", "FFmpeg", "platform-encoder"),
        ("Telegram Desktop", "Telegram", "platform-encoder"),
        ("WhatsApp", "WhatsApp", "platform-encoder"),
        ("TikTok", "TikTok", "platform-encoder"),
        ("Instagram", "Instagram", "platform-encoder"),
        ("ISO Media file produced by Google Inc.", "YouTube", "platform-encoder"),
    ],
)
def test_product_table(software: str, product: str, code: str) -> None:
    info = MediaInfo(kind="video", encoder=software, creation_time="2024-01-01T00:00:00Z")
    hits = match_products(info)
    assert [(p.name, p.code) for p, _k, _v in hits] == [(product, code)]
    flag = next(
        f for f in metadata_flags(info, now=datetime(2025, 1, 1, tzinfo=UTC)) if f.code == code
    )
    assert product in flag.message and software in flag.message


def test_flags_ignore_unrelated_software() -> None:
    info = MediaInfo(kind="image", encoder="17.3.1", device_make="Apple")
    assert match_products(info) == []
