"""`verifier annotate`: rectangles, points, lines and polygons on frames, labelled."""

from __future__ import annotations

from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.ids import AnnotationId
from verifier.services import cases as case_service


@cli.group("annotate")
def annotate_group() -> None:
    """Mark labelled shapes on frames (every change is in the custody log)."""


LABEL_HELP = (
    "landmark, building, vehicle, insignia, weapon, person, face, text/sign, shadow or other."
)
RECT_HELP = "X,Y,W,H in pixels of the upright full-resolution frame (clipped to the frame)."
POINT_HELP = "A point X,Y in frame pixels (a spot: an insignia, a muzzle flash)."
LINE_HELP = (
    "A line or polyline X1,Y1,X2,Y2[,...] in frame pixels, 2 or more vertices "
    "(a shadow, a horizon, a road)."
)
POLYGON_HELP = "A polygon X1,Y1,X2,Y2,X3,Y3[,...] in frame pixels, 3 or more vertices (an area)."
#: The shape options, in the order they are offered: option name -> shape kind.
SHAPE_OPTIONS = {"--rect": "rect", "--point": "point", "--line": "line", "--polygon": "polygon"}


def shape_options(function: Any) -> Any:
    """``--rect``, ``--point``, ``--line`` and ``--polygon``: at most one is given."""
    for flag, metavar, help_text in reversed((
        ("--rect", "X,Y,W,H", RECT_HELP),
        ("--point", "X,Y", POINT_HELP),
        ("--line", "X1,Y1,X2,Y2[,...]", LINE_HELP),
        ("--polygon", "X1,Y1,...", POLYGON_HELP),
    )):  # fmt: skip
        function = click.option(flag, metavar=metavar, help=help_text)(function)
    return function


def chosen_shape(given: dict[str, str | None]) -> tuple[str, Any] | None:
    """The one shape option given (its name and parsed shape), or None.

    Parse errors name the option: ``--line: cannot read the line ...``.
    """
    from verifier.errors import VerifierError
    from verifier.services.annotations import ShapeError, parse_shape

    named = {flag: text for flag, text in given.items() if text is not None}
    if len(named) > 1:
        raise VerifierError(f"give one shape, not {' and '.join(named)}")
    if not named:
        return None
    [(flag, text)] = named.items()
    try:
        return flag, parse_shape(SHAPE_OPTIONS[flag], text)
    except ShapeError as exc:
        raise VerifierError(f"{flag}: {exc}") from exc


def _naming(flag: str | None, call: Any) -> Any:
    """Run ``call``; a shape it refuses (outside the frame...) is reported under ``flag``."""
    from verifier.errors import VerifierError
    from verifier.services.annotations import ShapeError

    try:
        return call()
    except ShapeError as exc:
        if flag is None:
            raise
        raise VerifierError(f"{flag}: {exc}") from exc


#: ``--expected-version N``: refuse the change if the item is no longer at version N
#: (``list --json`` prints each item's version), so another analyst's edit is never lost.
expected_version_option = click.option(
    "--expected-version", type=click.IntRange(min=1), metavar="N",
    help="Refuse the change if the item was changed since you saw version N "
    "(see `list --json`).",
)  # fmt: skip


@annotate_group.command("add")
@click.argument("clip")
@click.option("--frame", "frame_index", type=int, required=True, metavar="N",
              help="Frame index (0 = first; a still image has only 0).")  # fmt: skip
@shape_options
@click.option("--label", required=True, help=LABEL_HELP)
@click.option("--note", default="", help="What the shape shows and why it matters.")
@case_option
@json_option
@pass_cli
def annotate_add(cli_ctx: CliContext, clip: str, frame_index: int, rect: str | None,
                 point: str | None, line: str | None, polygon: str | None, label: str,
                 note: str, case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Mark a rectangle, point, line or polygon on frame N of CLIP (give exactly one)."""
    from verifier.errors import VerifierError
    from verifier.services.annotations import add_annotation

    chosen = chosen_shape({"--rect": rect, "--point": point, "--line": line,
                           "--polygon": polygon})  # fmt: skip
    if chosen is None:
        raise VerifierError(
            "give the shape to mark: --rect X,Y,W,H, --point X,Y, --line X1,Y1,X2,Y2[,...] "
            "or --polygon X1,Y1,X2,Y2,X3,Y3[,...]"
        )
    flag, shape = chosen
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = _naming(flag, lambda: add_annotation(app, clip, frame_index, shape, label, note,
                                                 case=case))  # fmt: skip
    if as_json:
        render.print_json(added)
    else:
        render.out.print(f"Annotation #{added['id']} ({added['shape']}, {added['label']}) "
                         f"added on frame "
                         f"{added['frame_index']} of clip #{added['clip_id']}.",
                         markup=False, highlight=False)  # fmt: skip


@annotate_group.command("list")
@click.argument("clip")
@case_option
@json_option
@pass_cli
def annotate_list(cli_ctx: CliContext, clip: str, case_name: str | None, as_json: bool) -> None:
    """The annotations of CLIP, by frame."""
    from verifier.cli.show import annotation_lines
    from verifier.services.annotations import list_annotations

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    rows = list_annotations(app, clip, case)
    if as_json:
        render.print_json(rows)
        return
    for line in annotation_lines(rows):
        render.out.print(line, markup=False, highlight=False)
    if not rows:
        render.out.print("No annotations.")


@annotate_group.command("edit")
@click.argument("annotation_id", type=int)
@shape_options
@click.option("--label", help=LABEL_HELP)
@click.option("--note", help="New note (an empty text clears it).")
@expected_version_option
@json_option
@pass_cli
def annotate_edit(cli_ctx: CliContext, annotation_id: int, rect: str | None,
                  point: str | None, line: str | None, polygon: str | None, label: str | None,
                  note: str | None, expected_version: int | None,
                  as_json: bool) -> None:  # fmt: skip
    """Change an annotation's shape, label or note (the custody log keeps the old values).

    A new shape may be of another kind: a rectangle can become a line.
    """
    from verifier.services.annotations import edit_annotation

    chosen = chosen_shape({"--rect": rect, "--point": point, "--line": line,
                           "--polygon": polygon})  # fmt: skip
    flag, shape = chosen if chosen is not None else (None, None)
    app = cli_ctx.app()
    changed = _naming(flag, lambda: edit_annotation(app, AnnotationId(annotation_id),
                                                    expected_version=expected_version,
                                                    shape=shape, label=label,
                                                    note=note))  # fmt: skip
    if as_json:
        render.print_json(changed)
    else:
        render.out.print(f"Annotation #{annotation_id} updated (now version {changed['version']}).")


@annotate_group.command("delete")
@click.argument("annotation_id", type=int)
@expected_version_option
@pass_cli
def annotate_delete(cli_ctx: CliContext, annotation_id: int, expected_version: int | None) -> None:
    """Withdraw an annotation (the custody log keeps what it marked)."""
    from verifier.services.annotations import delete_annotation

    delete_annotation(cli_ctx.app(), AnnotationId(annotation_id),
                      expected_version=expected_version)  # fmt: skip
    render.out.print(f"Annotation #{annotation_id} deleted.")
