"""Terminal output: tables, progress bars and the text form of `show`.

Human output goes through rich; ``--json`` output is plain JSON on stdout
with progress kept on stderr, so the two never mix.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from verifier.progress import ProgressUpdate


def _console(stderr: bool) -> Console:
    """A console; when output is piped or logged, tables get room instead of 80 columns.

    Emoji codes are off: rich would turn ``:link:`` in a check key, a caption
    or a file name into a picture, and printed evidence text must read as stored.
    """
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else 200
    return Console(stderr=stderr, highlight=False, width=width, emoji=False)


out = _console(stderr=False)
err = _console(stderr=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:06.3f}"
    return f"{minutes}:{secs:06.3f}"


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Any]:
    """A callback that draws files and bytes progress on stderr."""
    if not enabled or not err.is_terminal:
        yield lambda update: None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[files]} {task.fields[message]}"),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def callback(update: ProgressUpdate) -> None:
            if update.task not in tasks:
                tasks[update.task] = bar.add_task(
                    update.task, total=update.total, files="", message=""
                )
            files = (
                f"{update.items_done}/{update.items_total} files"
                if update.items_total is not None
                else ""
            )
            bar.update(
                tasks[update.task],
                completed=update.done,
                total=update.total,
                files=files,
                message=update.message[:40],
            )

        yield callback


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    t = Table(title=title, show_lines=False, title_justify="left")
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*["-" if v is None else str(v) for v in row])
    return t
