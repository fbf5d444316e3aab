"""Navigation arithmetic of the viewer, tested without a screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from verifier.errors import VerifierError
from verifier.media.decode import VideoDecoder
from verifier.services import cases
from verifier.services.clips import list_clips
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.viewing import format_seconds, load_clip_view, parse_position


@pytest.fixture
def imported(app: App, fixture_dir: Path) -> dict[str, int]:
    case = cases.create_case(app, "Viewing")
    report = import_paths(
        app, [fixture_dir / n for n in ("cut.mp4", "vfr.mp4", "offset.mp4", "still.jpg")], case
    )
    return {Path(i.path).name: i.clip_id for i in report.items if i.clip_id}


def test_times_and_indexes_agree_with_the_decoder(app: App, imported: dict[str, int]) -> None:
    view = load_clip_view(app, imported["vfr.mp4"])
    with VideoDecoder(view.path) as decoder:
        for index in (0, 1, 17, view.last_index):
            assert view.seconds_of(index) == pytest.approx(float(decoder.frame(index).info.seconds))
    assert all(view.index_at(view.seconds_of(i)) == i for i in range(view.frame_count))
    # Between two frames, the one on screen is the earlier.
    middle = (view.seconds_of(10) + view.seconds_of(11)) / 2
    assert view.index_at(middle) == 10
    assert view.index_at(-5) == 0 and view.index_at(1e9) == view.last_index


def test_marks_seconds_and_timecode(app: App, imported: dict[str, int]) -> None:
    view = load_clip_view(app, imported["cut.mp4"])  # 100 frames at 25 fps, a cut at 50
    assert view.frame_count == 100
    assert view.next_mark(0) in {m.frame_index for m in view.keyframes}
    cut = next(m.frame_index for m in view.keyframes if m.kind == "cut")
    assert cut == 50
    assert view.next_mark(cut - 1) == 50 and view.previous_mark(51) == 50
    assert view.previous_mark(0) == 0 and view.next_mark(view.last_index) == view.last_index
    assert view.step_seconds(0, 1.0) == 25 and view.step_seconds(30, -1.0) == 5
    assert view.step_seconds(view.last_index, 1.0) == view.last_index
    assert view.timecode(0) == "00:00:00:00"
    assert view.timecode(37) == "00:00:01:12"
    assert format_seconds(62.48) == "00:01:02.480"


def test_go_to_accepts_times_and_frame_numbers(app: App, imported: dict[str, int]) -> None:
    view = load_clip_view(app, imported["cut.mp4"])
    assert parse_position("#42", view) == 42
    assert parse_position("frame 7", view) == 7
    assert parse_position("1.5", view) == view.index_at(1.5) == 37
    assert parse_position("0:01.5", view) == 37
    assert parse_position("00:00:02.000", view) == 50
    with pytest.raises(VerifierError, match="past the last frame"):
        parse_position("#100", view)
    with pytest.raises(VerifierError, match="past the end"):
        parse_position("0:09", view)
    with pytest.raises(VerifierError, match="neither a time"):
        parse_position("soon", view)


def test_clip_rows_count_matches_and_stills(app: App, imported: dict[str, int]) -> None:
    rows = {r.name: r for r in list_clips(app, next(iter(cases.list_cases(app))).id)}
    assert set(rows) == {"cut.mp4", "vfr.mp4", "offset.mp4", "still.jpg"}
    # cut, vfr and offset open on the same generated frames: each matches the others.
    assert rows["cut.mp4"].matches == 2 and rows["still.jpg"].matches == 0
    assert rows["still.jpg"].media_kind == "image"
    assert all(r.thumbnail is not None and r.thumbnail.exists() for r in rows.values())
    spans = load_clip_view(app, imported["cut.mp4"]).spans
    assert {s.other_id for s in spans} == {imported["vfr.mp4"], imported["offset.mp4"]}
