"""Times read from post ids (X and Discord snowflakes, TikTok video ids), and URLs added by hand.

Reference values are computed from the published id layouts and checked
against posts whose time is known from elsewhere: the youtube-dl file of a
tweet from the evening of 6 December 2015 ("December 7th tomorrow"), the
snowflake example in Discord's API documentation (2016-04-30T11:18:25.796Z).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli.main import cli
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.provenance import add_appearance
from verifier.sources.post_ids import (
    IdTime,
    IdTimeRefused,
    compare_times,
    post_id_from_url,
    time_from_post_id,
    time_from_url,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def x_id(when: datetime, low_bits: int = 0) -> int:
    """The smallest snowflake a tweet made at ``when`` can have, plus ``low_bits``."""
    ms = round(when.timestamp() * 1000) - 1288834974657
    return (ms << 22) | low_bits


def read(platform: str, post_id: str | int) -> IdTime:
    found = time_from_post_id(platform, post_id, now=NOW)
    assert isinstance(found, IdTime), found
    return found


def refused(platform: str, post_id: str | int) -> str:
    found = time_from_post_id(platform, post_id, now=NOW)
    assert isinstance(found, IdTimeRefused), found
    return found.reason


def test_x_snowflakes() -> None:
    tweet = read("x", "673581573409775617")
    assert tweet.when == datetime(2015, 12, 6, 19, 15, 36, 298000, tzinfo=UTC)
    assert tweet.precision == "second" and tweet.method == "post id (X snowflake)"
    # The figure 19:24:27.843 circulates for this id; the id layout gives 19:26:16.771.
    assert read("x", 1212092628029698048).when == datetime(
        2019, 12, 31, 19, 26, 16, 771000, tzinfo=UTC
    )
    assert read("twitter", "1212092628029698048").platform == "x"
    # The time sits in the top bits: the low 22 bits (worker, sequence) do not move it.
    when = datetime(2025, 3, 13, 9, 41, 7, 250000, tzinfo=UTC)
    assert read("x", x_id(when, low_bits=2**22 - 1)).when == when


def test_sequential_tweet_ids_are_not_snowflakes() -> None:
    assert "not a snowflake" in refused("x", "20")  # jack's first tweet, March 2006
    assert "not a snowflake" in refused("x", 29_700_859_247)
    assert isinstance(time_from_post_id("x", x_id(datetime(2010, 11, 5, tzinfo=UTC))), IdTime)


def test_tiktok_video_ids() -> None:
    when = datetime(2019, 7, 27, 13, 32, 33, tzinfo=UTC)
    video = read("tiktok", (int(when.timestamp()) << 32) | 0x5A5A5A5)
    assert video.when == when and video.method == "post id (TikTok video id)"
    assert read("tiktok", "6718335390845095173").when == when
    assert "before TikTok existed" in refused("tiktok", "123456789")


def test_discord_snowflakes() -> None:
    message = read("discord", "175928847299117063")
    assert message.when == datetime(2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC)
    assert message.method == "post id (Discord snowflake)"
    assert "too small" in refused("discord", "4194303")


def test_future_and_oversized_ids_are_refused() -> None:
    future = x_id(NOW + timedelta(days=3))
    assert "in the future" in refused("x", future)
    assert isinstance(time_from_post_id("x", x_id(NOW + timedelta(minutes=1)), now=NOW), IdTime)
    assert "64-bit" in refused("x", str(2**64))
    assert "in the future" in refused("tiktok", str(2**63))


@pytest.mark.parametrize(
    "value",
    [None, "", "abc", "1yNGaQLWpejGj", "12 34", "-5", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩", True, "9" * 21],
)
def test_non_ids_are_not_read(value: object) -> None:
    assert time_from_post_id("x", value, now=NOW) is None  # type: ignore[arg-type]


def test_platforms_without_times_in_ids() -> None:
    for platform in ("youtube", "telegram", "instagram", None, ""):
        assert time_from_post_id(platform, "1212092628029698048", now=NOW) is None


TWEET = "673581573409775617"
NEW_TWEET = "1212092628029698048"
TIKTOK = "6718335390845095173"
DISCORD = "175928847299117063"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"https://twitter.com/TheMichaelMoran/status/{TWEET}", ("x", TWEET)),
        (f"https://x.com/a/status/{NEW_TWEET}/video/1", ("x", NEW_TWEET)),
        (f"https://mobile.twitter.com/i/web/status/{NEW_TWEET}?s=20", ("x", NEW_TWEET)),
        (f"x.com/a/status/{NEW_TWEET}", ("x", NEW_TWEET)),
        (f"https://www.tiktok.com/@scout2015/video/{TIKTOK}", ("tiktok", TIKTOK)),
        (f"https://www.tiktok.com/embed/v2/{TIKTOK}", ("tiktok", TIKTOK)),
        (f"https://discord.com/channels/1/2/{DISCORD}", ("discord", DISCORD)),
        (f"https://canary.discordapp.com/channels/@me/2/{DISCORD}", ("discord", DISCORD)),
        ("https://x.com/TheMichaelMoran", None),
        ("https://vm.tiktok.com/ZMabcdef/", None),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
        (f"https://evil.example/status/{NEW_TWEET}", None),
        (f"https://x.com.evil.example/a/status/{NEW_TWEET}", None),
        ("http://[::1", None),
        ("", None),
    ],
)
def test_post_ids_from_addresses(url: str, expected: tuple[str, str] | None) -> None:
    assert post_id_from_url(url) == expected


def test_time_from_url() -> None:
    found = time_from_url("https://x.com/a/status/673581573409775617", now=NOW)
    assert (
        isinstance(found, IdTime) and found.when.isoformat() == "2015-12-06T19:15:36.298000+00:00"
    )
    assert isinstance(time_from_url("https://x.com/jack/status/20", now=NOW), IdTimeRefused)
    assert time_from_url("https://t.me/chan/5", now=NOW) is None


def test_disagreement_is_judged_at_the_coarser_precision() -> None:
    tweet = read("x", "673581573409775617")  # 2015-12-06T19:15:36.298Z
    second = datetime(2015, 12, 6, 19, 15, 36, tzinfo=UTC)  # the API's created_at, truncated
    assert compare_times(second, "second", tweet, source="timestamp") is None
    assert compare_times(datetime(2015, 12, 6, tzinfo=UTC), "date", tweet, source="x") is None
    minute = datetime(2015, 12, 6, 19, 15, tzinfo=UTC)
    assert compare_times(minute, "minute", tweet, source="x") is None
    late = compare_times(second + timedelta(seconds=2), "second", tweet, source="timestamp")
    assert late is not None and "timestamp" in late and "673581573409775617" in late
    assert "disagrees" in late and "X snowflake" in late
    # A date is a whole day: the day before disagrees, by the hours outside it.
    day_before = compare_times(
        datetime(2015, 12, 5, tzinfo=UTC), "date", tweet, source="upload_date"
    )
    assert day_before is not None and "19.3 h" in day_before
    # A local time mistaken for UTC (UTC+3) is exactly what this catches.
    assert compare_times(second + timedelta(hours=3), "second", tweet, source="t") is not None


# -- URLs added by hand --------------------------------------------------------


def test_manual_x_url_without_time_is_timed_from_its_id(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "Manual ids")
    clip_id = import_paths(app, [fixture_dir / "fade.mp4"], case, analyse=False).items[0].clip_id
    added = add_appearance(
        app, str(clip_id), url="https://x.com/TheMichaelMoran/status/673581573409775617"
    )
    assert added["platform"] == "x"
    assert added["posted_at"] == "2015-12-06T19:15:36.298000+00:00"
    assert added["posted_at_precision"] == "second"
    assert added["posted_at_method"] == "post id (X snowflake)"
    assert added["posted_at_text"] == "post id 673581573409775617"
    assert added["id_posted_at"] == added["posted_at"] and added["post_id"] == "673581573409775617"
    assert added["warnings"] == []


def test_manual_time_is_compared_with_the_id(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "Manual compare")
    clip_id = import_paths(app, [fixture_dir / "fade.mp4"], case, analyse=False).items[0].clip_id
    agree = add_appearance(app, str(clip_id), url="https://x.com/a/status/673581573409775617",
                           posted_at="2015-12-06")  # fmt: skip
    assert agree["posted_at"] == "2015-12-06T00:00:00+00:00"
    assert agree["posted_at_precision"] == "date" and agree["posted_at_method"] == "manual"
    assert agree["id_posted_at"] == "2015-12-06T19:15:36.298000+00:00"
    assert agree["warnings"] == []
    wrong = add_appearance(app, str(clip_id), url="https://x.com/b/status/673581573409775617",
                           posted_at="2015-12-06T19:15:36+03:00")  # fmt: skip
    assert wrong["posted_at"] == "2015-12-06T16:15:36+00:00"  # what was typed stays
    [warning] = wrong["warnings"]
    assert "disagrees" in warning and "2015-12-06T19:15:36.298Z" in warning
    old = add_appearance(app, str(clip_id), url="https://twitter.com/jack/status/20")
    assert old["posted_at"] is None and old["posted_at_method"] is None
    assert any("not a snowflake" in w for w in old["warnings"])
    telegram = add_appearance(app, str(clip_id), url="https://t.me/chan/7")
    assert telegram["posted_at"] is None and telegram["warnings"] == []


def test_cli_appearance_add_says_where_the_time_came_from(
    tmp_path: Path, fixture_dir: Path
) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    runner.invoke(cli, [*base, "case", "new", "C"])
    runner.invoke(cli, [*base, "import", "--no-analyse", str(fixture_dir / "cut.mp4")])
    url = f"https://www.tiktok.com/@scout2015/video/{TIKTOK}"
    result = runner.invoke(cli, [*base, "appearance", "add", "1", "--url", url])
    assert result.exit_code == 0, result.output
    assert "2019-07-27T13:32:33+00:00" in result.stdout
    assert "post id (TikTok video id)" in result.stdout and "second" in result.stdout
    result = runner.invoke(cli, [*base, "appearance", "add", "1", "--url",
                                 "https://x.com/a/status/673581573409775617",
                                 "--posted-at", "2015-12-07"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "disagrees" in result.stderr
    assert "2015-12-06T19:15:36.298000+00:00" in result.stdout  # what the id says
    shown = json.loads(runner.invoke(cli, [*base, "provenance", "1", "--json"]).stdout)
    stored = {e["url"]: e for e in shown["appearances"]}
    assert stored["https://x.com/a/status/673581573409775617"]["warnings"]
    log = json.loads(runner.invoke(cli, [*base, "log", "--json"]).stdout)
    added = [e for e in log if e["action"] == "appearance.add"]
    assert added[0]["details"]["posted_at_method"] == "post id (TikTok video id)"
