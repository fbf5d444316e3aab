#!/usr/bin/env python3
"""Screenshots of the workbench as a person sees it, for checking and for the README.

Run under a real X server or Xvfb, on a copy of a data folder (it adds an
annotation to the first matched clip):

    VERIFIER_HOME=/tmp/copy-of-demo-data xvfb-run -a -s "-screen 0 1680x1000x24" \\
        .venv/bin/python scripts/screenshots.py OUT_DIR

It writes main.png (the main window on a matched clip), annotation.png (the
viewer with an annotation drawn and the annotations pane) and compare.png
(the side-by-side comparison of a matched pair), time.png and time-dialog.png
(the Time tab with a window over Kyiv's clock change, a proposal from the
first appearance, and the add dialog; these add a geolocation, a post and a
time finding to the clip when it has none), each captured from the X
server's root window with ImageMagick's ``import`` when it is installed,
else with Qt's own ``grab``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from verifier.gui.main_window import MainWindow
from verifier.services.annotations import add_annotation, list_annotations
from verifier.services.context import App, open_app
from verifier.services.geolocation import add_geolocation, list_geolocations
from verifier.services.provenance import add_appearance, provenance_for_clip


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
        comparison.close()

    time_tab(app, window, clip.id, out)
    window.close()
    qt.processEvents()
    return 0


def time_tab(app: App, window: MainWindow, clip_id: int, out: Path) -> None:
    """The Time tab at the size of the screen: local times at both ends of a window
    over a clock change, a proposal to confirm, and the add dialog."""
    from verifier.services.chronolocation import add_chronolocation, list_chronolocations

    if not list_geolocations(app, str(clip_id)):
        add_geolocation(app, str(clip_id), at=(50.4501, 30.5234), precision_m=40,
                        confidence="probable", method="landmark",
                        reasoning="Motherland monument on the skyline")  # fmt: skip
    if not provenance_for_clip(app, str(clip_id)).entries:
        add_appearance(app, str(clip_id), url="https://t.me/example_channel/4512",
                       posted_at="2025-03-30")  # fmt: skip
    if not [c for c in list_chronolocations(app, str(clip_id)) if c["origin"] == "manual"]:
        add_chronolocation(
            app, str(clip_id), earliest="2025-03-30T00:30Z", latest="2025-03-30T01:30Z",
            confidence="probable", method="sun-position-and-shadows",
            reasoning="The pole's shadow points to 258° (measured against the tram line, "
            "whose bearing is known from the map); the sun stood there between 02:30 and "
            "04:30 local time on the morning the clocks went forward.",
            frames=[window.viewer.current_index or 0],
        )  # fmt: skip
    screen = window.screen().availableGeometry()
    window.resize(min(window.width(), screen.width()), min(window.height(), screen.height()))
    window.tabs.setCurrentWidget(window.chrono)
    window.chrono.reload()
    window.runner.wait_idle()
    QApplication.processEvents()
    if window.chrono.list.count():
        window.chrono.list.item(window.chrono.list.count() - 1).setSelected(True)
    capture(window, out / "time.png")
    window.chrono.add()
    dialog = window.chrono.dialog
    dialog.move(80, 60)
    dialog.from_edit.setText("2025-03-30T06:10+03:00")
    dialog.method.setCurrentText("visible events")
    dialog.reasoning.setPlainText("Air-raid alert announced 06:05 local, siren audible at 0:14.")
    QApplication.processEvents()
    capture(dialog, out / "time-dialog.png")
    dialog.reject()


if __name__ == "__main__":
    raise SystemExit(main())
