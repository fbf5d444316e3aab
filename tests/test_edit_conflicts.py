"""No lost edits: a save made on an item that changed since it was opened is refused.

Two analysts open the same annotation (or post); the first saves, the second's
save, made on what they saw, must not silently overwrite the first one's work.
The refusal names who changed what and when, from the custody log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.config import load_settings
from verifier.services import cases
from verifier.services.annotations import (
    add_annotation,
    delete_annotation,
    edit_annotation,
    list_annotations,
)
from verifier.services.context import App, open_app
from verifier.services.edits import EditConflict
from verifier.services.provenance import add_appearance, delete_appearance, edit_appearance

# One analyst's session: open the annotation, wait to be told to save, save what
# they saw plus their change, report the outcome as JSON.
ANALYST = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from verifier.config import load_settings
    from verifier.services.annotations import edit_annotation, list_annotations
    from verifier.services.context import open_app

    data, clip_id, name, label, note = sys.argv[1:6]
    app = open_app(load_settings(data_dir=Path(data), analyst=name))
    [seen] = list_annotations(app, int(clip_id))
    Path(data, name + ".opened").write_text(str(seen["version"]))
    while not Path(data, name + ".save").exists():
        time.sleep(0.02)
    try:
        saved = edit_annotation(app, seen["id"], expected_version=seen["version"],
                                label=label, note=note)
        print(json.dumps({"ok": True, "version": saved["version"]}))
    except Exception as exc:
        print(json.dumps({"ok": False, "type": type(exc).__name__, "message": str(exc)}))
    app.close()
    """
)


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def test_two_processes_second_save_is_refused_and_nothing_is_overwritten(
    tmp_path: Path, make_fixture
) -> None:
    data = tmp_path / "data"
    app = open_app(load_settings(data_dir=data, analyst="setup"))
    clip_id = import_one(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 5, (10, 10, 50, 40), "landmark", "water tower")
    app.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(data), str(clip_id), name, label, note],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, label, note in (
            ("alice", "building", "the mosque, not the tower"),
            ("bob", "vehicle", "a tank"),
        )
    }
    for name, proc in procs.items():
        _wait_for(data / f"{name}.opened", proc)
    (data / "alice.save").touch()
    alice_out, alice_err = procs["alice"].communicate(timeout=120)
    (data / "bob.save").touch()
    bob_out, bob_err = procs["bob"].communicate(timeout=120)
    alice, bob = json.loads(alice_out), json.loads(bob_out)
    assert alice == {"ok": True, "version": 2}, alice_err
    assert not bob["ok"] and bob["type"] == "EditConflict", bob_err
    message = bob["message"]
    assert f"annotation #{added['id']}" in message and "by alice at" in message
    assert "label 'landmark' → 'building'" in message
    assert "note 'water tower' → 'the mosque, not the tower'" in message
    assert "version 1" in message and "version 2" in message
    # Alice's edit stands; Bob's was not written, not even partly.
    app = open_app(load_settings(data_dir=data, analyst="check"))
    try:
        [now] = list_annotations(app, clip_id)
        assert (now["label"], now["note"], now["version"]) == (
            "building", "the mosque, not the tower", 2
        )  # fmt: skip
    finally:
        app.close()


def test_only_the_fields_given_change_and_versions_count_edits(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 5, (10, 10, 50, 40), "landmark", "tower")
    assert added["version"] == 1
    first = edit_annotation(app, added["id"], expected_version=1, note="the tower")
    assert (first["label"], first["note"], first["version"]) == ("landmark", "the tower", 2)
    # A second analyst, who saw version 2, changes only the label: the note stays.
    second = edit_annotation(app, added["id"], expected_version=2, label="building")
    assert (second["label"], second["note"], second["version"]) == ("building", "the tower", 3)
    # Without an expected version (the CLI without --expected-version) the edit applies.
    assert edit_annotation(app, added["id"], rect=(0, 0, 5, 5))["version"] == 4


