#!/usr/bin/env python3
"""Screenshots of the workbench as a person sees it, for checking and for the README.

Run under a real X server or Xvfb, on a copy of a data folder (it adds an
annotation to the first matched clip):

    VERIFIER_HOME=/tmp/copy-of-demo-data xvfb-run -a -s "-screen 0 1680x1000x24" \\
        .venv/bin/python scripts/screenshots.py OUT_DIR

It writes main.png (the main window on a matched clip), annotation.png (the
viewer with an annotation drawn and the annotations pane), annotation-shapes.png
(the same frame with a rectangle, a line and a polygon), compare.png
(the side-by-side comparison of a matched pair), compare-difference.png and
compare-overlay.png (the same pair with the B pane showing |A − B| and A
and B blended), compare-any.png (two clips without a stored relation,
opened unlinked from View ▸ Compare open clip with…), landmarks.png (the
landmark-matching dialog on leuvenA/leuvenB), appearances.png (the
Appearances pane; it records an example post when the clip has none),
appearance_editor.png (the post editor) and custody_log.png (the custody log
on that clip, an edit selected), each captured from the X server's root
window with ImageMagick's ``import`` when it is installed, else with Qt's own
``grab``. Windows are sized to fit the screen. It also writes the main
window at a field laptop's and a desk screen's size (main-1366x768.png,
main-1680x1000.png; the X screen must be at least that large) and the
Metadata tab of a video and of a still with GPS, when the case holds one
(metadata-video.png, metadata-still.png), and time.png and time-dialog.png
(the Time tab with a window over Kyiv's clock change, a proposal from the
first appearance, and the add dialog; these add a geolocation, a post and a
time finding to the clip when it has none). At both sizes it also shoots the
Geolocation tab on a clip with a finding and on one with a proposed GPS tag
(geolocation-*.png, geolocation-proposed-*.png), the Links tab on the clip
with the most links (links-*.png) and the incidents view (incidents-*.png),
plus the finding editor (geolocation_editor.png), the shadow tool with a result
(shadow-tool.png) and the sun-path figure it drew (sun-path.png); add findings
and links with the CLI first (`verifier geo add`, `verifier link add`), and
checks.png (Case ▸ Check consistency…, the first problem selected; make some
problems in the copy with the CLI first, see the README's "Consistency checks"),
and the incident view with the clips opened at a moment of an overlap
(incident-view-*.png, incident-player-*.png; link clips with offsets first).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from verifier.gui.main_window import MainWindow
from verifier.services.annotations import Shape, add_annotation, list_annotations
from verifier.services.context import App, open_app
from verifier.services.geolocation import add_geolocation, list_geolocations
from verifier.services.provenance import add_appearance, edit_appearance, provenance_for_clip


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

    # The same frame with a line (a shadow) and a polygon (an area) beside the rectangle.
    index = window.viewer.current_index
    if not any(a["shape"] != "rect" for a in list_annotations(app, clip.id)):
        w, h = view.width, view.height
        add_annotation(
            app, clip.id, index,
            Shape.of_vertices("line", [(w * 0.08, h * 0.80), (w * 0.30, h * 0.66),
                                       (w * 0.52, h * 0.62)]),
            "shadow", "Shadow of the mast, bearing measured for the time of day",
        )  # fmt: skip
        add_annotation(
            app, clip.id, index,
            Shape.of_vertices("polygon", [(w * 0.66, h * 0.18), (w * 0.90, h * 0.22),
                                          (w * 0.86, h * 0.52), (w * 0.70, h * 0.46)]),
            "building", "Roof outline matched against the satellite image",
        )  # fmt: skip
    window._reload_annotations()
    window.runner.wait_idle()
    capture(window, out / "annotation-shapes.png")

    if window.matches.relations:
        window.compare(window.matches.relations[0])
        window.runner.wait_idle()
        comparison = window.comparisons[-1]
        comparison.move(0, 0)
        screen = comparison.screen().availableGeometry()
        comparison.resize(min(1600, screen.width()), min(900, screen.height() - 30))
        window.runner.wait_idle()
        for _ in range(12):
            comparison.viewer_a.step(1)
        window.runner.wait_idle()
        capture(comparison, out / "compare.png")
        comparison.brighten.setChecked(True)  # a re-encode's differences, made visible
        for mode in ("difference", "overlay"):
            comparison.set_mode(mode)
            window.runner.wait_idle()
            capture(comparison, out / f"compare-{mode}.png")
        comparison.close()
        window.runner.wait_idle()

    # Two clips the matcher did not relate: the window opens unlinked.
    related = {int(r["clip_b"]["id"]) for r in window.matches.relations}
    others = [r for r in window.browser.model.rows
              if r.media_kind == "video" and r.id != clip.id and r.id not in related]  # fmt: skip
    others.sort(key=lambda r: "doorknob" not in r.name)  # real footage, when the demo has it
    if others:
        window.compare_clips(clip.id, others[0].id)
        window.runner.wait_idle()
        QApplication.processEvents()
        window.runner.wait_idle()
        unrelated = window.comparisons[-1]
        unrelated.move(0, 0)
        screen = unrelated.screen().availableGeometry()
        unrelated.resize(min(1600, screen.width()), min(900, screen.height() - 30))
        window.runner.wait_idle()
        for _ in range(20):
            unrelated.viewer_b.step(1)
        window.runner.wait_idle()
        capture(unrelated, out / "compare-any.png")
    capture_landmarks(window, out)
    shoot_appearances_and_log(window, clip.id, out)
    readability_shots(window, out)
    time_tab(app, window, clip.id, out)
    shadow_tool(window, out)
    shoot_geolocation_links_incidents(window, out)
    checks_panel(window, out)
    incident_timeline(window, out)
    window.close()
    qt.processEvents()
    return 0


def capture_landmarks(window: MainWindow, out: Path) -> None:
    """The landmark-matching dialog on the demo's leuvenA/leuvenB pair (two clips)."""
    rows = {r.name: r.id for r in window.browser.model.rows}
    if "leuvenA.jpg" not in rows or "leuvenB.jpg" not in rows:
        print("no leuvenA.jpg/leuvenB.jpg clips: landmarks.png skipped")
        return
    window.browser.select_clip(rows["leuvenA.jpg"])
    window.runner.wait_idle()
    window.match_landmarks()
    dialog = window.dialog
    dialog.move(0, 0)
    dialog.b_edit.setText(f"{rows['leuvenB.jpg']}@0")
    dialog.start()
    window.runner.wait_idle()
    QApplication.processEvents()
    capture(dialog, out / "landmarks.png")
    dialog.close()


