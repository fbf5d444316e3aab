"""The landmark-matching dialog: a clip's frame against a reference image, and the figure.

The analyst chooses A (by default the frame on screen, written
``CLIP@FRAME``) and B (an image file or another clip's frame), optionally a
region of A, and runs the match; it runs on a worker thread through
:class:`~verifier.gui.tasks.TaskRunner`, and the dialog then shows the
numbered side-by-side figure scaled to fit, the verdict with its reason and
counts, and where the figure was kept (its stored-file id, which a
geolocation finding or a link refers to). The same service runs
``verifier landmarks``, so the window and the command agree.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from verifier.errors import VerifierError
from verifier.geo.landmarks import parse_region
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.services.context import App
from verifier.services.landmarks import LandmarkRun, match_inputs, save_figure

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp);;All files (*)"
HINT = (
    "A and B are image files or a frame of an imported clip, written CLIP@FRAME "
    "(12@250 is frame 250 of clip #12). When a clip frame is used, the figure is kept "
    "in the evidence store and the match is recorded in the custody log."
)


class FigureView(QLabel):
    """The figure, scaled to fit the space it has, never stretched."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(QSize(320, 180))
        self.setText("The figure appears here.")

    @property
    def figure(self) -> QPixmap:
        return self._pixmap

    def set_png(self, data: bytes) -> None:
        self._pixmap = QPixmap()
        self._pixmap.loadFromData(data, "PNG")
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap.isNull():
            return
        self.setPixmap(
            self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                Qt.TransformationMode.SmoothTransformation)
        )  # fmt: skip


class LandmarksDialog(QDialog):
    """Choose A and B, run the match off the UI thread, show the figure and the verdict."""

    def __init__(
        self, parent: QWidget | None, app: App, runner: TaskRunner, default_a: str = ""
    ) -> None:
        super().__init__(parent)
        self.app = app
        self.runner = runner
        self.run: LandmarkRun | None = None
        self.setWindowTitle("Match landmarks")
        self.setObjectName("landmarksDialog")

        self.a_edit = QLineEdit(default_a)
        self.b_edit = QLineEdit()
        self.region_edit = QLineEdit()
        self.a_edit.setPlaceholderText("CLIP@FRAME or an image file")
        self.b_edit.setPlaceholderText("an image file (satellite, street level) or CLIP@FRAME")
        self.region_edit.setPlaceholderText("optional: X,Y,W,H in pixels of A")
        form = QFormLayout()
        form.addRow("A:", self._with_browse(self.a_edit))
        form.addRow("B:", self._with_browse(self.b_edit))
        form.addRow("Region of A:", self.region_edit)
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        hint.setObjectName("landmarksHint")

        self.verdict = QLabel("")
        self.verdict.setObjectName("landmarkVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        self.stored = QLabel("")
        self.stored.setWordWrap(True)
        self.stored.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figure = FigureView()

        self.match_button = QPushButton("Match")
        self.match_button.setDefault(True)
        self.match_button.clicked.connect(self.start)
        self.save_button = QPushButton("Save figure…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._save_dialog)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.match_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addWidget(self.verdict)
        layout.addWidget(self.counts)
        layout.addWidget(self.stored)
        layout.addWidget(self.figure, 1)
        # Large enough to read the figure: most of the screen, up to 1400x1000.
        screen = self.screen().availableGeometry()
        self.resize(min(1400, int(screen.width() * 0.9)), min(1000, int(screen.height() * 0.9)))

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        browse = QPushButton("Image file…")
        browse.clicked.connect(lambda: self._browse(edit))
        box.addWidget(browse)
        return row

    def _browse(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an image", str(Path.home()),
                                              IMAGE_FILTER)  # fmt: skip
        if path:
            edit.setText(path)

    # ------------------------------------------------------------ matching

    def start(self) -> None:
        """Read the fields and run the match on a worker thread."""
        a, b = self.a_edit.text().strip(), self.b_edit.text().strip()
        region_text = self.region_edit.text().strip()
        try:
            region = parse_region(region_text) if region_text else None
        except VerifierError as exc:
            self._failed(exc)
            return
        self.match_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self._set_verdict("", None)
        self.counts.setText("Matching…")
        self.stored.setText("")

        def work(ctx: TaskContext) -> LandmarkRun:
            return match_inputs(self.app, a, b, region)

        self.runner.run(work, on_done=self._show, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.match_button.setEnabled(True)
        self.counts.setText("")
        self.runner.show_error(describe_error(exc), "Match landmarks")

    def _set_verdict(self, text: str, verdict: str | None) -> None:
        self.verdict.setText(text)
        self.verdict.setProperty("verdict", verdict or "")
        self.verdict.style().unpolish(self.verdict)
        self.verdict.style().polish(self.verdict)

    def _show(self, run: LandmarkRun) -> None:
        self.run = run
        result = run.result
        self.match_button.setEnabled(True)
        self.save_button.setEnabled(True)
        word = "Match" if result.is_match else "No match"
        self._set_verdict(f"{word}: {result.reason}", result.verdict)
        self.counts.setText(
            f"SIFT keypoints A {result.keypoints_a}, B {result.keypoints_b}; "
            f"{result.tentative} tentative matches; {result.inliers} inliers "
            f"({result.model or 'no model'})."
        )
        if run.file_id is not None:
            self.stored.setText(
                f"Figure kept in the evidence store as file #{run.file_id} "
                f"(SHA-256 {run.sha256}); the match is in the custody log."
            )
        else:
            self.stored.setText(
                "Figure not stored: neither side is a clip frame. Use Save figure… to keep it."
            )
        self.figure.set_png(run.figure_png)

    def _save_dialog(self) -> None:
        if self.run is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save figure",
                                              str(Path.home() / "landmarks.png"),
                                              "PNG (*.png)")  # fmt: skip
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the figure (the same bytes as stored) where the person chose."""
        if self.run is None:
            return
        run = self.run
        self.runner.run(
            lambda ctx: save_figure(run, path, self.app),
            on_done=lambda target: self.stored.setText(
                f"{self.stored.text()}\nFigure saved to {target}."
            ),
            on_error=lambda exc: self.runner.show_error(describe_error(exc), "Save figure"),
        )
