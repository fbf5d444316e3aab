"""One bad file never ends a batch; a database that cannot be written stops it cleanly.

Each test here reproduces a way a single file (or the database under it)
ended a whole import with a traceback: a decompression-bomb header, a
Telegram message nested thousands of levels deep, a read-only or full
database. The file's failure is its own line; the database's failure stops
the batch with a message and the summary of what was done.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from verifier.cli.main import cli
from verifier.db.engine import Database
from verifier.db.models import Appearance, StoredFile
from verifier.errors import VerifierError
from verifier.media.probe import probe
from verifier.media.stills import probe_still
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.verification import verify


def declared_png(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares ``width`` × ``height`` (its pixel data is one row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = zlib.compress(b"\0" * (min(width, 4096) * 3 + 1))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
    )
    return path


def test_decompression_bomb_is_that_files_error_and_the_batch_goes_on(
    app: App, tmp_path: Path, fixture_dir: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    declared_png(folder / "a_bomb.png", 30000, 30000)
    shutil.copy(fixture_dir / "still.png", folder / "b_still.png")
    case = cases.create_case(app, "A")
    report = import_paths(app, [folder], case)
    by_name = {Path(item.path).name: item for item in report.items}
    assert by_name["a_bomb.png"].status == "failed"
    assert "megapixels" in (by_name["a_bomb.png"].reason or "")
    assert by_name["b_still.png"].status == "imported"


def test_huge_declared_still_is_refused_from_its_header(tmp_path: Path) -> None:
    big = declared_png(tmp_path / "big.png", 12000, 12000)  # 144 MP: decoding took 2.3 GB
    with pytest.raises(VerifierError, match="12000×12000"):
        probe_still(big)
    ok = declared_png(tmp_path / "ok.png", 2000, 1000)
    assert probe_still(ok).coded_width == 2000
    from verifier.media.info import MAX_PIXELS

    assert 12000 * 12000 > MAX_PIXELS > 8192 * 4320


def test_huge_declared_video_frame_is_refused_before_decoding(
    fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clip probe checks the stream's declared size before it decodes a frame.

    Crafting a stream header FFmpeg accepts at 20000×20000 is codec surgery;
    lowering the limit below a real clip's size exercises the same check.
    """
    monkeypatch.setattr("verifier.media.info.MAX_PIXELS", 64 * 48)
    with pytest.raises(VerifierError, match=r"declares \d+×\d+ pixels"):
        probe(fixture_dir / "cut.mp4")


def _telegram_export(folder: Path, fixture_dir: Path, depth: int) -> None:
    folder.mkdir(parents=True)
    (folder / "video_files").mkdir()
    shutil.copy(fixture_dir / "cut.mp4", folder / "video_files" / "a.mp4")
    shutil.copy(fixture_dir / "fade.mp4", folder / "video_files" / "b.mp4")
    deep: dict[str, object] = {}
    inner = deep
    for _ in range(depth):
        inner["x"] = {}
        inner = inner["x"]  # type: ignore[assignment]

    def message(ident: int, name: str, **extra: object) -> dict[str, object]:
        return {
            "id": ident, "type": "message", "date": "2025-03-13T13:41:07",
            "date_unixtime": str(1741866067 + ident), "from": "Chan", "from_id": "channel1",
            "text": "", "file": f"video_files/{name}", "mime_type": "video/mp4", **extra,
        }  # fmt: skip

    export = {
        "name": "Chan", "type": "public_channel", "id": 1234,
        "messages": [message(1, "a.mp4", deep=deep), message(2, "b.mp4")],
    }  # fmt: skip
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth * 3 + 1000)
    try:
        (folder / "result.json").write_text(json.dumps(export))
    finally:
        sys.setrecursionlimit(limit)


def test_deeply_nested_telegram_message_is_one_problem(
    app: App, tmp_path: Path, fixture_dir: Path
) -> None:
    _telegram_export(tmp_path / "export", fixture_dir, depth=5000)
    case = cases.create_case(app, "A")
    report = import_paths(app, [tmp_path / "export"], case, analyse=False)
    result_lines = [i for i in report.items if Path(i.path).name == "result.json"]
    assert len(result_lines) == 1  # reported once: not also "skipped" as a sidecar
    assert result_lines[0].status == "failed"
    assert "nested more than" in (result_lines[0].reason or "")
    assert report.count("imported") == 2
    with app.db.read() as session:
        posts = session.scalars(select(Appearance.post_id)).all()
    assert posts == ["2"]  # the shallow message is recorded, the deep one is not


def test_bad_sidecar_is_listed_once(app: App, tmp_path: Path, fixture_dir: Path) -> None:
    shutil.copy(fixture_dir / "cut.mp4", tmp_path / "clip.mp4")
    (tmp_path / "clip.info.json").write_text("{not json")
    report = import_paths(app, [tmp_path], cases.create_case(app, "A"), analyse=False)
    sidecar_lines = [i for i in report.items if i.path.endswith("clip.info.json")]
    assert [i.status for i in sidecar_lines] == ["failed"]


@contextlib.contextmanager
def _unwritable(*args: object, **kwargs: object) -> Iterator[None]:
    cause = sqlite3.OperationalError("attempt to write a readonly database")
    raise OperationalError("INSERT INTO stored_files", {}, cause)
    yield  # pragma: no cover