def shoot_appearances_and_log(window: MainWindow, clip_id: int, out: Path) -> None:
    """The Appearances pane, its editor, then the custody log on that clip.

    ``capture`` raises the widget it shoots, so the window is shot before the
    editor opens (without a window manager the editor would end up beneath it).
    """
    app, pane = window.app, window.provenance
    window.browser.select_clip(clip_id)
    window.runner.wait_idle()
    screen = QApplication.primaryScreen().availableGeometry()
    window.resize(min(window.width(), screen.width()), min(window.height(), screen.height()))
    if not pane.entries:
        added = add_appearance(
            app, str(clip_id), url="https://t.me/example_channel/812", posted_at="2024-03-02",
            channel="Example channel", caption="Example post recorded for the screenshots",
        )  # fmt: skip
        edit_appearance(app, added["id"], channel="Example channel (corrected)")
    pane.reload()
    window.runner.wait_idle()
    window.tabs.setCurrentWidget(pane)
    pane.select(pane.entries[0]["id"])
    capture(window, out / "appearances.png")
    pane.edit_selected()
    dialog = pane.dialog
    assert dialog is not None
    dialog.move(window.x() + 80, window.y() + 120)
    QTest.qWait(400)  # let the X server map the dialog before the root window is read
    capture(dialog, out / "appearance_editor.png")
    dialog.reject()

    window.show_custody_log()
    log = window.dialog
    window.runner.wait_idle()
    QApplication.processEvents()
    log.move(0, 0)
    QTest.qWait(400)
    edits = [e for e in log.visible_events() if e["action"].endswith(".edit")]
    log.select_seq((edits or log.visible_events())[0]["seq"])
    QTest.qWait(200)
    capture(log, out / "custody_log.png")
    log.close()


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


def shadow_tool(window: MainWindow, out: Path) -> None:
    """The shadow tool on the frame on screen with a result (shadow-tool.png) and the
    sun-path figure it drew (sun-path.png). The lines are those the sun casts in Kyiv on
    2025-06-21 at 10:30 local, seen from above, against a road at 20°."""
    import math
    from datetime import UTC, datetime

    from PySide6.QtCore import QDate

    from verifier.geo.shadow import Line
    from verifier.geo.sun import sun_at

    view = window.viewer.view
    if view is None:
        return
    sun = sun_at(50.4501, 30.5234, datetime(2025, 6, 21, 7, 30, tzinfo=UTC))
    assert sun.shadow_bearing is not None and sun.ratio is not None
    w, h = view.width, view.height
    size = min(w, h) * 0.3
    turn = math.radians(sun.shadow_bearing - 20.0)
    base = (w * 0.42, h * 0.62)
    window.shadow_tool()
    dialog = window.dialog
    dialog.move(0, 0)
    window.runner.wait_idle()
    dialog.set_line("object", Line(*base, base[0], base[1] - size / sun.ratio))
    dialog.set_line("shadow", Line(*base, base[0] + size * math.sin(turn),
                                   base[1] - size * math.cos(turn)))  # fmt: skip
    # The road, drawn in the direction of its bearing (20°): straight up the frame.
    dialog.set_line("reference", Line(w * 0.12, h * 0.92, w * 0.12, h * 0.92 - size))
    dialog.bearing.setValue(20.0)
    dialog.source.setText("road traced on OpenStreetMap (way 4211)")
    dialog.date_from.setDate(QDate(2025, 6, 20))
    dialog.date_to.setDate(QDate(2025, 6, 22))
    dialog.start()
    window.runner.wait_idle()
    QApplication.processEvents()
    capture(dialog, out / "shadow-tool.png")
    if dialog.run is not None:
        (out / "sun-path.png").write_bytes(dialog.run.figure_png)
        print(f"wrote {out / 'sun-path.png'}")
    dialog.close()


