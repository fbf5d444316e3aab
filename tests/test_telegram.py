"""Tests for the Telegram Desktop export reader (verifier.sources.telegram).

Exports are built in temporary folders to look like what Telegram Desktop
writes. The exporting computer is at UTC+02:00 in every fixture, so ``date``
(local) and ``date_unixtime`` (UTC) disagree by two hours: any use of the
local time as UTC shows up as a wrong ``posted_at``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from verifier.sources import AppearanceRecord, SidecarProblem
from verifier.sources.telegram import is_telegram_export, not_evidence, read_telegram_export

ROOT = Path(__file__).resolve().parents[1]
CUT_MP4 = ROOT / "fixtures" / "out" / "cut.mp4"
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"

# 2025-03-13 11:41:07 UTC; the exporting computer showed 13:41:07 (UTC+02:00).
T0 = 1741866067
CHANNEL_ID = 1234567890


def _local(unix: int) -> str:
    """The export-local ``date`` Telegram writes on a UTC+02:00 computer."""
    return datetime.fromtimestamp(unix + 7200, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _utc(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, tz=UTC)


def _media(folder: Path, relative: str) -> Path:
    """Put a media file in the export: the real clip when generated, else dummy bytes."""
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if CUT_MP4.is_file() and relative.endswith(".mp4"):
        shutil.copyfile(CUT_MP4, target)
    else:
        target.write_bytes(b"\x00\x00\x00\x18ftypmp42dummy")
    return target


def _msg(ident: int, unix: int, **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": ident,
        "type": "message",
        "date": _local(unix),
        "date_unixtime": str(unix),
        "from": "War Footage Archive",
        "from_id": f"channel{CHANNEL_ID}",
        "text": "",
        "text_entities": [],
    }
    message.update(fields)
    return message


def _channel_messages() -> list[dict[str, Any]]:
    video = {"media_type": "video_file", "mime_type": "video/mp4", "duration_seconds": 12}
    return [
        {
            "id": 1,
            "type": "service",
            "date": _local(T0 - 600),
            "date_unixtime": str(T0 - 600),
            "actor": "War Footage Archive",
            "actor_id": f"channel{CHANNEL_ID}",
            "action": "create_channel",
            "title": "War Footage Archive",
            "text": "",
            "text_entities": [],
        },
        _msg(
            2,
            T0,
            file="video_files/strike.mp4",
            file_name="strike.mp4",
            width=1280,
            height=720,
            text="Strike on the bridge, morning",
            text_entities=[{"type": "plain", "text": "Strike on the bridge, morning"}],
            **video,
        ),
        _msg(
            3,
            T0 + 60,
            forwarded_from="Frontline Drone Unit",
            file="video_files/drone.mp4",
            file_name="drone.mp4",
            text="Drone view",
            **video,
        ),
        _msg(4, T0 + 120, file=PLACEHOLDER, file_name="big.mp4", text="Too big", **video),
        _msg(
            5,
            T0 + 180,
            edited=_local(T0 + 3600),
            edited_unixtime=str(T0 + 3600),
            file="video_files/edited.mp4",
            text="Corrected location",
            **video,
        ),
        _msg(
            6,
            T0 + 240,
            file="video_files/entities.mp4",
            text=[
                {"type": "bold", "text": "BREAKING"},
                " source: ",
                {"type": "text_link", "text": "here", "href": "https://example.org/a"},
                " ",
                {"type": "link", "text": "https://example.org/b"},
            ],
            **video,
        ),
        _msg(7, T0 + 300, text="Just words, no media"),
        _msg(8, T0 + 360, photo="photos/photo_1@13-03-2025_13-47-07.jpg", width=800, height=600),
        _msg(
            9,
            T0 + 420,
            media_type="video_message",
            mime_type="video/mp4",
            file="round_video_messages/file_0@13-03-2025_13-48-07.mp4",
        ),
        _msg(
            10,
            T0 + 480,
            media_type="sticker",
            mime_type="video/webm",
            file="stickers/sticker.webm",
        ),
    ]


MESSAGES_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"/><title>Exported Data</title></head>
<body><div class="page_wrap">
<div class="page_header"><div class="content"><div class="text bold">
War Footage Archive
</div></div></div>
<div class="page_body chat_page"><div class="history">
<div class="message service" id="message-1"><div class="body details">13 March 2025</div></div>
<div class="message default clearfix" id="message2">
 <div class="pull_left userpic_wrap"><div class="userpic userpic3"></div></div>
 <div class="body">
  <div class="pull_right date details" title="13.03.2025 13:41:07 UTC+02:00">13:41</div>
  <div class="from_name">War Footage Archive</div>
  <div class="media_wrap clearfix"><a class="media clearfix pull_left block_link media_video"
   href="video_files/strike.mp4"><img class="thumb" src="video_files/strike.mp4_thumb.jpg"/>
  </a></div>
  <div class="text">Strike on the bridge, morning</div>
 </div>
</div>
<div class="message default clearfix joined" id="message3">
 <div class="body">
  <div class="pull_right date details" title="13.03.2025 13:42:07 UTC+02:00">13:42</div>
  <div class="forwarded body">
   <div class="from_name">Frontline Drone Unit<span class="date details"
    title="13.03.2025 09:41:07 UTC+02:00"> 13.03.2025 09:41:07</span></div>
   <div class="media_wrap clearfix"><a class="media_video" href="video_files/drone.mp4">
    <img class="thumb" src="video_files/drone.mp4_thumb.jpg"/></a></div>
   <div class="text">Drone view</div>
  </div>
 </div>
</div>
</div></div></div></body></html>
"""


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture()
def channel_export(tmp_path: Path) -> Path:
    """A single-channel export (JSON + HTML) with the media it names."""
    folder = tmp_path / "ChatExport_2025-03-14"
    folder.mkdir()
    for relative in (
        "video_files/strike.mp4",
        "video_files/drone.mp4",
        "video_files/edited.mp4",
        "video_files/entities.mp4",
        "photos/photo_1@13-03-2025_13-47-07.jpg",
        "round_video_messages/file_0@13-03-2025_13-48-07.mp4",
        "stickers/sticker.webm",
    ):
        _media(folder, relative)
    chat = {
        "name": "War Footage Archive",
        "type": "public_channel",
        "id": CHANNEL_ID,
        "messages": _channel_messages(),
    }
    _write_json(folder / "result.json", chat)
    (folder / "messages.html").write_text(MESSAGES_HTML, encoding="utf-8")
    return folder


