"""What a person sees in the main window: every decision column and tab on a 1366-pixel
screen, metadata written as a report, readable tables, a timeline legend and a
transport that only offers what works on the open clip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTabWidget, QToolButton
from sqlalchemy import event, select
from tests.gui_helpers import open_clip, show_window

from verifier.config import load_settings
from verifier.db.models import Case, Chronolocation, Geolocation
from verifier.geo.maps import google_maps_url, osm_url
from verifier.gui.clips import COLUMNS, DECISION_COLUMNS, SETTINGS_KEY, ClipBrowser
from verifier.gui.main_window import MainWindow
from verifier.gui.metadata import FRAME_NUMBERS, MetadataPane, frame_rate_text
from verifier.gui.panes import AnnotationsPane, ClipDetails, MatchesPane
from verifier.gui.timeline import TimelineLegend
from verifier.services import cases
from verifier.services.annotations import add_annotation
from verifier.services.clips import describe_clip, list_clips
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui

LAPTOP = (1366, 740)  # a 1366×768 screen less the task bar


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, fixture_dir: Path) -> Iterator[App]:
    """A video with a cut, its re-encode and a JPEG with GPS EXIF; findings on the cut clip."""
    data = tmp_path_factory.mktemp("readable-data")
    application = open_app(load_settings(data_dir=data, analyst="tester"))
    case = cases.create_case(application, "Readable case")
    paths = [fixture_dir / "cut.mp4", fixture_dir / "offset.mp4", fixture_dir / "still.jpg"]
    report = import_paths(application, paths, case)
    assert report.count("imported") == 3, report.to_json()
    cut = next(r.id for r in list_clips(application, case.id) if r.name == "cut.mp4")
    with application.db.write() as session:
        for confidence in ("possible", "probable", "rejected"):
            session.add(
                Geolocation(clip_id=cut, latitude=50.45, longitude=30.52,
                            confidence=confidence, created_by="tester")
            )  # fmt: skip
        session.add(Chronolocation(clip_id=cut, created_by="tester"))
    yield application
    application.close()


@pytest.fixture(autouse=True)
def own_settings(tmp_path: Path) -> Iterator[None]:
    """Column choices saved by a test (or by the person at this machine) stay out of others."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield


@pytest.fixture
def laptop(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "Readable case", 3)
    win.resize(*LAPTOP)
    qtbot.waitUntil(lambda: win.width() == LAPTOP[0])
    yield win
    win.close()


def _visible_headers(table: Any) -> list[tuple[str, int, int]]:
    """(title, left, right) of every shown column, in viewport pixels."""
    header = table.horizontalHeader()
    model = table.model()
    return [
        (
            model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole),
            header.sectionViewportPosition(c),
            header.sectionViewportPosition(c) + header.sectionSize(c),
        )
        for c in range(header.count())
        if not table.isColumnHidden(c)
    ]


def _cell(win: MainWindow, name: str, key: str) -> str:
    model = win.browser.model
    row = next(i for i, r in enumerate(model.rows) if r.name == name)
    column = [k for _t, k in COLUMNS].index(key)
    return str(model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole))


# ---------------------------------------------------------------- clip table


def test_the_nine_decision_columns_fit_a_laptop_screen(laptop: MainWindow) -> None:
    table = laptop.browser.table
    shown = _visible_headers(table)
    assert [title for title, _l, _r in shown] == [
        "", "Name", "Duration", "Posts", "Matches", "Geo", "Chrono", "Flags", "State",
    ]  # fmt: skip
    width = table.viewport().width()
    for title, left, right in shown:
        assert left >= 0 and right <= width, (title, left, right, width)
    name = next(r - left for t, left, r in shown if t == "Name")
    assert name >= 90  # names stay readable, not squeezed to an ellipsis
    assert table.horizontalScrollBar().maximum() == 0


def test_geo_and_chrono_counts_with_best_confidence(laptop: MainWindow) -> None:
    # The rejected finding is not counted; the best of possible and probable is shown.
    assert _cell(laptop, "cut.mp4", "geolocations") == "2 · probable"
    assert _cell(laptop, "cut.mp4", "chronolocations") == "1"
    # still.jpg carries a GPS tag: proposed for a person to decide, never counted as found.
    assert _cell(laptop, "still.jpg", "geolocations") == "1 proposed"
    # ...and its EXIF capture time proposes a time window, also awaiting a decision.
    assert _cell(laptop, "still.jpg", "chronolocations") == "1 proposed"


