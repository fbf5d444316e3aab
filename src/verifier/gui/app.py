"""Start the workbench: one QApplication, one main window on a case."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from verifier.errors import VerifierError
from verifier.services.context import App


def check_display() -> None:
    """Fail with a clear message when there is no screen to open a window on."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise VerifierError(
                "no display to open the window on (DISPLAY is not set); run it on a desktop, "
                "under `xvfb-run`, or use the command's --headless form"
            )


def run_gui(
    app: App,
    case_name: str | None = None,
    *,
    screenshot: Path | None = None,
    start: tuple[int, int] | None = None,
) -> int:
    """Open the main window on ``case_name`` (else the current case); returns the exit code.

    ``start`` (clip id, frame index) opens that clip on that frame instead of
    the first clip of the table.

    With ``screenshot`` the window is shown, given time to load the first
    clip, saved as a PNG and closed (used to check what a person sees).
    """
    check_display()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from verifier.gui.main_window import MainWindow

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("Verifier")
    qt_app.setOrganizationName("Verifier")
    window = MainWindow(app, case_name)
    if start is not None:
        window.start_on(*start)
    window.show()
    if screenshot is not None:

        def shoot() -> None:
            window.runner.wait_idle()
            window.grab().save(str(screenshot))
            window.close()

        QTimer.singleShot(2500, shoot)
    return qt_app.exec()
