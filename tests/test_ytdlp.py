"""Tests for the yt-dlp ``.info.json`` reader.

The sidecars are shaped like real yt-dlp output for each platform (field
names, types, extractor keys as yt-dlp writes them), so the expected UTC
values are exact and the hostile cases show the reader reports instead of
raising. Files written by yt-dlp and youtube-dl themselves (a channel's
``_type: playlist`` file, a 2015 tweet without time fields) are in
``tests/data/ytdlp/`` with their sources.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from verifier.cli.main import cli
from verifier.db.models import Appearance, CustodyEvent, SourceCollection
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.sources import AppearanceRecord, CollectionRecord, SidecarProblem
from verifier.sources.ytdlp import (
    media_for,
    platform_for_extractor,
    read_ytdlp_sidecar,
    sidecar_for,
)

DATA = Path(__file__).parent / "data" / "ytdlp"

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
    "id": "1900119925477990976",
    "title": "Ivan P. - Explosion seen from the bridge",
    "description": "Explosion seen from the bridge https://t.co/abc",
    "uploader": "Ivan P.",
    "uploader_id": "ivan_p",
    "uploader_url": "https://twitter.com/ivan_p",
    "timestamp": 1741858867,
    "upload_date": "20250313",
    "webpage_url": "https://twitter.com/ivan_p/status/1900119925477990976",
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
    rec = read_ok(write(tmp_path, "ivan_p-1900119925477990976.info.json", TWITTER))
    assert rec.platform == "x"
    assert rec.channel == "Ivan P."
    assert rec.channel_id == "ivan_p"
    assert rec.channel_url == "https://twitter.com/ivan_p"
    assert rec.post_id == "1900119925477990976"
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
        ("TwitchClips", "twitch"),
        ("TwitchVod", "twitch"),
        ("twitchvod", "twitch"),
        ("TwitchStream", "twitch"),
        ("TwitterBroadcast", "x"),
        ("TwitterSpaces", "x"),
        ("TikTokUser", "tiktok"),
        ("VKUserVideos", "vk"),
        ("Reddit", "reddit"),
        ("Odnoklassniki", "ok"),
    ],
)
def test_platform_names(tmp_path: Path, key: str, platform: str) -> None:
    rec = read_ok(write(tmp_path, "a.info.json", {**DATE_ONLY, "extractor_key": key}))
    assert rec.platform == platform


@pytest.mark.parametrize(
    ("extractor", "platform"),
    [
        ("twitch:clips", "twitch"),
        ("twitch:vod", "twitch"),
        ("twitch:stream", "twitch"),
        ("youtube:tab", "youtube"),
        ("twitter:spaces", "x"),
        ("twitter:broadcast", "x"),
        ("telegram:embed", "telegram"),
        ("Kickstarter", "kickstarter"),
    ],
)
def test_platform_names_from_extractor(tmp_path: Path, extractor: str, platform: str) -> None:
    info = {k: v for k, v in DATE_ONLY.items() if k != "extractor_key"}
    rec = read_ok(write(tmp_path, "a.info.json", {**info, "extractor": extractor}))
    assert rec.platform == platform
    assert platform_for_extractor(extractor) == platform


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


def read_collection(path: Path) -> CollectionRecord:
    result = read_ytdlp_sidecar(path)
    assert isinstance(result, CollectionRecord), result
    return result


def test_playlist_sidecar_is_a_collection_record(tmp_path: Path) -> None:
    info = {
        "_type": "playlist", "id": "PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf", "title": "Strikes 2025",
        "uploader": "Local News", "uploader_id": "@localnews",
        "uploader_url": "https://www.youtube.com/@localnews", "channel_id": "UCabc",
        "webpage_url": "https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf",
        "extractor": "youtube:tab", "extractor_key": "YoutubeTab",
        "entries": [{"id": "dQw4w9WgXcQ", "formats": [{"url": "x"}] * 20}, {"id": "abc"}, 7],
        "thumbnails": [{"url": "https://example.invalid/t.jpg"}],
    }  # fmt: skip
    path = write(tmp_path, "Strikes 2025 [PLrAX].info.json", info)
    rec = read_collection(path)
    assert rec.kind == "playlist" and rec.platform == "youtube"
    assert rec.id == "PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf" and rec.title == "Strikes 2025"
    assert rec.url == info["webpage_url"]
    assert rec.uploader == "Local News" and rec.uploader_id == "UCabc"
    assert rec.uploader_url == "https://www.youtube.com/@localnews"
    assert rec.sidecar_path == path
    assert rec.raw["_entry_ids"] == ["dQw4w9WgXcQ", "abc"]
    assert "entries" not in rec.raw and "thumbnails" not in rec.raw
    assert rec.raw["_dropped_keys"] == ["thumbnails", "entries"]
    json.dumps(rec.raw)


def test_channel_info_json_written_by_ytdlp() -> None:
    rec = read_collection(DATA / "PinchflatTestChannel.info.json")
    assert rec.kind == "channel" and rec.platform == "youtube"
    assert rec.id == "PinchflatTestChannel" and rec.title == "PinchflatTestChannel"
    assert rec.url == "https://www.youtube.com/c/PinchflatTestChannel"
    assert rec.uploader == "PinchflatTestChannel" and rec.uploader_id == "UCEABC123"
    assert rec.uploader_url == "https://www.youtube.com/channel/UCEABC123"
    assert rec.raw["epoch"] == 1710800380 and "thumbnails" not in rec.raw


@pytest.mark.parametrize(
    ("info", "kind"),
    [
        ({"id": "UCabc", "channel_id": "UCabc", "webpage_url": "https://www.youtube.com/@a/videos"},
         "channel"),
        ({"id": "x", "webpage_url": "https://www.youtube.com/channel/UCabc/streams"}, "channel"),
        ({"id": "scout2015", "extractor_key": "TikTokUser"}, "channel"),
        ({"id": "PL1", "webpage_url": "https://www.youtube.com/playlist?list=PL1"}, "playlist"),
        ({"_type": "multi_video", "id": "1900119925477990976", "extractor_key": "Twitter",
          "webpage_url": "https://x.com/a/status/1900119925477990976"}, "playlist"),
    ],
)  # fmt: skip
def test_collection_kind(tmp_path: Path, info: dict[str, Any], kind: str) -> None:
    rec = read_collection(write(tmp_path, "c.info.json", {"_type": "playlist", **info}))
    assert rec.kind == kind


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


# -- times: which field, and the time in the post id ----------------------------


def test_youtube_dl_tweet_without_time_fields_is_timed_from_its_id() -> None:
    """youtube-dl wrote no timestamp for tweets: the snowflake id gives the second."""
    rec = read_ok(DATA / "tweet-673581573409775617.info.json")
    assert rec.platform == "x" and rec.post_id == "673581573409775617"
    assert rec.url == "https://twitter.com/TheMichaelMoran/status/673581573409775617"
    assert rec.channel == "Michael Moran" and rec.channel_id == "TheMichaelMoran"
    assert rec.posted_at == datetime(2015, 12, 6, 19, 15, 36, 298000, tzinfo=UTC)
    assert rec.posted_at_precision == "second"
    assert rec.posted_at_method == "post id (X snowflake)"
    assert rec.posted_at_text == "post id 673581573409775617"
    assert rec.id_posted_at == rec.posted_at and rec.id_posted_at_precision == "second"
    assert rec.warnings == ()


def test_sidecar_time_is_kept_and_the_id_time_stored_beside_it(tmp_path: Path) -> None:
    rec = read_ok(write(tmp_path, "t.info.json", TWITTER))
    assert rec.posted_at == datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC)
    assert rec.posted_at_method == "timestamp"
    assert rec.id_posted_at == datetime(2025, 3, 13, 9, 41, 7, 412000, tzinfo=UTC)
    assert rec.id_posted_at_precision == "second"
    assert rec.warnings == ()  # the API's second and the id's millisecond agree


def test_sidecar_time_disagreeing_with_the_id_is_warned(tmp_path: Path) -> None:
    info = {**TWITTER, "timestamp": TWITTER["timestamp"] + 3 * 3600, "upload_date": None}
    rec = read_ok(write(tmp_path, "t.info.json", info))
    assert rec.posted_at == datetime(2025, 3, 13, 12, 41, 7, tzinfo=UTC)  # the sidecar's, kept
    assert rec.id_posted_at == datetime(2025, 3, 13, 9, 41, 7, 412000, tzinfo=UTC)
    [warning] = rec.warnings
    assert "timestamp" in warning and "disagrees" in warning and "1900119925477990976" in warning


def test_upload_date_only_agreeing_with_the_id_day(tmp_path: Path) -> None:
    info = {k: v for k, v in TWITTER.items() if k != "timestamp"}
    rec = read_ok(write(tmp_path, "t.info.json", info))
    assert rec.posted_at == datetime(2025, 3, 13, tzinfo=UTC) and rec.posted_at_precision == "date"
    assert rec.posted_at_method == "upload_date"
    assert rec.warnings == ()
    rec = read_ok(write(tmp_path, "u.info.json", {**info, "upload_date": "20250314"}))
    assert any("upload_date" in w and "disagrees" in w for w in rec.warnings)


def test_the_post_address_wins_over_a_media_id(tmp_path: Path) -> None:
    """In a tweet with several videos yt-dlp's ``id`` can be a video's, made earlier."""
    media_id = str(1900119925477990976 - (3600_000 << 22))  # an hour before the tweet
    info = {k: v for k, v in TWITTER.items() if k not in ("timestamp", "upload_date")}
    rec = read_ok(write(tmp_path, "t.info.json", {**info, "id": media_id}))
    assert rec.posted_at == datetime(2025, 3, 13, 9, 41, 7, 412000, tzinfo=UTC)


def test_tiktok_video_id_time(tmp_path: Path) -> None:
    created = 1741858867
    video_id = str((created << 32) | 0x1F2E3D4C)
    info = {
        "id": video_id, "title": "#explosion", "uploader": "someone", "uploader_id": "6800000000",
        "channel": "Some One", "timestamp": created, "upload_date": "20250313",
        "webpage_url": f"https://www.tiktok.com/@someone/video/{video_id}",
        "extractor": "TikTok", "extractor_key": "TikTok",
    }  # fmt: skip
    rec = read_ok(write(tmp_path, "k.info.json", info))
    assert rec.platform == "tiktok" and rec.posted_at_method == "timestamp"
    assert rec.id_posted_at == datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC) == rec.posted_at
    assert rec.warnings == ()
    del info["timestamp"], info["upload_date"]
    rec = read_ok(write(tmp_path, "l.info.json", info))
    assert rec.posted_at == datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC)
    assert rec.posted_at_method == "post id (TikTok video id)"


def test_twitch_clip_keeps_its_own_time(tmp_path: Path) -> None:
    info = {
        "id": "AggressiveCobraPoooound-MbHqDLzL3-VWtO5i", "display_id": "AggressiveCobra",
        "title": "Clip", "timestamp": 1741858867, "upload_date": "20250313",
        "creator": "streamer", "uploader": "clipper", "uploader_id": "123456",
        "webpage_url": "https://clips.twitch.tv/AggressiveCobraPoooound-MbHqDLzL3-VWtO5i",
        "extractor": "twitch:clips", "extractor_key": "TwitchClips",
    }  # fmt: skip
    rec = read_ok(write(tmp_path, "c.info.json", info))
    assert rec.platform == "twitch"
    assert rec.posted_at_method == "timestamp" and rec.id_posted_at is None
    assert rec.warnings == ()


def test_method_names_the_field(tmp_path: Path) -> None:
    assert read_ok(write(tmp_path, "a.info.json", YOUTUBE)).posted_at_method == "timestamp"
    assert read_ok(write(tmp_path, "b.info.json", DATE_ONLY)).posted_at_method == "upload_date"
    info = {k: v for k, v in YOUTUBE.items() if k != "timestamp"}
    assert read_ok(write(tmp_path, "c.info.json", info)).posted_at_method == "release_timestamp"
    rec = read_ok(write(tmp_path, "d.info.json", {"id": "x", "extractor_key": "Youtube"}))
    assert rec.posted_at is None and rec.posted_at_method is None


def test_pre_snowflake_tweet_id_gives_no_time(tmp_path: Path) -> None:
    info = {
        "id": "20",
        "extractor_key": "Twitter",
        "webpage_url": "https://twitter.com/jack/status/20",
    }
    rec = read_ok(write(tmp_path, "j.info.json", info))
    assert rec.posted_at is None and rec.id_posted_at is None
    assert any("not a snowflake" in w for w in rec.warnings)


# -- importing a channel download -------------------------------------------------


def _channel_download(folder: Path, fixture_dir: Path) -> Path:
    """A folder as ``yt-dlp --write-info-json <channel>`` leaves it: the channel's file too."""
    folder.mkdir(parents=True)
    shutil.copy(DATA / "PinchflatTestChannel.info.json",
                folder / "PinchflatTestChannel - Videos [UCEABC123].info.json")  # fmt: skip
    shutil.copy(fixture_dir / "cut.mp4", folder / "Strike [dQw4w9WgXcQ].mp4")
    write(folder, "Strike [dQw4w9WgXcQ].info.json", YOUTUBE)
    later = {**YOUTUBE, "id": "later123", "webpage_url": "https://www.youtube.com/watch?v=later123"}
    write(folder, "Later [later123].info.json", later)  # media not downloaded
    return folder