def _split(
    items: list[AppearanceRecord | SidecarProblem],
) -> tuple[dict[str, AppearanceRecord], list[SidecarProblem]]:
    records = {i.post_id: i for i in items if isinstance(i, AppearanceRecord)}
    problems = [i for i in items if isinstance(i, SidecarProblem)]
    assert all(isinstance(i, AppearanceRecord | SidecarProblem) for i in items)
    return records, problems  # type: ignore[return-value]


# --------------------------------------------------------------------------- normal exports


def test_detects_export(channel_export: Path, tmp_path: Path) -> None:
    assert is_telegram_export(channel_export)
    other = tmp_path / "other"
    other.mkdir()
    assert not is_telegram_export(other)
    (other / "result.json").write_text('{"kind": "youtube#video"}', encoding="utf-8")
    assert not is_telegram_export(other)
    (other / "result.json").write_text("[1, 2]", encoding="utf-8")
    assert not is_telegram_export(other)
    # only the head is read: a cut-off start still counts
    (other / "result.json").write_text('{\n "name": "X",\n "type": "private_channel",\n "id": 5,')
    assert is_telegram_export(other)


def test_channel_export_records(channel_export: Path) -> None:
    items = list(read_telegram_export(channel_export))
    records, problems = _split(items)
    assert problems == []
    # service (1), text-only (7) and sticker (10) are not evidence posts
    assert sorted(records, key=int) == ["2", "3", "4", "5", "6", "8", "9"]
    result = (channel_export / "result.json").resolve()

    plain = records["2"]
    assert plain.platform == "telegram"
    assert plain.source == "sidecar"
    assert plain.url == f"https://t.me/c/{CHANNEL_ID}/2"
    assert plain.channel == "War Footage Archive"
    assert plain.channel_id == str(CHANNEL_ID)
    assert plain.channel_url is None
    assert plain.posted_at == datetime(2025, 3, 13, 11, 41, 7, tzinfo=UTC)
    assert plain.posted_at_precision == "second"
    assert plain.posted_at_text == f"{T0} (unix); export-local 2025-03-13T13:41:07"
    assert plain.caption == "Strike on the bridge, morning"
    assert plain.forwarded_from is None
    assert plain.media_path == (channel_export / "video_files/strike.mp4").resolve()
    assert plain.media_available is True
    assert plain.sidecar_path == result
    assert plain.raw["date"] == "2025-03-13T13:41:07"
    assert plain.raw["chat"] == {
        "name": "War Footage Archive",
        "type": "public_channel",
        "id": CHANNEL_ID,
    }
    assert any("public address unknown" in w for w in plain.warnings)
    assert "forwarded_date_utc" not in plain.raw


