"""Every post a case knows of: listed, counted in the import summary, warnings shown.

The posts come from sidecars written here the way the real tools write them
(a Telegram Desktop export whose first post's media was not downloaded, a
yt-dlp ``.info.json``), imported through the real import; the fields the
readers of other platforms fill (where and who, a time from the post id)
are recorded with ``record_appearance`` directly.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli.main import cli
from verifier.config import load_settings
from verifier.ids import CaseId, ClipId
from verifier.services import cases
from verifier.services.clips import describe_clip
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.provenance import (
    post_facts,
    record_appearance,
)
from verifier.sources import AppearanceRecord

# 2025-03-13 07:41:07 UTC and, for the post whose media was not downloaded, 30 min before.
TELEGRAM_UNIX = 1741851667
# 2025-03-13 06:30:00 UTC: the YouTube re-upload.
YOUTUBE_UNIX = 1741847400


def telegram_export(folder: Path, video: Path, *, chat_type: str = "public_channel") -> Path:
    """A single-chat Telegram Desktop export: post 41 without its media, post 42 with it."""
    (folder / "video_files").mkdir(parents=True)
    shutil.copy(video, folder / "video_files" / "strike.mp4")
    sender = {"from": "Frontline News", "from_id": "channel1234567890"}
    if chat_type == "personal_chat":
        sender = {"from": "Olena", "from_id": "user777"}
    result = {
        "name": "Frontline News" if chat_type != "personal_chat" else "Taras",
        "type": chat_type,
        "id": 1234567890,
        "messages": [
            {
                "id": 41, "type": "message", "date": "2025-03-13T09:11:07",
                "date_unixtime": str(TELEGRAM_UNIX - 1800), **sender,
                "file": "(File not included. Change data exporting settings to download.)",
                "media_type": "video_file", "mime_type": "video/mp4",
                "text": "Earlier video, not downloaded",
            },
            {
                "id": 42, "type": "message", "date": "2025-03-13T09:41:07",
                "date_unixtime": str(TELEGRAM_UNIX), **sender,
                "file": "video_files/strike.mp4", "file_name": "strike.mp4",
                "media_type": "video_file", "mime_type": "video/mp4",
                "duration_seconds": 4, "width": 320, "height": 240, "text": "Strike",
            },
        ],
    }  # fmt: skip
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return folder


def ytdlp_download(folder: Path, video: Path) -> Path:
    """A yt-dlp download with ``--write-info-json``: the video and its sidecar."""
    folder.mkdir(parents=True)
    shutil.copy(video, folder / "Depot strike [abc123].mp4")
    info = {
        "id": "abc123", "title": "Depot strike", "webpage_url":
        "https://www.youtube.com/watch?v=abc123", "extractor": "youtube",
        "extractor_key": "Youtube", "uploader": "Some Channel", "channel": "Some Channel",
        "channel_id": "UC123", "timestamp": YOUTUBE_UNIX, "upload_date": "20250313",
        "epoch": 1741900000,
    }  # fmt: skip
    (folder / "Depot strike [abc123].info.json").write_text(json.dumps(info), encoding="utf-8")
    return folder


@pytest.fixture
def collection(tmp_path: Path, fixture_dir: Path) -> Path:
    root = tmp_path / "collection"
    telegram_export(root / "ChatExport_2025-03-14", fixture_dir / "cut.mp4")
    ytdlp_download(root / "yt-dlp", fixture_dir / "fade.mp4")
    return root


def _run(runner: CliRunner, base: list[str], *args: str) -> tuple[str, str]:
    result = runner.invoke(cli, [*base, *args])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout, result.stderr


def test_posts_lists_every_post_and_those_still_to_fetch(tmp_path: Path, collection: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    _run(runner, base, "case", "new", "Depot")
    out, _err = _run(runner, base, "import", "--no-analyse", str(collection))
    # The summary says in words that a post was recorded without its media, and where to look.
    told = "1 post recorded whose media was not downloaded: see `verifier posts --unavailable`"
    assert told in out

    posts = json.loads(_run(runner, base, "posts", "--json")[0])
    earliest_first = [("youtube", "abc123"), ("telegram", "41"), ("telegram", "42")]
    assert [(p["platform"], p["post_id"]) for p in posts] == earliest_first
    youtube, missing, downloaded = posts
    assert youtube["clip"]["name"] == "Depot strike [abc123].mp4"
    assert downloaded["clip"]["name"] == "strike.mp4"
    assert missing["clip"] is None and missing["media_available"] is False
    assert missing["case"]["name"] == "Depot"
    assert any("media not in export" in w for w in missing["warnings"])

    text = _run(runner, base, "posts")[0]
    assert "media not downloaded" in text
    assert f"#{downloaded['clip']['id']} strike.mp4" in text
    assert "warning    media not in export" in text
    assert "where      Frontline News" in text

    [only] = json.loads(_run(runner, base, "posts", "--unavailable", "--json")[0])
    assert only["post_id"] == "41" and only["clip"] is None
    text = _run(runner, base, "posts", "--unavailable")[0]
    assert "post #" in text and "strike.mp4" not in text and "abc123" not in text


def test_posts_of_an_empty_case_say_so(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    _run(runner, base, "case", "new", "Empty")
    assert "none recorded in case 'Empty'" in _run(runner, base, "posts", "--unavailable")[0]
    assert json.loads(_run(runner, base, "posts", "--json")[0]) == []


def test_import_report_shows_the_readers_warnings(tmp_path: Path, fixture_dir: Path) -> None:
    """A personal chat has no post link: the reader says so, and the import says it too."""
    export = telegram_export(tmp_path / "chat", fixture_dir / "cut.mp4", chat_type="personal_chat")
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    _run(runner, base, "case", "new", "Chat")
    result = json.loads(_run(runner, base, "import", "--no-analyse", str(export), "--json")[0])
    [item] = [i for i in result["items"] if i["status"] == "imported"]
    assert "telegram post 42: no post link exists for a personal_chat chat" in item["post_warnings"]
    assert all(w.startswith("telegram post 42: ") for w in item["post_warnings"])
    # A second import in another case prints the report as text.
    _run(runner, base, "case", "new", "Chat again")
    _out, err = _run(runner, base, "import", "--no-analyse", str(export))
    assert "post warning:" in err and "no post link exists for a personal_chat chat" in err


def _clip_with_posts(app: App, fixture_dir: Path) -> tuple[CaseId, ClipId]:
    case = cases.create_case(app, "Posts")
    clip_id = import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False).items[0].clip_id
    assert clip_id is not None
    snowflake = AppearanceRecord(
        platform="x", url="https://x.com/someone/status/1900000000000000000",
        channel="someone", chat_type="account", author="Some One", author_id="42",
        post_id="1900000000000000000",
        posted_at=datetime(2025, 3, 13, 9, 41, 0, tzinfo=UTC), posted_at_precision="second",
        posted_at_method="timestamp",
        id_posted_at=datetime(2025, 3, 13, 11, 0, 0, 123000, tzinfo=UTC),
        id_posted_at_precision="millisecond",
        warnings=("posting time taken from release_timestamp",),
    )  # fmt: skip
    from_id = AppearanceRecord(
        platform="x", url="https://x.com/other/status/1", channel="other",
        posted_at=datetime(2025, 3, 13, 12, 0, 0, 500000, tzinfo=UTC),
        posted_at_precision="millisecond", posted_at_method="the post id (X snowflake)",
        id_posted_at=datetime(2025, 3, 13, 12, 0, 0, 500000, tzinfo=UTC),
        id_posted_at_precision="millisecond",
    )  # fmt: skip
    with app.db.write() as session:
        record_appearance(app, session, CaseId(case.id), clip_id, snowflake)
        record_appearance(app, session, CaseId(case.id), clip_id, from_id)
    return CaseId(case.id), clip_id


def test_where_who_method_and_disagreement_wherever_a_post_is_shown(
    tmp_path: Path, fixture_dir: Path
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", analyst="tester")
    app = open_app(settings)
    try:
        _case_id, clip_id = _clip_with_posts(app, fixture_dir)
        shown = describe_clip(app, clip_id)
        first, second = shown["appearances"]
        facts = post_facts(first)
        assert facts.where == "someone (account)"
        assert facts.who == "Some One (42)"
        assert facts.when == "2025-03-13T09:41:00+00:00 (second, from timestamp)"
        assert facts.notes[0] == "posting time taken from release_timestamp"
        assert facts.notes[1] == (
            "times disagree: posting time from timestamp (2025-03-13T09:41:00Z, second) "
            "disagrees with the time in post id 1900000000000000000 "
            "(2025-03-13T11:00:00.123Z, post id) by at least 79 min"
        )
        # A time taken from the post id agrees with itself: no disagreement, the method shown.
        assert post_facts(second).notes == ()
        assert post_facts(second).when.endswith("(millisecond, from the post id (X snowflake))")
        assert post_facts(second).who == "not recorded"
        # Without a time nothing is said about precision or method, but what the source said is.
        assert post_facts({"posted_at": None, "posted_at_precision": "unknown"}).when == "unknown"
        unread = {"posted_at": None, "posted_at_text": "yesterday"}
        assert post_facts(unread).when == "unknown (the source said 'yesterday')"
    finally:
        app.close()

    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    show = _run(runner, base, "show", str(clip_id))[0]
    assert re.search(r"\n +where +someone \(account\)\n", show)
    assert re.search(r"\n +who +Some One \(42\)\n", show)
    assert "from the post id (X snowflake)" in show
    assert re.search(r"\n +warning +posting time taken from release_timestamp\n", show)
    assert "the time in post id 1900000000000000000 (2025-03-13T11:00:00.123Z" in show

    text = _run(runner, base, "provenance", str(clip_id))[0]
    assert "posting time taken from release_timestamp" in text
    assert "times disagree" in text and "by at least 79" in text
    assert "Some One (42)" in text and "someone (account)" in text
    posts = json.loads(_run(runner, base, "posts", "--json")[0])
    assert posts[0]["time_disagreement"].startswith("times disagree")
    assert posts[1]["time_disagreement"] is None
    text = _run(runner, base, "posts")[0]
    assert "times disagree" in text and "who        Some One (42)" in text


def test_a_channel_download_shows_its_channel_and_uploader(
    tmp_path: Path, fixture_dir: Path
) -> None:
    """Real files: a yt-dlp channel record beside a youtube-dl tweet sidecar.

    The post's "who" is the account that uploaded it (yt-dlp's uploader), and
    its "where" names the channel it was downloaded with, wherever it is shown.
    """
    data = Path(__file__).parent / "data" / "ytdlp"
    folder = tmp_path / "download"
    folder.mkdir()
    shutil.copy(data / "PinchflatTestChannel.info.json", folder)
    shutil.copy(data / "tweet-673581573409775617.info.json", folder)
    shutil.copy(fixture_dir / "cut.mp4", folder / "tweet-673581573409775617.mp4")
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "Channel"]).exit_code == 0
    result = runner.invoke(cli, [*base, "import", str(folder)])
    assert result.exit_code == 0, result.output
    (post,) = json.loads(runner.invoke(cli, [*base, "posts", "--json"]).output)
    assert post["author"] == "Michael Moran" and post["author_id"] == "TheMichaelMoran"
    assert post["collection"]["kind"] == "channel"
    assert post["collection"]["title"] == "PinchflatTestChannel"
    facts = post_facts(post)
    assert facts.who == "Michael Moran (TheMichaelMoran)"
    assert "downloaded with the channel 'PinchflatTestChannel'" in facts.where
    text = runner.invoke(cli, [*base, "posts"]).output
    assert "downloaded with the channel 'PinchflatTestChannel'" in text
