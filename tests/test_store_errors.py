"""Write errors are blamed on the right side: the store, not the file being imported.

A full disk (ENOSPC) or a read-only file system (EROFS) is injected into
the store's write path: tests run as root, where a read-only folder does
not stop writes.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from verifier.analysis.ingest import _stage
from verifier.cli.main import cli
from verifier.errors import VerifierError
from verifier.evidence.store import EvidenceStore, Staged, StoreWriteError
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths

REAL_FSYNC = os.fsync


def _full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fsync of a store file fails as on a full disk (where delayed writes fail)."""

    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("verifier.evidence.store.os.fsync", fsync)


def test_full_store_is_blamed_on_the_store_not_the_source(
    app: App, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = cases.create_case(app, "A")
    _full_disk(monkeypatch)
    [item] = import_paths(app, [fixture_dir / "cut.mp4"], case).items
    monkeypatch.setattr("verifier.evidence.store.os.fsync", REAL_FSYNC)
    assert item.status == "failed"
    assert item.reason == (
        f"cannot write to the evidence store {app.store.root} (No space left on device)"
    )
    assert "cannot read" not in item.reason
    assert not list(app.store.tmp.iterdir()), "the partial copy is removed"
    assert not list(app.store.iter_objects())


def test_read_only_store_at_commit_is_blamed_on_the_store(
    app: App, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = cases.create_case(app, "A")

    def link(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("verifier.evidence.store.os.link", link)
    [item] = import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False).items
    assert item.status == "failed"
    assert item.reason is not None and item.reason.startswith("cannot write to the evidence store")
    assert "Read-only file system" in item.reason
    assert not list(app.store.tmp.iterdir())


def test_unreadable_source_is_blamed_on_the_source(tmp_path: Path) -> None:
    class UnreadableSource(EvidenceStore):
        def stage_file(self, source: Path, on_bytes: object = None) -> Staged:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    source = tmp_path / "clip.mp4"
    with pytest.raises(VerifierError) as err:
        _stage(UnreadableSource(tmp_path / "store"), source, None)
    assert str(err.value) == f"{source}: cannot read the file (Input/output error)"


def test_store_write_error_names_the_store(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "store")
    error = StoreWriteError(store.root, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    expected = f"cannot write to the evidence store {store.root} (No space left on device)"
    assert str(error) == expected


def _cli(data: Path, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--analyst", "tester", *args])
    return result.exit_code, " ".join(result.stderr.split()), result.exception


def test_cli_analyse_and_frame_on_a_full_store_end_in_one_line(
    tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert _cli(data, "case", "new", "A")[0] == 0
    assert _cli(data, "import", str(fixture_dir / "cut.mp4"))[0] == 0
    _full_disk(monkeypatch)
    code, err, exc = _cli(data, "analyse", "1")
    assert code == 1 and isinstance(exc, SystemExit), exc
    assert "cannot write to the evidence store" in err and "No space left on device" in err
    assert "Traceback" not in err
    out = tmp_path / "frame.png"
    code, err, exc = _cli(data, "frame", "1", "--frame", "3", "--out", str(out))
    assert code == 1 and isinstance(exc, SystemExit), exc
    assert err.startswith("error: cannot write to the evidence store"), err
    assert "No space left on device" in err
    assert not out.exists()
    monkeypatch.setattr("verifier.evidence.store.os.fsync", REAL_FSYNC)
    # The failed analysis changed nothing: the clip's analysis is still there.
    code, _, _ = _cli(data, "keyframes", "1", "--out", str(tmp_path / "kf"))
    assert code == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders anyway")
def test_read_only_store_folder_is_blamed_on_the_store(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "A")
    app.store.tmp.chmod(0o555)
    try:
        [item] = import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False).items
    finally:
        app.store.tmp.chmod(0o755)
    assert item.status == "failed"
    assert item.reason is not None and item.reason.startswith("cannot write to the evidence store")
