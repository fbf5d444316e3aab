"""The custody log view, the frames export and the appearance editor (pytest-qt, offscreen)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from click.testing import CliRunner
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox
from tests.gui_helpers import open_clip, show_window

from verifier.cli.main import cli
from verifier.config import load_settings
from verifier.errors import VerifierError
from verifier.gui.appearances import AppearanceDialog, ProvenancePane, posted_text
from verifier.gui.custody_log import CustodyLogDialog
from verifier.gui.main_window import MainWindow
from verifier.ids import AppearanceId
from verifier.services import cases
from verifier.services.annotations import add_annotation, edit_annotation
from verifier.services.clips import custody_log
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.provenance import add_appearance, edit_appearance, provenance_for_clip
from verifier.services.verification import verify

pytestmark = pytest.mark.gui


@pytest.fixture
def library(tmp_path: Path, fixture_dir: Path) -> Iterator[App]:
    application = open_app(load_settings(data_dir=tmp_path / "data", analyst="bob"))
    case = cases.create_case(application, "Dialogs")
    report = import_paths(application, [fixture_dir / "cut.mp4", fixture_dir / "fade.mp4"], case)
    assert report.count("imported") == 2, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "Dialogs", 2)
    yield win
    win.close()


def _trigger(win: MainWindow, text: str) -> None:
    next(a for a in win.findChildren(QAction) if a.text() == text).trigger()


def _column(table: Any, header: str) -> list[str]:
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    column = headers.index(header)
    return [table.item(r, column).text() for r in range(table.rowCount())]


# ------------------------------------------------------------------ custody log


def test_custody_log_filters_by_clip_and_shows_old_and_new_values(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    cut = open_clip(qtbot, window, "cut.mp4")
    fade = next(r.id for r in window.browser.model.rows if r.name == "fade.mp4")
    added = add_annotation(library, cut, 3, (10, 10, 60, 40), "landmark", "water tower")
    edit_annotation(library, added["id"], note="water tower, north side")

    _trigger(window, "Custody log…")
    dialog = window.dialog
    assert isinstance(dialog, CustodyLogDialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    # Opened on the open clip: its events only, none of fade.mp4's.
    assert dialog.clip_choice.currentData() == cut
    shown = dialog.visible_events()
    # Its own events, and a match found with it (recorded on the other clip) that names it.
    others = [e for e in shown if str(e["target_id"]) != str(cut)]
    assert shown and all(e["action"] == "match" for e in others)
    assert all(m["clip"] == cut for e in others for m in e["details"]["matches"])
    assert not any(e["action"] == "import" and e["target_id"] == str(fade) for e in shown)
    assert {"import", "annotation.edit"} <= {e["action"] for e in shown}
    assert [e["seq"] for e in shown] == sorted((e["seq"] for e in shown), reverse=True)

    dialog.choose_clip(None)
    qtbot.waitUntil(lambda: dialog.loaded and len(dialog.visible_events()) > len(shown))
    everything = custody_log(library, cases.resolve_case(library, "Dialogs"))
    assert len(dialog.visible_events()) == len(everything)
    assert any(str(e["target_id"]) == str(fade) for e in dialog.visible_events())

    dialog.choose_clip(cut)
    qtbot.waitUntil(lambda: dialog.loaded and len(dialog.visible_events()) == len(shown))
    dialog.action_choice.setCurrentIndex(dialog.action_choice.findData("annotation.edit"))
    edits = dialog.visible_events()
    assert [e["action"] for e in edits] == ["annotation.edit"]
    dialog.select_seq(edits[0]["seq"])
    text = dialog.details.toPlainText()
    assert "Changed (old → new):" in text
    assert "old: water tower\n" in text
    assert "new: water tower, north side" in text
    assert dialog.details.isReadOnly()

    dialog.action_choice.setCurrentIndex(0)
    dialog.text_filter.setText("north side")
    assert [e["action"] for e in dialog.visible_events()] == ["annotation.edit"]
    dialog.close()


# ------------------------------------------------------------------ frames export


def test_export_frames_writes_the_pngs_into_the_chosen_folder(
    qtbot: Any, window: MainWindow, library: App, tmp_path: Path, monkeypatch: Any
) -> None:
    clip_id = open_clip(qtbot, window, "cut.mp4")
    out = tmp_path / "chosen"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(out)))
    _trigger(window, "Export shot and sample frames as PNGs…")
    qtbot.waitUntil(lambda: hasattr(window, "last_frames_export"), timeout=30_000)
    written = sorted(out.glob("*.png"))
    keyframes = window.details.clip["keyframes"] if window.details else []
    assert len(written) == len(window.last_frames_export) == len(keyframes) > 1
    assert all(p.name.startswith(f"clip{clip_id}_") for p in written)
    box = window.dialog
    assert isinstance(box, QMessageBox)
    assert f"Wrote {len(written)} PNG file(s) of clip #{clip_id} to {out}" in box.text()
    events = [e for e in custody_log(library, None) if e["action"] == "keyframes.export"]
    assert len(events) == 1 and len(events[0]["details"]["files"]) == len(written)


def test_export_frames_failure_is_shown(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: Any
) -> None:
    open_clip(qtbot, window, "cut.mp4")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(blocker / "sub"))
    )
    _trigger(window, "Export shot and sample frames as PNGs…")
    qtbot.waitUntil(lambda: bool(window.runner.errors), timeout=30_000)
    assert "cannot create the output folder" in window.runner.errors[-1]


# ------------------------------------------------------------------ appearances


def _show_clip(qtbot: Any, win: MainWindow, name: str) -> int:
    clip_id = open_clip(qtbot, win, name)
    qtbot.waitUntil(lambda: win.provenance.clip_id == clip_id, timeout=10_000)
    return clip_id


def test_add_edit_delete_appearance_in_the_window(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = _show_clip(qtbot, window, "cut.mp4")
    pane = window.provenance
    assert isinstance(pane, ProvenancePane) and pane.add_button.isEnabled()
    pane.add_button.click()
    dialog = pane.dialog
    assert isinstance(dialog, AppearanceDialog)
    dialog.edits["url"].setText("https://t.me/frontline/812")
    dialog.edits["posted_at"].setText("2024-03-02")
    dialog.edits["channel"].setText("Frontline")
    dialog.edits["collected_at"].setText("2024-03-03T10:15:00+01:00")
    dialog.edits["archive_url"].setText("https://web.archive.org/web/20240303/t.me/frontline/812")
    dialog.caption.setPlainText("Strike on the depot")
    dialog.accept()
    qtbot.waitUntil(lambda: pane.table.rowCount() == 1, timeout=10_000)
    stored = provenance_for_clip(library, str(clip_id)).to_json()["appearances"]
    assert [(a["url"], a["platform"], a["channel"]) for a in stored] == [
        ("https://t.me/frontline/812", "telegram", "Frontline")
    ]
    appearance_id = stored[0]["id"]
    # The id the notes use is visible; a date-only post reads as a date.
    assert _column(pane.table, "#") == [f"#{appearance_id}"]
    assert _column(pane.table, "Posted (UTC)") == ["2024-03-02"]
    assert _column(pane.table, "Collected (UTC)") == ["2024-03-03 09:15:00 UTC"]
    assert _column(pane.table, "Archive") == [
        "https://web.archive.org/web/20240303/t.me/frontline/812"
    ]

    pane.select(appearance_id)
    pane.edit_button.click()
    dialog = pane.dialog
    assert isinstance(dialog, AppearanceDialog)
    assert dialog.edits["posted_at"].text() == "2024-03-02"
    dialog.edits["channel"].setText("Frontline News")
    dialog.edits["archive_url"].setText("https://archive.ph/Xy12z")
    assert dialog.changes() == {
        "channel": "Frontline News",
        "archive_url": "https://archive.ph/Xy12z",
    }
    dialog.accept()
    qtbot.waitUntil(lambda: _column(pane.table, "Where") == ["Frontline News"], timeout=10_000)

    pane.select(appearance_id)
    pane.delete_button.click()
    box = pane.dialog
    assert isinstance(box, QMessageBox)
    box.done(QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: pane.table.rowCount() == 0, timeout=10_000)
    actions = [
        (e["action"], e["details"])
        for e in custody_log(library, None)
        if e["target_type"] == "appearance" and e["target_id"] == str(appearance_id)
    ]
    assert [a for a, _ in actions] == ["appearance.add", "appearance.edit", "appearance.delete"]
    assert actions[1][1]["before"]["channel"] == "Frontline"
    assert actions[1][1]["after"]["channel"] == "Frontline News"
    # The archive link is a recorded fact: its change is in the log, old and new.
    assert actions[1][1]["before"]["archive_url"].startswith("https://web.archive.org/")
    assert actions[1][1]["after"]["archive_url"] == "https://archive.ph/Xy12z"
    assert window.runner.errors == []


def test_stale_appearance_edit_is_explained_not_saved(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    clip_id = _show_clip(qtbot, window, "cut.mp4")
    added = add_appearance(library, str(clip_id), url="https://t.me/frontline/9", channel="A")
    pane = window.provenance
    pane.reload(added["id"])
    qtbot.waitUntil(lambda: pane.table.rowCount() == 1, timeout=10_000)
    pane.edit_button.click()
    dialog = pane.dialog
    assert isinstance(dialog, AppearanceDialog)
    # Meanwhile someone else corrects the channel.
    edit_appearance(library, AppearanceId(added["id"]), channel="Alice's fix")
    dialog.edits["channel"].setText("Bob's fix")
    dialog.accept()
    qtbot.waitUntil(lambda: isinstance(pane.dialog, QMessageBox), timeout=10_000)
    box = pane.dialog
    assert "changed" in box.text() and "Your changes were not saved" in box.text()
    assert "Alice's fix" in box.text()
    stored = provenance_for_clip(library, str(clip_id)).to_json()["appearances"][0]
    assert stored["channel"] == "Alice's fix" and stored["version"] == 2
    qtbot.waitUntil(lambda: _column(pane.table, "Where") == ["Alice's fix"], timeout=10_000)
    # "Edit the current version" reopens the editor on what is stored now.
    box.done(QMessageBox.StandardButton.Retry)
    dialog = pane.dialog
    assert isinstance(dialog, AppearanceDialog)
    assert dialog.edits["channel"].text() == "Alice's fix"
    assert dialog.entry["version"] == 2
    dialog.reject()


def test_posted_text_keeps_the_precision() -> None:
    day = {"posted_at": "2024-03-02T00:00:00+00:00", "posted_at_precision": "date"}
    assert posted_text(day) == "2024-03-02"
    exact = {"posted_at": "2024-03-02T07:11:07+00:00", "posted_at_precision": "second"}
    assert posted_text(exact) == "2024-03-02 07:11:07 UTC"
    assert posted_text({"posted_at": None, "posted_at_text": "yesterday"}) == "yesterday"


def test_post_facts_give_a_date_only_post_as_a_date() -> None:
    from verifier.services.provenance import post_facts

    entry = {
        "posted_at": "2024-03-02T00:00:00+00:00",
        "posted_at_precision": "date",
        "posted_at_method": "manual",
    }
    assert post_facts(entry).when == "2024-03-02 (date, entered by hand)"


def test_custody_log_summary_names_what_each_event_is_about() -> None:
    from verifier.gui.custody_log import details_summary

    match = {"details": {"matches": [{"clip": 14, "relation": "overlap"}], "state": {}}}
    assert details_summary(match) == "1 match(es) with #14"
    assert details_summary({"details": {"matches": []}}) == "0 match(es)"
    annotation = {"details": {"annotation": {"label": "landmark", "frame_index": 60}}}
    assert details_summary(annotation) == "landmark on frame 60"
    edit = {"details": {"before": {"channel": "A", "version": 1},
                        "after": {"channel": "B", "version": 2}}}  # fmt: skip
    assert details_summary(edit) == "changed channel"


def test_a_collection_time_without_offset_is_refused_by_name(library: App) -> None:
    clip = cases.resolve_case(library, "Dialogs")
    assert clip is not None
    with pytest.raises(VerifierError, match="the collection time '2024-03-03 10:15' has no UTC"):
        add_appearance(library, "1", url="https://t.me/a/1", collected_at="2024-03-03 10:15")


@pytest.mark.parametrize("link", ["web.archive.org/web/1/x", "ftp://archive.ph/x", "https://a b"])
def test_an_archive_link_that_is_not_a_web_address_is_refused_by_name(
    library: App, link: str
) -> None:
    with pytest.raises(VerifierError, match="archive link"):
        add_appearance(library, "1", url="https://t.me/a/1", archive_url=link)
    assert provenance_for_clip(library, "1").entries == []


def test_archive_link_from_the_command_line_and_cleared_by_an_edit(library: App) -> None:
    runner = CliRunner()
    env = {"VERIFIER_HOME": str(library.settings.data_dir)}
    done = runner.invoke(
        cli,
        [
            "appearance",
            "add",
            "1",
            "--url",
            "https://t.me/a/2",
            "--archive-url",
            "https://archive.ph/AbC",
            "--json",
        ],
        env=env,
    )
    assert done.exit_code == 0, done.output
    added = json.loads(done.output)
    assert added["archive_url"] == "https://archive.ph/AbC"
    cleared = edit_appearance(library, AppearanceId(added["id"]), archive_url="")
    assert cleared["archive_url"] is None
    assert verify(library).ok
