"""``verifier sun`` as a person runs it: the values printed, the files written, the refusals.

The CLI opens no case; each test still points ``--data-dir`` at a temporary
folder so that nothing could be written to a real one.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.geo.sun import Measurement, find_windows, zone_at
from verifier.geo.sun_figure import HEIGHT, WIDTH, draw_sun_path
from verifier.services.context import App
from verifier.services.sun import frame_interval

KYIV = "50.4501, 30.5234"
KHARKIV = "49.9935, 36.2304"


def run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "sun", *args])


def test_position_prints_the_sun_the_shadow_and_the_day(tmp_path: Path) -> None:
    result = run(tmp_path, "--at", KYIV, "--time", "2024-06-21T09:00Z")
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines())
    assert lines["Place"] == "50.450100, 30.523400 (Europe/Kyiv)"
    assert lines["Time"].startswith("2024-06-21 09:00:00 UTC = 2024-06-21 12:00:00 +03:00 local")
    assert lines["Azimuth"] == "151.183° (clockwise from true north)"
    assert lines["Elevation"] == "60.589° geometric, 60.598° apparent (with refraction)"
    assert lines["Shadow"] == "bearing 331.18°, length 0.564 × the object's height"
    assert lines["Day"].startswith("sunrise 04:46")


def test_position_json_and_a_naive_time_read_as_the_local_clock(tmp_path: Path) -> None:
    result = run(tmp_path, "--at", KYIV, "--time", "2024-06-21 12:00", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["utc"] == "2024-06-21T09:00:00Z"
    assert data["time_read_as"] == "read as the local clock in Europe/Kyiv"
    assert data["time"]["offset"] == "+03:00"
    assert data["azimuth_deg"] == pytest.approx(151.183, abs=0.01)
    assert data["shadow_bearing_deg"] == pytest.approx(331.183, abs=0.01)
    assert data["day"]["polar"] is None


def test_polar_night_is_said_in_words(tmp_path: Path) -> None:
    result = run(tmp_path, "--at", "69.6492, 18.9553", "--time", "2023-12-21T11:00Z")
    assert result.exit_code == 0, result.output
    assert "Shadow     none: the sun is below the horizon" in result.output
    assert "Day        polar night: the sun does not rise" in result.output


def test_search_lists_windows_in_local_time_and_utc(tmp_path: Path) -> None:
    result = run(tmp_path, "--at", KHARKIV, "--date", "2025-03-29", "--to", "2025-03-30",
                 "--shadow-bearing", "290")  # fmt: skip
    assert result.exit_code == 0, result.output
    windows = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert len(windows) == 2
    assert windows[0].startswith("2025-03-29 07:07:") and "+02:00  (2025-03-29 05:07:" in windows[0]
    assert windows[1].startswith("2025-03-30 08:08:") and "+03:00  (2025-03-30 05:08:" in windows[1]


def test_search_json_with_two_measurements(tmp_path: Path) -> None:
    result = run(tmp_path, "--at", KYIV, "--date", "2025-05-10", "--ratio", "1.13",
                 "--ratio-tolerance", "5%", "--interval", "600", "--shadow-bearing2", "301",
                 "--tolerance2", "2", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [m["offset_s"] for m in data["measurements"]] == [0.0, 600.0]
    assert data["measurements"][0]["ratio_tolerance_pct"] == 5.0
    (window,) = data["windows"]
    assert window["start"]["utc"] <= "2025-05-10T07:00:00Z" <= window["end"]["utc"]
    assert window["start"]["offset"] == "+03:00"


def test_where_writes_the_band_and_prints_its_summary(tmp_path: Path) -> None:
    out = tmp_path / "band.geojson"
    result = run(tmp_path, "--where", "--time", "2025-03-13T09:30Z", "--ratio", "0.83",
                 "--bearing", "355", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Sun overhead  -2.7577, 39.8519 (subsolar point)" in result.output
    assert "Band          latitudes 33.6 to 39.6, 1 polygon(s)" in result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds == ["shadow band", "subsolar point"]


def test_figure_is_written_as_png(tmp_path: Path) -> None:
    figure = tmp_path / "path.png"
    result = run(tmp_path, "--at", KHARKIV, "--date", "2025-03-30", "--shadow-bearing", "290",
                 "--ratio", "2.6", "--figure", str(figure))  # fmt: skip
    assert result.exit_code == 0, result.output
    image = cv2.imread(str(figure))
    assert image is not None and image.shape == (HEIGHT, WIDTH, 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", KYIV, "--time", "soon"], "error: --time: 'soon' is not a time"),
        (["--at", "somewhere", "--time", "2024-06-21T09:00Z"], "error: --at: "),
        (["--time", "2024-06-21T09:00Z"], "error: --at: give the place"),
        (["--at", KYIV, "--time", "2025-03-30T03:30"],
         "error: --time: 2025-03-30 03:30 does not exist in Europe/Kyiv"),
        (["--at", KYIV, "--time", "2350-01-01T00:00Z"], "error: --time: 2350-01-01 is outside"),
        (["--at", KYIV, "--date", "2025-01-01", "--shadow-bearing", "90", "--tolerance", "0"],
         "error: --tolerance: 0° is out of range"),
        (["--at", KYIV, "--date", "2025-01-01", "--ratio", "1", "--ratio-tolerance", "lots"],
         "error: --ratio-tolerance: 'lots' is not a percentage"),
        (["--at", KYIV, "--date", "2025-01-01"], "error: --shadow-bearing/--ratio: give"),
        (["--at", KYIV, "--date", "2025-01-01", "--ratio", "1", "--interval", "60"],
         "error: --shadow-bearing2/--ratio2: --interval needs the second measurement"),
        (["--at", KYIV, "--date", "2025-01-01", "--ratio", "1", "--ratio2", "1.1"],
         "error: --interval: a second measurement needs"),
        (["--at", KYIV, "--date", "2025-01-01", "--ratio", "1", "--interval", "60",
          "--ratio2", "-2"], "error: --ratio2: -2 must be a positive number"),
        (["--at", KYIV, "--time", "2024-06-21T09:00Z", "--ratio", "1"],
         "error: --date: a measured shadow is searched over days"),
        (["--where", "--time", "2025-03-13T09:30", "--ratio", "1", "--out", "x.geojson"],
         "error: --time: '2025-03-13T09:30' has no offset"),
        (["--where", "--time", "2025-03-13T09:30Z", "--ratio", "1"], "error: --out: give"),
        (["--where", "--time", "2025-03-13T09:30Z", "--ratio", "1", "--out", "x.txt"],
         "error: --out: 'x.txt' must end in .geojson or .kml"),
        (["--where", "--time", "2025-03-13T09:30Z", "--out", "x.kml"],
         "error: --ratio: --where needs"),
        (["--at", KYIV, "--time", "2024-06-21T09:00Z", "--figure", "x.jpg"],
         "error: --figure: 'x.jpg' must end in .png"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_option(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(tmp_path, *args)
    assert result.exit_code == 1, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message), result.stderr


def test_the_figure_paints_the_window_where_the_sun_is_at_its_best_moment() -> None:
    lat, lon = 49.9935, 36.2304
    zone = zone_at(lat, lon)
    m = Measurement(bearing=290.0, ratio=2.6)
    search_day = date(2025, 3, 30)
    search = find_windows(lat, lon, search_day, search_day, [m], zone)
    (window,) = search.windows
    image = draw_sun_path(lat, lon, search_day, zone, windows=search.windows, measurement=m)
    assert image.shape == (HEIGHT, WIDTH, 3)
    # The best moment is drawn as a white disc ringed in orange on the track.
    plain = draw_sun_path(lat, lon, search_day, zone)
    changed = np.any(image != plain, axis=2)
    assert changed.sum() > 1000
    # The window is painted in orange where the sun stands at its best moment:
    # azimuth on 0..360° over the plot's width, elevation on the plot's scale.
    orange = np.abs(image.astype(int) - (235, 120, 0)).sum(axis=2) < 60
    ys, xs = np.nonzero(orange[: HEIGHT - 150])  # the plot, not the caption
    assert len(xs) > 50
    x_best = 74 + window.best_azimuth / 360 * (WIDTH - 28 - 74)
    assert abs(float(np.median(xs)) - x_best) < 15
    # Elevation axis from -30° to 50° this day over rows 48..670.
    y_best = 670 - (window.best_apparent_elevation + 30) / 80 * (670 - 48)
    assert abs(float(np.median(ys)) - y_best) < 15


def test_two_shadows_take_the_interval_from_the_clip_frame_times(
    app: App, make_fixture, tmp_path: Path
) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))  # 25 fps from 0 s
    found = frame_interval(app, str(clip_id), 10, 60)
    assert found.seconds == pytest.approx(2.0)
    assert frame_interval(app, str(clip_id), 60, 10).seconds == pytest.approx(-2.0)
    app.close()
    result = run(tmp_path, "--at", KYIV, "--date", "2025-05-10", "--ratio", "1.13",
                 "--clip", str(clip_id), "--frame", "10", "--frame2", "60",
                 "--shadow-bearing2", "301", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["interval_from_clip"]["seconds"] == pytest.approx(2.0)
    assert data["measurements"][1]["offset_s"] == pytest.approx(2.0)
    result = run(tmp_path, "--at", KYIV, "--date", "2025-05-10", "--ratio", "1.13",
                 "--clip", str(clip_id), "--frame", "10", "--frame2", "5000",
                 "--shadow-bearing2", "301")  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --frame2: frame 5000 is outside clip")
    result = run(tmp_path, "--at", KYIV, "--date", "2025-05-10", "--ratio", "1.13",
                 "--clip", str(clip_id), "--frame", "10", "--shadow-bearing2", "301")  # fmt: skip
    assert result.stderr.startswith("error: --frame/--frame2: --clip needs both frames")
