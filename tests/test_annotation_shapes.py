"""Points, lines and polygons as annotations: stored exactly, validated, logged, in the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.helpers import import_one as _import

from verifier.cli.main import cli
from verifier.errors import VerifierError
from verifier.services.annotations import (
    Shape,
    ShapeError,
    add_annotation,
    delete_annotation,
    edit_annotation,
    list_annotations,
    parse_shape,
)
from verifier.services.clips import describe_clip
from verifier.services.context import App
from verifier.services.edits import EditConflict
from verifier.services.verification import verify


def _custody(app: App, clip_id: int) -> list[dict]:
    return [e for e in describe_clip(app, clip_id)["custody"] if e["action"].startswith("annot")]


def test_each_shape_is_stored_with_exact_vertices_and_its_bounding_box(
    app: App, make_fixture
) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))  # 320x240
    point = add_annotation(app, clip_id, 4, Shape.of_vertices("point", [(12.5, 40)]), "insignia")
    line = add_annotation(
        app, clip_id, 4, Shape.of_vertices("line", [(10, 200), (150, 120), (300, 118.25)]),
        "shadow", "pole's shadow",
    )  # fmt: skip
    polygon = add_annotation(
        app, clip_id, 9, Shape.of_vertices("polygon", [(20, 20), (120, 30), (80, 90)]), "building"
    )
    rect = add_annotation(app, clip_id, 9, (5, 6, 7, 8), "landmark")
    assert point["shape"] == "point" and point["points"] == [[12.5, 40.0]]
    assert (point["x"], point["y"], point["w"], point["h"]) == (12.5, 40, 0, 0)
    assert line["shape"] == "line"
    assert line["points"] == [[10, 200], [150, 120], [300, 118.25]]
    assert (line["x"], line["y"], line["w"], line["h"]) == (10, 118.25, 290, 81.75)
    assert polygon["shape"] == "polygon" and polygon["points"] == [[20, 20], [120, 30], [80, 90]]
    assert (polygon["x"], polygon["y"], polygon["w"], polygon["h"]) == (20, 20, 100, 70)
    assert rect["shape"] == "rect" and rect["points"] is None
    # Read back exactly as added, in frame order, also in the clip's description.
    listed = list_annotations(app, clip_id)
    assert listed == [point, line, polygon, rect]
    assert describe_clip(app, clip_id)["annotations"] == listed
    # The custody event keeps the shape and its vertices.
    added = [e["details"]["annotation"] for e in _custody(app, clip_id)]
    assert added[1]["shape"] == "line" and added[1]["points"] == line["points"]
    assert verify(app).ok


def test_shapes_are_validated(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))  # 320x240

    def add(kind: str, vertices: list[tuple[float, float]]) -> dict:
        return add_annotation(app, clip_id, 0, Shape.of_vertices(kind, vertices), "other")

    with pytest.raises(ShapeError, match="a point is one vertex X,Y, not 2"):
        add("point", [(1, 1), (2, 2)])
    with pytest.raises(ShapeError, match=r"a line needs at least 2 vertices .*, not 1"):
        add("line", [(1, 1)])
    with pytest.raises(ShapeError, match=r"a polygon needs at least 3 vertices .*, not 2"):
        add("polygon", [(1, 1), (5, 5)])
    with pytest.raises(ShapeError, match="must be finite"):
        add("line", [(1, 1), (float("nan"), 5)])
    with pytest.raises(ShapeError, match="must be finite"):
        add("point", [(float("inf"), 5)])
    with pytest.raises(
        ShapeError, match=r"the line's vertex 2 \(321, 5\) lies outside the 320x240"
    ):
        add("line", [(1, 1), (321, 5)])
    with pytest.raises(ShapeError, match=r"the point \(-1, 5\) lies outside"):
        add("point", [(-1, 5)])
    with pytest.raises(ShapeError, match="the line has no length"):
        add("line", [(7, 7), (7, 7)])
    with pytest.raises(ShapeError, match="the polygon has no area"):
        add("polygon", [(0, 0), (10, 10), (20, 20)])
    with pytest.raises(ShapeError, match="unknown shape 'circle'"):
        add("circle", [(1, 1)])
    # The frame's edges are inside it (the canvas clamps a drag to them).
    edge = add("line", [(0, 0), (320, 240)])
    assert (edge["w"], edge["h"]) == (320, 240)
    assert [a["id"] for a in list_annotations(app, clip_id)] == [edge["id"]]
    assert len(_custody(app, clip_id)) == 1


def test_parse_shape() -> None:
    assert parse_shape("point", "10,20") == Shape("point", (10, 20))
    assert parse_shape("line", "1,2, 3,4 ,5,6").vertices == [(1, 2), (3, 4), (5, 6)]
    assert parse_shape("rect", "1,2,3,4") == Shape.rect(1, 2, 3, 4)
    with pytest.raises(ShapeError, match="5 numbers, but vertices come in X,Y pairs"):
        parse_shape("line", "1,2,3,4,5")
    with pytest.raises(ShapeError, match="a polygon needs at least 3 vertices"):
        parse_shape("polygon", "1,2,3,4")
    with pytest.raises(ShapeError, match="must be numbers"):
        parse_shape("point", "a,b")
    with pytest.raises(ShapeError, match="give X,Y,W,H"):
        parse_shape("rect", "1,2,3")


def test_edit_changes_the_shape_and_the_log_keeps_both(app: App, make_fixture) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))
    added = add_annotation(app, clip_id, 10, (10, 20, 30, 40), "shadow", "pole")
    as_line = edit_annotation(app, added["id"], expected_version=1,
                              shape=Shape.of_vertices("line", [(10, 20), (40, 60)]))  # fmt: skip
    assert as_line["shape"] == "line" and as_line["points"] == [[10, 20], [40, 60]]
    assert (as_line["x"], as_line["y"], as_line["w"], as_line["h"]) == (10, 20, 30, 40)
    assert as_line["version"] == 2 and as_line["label"] == "shadow"
    # Back to a rectangle: the vertices go.
    back = edit_annotation(app, added["id"], expected_version=2, rect=(1, 2, 3, 4))
    assert back["shape"] == "rect" and back["points"] is None
    with pytest.raises(VerifierError, match="not both"):
        edit_annotation(app, added["id"], rect=(1, 2, 3, 4), shape=Shape.rect(1, 2, 3, 4))
    with pytest.raises(ShapeError, match="lies outside"):
        edit_annotation(app, added["id"], shape=Shape.of_vertices("point", [(900, 1)]))
    # A save against the version before is refused, nothing changes.
    with pytest.raises(EditConflict):
        edit_annotation(app, added["id"], expected_version=2,
                        shape=Shape.of_vertices("point", [(5, 5)]))  # fmt: skip
    assert list_annotations(app, clip_id)[0]["shape"] == "rect"
    poly = Shape.of_vertices("polygon", [(0, 0), (50, 0), (50, 50), (0, 50)])
    edit_annotation(app, added["id"], expected_version=3, shape=poly)
    assert verify(app).ok
    delete_annotation(app, added["id"], expected_version=4)
    assert verify(app).ok
    events = _custody(app, clip_id)
    assert [e["action"] for e in events] == [
        "annotation.add", "annotation.edit", "annotation.edit", "annotation.edit",
        "annotation.delete",
    ]  # fmt: skip
    first = events[1]["details"]
    assert first["before"]["shape"] == "rect" and first["before"]["points"] is None
    assert first["after"]["shape"] == "line" and first["after"]["points"] == [[10, 20], [40, 60]]
    assert events[2]["details"]["before"]["points"] == [[10, 20], [40, 60]]
    withdrawn = events[4]["details"]["deleted"]
    assert withdrawn["shape"] == "polygon" and len(withdrawn["points"]) == 4


def test_cli_shapes(tmp_path: Path, make_fixture) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "C"]).exit_code == 0
    assert runner.invoke(cli, [*base, "import", str(make_fixture("cut.mp4"))]).exit_code == 0

    def add(*args: str) -> object:
        return runner.invoke(cli, [*base, "annotate", "add", "1", "--frame", "5", *args,
                                   "--label", "shadow"])  # fmt: skip

    for option, text, points in (
        ("--point", "10,20", [[10, 20]]),
        ("--line", "0,100,160,90,320,95", [[0, 100], [160, 90], [320, 95]]),
        ("--polygon", "10,10, 60,10, 35,50", [[10, 10], [60, 10], [35, 50]]),
    ):
        result = add(option, text, "--json")
        assert result.exit_code == 0, result.output
        added = json.loads(result.stdout)
        assert added["shape"] == option[2:] and added["points"] == points
    result = add("--rect", "1,2,3,4")
    assert result.exit_code == 0 and "(rect, shadow) added on frame 5" in result.stdout
    text = runner.invoke(cli, [*base, "annotate", "list", "1"]).stdout
    assert "point 10,20" in text and "line 0,100 160,90 320,95" in text
    assert "polygon 10,10 60,10 35,50" in text and "rect 1,2 3x4" in text

    for args, message in (
        (["--line", "1,2,3"], "error: --line: cannot read the line '1,2,3': 3 numbers"),
        (["--polygon", "1,2,3,4"], "error: --polygon: a polygon needs at least 3 vertices"),
        (["--point", "1,2,3,4"], "error: --point: a point is one vertex X,Y, not 2"),
        (["--line", "1,2,400,5"], "error: --line: the line's vertex 2 (400, 5) lies outside "
                                  "the 320x240 frame"),
        (["--point", "x,y"], "error: --point: cannot read the point 'x,y'"),
        (["--point", "1,2", "--line", "1,2,3,4"], "error: give one shape, not --point and --line"),
        ([], "error: give the shape to mark: --rect X,Y,W,H, --point X,Y"),
    ):  # fmt: skip
        bad = add(*args)
        assert bad.exit_code == 1, bad.output
        assert message in bad.stderr and bad.stderr.count("\n") == 1, bad.stderr

    edited = runner.invoke(cli, [*base, "annotate", "edit", "4", "--line", "1,1,9,9", "--json"])
    assert edited.exit_code == 0, edited.output
    assert json.loads(edited.stdout)["points"] == [[1, 1], [9, 9]]
    bad = runner.invoke(cli, [*base, "annotate", "edit", "4", "--polygon", "1,1,2,2,500,3"])
    assert bad.exit_code == 1 and "error: --polygon: the polygon's vertex 3 (500, 3)" in bad.stderr
    bad = runner.invoke(cli, [*base, "annotate", "edit", "4"])
    assert bad.exit_code == 1 and "nothing to change" in bad.stderr
    log = json.loads(runner.invoke(cli, [*base, "log", "--json"]).stdout)
    [edit] = [e for e in log if e["action"] == "annotation.edit"]
    assert edit["details"]["before"]["shape"] == "rect"
    assert edit["details"]["after"]["shape"] == "line"
    assert runner.invoke(cli, [*base, "verify", "--json"]).exit_code == 0