def shoot_geolocation_links_incidents(window: MainWindow, out: Path) -> None:
    """The Geolocation and Links tabs and the incidents view at a laptop's and a desk's size."""
    from verifier.services.geolocation import list_geolocations
    from verifier.services.links import list_links

    app = window.app
    findings = list_geolocations(app)
    manual = next((g["clip_id"] for g in findings if g["origin"] == "manual"), None)
    proposed = next((g["clip_id"] for g in findings if g["status"] == "proposed"), None)
    counts: dict[int, int] = {}
    for link in list_links(app):
        for side in ("clip_a", "clip_b"):
            counts[link[side]["id"]] = counts.get(link[side]["id"], 0) + 1
    linked = max(counts, key=lambda c: (counts[c], -c)) if counts else None
    screen = QApplication.primaryScreen().availableGeometry()
    for width, height in ((1366, 768), (1680, 1000)):
        if screen.width() < width or screen.height() < height:
            print(f"skipped the {width}x{height} geolocation shots: the X screen is smaller")
            continue
        window.showNormal()
        window.resize(width, height - 28)
        window.move(0, 0)
        for name, clip_id, pane in (("geolocation", manual, window.geolocation),
                                    ("geolocation-proposed", proposed, window.geolocation),
                                    ("links", linked, window.links)):  # fmt: skip
            if clip_id is None:
                print(f"skipped {name}-{width}x{height}.png: no such clip (use the CLI first)")
                continue
            window.browser.select_clip(clip_id)
            window.runner.wait_idle()
            window.tabs.setCurrentWidget(pane)
            window.runner.wait_idle()
            QApplication.processEvents()
            capture(window, out / f"{name}-{width}x{height}.png")
        window.show_incidents()
        view = window.dialog
        window.runner.wait_idle()
        view.move(0, 0)
        view.resize(width, height - 60)
        QTest.qWait(400)
        capture(view, out / f"incidents-{width}x{height}.png")
        view.close()
    if manual is not None:
        window.browser.select_clip(manual)
        window.runner.wait_idle()
        window.geolocation.edit_selected()
        dialog = window.geolocation.dialog
        dialog.move(40, 40)
        QTest.qWait(400)
        capture(dialog, out / "geolocation_editor.png")
        dialog.reject()


def checks_panel(window: MainWindow, out: Path) -> None:
    """The consistency-checks panel at the screen's size, its first problem selected."""
    window.show_checks()
    panel = window.dialog
    window.runner.wait_idle()
    QApplication.processEvents()
    panel.move(0, 0)
    screen = panel.screen().availableGeometry()
    panel.resize(min(1100, screen.width()), min(680, screen.height() - 40))
    items = panel.problem_items()
    if items:
        panel.tree.setCurrentItem(items[0])
    QTest.qWait(400)
    capture(panel, out / "checks.png")
    panel.close()


def incident_timeline(window: MainWindow, out: Path) -> None:
    """The incident view and the clips at one moment, at a laptop's and a desk's size.

    Needs an incident whose clips are placed on a clock (link two clips with
    ``verifier link add A B same-incident --offset S`` first, see the README's
    "Incident reconstruction"); the moment opened is the middle of the first overlap.
    """
    from verifier.services.incident_clock import incident_clock
    from verifier.services.incidents import list_incidents

    app = window.app
    clock = None
    for incident in list_incidents(app)["incidents"]:
        found = incident_clock(app, str(incident["ref"]))
        if len(found["clips"]) >= 2:
            clock = found
            break
    if clock is None:
        print("skipped incident-view-*.png: no incident has clips placed by offsets")
        return
    overlap = clock["overlaps"][0] if clock["overlaps"] else None
    moment = (overlap["start"] + overlap["end"]) / 2 if overlap else clock["clips"][0]["start"]
    screen = QApplication.primaryScreen().availableGeometry()
    for width, height in ((1366, 768), (1680, 1000)):
        if screen.width() < width or screen.height() < height:
            print(f"skipped the {width}x{height} incident shots: the X screen is smaller")
            continue
        window.browser.select_clip(clock["clips"][0]["clip"]["id"])
        window.runner.wait_idle()
        window.show_incident_timeline()
        view = window.incident_view
        view.move(0, 0)
        view.resize(width, height - 60)
        window.runner.wait_idle()
        QTest.qWait(300)
        view.timeline.fit()
        view.open_moment(moment)
        window.runner.wait_idle()
        player = view.player
        if player is not None:
            player.hide()
        QTest.qWait(300)
        capture(view, out / f"incident-view-{width}x{height}.png")
        if player is not None:
            player.show()
            player.move(0, 0)
            player.resize(width, height - 60)
            window.runner.wait_idle()
            for _ in range(5):
                player.step(1)
                window.runner.wait_idle()
            QTest.qWait(500)
            window.runner.wait_idle()
            capture(player, out / f"incident-player-{width}x{height}.png")
            player.close()
        view.close()


if __name__ == "__main__":
    raise SystemExit(main())
