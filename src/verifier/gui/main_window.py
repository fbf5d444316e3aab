"""The main window: clip browser, frame viewer with timeline, side panes.

The window holds no data of its own: every action calls a service through
the :class:`~verifier.gui.tasks.TaskRunner` and then refreshes the views
that changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QWidget,
)

from verifier.errors import VerifierError
from verifier.gui.appearances import ProvenancePane
from verifier.gui.chronolocation import ChronolocationPane
from verifier.gui.clips import ClipBrowser, ClipTableData, load_thumbnail
from verifier.gui.dialogs import (
    AnnotationDialog,
    EnhanceDialog,
    GoToDialog,
    ImportSummaryDialog,
    NewCaseDialog,
    VerificationDialog,
    describe_shape,
    shape_of,
)
from verifier.gui.geolocation import GeolocationPane
from verifier.gui.links import LinksPane
from verifier.gui.panes import (
    AnnotationsPane,
    ClipDetails,
    KeyframeStrip,
    MatchesPane,
    MetadataPane,
    load_details,
)
from verifier.gui.resources import dress_application
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.gui.viewer import FrameViewer, Look, frame_file_name
from verifier.ids import ClipId
from verifier.media.enhance import Enhancement
from verifier.services import cases as case_service
from verifier.services.annotations import (
    Shape,
    add_annotation,
    delete_annotation,
    edit_annotation,
    list_annotations,
)
from verifier.services.clips import list_clips
from verifier.services.comparison import comparison_of
from verifier.services.context import App
from verifier.services.edits import EditConflict
from verifier.services.frames import export_frame
from verifier.services.importing import import_paths
from verifier.services.keyframes import export_keyframes
from verifier.services.verification import check_clip, verify
from verifier.services.viewing import format_seconds, parse_position

#: Width of the clip table and side tabs column: the nine decision columns fit in it.
SIDE_WIDTH = 660


class MainWindow(QMainWindow):
    def __init__(self, app: App, case_name: str | None = None) -> None:
        super().__init__()
        dress_application()
        self.app = app
        self.runner = TaskRunner(self)
        self.case_id: int | None = None
        self.case_name = ""
        self.case_settings: dict[str, Any] = {}
        self.clip_id: int | None = None
        self.details: ClipDetails | None = None
        self.comparisons: list[QWidget] = []
        self.dialog: Any = None  # the open annotation / go-to / confirmation dialog
        self.last_import: Any = None
        self.last_verification: Any = None
        self.start_at: tuple[int, int] | None = None  # (clip, frame) to open first
        self.setWindowTitle("Verifier")
        self.setAcceptDrops(True)

        self.browser = ClipBrowser(self)
        self.browser.clipSelected.connect(self.open_clip)
        self.browser.caseChosen.connect(self.switch_case)
        self.browser.newCaseRequested.connect(self.new_case)
        self.viewer = FrameViewer(app, self.runner, self)
        self.viewer.shapeDrawn.connect(self._annotate)
        self.viewer.annotationClicked.connect(self._select_annotation)
        self.viewer.frameShown.connect(lambda _i: self._update_status())
        self.metadata = MetadataPane(self)
        self.keyframes = KeyframeStrip(self)
        self.keyframes.frameChosen.connect(self._jump)
        self.provenance = ProvenancePane(self)
        self.provenance.connect_editing(app, self.runner)
        self.provenance.changed.connect(self.refresh)
        self.matches = MatchesPane(self)
        self.matches.compareRequested.connect(self.compare)
        self.annotations = AnnotationsPane(self)
        self.annotations.annotationChosen.connect(self._show_annotation)
        self.annotations.editRequested.connect(self._edit_annotation)
        self.annotations.deleteRequested.connect(self._delete_annotation)
        self.geolocation = GeolocationPane(
            app, self.runner,
            lambda: (self.viewer.current_index, self.annotations.annotations), self,
        )  # fmt: skip
        self.geolocation.changed.connect(self.refresh)
        self.links = LinksPane(
            app, self.runner, lambda: [(r.id, r.name) for r in self.browser.model.rows], self
        )
        self.links.compareRequested.connect(self.compare)
        self.links.changed.connect(self._links_changed)
        self.tabs = QTabWidget(self)
        self.tabs.setUsesScrollButtons(True)  # more tabs than a 660-pixel column shows
        self.tabs.addTab(self.metadata, "Metadata")
        self.tabs.addTab(self.keyframes, KeyframeStrip.TITLE)
        self.tabs.setTabToolTip(1, KeyframeStrip.TIP)
        self.tabs.addTab(self.provenance, "Appearances")
        self.tabs.addTab(self.matches, "Matches")
        self.tabs.addTab(self.annotations, "Annotations")
        self.tabs.addTab(self.geolocation, "Geolocation")
        self.tabs.addTab(self.links, "Links")
        self.chrono = ChronolocationPane(app, self.runner, lambda: self.viewer.current_index, self)
        self.tabs.addTab(self.chrono, "Time")

        # The clip table over the side tabs, the viewer beside them: on a 1366-pixel
        # laptop both get the width to show all their columns and tabs, and the
        # picture keeps the rest.
        self.side = QSplitter(Qt.Orientation.Vertical, self)
        self.side.addWidget(self.browser)
        self.side.addWidget(self.tabs)
        self.side.setStretchFactor(0, 1)
        self.side.setStretchFactor(1, 1)
        self.side.setSizes([400, 500])
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.side)
        splitter.addWidget(self.viewer)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([SIDE_WIDTH, 1640 - SIDE_WIDTH])
        self.setCentralWidget(splitter)
        self.status = QLabel(self)
        self.statusBar().addPermanentWidget(self.status)
        self._make_menus()
        self.resize(1640, 940)
        self._load_cases(case_name)

    # ---------------------------------------------------------------- menus

    def _action(self, menu: Any, text: str, slot: Any, shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "New case…", self.new_case, "Ctrl+N")
        self._action(file, "Import files…", self._import_files_dialog, "Ctrl+I")
        self._action(file, "Import folder…", self._import_folder_dialog, "Ctrl+Shift+I")
        file.addSeparator()
        self._action(file, "Export frame as PNG…", lambda: self._export_dialog(False), "Ctrl+E")
        self._action(file, "Export enhanced frame as PNG…", lambda: self._export_dialog(True))
        self._action(
            file, "Export shot and sample frames as PNGs…", self._export_frames_dialog
        ).setStatusTip(
            "Every frame chosen at a shot change or by regular sampling, at full size, "
            "for reverse image search (what `verifier keyframes` writes)"
        )
        file.addSeparator()
        self._action(file, "Quit", self.close, "Ctrl+Q")
        view = bar.addMenu("&View")
        self._action(view, "Go to time or frame…", self.go_to_dialog, "Ctrl+G")
        self._action(view, "Enhance…", self.enhance_dialog, "Ctrl+Shift+E")
        self._action(view, "Reset enhancement", lambda: self.viewer.set_look(Look()))
        self._action(view, "Fit frame", self.viewer.canvas.fit)
        view.addSeparator()
        self._action(view, "Compare open clip with…", self.compare_with_dialog, "Ctrl+Shift+C")
        case = bar.addMenu("&Case")
        self.blur_action = self._action(
            case, "Blur footage until revealed", lambda c: self._wellbeing("blur_thumbnails", c)
        )
        self.grey_action = self._action(
            case, "Greyscale footage until revealed",
            lambda c: self._wellbeing("greyscale_thumbnails", c),
        )  # fmt: skip
        self.mute_action = self._action(
            case, "Open clips with sound muted", lambda c: self._wellbeing("mute_audio", c)
        )
        for action in (self.blur_action, self.grey_action, self.mute_action):
            action.setCheckable(True)
        self._action(case, "Posts…", self.show_posts, "Ctrl+Shift+P")
        self._action(case, "Match landmarks…", self.match_landmarks, "Ctrl+Shift+L")
        self._action(case, "Shadow tool…", self.shadow_tool, "Ctrl+Shift+H")
        self._action(case, "Incidents…", self.show_incidents, "Ctrl+Shift+N")
        self._action(case, "Incident timeline of this clip…", self.show_incident_timeline,
                     "Ctrl+Shift+T")  # fmt: skip
        self._action(case, "Verify evidence…", self.verify_evidence, "Ctrl+Shift+V")
        self._action(case, "Custody log…", self.show_custody_log, "Ctrl+Shift+G")
        self._action(case, "Check consistency…", self.show_checks, "Ctrl+Shift+K")
        self._action(case, "Refresh", self.refresh)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts", self._show_shortcuts, "F1")

    # ---------------------------------------------------------------- cases

    def _load_cases(self, wanted: str | None = None) -> None:
        def work(ctx: TaskContext) -> tuple[list[Any], Any]:
            summaries = case_service.list_cases(self.app)
            try:
                case = case_service.resolve_case(self.app, wanted)
            except VerifierError:
                if wanted:
                    raise
                case = None
            return summaries, case

        def done(result: tuple[list[Any], Any]) -> None:
            summaries, case = result
            self.browser.set_cases(
                [(c.id, c.name, c.clip_count) for c in summaries], case.id if case else None
            )
            if case is not None:
                self._enter_case(case.id, case.name, dict(case.settings or {}))
            else:
                self.status.setText("No case yet: File ▸ New case…")

        self.runner.run(work, on_done=done)

    def switch_case(self, case_id: int) -> None:
        def work(ctx: TaskContext) -> Any:
            summaries = case_service.list_cases(self.app)
            name = next(c.name for c in summaries if c.id == case_id)
            return case_service.use_case(self.app, name)

        self.runner.run(
            work,
            on_done=lambda case: self._enter_case(case.id, case.name, dict(case.settings or {})),
        )

    def _enter_case(self, case_id: int, name: str, settings: dict[str, Any]) -> None:
        self.case_id, self.case_name = case_id, name
        self.case_settings = {**case_service.DEFAULT_CASE_SETTINGS, **settings}
        self.blur_action.setChecked(bool(self.case_settings["blur_thumbnails"]))
        self.grey_action.setChecked(bool(self.case_settings["greyscale_thumbnails"]))
        self.mute_action.setChecked(bool(self.case_settings["mute_audio"]))
        self.viewer.set_veil(*self._veil())
        self.viewer.set_sound_default(bool(self.case_settings["mute_audio"]))
        self.setWindowTitle(f"Verifier — {name}")
        self.open_clip(None)
        self.refresh()

    def _veil(self) -> tuple[bool, bool]:
        return bool(self.case_settings.get("blur_thumbnails")), bool(
            self.case_settings.get("greyscale_thumbnails")
        )

    def new_case(self) -> None:
        dialog = NewCaseDialog(self)

        def accepted() -> None:
            name, description = dialog.name_edit.text(), dialog.description_edit.text()
            blur, grey = dialog.blur.isChecked(), dialog.greyscale.isChecked()

            def work(ctx: TaskContext) -> str:
                case = case_service.create_case(self.app, name, description)
                if blur or grey:
                    case_service.update_case_settings(
                        self.app, case.id, blur_thumbnails=blur, greyscale_thumbnails=grey
                    )
                return case.name

            self.runner.run(work, on_done=self._load_cases, title=None)

        dialog.accepted.connect(accepted)
        self._present(dialog)

    def _wellbeing(self, key: str, checked: bool) -> None:
        if self.case_id is None:
            return
        case_id = self.case_id

        def done(settings: dict[str, Any]) -> None:
            self.case_settings = settings
            self.viewer.set_veil(*self._veil())
            if key == "mute_audio":
                self.viewer.set_sound_default(bool(settings.get("mute_audio", True)))
            self.refresh()

        self.runner.run(
            lambda ctx: case_service.update_case_settings(self.app, case_id, **{key: checked}),
            on_done=done,
        )

    # ---------------------------------------------------------------- clips

    def refresh(self) -> None:
        """Reload the clip table (and keep the open clip selected)."""
        if self.case_id is None:
            return
        case_id = self.case_id
        blur, grey = self._veil()

        def work(ctx: TaskContext) -> ClipTableData:
            rows = list_clips(self.app, case_id)
            thumbs = {}
            for row in rows:
                image = load_thumbnail(row.thumbnail, blur=blur, greyscale=grey)
                if image is not None:
                    thumbs[row.id] = image
            return ClipTableData(rows, thumbs)

        def done(data: ClipTableData) -> None:
            self.browser.set_clips(data, keep=self.clip_id)
            if self.clip_id is None and data.rows:
                # The clip chosen to start on (the demo's showcase), else the first
                # clip, so the window starts on something to look at.
                start = self.start_at[0] if self.start_at else None
                if start is None or not self.browser.select_clip(start):
                    first = self.browser.proxy.index(0, 1)
                    self.browser.select_clip(
                        self.browser.model.clip_at(self.browser.proxy.mapToSource(first).row()).id
                    )
            self._update_status()

        self.runner.run(work, on_done=done)

    def start_on(self, clip_id: int, frame_index: int) -> None:
        """Open this clip on this frame once the clip table has loaded (instead of the first)."""
        self.start_at = (clip_id, frame_index)

    def open_clip(self, clip_id: int | None) -> None:
        self.clip_id = clip_id
        self.details = None
        at = 0
        if self.start_at is not None and clip_id == self.start_at[0]:
            at, self.start_at = self.start_at[1], None
        self.viewer.open_clip(clip_id, at)
        self.chrono.set_clip(clip_id)
        self.geolocation.show_clip(clip_id)
        name = next((r.name for r in self.browser.model.rows if r.id == clip_id), "")
        self.links.show_clip(clip_id, name)
        if clip_id is None:
            for pane in (self.metadata, self.keyframes, self.provenance, self.matches):
                pane.show_details(None)
            self.annotations.show_annotations([])
            return
        self._load_details(clip_id)
        # Re-hash the opened clip's evidence and thumbnails; a banner says what is wrong.
        self.runner.run(
            lambda ctx: check_clip(self.app, clip_id),
            on_done=lambda found: self.viewer.show_integrity(clip_id, found.messages),
        )

    def _load_details(self, clip_id: int) -> None:
        """Load the open clip's details into the panes that show them, off the UI thread."""
        blur, grey = self._veil()

        def done(details: ClipDetails) -> None:
            if self.clip_id != clip_id:
                return
            self.details = details
            for pane in (self.metadata, self.keyframes, self.provenance, self.matches):
                pane.show_details(details)
            self._set_annotations(details.annotations)

        self.runner.run(
            lambda ctx: load_details(self.app, clip_id, blur=blur, greyscale=grey), on_done=done
        )

    def _links_changed(self) -> None:
        """A link confirmed, rejected or deleted: the clip table and the Matches tab
        (which leaves rejected matches out) show it at once, not when the clip reopens."""
        self.refresh()
        if self.clip_id is not None:
            self._load_details(self.clip_id)

    def verify_evidence(self) -> None:
        """Run ``verify`` on the case in the background and list what it found."""
        if self.case_id is None:
            self.runner.show_error("Create or choose a case first: its evidence is verified.")
            return
        case_id, name = self.case_id, self.case_name

        def work(ctx: TaskContext) -> Any:
            return verify(self.app, case_service.get_case(self.app, case_id), progress=ctx.progress)

        def done(report: Any) -> None:
            self.last_verification = report
            self._present(VerificationDialog(self, report, f"Case {name!r}"))
            self.refresh()

        self.runner.run(work, on_done=done, title="Verifying evidence")

    def _jump(self, frame_index: int) -> None:
        self.viewer.go_to(frame_index)
        self.viewer.canvas.setFocus()

    def _update_status(self) -> None:
        parts = [f"Case: {self.case_name}" if self.case_name else "No case"]
        parts.append(f"{self.browser.model.rowCount()} clips")
        if self.viewer.view is not None:
            parts.append(f"#{self.viewer.view.clip_id} {self.viewer.view.name}")
        parts.append(f"analyst {self.app.analyst}")
        parts.append(str(self.app.settings.data_dir))
        self.status.setText("   ·   ".join(parts))

    # --------------------------------------------------------------- import

    def _import_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import files into the case")
        if files:
            self.import_paths([Path(f) for f in files])

    def _import_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder into the case")
        if folder:
            self.import_paths([Path(folder)])

    def import_paths(self, paths: list[Path]) -> None:
        """Import files and folders into the current case, with progress and a summary."""
        if self.case_id is None:
            self.runner.show_error("Create or choose a case before importing.")
            return
        case_id = self.case_id

        def work(ctx: TaskContext) -> Any:
            case = case_service.get_case(self.app, case_id)
            return import_paths(self.app, paths, case, progress=ctx.progress, cancel=ctx.cancel)

        def done(report: Any) -> None:
            self.last_import = report
            dialog = ImportSummaryDialog(self, report)
            self._present(dialog)
            self.refresh()
            self._load_case_list()

        self.runner.run(work, on_done=done, title="Importing")

    def _load_case_list(self) -> None:
        def done(summaries: list[Any]) -> None:
            self.browser.set_cases([(c.id, c.name, c.clip_count) for c in summaries], self.case_id)

        self.runner.run(lambda ctx: case_service.list_cases(self.app), on_done=done)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)

    # ---------------------------------------------------------- annotations

    def _set_annotations(
        self, annotations: list[dict[str, Any]], selected: int | None = None
    ) -> None:
        self.annotations.show_annotations(annotations)
        self.viewer.set_annotations(annotations, selected)

    def _reload_annotations(self, selected: int | None = None) -> None:
        clip_id = self.clip_id
        if clip_id is None:
            return

        def done(annotations: list[dict[str, Any]]) -> None:
            if self.clip_id == clip_id:
                self._set_annotations(annotations, selected)
                if selected is not None:
                    self.annotations.select(selected)
                self.viewer.refresh_marks()

        self.runner.run(lambda ctx: list_annotations(self.app, clip_id), on_done=done)

    def _annotate(self, frame_index: int, shape: Shape) -> None:
        """Ask for the label and note of a drawn shape; saved or not, annotate mode ends."""
        view = self.viewer.view
        if view is None:
            return
        clip_id = view.clip_id
        where = (
            f"Frame {frame_index} ({format_seconds(view.seconds_of(frame_index))}), "
            f"{describe_shape(shape)}"
        )
        dialog = AnnotationDialog(self, title="New annotation", where=where, shape=shape.kind)

        def accepted() -> None:
            label, note = dialog.label, dialog.note
            self.runner.run(
                lambda ctx: add_annotation(self.app, clip_id, frame_index, shape, label, note),
                on_done=lambda a: self._reload_annotations(a["id"]),
            )

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _result=0: self.viewer.end_annotating())
        self._present(dialog)

    def _edit_annotation(self, annotation: dict[str, Any]) -> None:
        """Edit label and note; only what changed is sent, with the version shown.

        Saving an annotation that another analyst changed (or deleted) since it
        was loaded is refused by the service; the refusal is shown with an
        offer to reload the annotation as it is now and edit that.
        """
        dialog = AnnotationDialog(
            self, title=f"Edit annotation #{annotation['id']}",
            where=f"Frame {annotation['frame_index']}, {describe_shape(shape_of(annotation))}",
            label=annotation["label"], note=annotation["note"],
            shape=annotation.get("shape") or "rect",
        )  # fmt: skip

        def accepted() -> None:
            changes: dict[str, Any] = {}
            if dialog.label != annotation["label"]:
                changes["label"] = dialog.label
            if dialog.note != (annotation["note"] or "").strip():
                changes["note"] = dialog.note
            if not changes:
                return
            self.runner.run(
                lambda ctx: edit_annotation(
                    self.app,
                    annotation["id"],
                    expected_version=annotation.get("version"),
                    **changes,
                ),
                on_done=lambda a: self._reload_annotations(a["id"]),
                on_error=lambda exc: self._edit_refused(exc, annotation),
            )

        dialog.accepted.connect(accepted)
        self._present(dialog)

    def _edit_refused(self, exc: BaseException, annotation: dict[str, Any]) -> None:
        """Show why a save was refused; on a conflict, offer to reload and edit again."""
        if not isinstance(exc, EditConflict):
            self.runner.show_error(describe_error(exc), "Annotation")
            return
        self._reload_annotations(annotation["id"])
        buttons = QMessageBox.StandardButton.Cancel
        if exc.current is not None:
            buttons |= QMessageBox.StandardButton.Retry
        box = QMessageBox(QMessageBox.Icon.Warning, "Annotation changed by someone else",
                          str(exc), buttons, self)  # fmt: skip
        self.runner.errors.append(str(exc))
        if exc.current is not None:
            box.button(QMessageBox.StandardButton.Retry).setText("Reload and edit")
            box.setDefaultButton(QMessageBox.StandardButton.Retry)

        def finished(result: int) -> None:
            if result == QMessageBox.StandardButton.Retry:
                self.reload_annotation_and_edit(annotation["clip_id"], annotation["id"])

        box.finished.connect(finished)
        self._present(box)

    def reload_annotation_and_edit(self, clip_id: int, annotation_id: int) -> None:
        """Fetch the annotation as stored now and reopen the edit dialog on it."""

        def done(annotations: list[dict[str, Any]]) -> None:
            current = next((a for a in annotations if a["id"] == annotation_id), None)
            if self.clip_id == clip_id:
                self._set_annotations(annotations, annotation_id)
            if current is None:
                self.runner.show_error(f"annotation #{annotation_id} no longer exists")
                return
            self._edit_annotation(current)

        self.runner.run(lambda ctx: list_annotations(self.app, clip_id), on_done=done)

    def _delete_annotation(self, annotation: dict[str, Any]) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question, "Delete annotation",
            f"Delete annotation #{annotation['id']} ({annotation['label']}) on frame "
            f"{annotation['frame_index']}? The custody log keeps what it said.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self,
        )  # fmt: skip

        def finished(result: int) -> None:
            if result == QMessageBox.StandardButton.Yes:
                self.runner.run(
                    lambda ctx: delete_annotation(self.app, annotation["id"],
                                                  expected_version=annotation.get("version")),
                    on_done=lambda _r: self._reload_annotations(),
                    on_error=lambda exc: self._edit_refused(exc, annotation),
                )  # fmt: skip

        box.finished.connect(finished)
        self._present(box)

    def _show_annotation(self, annotation: dict[str, Any]) -> None:
        self.viewer.set_annotations(self.annotations.annotations, annotation["id"])
        if self.viewer.target_index != annotation["frame_index"]:
            self.viewer.go_to(annotation["frame_index"])

    def _select_annotation(self, annotation_id: int) -> None:
        self.tabs.setCurrentWidget(self.annotations)
        self.annotations.select(annotation_id)

    # --------------------------------------------------------------- views

    def go_to_dialog(self) -> None:
        view = self.viewer.view
        if view is None:
            return
        current = format_seconds(view.seconds_of(self.viewer.target_index))
        dialog = GoToDialog(self, current)

        def accepted() -> None:
            try:
                index = parse_position(dialog.edit.text(), view)
            except VerifierError as exc:
                self.runner.show_error(str(exc), "Go to")
                return
            self.viewer.go_to(index)
            self.viewer.canvas.setFocus()

        dialog.accepted.connect(accepted)
        self._present(dialog)

    def enhance_dialog(self) -> None:
        def apply(enhancement: Enhancement) -> None:
            look = self.viewer.look
            self.viewer.set_look(Look(enhancement, look.blur, look.greyscale))

        dialog = EnhanceDialog(self, self.viewer.look.enhancement, apply)
        self._present(dialog, modal=False)

    def compare(self, relation: dict[str, Any]) -> None:
        from verifier.gui.compare import ComparisonWindow

        window = ComparisonWindow(self.app, self.runner, relation, None)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(lambda _o=None, w=window: self._forget(w))
        window.alignmentSaved.connect(lambda _link: self.links.reload())
        self.comparisons.append(window)
        window.show()

    def compare_with_dialog(self) -> None:
        """Choose any other clip of the case and compare the open clip with it."""
        from verifier.gui.clip_chooser import ClipChooserDialog

        view = self.viewer.view
        if view is None:
            self.runner.show_error("Open a clip first: it is A, the clip you compare from.")
            return
        a_id = int(view.clip_id)
        # The matches pane lists the open clip's relations once its details are loaded.
        loaded = self.details is not None and self.clip_id == a_id
        related = [int(r["clip_b"]["id"]) for r in self.matches.relations] if loaded else []
        dialog = ClipChooserDialog(self, view.name, a_id, self.browser.model.rows, related)

        def accepted() -> None:
            if dialog.chosen is not None:
                self.compare_clips(a_id, dialog.chosen)

        dialog.accepted.connect(accepted)
        self._present(dialog)

    def compare_clips(self, clip_a: int, clip_b: int) -> None:
        """Open the comparison of any two clips: aligned if related, else unlinked."""
        self.runner.run(
            lambda ctx: comparison_of(self.app, ClipId(clip_a), ClipId(clip_b)),
            on_done=self.compare,
        )

    def show_posts(self) -> None:
        """Every post of the case, including those whose media was not downloaded."""
        from verifier.gui.posts import PostsDialog

        if self.case_id is None:
            self.runner.show_error("Create or choose a case first: posts belong to a case.")
            return
        self._present(PostsDialog(self, self.app, self.runner, self.case_id), modal=False)

    def match_landmarks(self) -> None:
        """The landmark-matching dialog, with the frame on screen as A."""
        from verifier.gui.landmarks import LandmarksDialog

        view, index = self.viewer.view, self.viewer.current_index
        default_a = f"{view.clip_id}@{index}" if view is not None and index is not None else ""
        self._present(LandmarksDialog(self, self.app, self.runner, default_a), modal=False)

    def shadow_tool(self) -> None:
        """The shadow tool on the frame on screen; a finding it records shows in the Time tab."""
        from verifier.gui.shadow_tool import ShadowToolDialog

        view, index = self.viewer.view, self.viewer.current_index
        if view is None or index is None:
            self.runner.show_error("Open a clip first: the shadow is measured on its frame.")
            return
        canvas = self.viewer.canvas
        dialog = ShadowToolDialog(
            self, self.app, self.runner, view.clip_id, index, canvas.image, canvas.frame_size
        )
        dialog.findingCreated.connect(lambda ident: self.chrono.reload(select=ident))
        dialog.findingCreated.connect(lambda _ident: self._reload_annotations())
        self._present(dialog, modal=False)

    def show_custody_log(self) -> None:
        """The case's custody log, on the open clip's events when a clip is open."""
        from verifier.gui.custody_log import CustodyLogDialog

        if self.case_id is None:
            self.runner.show_error("Create or choose a case first: its custody log is shown.")
            return
        dialog = CustodyLogDialog(self, self.app, self.runner, self.case_id, self.clip_id)
        self._present(dialog, modal=False)

    def show_incidents(self) -> None:
        """The case's incidents as a graph; clicking a clip opens it here."""
        from verifier.gui.incidents import IncidentsView

        if self.case_id is None:
            self.runner.show_error("Create or choose a case first: incidents belong to a case.")
            return
        view = IncidentsView(self, self.app, self.runner, self.case_name)
        view.clipChosen.connect(self.browser.select_clip)
        self._present(view, modal=False)

    def show_incident_timeline(self) -> None:
        """The incident the open clip belongs to, on its clock (lanes, gaps, events)."""
        from verifier.gui.incident_view import IncidentView

        if self.case_id is None or self.clip_id is None:
            self.runner.show_error("Open a clip first: its incident's timeline is shown.")
            return
        view = IncidentView(self.app, self.runner, f"clip:{self.clip_id}", self.case_name, self)
        self.incident_view = view
        view.show()

    def show_checks(self) -> None:
        """The consistency checks of the case; a problem clicked opens its clip here."""
        from verifier.gui.checks import ChecksDialog

        if self.case_id is None:
            self.runner.show_error("Create or choose a case first: its findings are checked.")
            return
        dialog = ChecksDialog(self, self.app, self.runner, self.case_id)
        dialog.clipRequested.connect(lambda clip_id: self.browser.select_clip(clip_id))
        self._present(dialog, modal=False)

    def _forget(self, window: QWidget) -> None:
        if window in self.comparisons:
            self.comparisons.remove(window)

    # --------------------------------------------------------------- export

    def _export_dialog(self, enhanced: bool) -> None:
        view, index = self.viewer.view, self.viewer.current_index
        if view is None or index is None:
            self.runner.show_error("Open a clip first: the frame on screen is exported.")
            return
        suggested = str(Path.home() / frame_file_name(view, index, enhanced))
        path, _ = QFileDialog.getSaveFileName(self, "Export frame", suggested, "PNG (*.png)")
        if path:
            self.export_frame_to(Path(path), enhanced=enhanced)

    def export_frame_to(self, path: Path, *, enhanced: bool) -> None:
        """Export the frame on screen (full resolution) as a PNG, logged in custody."""
        view, index = self.viewer.view, self.viewer.current_index
        if view is None or index is None:
            return
        enhancement = self.viewer.look.enhancement if enhanced else None
        clip_id = view.clip_id

        def done(exported: Any) -> None:
            self.statusBar().showMessage(
                f"Exported frame {index} to {exported.out_path} (SHA-256 {exported.sha256[:16]}…)",
                15_000,
            )
            self.last_export = exported

        self.runner.run(
            lambda ctx: export_frame(self.app, clip_id, index, path, enhancement),
            on_done=done, title="Exporting frame",
        )  # fmt: skip

    def _export_frames_dialog(self) -> None:
        if self.clip_id is None:
            self.runner.show_error("Open a clip first: its shot and sample frames are exported.")
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for the shot and sample frames (full-size PNGs)", str(Path.home())
        )
        if folder:
            self.export_frames_to(Path(folder))

    def export_frames_to(self, folder: Path) -> None:
        """Write the open clip's shot and sample frames as PNGs (logged), then say where."""
        clip_id = self.clip_id
        if clip_id is None:
            return

        def done(exported: list[Any]) -> None:
            self.last_frames_export = exported
            message = (
                f"Wrote {len(exported)} PNG file(s) of clip #{clip_id} to {folder}. "
                "Their SHA-256 hashes are in the custody log (keyframes.export)."
            )
            self.statusBar().showMessage(message, 15_000)
            box = QMessageBox(QMessageBox.Icon.Information, "Frames exported", message,
                              parent=self)  # fmt: skip
            self._present(box)

        self.runner.run(
            lambda ctx: export_keyframes(self.app, str(clip_id), folder),
            on_done=done, title="Exporting frames",
        )  # fmt: skip

    # ----------------------------------------------------------------- misc

    def _present(self, dialog: Any, *, modal: bool = True) -> None:
        """Show a dialog without blocking; afterwards, keys step the viewer again."""
        self.dialog = dialog
        dialog.finished.connect(lambda _result=0: self._refocus())
        if modal:
            dialog.open()
        else:
            dialog.show()

    def _refocus(self) -> None:
        self.activateWindow()
        self.viewer.canvas.setFocus()

    def _show_shortcuts(self) -> None:
        text = (
            "Right / Left: one frame forward / back\n"
            "Shift+Right / Shift+Left: one second\n"
            "Page Down / Page Up: next / previous shot thumbnail or cut\n"
            "Home / End: first / last frame\n"
            "Space: play / pause;  M: sound on / off (clips open muted)\n"
            "Ctrl+G: go to a time or frame number\n"
            "A: annotate mode (draw a shape; it ends when the annotation is saved)\n"
            "1 / 2 / 3 / 4: annotate with a rectangle / point / line / polygon\n"
            "   line, polygon: click each vertex, Enter or double-click ends, Esc cancels\n"
            "L: loupe;  0: fit\n"
            "R: reveal the open clip in a veiled case (the next clip opened is veiled)\n"
            "Mouse wheel: zoom;  drag: pan"
        )
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts", text, parent=self)
        self._present(box)

    def closeEvent(self, event: QCloseEvent) -> None:
        for window in list(self.comparisons):
            window.close()
        self.viewer.shutdown()
        self.runner.shutdown()
        super().closeEvent(event)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.viewer.canvas.setFocus)