def test_local_date_is_never_used_as_utc(channel_export: Path) -> None:
    records, _ = _split(list(read_telegram_export(channel_export)))
    for record in records.values():
        assert record.posted_at is not None
        local = datetime.fromisoformat(record.raw["date"]).replace(tzinfo=UTC)
        assert local - record.posted_at == timedelta(hours=2)


def test_forwarded_original_date_from_html(channel_export: Path) -> None:
    records, _ = _split(list(read_telegram_export(channel_export)))
    forwarded = records["3"]
    assert forwarded.forwarded_from == "Frontline Drone Unit"
    assert forwarded.posted_at == _utc(T0 + 60)
    assert forwarded.raw["forwarded_date_text"] == "13.03.2025 09:41:07 UTC+02:00"
    assert forwarded.raw["forwarded_date_utc"] == "2025-03-13T07:41:07Z"
    assert forwarded.caption == "Drone view"
    assert "forwarded: original posted 2025-03-13T07:41:07Z (from HTML export)" in (
        forwarded.warnings
    )
    assert not any("disagrees" in w for w in forwarded.warnings)


def test_forwarded_without_html(channel_export: Path) -> None:
    (channel_export / "messages.html").unlink()
    records, problems = _split(list(read_telegram_export(channel_export)))
    assert problems == []
    assert "forwarded_date_utc" not in records["3"].raw
    assert "forwarded: original date unknown (not in an HTML export)" in records["3"].warnings


def test_forwarded_html_title_without_offset_uses_own_offset(channel_export: Path) -> None:
    html = MESSAGES_HTML.replace(
        'title="13.03.2025 09:41:07 UTC+02:00"', 'title="13.03.2025 09:41:07"'
    ).replace('title="13.03.2025 13:42:07 UTC+02:00"', 'title="13.03.2025 13:42:07"')
    (channel_export / "messages.html").write_text(html, encoding="utf-8")
    records, _ = _split(list(read_telegram_export(channel_export)))
    assert records["3"].raw["forwarded_date_utc"] == "2025-03-13T07:41:07Z"
    assert any("offset inferred" in w for w in records["3"].warnings)


def test_placeholder_edited_entities_photo_round(channel_export: Path) -> None:
    records, _ = _split(list(read_telegram_export(channel_export)))

    missing = records["4"]
    assert missing.media_available is False
    assert missing.media_path is None
    assert missing.url == f"https://t.me/c/{CHANNEL_ID}/4"
    assert missing.posted_at == _utc(T0 + 120)
    assert f"media not in export: {PLACEHOLDER}" in missing.warnings

    edited = records["5"]
    assert "edited at 2025-03-13T12:41:07Z" in edited.warnings
    assert edited.posted_at == _utc(T0 + 180)

    entities = records["6"]
    assert entities.caption == "BREAKING source: here https://example.org/b"
    assert entities.raw["text"][2]["href"] == "https://example.org/a"

    photo = records["8"]
    assert photo.media_available is True
    assert photo.media_path == (channel_export / "photos/photo_1@13-03-2025_13-47-07.jpg").resolve()
    assert photo.caption is None

    round_video = records["9"]
    assert round_video.media_path is not None
    assert round_video.media_path.parent.name == "round_video_messages"
    assert round_video.raw["media_type"] == "video_message"


