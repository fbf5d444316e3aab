"""The shadow tool's service: windows for a built shadow match the sun's direct search,
and a time finding keeps the calculation, the lines, the frame and the sun-path figure."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.helpers import import_one

from verifier.db.models import CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.geo.shadow import Line
from verifier.geo.sun import find_windows, sun_at, zone_at
from verifier.ids import ClipId
from verifier.services import annotations, chronolocation, geolocation, shadows
from verifier.services.context import App
from verifier.services.verification import verify

KYIV = (50.4501, 30.5234)
MOMENT = datetime(2025, 6, 21, 7, 0, tzinfo=UTC)  # 10:00 in Kyiv (EEST)
DAY = date(2025, 6, 21)
NORTH_UP = Line(20, 230, 20, 30)  # a street drawn northwards, straight up the frame


@pytest.fixture
def clip(app: App, fixture_dir: Path) -> int:
    clip = import_one(app, fixture_dir / "cut.mp4")  # 320x240
    geolocation.add_geolocation(app, str(clip), at=KYIV, precision_m=50, confidence="confirmed",
                                method="landmark", reasoning="Motherland monument")  # fmt: skip
    return clip


def _lines_for(instant: datetime) -> tuple[Line, Line]:
    """A pole and the shadow the sun casts at ``instant`` in Kyiv, seen from above."""
    sun = sun_at(*KYIV, instant)
    assert sun.shadow_bearing is not None and sun.ratio is not None
    bearing, length = math.radians(sun.shadow_bearing), 80.0
    shadow = Line(160, 120, 160 + length * math.sin(bearing), 120 - length * math.cos(bearing))
    pole = Line(160, 120, 160, 120 - length / sun.ratio)
    assert pole.y2 >= 0 and 0 <= shadow.x2 <= 320 and 0 <= shadow.y2 <= 240
    return pole, shadow


def _measure(app: App, clip: int, **kwargs: object) -> shadows.ShadowRun:
    pole, shadow = _lines_for(MOMENT)
    args: dict = dict(object_line=pole, shadow_line=shadow, reference_line=NORTH_UP,
                      reference_bearing=0.0, reference_source="OSM way 123, Khreshchatyk",
                      pixel_error=1.0, date_from=DAY, date_to=DAY)  # fmt: skip
    args.update(kwargs)
    return shadows.measure(app, str(clip), 10, **args)


def test_windows_match_the_direct_search_and_hold_the_moment(app: App, clip: int) -> None:
    run = _measure(app, clip)
    sun = sun_at(*KYIV, MOMENT)
    assert run.measure.shadow_bearing == pytest.approx(sun.shadow_bearing, abs=1e-6)
    assert run.measure.ratio == pytest.approx(sun.ratio, abs=1e-6)
    assert run.place.geolocation_id is not None and run.zone.name == "Europe/Kyiv"
    direct = find_windows(*KYIV, DAY, DAY, [run.measurement], zone_at(*KYIV))
    assert [(w.start, w.end, w.best) for w in run.windows] == [
        (w.start, w.end, w.best) for w in direct.windows
    ]
    [window] = run.windows
    assert window.start < MOMENT < window.end
    assert abs((window.best - MOMENT).total_seconds()) <= 120
    assert run.figure_png.startswith(b"\x89PNG")


def test_bearing_alone_finds_the_same_morning(app: App, clip: int) -> None:
    run = _measure(app, clip, use_ratio=False)
    assert run.measurement.ratio is None
    assert any(w.start < MOMENT < w.end for w in run.windows)


def test_dates_default_to_the_clip_time_window(app: App, clip: int) -> None:
    chronolocation.add_chronolocation(app, str(clip), earliest="2025-06-20T12:00Z",
                                      latest="2025-06-22T12:00Z", confidence="probable",
                                      method="visible-events", reasoning="heat")  # fmt: skip
    run = _measure(app, clip, date_from=None, date_to=None)
    assert (run.search.first_day, run.search.last_day) == (date(2025, 6, 20), date(2025, 6, 22))
    assert "the clip's time window" in run.dates_source
    assert len(run.windows) == 3  # one morning a day
    context = shadows.shadow_context(app, ClipId(clip), 10)
    assert context["dates"] == ("2025-06-20", "2025-06-22")


def test_clear_errors(app: App, clip: int, fixture_dir: Path) -> None:
    with pytest.raises(VerifierError, match="dates: the clip has no time window"):
        _measure(app, clip, date_from=None, date_to=None)
    with pytest.raises(VerifierError, match=r"object line: .*outside the 320x240 frame"):
        _measure(app, clip, object_line=Line(10, 10, 400, 10))
    rect = annotations.add_annotation(app, str(clip), 10, (10, 10, 50, 50), "building")
    with pytest.raises(VerifierError, match=f"shadow line: annotation #{rect['id']} is not a line"):
        _measure(app, clip, shadow_line=rect["id"])
    other = import_one(app, fixture_dir / "vfr.mp4")
    with pytest.raises(VerifierError, match=r"place: clip #.* has no geolocation"):
        shadows.measure(app, str(other), 0, object_line=Line(1, 50, 1, 1),
                        shadow_line=Line(1, 50, 40, 50), reference_line=NORTH_UP,
                        reference_bearing=0, date_from=DAY, date_to=DAY)  # fmt: skip


def test_time_finding_keeps_calculation_lines_and_figure(app: App, clip: int) -> None:
    pole, _ = _lines_for(MOMENT)
    saved_pole = annotations.add_annotation(
        app, str(clip), 10, annotations.Shape.of_vertices("line", pole.to_json()), "other"
    )
    run = _measure(app, clip, object_line=saved_pole["id"])
    [window] = run.windows
    found = shadows.create_time_finding(app, run, confidence="probable")
    assert found["method"] == "sun position and shadows"
    assert found["earliest"] == window.start.isoformat()
    assert found["latest"] == window.end.isoformat()
    assert found["frames"] == [10]
    assert saved_pole["id"] in found["annotations"] and len(found["annotations"]) == 3
    reasoning = found["reasoning"]
    m = run.measure
    for text in (f"shadow bearing {m.shadow_bearing:.2f}° ±{m.bearing_error:.2f}°",
                 f"length ratio {m.ratio:.3f}", "OSM way 123", "true bearing 0°",
                 f"annotation #{saved_pole['id']}", "Europe/Kyiv", "NREL",
                 f"{window.start.strftime('%Y-%m-%d %H:%M:%S')} UTC", "image plane"):  # fmt: skip
        assert text in reasoning, text
    figure = found["figure"]
    assert found["figures"] == [figure["file_id"]]
    with app.db.read() as session:
        stored = session.get(StoredFile, figure["file_id"])
        assert stored is not None and stored.role == "sun-path-figure"
        data = app.store.readable(stored.stored_path).read_bytes()
        events = [e.action for e in session.scalars(
            select(CustodyEvent).where(CustodyEvent.target_id == clip).order_by(CustodyEvent.seq)
        )]  # fmt: skip
    assert hashlib.sha256(data).hexdigest() == stored.sha256 == figure["sha256"]
    assert events[-4:] == ["annotation.add", "annotation.add", "sun.figure", "chronolocation.add"]
    drawn = [a for a in annotations.list_annotations(app, str(clip)) if a["label"] == "shadow"]
    assert drawn and drawn[0]["shape"] == "line" and drawn[0]["frame_index"] == 10
    [listed] = [c for c in chronolocation.list_chronolocations(app, str(clip))
                if c["method"] == "sun position and shadows"]  # fmt: skip
    assert listed["id"] == found["id"]
    assert verify(app).ok
