"""The workbench window and the demo case."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, pass_cli
from verifier.cli.importing import print_import_report
from verifier.services import clips as clip_service
from verifier.services.cases import CaseRecord
from verifier.services.context import App


@cli.command("gui")
@case_option
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save a PNG of the window once it has loaded, then close it (for checking).",
)
@pass_cli
def gui_cmd(cli_ctx: CliContext, case_name: str | None, screenshot: Path | None) -> None:
    """Open the workbench window on the current case (or --case NAME)."""
    from verifier.gui.app import check_display

    check_display()  # before the database: say at once why no window can open
    from verifier.gui.app import run_gui

    sys.exit(run_gui(cli_ctx.app(), case_name, screenshot=screenshot))


@cli.command("demo")
@click.option(
    "--media",
    "media",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Files or folders to import (repeatable).",
)
@click.option(
    "--case", "case_name", default="Demo", show_default=True, help="Name of the demo case."
)
@click.option(
    "--headless",
    is_flag=True,
    help="Print the case summary instead of opening the workbench window.",
)
@pass_cli
def demo_cmd(cli_ctx: CliContext, media: tuple[Path, ...], case_name: str, headless: bool) -> None:
    """Import sample media into a demo case, then open the workbench on it.

    With --headless the case summary is printed instead (clips, keyframes,
    edit points, flags, groups of the same footage).
    """
    from verifier.services.demo import prepare_demo

    if not media:
        raise click.UsageError("pass --media with the sample media folder")
    if not headless:
        from verifier.gui.app import check_display

        check_display()
    app = cli_ctx.app()
    with render.progress_bar() as callback:
        setup = prepare_demo(app, media, case_name, progress=callback)
    case = setup.case
    if setup.report is not None:
        print_import_report(setup.report)
    if setup.already_present:
        render.out.print(
            f"{setup.already_present} sample file(s) already in case {case.name!r}: "
            "not imported again.",
            markup=False,
            highlight=False,
        )
    if setup.showcase is not None:
        render.out.print(
            f"Showcase: {setup.showcase.reason}, frame {setup.showcase.frame_index}.",
            markup=False,
            highlight=False,
        )
    if headless:
        _print_case_summary(app, case)
        return
    from verifier.gui.app import run_gui

    render.err.print(f"Opening the workbench on case {case.name!r}…")
    start = (setup.showcase.clip_id, setup.showcase.frame_index) if setup.showcase else None
    sys.exit(run_gui(app, case.name, start=start))


def _print_case_summary(app: App, case: CaseRecord) -> None:
    rows = [summary.to_json() for summary in clip_service.list_clips(app, case.id)]
    render.out.print()
    render.out.print(
        render.table(
            f"Case {case.name!r}: {len(rows)} clip(s)",
            [
                "id",
                "name",
                "kind",
                "duration",
                "size",
                "analysis",
                "keyframes",
                "edit points",
                "flags",
            ],
            [
                [
                    r["id"],
                    r["name"],
                    r["kind"],
                    render.human_duration(r["duration"]),
                    f"{r['width']}x{r['height']}" if r["width"] else "-",
                    r["analysis_status"],
                    r["keyframes"],
                    r["edit_points"],
                    r["flags"],
                ]
                for r in rows
            ],
        )
    )
    from verifier.services.matching import clusters

    for group in clusters(app, case):
        names = ", ".join(m["name"] for m in group["members"])
        render.out.print(
            f"Same footage (cluster {group['cluster']}, {len(group['relations'])} relations): "
            f"{names}",
            markup=False,
            highlight=False,
        )
    total = sum(r["duration"] or 0 for r in rows)
    render.out.print(
        f"Data folder: {app.settings.data_dir}   total footage: {render.human_duration(total)}"
    )
    render.out.print(
        "Next: `verifier show CLIP`, `verifier matches --explain`, `verifier log`,"
        " `verifier verify`."
    )