def test_clip_listing_counts_findings_without_a_query_per_clip(library: App) -> None:
    case_id = _case_id(library)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(library.db.engine, "before_cursor_execute", count)
    try:
        rows = list_clips(library, case_id)
    finally:
        event.remove(library.db.engine, "before_cursor_execute", count)
    assert len(rows) == 3
    geo_queries = [s for s in statements if "FROM geolocations" in s]
    chrono_queries = [s for s in statements if "FROM chronolocations" in s]
    assert len(geo_queries) == 1 and len(chrono_queries) == 1


def _case_id(app: App) -> Any:
    with app.db.read() as session:
        return session.scalars(select(Case.id).where(Case.name == "Readable case")).one()


def test_resolution_and_file_size_are_separate_columns(laptop: MainWindow) -> None:
    still = next(r for r in laptop.browser.model.rows if r.name == "still.jpg")
    assert _cell(laptop, "still.jpg", "resolution") == "320×240"
    size = _cell(laptop, "still.jpg", "file_size")
    assert size.endswith(("kB", "bytes", "MB")) and "×" not in size
    assert size == (f"{still.size / 1000:.1f} kB" if still.size >= 1000 else f"{still.size} bytes")
    titles = [t for t, _k in COLUMNS]
    assert "Size" not in titles and {"Resolution", "File size"} <= set(titles)


