"""Helpers shared by the widget tests (they import Qt; the core tests do not)."""

from __future__ import annotations

from typing import Any

from verifier.gui.main_window import MainWindow
from verifier.services.context import App


def show_window(qtbot: Any, app: App, case_name: str, clips: int) -> MainWindow:
    """The main window on a case, shown, once its clip table has ``clips`` rows."""
    win = MainWindow(app, case_name)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(
        lambda: win.browser.model.rowCount() >= clips and not win.runner.busy, timeout=10_000
    )
    return win


def open_clip(qtbot: Any, win: MainWindow, name: str) -> int:
    """Select a clip by name, wait for its frame 0 on screen; returns its id."""
    clip_id = next(r.id for r in win.browser.model.rows if r.name == name)
    assert win.browser.select_clip(clip_id)
    qtbot.waitUntil(
        lambda: (
            win.viewer.view is not None
            and win.viewer.view.clip_id == clip_id
            and win.viewer.current_index == 0
        ),
        timeout=10_000,
    )
    win.viewer.canvas.setFocus()
    return clip_id
