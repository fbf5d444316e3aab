"""`verifier demo`: launched again, it imports nothing twice; it opens on its best clip."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from verifier.config import load_settings
from verifier.services.clips import custody_log, describe_clip, list_clips
from verifier.services.context import App, open_app
from verifier.services.demo import prepare_demo, showcase_clip
from verifier.services.provenance import add_appearance


@pytest.fixture
def media(tmp_path: Path, fixture_dir: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    for name in ("cut.mp4", "vfr.mp4", "fade.mp4", "notvideo.mp4"):
        shutil.copy(fixture_dir / name, folder / name)
    return folder


def _log(env: dict[str, str]) -> list[dict[str, Any]]:
    run = [sys.executable, "-m", "verifier", "log", "--all", "--json"]
    result = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_launched_again_logs_no_duplicate_imports(
    cli_env: dict[str, str], media: Path, fixture_dir: Path
) -> None:
    run = [sys.executable, "-m", "verifier", "demo", "--media", str(media), "--headless"]
    first = subprocess.run(run, env=cli_env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _log(cli_env)
    assert sum(e["action"] == "import" for e in before) == 3  # notvideo.mp4 is refused
    assert "Showcase: #" in first.stdout

    again = subprocess.run(run, env=cli_env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    after = _log(cli_env)
    assert [e["action"] for e in after[len(before) :]] == []
    assert not any(e["action"] == "import.duplicate" for e in after)
    assert "3 sample file(s) already in case 'Demo': not imported again." in again.stdout
    assert "duplicate" not in (again.stdout + again.stderr).lower()

    # A sample added later is imported on the next launch; the others still are not.
    shutil.copy(fixture_dir / "still.png", media / "still.png")
    third = subprocess.run(run, env=cli_env, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stderr
    new = [e["action"] for e in _log(cli_env)[len(after) :]]
    assert new.count("import.duplicate") == 0
    assert new.count("import") == 1


def test_showcase_is_the_clip_with_most_to_show_on_a_middle_frame(
    tmp_path: Path, fixture_dir: Path
) -> None:
    media = tmp_path / "pair"
    media.mkdir()
    for name in ("cut.mp4", "vfr.mp4", "still.png"):
        shutil.copy(fixture_dir / name, media / name)
    app: App = open_app(load_settings(data_dir=tmp_path / "data", analyst="demo"))
    try:
        setup = prepare_demo(app, [media])
        assert setup.report is not None and setup.report.count("imported") == 3
        rows = {r.name: r for r in list_clips(app, setup.case.id)}
        assert rows["cut.mp4"].matches == rows["vfr.mp4"].matches == 1
        assert rows["still.png"].matches == 0
        assert setup.showcase is not None
        assert setup.showcase.clip_id in (rows["cut.mp4"].id, rows["vfr.mp4"].id)

        # A post tips the balance: the clip with a match and a post is shown.
        add_appearance(app, str(rows["vfr.mp4"].id), url="https://t.me/frontline/812")
        chosen = showcase_clip(app, setup.case)
        assert chosen is not None and chosen.clip_id == rows["vfr.mp4"].id
        assert "1 match(es), 1 post(s)" in chosen.reason
        keyframes = describe_clip(app, chosen.clip_id)["keyframes"]
        middle = (rows["vfr.mp4"].duration or 0) / 2
        nearest = min(keyframes, key=lambda k: abs(k["seconds"] - middle))
        assert chosen.frame_index == nearest["frame_index"] != 0

        events = len(custody_log(app, None))
        again = prepare_demo(app, [media])
        assert again.report is None and again.already_present == 3
        assert len(custody_log(app, None)) == events
    finally:
        app.close()


@pytest.mark.gui
def test_window_starts_on_the_showcase_frame(qtbot: Any, tmp_path: Path, media: Path) -> None:
    pytest.importorskip("PySide6")
    pytest.importorskip("pytestqt")
    from verifier.gui.main_window import MainWindow

    app = open_app(load_settings(data_dir=tmp_path / "data", analyst="demo"))
    try:
        setup = prepare_demo(app, [media])
        showcase = setup.showcase
        assert showcase is not None and showcase.frame_index > 0
        win = MainWindow(app, setup.case.name)
        qtbot.addWidget(win)
        win.start_on(showcase.clip_id, showcase.frame_index)
        win.show()
        qtbot.waitUntil(
            lambda: (
                win.viewer.view is not None
                and win.viewer.view.clip_id == showcase.clip_id
                and win.viewer.current_index == showcase.frame_index
            ),
            timeout=15_000,
        )
        assert win.browser.selected_clip() == showcase.clip_id
        win.close()
    finally:
        app.close()