def test_column_chooser_shows_a_column_and_remembers_it(qtbot: Any, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "columns.ini"), QSettings.Format.IniFormat)
    browser = ClipBrowser(settings=settings)
    qtbot.addWidget(browser)
    assert browser.visible_columns() == list(DECISION_COLUMNS)
    menu = browser.column_menu()
    actions = {a.text(): a for a in menu.actions() if a.isCheckable()}
    assert not actions["Resolution"].isChecked() and not actions["File size"].isChecked()
    assert not actions["Name"].isEnabled()  # the name cannot be hidden
    actions["Resolution"].setChecked(True)
    actions["Flags"].setChecked(False)
    assert "resolution" in browser.visible_columns()
    assert "flags" not in browser.visible_columns()
    settings.sync()
    again = ClipBrowser(
        settings=QSettings(str(tmp_path / "columns.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(again)
    assert again.visible_columns() == browser.visible_columns()
    assert "resolution" in str(settings.value(SETTINGS_KEY))


# ----------------------------------------------------------------- metadata


def _anchors(pane: MetadataPane) -> list[str]:
    """Every http(s) link in the shown report, in document order."""
    found: list[str] = []
    block = pane.browser.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            href = it.fragment().charFormat().anchorHref()
            if href.startswith("http") and (not found or found[-1] != href):
                found.append(href)
            it += 1
        block = block.next()
    return found


def _clip_with(metadata: dict[str, Any], kind: str = "video", warnings: Any = ()) -> dict[str, Any]:
    return {
        "kind": kind, "sha256": "ab" * 32, "size": 12_400_000, "flags": [],
        "file": {"original_name": "a.mp4", "original_path": "/x/a.mp4",
                 "imported_at": "2024-05-01T10:00:00", "imported_by": "tester",
                 "stored_path": "objects/ab/abab"},
        "analysis": {"status": "ok", "warnings": list(warnings)},
        "metadata": metadata,
    }  # fmt: skip


def test_frame_rate_reads_approximate_and_exact(qtbot: Any) -> None:
    pane = MetadataPane()
    qtbot.addWidget(pane)
    pane.show_clip(_clip_with({"frame_rate": "30000/1001", "frame_rate_float": 29.97003,
                               "video_codec": "h264", "size_bytes": 12_400_000}))  # fmt: skip
    assert pane.value("Frame rate") == "≈29.97 fps (30000/1001)"
    assert frame_rate_text("25/1") == "25 fps"
    assert "Frame rate" in pane.browser.toPlainText()
    assert "frame_rate" not in pane.browser.toPlainText()
    assert pane.value("Size") == "12.4 MB (12,400,000 bytes)"
    assert all("_" not in row.label for row in pane.rows)
    assert pane.value("Frame numbers") == FRAME_NUMBERS
    # Where and when first, then the picture, the file and the analysis.
    assert pane.sections() == ["Video", "Container", "File", "Analysis"]
    assert pane.value("State") == "ok"
    assert pane.value("Imported") == "2024-05-01 10:00:00 UTC by tester"


def test_decoding_order_warning_explained_next_to_frame_numbers(qtbot: Any) -> None:
    pane = MetadataPane()
    qtbot.addWidget(pane)
    warning = (
        "frame timestamps are not in increasing order at 3 frames (first at frame 12); "
        "frames are indexed in decoding order"
    )
    pane.show_clip(_clip_with({"frame_rate": "25/1"}, warnings=[warning]))
    explanation = pane.value("Frame numbers") or ""
    assert "not the order in time" in explanation
    assert pane.value("Warning") == warning


def test_sha256_is_copyable_whole(qtbot: Any) -> None:
    pane = MetadataPane()
    qtbot.addWidget(pane)
    pane.show_clip(_clip_with({}))
    row = pane.row("SHA-256")
    assert row is not None and row.copy == "ab" * 32
    assert " " in row.text  # grouped so it wraps in a narrow pane
    number = pane.rows.index(row)
    pane.browser.anchorClicked.emit(QUrl(f"copy:{number}"))
    assert QGuiApplication.clipboard().text() == "ab" * 32
    assert pane.browser.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse


def test_still_with_gps_shows_image_section_and_map_links(qtbot: Any, library: App) -> None:
    still = next(r for r in list_clips(library, _case_id(library)) if r.name == "still.jpg")
    pane = MetadataPane()
    qtbot.addWidget(pane)
    pane.show_clip(describe_clip(library, still.id))
    sections = pane.sections()
    assert "Video" not in sections and "Image" in sections
    assert "Audio" not in sections
    assert sections.index("Capture and software") < sections.index("File")
    gps = pane.row("GPS position")
    assert gps is not None
    # 50°27'0.36"N 30°31'24.24"E written by the fixture script
    assert gps.text.startswith("50.450100, 30.523400")
    assert dict(gps.links) == {
        "OpenStreetMap": osm_url(50.4501, 30.5234),
        "Google Maps": google_maps_url(50.4501, 30.5234),
    }
    assert "mlat=50.450100&mlon=30.523400" in dict(gps.links)["OpenStreetMap"]
    # The links a person clicks in the report, in the order shown.
    assert _anchors(pane)[:2] == [osm_url(50.4501, 30.5234), google_maps_url(50.4501, 30.5234)]
    pane.browser.anchorClicked.emit(QUrl(f"copy:{pane.rows.index(gps)}"))
    assert QGuiApplication.clipboard().text() == "50.450100, 30.523400"


# ----------------------------------------------------------- matches, notes


def test_matches_table_shows_every_column(qtbot: Any) -> None:
    pane = MatchesPane()
    qtbot.addWidget(pane)
    pane.resize(560, 300)
    pane.show()
    relation = {
        "clip_b": {"id": 12, "name": "pattern-sd-with-small-logo-bar-reupload-from-telegram.mp4"},
        "relation": "reupload", "score": 0.913, "offset": -0.003,
        "transform": {"speed": 1.0, "mirrored": True},
        "segments": [{"a_start": 0.0, "a_end": 4.5}, {"a_start": 5.0, "a_end": 6.9}],
    }  # fmt: skip
    pane.show_details(ClipDetails({}, {}, [relation], []))
    qtbot.waitUntil(lambda: pane.table.viewport().width() > 0)
    shown = _visible_headers(pane.table)
    assert [t for t, _l, _r in shown] == list(MatchesPane.HEADERS)
    width = pane.table.viewport().width()
    assert all(right <= width + 1 for _t, _l, right in shown), (shown, width)
    assert pane.table.item(0, 3).text() == "-0.003"
    assert pane.table.item(0, 5).text() == "yes"
    # The long name is elided on screen, whole in the tooltip.
    assert pane.table.item(0, 0).toolTip().endswith("from-telegram.mp4")


def test_annotation_notes_wrap_and_every_column_is_on_screen(
    qtbot: Any, laptop: MainWindow, library: App
) -> None:
    clip_id = open_clip(qtbot, laptop, "cut.mp4")
    note = (
        "White van parked by the gate; the same stripe pattern on the wall as in the "
        "re-upload, compare with the street-level imagery from 2023"
    )
    add_annotation(library, clip_id, 0, (10, 10, 40, 30), "vehicle", note)
    laptop._reload_annotations()
    qtbot.waitUntil(lambda: len(laptop.annotations.annotations) == 1)
    laptop.tabs.setCurrentWidget(laptop.annotations)
    qtbot.waitUntil(lambda: laptop.annotations.table.viewport().width() > 100)
    table = laptop.annotations.table
    shown = _visible_headers(table)
    width = table.viewport().width()
    assert [t for t, _l, _r in shown] == list(AnnotationsPane.HEADERS)
    assert all(right <= width + 1 for _t, _l, right in shown), (shown, width)
    assert table.item(0, AnnotationsPane.NOTE).text() == note
    line = table.fontMetrics().height()
    assert table.rowHeight(0) >= 2 * line  # the note wraps instead of being cut
    assert table.item(0, 4).text() == "rect 10, 10, 40×30"


# ------------------------------------------------------------- tabs, words


def test_side_tabs_fit_and_thumbnails_are_not_called_keyframes(laptop: MainWindow) -> None:
    tabs: QTabWidget = laptop.tabs
    bar = tabs.tabBar()
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    assert "Thumbnails" in titles
    assert not any("keyframe" in t.lower() for t in titles)
    right = max(bar.tabRect(i).right() for i in range(bar.count()))
    assert right <= bar.width(), (right, bar.width())
    assert all(bar.tabRect(i).width() >= bar.fontMetrics().horizontalAdvance(titles[i])
               for i in range(bar.count()))  # fmt: skip
    tips = [b.toolTip() for b in laptop.viewer.findChildren(QToolButton)]
    assert not any("keyframe" in tip.lower() for tip in tips)
    assert "Not the codec's key frames" in bar.tabToolTip(titles.index("Thumbnails"))


def test_codec_key_frame_named_as_such_in_the_frame_info(qtbot: Any, laptop: MainWindow) -> None:
    open_clip(qtbot, laptop, "cut.mp4")
    qtbot.waitUntil(lambda: laptop.viewer.shown is not None and laptop.viewer.shown.index == 0)
    assert laptop.viewer.shown.key  # the first frame of a video is an I-frame
    assert "key frame (I-frame)" in laptop.viewer.info.text()


# ------------------------------------------------------- timeline, transport


def test_timeline_has_a_legend_and_taller_rows(laptop: MainWindow) -> None:
    legend = laptop.viewer.findChild(TimelineLegend)
    assert legend is not None and legend.isVisible()
    shown = " ".join(label.text() for label in legend.labels)
    for words in ("Cut", "Fade", "Thumbnail", "Annotation", "Match", "Playhead"):
        assert words in shown
    assert legend.entries() == ["Cut", "Fade", "Thumbnail", "Annotation", "Match", "Playhead"]
    assert laptop.viewer.timeline.height() >= 72


def _transport(win: MainWindow) -> dict[str, QToolButton]:
    return {b.toolTip(): b for b in win.viewer.transport_buttons}


def test_transport_has_icons_and_keys_and_is_disabled_on_stills(
    qtbot: Any, laptop: MainWindow
) -> None:
    buttons = _transport(laptop)
    assert len(buttons) == 9
    for tip, button in buttons.items():
        assert not button.icon().isNull(), tip
        assert button.text() == "", tip
        assert tip.endswith(")") and "(" in tip, tip  # names its key
    open_clip(qtbot, laptop, "cut.mp4")
    assert all(b.isEnabled() for b in _transport(laptop).values())
    open_clip(qtbot, laptop, "still.jpg")
    assert not any(b.isEnabled() for b in _transport(laptop).values())
    assert not laptop.viewer.timeline.isVisible() and not laptop.viewer.legend.isVisible()
    open_clip(qtbot, laptop, "offset.mp4")
    assert all(b.isEnabled() for b in _transport(laptop).values())


def test_findings_cells_stay_short_and_say_proposals_apart() -> None:
    from verifier.gui.clips import _counted

    assert _counted(0, None, 0) == "–"
    assert _counted(0, None, 2) == "2 proposed"
    assert _counted(1, "probable", 0) == "probable"
    assert _counted(1, "probable", 1) == "probable +1"
    assert _counted(3, "confirmed", 0) == "3 · confirmed"
    assert _counted(1, None, 1) == "1 +1"
