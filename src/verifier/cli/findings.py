"""What `verifier geo` and `verifier chrono` share: options and how findings print.

Both record findings on a clip that rest on frames and annotations, are
edited with the version the analyst saw, and print as indented lines (or
``--json``). The options must be spelt and explained alike, and a finding
must print the same way after add, list and edit, in both commands: so they
are defined here once; each command keeps its own wording of a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from verifier.cli import render

F = TypeVar("F", bound=Callable[..., Any])


def say(text: str) -> None:
    """One line as it is (no rich markup or highlighting: evidence text prints as stored)."""
    render.out.print(text, markup=False, highlight=False)


def expected_version_option_for(list_command: str) -> Callable[[F], F]:
    """``--expected-version N``: refuse the change if the finding is no longer at version N
    (``list_command`` is where the analyst reads versions)."""
    return click.option(
        "--expected-version", type=click.IntRange(min=1), metavar="N",
        help="Refuse the change if the finding was changed since you saw version N "
        f"(see `{list_command}`).",
    )  # fmt: skip


def supporting_options(*, replace: bool) -> Callable[[F], F]:
    """``--frame`` and ``--annotation``: what a finding rests on (``replace``: the edit form,
    which replaces the lists rather than adding to them)."""
    if replace:
        frame_help = "Replace the supporting frames (repeatable)."
        annotation_help = "Replace the supporting annotations (repeatable)."
    else:
        frame_help = "A frame that shows the evidence (repeatable)."
        annotation_help = "An annotation on the clip that shows the evidence (repeatable)."
    frame = click.option("--frame", "frames", type=int, multiple=True, metavar="N",
                         help=frame_help)  # fmt: skip
    annotation = click.option("--annotation", "annotations", type=int, multiple=True,
                              metavar="ID", help=annotation_help)  # fmt: skip

    def decorate(command: F) -> F:
        return frame(annotation(command))

    return decorate


def show_findings(
    found: dict[str, Any] | list[dict[str, Any]],
    as_json: bool,
    lines_of: Callable[[dict[str, Any]], list[str]],
    *,
    empty: str = "",
    title: str = "",
) -> None:
    """Print ``found`` (one finding or a list) as JSON as it is, or as ``lines_of`` each,
    under ``title`` when there is any, else the ``empty`` sentence."""
    if as_json:
        render.print_json(found)
        return
    rows = [found] if isinstance(found, dict) else found
    if title and rows:
        say(title)
    for row in rows:
        for line in lines_of(row):
            say(line)
    if not rows and empty:
        say(empty)