def test_database_that_cannot_be_written_stops_the_batch_with_a_summary(
    app: App, tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(fixture_dir / ("cut.mp4" if name == "a.mp4" else "fade.mp4"), tmp_path / name)
    case = cases.create_case(app, "A")
    monkeypatch.setattr(Database, "write", _unwritable)
    report = import_paths(app, [tmp_path], case, analyse=False)
    assert report.stopped is not None
    assert "database cannot be written" in report.stopped
    assert "readonly database" in report.stopped
    assert [(Path(i.path).name, i.status) for i in report.items] == [("a.mp4", "failed")]
    assert report.to_json()["stopped"] == report.stopped
    monkeypatch.undo()
    # The stored object the failed write left is reported, intact, by verify...
    found = verify(app)
    assert len(found.unreferenced_objects) == 1
    assert "interrupted import" not in (found.unreferenced_note or "")
    assert "thumbnails" in (found.unreferenced_note or "")
    # ...and reused when the file is imported again.
    again = import_paths(app, [tmp_path], case, analyse=False)
    assert again.count("imported") == 2 and again.stopped is None
    assert verify(app).unreferenced_objects == []


def test_cli_prints_the_stop_and_the_summary(
    tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(fixture_dir / "cut.mp4", tmp_path / "a.mp4")
    home = tmp_path / "home"
    env = {"VERIFIER_HOME": str(home), "VERIFIER_ANALYST": "tester"}
    runner = CliRunner()
    assert runner.invoke(cli, ["case", "new", "A"], env=env).exit_code == 0
    monkeypatch.setattr(Database, "write", _unwritable)
    result = runner.invoke(cli, ["import", "--no-analyse", str(tmp_path / "a.mp4")], env=env)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "import stopped: the database cannot be written" in result.output
    assert "0 imported" in result.output


def test_image_named_as_video_gets_the_mime_type_of_its_content(
    app: App, tmp_path: Path, fixture_dir: Path
) -> None:
    shutil.copy(fixture_dir / "still.jpg", tmp_path / "photo.mp4")
    shutil.copy(fixture_dir / "cut.mp4", tmp_path / "clip.mov")
    report = import_paths(app, [tmp_path], cases.create_case(app, "A"), analyse=False)
    assert report.count("imported") == 2
    with app.db.read() as session:
        mimes = dict(session.execute(select(StoredFile.original_name, StoredFile.mime_type)).all())
    assert mimes["photo.mp4"] == "image/jpeg"
    assert mimes["clip.mov"] == "video/quicktime"


def test_file_name_with_a_newline_stays_on_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad\nname\x1b[2J.mp4"
    bad.write_bytes(b"this is not a video at all" * 10)
    assert "\n" not in str(VerifierError("not a media file", path=bad))
    env = {"VERIFIER_HOME": str(tmp_path / "home"), "VERIFIER_ANALYST": "tester"}
    runner = CliRunner()
    assert runner.invoke(cli, ["case", "new", "A"], env=env).exit_code == 0
    result = runner.invoke(cli, ["import", str(bad)], env=env)
    assert result.exit_code == 1
    [line] = [ln for ln in result.output.splitlines() if ln.startswith("error: ")]
    assert "bad\\nname\\x1b[2J.mp4: " in line


def test_video_stream_of_unknown_codec_is_that_files_error(
    app: App, tmp_path: Path, fixture_dir: Path
) -> None:
    """A damaged sample-entry code leaves FFmpeg without a decoder: refused, the batch goes on."""
    data = (fixture_dir / "cut.mp4").read_bytes()
    (tmp_path / "a_unknown.mp4").write_bytes(data.replace(b"avc1", b"zzzz"))
    shutil.copy(fixture_dir / "fade.mp4", tmp_path / "b_fine.mp4")
    report = import_paths(app, [tmp_path], cases.create_case(app, "A"), analyse=False)
    statuses = {Path(i.path).name: (i.status, i.reason) for i in report.items}
    assert statuses["a_unknown.mp4"][0] == "failed"
    assert "codec is unknown" in (statuses["a_unknown.mp4"][1] or "")
    assert statuses["b_fine.mp4"][0] == "imported"


def test_database_locked_by_another_program_stops_the_batch(
    tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real lock, not an injected error: another program holds the database.

    Whoever holds it (a backup tool, a second analyst's stuck process), the
    import waits its busy timeout (shortened here) and then stops with a
    clear message and the summary, recording nothing half-way.
    """
    import verifier.db.engine as engine_module
    from verifier.config import load_settings
    from verifier.services.context import open_app

    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 300)
    shutil.copy(fixture_dir / "cut.mp4", tmp_path / "a.mp4")
    settings = load_settings(data_dir=tmp_path / "data", analyst="tester")
    app = open_app(settings)
    try:
        case = cases.create_case(app, "A")
        assert settings.sqlite_path is not None
        holder = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            report = import_paths(app, [tmp_path / "a.mp4"], case, analyse=False)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert report.stopped is not None
        assert "database cannot be written" in report.stopped
        assert "locked" in report.stopped
        assert [(Path(i.path).name, i.status) for i in report.items] == [("a.mp4", "failed")]
        # Once the lock is gone the same file imports, reusing the stored copy.
        again = import_paths(app, [tmp_path / "a.mp4"], case, analyse=False)
        assert again.count("imported") == 1 and again.stopped is None
        assert verify(app).ok
    finally:
        app.close()
