"""Annotations: labelled rectangles on frames, clipped, validated and in the custody log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import import_one as _import

from verifier.cli.main import cli
from verifier.errors import VerifierError
from verifier.services.annotations import (
    LABELS,
    add_annotation,
    delete_annotation,
    edit_annotation,
    list_annotations,
    parse_rect,
)
from verifier.services.clips import describe_clip
from verifier.services.context import App


def _custody(app: App, clip_id: int) -> list[dict]:
    return [e for e in describe_clip(app, clip_id)["custody"] if e["action"].startswith("annot")]


def test_add_round_trips_frame_rect_label_and_time(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 50, (100, 60, 40, 30), "Vehicle", "tank, turret left")
    [listed] = list_annotations(app, str(clip_id))
    assert listed == added
    assert (listed["x"], listed["y"], listed["w"], listed["h"]) == (100, 60, 40, 30)
    assert listed["frame_index"] == 50 and listed["label"] == "vehicle"
    assert listed["note"] == "tank, turret left" and listed["created_by"] == "tester"
    # 25 fps, time base 1/12800: frame 50 starts at exactly 2 s.
    assert listed["pts"] == 25600 and listed["seconds"] == 2.0
    assert listed["updated_at"] is None and listed["created_at"]
    assert describe_clip(app, clip_id)["annotations"] == [added]
    [event] = _custody(app, clip_id)
    assert event["action"] == "annotation.add" and event["target_type"] == "clip"
    assert event["target_id"] == str(clip_id)
    assert event["details"]["annotation_id"] == added["id"]


def test_listing_is_ordered_by_frame_then_id(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))
    late = add_annotation(app, clip_id, 80, (0, 0, 10, 10), "landmark")
    early_a = add_annotation(app, clip_id, 3, (0, 0, 10, 10), "shadow")
    early_b = add_annotation(app, clip_id, 3, (5, 5, 10, 10), "text/sign")
    assert [a["id"] for a in list_annotations(app, clip_id)] == [
        early_a["id"], early_b["id"], late["id"]
    ]  # fmt: skip
    assert set(LABELS) >= {a["label"] for a in list_annotations(app, clip_id)}


def test_rectangles_are_clipped_to_the_frame_or_refused(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))  # 320x240
    corner = add_annotation(app, clip_id, 0, (300, 220, 50, 50), "building")
    assert (corner["x"], corner["y"], corner["w"], corner["h"]) == (300, 220, 20, 20)
    left = add_annotation(app, clip_id, 0, (-10, -5, 30, 25), "person")
    assert (left["x"], left["y"], left["w"], left["h"]) == (0, 0, 20, 20)
    event = _custody(app, clip_id)[0]
    assert event["details"]["requested_rect"] == [300, 220, 50, 50]
    with pytest.raises(VerifierError, match="lies outside the 320x240 frame"):
        add_annotation(app, clip_id, 0, (320, 0, 10, 10), "building")
    with pytest.raises(VerifierError, match="lies outside"):
        add_annotation(app, clip_id, 0, (-50, 10, 50, 10), "building")
    with pytest.raises(VerifierError, match="has no area"):
        add_annotation(app, clip_id, 0, (10, 10, 0, 10), "building")
    with pytest.raises(VerifierError, match="has no area"):
        add_annotation(app, clip_id, 0, (10, 10, 5, -3), "building")
    assert len(list_annotations(app, clip_id)) == 2


def test_bad_labels_and_frames_are_refused(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))  # 100 frames
    with pytest.raises(VerifierError, match="unknown label 'tank': use one of landmark"):
        add_annotation(app, clip_id, 0, (0, 0, 5, 5), "tank")
    with pytest.raises(VerifierError, match=r"frame 100 is outside clip #\d+ \(frames 0..99\)"):
        add_annotation(app, clip_id, 100, (0, 0, 5, 5), "vehicle")
    with pytest.raises(VerifierError, match="frame -1 is outside"):
        add_annotation(app, clip_id, -1, (0, 0, 5, 5), "vehicle")
    with pytest.raises(VerifierError, match="no clip with id 99"):
        add_annotation(app, 99, 0, (0, 0, 5, 5), "vehicle")
    assert list_annotations(app, clip_id) == [] and _custody(app, clip_id) == []


def test_still_image_has_one_frame(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("still.jpg"))  # 320x240
    added = add_annotation(app, clip_id, 0, (10, 10, 400, 20), "insignia")
    assert added["w"] == 310 and added["seconds"] == 0.0 and added["pts"] is None
    with pytest.raises(VerifierError, match="a still image has only frame 0"):
        add_annotation(app, clip_id, 1, (10, 10, 20, 20), "insignia")


def test_annotating_before_analysis_uses_the_file(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("rotated.mp4"), analyse=False)  # upright 240x320
    added = add_annotation(app, clip_id, 49, (200, 300, 100, 100), "face")
    assert (added["w"], added["h"]) == (40, 20)
    with pytest.raises(VerifierError, match=r"frames 0\.\.49"):
        add_annotation(app, clip_id, 50, (0, 0, 5, 5), "face")


def test_edit_and_delete_keep_before_and_after_in_custody(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 10, (10, 20, 30, 40), "vehicle", "truck")
    edited = edit_annotation(app, added["id"], rect=(12, 22, 400, 40), label="weapon")
    assert (edited["x"], edited["y"], edited["w"], edited["h"]) == (12, 22, 320 - 12, 40)
    assert edited["label"] == "weapon" and edited["note"] == "truck"
    assert edited["updated_at"] is not None and edited["created_at"] == added["created_at"]
    noted = edit_annotation(app, added["id"], note="")
    assert noted["note"] == "" and noted["label"] == "weapon"
    with pytest.raises(VerifierError, match="nothing to change"):
        edit_annotation(app, added["id"])
    with pytest.raises(VerifierError, match="unknown label"):
        edit_annotation(app, added["id"], label="gun")
    with pytest.raises(VerifierError, match="lies outside"):
        edit_annotation(app, added["id"], rect=(500, 0, 10, 10))
    delete_annotation(app, added["id"])
    assert list_annotations(app, clip_id) == []
    with pytest.raises(VerifierError, match=f"no annotation with id {added['id']}"):
        delete_annotation(app, added["id"])
    with pytest.raises(VerifierError, match="no annotation with id"):
        edit_annotation(app, added["id"], note="x")
    events = _custody(app, clip_id)
    assert [e["action"] for e in events] == [
        "annotation.add", "annotation.edit", "annotation.edit", "annotation.delete"
    ]  # fmt: skip
    first_edit = events[1]["details"]
    assert first_edit["annotation_id"] == added["id"]
    assert first_edit["before"]["label"] == "vehicle" and first_edit["before"]["w"] == 30
    assert first_edit["after"]["label"] == "weapon" and first_edit["after"]["x"] == 12
    assert events[2]["details"]["before"]["note"] == "truck"
    assert events[2]["details"]["after"]["note"] == ""
    withdrawn = events[3]["details"]["deleted"]
    assert withdrawn["id"] == added["id"] and withdrawn["label"] == "weapon"
    assert all(e["target_type"] == "clip" and e["target_id"] == str(clip_id) for e in events)


def test_parse_rect() -> None:
    assert parse_rect("10,20,30,40") == (10, 20, 30, 40)
    assert parse_rect(" 1.5, 2 ,3,4 ") == (1.5, 2, 3, 4)
    with pytest.raises(VerifierError, match="give X,Y,W,H"):
        parse_rect("10,20,30")
    with pytest.raises(VerifierError, match="must be numbers"):
        parse_rect("a,b,c,d")


def test_cli_annotate_commands(tmp_path: Path, make_fixture) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "C"]).exit_code == 0
    assert runner.invoke(cli, [*base, "import", str(make_fixture("cut.mp4"))]).exit_code == 0
    result = runner.invoke(cli, [*base, "annotate", "add", "1", "--frame", "50", "--rect",
                                 "10,20,30,40", "--label", "landmark", "--note", "water tower",
                                 "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    added = json.loads(result.stdout)
    assert added["frame_index"] == 50 and added["label"] == "landmark" and added["seconds"] == 2.0
    text = runner.invoke(cli, [*base, "annotate", "list", "1"]).stdout
    assert f"#{added['id']}" in text and "water tower" in text and "landmark" in text
    result = runner.invoke(cli, [*base, "annotate", "edit", str(added["id"]), "--label",
                                 "building", "--rect", "0,0,5,5"])  # fmt: skip
    assert result.exit_code == 0, result.output
    [listed] = json.loads(runner.invoke(cli, [*base, "annotate", "list", "1", "--json"]).stdout)
    assert listed["label"] == "building" and (listed["w"], listed["h"]) == (5, 5)
    shown = json.loads(runner.invoke(cli, [*base, "show", "1", "--json"]).stdout)
    assert shown["annotations"] == [listed]
    assert "Annotations (1)" in runner.invoke(cli, [*base, "show", "1"]).stdout
    bad = runner.invoke(cli, [*base, "annotate", "add", "1", "--frame", "0", "--rect",
                              "10,20,30", "--label", "landmark"])  # fmt: skip
    assert bad.exit_code == 1 and "error: --rect: cannot read the rectangle" in bad.stderr
    bad = runner.invoke(cli, [*base, "annotate", "add", "1", "--frame", "0", "--rect",
                              "1,2,3,4", "--label", "tank"])  # fmt: skip
    assert bad.exit_code == 1 and "unknown label 'tank'" in bad.stderr
    assert runner.invoke(cli, [*base, "annotate", "delete", str(added["id"])]).exit_code == 0
    assert "No annotations." in runner.invoke(cli, [*base, "annotate", "list", "1"]).stdout
    log = json.loads(runner.invoke(cli, [*base, "log", "--json"]).stdout)
    actions = [e["action"] for e in log if e["action"].startswith("annotation")]
    assert actions == ["annotation.add", "annotation.edit", "annotation.delete"]
    assert runner.invoke(cli, [*base, "verify", "--json"]).exit_code == 0
