"""Tests for the yt-dlp ``.info.json`` reader.

The sidecars are shaped like real yt-dlp output for each platform (field
names, types, extractor keys as yt-dlp writes them), so the expected UTC
values are exact and the hostile cases show the reader reports instead of
raising.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from verifier.sources import AppearanceRecord, SidecarProblem
from verifier.sources.ytdlp import media_for, read_ytdlp_sidecar, sidecar_for

YOUTUBE: dict[str, Any] = {
    "id": "dQw4w9WgXcQ",
    "title": "Strike on the market, 13 March",
    "description": "Footage sent by a resident.",
    "uploader": "Local News",
    "uploader_id": "@localnews",
    "uploader_url": "https://www.youtube.com/@localnews",
    "channel": "Local News",
    "channel_id": "UCabcdefghijklmnopqrstuv",
    "channel_url": "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv",
    "timestamp": 1741858867,
    "upload_date": "20250313",
    "release_timestamp": 1741900000,
    "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    "original_url": "https://youtu.be/dQw4w9WgXcQ",
    "extractor": "youtube",
    "extractor_key": "Youtube",
    "epoch": 1741900000,
    "_version": {"version": "2025.02.19", "release_git_head": "abc", "repository": "yt-dlp"},
    "_filename": "/etc/passwd",
    "filepath": "../../outside.mp4",
    "formats": [{"format_id": "137", "url": "https://example.invalid/x"}] * 50,
    "thumbnails": [{"url": "https://example.invalid/t.jpg"}],
    "automatic_captions": {"en": []},
    "heatmap": [{"start_time": 0, "value": 1.0}],
}

TWITTER: dict[str, Any] = {
    "id": "1900000000000000000",
    "title": "Ivan P. - Explosion seen from the bridge",
    "description": "Explosion seen from the bridge https://t.co/abc",
    "uploader": "Ivan P.",
    "uploader_id": "ivan_p",
    "uploader_url": "https://twitter.com/ivan_p",
    "timestamp": 1741858867,
    "upload_date": "20250313",
    "webpage_url": "https://twitter.com/ivan_p/status/1900000000000000000",
    "extractor": "twitter",
    "extractor_key": "Twitter",
    "epoch": 1741900000,
}

TELEGRAM: dict[str, Any] = {
    "id": "613",
    "title": "Europa Press ✔",
    "description": "Video from the scene",
    "uploader": "europa_press",
    "timestamp": 1635631203,
    "upload_date": "20211030",
    "duration": 61,
    "webpage_url": "https://t.me/europa_press/613",
    "extractor": "telegram:embed",
    "extractor_key": "TelegramEmbed",
}

DATE_ONLY: dict[str, Any] = {
    "id": "v1abc",
    "title": "Clip",
    "uploader": "someone",
    "upload_date": "20250313",
    "webpage_url": "https://rumble.com/v1abc-clip.html",
    "extractor": "Rumble",
    "extractor_key": "Rumble",
}


def write(folder: Path, name: str, info: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return path


def read_ok(path: Path) -> AppearanceRecord:
    result = read_ytdlp_sidecar(path)
    assert isinstance(result, AppearanceRecord), result
    return result


def read_problem(path: Path, **kwargs: Any) -> SidecarProblem:
    result = read_ytdlp_sidecar(path, **kwargs)
    assert isinstance(result, SidecarProblem), result
    assert result.path == path
    return result


# -- realistic sidecars --------------------------------------------------------


def test_youtube_sidecar(tmp_path: Path) -> None:
    sidecar = write(tmp_path, "Strike [dQw4w9WgXcQ].info.json", YOUTUBE)
    media = tmp_path / "Strike [dQw4w9WgXcQ].mp4"
    media.write_bytes(b"\0")
    rec = read_ok(sidecar)
    assert rec.platform == "youtube"
    assert rec.source == "sidecar"
    assert rec.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert rec.post_id == "dQw4w9WgXcQ"
    assert rec.channel == "Local News"
    assert rec.channel_id == "UCabcdefghijklmnopqrstuv"
    assert rec.channel_url == "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv"
    assert rec.posted_at == datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC)
    assert rec.posted_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert rec.posted_at_precision == "second"
    assert rec.posted_at_text == "timestamp 1741858867"
    assert rec.collected_at == datetime(2025, 3, 13, 21, 6, 40, tzinfo=UTC)
    assert rec.caption == "Strike on the market, 13 March\n\nFootage sent by a resident."
    assert rec.media_path == media and rec.media_available
    assert rec.sidecar_path == sidecar
    assert rec.warnings == ()
    # raw: everything but the bulky keys, which are listed
    assert rec.raw["release_timestamp"] == 1741900000
    assert rec.raw["_version"]["version"] == "2025.02.19"
    assert rec.raw["_filename"] == "/etc/passwd"  # kept as evidence, never used
    for key in ("formats", "thumbnails", "automatic_captions", "heatmap"):
        assert key not in rec.raw
    assert rec.raw["_dropped_keys"] == ["formats", "thumbnails", "automatic_captions", "heatmap"]
    json.dumps(rec.raw)  # stays storable


def test_twitter_sidecar_uses_uploader_as_channel(tmp_path: Path) -> None:
    rec = read_ok(write(tmp_path, "ivan_p-1900000000000000000.info.json", TWITTER))
    assert rec.platform == "x"
    assert rec.channel == "Ivan P."
    assert rec.channel_id == "ivan_p"
    assert rec.channel_url == "https://twitter.com/ivan_p"
    assert rec.post_id == "1900000000000000000"
    assert rec.posted_at == datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC)
    assert rec.posted_at_precision == "second"
    assert rec.caption == (
        "Ivan P. - Explosion seen from the bridge\n\nExplosion seen from the bridge https://t.co/abc"
    )
    assert rec.media_path is None and rec.media_available is False
    assert "_dropped_keys" not in rec.raw


def test_telegram_sidecar(tmp_path: Path) -> None:
    rec = read_ok(write(tmp_path, "613.info.json", TELEGRAM))
    assert rec.platform == "telegram"
    assert rec.url == "https://t.me/europa_press/613"
    assert rec.channel == "europa_press"
    assert rec.channel_id is None
    assert rec.posted_at == datetime(2021, 10, 30, 22, 0, 3, tzinfo=UTC)
    assert rec.collected_at is None
    assert rec.warnings == ()


def test_upload_date_only_is_date_precision(tmp_path: Path) -> None:
    rec = read_ok(write(tmp_path, "v1abc.info.json", DATE_ONLY))
    assert rec.platform == "rumble"
    assert rec.posted_at == datetime(2025, 3, 13, tzinfo=UTC)
    assert rec.posted_at_precision == "date"
    assert rec.posted_at_text == "upload_date 20250313"
    assert rec.caption == "Clip"


def test_release_timestamp_only_is_used_with_warning(tmp_path: Path) -> None:
    info = {**YOUTUBE, "upload_date": None}
    del info["timestamp"]
    rec = read_ok(write(tmp_path, "a.info.json", info))
    assert rec.posted_at == datetime(2025, 3, 13, 21, 6, 40, tzinfo=UTC)
    assert rec.posted_at_precision == "second"
    assert rec.posted_at_text == "release_timestamp 1741900000"
    assert any("release_timestamp" in w for w in rec.warnings)


def test_upload_date_disagreeing_with_timestamp_is_warned(tmp_path: Path) -> None:
    rec = read_ok(write(tmp_path, "a.info.json", {**TWITTER, "upload_date": "20250312"}))
    assert rec.posted_at == datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC)
    assert any("disagrees" in w for w in rec.warnings)


@pytest.mark.parametrize(
    ("key", "platform"),
    [
        ("Youtube", "youtube"),
        ("YoutubeTab", "youtube"),
        ("Twitter", "x"),
        ("TikTok", "tiktok"),
        ("Telegram", "telegram"),
        ("Instagram", "instagram"),
        ("Facebook", "facebook"),
        ("VK", "vk"),
        ("Rumble", "rumble"),
        ("Odysee", "odysee"),
        ("Generic", "generic"),
    ],
)
def test_platform_names(tmp_path: Path, key: str, platform: str) -> None:
    rec = read_ok(write(tmp_path, "a.info.json", {**DATE_ONLY, "extractor_key": key}))
    assert rec.platform == platform


def test_title_equal_to_description_is_not_repeated(tmp_path: Path) -> None:
    info = {**TELEGRAM, "title": "Same", "description": "Same"}
    assert read_ok(write(tmp_path, "a.info.json", info)).caption == "Same"


def test_original_url_fallback_and_missing_url(tmp_path: Path) -> None:
    info = {k: v for k, v in YOUTUBE.items() if k != "webpage_url"}
    assert read_ok(write(tmp_path, "a.info.json", info)).url == "https://youtu.be/dQw4w9WgXcQ"
    del info["original_url"]
    rec = read_ok(write(tmp_path, "b.info.json", info))
    assert rec.url is None
    assert any("webpage_url" in w for w in rec.warnings)


# -- media pairing -------------------------------------------------------------


def test_media_pairing(tmp_path: Path) -> None:
    base = "Clip. With dots [abc]"
    sidecar = tmp_path / f"{base}.info.json"
    sidecar.write_text("{}")
    for extra in (".en.vtt", ".description", ".jpg", ".webp", ".mp4.part", ".m4a"):
        (tmp_path / f"{base}{extra}").write_bytes(b"")
    (tmp_path / "Clip. With dots [abc] 2.mp4").write_bytes(b"")  # another clip
    # only audio downloaded so far
    assert media_for(sidecar) == tmp_path / f"{base}.m4a"
    fmt = tmp_path / f"{base}.f137.mp4"
    fmt.write_bytes(b"")
    assert media_for(sidecar) == fmt
    merged = tmp_path / f"{base}.mkv"
    merged.write_bytes(b"")
    assert media_for(sidecar) == merged
    assert sidecar_for(merged) == sidecar
    assert sidecar_for(fmt) == sidecar
    assert sidecar_for(tmp_path / f"{base}.m4a") == sidecar
    assert sidecar_for(sidecar) is None
    assert sidecar_for(tmp_path / "Clip. With dots [abc] 2.mp4") is None


def test_media_not_downloaded(tmp_path: Path) -> None:
    sidecar = tmp_path / "x.info.json"
    sidecar.write_text("{}")
    (tmp_path / "x.en.vtt").write_bytes(b"")
    (tmp_path / "x.final.mp4").write_bytes(b"")  # a different clip, not a format file
    assert media_for(sidecar) is None
    assert sidecar_for(tmp_path / "x.final.mp4") is None


def test_media_symlink_out_of_folder_is_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"")
    sidecar = write(folder, "x.info.json", TWITTER)
    os.symlink(outside, folder / "x.mp4")
    assert media_for(sidecar) is None
    assert read_ok(sidecar).media_available is False


# -- hostile and broken --------------------------------------------------------


def test_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "a.info.json"
    path.write_text('{"id": "x", ')
    assert "malformed JSON" in read_problem(path).reason


def test_not_an_object(tmp_path: Path) -> None:
    assert "not an object" in read_problem(write(tmp_path, "a.info.json", [1, 2])).reason


def test_nesting_bomb(tmp_path: Path) -> None:
    path = tmp_path / "a.info.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert "malformed JSON" in read_problem(path).reason


def test_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.info.json"
    path.write_bytes(b'{"title": "\xff\xfe caf\xe9"}')
    assert "UTF-8" in read_problem(path).reason


def test_too_large_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, "a.info.json", {**YOUTUBE, "pad": "x" * 5000})
    problem = read_problem(path, max_bytes=1000)
    assert "limit" in problem.reason


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read" in read_problem(tmp_path / "nope.info.json").reason


def test_sidecar_symlink_out_of_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    target = write(tmp_path, "real.info.json", TWITTER)
    link = folder / "a.info.json"
    os.symlink(target, link)
    assert "outside" in read_problem(link).reason


def test_playlist_sidecar_is_skipped(tmp_path: Path) -> None:
    info = {"_type": "playlist", "id": "PL1", "title": "Uploads", "entries": []}
    assert "playlist" in read_problem(write(tmp_path, "p.info.json", info)).reason


def test_wrong_types_become_warnings(tmp_path: Path) -> None:
    info = {
        **YOUTUBE,
        "timestamp": "abc",
        "release_timestamp": None,
        "upload_date": "2025-13-45",
        "epoch": float("nan"),
        "title": 42,
        "webpage_url": ["not", "a", "url"],
        "id": {"x": 1},
        "channel": True,
    }
    path = tmp_path / "a.info.json"
    path.write_text(json.dumps(info))  # json.dumps writes NaN, as Python's json reads it
    rec = read_ok(path)
    assert rec.posted_at is None and rec.posted_at_precision == "unknown"
    assert rec.posted_at_text is None
    assert rec.collected_at is None
    assert rec.url == "https://youtu.be/dQw4w9WgXcQ"
    assert rec.post_id is None
    assert rec.channel == "Local News"  # falls back to uploader
    assert rec.caption == "Footage sent by a resident."
    text = " | ".join(rec.warnings)
    for key in ("timestamp", "upload_date", "epoch", "title", "webpage_url", "id", "channel"):
        assert key in text


def test_bad_timestamp_falls_back_to_upload_date(tmp_path: Path) -> None:
    for bad in ("1741858867", 10**30, True, -(10**20)):
        rec = read_ok(write(tmp_path, "a.info.json", {**TWITTER, "timestamp": bad}))
        assert rec.posted_at == datetime(2025, 3, 13, tzinfo=UTC), bad
        assert rec.posted_at_precision == "date"


def test_invalid_upload_date_alone(tmp_path: Path) -> None:
    for bad in ("2025-13-45", "20251345", 20250313, ""):
        rec = read_ok(write(tmp_path, "a.info.json", {**DATE_ONLY, "upload_date": bad}))
        assert rec.posted_at is None and rec.posted_at_precision == "unknown"
        assert rec.warnings


def test_empty_object_is_a_bare_record(tmp_path: Path) -> None:
    rec = read_ok(write(tmp_path, "a.info.json", {}))
    assert rec.platform == "unknown"
    assert rec.url is None and rec.posted_at is None
    assert len(rec.warnings) == 2
