"""A failed analysis never deletes the analysis that was there.

A stored file that cannot be read is an error about the store, naming the
stored file; a re-analysis that fails is recorded but keeps the previous
keyframes, frame hashes and status, so the clip stays in matching.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.db.models import Clip, CustodyEvent, FrameHashSet, Keyframe
from verifier.errors import VerifierError
from verifier.ids import ClipId
from verifier.services import analysis as analysis_service
from verifier.services import cases
from verifier.services.context import App
from verifier.services.verification import verify


def _state(app: App, clip_id: int) -> tuple[str, int, int, bytes | None]:
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        keyframes = session.scalar(
            select(func.count()).select_from(Keyframe).where(Keyframe.clip_id == clip_id)
        )
        hash_sets = session.scalar(
            select(func.count()).select_from(FrameHashSet).where(FrameHashSet.clip_id == clip_id)
        )
        return clip.analysis_status, keyframes or 0, hash_sets or 0, clip.frame_index


def _remove_stored_file(app: App, clip_id: int) -> Path:
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        path = app.store.resolve(clip.file.stored_path)
    path.unlink()
    return path


def test_missing_stored_file_is_an_error_and_keeps_the_analysis(
    app: App, fixture_dir: Path
) -> None:
    clip_id = import_one(app, fixture_dir / "cut.mp4")
    before = _state(app, clip_id)
    assert before[0] == "ok" and before[1] > 0 and before[2] > 0
    path = _remove_stored_file(app, clip_id)
    with pytest.raises(VerifierError) as err:
        analysis_service.reanalyse(app, ClipId(clip_id))
    message = str(err.value)
    assert f"the stored evidence file {path} is missing" in message
    assert "mounted" in message and "verifier verify" in message
    assert _state(app, clip_id) == before
    # verify still sees the loss.
    assert not verify(app, cases.get_or_create_case(app, "A")).ok


def test_failed_reanalysis_is_recorded_and_keeps_the_previous_one(
    app: App, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip_id = import_one(app, fixture_dir / "cut.mp4")
    before = _state(app, clip_id)

    def broken_decoder(*_args: object, **_kwargs: object) -> object:
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr("verifier.analysis.ingest.analyse_video", broken_decoder)
    result = analysis_service.reanalyse(app, ClipId(clip_id))
    assert result.status == "failed" and result.kept_previous
    assert "Invalid data" in (result.error or "")
    assert _state(app, clip_id) == before, "keyframes, hashes and status are kept"
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        assert clip.analysis_error and "re-analysis failed" in clip.analysis_error
        assert any("re-analysis failed" in w for w in clip.analysis_warnings)
        event = session.scalars(
            select(CustodyEvent).order_by(CustodyEvent.seq.desc()).limit(1)
        ).one()
        assert event.action == "analyse" and event.target_id == str(clip_id)
        assert event.details["status"] == "failed"
        assert event.details["previous_analysis_kept"] is True


def test_failed_first_analysis_is_still_marked_failed(
    app: App, fixture_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip_id = import_one(app, fixture_dir / "cut.mp4", analyse=False)
    assert _state(app, clip_id)[0] == "pending"

    def broken_decoder(*_args: object, **_kwargs: object) -> object:
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr("verifier.analysis.ingest.analyse_video", broken_decoder)
    result = analysis_service.reanalyse(app, ClipId(clip_id))
    assert result.status == "failed" and not result.kept_previous
    assert _state(app, clip_id)[0] == "failed"


def test_cli_analyse_all_with_one_missing_file_goes_on_and_keeps_data(
    tmp_path: Path, fixture_dir: Path
) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    base = ["--data-dir", str(data), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "A"]).exit_code == 0
    for name in ("cut.mp4", "fade.mp4"):
        result = runner.invoke(cli, [*base, "import", str(fixture_dir / name)])
        assert result.exit_code == 0, result.output
    from verifier.config import load_settings
    from verifier.services.context import open_app

    with open_app(load_settings(data_dir=data, analyst="tester")) as app:
        before = _state(app, 1)
        missing = _remove_stored_file(app, 1)
    result = runner.invoke(cli, [*base, "analyse", "--all"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception
    err = " ".join(result.stderr.split())
    assert f"error: clip #1: the stored evidence file {missing} is missing" in err, err
    assert "Traceback" not in err
    with open_app(load_settings(data_dir=data, analyst="tester")) as app:
        assert _state(app, 1) == before
        assert _state(app, 2)[0] == "ok"
    result = runner.invoke(cli, [*base, "verify"])
    assert result.exit_code != 0, "the missing evidence file is reported"
