#!/usr/bin/env python3
"""Screenshots of the workbench as a person sees it, for checking and for the README.

Run under a real X server or Xvfb, on a copy of a data folder (it adds an
annotation to the first matched clip):

    VERIFIER_HOME=/tmp/copy-of-demo-data xvfb-run -a -s "-screen 0 1680x1000x24" \\
        .venv/bin/python scripts/screenshots.py OUT_DIR

It writes main.png (the main window on a matched clip), annotation.png (the
viewer with an annotation drawn and the annotations pane) and compare.png
(the side-by-side comparison of a matched pair), each captured from the X
server's root window with ImageMagick's ``import`` when it is installed,
else with Qt's own ``grab``. It also writes the main window at a field
laptop's and a desk screen's size (main-1366x768.png, main-1680x1000.png; the
X screen must be at least that large) and the Metadata tab of a video and of a
still with GPS, when the case holds one (metadata-video.png, metadata-still.png).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from verifier.gui.main_window import MainWindow
from verifier.services.annotations import add_annotation, list_annotations
from verifier.services.context import open_app


def capture(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.raise_()
    QApplication.processEvents()
    if shutil.which("import"):
        geometry = widget.frameGeometry()
        subprocess.run(
            ["import", "-window", "root", "-crop",
             f"{geometry.width()}x{geometry.height()}+{geometry.x()}+{geometry.y()}",
             str(path)],
            check=True,
        )  # fmt: skip
    else:
        widget.grab().save(str(path))
    print(f"wrote {path}")


def readability_shots(window: MainWindow, out: Path) -> None:
    """The window at 1366×768 and 1680×1000, and the Metadata tab of a video and a still."""
    rows = window.browser.model.rows
    matched = [r for r in rows if r.matches and r.media_kind == "video"]
    video = matched[0] if matched else next((r for r in rows if r.media_kind == "video"), None)
    still = next((r for r in rows if r.media_kind == "image" and _has_gps(window, r.id)), None)
    screen = QApplication.primaryScreen().availableGeometry()
    for width, height in ((1366, 768), (1680, 1000)):
        if screen.width() < width or screen.height() < height:
            print(f"skipped {width}x{height}: the X screen is {screen.width()}x{screen.height()}")
            continue
        window.showNormal()
        window.resize(width, height - 28)  # less a task bar
        window.move(0, 0)
        if video is not None:
            window.browser.select_clip(video.id)
            window.runner.wait_idle()
        window.tabs.setCurrentWidget(window.matches)
        window.runner.wait_idle()
        capture(window, out / f"main-{width}x{height}.png")
    for name, row in (("video", video), ("still", still)):
        if row is None:
            print(f"skipped metadata-{name}.png: no such clip in the case")
            continue
        window.browser.select_clip(row.id)
        window.runner.wait_idle()
        window.tabs.setCurrentWidget(window.metadata)
        QApplication.processEvents()
        capture(window, out / f"metadata-{name}.png")


def _has_gps(window: MainWindow, clip_id: int) -> bool:
    from verifier.services.clips import describe_clip

    return bool((describe_clip(window.app, clip_id).get("metadata") or {}).get("gps"))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    qt = QApplication(sys.argv[:1])
    app = open_app()
    window = MainWindow(app)
    window.move(0, 0)
    window.show()
    window.runner.wait_idle()
    matched = [r for r in window.browser.model.rows if r.matches and r.media_kind == "video"]
    clip = matched[0] if matched else window.browser.model.rows[0]
    window.browser.select_clip(clip.id)
    window.runner.wait_idle()
    window.viewer.go_to(window.viewer.view.index_at(2.0))
    window.runner.wait_idle()
    window.tabs.setCurrentWidget(window.matches)
    capture(window, out / "main.png")

    view = window.viewer.view
    if not list_annotations(app, clip.id):
        w, h = view.width, view.height
        add_annotation(
            app, clip.id, window.viewer.current_index,
            (w * 0.30, h * 0.35, w * 0.30, h * 0.18), "landmark",
            "Distinctive stripe pattern; compare with the re-uploads",
        )  # fmt: skip
    window._reload_annotations()
    window.runner.wait_idle()
    window.tabs.setCurrentWidget(window.annotations)
    window.viewer.loupe_button.setChecked(False)
    capture(window, out / "annotation.png")

    if window.matches.relations:
        window.compare(window.matches.relations[0])
        window.runner.wait_idle()
        comparison = window.comparisons[-1]
        comparison.move(0, 0)
        comparison.resize(1600, 900)
        window.runner.wait_idle()
        for _ in range(12):
            comparison.viewer_a.step(1)
        window.runner.wait_idle()
        capture(comparison, out / "compare.png")
    readability_shots(window, out)
    window.close()
    qt.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
