"""The one helper through which the window runs data work off the UI thread.

Every widget action that touches data (import, loading a clip, decoding a
frame, saving an annotation) is a plain function given to
:meth:`TaskRunner.run`. It runs on a worker thread; its result, its progress
and its failure come back to the UI thread, so no widget is ever touched
from a worker. Failures that a person can act on
(:class:`~verifier.errors.VerifierError`) are shown in a dialog with their
message; anything else is shown with its type and logged with a traceback.

Lanes: work that must run in order on one thread (a viewer's decoder is not
thread-safe) goes to a named lane. A lane runs one job at a time; with
``latest_only`` a new job replaces the one waiting, so holding down an arrow
key decodes the frames the viewer can show instead of queueing hundreds.

Workers are plain Python threads that never own a Qt object: a job's
function, its result and its exception reach the UI thread through a queue,
and the worker lets go of them before it says so, so the last reference to
anything a job touched (a widget captured by a callback, a dialog) is
dropped on the UI thread. For the same reason, while a runner is alive,
Python's cyclic garbage collector runs on the UI thread only
(:class:`_UiThreadCollector`): a collection started on a worker could
otherwise delete a closed window there.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import queue
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from verifier.errors import Cancelled, VerifierError
from verifier.progress import CancelToken, ProgressUpdate

log = logging.getLogger(__name__)

#: How long closing the window waits for running jobs (they are cancelled first).
SHUTDOWN_WAIT_S = 10.0


@dataclass
class TaskContext:
    """What a task function receives: a progress callback and a cancel token."""

    cancel: CancelToken
    progress: Callable[[ProgressUpdate], None]


@dataclass
class _Job:
    """The UI thread's record of a job; workers never see it."""

    id: int
    fn: Callable[[TaskContext], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    title: str | None
    lane: str | None
    context: TaskContext
    dialog: QProgressDialog | None = None


@dataclass
class _Outcome:
    job_id: int
    value: Any = None
    error: BaseException | None = None
    trace: str = ""


@dataclass
class _Ticket:
    """What a worker gets: emptied by the worker before it reports back."""

    job_id: int
    fn: Callable[[TaskContext], Any] | None
    context: TaskContext | None
    outbox: queue.SimpleQueue[_Outcome]
    notify: Callable[[], None]


def _work(ticket: _Ticket) -> None:
    """Run one job on a worker thread and post its outcome to the UI thread."""
    fn, context = ticket.fn, ticket.context
    ticket.fn = ticket.context = None
    assert fn is not None and context is not None
    try:
        context.cancel.check()
        outcome = _Outcome(ticket.job_id, value=fn(context))
    except BaseException as exc:  # reported to the UI thread, never lost
        outcome = _Outcome(ticket.job_id, error=exc, trace=traceback.format_exc())
    # The UI thread's _Job still holds the function; let go of ours first,
    # so whatever it captured is released there, not here.
    fn = context = None
    ticket.outbox.put(outcome)
    del outcome
    with contextlib.suppress(RuntimeError):  # the runner went with its window
        ticket.notify()


class _Signals(QObject):
    ready = Signal()
    progress = Signal(int, object)


class _UiThreadCollector(QObject):
    """Runs Python's cyclic garbage collection on the UI thread only.

    Automatic collection happens on whichever thread allocates; on a worker
    it could free a closed window's wrapper and with it delete the window's
    C++ objects off the UI thread, which crashes Qt. While any runner is
    alive, automatic collection is off and this timer collects instead, with
    Python's own thresholds.
    """

    users = 0
    instance: _UiThreadCollector | None = None
    was_enabled = True

    def __init__(self) -> None:
        super().__init__(QCoreApplication.instance())
        self._timer = QTimer(self)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    @Slot()
    def collect(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 2 if counts[2] > thresholds[2] else 1
        gc.collect(generation)

    @classmethod
    def acquire(cls) -> None:
        app = QCoreApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            raise RuntimeError("a TaskRunner must be made on the UI thread of a QApplication")
        if cls.users == 0:
            cls.was_enabled = gc.isenabled()
            gc.disable()
            cls.instance = cls()
        cls.users += 1

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0 and cls.instance is not None:
            cls.instance._timer.stop()
            cls.instance.deleteLater()
            cls.instance = None
            gc.collect()
            if cls.was_enabled:
                gc.enable()


class _Lane:
    def __init__(self, name: str) -> None:
        # One thread, kept for the lane's life: a decoder stays on its thread.
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"verifier-{name}")
        self.running: _Job | None = None
        self.waiting: list[_Job] = []
        self.closing = False
        self.name = name


class TaskRunner(QObject):
    """Runs functions off the UI thread with progress, cancel and error dialogs."""

    #: Emitted on the UI thread whenever a job ends (tests wait on it).
    finished = Signal(int)
    #: Emitted with the message of every failure shown to the user.
    errorShown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _UiThreadCollector.acquire()
        self._collector_held = True
        self._parent_widget = parent
        self._pool = ThreadPoolExecutor(2, thread_name_prefix="verifier-task")
        self._lanes: dict[str, _Lane] = {}
        self._jobs: dict[int, _Job] = {}
        self._futures: set[Future[None]] = set()  # set.add/discard are atomic
        self._next_id = 0
        self._closed = False
        self._outbox: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        # A child of the runner, so that it lives exactly as long as the runner.
        self._signals = _Signals(self)
        self._signals.ready.connect(self._drain, Qt.ConnectionType.QueuedConnection)
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
        After :meth:`shutdown` nothing more runs (the token comes back cancelled).
        """
        token = CancelToken()
        if self._closed:
            token.cancel()
            log.debug("not running a task after shutdown")
            return token
        self._next_id += 1
        job_id = self._next_id
        emit_progress = self._signals.progress.emit

        def progress(update: ProgressUpdate) -> None:
            emit_progress(job_id, update)

        job = _Job(job_id, fn, on_done, on_error, title, lane, TaskContext(token, progress))
        self._jobs[job_id] = job
        if title:
            job.dialog = self._progress_dialog(job)
        if lane is None:
            self._submit(self._pool, job)
            return token
        queue_ = self._lanes.get(lane)
        if queue_ is None:
            queue_ = self._lanes[lane] = _Lane(lane)
        queue_.closing = False
        if latest_only:
            for old in queue_.waiting:
                self._jobs.pop(old.id, None)
            queue_.waiting.clear()
        queue_.waiting.append(job)
        self._pump(queue_)
        return token

    def close_lane(self, lane: str) -> None:
        """Let a lane's thread end once the jobs given to it have run."""
        queue_ = self._lanes.get(lane)
        if queue_ is not None:
            queue_.closing = True
            self._pump(queue_)

    @property
    def busy(self) -> bool:
        """Whether any job is queued or running."""
        return bool(self._jobs)

    def lane_busy(self, lane: str) -> bool:
        """Whether a lane has a job running or waiting."""
        queue_ = self._lanes.get(lane)
        return queue_ is not None and (queue_.running is not None or bool(queue_.waiting))

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block (processing events) until every job ended; for scripts and tests."""
        from PySide6.QtCore import QEventLoop
        from PySide6.QtWidgets import QApplication

        deadline = time.monotonic() + timeout_ms / 1000
        while self._jobs and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            self._drain()
            if self._jobs:
                time.sleep(0.005)
        QApplication.processEvents()
        return not self._jobs

    def shutdown(self) -> None:
        """Cancel what waits, let running jobs end (the window is closing)."""
        if self._closed:
            return
        self._closed = True
        for job in self._jobs.values():
            job.context.cancel.cancel()
        for lane in self._lanes.values():
            for job in lane.waiting:
                self._jobs.pop(job.id, None)
            lane.waiting.clear()
        pending = set(self._futures)
        _done, stuck = wait_futures(pending, timeout=SHUTDOWN_WAIT_S)
        for executor in [self._pool, *(lane.executor for lane in self._lanes.values())]:
            executor.shutdown(wait=False, cancel_futures=True)
        if stuck:
            log.warning("%d background task(s) still running at shutdown", len(stuck))
        else:
            self._drain()
            if self._collector_held:
                self._collector_held = False
                _UiThreadCollector.release()

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

    def _submit(self, executor: ThreadPoolExecutor, job: _Job) -> None:
        ticket = _Ticket(job.id, job.fn, job.context, self._outbox, self._signals.ready.emit)
        future = executor.submit(_work, ticket)
        self._futures.add(future)
        # Not a method of the runner: the worker must hold no reference to a QObject.
        future.add_done_callback(self._futures.discard)

    def _pump(self, lane: _Lane) -> None:
        if lane.running is not None:
            return
        if lane.waiting:
            job = lane.waiting.pop(0)
            lane.running = job
            self._submit(lane.executor, job)
        elif lane.closing:
            lane.executor.shutdown(wait=False)
            del self._lanes[lane.name]

    @Slot()
    def _drain(self) -> None:
        """Hand every outcome the workers posted to its job's callbacks."""
        while True:
            try:
                outcome = self._outbox.get_nowait()
            except queue.Empty:
                return
            if outcome.error is None:
                self._on_done(outcome.job_id, outcome.value)
            else:
                self._on_failed(outcome.job_id, outcome.error, outcome.trace)

    def _end(self, job_id: int) -> _Job | None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return None
        if job.dialog is not None:
            job.dialog.close()
            job.dialog.deleteLater()
        lane = self._lanes.get(job.lane) if job.lane is not None else None
        if lane is not None and lane.running is job:
            lane.running = None
            if not self._closed:
                self._pump(lane)
        return job

    def _on_done(self, job_id: int, result: object) -> None:
        job = self._end(job_id)
        try:
            if job is not None and job.on_done is not None and not self._closed:
                job.on_done(result)
        except Exception as exc:  # a bug in a view update: say so, keep running
            log.exception("updating the window failed")
            self.show_error(f"Updating the window failed: {type(exc).__name__}: {exc}")
        finally:
            self.finished.emit(job_id)

    def _on_failed(self, job_id: int, exc: BaseException, trace: str) -> None:
        job = self._end(job_id)
        try:
            if job is None or self._closed:
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
