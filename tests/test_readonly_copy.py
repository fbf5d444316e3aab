"""Verifying a write-protected copy of a data folder (the copy handed to the other side's
expert): every check runs, nothing is written, and the output says the verification
could not be recorded."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.cli.main import cli
from verifier.config import Settings, load_settings
from verifier.errors import VerifierError
from verifier.services import cases
from verifier.services import context as context_module
from verifier.services.context import open_app, open_read_only_app
from verifier.services.importing import import_paths
from verifier.services.verification import verify


def _digest_tree(folder: Path) -> dict[str, str]:
    """Every file of a folder with its SHA-256: proof that nothing was written.

    A read-only SQLite reader of a WAL database in a writable folder creates the
    ``-shm`` index (and an empty ``-wal``) itself: bookkeeping, not data, so an
    empty WAL and the index are left out.
    """
    digests = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or p.name.endswith("-shm"):
            continue
        if p.name.endswith("-wal") and p.stat().st_size == 0:
            continue
        digests[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return digests


def _events(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM custody_events").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def copy(tmp_path: Path, fixture_dir: Path) -> Settings:
    """A small library, closed (WAL merged) as it would be before being copied."""
    settings = load_settings(data_dir=tmp_path / "data", analyst="maker")
    with open_app(settings) as app:
        case = cases.create_case(app, "A")
        import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False)
    assert not (settings.data_dir / "verifier.db-wal").exists()
    return load_settings(data_dir=tmp_path / "data", analyst="expert")


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "--analyst", "expert", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_read_only_app_verifies_and_writes_nothing(copy: Settings) -> None:
    before = _digest_tree(copy.data_dir)
    events = _events(copy.sqlite_path)  # type: ignore[arg-type]
    with open_read_only_app(copy, "the copy is write-protected") as app:
        report = verify(app)
        assert report.ok, report.problems
        assert report.files_checked == 1 and report.events_checked == events
        assert not report.recorded
        assert report.not_recorded_reason == "the copy is write-protected"
        with pytest.raises(VerifierError, match="read-only"), app.db.write():
            pass
    assert _digest_tree(copy.data_dir) == before


def test_cli_opens_a_write_protected_folder_read_only(
    copy: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root, file modes stop nothing: report the folder as a read-only file system
    # the way statvfs would, and check that the program then really writes nothing.
    real_statvfs = os.statvfs

    class ReadOnlyFs:
        def __init__(self, path: str | os.PathLike[str]) -> None:
            self._real = real_statvfs(path)
            self.f_flag = self._real.f_flag | os.ST_RDONLY

    monkeypatch.setattr(context_module.os, "statvfs", ReadOnlyFs)
    before = _digest_tree(copy.data_dir)
    code, out, err = _run(copy.data_dir, "verify", "--all")
    assert code == 0, err
    assert "OK" in out
    assert "not recorded" in out and "read-only file system" in out
    code, out, _ = _run(copy.data_dir, "log", "--all")
    assert code == 0 and "import" in out
    assert _digest_tree(copy.data_dir) == before


def test_cli_read_only_flag(copy: Settings) -> None:
    before = _digest_tree(copy.data_dir)
    code, out, _ = _run(copy.data_dir, "verify", "--all", "--read-only")
    assert code == 0 and "OK" in out and "--read-only was given" in out
    assert _digest_tree(copy.data_dir) == before


def test_older_schema_is_a_clear_error_when_read_only(copy: Settings) -> None:
    db_path = copy.sqlite_path
    assert db_path is not None
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '0002'")
    conn.commit()
    conn.close()
    code, _, err = _run(copy.data_dir, "verify", "--all", "--read-only")
    assert code == 1
    assert "schema revision 0002" in err and "cannot be upgraded" in err
    assert "Traceback" not in err


def test_uncommitted_wal_is_refused_without_write_access(copy: Settings, tmp_path: Path) -> None:
    """An immutable open would silently miss a WAL's content: refuse instead."""
    db_path = copy.sqlite_path
    assert db_path is not None
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"x" * 100)
    # Without the -shm file and a writable folder, only the immutable open is left;
    # simulate the folder refusing to create it by failing the read-only attempt.
    from verifier.db import engine as engine_module

    urls = engine_module.sqlite_read_only_urls(db_path)
    assert [name for name, _ in urls] == ["read-only", "immutable"]
    original = engine_module.sqlite_read_only_urls
    try:
        engine_module.sqlite_read_only_urls = (
            lambda p: [  # type: ignore[assignment]
                ("read-only", "sqlite:///file:/nonexistent/x.db?mode=ro&uri=true"),
                *original(p)[1:],
            ]
        )
        with pytest.raises(VerifierError, match="holds changes not yet merged"):
            open_read_only_app(copy, "test")
    finally:
        engine_module.sqlite_read_only_urls = original
        wal.unlink()


def _can_mount_read_only(folder: Path) -> bool:
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount --bind '{folder}' '{folder}' && "
         f"mount -o remount,bind,ro '{folder}' '{folder}'"],
        capture_output=True,
    )  # fmt: skip
    return probe.returncode == 0


def test_real_cli_on_a_read_only_mount(copy: Settings, cli_env: dict[str, str]) -> None:
    """The copy on a file system mounted read-only (writes fail with EROFS, even for root)."""
    if shutil.which("unshare") is None or not _can_mount_read_only(copy.data_dir):
        pytest.skip("cannot make a private read-only mount here (unshare/mount not permitted)")
    before = _digest_tree(copy.data_dir)
    folder = str(copy.data_dir)
    verifier = [sys.executable, "-m", "verifier.cli.main"]
    script = (
        f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' '{folder}' "
        f"&& touch '{folder}/probe' 2>/dev/null && echo WRITABLE; "
        f"exec {' '.join(verifier)} --data-dir '{folder}' verify --all"
    )
    env = {**cli_env, "VERIFIER_ANALYST": "expert"}
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env
    )
    assert "WRITABLE" not in done.stdout
    assert done.returncode == 0, done.stderr
    assert "OK" in done.stdout
    assert "not recorded" in done.stdout and "read-only file system" in done.stdout
    assert "Traceback" not in done.stderr
    assert _digest_tree(copy.data_dir) == before


def test_read_only_mount_without_the_store_staging_folder(
    copy: Settings, cli_env: dict[str, str]
) -> None:
    """A copy that left out the store's empty tmp folder: one clear line, no traceback."""
    if shutil.which("unshare") is None or not _can_mount_read_only(copy.data_dir):
        pytest.skip("cannot make a private read-only mount here (unshare/mount not permitted)")
    (copy.store_dir / "tmp").rmdir()
    folder = str(copy.data_dir)
    script = (
        f"mount --bind '{folder}' '{folder}' && mount -o remount,bind,ro '{folder}' '{folder}' "
        f"&& exec {sys.executable} -m verifier.cli.main --data-dir '{folder}' verify --all"
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=cli_env
    )
    assert done.returncode == 1
    assert "cannot open the evidence store" in done.stderr and "tmp" in done.stderr
    assert "Traceback" not in done.stderr
