"""The comparison's time map picks B's nearest frame on B's own timeline.

Synthetic frame tables (no media, no database) so each offset is exact:
clips at 30 fps with an MP4-like time base (1/15360, 512 ticks a frame),
and a variable-rate B whose frame times are not a multiple of a period.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from verifier.ids import CaseId, ClipId
from verifier.services.comparison import TimeMap, describe_gap, nearest_index, pair_indexes
from verifier.services.frames import FrameTable
from verifier.services.viewing import ClipView

TIME_BASE = Fraction(1, 15360)
FRAME = 1 / 30


def _view(pts: list[int] | np.ndarray, fps: Fraction = Fraction(30), start: int = 0) -> ClipView:
    """A clip whose frames start at ``pts`` (ticks of 1/15360 s, plus ``start``)."""
    values = np.asarray(pts, dtype=np.int64) + start
    table = FrameTable("video", values, TIME_BASE, len(values), 320, 240)
    return ClipView(
        clip_id=ClipId(1),
        case_id=CaseId(1),
        name="clip.mp4",
        sha256="0" * 64,
        path=Path("clip.mp4"),
        table=table,
        width=320,
        height=240,
        frame_count=len(values),
        duration=float(len(values) / fps),
        fps=fps,
        analysis_status="done",
    )


def _cfr(count: int, start: int = 0) -> ClipView:
    return _view(np.arange(count) * 512, start=start)


def _brute_nearest(view: ClipView, seconds: float) -> int:
    """Reference: the frame whose start is nearest, ties to the earlier one."""
    times = [view.seconds_of(i) for i in range(view.frame_count)]
    best = min(range(len(times)), key=lambda i: (round(abs(times[i] - seconds), 9), i))
    return best


@pytest.mark.parametrize(
    ("offset", "shift"),
    [
        (-0.003, 0),  # the reported case: A 42 -> B 42, not 41
        (+0.003, 0),
        (+0.016, 0),  # just under half a frame later: still the same frame
        (-0.016, 0),
        (-0.017, -1),  # just over half a frame earlier: the frame before
        (+0.017, +1),  # just over half a frame later: the frame after
        (-FRAME / 2, -1),  # exactly half a frame: the earlier of the two (on screen)
        (+FRAME / 2, 0),
        (-FRAME, -1),
        (+2 * FRAME, +2),
        (0.0, 0),
    ],
)
def test_linked_b_frame_is_the_nearest_at_30_fps(offset: float, shift: int) -> None:
    view_a, view_b = _cfr(300), _cfr(300, start=1024)  # B's pts start elsewhere
    time_map = TimeMap(offset=offset)
    for a_index in range(5, 290):
        b_index = time_map.b_index(view_a, view_b, a_index)
        assert b_index == a_index + shift, (offset, a_index, b_index)
        assert b_index == _brute_nearest(view_b, time_map.b_seconds(view_a, a_index))


def test_reported_case_a_42_shows_b_42_and_names_the_gap() -> None:
    view_a, view_b = _cfr(100), _cfr(100)
    time_map = TimeMap(offset=-0.003)
    assert view_b.index_at(time_map.b_seconds(view_a, 42)) == 41  # what was shown before
    assert time_map.b_index(view_a, view_b, 42) == 42
    gap = describe_gap(view_b, 42, time_map.b_seconds(view_a, 42))
    assert gap == "B frame 42 is the nearest, 0.003 s from A's moment (it starts later)"
    positive = TimeMap(offset=0.003)
    assert describe_gap(view_b, 42, positive.b_seconds(view_a, 42)).endswith("(it starts earlier)")
    # Frames that line up exactly, and moments outside B, need no words.
    assert describe_gap(view_b, 42, TimeMap().b_seconds(view_a, 42)) == ""
    assert describe_gap(view_b, 0, -1.0) == ""
    assert describe_gap(view_b, view_b.last_index, 60.0) == ""


def test_nearest_uses_b_own_frame_times_at_other_rates() -> None:
    # A at 30 fps, B at 25 fps (614.4 ticks a frame, stored rounded) and at 29.97 fps.
    view_a = _cfr(300)
    b25 = _view(np.round(np.arange(250) * 614.4).astype(np.int64), fps=Fraction(25))
    b2997 = _view(np.round(np.arange(300) * 15360 * 1001 / 30000).astype(np.int64))
    for view_b in (b25, b2997):
        for offset in (-0.003, 0.003, -0.017, 0.016, -FRAME / 2):
            time_map = TimeMap(offset=offset)
            for a_index in range(1, 240):
                seconds = time_map.b_seconds(view_a, a_index)
                expected = _brute_nearest(view_b, seconds)
                assert time_map.b_index(view_a, view_b, a_index) == expected, (offset, a_index)


def test_nearest_on_a_variable_rate_clip_and_outside_it() -> None:
    # Frames every 1/30 s, then every 1/10 s, then every 1/30 s again.
    ticks = [i * 512 for i in range(30)]
    ticks += [ticks[-1] + 1536 * (i + 1) for i in range(10)]
    ticks += [ticks[-1] + 512 * (i + 1) for i in range(30)]
    view = _view(ticks)
    slow = view.seconds_of(30)  # a frame in the 10 fps stretch, 0.1 s long
    assert nearest_index(view, slow + 0.04) == 30
    assert nearest_index(view, slow + 0.06) == 31
    assert nearest_index(view, slow - 0.01) == 30
    for seconds in np.linspace(0, view.seconds_of(view.last_index), 333):
        assert nearest_index(view, float(seconds)) == _brute_nearest(view, float(seconds))
    assert nearest_index(view, -2.0) == 0
    assert nearest_index(view, 100.0) == view.last_index


def test_pair_given_by_time_only_lands_on_the_nearest_frames() -> None:
    view_a, view_b = _cfr(100), _cfr(100)
    # Times rounded to the millisecond fall a hair before the frame they name.
    pair = {"a_seconds": 1.4 - 0.0004, "b_seconds": round(41 / 30, 3)}
    assert pair_indexes(pair, view_a, view_b) == (42, 41)
