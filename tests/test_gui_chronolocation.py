"""The Time side tab (pytest-qt, offscreen): add a window, see it in local time,
confirm a proposal, and a stale save explained without losing the typed text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from tests.gui_helpers import open_clip, show_window

from verifier.config import load_settings
from verifier.gui.chronolocation import TimeFindingDialog, finding_text
from verifier.gui.main_window import MainWindow
from verifier.ids import ChronolocationId
from verifier.services import cases, chronolocation, geolocation, provenance
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


@pytest.fixture
def library(tmp_path: Path, fixture_dir: Path) -> Iterator[App]:
    application = open_app(load_settings(data_dir=tmp_path / "data", analyst="bob"))
    case = cases.create_case(application, "Time")
    report = import_paths(application, [fixture_dir / "cut.mp4"], case)
    assert report.count("imported") == 1, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "Time", 1)
    yield win
    win.close()


def _dialog(qtbot: Any, win: MainWindow) -> TimeFindingDialog:
    qtbot.waitUntil(lambda: isinstance(win.chrono.dialog, TimeFindingDialog), timeout=5_000)
    return win.chrono.dialog


def test_adding_a_window_shows_it_in_local_time(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    geolocation.add_geolocation(library, str(clip_id), at=(50.4501, 30.5234), precision_m=40,
                                confidence="confirmed", method="landmark",
                                reasoning="Motherland monument")  # fmt: skip
    window.tabs.setCurrentWidget(window.chrono)
    window.chrono.reload()
    qtbot.waitUntil(lambda: window.chrono.zone.get("zone") is not None, timeout=5_000)
    assert "Europe/Kyiv" in window.chrono.zone_label.text()
    window.chrono.add_button.click()
    dialog = _dialog(qtbot, window)
    assert dialog.add_current.text() == "Add the frame on screen (0) as supporting evidence"
    dialog.from_edit.setText("2025-03-30T02:30")
    dialog.to_edit.setText("2025-03-30T01:30Z")
    dialog.local_box.setChecked(True)
    dialog.method.setCurrentText("sun position and shadows")
    dialog.reasoning.setPlainText("shadow bearing 250° measured on the pole")
    dialog.add_current.setChecked(True)
    dialog._submit()
    qtbot.waitUntil(lambda: len(window.chrono.findings) == 1, timeout=5_000)
    assert not dialog.isVisible()
    [doc] = window.chrono.findings
    assert (doc["earliest"], doc["frames"]) == ("2025-03-30T00:30:00+00:00", [0])
    text = window.chrono.list.item(0).text()
    assert text.splitlines()[1:] == [
        "From  2025-03-30 00:30:00 UTC",
        "      2025-03-30 02:30:00 local, EET +02:00",
        "To    2025-03-30 01:30:00 UTC",
        "      2025-03-30 04:30:00 local, EEST +03:00",
    ]
    window.chrono.list.item(0).setSelected(True)
    assert "shadow bearing 250°" in window.chrono.details.text()


def test_a_refused_value_stays_in_the_dialog(qtbot: Any, window: MainWindow) -> None:
    open_clip(qtbot, window, "cut.mp4")
    qtbot.waitUntil(lambda: window.chrono.add_button.isEnabled(), timeout=5_000)
    window.chrono.add_button.click()
    dialog = _dialog(qtbot, window)
    dialog.from_edit.setText("2025-03-30T10:00")
    dialog.reasoning.setPlainText("weather: first snow")
    dialog._submit()
    assert dialog.error.text() == "Method: choose how the time was found"
    dialog.method.setCurrentText("weather")
    dialog._submit()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5_000)
    assert "--from: 2025-03-30T10:00 has no UTC offset" in dialog.error.text()
    assert dialog.isVisible() and dialog.reasoning.toPlainText() == "weather: first snow"
    assert window.chrono.findings == []


def test_confirming_a_proposal(qtbot: Any, window: MainWindow, library: App) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    provenance.add_appearance(library, str(clip_id), url="https://t.me/c/1",
                              posted_at="2025-03-30")  # fmt: skip
    window.chrono.reload()
    qtbot.waitUntil(lambda: len(window.chrono.findings) == 1, timeout=5_000)
    item = window.chrono.list.item(0)
    assert item.text().startswith("PROPOSED — confirm or reject.")
    assert item.text().splitlines()[1:] == [
        "From  open",
        "To    2025-03-31 00:00:00 UTC",
        "No location: UTC only",
    ]
    item.setSelected(True)
    assert window.chrono.confirm_button.isEnabled()
    window.chrono.confirm_button.click()
    qtbot.waitUntil(lambda: window.chrono.findings[0]["status"] == "confirmed", timeout=5_000)
    assert not window.chrono.list.item(0).text().startswith("PROPOSED")
    [doc] = chronolocation.list_chronolocations(library, str(clip_id))
    assert (doc["status"], doc["origin"]) == ("confirmed", "first-appearance")


def test_a_stale_edit_is_explained_and_the_text_kept(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    added = chronolocation.add_chronolocation(
        library, str(clip_id), earliest=None, latest="2025-01-01T00:00Z", confidence="possible",
        method="weather", reasoning="snow on the ground",
    )  # fmt: skip
    window.chrono.reload(select=added["id"])
    qtbot.waitUntil(lambda: window.chrono.current() is not None, timeout=5_000)
    window.chrono.edit_button.click()
    dialog = _dialog(qtbot, window)
    chronolocation.edit_chronolocation(library, ChronolocationId(added["id"]),
                                       reasoning="someone else's words")  # fmt: skip
    dialog.reasoning.setPlainText("my words")
    dialog._submit()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5_000)
    assert "changed" in dialog.error.text() and "Save again" in dialog.error.text()
    assert dialog.reasoning.toPlainText() == "my words"
    dialog._submit()  # knowingly replaces the other analyst's change
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    [doc] = chronolocation.list_chronolocations(library, str(clip_id))
    assert doc["reasoning"] == "my words" and doc["version"] == 3


def test_finding_text_without_location() -> None:
    doc = {"id": 4, "confidence": "possible", "method": "file metadata", "status": "rejected",
           "earliest": "2024-03-13T09:41:00+00:00", "latest": None, "zone": None}  # fmt: skip
    assert finding_text(doc).splitlines() == [
        "REJECTED.  #4  possible · file metadata",
        "From  2024-03-13 09:41:00 UTC",
        "To    open",
        "No location: UTC only",
    ]
