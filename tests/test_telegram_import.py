"""Importing a Telegram Desktop export folder as it really is: stickers, voice messages, previews.

A real export folder holds, besides the posts' videos and photos, what a chat
normally contains: voice messages (``voice_messages/*.ogg``), stickers
(``stickers/*.webp`` / ``*.tgs`` / ``*.webm``), profile pictures and
``*_thumb.jpg`` previews. None of them is evidence: each is skipped with a
reason naming what it is, and the import does not fail because of them.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from verifier.cli.main import cli
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.provenance import provenance_for_clip
from verifier.tools import ffmpeg_exe

UNIX = 1741866067  # 2025-03-13 11:41:07 UTC


def _voice_message(target: Path) -> None:
    """A real, tiny Opus voice message, as Telegram writes them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5",
         "-c:a", "libopus", "-b:a", "16k", "-y", str(target)],
        check=True, capture_output=True,
    )  # fmt: skip


def _animated_sticker(target: Path) -> None:
    """A .tgs sticker: gzipped Lottie JSON."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lottie = {"v": "5.5.2", "fr": 60, "ip": 0, "op": 60, "w": 512, "h": 512, "layers": []}
    target.write_bytes(gzip.compress(json.dumps(lottie).encode()))


def _webp(target: Path, colour: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), colour).save(target, "WEBP")


def _message(ident: int, sender: str, sender_id: str, **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": ident, "type": "message", "date": "2025-03-13T13:41:07",
        "date_unixtime": str(UNIX + ident), "from": sender, "from_id": sender_id,
        "text": "", "text_entities": [],
    }  # fmt: skip
    message.update(fields)
    return message


@pytest.fixture()
def export_folder(tmp_path: Path, fixture_dir: Path) -> Path:
    """A group export with a video, a round video, a photo, voice messages and stickers."""
    folder = tmp_path / "ChatExport_2025-03-14"
    for relative, source in (
        ("video_files/strike.mp4", "cut.mp4"),
        ("round_video_messages/file_0@13-03-2025_13-48-07.mp4", "static_a.mp4"),
        ("photos/photo_1@13-03-2025_13-47-07.jpg", "still.jpg"),
        ("video_files/strike.mp4_thumb.jpg", "still.jpg"),
    ):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fixture_dir / source, folder / relative)
    _voice_message(folder / "voice_messages" / "audio_1@13-03-2025_13-49-07.ogg")
    _animated_sticker(folder / "stickers" / "AnimatedSticker.tgs")
    _webp(folder / "stickers" / "sticker.webp", "red")
    _webp(folder / "profile_pictures" / "photo_1@01-01-2024_10-00-00.jpg", "blue")
    video = {"media_type": "video_file", "mime_type": "video/mp4", "duration_seconds": 4}
    messages = [
        _message(1, "Taras", "user11", file="video_files/strike.mp4",
                 thumbnail="video_files/strike.mp4_thumb.jpg", text="the depot", **video),
        _message(2, "Iryna", "user22", media_type="video_message", mime_type="video/mp4",
                 file="round_video_messages/file_0@13-03-2025_13-48-07.mp4"),
        _message(3, "Iryna", "user22", photo="photos/photo_1@13-03-2025_13-47-07.jpg"),
        _message(4, "Taras", "user11", media_type="voice_message", mime_type="audio/ogg",
                 file="voice_messages/audio_1@13-03-2025_13-49-07.ogg", duration_seconds=1),
        _message(5, "Iryna", "user22", media_type="sticker", sticker_emoji="👍",
                 file="stickers/AnimatedSticker.tgs"),
        _message(6, "Taras", "user11", media_type="sticker", sticker_emoji="🔥",
                 file="stickers/sticker.webp"),
    ]  # fmt: skip
    chat = {"name": "Kherson volunteers", "type": "private_group", "id": 4321,
            "messages": messages}  # fmt: skip
    (folder / "result.json").write_text(json.dumps(chat, ensure_ascii=False), encoding="utf-8")
    return folder


def test_export_folder_skips_what_is_not_evidence(app: App, export_folder: Path) -> None:
    case = cases.create_case(app, "Kherson")
    report = import_paths(app, [export_folder], case, analyse=False)
    by_name = {Path(i.path).name: i for i in report.items}
    assert report.failed == [], report.to_json()
    imported = {n for n, i in by_name.items() if i.status == "imported"}
    assert imported == {
        "strike.mp4",
        "file_0@13-03-2025_13-48-07.mp4",
        "photo_1@13-03-2025_13-47-07.jpg",
    }
    reasons = {n: i.reason or "" for n, i in by_name.items() if i.status == "skipped"}
    assert "voice message" in reasons["audio_1@13-03-2025_13-49-07.ogg"]
    assert "animated Telegram sticker" in reasons["AnimatedSticker.tgs"]
    assert "sticker" in reasons["sticker.webp"]
    assert "profile picture" in reasons["photo_1@01-01-2024_10-00-00.jpg"]
    assert "preview" in reasons["strike.mp4_thumb.jpg"]
    assert reasons["result.json"] == "not a media file (sidecar)"
    # Where and who reach the stored appearance.
    clip_id = by_name["strike.mp4"].clip_id
    [entry] = provenance_for_clip(app, str(clip_id), case).entries
    assert entry["channel"] == "Kherson volunteers" and entry["chat_type"] == "private_group"
    assert (entry["author"], entry["author_id"]) == ("Taras", "user11")
    assert entry["posted_at_method"] == "date_unixtime"


def test_cli_import_of_export_folder_exits_zero(tmp_path: Path, export_folder: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    base = ["--data-dir", str(data), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "Kherson"]).exit_code == 0
    result = runner.invoke(cli, [*base, "import", "--no-analyse", "--json", str(export_folder)])
    assert result.exit_code == 0, result.stdout
    summary = json.loads(result.stdout)["summary"]
    assert summary["failed"] == 0 and summary["imported"] == 3
