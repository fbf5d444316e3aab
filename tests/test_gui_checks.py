"""The consistency-checks panel: lists problems, acknowledges one, opens the clip clicked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from tests.gui_helpers import show_window
from tests.helpers import import_one

from verifier.gui.checks import PROBLEM_ROLE, ChecksDialog
from verifier.services import checks as check_service
from verifier.services.context import App

pytest.importorskip("pytestqt")


def _shown(dialog: ChecksDialog) -> dict[str, str]:
    return {i.data(0, PROBLEM_ROLE)["key"]: i.text(0) for i in dialog.problem_items()}


def test_panel_lists_acknowledges_and_opens_clips(qtbot, app: App, fixture_dir: Path) -> None:  # type: ignore[no-untyped-def]
    cut = import_one(app, fixture_dir / "cut.mp4")
    meta = import_one(app, fixture_dir / "meta.mp4")  # matching proposes an excerpt link
    check_service.mark_verified(app, str(meta))
    win = show_window(qtbot, app, "A", 2)
    dialog = ChecksDialog(win, app, win.runner, win.case_id)
    dialog.clipRequested.connect(lambda clip_id: win.browser.select_clip(clip_id))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    verified = f"verified-without-finding:clip:{meta}"
    shown = _shown(dialog)
    assert set(shown) == {verified, "auto-link-unreviewed:link:1"}
    assert shown[verified] == (
        f"clip #{meta} is marked verified but has no confirmed geolocation and no confirmed "
        "time finding"
    )
    assert dialog.summary.text().startswith("2 open problem(s), 0 acknowledged")
    groups = [dialog.tree.topLevelItem(n).text(0) for n in range(dialog.tree.topLevelItemCount())]
    assert groups == ["Errors: recorded facts that cannot all be true (1)",
                      "To do: work left unreviewed (1)"]  # fmt: skip

    # Clicking a problem opens its clip in the main window.
    item = next(i for i in dialog.problem_items() if i.data(0, PROBLEM_ROLE)["key"] == verified)
    dialog.tree.setCurrentItem(item)
    rect = dialog.tree.visualItemRect(item)
    qtbot.mouseClick(dialog.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: win.clip_id == meta, timeout=10_000)
    assert f"Key: {verified}" in dialog.details.toPlainText()

    # Acknowledge needs a reason; then the problem is hidden unless asked for.
    assert not dialog.acknowledge_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "findings kept in the field report")
    assert dialog.acknowledge_button.isEnabled()
    dialog.loaded = False
    qtbot.mouseClick(dialog.acknowledge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    assert set(_shown(dialog)) == {"auto-link-unreviewed:link:1"}
    assert "1 acknowledged (hidden: tick Show acknowledged)" in dialog.summary.text()
    dialog.show_acknowledged.setChecked(True)
    assert _shown(dialog)[verified].startswith("[acknowledged] clip #")
    [ack] = [p for p in check_service.run_checks(app).acknowledged]
    assert ack.acknowledged["reason"] == "findings kept in the field report"

    # The second clip of the link: the buttons open either clip.
    link = next(
        i
        for i in dialog.problem_items()
        if i.data(0, PROBLEM_ROLE)["rule"] == "auto-link-unreviewed"
    )
    dialog.tree.setCurrentItem(link)
    buttons = [dialog.clip_buttons.itemAt(n).widget() for n in range(dialog.clip_buttons.count())]
    opener = next(b for b in buttons if b is not None and b.text().startswith(f"Open clip #{cut} "))
    qtbot.mouseClick(opener, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.clip_id == cut, timeout=10_000)
    dialog.close()

    # Case ▸ Check consistency… opens the same panel, wired to the clip table.
    [action] = [a for a in win.menuBar().actions() if a.text() == "&Case"]
    [entry] = [a for a in action.menu().actions() if a.text() == "Check consistency…"]
    entry.trigger()
    panel = win.dialog
    assert isinstance(panel, ChecksDialog)
    qtbot.waitUntil(lambda: panel.loaded, timeout=10_000)
    first = panel.problem_items()[0]
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.tree.visualItemRect(first).center())  # fmt: skip
    qtbot.waitUntil(lambda: win.clip_id == meta, timeout=10_000)
    panel.close()
    win.runner.wait_idle()
