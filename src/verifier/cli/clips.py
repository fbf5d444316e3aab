"""Listing clips and showing one."""

from __future__ import annotations

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.services import cases as case_service
from verifier.services import clips as clip_service


@cli.command("clips")
@case_option
@json_option
@pass_cli
def clips_cmd(cli_ctx: CliContext, case_name: str | None, as_json: bool) -> None:
    """List the clips of a case."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    rows = [summary.to_json() for summary in clip_service.list_clips(app, case.id)]
    if as_json:
        render.print_json(rows)
        return
    table_rows = [
        [
            r["id"],
            r["name"],
            r["sha256"][:12],
            r["kind"],
            render.human_duration(r["duration"]),
            f"{r['width']}x{r['height']}" if r["width"] else "-",
            r["analysis_status"],
            r["appearances"],
        ]
        for r in rows
    ]
    render.out.print(
        render.table(
            f"Clips in case {case.name!r}",
            ["id", "name", "sha256", "kind", "duration", "size", "analysis", "appearances"],
            table_rows,
        )
    )
    waiting = sum(1 for r in rows if r["analysis_status"] == "pending")
    if waiting:
        # Pending work must be seen: an interrupted analysis never resumes by itself.
        render.out.print(
            f"{waiting} clip{'s' if waiting != 1 else ''} wait{'' if waiting != 1 else 's'} "
            "for analysis: run `verifier analyse --pending`",
            markup=False,
            highlight=False,
        )


@cli.command("show")
@click.argument("clip")
@case_option
@json_option
@pass_cli
def show_cmd(cli_ctx: CliContext, clip: str, case_name: str | None, as_json: bool) -> None:
    """Everything known about CLIP (an id or a unique SHA-256 prefix)."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    data = clip_service.describe_clip(app, clip, case)
    if as_json:
        render.print_json(data)
    else:
        from verifier.cli.show import print_clip

        print_clip(data)
