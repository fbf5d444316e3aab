"""`verifier landmarks` and its service: inputs, the stored figure, custody, clear errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.db.models import CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.services.context import App
from verifier.services.landmarks import ROLE_FIGURE, match_inputs, parse_input
from verifier.services.verification import verify
from verifier.tools import ffmpeg_exe

DATA = Path(__file__).parent / "data" / "landmarks"
BOX, SCENE, LEUVEN = DATA / "box.png", DATA / "box_in_scene.png", DATA / "leuvenA-376.jpg"


def scene_clip(out: Path) -> Path:
    """1 s at 10 fps of the box scene, each frame the same picture: a clip to take frames of."""
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-loop", "1", "-i", str(SCENE), "-t", "1",
         "-r", "10", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
         "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return out


def run_cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output


def events(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        return list(session.scalars(select(CustodyEvent).where(CustodyEvent.action == action)))


def test_parse_input() -> None:
    assert parse_input(str(BOX)).path == BOX
    spec = parse_input("12@250")
    assert (spec.clip_ref, spec.frame_index) == ("12", 250)
    assert parse_input("a1b2c3d4@0").clip_ref == "a1b2c3d4"
    with pytest.raises(VerifierError, match=r"B: 'x@y': the frame after @ must be a whole number"):
        parse_input("x@y", "B")
    with pytest.raises(VerifierError, match=r"A: no such file 'missing.png'"):
        parse_input("missing.png")
    with pytest.raises(VerifierError, match="A: give an image file or CLIP@FRAME"):
        parse_input("  ")


def test_two_files_need_no_case_and_write_the_figure(tmp_path: Path) -> None:
    out = tmp_path / "figure.png"
    run = match_inputs(None, str(BOX), str(SCENE), out_path=out)
    assert run.result.verdict == "match"
    assert run.file_id is None and run.stored_path is None
    assert out.read_bytes() == run.figure_png
    assert hashlib.sha256(out.read_bytes()).hexdigest() == run.sha256
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert "verdict match" in image.info["Description"]
        assert hashlib.sha256(BOX.read_bytes()).hexdigest() in image.info["Description"]
    assert run.a.sha256 == hashlib.sha256(BOX.read_bytes()).hexdigest()


def test_clip_frame_stores_the_figure_with_a_custody_event(app: App, tmp_path: Path) -> None:
    clip_id = import_one(app, scene_clip(tmp_path / "scene.mp4"))
    out = tmp_path / "figure.png"
    run = match_inputs(app, f"{clip_id}@7", str(BOX), out_path=out)
    assert run.result.verdict == "match"
    assert run.a.kind == "clip-frame" and run.a.frame_index == 7 and run.a.pts is not None
    assert run.a.seconds == pytest.approx(0.7, abs=1e-6)
    assert out.read_bytes() == run.figure_png
    with app.db.read() as session:
        stored = session.get(StoredFile, run.file_id)
        assert stored is not None
        assert (stored.role, stored.kind, stored.sha256) == (ROLE_FIGURE, "derived", run.sha256)
        assert stored.derived_from_id == run.a.file_id
        assert app.store.resolve(stored.stored_path).read_bytes() == run.figure_png
    [event] = events(app, "landmarks.match")
    assert event.target_type == "clip" and event.target_id == str(clip_id)
    details = event.details
    assert details["verdict"] == "match" and details["inliers"] == run.result.inliers
    assert details["a"]["frame_index"] == 7 and details["a"]["clip_id"] == clip_id
    assert details["b"]["path"] == str(BOX.resolve())
    assert details["b"]["sha256"] == hashlib.sha256(BOX.read_bytes()).hexdigest()
    assert details["settings"]["ratio"] == 0.75
    assert details["figure"]["file_id"] == run.file_id
    assert verify(app).ok


def test_clip_frame_as_b_and_a_region(app: App, tmp_path: Path) -> None:
    clip_id = import_one(app, scene_clip(tmp_path / "scene.mp4"))
    from verifier.geo.landmarks import Region

    run = match_inputs(app, str(LEUVEN), f"{clip_id}@0", region=Region(0, 0, 376, 200))
    assert run.result.verdict == "no-match"
    assert run.result.region == Region(0, 0, 376, 200)
    with app.db.read() as session:
        stored = session.get(StoredFile, run.file_id)
        assert stored is not None and stored.derived_from_id == run.b.file_id
    [event] = events(app, "landmarks.match")
    assert event.details["region"] == [0, 0, 376, 200]


def test_bad_clip_references(app: App, tmp_path: Path) -> None:
    clip_id = import_one(app, scene_clip(tmp_path / "scene.mp4"))
    with pytest.raises(
        VerifierError, match=rf"A: frame 10 is outside clip #{clip_id} \(frames 0..9\)"
    ):
        match_inputs(app, f"{clip_id}@10", str(BOX))
    with pytest.raises(VerifierError, match="B: no clip with id 999"):
        match_inputs(app, str(BOX), "999@0")
    with pytest.raises(VerifierError, match="refers to a clip, which needs a case"):
        match_inputs(None, "1@0", str(BOX))
    assert events(app, "landmarks.match") == []


def test_out_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    copy = tmp_path / "a.png"
    copy.write_bytes(BOX.read_bytes())
    with pytest.raises(VerifierError, match="is one of the input images"):
        match_inputs(None, str(copy), str(SCENE), out_path=copy)
    assert copy.read_bytes() == BOX.read_bytes()
    with pytest.raises(VerifierError, match=r"give a name ending in \.png"):
        match_inputs(None, str(BOX), str(SCENE), out_path=tmp_path / "fig.jpg")


# ----------------------------------------------------------------------------- CLI


def test_cli_json_for_two_files(cli_env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "fig.png"
    code, output = run_cli(["landmarks", str(BOX), str(SCENE), "--out", str(out), "--json"],
                           cli_env)  # fmt: skip
    assert code == 0, output
    data = json.loads(output)
    assert data["verdict"] == "match" and data["model"] == "homography"
    assert data["inliers"] >= 50 and data["matches"] >= data["inliers"]
    assert data["figure"]["out_path"] == str(out.resolve()) and data["figure"]["file_id"] is None
    assert out.is_file()
    # No case was needed: the data folder was not even created.
    assert not Path(cli_env["VERIFIER_HOME"]).exists()


def test_cli_text_for_a_clip_frame(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli(["case", "new", "Kherson"], cli_env)[0] == 0
    code, output = run_cli(["import", str(scene_clip(tmp_path / "scene.mp4"))], cli_env)
    assert code == 0, output
    code, output = run_cli(["landmarks", "1@3", str(LEUVEN)], cli_env)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("no-match: only ")
    assert lines[2].startswith("figure stored as file #")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.png", str(SCENE)], "error: A: no such file 'missing.png'"),
        ([str(BOX), str(DATA / "README.md")], "README.md: B: not an image this tool can read"),
        ([str(BOX), "1@x"], "error: B: '1@x': the frame after @ must be a whole number"),
        ([str(BOX), str(SCENE), "--region", "0,0,400,100"],
         "error: region 0,0,400,100 lies outside image A (324x223 pixels)"),
        ([str(BOX), str(SCENE), "--region", "0,0,40"], "error: region '0,0,40': give X,Y,W,H"),
    ],
)  # fmt: skip
def test_cli_bad_input_is_one_line_and_non_zero(
    cli_env: dict[str, str], args: list[str], message: str
) -> None:
    code, output = run_cli(["landmarks", *args], cli_env)
    assert code == 1
    assert message in output
    assert len(output.strip().splitlines()) == 1


def test_cli_frame_out_of_range(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli(["case", "new", "Kherson"], cli_env)[0] == 0
    code, output = run_cli(["import", str(scene_clip(tmp_path / "scene.mp4"))], cli_env)
    assert code == 0, output
    code, output = run_cli(["landmarks", "1@50", str(BOX)], cli_env)
    assert code == 1
    assert output.strip() == "error: A: frame 50 is outside clip #1 (frames 0..9)"


# ----------------------------------------------------------------------------- clips of one place


def excerpt(source: Path, out: Path, start: float, video_filter: str) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-ss", str(start), "-i", str(source), "-t", "1",
         "-vf", video_filter, "-an", "-c:v", "libx264", "-preset", "ultrafast",
         "-pix_fmt", "yuv420p", str(out)],
        check=True,
    )  # fmt: skip
    return out


def test_frames_of_two_clips_of_one_place(app: App, shared_media: Path, tmp_path: Path) -> None:
    """Two excerpts of box.mp4 framed differently match; a frame of cup.mp4 does not."""
    video = shared_media / "opencv" / "box.mp4"
    left = import_one(app, excerpt(video, tmp_path / "left.mp4", 0.5, "crop=480:480:0:0"))
    right = import_one(app, excerpt(video, tmp_path / "right.mp4", 7.5,
                                    "crop=480:480:160:0,scale=288:288"))  # fmt: skip
    cup = import_one(app, excerpt(shared_media / "opencv" / "cup.mp4", tmp_path / "cup.mp4",
                                  0.5, "null"))  # fmt: skip
    same = match_inputs(app, f"{left}@15", f"{right}@15")
    assert same.result.verdict == "match", same.result.reason
    assert same.result.inliers >= 50
    for a, b in ((f"{left}@15", f"{cup}@15"), (f"{cup}@15", f"{right}@15")):
        other = match_inputs(app, a, b)
        assert other.result.verdict == "no-match", (a, b, other.result.reason)
    assert len(events(app, "landmarks.match")) == 3


def test_region_blank_gives_reason(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((200, 300, 3), 90, np.uint8)).save(blank)
    run = match_inputs(None, str(SCENE), str(blank))
    assert run.result.reason == "no features found in B (blank or featureless)"
