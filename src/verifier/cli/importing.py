"""`verifier import`: files and folders into a case, with a summary of every file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.errors import printable
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
    if report.failed or report.cancelled or report.stopped:
        sys.exit(1)


def print_import_report(report: Any) -> None:
    """The table of every file, one line per problem on stderr, then the summary.

    Names and reasons are printed with control characters escaped, so that
    each problem stays the one line ``error: FILE: reason``.
    """
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
                printable(Path(item.path).name),
                item.clip_id,
                (item.sha256 or "")[:12],
                render.human_size(item.size),
                item.analysis_status,
                printable(detail),
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
        path = printable(item.path)
        lines = [f"error: {path}: {item.reason}"] if item.status == "failed" else []
        lines += [f"warning: {path}: {warning}" for warning in item.warnings]
        lines += [f"post warning: {path}: {w}" for w in getattr(item, "post_warnings", ())]
        for line in lines:
            render.err.print(printable(line), markup=False, highlight=False)
    stopped = getattr(report, "stopped", None)
    if stopped:
        render.err.print(
            printable(f"error: import stopped: {stopped}; the files after it were not tried"),
            markup=False,
            highlight=False,
        )
    render.out.print(
        f"{report.count('imported')} imported, {report.count('already-present')} already present, "
        f"{report.count('failed')} failed, {report.count('skipped')} skipped"
        + (" (cancelled)" if report.cancelled else "")
        + (" (stopped: the database cannot be written)" if stopped else "")
    )
    posts = report.unavailable_posts
    if posts:
        render.out.print(
            f"{posts} post{'s' if posts != 1 else ''} recorded whose media was not downloaded: "
            "see `verifier posts --unavailable`",
            markup=False,
            highlight=False,
        )
