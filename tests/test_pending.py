"""Pending analysis is found and resumed; Ctrl+C says what became of the current file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from verifier.cli.base import interrupted_message
from verifier.cli.main import cli
from verifier.db.models import Clip, Keyframe
from verifier.evidence.store import InterruptedWork
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths


def _status(app: App, clip_id: int) -> tuple[str, int]:
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        count = session.scalar(
            select(func.count()).select_from(Keyframe).where(Keyframe.clip_id == clip_id)
        )
        return clip.analysis_status, count or 0


def test_reimport_resumes_a_pending_analysis(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "A")
    [first] = import_paths(app, [fixture_dir / "cut.mp4"], case, analyse=False).items
    assert first.clip_id is not None and _status(app, first.clip_id) == ("pending", 0)
    [again] = import_paths(app, [fixture_dir / "cut.mp4"], case).items
    assert again.status == "already-present" and again.clip_id == first.clip_id
    assert again.analysis_status == "ok"
    status, keyframes = _status(app, first.clip_id)
    assert status == "ok" and keyframes > 0


def test_reimport_does_not_analyse_an_analysed_clip_again(app: App, fixture_dir: Path) -> None:
    case = cases.create_case(app, "A")
    import_paths(app, [fixture_dir / "cut.mp4"], case)
    [again] = import_paths(app, [fixture_dir / "cut.mp4"], case).items
    assert again.status == "already-present" and again.analysis_status is None


def _cli(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "--analyst", "tester", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.stdout.split()), " ".join(result.stderr.split())


def test_clips_lists_pending_and_analyse_pending_resumes(tmp_path: Path, fixture_dir: Path) -> None:
    data = tmp_path / "data"
    assert _cli(data, "case", "new", "A")[0] == 0
    files = [str(fixture_dir / n) for n in ("cut.mp4", "fade.mp4")]
    assert _cli(data, "import", "--no-analyse", *files)[0] == 0
    assert _cli(data, "import", str(fixture_dir / "still.png"))[0] == 0
    code, out, _ = _cli(data, "clips")
    assert code == 0
    assert "2 clips wait for analysis: run `verifier analyse --pending`" in out
    code, out, _ = _cli(data, "analyse", "--pending", "--json")
    assert code == 0
    assert '"clip_id": 1' in out and '"clip_id": 2' in out and '"clip_id": 3' not in out
    code, out, _ = _cli(data, "clips")
    assert "wait for analysis" not in out
    code, out, _ = _cli(data, "analyse", "--pending")
    assert code == 0 and "No clip of the case waits for analysis." in out
    code, _, err = _cli(data, "analyse", "--pending", "--all")
    assert code == 2 and "--pending" in err


def test_ctrl_c_during_analysis_on_import_says_the_file_was_kept(
    tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert _cli(data, "case", "new", "A")[0] == 0

    def interrupted(*_args: object, **_kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("verifier.analysis.ingest.analyse_video", interrupted)
    code, _, err = _cli(data, "import", str(fixture_dir / "cut.mp4"))
    assert code == 130
    assert "cut.mp4 was preserved as clip #1 and is kept" in err, err
    assert "verifier analyse --pending" in err and "discarded" not in err
    monkeypatch.undo()
    code, out, _ = _cli(data, "clips")
    assert "1 clip waits for analysis" in out
    # Importing the file again resumes its analysis.
    code, out, _ = _cli(data, "import", str(fixture_dir / "cut.mp4"))
    assert code == 0 and "already-present" in out
    code, out, _ = _cli(data, "clips")
    assert "wait" not in out


def test_ctrl_c_while_copying_says_the_file_was_discarded(
    tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert _cli(data, "case", "new", "A")[0] == 0

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("verifier.evidence.store.EvidenceStore._write", interrupted)
    code, _, err = _cli(data, "import", str(fixture_dir / "cut.mp4"))
    assert code == 130
    assert "cut.mp4 was not yet preserved: its partial copy was discarded" in err, err
    monkeypatch.undo()
    code, out, _ = _cli(data, "clips", "--json")
    assert out == "[]"
    assert not list((data / "store" / "tmp").iterdir())


def test_ctrl_c_during_reanalysis_says_the_previous_analysis_is_kept(
    tmp_path: Path, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert _cli(data, "case", "new", "A")[0] == 0
    assert _cli(data, "import", str(fixture_dir / "cut.mp4"))[0] == 0

    def interrupted(*_args: object, **_kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("verifier.analysis.ingest.analyse_video", interrupted)
    code, _, err = _cli(data, "analyse", "1")
    assert code == 130
    assert (
        "clip #1 (cut.mp4) is kept; its analysis was stopped and its previous analysis is kept"
        in err
    )


def test_generic_interrupt_message_claims_no_discard() -> None:
    message = interrupted_message(KeyboardInterrupt())
    assert "discarded" not in message and "rolled back" in message
    told = interrupted_message(InterruptedWork("the current file x.mp4 was kept"))
    assert told == "interrupted: finished items are kept; the current file x.mp4 was kept"