def test_missing_media_file_is_unavailable(channel_export: Path) -> None:
    (channel_export / "video_files/strike.mp4").unlink()
    records, problems = _split(list(read_telegram_export(channel_export)))
    assert problems == []
    assert records["2"].media_available is False
    assert records["2"].media_path is None
    assert "media file missing from export: video_files/strike.mp4" in records["2"].warnings


def test_username_gives_public_url(channel_export: Path) -> None:
    records, _ = _split(list(read_telegram_export(channel_export, username="@warfootage")))
    assert records["2"].url == "https://t.me/warfootage/2"
    assert records["2"].channel_url == "https://t.me/warfootage"
    assert not any("public address unknown" in w for w in records["2"].warnings)
    with pytest.raises(ValueError):
        list(read_telegram_export(channel_export, username="../evil"))


def test_full_export_two_chats(tmp_path: Path) -> None:
    folder = tmp_path / "DataExport_2025-03-14"
    folder.mkdir()
    _media(folder, "chats/chat_001/video_files/a.mp4")
    _media(folder, "chats/chat_002/files/b.mp4")
    data = {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 42, "first_name": "Analyst"},
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                {
                    "name": "Frontline Drone Unit",
                    "type": "public_channel",
                    "id": 1111111111,
                    "messages": [
                        _msg(
                            20,
                            T0,
                            from_id="channel1111111111",
                            media_type="video_file",
                            mime_type="video/mp4",
                            file="chats/chat_001/video_files/a.mp4",
                            text="first",
                        )
                    ],
                },
                {
                    "name": "Source Contact",
                    "type": "personal_chat",
                    "id": 777,
                    "messages": [
                        _msg(
                            5,
                            T0 + 5,
                            from_id="user777",
                            mime_type="video/mp4",
                            file="chats/chat_002/files/b.mp4",
                            text="sent you the clip",
                        )
                    ],
                },
            ],
        },
        "left_chats": {
            "about": "Chats you left.",
            "list": [
                {
                    "name": "Old Group",
                    "type": "private_supergroup",
                    "id": -1009876543210,
                    "messages": [_msg(3, T0 + 9, photo=PLACEHOLDER)],
                }
            ],
        },
    }
    _write_json(folder / "result.json", data)
    assert is_telegram_export(folder)
    items = list(read_telegram_export(folder, usernames={"1111111111": "frontline_drones"}))
    records = [i for i in items if isinstance(i, AppearanceRecord)]
    assert [i for i in items if isinstance(i, SidecarProblem)] == []
    assert [(r.channel, r.post_id, r.url) for r in records] == [
        ("Frontline Drone Unit", "20", "https://t.me/frontline_drones/20"),
        ("Source Contact", "5", None),
        ("Old Group", "3", "https://t.me/c/9876543210/3"),
    ]
    assert records[0].media_path == (folder / "chats/chat_001/video_files/a.mp4").resolve()
    assert records[1].media_available is True
    assert "no post link exists for a personal_chat chat" in records[1].warnings
    assert records[2].media_available is False
    assert [r.posted_at for r in records] == [_utc(T0), _utc(T0 + 5), _utc(T0 + 9)]


# --------------------------------------------------------------------------- hostile input


