"""Provenance end to end: sidecars on import, manual appearances, the first-seen timeline."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli.main import cli
from verifier.errors import VerifierError
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.provenance import (
    add_appearance,
    delete_appearance,
    edit_appearance,
    list_posts,
    parse_posted_at,
    provenance_for_clip,
    unavailable_posts,
)
from verifier.tools import ffmpeg_exe

# 2025-03-13 07:41:07 UTC: the Telegram post.
TELEGRAM_UNIX = 1741851667
# 2025-03-13 06:30:00 UTC: the YouTube re-upload of an excerpt, earlier.
YOUTUBE_UNIX = 1741847400


def _excerpt(source: Path, target: Path) -> Path:
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-ss", "1.3", "-t", "2", "-i", str(source),
           "-c:v", "libx264", "-crf", "28", "-an", str(target)]  # fmt: skip
    subprocess.run(cmd, check=True)
    return target


@pytest.fixture
def collection(tmp_path: Path, fixture_dir: Path) -> Path:
    """A Telegram channel export and a yt-dlp download folder with re-uploads."""
    root = tmp_path / "collection"
    export = root / "ChatExport_2025-03-14"
    (export / "video_files").mkdir(parents=True)
    shutil.copy(fixture_dir / "cut.mp4", export / "video_files" / "strike.mp4")
    result = {
        "name": "Frontline News",
        "type": "public_channel",
        "id": 1234567890,
        "messages": [
            {
                "id": 41, "type": "message", "date": "2025-03-13T08:10:00",
                "date_unixtime": str(TELEGRAM_UNIX - 1800), "from": "Frontline News",
                "from_id": "channel1234567890", "file": "(File not included. Change data "
                "exporting settings to download.)", "media_type": "video_file",
                "mime_type": "video/mp4", "text": "Earlier video, not downloaded",
            },
            {
                # The exporting computer was at UTC+2: "date" is local time.
                "id": 42, "type": "message", "date": "2025-03-13T09:41:07",
                "date_unixtime": str(TELEGRAM_UNIX), "from": "Frontline News",
                "from_id": "channel1234567890", "file": "video_files/strike.mp4",
                "file_name": "strike.mp4", "media_type": "video_file", "mime_type": "video/mp4",
                "duration_seconds": 4, "width": 320, "height": 240,
                "text": ["Strike on the depot ", {"type": "bold", "text": "this morning"}],
            },
        ],
    }  # fmt: skip
    (export / "result.json").write_text(json.dumps(result), encoding="utf-8")
    downloads = root / "yt-dlp"
    downloads.mkdir()
    _excerpt(fixture_dir / "cut.mp4", downloads / "Depot strike [abc123].mp4")
    info = {
        "id": "abc123", "title": "Depot strike", "description": "Re-upload",
        "webpage_url": "https://www.youtube.com/watch?v=abc123", "extractor": "youtube",
        "extractor_key": "Youtube", "uploader": "Some Channel", "uploader_id": "@somechannel",
        "channel": "Some Channel", "channel_id": "UC123", "timestamp": YOUTUBE_UNIX,
        "upload_date": "20250313", "epoch": 1741900000, "_version": {"version": "2025.03.01"},
    }  # fmt: skip
    (downloads / "Depot strike [abc123].info.json").write_text(json.dumps(info), encoding="utf-8")
    return root


def test_import_of_exports_builds_the_first_seen_timeline(app: App, collection: Path) -> None:
    case = cases.create_case(app, "Depot")
    report = import_paths(app, [collection], case)
    imported = {Path(i.path).name: i for i in report.items if i.status == "imported"}
    assert set(imported) == {"strike.mp4", "Depot strike [abc123].mp4"}, report.to_json()
    assert imported["strike.mp4"].appearances == 1
    assert imported["Depot strike [abc123].mp4"].appearances == 1
    assert report.unavailable_posts == 1
    timeline = provenance_for_clip(app, str(imported["strike.mp4"].clip_id), case)
    entries = timeline.entries
    assert [e["platform"] for e in entries] == ["youtube", "telegram"]
    first, second = entries
    assert first.get("first_seen") is True and "first_seen" not in second
    assert first["url"] == "https://www.youtube.com/watch?v=abc123"
    assert first["posted_at"] == "2025-03-13T06:30:00+00:00"
    assert first["posted_at_precision"] == "second" and first["source"] == "sidecar"
    # The Telegram time comes from date_unixtime (UTC), never from the local "date".
    assert second["posted_at"] == "2025-03-13T07:41:07+00:00"
    assert second["channel"] == "Frontline News"
    assert "this morning" in (second["caption"] or "")
    [missing] = unavailable_posts(app, case)
    assert missing["media_available"] is False and missing["post_id"] == "41"
    # Importing the same folders again records nothing twice.
    again = import_paths(app, [collection], case)
    assert again.unavailable_posts == 0
    assert all(i.appearances == 0 for i in again.items if i.status != "failed")


def test_manual_appearances_are_logged_and_keep_precision(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "Manual")
    clip_id = import_paths(app, [fixture_dir / "fade.mp4"], case).items[0].clip_id
    exact = add_appearance(app, str(clip_id), url="https://x.com/someone/status/1",
                           posted_at="2025-03-13T11:41:00+02:00", channel="@someone")  # fmt: skip
    day = add_appearance(app, str(clip_id), url="https://t.me/chan/7", posted_at="2025-03-13")
    assert exact["platform"] == "x" and exact["posted_at"] == "2025-03-13T09:41:00+00:00"
    assert day["platform"] == "telegram" and day["posted_at_precision"] == "date"
    entries = provenance_for_clip(app, str(clip_id)).entries
    assert entries[0]["id"] == day["id"] and entries[0]["first_seen"]
    # A whole day cannot be said to precede 09:41 that day: the note says so.
    assert f"#{exact['id']}" in entries[0]["first_seen_note"]
    edited = edit_appearance(app, day["id"], posted_at="2025-03-14")
    assert edited["posted_at"].startswith("2025-03-14")
    entries = provenance_for_clip(app, str(clip_id)).entries
    assert entries[0]["id"] == exact["id"] and "first_seen_note" not in entries[0]
    delete_appearance(app, day["id"])
    assert [e["id"] for e in provenance_for_clip(app, str(clip_id)).entries] == [exact["id"]]
    with pytest.raises(VerifierError, match="no UTC offset"):
        add_appearance(app, str(clip_id), url="https://x.com/a/status/2",
                       posted_at="2025-03-13T09:41:00")  # fmt: skip


def test_posted_at_parsing() -> None:
    assert parse_posted_at("2025-03-13T09:41Z")[1] == "minute"
    assert parse_posted_at("2025-03-13T09:41:05Z")[1] == "second"
    assert parse_posted_at("") == (None, "unknown")
    with pytest.raises(VerifierError):
        parse_posted_at("13/03/2025")


def test_cli_appearance_commands_and_custody(tmp_path: Path, fixture_dir: Path) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    runner.invoke(cli, [*base, "case", "new", "C"])
    runner.invoke(cli, [*base, "import", str(fixture_dir / "cut.mp4")])
    result = runner.invoke(cli, [*base, "appearance", "add", "1", "--url",
                                 "https://t.me/chan/5", "--posted-at", "2025-03-13T09:41:00Z",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    appearance_id = json.loads(result.stdout)["id"]
    result = runner.invoke(cli, [*base, "appearance", "edit", str(appearance_id), "--channel",
                                 "chan"])  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = json.loads(runner.invoke(cli, [*base, "provenance", "1", "--json"]).stdout)
    [entry] = shown["appearances"]
    assert entry["channel"] == "chan" and entry["first_seen"] is True
    text = runner.invoke(cli, [*base, "provenance", "1"]).stdout
    assert "FIRST SEEN" in text and "t.me/chan/5" in text
    assert runner.invoke(cli, [*base, "appearance", "delete", str(appearance_id)]).exit_code == 0
    log = json.loads(runner.invoke(cli, [*base, "log", "--json"]).stdout)
    actions = [e["action"] for e in log if e["action"].startswith("appearance")]
    assert actions == ["appearance.add", "appearance.edit", "appearance.delete"]
    edit = next(e for e in log if e["action"] == "appearance.edit")
    assert edit["details"]["before"]["channel"] is None
    assert edit["details"]["after"]["channel"] == "chan"
    result = runner.invoke(cli, [*base, "appearance", "add", "1", "--url", "https://x.com/a/1",
                                 "--posted-at", "yesterday"])  # fmt: skip
    assert result.exit_code == 1 and "cannot read the posting time" in result.stderr


def test_provenance_across_cases_lists_each_post_once(app: App, collection: Path) -> None:
    """The same download imported into two cases: one post, recorded in both, no rival."""
    first = cases.create_case(app, "First")
    second = cases.create_case(app, "Second")
    folder = collection / "yt-dlp"
    [item] = [i for i in import_paths(app, [folder], first).items if i.status == "imported"]
    [other] = [i for i in import_paths(app, [folder], second).items if i.status == "imported"]
    assert item.clip_id is not None and other.clip_id is not None
    timeline = provenance_for_clip(app, str(item.clip_id), first)
    assert {c["id"] for c in timeline.clips} == {item.clip_id, other.clip_id}
    [entry] = timeline.entries
    assert entry["url"] == "https://www.youtube.com/watch?v=abc123"
    assert entry["first_seen"] is True and "first_seen_note" not in entry
    recorded = {(r["case"]["name"], r["clip"]["id"]) for r in entry["recorded_in"]}
    assert recorded == {("First", item.clip_id), ("Second", other.clip_id)}
    assert entry["case"]["name"] in {"First", "Second"}
    assert [p["id"] for p in list_posts(app, second)] == [
        r["appearance_id"] for r in entry["recorded_in"] if r["case"]["name"] == "Second"
    ]