def test_stale_delete_is_refused_and_a_deleted_item_is_named(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 5, (10, 10, 50, 40), "landmark")
    edit_annotation(app, added["id"], expected_version=1, label="vehicle")
    with pytest.raises(EditConflict, match="label 'landmark' → 'vehicle'") as refused:
        delete_annotation(app, added["id"], expected_version=1)
    assert refused.value.current is not None and refused.value.current["version"] == 2
    assert [a["label"] for a in list_annotations(app, clip_id)] == ["vehicle"]
    delete_annotation(app, added["id"], expected_version=2)
    with pytest.raises(EditConflict, match=r"was deleted by tester at .*\(custody event #\d+\)"):
        edit_annotation(app, added["id"], expected_version=2, note="too late")


def test_stale_appearance_edit_and_delete_are_refused(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    post = add_appearance(app, str(clip_id), url="https://t.me/chan/5",
                          posted_at="2025-03-13T09:41:00Z")  # fmt: skip
    assert post["version"] == 1
    moved = edit_appearance(app, post["id"], expected_version=1, posted_at="2025-03-12")
    assert moved["version"] == 2 and moved["posted_at_precision"] == "date"
    with pytest.raises(EditConflict) as refused:
        edit_appearance(app, post["id"], expected_version=1, channel="someone")
    message = str(refused.value)
    assert "appearance #" in message and "by tester at" in message
    assert "posted_at_text '2025-03-13T09:41:00Z' → '2025-03-12'" in message
    with pytest.raises(EditConflict):
        delete_appearance(app, post["id"], expected_version=1)
    delete_appearance(app, post["id"], expected_version=2)
    with pytest.raises(EditConflict, match="was deleted by tester"):
        edit_appearance(app, post["id"], expected_version=2, channel="x")


def test_stale_case_settings_change_is_refused(app: App) -> None:
    case = cases.create_case(app, "Settings")
    cases.update_case_settings(app, case.id, expected_version=1, blur_thumbnails=True)
    with pytest.raises(EditConflict, match=r"case 'Settings' was changed by tester .*blur"):
        cases.update_case_settings(app, case.id, expected_version=1, mute_audio=False)
    assert cases.case_settings(app, case.id)["mute_audio"] is True
    merged = cases.update_case_settings(app, case.id, expected_version=2, mute_audio=False)
    assert merged["blur_thumbnails"] is True and merged["mute_audio"] is False


def test_cli_prints_versions_and_refuses_a_stale_edit(
    app: App, make_fixture, cli_env: dict[str, str]
) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 5, (10, 10, 50, 40), "landmark")
    post = add_appearance(app, str(clip_id), url="https://t.me/chan/6")
    runner = CliRunner()
    env = {"VERIFIER_HOME": str(app.settings.data_dir), "VERIFIER_ANALYST": "carol"}
    listed = runner.invoke(cli, ["annotate", "list", str(clip_id), "--json"], env=env)
    assert json.loads(listed.output)[0]["version"] == 1, listed.output
    args = ["annotate", "edit", str(added["id"]), "--label", "vehicle", "--expected-version", "1"]
    ok = runner.invoke(cli, args, env=env)
    assert ok.exit_code == 0 and "now version 2" in ok.output, ok.output
    stale = runner.invoke(cli, [*args[:4], "building", *args[5:]], env=env)
    assert stale.exit_code != 0
    assert "was changed by carol at" in stale.output and "Traceback" not in stale.output
    assert list_annotations(app, clip_id)[0]["label"] == "vehicle"
    edit = ["appearance", "edit", str(post["id"]), "--channel", "chan", "--expected-version"]
    assert runner.invoke(cli, [*edit, "1"], env=env).exit_code == 0
    refused = runner.invoke(cli, [*edit, "1"], env=env)
    assert refused.exit_code != 0 and "channel None → 'chan'" in refused.output, refused.output
    delete = ["appearance", "delete", str(post["id"]), "--expected-version"]
    assert runner.invoke(cli, [*delete, "1"], env=env).exit_code != 0
    assert runner.invoke(cli, [*delete, "2"], env=env).exit_code == 0