def _export_with(folder: Path, messages: Any, **chat: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": "Hostile", "type": "public_channel", "id": CHANNEL_ID, **chat}
    if messages is not None:
        data["messages"] = messages
    _write_json(folder / "result.json", data)
    return folder


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("../../etc/passwd", "climbs out with '..'"),
        ("/etc/passwd", "is an absolute path"),
        ("C:/Windows/win.ini", "is a Windows drive or network path"),
        ("video_files\\..\\..\\x.mp4", "contains backslashes (Windows-style path)"),
        ("video_files/a\x00.mp4", "contains a NUL byte"),
        ("video_files", "is not a regular file"),
    ],
)
def test_hostile_media_paths(tmp_path: Path, value: str, reason: str) -> None:
    folder = tmp_path / "export"
    (folder / "video_files").mkdir(parents=True)
    msg = _msg(11, T0, media_type="video_file", mime_type="video/mp4", file=value)
    _export_with(folder, [msg])
    records, problems = _split(list(read_telegram_export(folder)))
    assert len(problems) == 1
    problem = problems[0]
    assert problem.entry == "message 11"
    assert problem.path == (folder / "result.json").resolve()
    assert reason in problem.reason
    assert "unsafe media path" in problem.reason
    record = records["11"]
    assert record.media_available is False
    assert record.media_path is None
    assert record.posted_at == _utc(T0)


def test_symlink_pointing_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"not yours")
    folder = tmp_path / "export"
    (folder / "video_files").mkdir(parents=True)
    os.symlink(secret, folder / "video_files/link.mp4")
    os.symlink(tmp_path, folder / "video_files/dirlink")
    messages = [
        _msg(12, T0, media_type="video_file", file="video_files/link.mp4"),
        _msg(13, T0, media_type="video_file", file="video_files/dirlink/secret.mp4"),
    ]
    _export_with(folder, messages)
    records, problems = _split(list(read_telegram_export(folder)))
    assert [p.entry for p in problems] == ["message 12", "message 13"]
    assert all("resolves outside the export folder (symlink)" in p.reason for p in problems)
    assert records["12"].media_available is False
    assert records["13"].media_path is None


def test_result_json_symlink_outside(tmp_path: Path) -> None:
    outside = _export_with(tmp_path / "real", [])
    folder = tmp_path / "export"
    folder.mkdir()
    os.symlink(outside / "result.json", folder / "result.json")
    assert not is_telegram_export(folder)
    items = list(read_telegram_export(folder))
    assert len(items) == 1
    assert isinstance(items[0], SidecarProblem)
    assert items[0].reason == "result.json leads outside the export folder"


def test_truncated_json_keeps_what_was_read(channel_export: Path) -> None:
    path = channel_export / "result.json"
    text = path.read_text(encoding="utf-8")
    cut = text.index('"id": 5,')  # inside the messages list, after message 4
    path.write_text(text[:cut], encoding="utf-8")
    records, problems = _split(list(read_telegram_export(channel_export)))
    assert sorted(records, key=int) == ["2", "3", "4"]
    assert len(problems) == 1
    assert problems[0].path == path.resolve()
    assert "result.json is not valid JSON" in problems[0].reason
    assert "messages after this point could not be read" in problems[0].reason
    assert problems[0].entry == "after message #5 of chat 'War Footage Archive'"


