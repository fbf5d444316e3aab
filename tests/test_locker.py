"""The evidence locker: cases, preserving import, store, custody log, verify."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from verifier.cli.main import cli
from verifier.db.models import Clip, CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.verification import verify


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(data_dir), "--analyst", "tester", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_case_commands_and_current_case(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, _ = run(data, "case", "new", "Kherson strike", "--description", "March 2025")
    assert code == 0 and "Kherson strike" in out
    code, _, _ = run(data, "case", "new", "Second")
    assert code == 0
    code, out, _ = run(data, "case", "list", "--json")
    listed = {c["name"]: c for c in json.loads(out)}
    assert listed["Second"]["current"] is True
    assert listed["Kherson strike"]["description"] == "March 2025"
    code, _, _ = run(data, "case", "use", "Kherson strike")
    assert code == 0
    code, out, _ = run(data, "case", "list", "--json")
    assert {c["name"]: c["current"] for c in json.loads(out)} == {
        "Kherson strike": True,
        "Second": False,
    }
    code, _, err = run(data, "case", "new", "Second")
    assert code == 1 and "already exists" in err
    code, _, err = run(data, "clips", "--case", "Nope")
    assert code == 1 and "no case named 'Nope'" in err and "Traceback" not in err


def test_import_preserves_original_and_stores_read_only(app: App, fixture_dir: Path) -> None:
    source = fixture_dir / "cut.mp4"
    before = (sha256(source), source.stat().st_mtime_ns, source.stat().st_mode)
    case = cases.create_case(app, "A")
    report = import_paths(app, [source], case, analyse=False)
    [item] = report.items
    assert item.status == "imported", item
    assert item.sha256 == before[0]
    # The original is untouched.
    assert (sha256(source), source.stat().st_mtime_ns, source.stat().st_mode) == before
    stored = app.store.path_for(item.sha256)
    assert stored.read_bytes() == source.read_bytes()
    assert stat.S_IMODE(stored.stat().st_mode) & 0o222 == 0, "stored evidence must be read-only"
    assert not list(app.store.tmp.iterdir()), "no staging files left behind"
    with app.db.read() as session:
        row = session.scalar(select(StoredFile))
        assert row is not None and row.sha256 == before[0] and row.size == source.stat().st_size
        assert row.original_name == "cut.mp4" and row.imported_by == "tester"
        assert (
            row.imported_at.tzinfo is not None and row.imported_at.utcoffset().total_seconds() == 0
        )
        event = session.scalar(select(CustodyEvent).where(CustodyEvent.action == "import"))
        assert event is not None and event.details["sha256"] == before[0]
        assert event.actor == "tester" and event.tool == "verifier"


def test_reimport_same_bytes_stores_nothing_new_but_is_logged(
    app: App, fixture_dir: Path, tmp_path: Path
) -> None:
    case_a = cases.create_case(app, "A")
    case_b = cases.create_case(app, "B")
    source = fixture_dir / "cut.mp4"
    copy = tmp_path / "renamed copy.mp4"
    copy.write_bytes(source.read_bytes())
    first = import_paths(app, [source], case_a, analyse=False).items[0]
    again = import_paths(app, [copy], case_a, analyse=False).items[0]
    other = import_paths(app, [source], case_b, analyse=False).items[0]
    assert first.status == "imported" and first.new_in_store
    assert again.status == "already-present" and again.clip_id == first.clip_id
    assert other.status == "imported" and not other.new_in_store and other.clip_id != first.clip_id
    assert len(list(app.store.iter_objects())) == 1
    with app.db.read() as session:
        assert session.scalar(select(func.count(StoredFile.id))) == 1
        assert session.scalar(select(func.count(Clip.id))) == 2
        actions = list(session.scalars(select(CustodyEvent.action).order_by(CustodyEvent.seq)))
    assert actions.count("import") == 2 and actions.count("import.duplicate") == 1


def test_bad_inputs_are_reported_and_the_rest_imported(
    app: App, fixture_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("zero.mp4", "notvideo.mp4", "truncated.mp4", "cut.mp4", "still.jpg"):
        (batch / name).write_bytes((fixture_dir / name).read_bytes())
    (batch / "broken-link.mp4").symlink_to(batch / "does-not-exist.mp4")
    (batch / "loop-a.mp4").symlink_to(batch / "loop-b.mp4")
    (batch / "loop-b.mp4").symlink_to(batch / "loop-a.mp4")
    unreadable = batch / "unreadable.mp4"
    unreadable.write_bytes((fixture_dir / "fade.mp4").read_bytes())
    unreadable.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the kernel's refusal happen anyway
        real_open = open

        def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
            if Path(file) == unreadable:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr("builtins.open", refusing_open)
        monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != unreadable)
    case = cases.create_case(app, "Batch")
    report = import_paths(app, [batch], case, analyse=False)
    by_name = {Path(item.path).name: item for item in report.items}
    assert by_name["cut.mp4"].status == "imported"
    assert by_name["still.jpg"].status == "imported"
    expected = {
        "zero.mp4": "empty",
        "notvideo.mp4": "not",
        "truncated.mp4": "",
        "broken-link.mp4": "broken symbolic link",
        "loop-a.mp4": "symbolic link loop",
        "loop-b.mp4": "symbolic link loop",
        "unreadable.mp4": "permission denied",
    }
    for name, reason in expected.items():
        item = by_name[name]
        assert item.status == "failed", (name, item)
        assert item.reason and reason in item.reason.lower(), (name, item.reason)
    # Nothing of the failed files reached the store or the database.
    assert len(list(app.store.iter_objects())) == 2
    assert not list(app.store.tmp.iterdir())
    with app.db.read() as session:
        assert session.scalar(select(func.count(StoredFile.id))) == 2


def test_damaged_real_clip_imports_with_a_warning(tmp_path: Path, shared_media: Path) -> None:
    data = tmp_path / "data"
    run(data, "case", "new", "Real")
    damaged = shared_media / "opencv" / "Megamind_bugy.avi"
    code, out, err = run(data, "import", str(damaged))
    # Partly decodable footage is still evidence: preserved, analysed as far as
    # it goes, and the damage is reported on one line naming the file.
    assert code == 0 and "1 imported" in out
    [line] = [line for line in err.splitlines() if line.startswith("warning:")]
    assert line.startswith(f"warning: {damaged}: ") and "decoding problem" in line


def test_cli_import_summary_and_json(tmp_path: Path, fixture_dir: Path) -> None:
    data = tmp_path / "data"
    run(data, "case", "new", "C")
    code, out, err = run(
        data, "import", str(fixture_dir / "cut.mp4"), str(fixture_dir / "zero.mp4"), "--no-analyse"
    )
    assert code == 1, "a failed file makes the exit status non-zero"
    assert "1 imported, 0 already present, 1 failed" in out
    assert "zero.mp4: file is empty" in err
    code, out, _ = run(data, "import", str(fixture_dir / "cut.mp4"), "--json", "--no-analyse")
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"] == {"imported": 0, "already-present": 1, "failed": 0, "skipped": 0}
    code, out, _ = run(data, "clips", "--json")
    [clip] = json.loads(out)
    assert clip["name"] == "cut.mp4" and clip["width"] == 320 and clip["height"] == 240
    code, out, _ = run(data, "show", clip["sha256"][:10], "--json")
    shown = json.loads(out)
    assert shown["id"] == clip["id"] and shown["file"]["sha256"] == clip["sha256"]
    assert [e["action"] for e in shown["custody"]] == ["import", "import.duplicate"]
    code, out, _ = run(data, "show", str(clip["id"]))
    assert code == 0 and clip["sha256"] in out
    code, _, err = run(data, "show", "ffffff")
    assert code == 1 and "no clip matches" in err
    code, out, _ = run(data, "log", "--json")
    assert [e["action"] for e in json.loads(out)] == ["case.create", "import", "import.duplicate"]


def test_verify_catches_flipped_byte_in_stored_file(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "V")
    item = import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False).items[0]
    assert verify(app, case).ok
    stored = app.store.path_for(item.sha256)
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    report = verify(app, case)
    assert not report.ok
    [problem] = report.problems
    assert (
        problem.kind == "file" and item.sha256 in problem.message and "cut.mp4" in problem.message
    )
    assert "content changed" in problem.message


def test_verify_catches_edited_and_deleted_custody_events(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "V")
    import_paths(app, [fixture_dir / "cut.mp4", fixture_dir / "fade.mp4"], case, analyse=False)
    assert verify(app, case).ok
    with app.db.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE custody_events SET actor = 'someone else' "
                "WHERE action = 'import' AND seq = 2"
            )
        )
    report = verify(app, case)
    assert not report.ok
    assert any("#2" in p.message and "altered" in p.message for p in report.problems)
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE custody_events SET actor = 'tester' WHERE seq = 2"))
    assert verify(app, case).ok
    # Deleting the newest event is caught by the anchor kept outside the database.
    with app.db.engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM custody_events")).scalar_one()
        conn.execute(text("DELETE FROM custody_events WHERE seq = :s"), {"s": last})
    report = verify(app, case)
    assert any(f"#{last} was recorded but is now missing" in p.message for p in report.problems)


def test_verify_cli_exit_status(tmp_path: Path, fixture_dir: Path) -> None:
    data = tmp_path / "data"
    run(data, "case", "new", "C")
    run(data, "import", str(fixture_dir / "cut.mp4"), "--no-analyse")
    code, out, _ = run(data, "verify")
    assert code == 0 and "OK" in out
    for obj in (data / "store" / "objects").glob("*/*/*"):
        obj.chmod(0o644)
        obj.write_bytes(obj.read_bytes()[:-1])
    code, out, err = run(data, "verify")
    assert code == 1 and "cut.mp4" in err and "FAILED" in out


def test_resolve_case_errors(app: App) -> None:
    with pytest.raises(VerifierError, match="no case yet"):
        cases.resolve_case(app, None)
    cases.create_case(app, "One", make_current=False)
    assert cases.resolve_case(app, None).name == "One"
    cases.create_case(app, "Two", make_current=False)
    with pytest.raises(VerifierError, match="no current case"):
        cases.resolve_case(app, None)


def test_cancelled_import_keeps_finished_files_and_discards_the_current_one(
    app: App, fixture_dir: Path
) -> None:
    from verifier.progress import CancelToken, ProgressUpdate

    token = CancelToken()
    seen: list[ProgressUpdate] = []

    def progress(update: ProgressUpdate) -> None:
        seen.append(update)
        # Cancel while the second file is being copied.
        if update.items_done == 1 and update.done > 0:
            token.cancel()

    case = cases.create_case(app, "Cancel")
    files = [fixture_dir / "cut.mp4", fixture_dir / "fade.mp4", fixture_dir / "vfr.mp4"]
    report = import_paths(app, files, case, analyse=False, progress=progress, cancel=token)
    assert report.cancelled
    assert [Path(i.path).name for i in report.items] == ["cut.mp4"]
    assert len(list(app.store.iter_objects())) == 1 and not list(app.store.tmp.iterdir())
    assert seen[0].unit == "bytes" and seen[0].items_total == 3
    assert seen[0].total == sum(f.stat().st_size for f in files)


def test_links_out_of_an_imported_folder_are_not_followed(
    app: App, fixture_dir: Path, tmp_path: Path
) -> None:
    """A received collection must not pull unrelated local files into the store."""
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "elsewhere.mp4").write_bytes((fixture_dir / "fade.mp4").read_bytes())
    collection = tmp_path / "collection"
    collection.mkdir()
    (collection / "clip.mp4").write_bytes((fixture_dir / "cut.mp4").read_bytes())
    (collection / "inside-link.mp4").symlink_to(collection / "clip.mp4")
    (collection / "escape.mp4").symlink_to(outside / "elsewhere.mp4")
    case = cases.create_case(app, "Links")
    report = import_paths(app, [collection], case, analyse=False)
    by_name = {Path(i.path).name: i for i in report.items}
    assert by_name["clip.mp4"].status == "imported"
    assert by_name["escape.mp4"].status == "failed"
    assert "outside the imported folder" in (by_name["escape.mp4"].reason or "")
    assert len(list(app.store.iter_objects())) == 1
    # Named explicitly, the same link is the user's choice and is followed.
    [item] = import_paths(app, [collection / "escape.mp4"], case, analyse=False).items
    assert item.status == "imported"
