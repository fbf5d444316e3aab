"""The window shows every post: the Posts dialog, the Appearances pane, the import summary.

A Telegram export whose first post's media was not downloaded and a yt-dlp
download are imported through the real import; the window is driven through
its menu and widgets (pytest-qt, offscreen).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTableWidget
from tests.gui_helpers import open_clip, show_window
from tests.test_posts import telegram_export, ytdlp_download

from verifier.config import load_settings
from verifier.gui.dialogs import ImportSummaryDialog
from verifier.gui.main_window import MainWindow
from verifier.gui.posts import NOT_DOWNLOADED, PostsDialog
from verifier.services import cases
from verifier.services.context import App, open_app
from verifier.services.importing import ImportReport, import_paths

pytestmark = pytest.mark.gui


@pytest.fixture
def imported(tmp_path: Path, fixture_dir: Path) -> Iterator[tuple[App, ImportReport]]:
    root = tmp_path / "collection"
    telegram_export(root / "ChatExport_2025-03-14", fixture_dir / "cut.mp4")
    ytdlp_download(root / "yt-dlp", fixture_dir / "fade.mp4")
    application = open_app(load_settings(data_dir=tmp_path / "data", analyst="tester"))
    report = import_paths(application, [root], cases.create_case(application, "Posts case"))
    assert report.count("imported") == 2 and report.unavailable_posts == 1, report.to_json()
    yield application, report
    application.close()


@pytest.fixture
def window(qtbot: Any, imported: tuple[App, ImportReport]) -> Iterator[MainWindow]:
    win = show_window(qtbot, imported[0], "Posts case", 2)
    yield win
    win.close()


def _cells(table: QTableWidget, column: str) -> list[str]:
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    index = headers.index(column)
    return [table.item(r, index).text() for r in range(table.rowCount())]


def test_posts_dialog_lists_every_post_and_those_to_fetch(qtbot: Any, window: MainWindow) -> None:
    action = next(a for a in window.findChildren(QAction) if a.text() == "Posts…")
    action.trigger()
    dialog = window.dialog
    assert isinstance(dialog, PostsDialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    table = dialog.table
    assert _cells(table, "Platform") == ["youtube", "telegram", "telegram"]  # earliest first
    clips = _cells(table, "Clip")
    assert clips[0].endswith("Depot strike [abc123].mp4") and clips[2].endswith("strike.mp4")
    assert clips[1] == NOT_DOWNLOADED
    assert "media not in export" in _cells(table, "Warnings")[1]
    assert _cells(table, "Where")[1].startswith("Frontline News")  # and its chat type, if read
    assert _cells(table, "Posted (UTC)")[1].startswith("2025-03-13T07:11:07+00:00 (second")
    assert "1 without downloaded media" in dialog.summary.text()

    dialog.only_unavailable.setChecked(True)
    qtbot.waitUntil(lambda: dialog.loaded and dialog.table.rowCount() == 1, timeout=10_000)
    assert _cells(table, "Clip") == [NOT_DOWNLOADED]
    assert "still to fetch" in dialog.summary.text()
    dialog.close()


def test_appearances_pane_shows_where_who_and_warnings(qtbot: Any, window: MainWindow) -> None:
    clip_id = open_clip(qtbot, window, "strike.mp4")
    qtbot.waitUntil(
        lambda: window.details is not None and window.details.clip["id"] == clip_id,
        timeout=10_000,
    )
    table = window.provenance.table
    qtbot.waitUntil(lambda: "telegram" in _cells(table, "Platform"), timeout=10_000)
    row = _cells(table, "Platform").index("telegram")
    assert _cells(table, "Where")[row].startswith("Frontline News")
    assert _cells(table, "Case")[row] == "Posts case"
    assert _cells(table, "Clip")[row] == "strike.mp4"
    assert "public address unknown" in _cells(table, "Warnings")[row]
    assert "warning: public address unknown" in window.provenance.notes.text()


def test_import_summary_counts_posts_not_downloaded(
    qtbot: Any, imported: tuple[App, ImportReport]
) -> None:
    _app, report = imported
    dialog = ImportSummaryDialog(None, report)
    qtbot.addWidget(dialog)
    assert "1 post recorded whose media was not downloaded" in dialog.summary.text()
    reasons = [dialog.table.item(r, 2).text() for r in range(dialog.table.rowCount())]
    assert any("post: " in r and "public address unknown" in r for r in reasons)
