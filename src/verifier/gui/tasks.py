"""The one helper through which the window runs data work off the UI thread.

Every widget action that touches data (import, loading a clip, decoding a
frame, saving an annotation) is a plain function given to
:meth:`TaskRunner.run`. It runs on a worker thread; its result, its progress
and its failure come back to the UI thread as queued signals, so no widget
is ever touched from a worker. Failures that a person can act on
(:class:`~verifier.errors.VerifierError`) are shown in a dialog with their
message; anything else is shown with its type and logged with a traceback.

Lanes: work that must run in order on one thread (a viewer's decoder is not
thread-safe) goes to a named lane. A lane runs one job at a time; with
``latest_only`` a new job replaces the one waiting, so holding down an arrow
key decodes the frames the viewer can show instead of queueing hundreds.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from verifier.errors import Cancelled, VerifierError
from verifier.progress import CancelToken, ProgressUpdate

log = logging.getLogger(__name__)


@dataclass
class TaskContext:
    """What a task function receives: a progress callback and a cancel token."""

    cancel: CancelToken
    progress: Callable[[ProgressUpdate], None]


@dataclass
class _Job:
    id: int
    fn: Callable[[TaskContext], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    title: str | None
    lane: str | None
    context: TaskContext
    dialog: QProgressDialog | None = None
    state: dict[str, Any] = field(default_factory=dict)


class _Signals(QObject):
    done = Signal(int, object)
    failed = Signal(int, object, str)
    progress = Signal(int, object)


class _Runnable(QRunnable):
    def __init__(self, job: _Job, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._signals = signals

    def run(self) -> None:
        try:
            self._job.context.cancel.check()
            result = self._job.fn(self._job.context)
        except BaseException as exc:  # reported to the UI thread, never lost
            self._signals.failed.emit(self._job.id, exc, traceback.format_exc())
        else:
            self._signals.done.emit(self._job.id, result)


class _Lane:
    def __init__(self, name: str) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(1)
        self.pool.setExpiryTimeout(-1)  # keep its one thread: decoders stay on it
        self.running: _Job | None = None
        self.waiting: list[_Job] = []
        self.name = name


class TaskRunner(QObject):
    """Runs functions off the UI thread with progress, cancel and error dialogs."""

    #: Emitted on the UI thread whenever a job ends (tests wait on it).
    finished = Signal(int)
    #: Emitted with the message of every failure shown to the user.
    errorShown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(2)
        self._lanes: dict[str, _Lane] = {}
        self._jobs: dict[int, _Job] = {}
        self._next_id = 0
        self._signals = _Signals()
        self._signals.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._signals.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._signals.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self.errors: list[str] = []  # every message shown, newest last
        self._dialogs: list[QMessageBox] = []

    # ------------------------------------------------------------ public API

    def run(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        title: str | None = None,
        lane: str | None = None,
        latest_only: bool = False,
    ) -> CancelToken:
        """Run ``fn(context)`` in the background; returns its cancel token.

        ``title`` shows a progress dialog with a Cancel button. ``on_error``
        replaces the error dialog (return to it by calling :meth:`show_error`).
        """
        self._next_id += 1
        token = CancelToken()
        job_id = self._next_id

        def progress(update: ProgressUpdate) -> None:
            self._signals.progress.emit(job_id, update)

        job = _Job(job_id, fn, on_done, on_error, title, lane, TaskContext(token, progress))
        self._jobs[job_id] = job
        if title:
            job.dialog = self._progress_dialog(job)
        if lane is None:
            self._pool.start(_Runnable(job, self._signals))
            return token
        queue = self._lanes.get(lane)
        if queue is None:
            queue = self._lanes[lane] = _Lane(lane)
        if latest_only:
            for old in queue.waiting:
                self._jobs.pop(old.id, None)
            queue.waiting.clear()
        queue.waiting.append(job)
        self._pump(queue)
        return token

    @property
    def busy(self) -> bool:
        """Whether any job is queued or running."""
        return bool(self._jobs)

    def lane_busy(self, lane: str) -> bool:
        """Whether a lane has a job running or waiting."""
        queue = self._lanes.get(lane)
        return queue is not None and (queue.running is not None or bool(queue.waiting))

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block (processing events) until every job ended; for scripts and tests."""
        from PySide6.QtCore import QDeadlineTimer, QEventLoop
        from PySide6.QtWidgets import QApplication

        deadline = QDeadlineTimer(timeout_ms)
        while self._jobs and not deadline.hasExpired():
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            for lane in self._lanes.values():
                lane.pool.waitForDone(5)
            self._pool.waitForDone(5)
        QApplication.processEvents()
        return not self._jobs

    def shutdown(self) -> None:
        """Cancel what waits, let running jobs end (the window is closing)."""
        for job in self._jobs.values():
            job.context.cancel.cancel()
        for lane in self._lanes.values():
            lane.waiting.clear()
            lane.pool.waitForDone(10_000)
        self._pool.waitForDone(10_000)

    def show_error(self, message: str, title: str = "Verifier") -> None:
        """A non-blocking error dialog with a message a person can act on."""
        self.errors.append(message)
        self.errorShown.emit(message)
        box = QMessageBox(self._parent_widget)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(title)
        box.setText(message)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self._dialogs.remove(b))
        self._dialogs.append(box)
        box.open()

    # ------------------------------------------------------------- internals

    def _progress_dialog(self, job: _Job) -> QProgressDialog:
        dialog = QProgressDialog(job.title or "", "Cancel", 0, 0, self._parent_widget)
        dialog.setWindowTitle(job.title or "Working")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(job.context.cancel.cancel)
        dialog.canceled.connect(lambda: dialog.setLabelText("Cancelling after the current item…"))
        return dialog

    def _pump(self, lane: _Lane) -> None:
        if lane.running is None and lane.waiting:
            job = lane.waiting.pop(0)
            lane.running = job
            lane.pool.start(_Runnable(job, self._signals))

    def _end(self, job_id: int) -> _Job | None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return None
        if job.dialog is not None:
            job.dialog.close()
            job.dialog.deleteLater()
        if job.lane is not None:
            lane = self._lanes[job.lane]
            if lane.running is job:
                lane.running = None
            self._pump(lane)
        return job

    @Slot(int, object)
    def _on_done(self, job_id: int, result: object) -> None:
        job = self._end(job_id)
        try:
            if job is not None and job.on_done is not None:
                job.on_done(result)
        except Exception as exc:  # a bug in a view update: say so, keep running
            log.exception("updating the window failed")
            self.show_error(f"Updating the window failed: {type(exc).__name__}: {exc}")
        finally:
            self.finished.emit(job_id)

    @Slot(int, object, str)
    def _on_failed(self, job_id: int, exc: BaseException, trace: str) -> None:
        job = self._end(job_id)
        try:
            if job is None:
                return
            if isinstance(exc, Cancelled):
                if job.on_error is not None:
                    job.on_error(exc)
                return
            if not isinstance(exc, VerifierError):
                log.error("%s failed:\n%s", job.title or "a background task", trace)
            if job.on_error is not None:
                job.on_error(exc)
            else:
                self.show_error(describe_error(exc), job.title or "Verifier")
        finally:
            self.finished.emit(job_id)

    @Slot(int, object)
    def _on_progress(self, job_id: int, update: ProgressUpdate) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.dialog is None:
            return
        dialog = job.dialog
        if update.total:
            scale = 1000 / update.total
            dialog.setMaximum(1000)
            dialog.setValue(min(1000, round(update.done * scale)))
        else:
            dialog.setMaximum(0)
        text = update.message or update.task
        if update.items_total:
            text = f"{update.items_done or 0} of {update.items_total} files\n{text}"
        if not job.context.cancel.cancelled:
            dialog.setLabelText(text)


def describe_error(exc: BaseException) -> str:
    """The message a person sees for a failure."""
    if isinstance(exc, VerifierError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return (
        f"Something went wrong that Verifier did not expect ({type(exc).__name__}: {exc}). "
        "Nothing was changed by the failed step; the details are in the log."
    )