def test_not_json(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_bytes(b"<html>not json</html>")
    assert not is_telegram_export(folder)
    items = list(read_telegram_export(folder))
    assert len(items) == 1
    assert isinstance(items[0], SidecarProblem)
    assert items[0].reason.startswith("result.json is not valid JSON")


def test_missing_result_json_and_size_limit(channel_export: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    [problem] = list(read_telegram_export(tmp_path / "empty"))
    assert isinstance(problem, SidecarProblem)
    assert problem.reason == "no result.json in the export folder"
    size = (channel_export / "result.json").stat().st_size
    [problem] = list(read_telegram_export(channel_export, max_json_bytes=100))
    assert isinstance(problem, SidecarProblem)
    assert problem.reason == (
        f"result.json is {size} bytes, above the limit of 100 bytes; not read"
    )


def test_wrong_types(tmp_path: Path) -> None:
    good = _msg(30, T0, media_type="video_file", file=PLACEHOLDER)
    messages = [
        42,
        {"id": "31", "type": "message", "media_type": "video_file", "file": PLACEHOLDER},
        _msg(32, T0, media_type="video_file", file=PLACEHOLDER, date_unixtime="yesterday"),
        _msg(33, T0, media_type="video_file", file=["a", "b"]),
        {"type": "message", "media_type": "video_file"},
        _msg(34, T0, media_type="video_file", file=PLACEHOLDER, type="mystery"),
        good,
    ]
    folder = _export_with(tmp_path / "export", messages)
    records, problems = _split(list(read_telegram_export(folder)))
    assert sorted(records) == ["30", "32", "33"]
    reasons = [(p.entry, p.reason) for p in problems]
    assert reasons == [
        ("message #1", "chat 'Hostile': entry #1 of messages is not an object"),
        ("message #2", "chat 'Hostile': message #2: id is not an integer: '31'; skipped"),
        ("message 32", "chat 'Hostile': date_unixtime is not a number of seconds: 'yesterday'"),
        ("message 33", "file is not a path string: ['a', 'b']"),
        ("message #5", "chat 'Hostile': message #5: missing id; skipped"),
        ("message 34", "chat 'Hostile': unknown message type 'mystery'; skipped"),
    ]
    assert records["32"].posted_at is None
    assert records["32"].posted_at_precision == "unknown"
    assert records["30"].posted_at == _utc(T0)


def test_messages_not_a_list_and_missing(tmp_path: Path) -> None:
    folder = _export_with(tmp_path / "a", {"item": _msg(1, T0, media_type="video_file")})
    items = list(read_telegram_export(folder))
    assert [type(i) for i in items] == [SidecarProblem]
    assert items[0].reason == "chat 'Hostile': messages is not a list (start_map)"

    folder = _export_with(tmp_path / "b", None)
    [problem] = list(read_telegram_export(folder))
    assert isinstance(problem, SidecarProblem)
    assert problem.reason == "result.json has no messages list (not a chat export)"

    folder = tmp_path / "c"
    folder.mkdir()
    _write_json(folder / "result.json", {"chats": {"list": [{"name": "No msgs", "id": 1}, 7]}})
    reasons = [(p.entry, p.reason) for p in read_telegram_export(folder)]  # type: ignore[union-attr]
    assert reasons == [
        ("chat 'No msgs'", "chat 'No msgs' has no messages list"),
        (None, "an entry of chats.list is not a chat"),
    ]


def test_non_utf8_result_json(channel_export: Path) -> None:
    path = channel_export / "result.json"
    data = path.read_bytes().replace(b"Drone view", b"Drone \xff\xfe view", 1)
    path.write_bytes(data)
    records, problems = _split(list(read_telegram_export(channel_export)))
    # everything after the bad bytes is still read
    assert sorted(records, key=int) == ["2", "3", "4", "5", "6", "8", "9"]
    assert records["3"].caption == "Drone \ufffd\ufffd view"
    assert len(problems) == 1
    assert problems[0].path == path.resolve()
    assert problems[0].reason.startswith("result.json is not valid UTF-8: 2 invalid byte(s)")


def test_huge_result_json_streams(tmp_path: Path) -> None:
    """~200 MB of messages must be read with small, flat memory use."""
    folder = tmp_path / "huge"
    folder.mkdir()
    started = time.monotonic()
    filler = "x" * 1900
    total = 0
    with (folder / "result.json").open("w", encoding="utf-8") as out:
        out.write('{"name": "Huge", "type": "public_channel", "id": 5, "messages": [\n')
        block: list[str] = []
        ident = 0
        while total < 200 * 1024 * 1024:
            ident += 1
            if ident % 1000 == 0:
                entry = _msg(ident, T0 + ident, media_type="video_file", file=PLACEHOLDER)
            else:
                entry = _msg(ident, T0 + ident, text=filler)
            block.append(json.dumps(entry))
            if len(block) == 1000:
                chunk = ",\n".join(block) + ",\n"
                out.write(chunk)
                total += len(chunk)
                block = []
            if time.monotonic() - started > 60:
                pytest.skip("building the 200 MB export took more than 60 s")
        block.append(json.dumps(_msg(ident + 1, T0, text="end")))
        out.write(",\n".join(block) + "\n]}\n")
    count = 0
    tracemalloc.start()
    try:
        for item in read_telegram_export(folder):
            assert isinstance(item, AppearanceRecord)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == ident // 1000
    assert peak < 20 * 1024 * 1024, f"peak traced memory {peak} bytes"


# --------------------------------------------------------------------------- where and who
# Real exports written by Telegram Desktop: see tests/data/telegram/README.md.

DATA = Path(__file__).resolve().parent / "data" / "telegram"


def _real_export(tmp_path: Path, source: Path) -> Path:
    """Copy a stored export to a folder of its own as result.json, as Telegram writes it."""
    folder = tmp_path / source.stem
    folder.mkdir()
    shutil.copyfile(source, folder / "result.json")
    return folder


def test_personal_chat_credits_the_sender_not_the_other_party(tmp_path: Path) -> None:
    # The chat is named after the other party (Bob); the photos were sent by Alice.
    folder = _real_export(tmp_path, DATA / "chat-analytics" / "DM_2A_7M.json")
    assert is_telegram_export(folder)
    records, problems = _split(list(read_telegram_export(folder)))
    assert problems == []
    assert set(records) == {"3672", "3673"}
    photo = records["3672"]
    assert (photo.channel, photo.channel_id, photo.chat_type) == (
        "Bob",
        "700000000",
        "personal_chat",
    )
    assert (photo.author, photo.author_id) == ("Alice", "user300000000")
    assert photo.url is None and photo.channel_url is None
    assert photo.posted_at == _utc(1654898798) and photo.posted_at_method == "date_unixtime"
    assert photo.media_available is False
    assert any("no post link exists for a personal_chat" in w for w in photo.warnings)


def test_full_export_group_keeps_each_sender(tmp_path: Path) -> None:
    folder = _real_export(tmp_path, DATA / "chat-analytics" / "MultiChat_2C_6M.json")
    assert is_telegram_export(folder)
    records, problems = _split(list(read_telegram_export(folder)))
    assert problems == []
    [photo] = records.values()
    assert (photo.channel, photo.channel_id, photo.chat_type) == (
        "Chat Two",
        "700000002",
        "private_group",
    )
    assert (photo.author, photo.author_id) == ("Eve", "user101000000")
    assert photo.posted_at == _utc(1672747200) and photo.posted_at_method == "date_unixtime"


def test_group_senders_are_recorded_per_message(tmp_path: Path) -> None:
    folder = tmp_path / "group"
    folder.mkdir()
    _media(folder, "video_files/a.mp4")
    _media(folder, "video_files/b.mp4")
    video = {"media_type": "video_file", "mime_type": "video/mp4"}
    messages = [
        _msg(5, T0, **{"from": "Taras", "from_id": "user11"}, file="video_files/a.mp4", **video),
        _msg(
            6, T0 + 60, **{"from": "Iryna", "from_id": "user22"}, file="video_files/b.mp4", **video
        ),
        # A deleted account: Telegram Desktop writes "from": null.
        _msg(7, T0 + 90, **{"from": None, "from_id": "user33"}, photo=PLACEHOLDER),
    ]
    _write_json(
        folder / "result.json",
        {
            "name": "Kherson volunteers",
            "type": "public_supergroup",
            "id": 555,
            "messages": messages,
        },
    )
    records, _ = _split(list(read_telegram_export(folder, username="kherson_vol")))
    assert {k: (r.author, r.author_id) for k, r in records.items()} == {
        "5": ("Taras", "user11"),
        "6": ("Iryna", "user22"),
        "7": (None, "user33"),
    }
    assert {r.channel for r in records.values()} == {"Kherson volunteers"}
    assert {r.chat_type for r in records.values()} == {"public_supergroup"}
    assert records["6"].url == "https://t.me/kherson_vol/6"


def test_channel_post_author_is_the_channel_with_its_signature(tmp_path: Path) -> None:
    folder = _real_export(tmp_path, DATA / "signed_channel" / "result.json")
    records, problems = _split(list(read_telegram_export(folder)))
    assert problems == []
    signed, unsigned = records["17"], records["18"]
    assert (signed.channel, signed.channel_id, signed.chat_type) == (
        "Frontline Monitor",
        "1987654321",
        "public_channel",
    )
    assert signed.author == "Frontline Monitor (signed: Olena K.)"
    assert signed.author_id == "channel1987654321"
    assert (unsigned.author, unsigned.author_id) == ("Frontline Monitor", "channel1987654321")
    assert signed.url == "https://t.me/c/1987654321/17"
    assert signed.posted_at == _utc(1709280930) and signed.posted_at_method == "date_unixtime"


def test_full_export_channel_and_saved_messages(tmp_path: Path) -> None:
    folder = tmp_path / "DataExport"
    folder.mkdir()
    _media(folder, "chats/chat_001/video_files/a.mp4")
    _media(folder, "chats/chat_002/video_files/b.mp4")
    video = {"media_type": "video_file", "mime_type": "video/mp4"}
    data = {
        "personal_information": {"user_id": 42, "first_name": "Analyst"},
        "chats": {
            "list": [
                {
                    "name": "Drone Unit",
                    "type": "private_channel",
                    "id": 2222,
                    "messages": [
                        _msg(3, T0, **{"from": "Drone Unit", "from_id": "channel2222"},
                             author="Cmdr", file="chats/chat_001/video_files/a.mp4", **video),
                    ],
                },
                {
                    "type": "saved_messages",
                    "id": 42,
                    "messages": [
                        _msg(9, T0, **{"from": "Analyst", "from_id": "user42"},
                             forwarded_from="Drone Unit",
                             file="chats/chat_002/video_files/b.mp4", **video),
                    ],
                },
            ]
        },
    }  # fmt: skip
    _write_json(folder / "result.json", data)
    records, _ = _split(list(read_telegram_export(folder)))
    channel, saved = records["3"], records["9"]
    assert (channel.chat_type, channel.author, channel.author_id) == (
        "private_channel",
        "Drone Unit (signed: Cmdr)",
        "channel2222",
    )
    assert (saved.chat_type, saved.channel, saved.author) == ("saved_messages", None, "Analyst")
    assert saved.forwarded_from == "Drone Unit"


# --------------------------------------------------------------------------- export folder layout


@pytest.mark.parametrize(
    ("relative", "what"),
    [
        ("stickers/sticker.webp", "sticker"),
        ("stickers/sticker.webm", "sticker"),
        ("stickers/AnimatedSticker.tgs", "animated Telegram sticker"),
        ("chats/chat_003/stickers/file_1.tgs", "animated Telegram sticker"),
        ("voice_messages/audio_1@13-03-2025_13-41-07.ogg", "voice message"),
        ("chats/chat_001/voice_messages/audio_2.ogg", "voice message"),
        ("profile_pictures/photo_1@01-01-2024_10-00-00.jpg", "profile picture"),
        ("video_files/strike.mp4_thumb.jpg", "preview image"),
    ],
)
def test_not_evidence_names_what_the_file_is(tmp_path: Path, relative: str, what: str) -> None:
    root = tmp_path / "export"
    reason = not_evidence(root / relative, root)
    assert reason is not None and what in reason and "not evidence" in reason


@pytest.mark.parametrize(
    "relative",
    [
        "video_files/strike.mp4",
        "round_video_messages/file_0@13-03-2025_13-48-07.mp4",
        "photos/photo_1@13-03-2025_13-47-07.jpg",
        "chats/chat_001/video_files/a.mp4",
        "files/report.mp4",
        "result.json",
    ],
)
def test_not_evidence_keeps_videos_round_videos_and_photos(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "export"
    assert not_evidence(root / relative, root) is None
    # A sticker folder outside the export is not the export reader's to judge.
    assert not_evidence(tmp_path / "stickers" / "x.webp", root) is None
