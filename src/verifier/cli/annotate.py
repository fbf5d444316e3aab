"""`verifier annotate`: rectangles on frames, with a label and a note."""

from __future__ import annotations

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.ids import AnnotationId
from verifier.services import cases as case_service


@cli.group("annotate")
def annotate_group() -> None:
    """Mark labelled rectangles on frames (every change is in the custody log)."""


LABEL_HELP = (
    "landmark, building, vehicle, insignia, weapon, person, face, text/sign, shadow or other."
)
RECT_HELP = "X,Y,W,H in pixels of the upright full-resolution frame (clipped to the frame)."

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
@click.option("--rect", required=True, metavar="X,Y,W,H", help=RECT_HELP)
@click.option("--label", required=True, help=LABEL_HELP)
@click.option("--note", default="", help="What the rectangle shows and why it matters.")
@case_option
@json_option
@pass_cli
def annotate_add(cli_ctx: CliContext, clip: str, frame_index: int, rect: str, label: str,
                 note: str, case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Mark a rectangle on frame N of CLIP."""
    from verifier.services.annotations import add_annotation, parse_rect

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = add_annotation(app, clip, frame_index, parse_rect(rect), label, note, case=case)
    if as_json:
        render.print_json(added)
    else:
        render.out.print(f"Annotation #{added['id']} ({added['label']}) added on frame "
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
@click.option("--rect", metavar="X,Y,W,H", help=RECT_HELP)
@click.option("--label", help=LABEL_HELP)
@click.option("--note", help="New note (an empty text clears it).")
@expected_version_option
@json_option
@pass_cli
def annotate_edit(cli_ctx: CliContext, annotation_id: int, rect: str | None, label: str | None,
                  note: str | None, expected_version: int | None,
                  as_json: bool) -> None:  # fmt: skip
    """Change an annotation (the custody log keeps the old values)."""
    from verifier.services.annotations import edit_annotation, parse_rect

    changed = edit_annotation(cli_ctx.app(), AnnotationId(annotation_id),
                              expected_version=expected_version,
                              rect=parse_rect(rect) if rect is not None else None,
                              label=label, note=note)  # fmt: skip
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
