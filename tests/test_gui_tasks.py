"""The background-work helper: results, errors, lanes, and thread safety.

The window's data work all goes through :class:`TaskRunner`, so its rules
are what keep the window responsive and alive: results and failures reach
the UI thread, a decoder's lane runs one job at a time on one thread, and
nothing a job touched (a widget it captured, a closed window) is freed on a
worker thread, where Qt would crash.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from verifier.errors import VerifierError
from verifier.gui.tasks import TaskContext, TaskRunner

pytestmark = pytest.mark.gui


class _Tracked:
    """Records the thread it was freed on."""

    def __init__(self, freed_on: list[str]) -> None:
        self.freed_on = freed_on
        self.cycle = self  # only the cyclic collector can free it

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


@pytest.fixture
def runner(qtbot: Any) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait_idle()
    tasks.shutdown()


def _wait(qtbot: Any, runner: TaskRunner) -> None:
    qtbot.waitUntil(lambda: not runner.busy, timeout=10_000)


@pytest.mark.expect_error_log  # an unexpected exception (1 / 0) is logged with its traceback
def test_results_and_failures_reach_the_ui_thread(qtbot: Any, runner: TaskRunner) -> None:
    seen: list[tuple[str, Any, str]] = []
    ui = threading.current_thread().name
    runner.run(
        lambda ctx: threading.current_thread().name,
        on_done=lambda worker: seen.append(("done", worker, threading.current_thread().name)),
    )
    _wait(qtbot, runner)
    [(kind, worker, where)] = seen
    assert kind == "done" and worker != ui and where == ui

    def broken(ctx: TaskContext) -> None:
        raise VerifierError("the file is not a video", path="/evidence/clip.mp4")

    runner.run(broken, title="Importing")
    _wait(qtbot, runner)
    assert runner.errors[-1] == "/evidence/clip.mp4: the file is not a video"

    runner.run(lambda ctx: 1 / 0)
    _wait(qtbot, runner)
    assert "ZeroDivisionError" in runner.errors[-1]
    assert "Nothing was changed" in runner.errors[-1]


def test_a_lane_runs_in_order_on_one_thread_and_keeps_only_the_latest(
    qtbot: Any, runner: TaskRunner
) -> None:
    started = threading.Event()
    release = threading.Event()
    ran: list[tuple[int, str]] = []

    def job(n: int) -> Any:
        def work(ctx: TaskContext) -> None:
            if n == 0:
                started.set()
                release.wait(10)
            ran.append((n, threading.current_thread().name))

        return work

    runner.run(job(0), lane="decoder", latest_only=True)
    assert started.wait(10)
    for n in range(1, 6):  # queued behind job 0: only the newest survives
        runner.run(job(n), lane="decoder", latest_only=True)
    assert runner.lane_busy("decoder")
    release.set()
    _wait(qtbot, runner)
    assert [n for n, _ in ran] == [0, 5]
    assert len({name for _, name in ran}) == 1
    assert not runner.lane_busy("decoder")


def test_cancel_stops_a_job_at_its_next_check(qtbot: Any, runner: TaskRunner) -> None:
    failures: list[BaseException] = []

    def long(ctx: TaskContext) -> str:
        for _ in range(1000):
            ctx.cancel.check()
            time.sleep(0.01)
        return "finished"

    token = runner.run(long, on_done=failures.append, on_error=failures.append)
    token.cancel()
    _wait(qtbot, runner)
    [outcome] = failures
    assert type(outcome).__name__ == "Cancelled"
    assert not runner.errors  # a cancel is not an error dialog


def test_what_a_job_captured_is_freed_on_the_ui_thread(qtbot: Any, runner: TaskRunner) -> None:
    freed_on: list[str] = []
    captured = _Tracked(freed_on)
    captured.cycle = None  # freed by reference counting, the moment the last holder lets go
    runner.run(lambda ctx, keep=captured: keep is not None, on_done=lambda ok: None)
    del captured
    _wait(qtbot, runner)
    assert freed_on == [threading.current_thread().name]


def test_garbage_is_collected_on_the_ui_thread_only(qtbot: Any, runner: TaskRunner) -> None:
    """A worker that allocates heavily does not run the cyclic collector."""
    assert not gc.isenabled()
    ui = threading.current_thread().name
    freed_on: list[str] = []
    _Tracked(freed_on)  # now cyclic garbage, like a closed window with connected lambdas

    def allocate(ctx: TaskContext) -> int:
        kept = [[i] for i in range(300_000)]  # far past every collection threshold
        return len(kept)

    runner.run(allocate)
    _wait(qtbot, runner)
    assert freed_on in ([], [ui])
    # The UI thread's timer collects once allocations pass Python's own threshold.
    held = [[i] for i in range(gc.get_threshold()[0] * 2)]
    qtbot.waitUntil(lambda: freed_on == [ui], timeout=5_000)
    del held


def test_closing_a_lane_ends_its_thread_and_shutdown_restores_collection(qtbot: Any) -> None:
    def lane_threads() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name.startswith("verifier-viewer-x")]

    was_enabled = gc.isenabled()
    runner = TaskRunner()
    assert not gc.isenabled()
    runner.run(lambda ctx: None, lane="viewer-x")
    _wait(qtbot, runner)
    assert lane_threads()
    runner.close_lane("viewer-x")
    qtbot.waitUntil(lambda: not lane_threads(), timeout=5_000)
    runner.shutdown()
    assert gc.isenabled() == was_enabled
    token = runner.run(lambda ctx: None)  # nothing runs after shutdown
    assert token.cancelled and not runner.busy