def test_import_records_the_channel_and_links_its_posts(
    app: App, tmp_path: Path, fixture_dir: Path
) -> None:
    case = cases.create_case(app, "Channel")
    folder = _channel_download(tmp_path / "channel", fixture_dir)
    other = tmp_path / "elsewhere"
    other.mkdir()
    write(other, "x.info.json", TWITTER)  # another folder: not the channel's
    report = import_paths(app, [folder, other], case, analyse=False)
    assert report.failed == [], report.to_json()
    assert report.collections == 1 and report.to_json()["collections"] == 1
    channel_items = [i for i in report.items if "UCEABC123" in Path(i.path).name]
    assert [(i.status, i.reason) for i in channel_items] == [
        ("skipped", "channel or playlist record (sidecar)")
    ]
    with app.db.read() as session:
        [collection] = session.scalars(select(SourceCollection)).all()
        assert (collection.kind, collection.platform) == ("channel", "youtube")
        assert collection.external_id == "PinchflatTestChannel"
        assert collection.url == "https://www.youtube.com/c/PinchflatTestChannel"
        assert collection.uploader_id == "UCEABC123" and collection.case_id == case.id
        rows = session.scalars(select(Appearance)).all()
        linked = {a.url: a.collection_id for a in rows}
        members = sorted(a.id for a in rows if a.collection_id is not None)
    assert linked == {
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ": collection.id,
        "https://www.youtube.com/watch?v=later123": collection.id,
        TWITTER["webpage_url"]: None,
    }
    with app.db.read() as session:
        events = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action.like("collection.%"))
        ).all()
        assert [e.action for e in events] == ["collection.add"]
        assert sorted(events[0].details["appearances"]) == members
        assert events[0].details["external_id"] == "PinchflatTestChannel"
    # Again: nothing recorded twice, nothing failed.
    again = import_paths(app, [folder], case, analyse=False)
    assert again.failed == [] and again.collections == 0
    with app.db.read() as session:
        assert len(session.scalars(select(SourceCollection)).all()) == 1


def test_cli_import_of_a_channel_download_exits_0(tmp_path: Path, fixture_dir: Path) -> None:
    folder = _channel_download(tmp_path / "channel", fixture_dir)
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    runner.invoke(cli, [*base, "case", "new", "C"])
    result = runner.invoke(cli, [*base, "import", "--no-analyse", "--json", str(folder)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["collections"] == 1 and shown["summary"]["failed"] == 0
    statuses = [i["status"] for i in shown["items"] if "UCEABC123" in i["path"]]
    assert statuses == ["skipped"]
