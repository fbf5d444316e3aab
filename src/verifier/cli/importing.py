"""`verifier import`: files and folders into a case, with a summary of every file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.services import cases as case_service


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@case_option
@click.option("--analyst", "analyst", metavar="NAME", help="Name recorded in the custody log.")
@click.option(
    "--no-analyse", is_flag=True, help="Preserve only; analyse later with `verifier analyse`."
)
@json_option
@pass_cli
def import_cmd(
    cli_ctx: CliContext,
    paths: tuple[Path, ...],
    case_name: str | None,
    analyst: str | None,
    no_analyse: bool,
    as_json: bool,
) -> None:
    """Import files and folders (recursively) into a case."""
    from verifier.services.importing import import_paths

    if analyst:
        cli_ctx.analyst = analyst
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    with render.progress_bar(not as_json) as callback:
        report = import_paths(app, paths, case, analyse=not no_analyse, progress=callback)
    if as_json:
        render.print_json(report.to_json())
    else:
        print_import_report(report)
    if report.failed or report.cancelled:
        sys.exit(1)


def print_import_report(report: Any) -> None:
    rows = []
    for item in report.items:
        detail = (
            item.reason
            or "; ".join(item.warnings)
            or (
                "new in store"
                if item.new_in_store
                else ("stored earlier" if item.status == "imported" else "")
            )
        )
        rows.append(
            [
                item.status,
                Path(item.path).name,
                item.clip_id,
                (item.sha256 or "")[:12],
                render.human_size(item.size),
                item.analysis_status,
                detail,
            ]
        )
    render.out.print(
        render.table(
            f"Import into case {report.case!r}",
            ["status", "file", "clip", "sha256", "size", "analysis", "detail"],
            rows,
        )
    )
    for item in report.items:
        if item.status == "failed":
            render.err.print(f"error: {item.path}: {item.reason}", markup=False, highlight=False)
        for warning in item.warnings:
            render.err.print(f"warning: {item.path}: {warning}", markup=False, highlight=False)
        for warning in getattr(item, "post_warnings", ()):
            render.err.print(f"post warning: {item.path}: {warning}", markup=False, highlight=False)
    render.out.print(
        f"{report.count('imported')} imported, {report.count('already-present')} already present, "
        f"{report.count('failed')} failed, {report.count('skipped')} skipped"
        + (" (cancelled)" if report.cancelled else "")
    )
    posts = report.unavailable_posts
    if posts:
        render.out.print(
            f"{posts} post{'s' if posts != 1 else ''} recorded whose media was not downloaded: "
            "see `verifier posts --unavailable`",
            markup=False,
            highlight=False,
        )
