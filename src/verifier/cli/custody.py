"""The custody log and verification of the store against it."""

from __future__ import annotations

import sys
from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.errors import VerifierError
from verifier.services import cases as case_service
from verifier.services import clips as clip_service
from verifier.services.context import App


@cli.command("verify")
@case_option
@click.option("--all", "all_cases", is_flag=True, help="Verify the whole library, not one case.")
@json_option
@pass_cli
def verify_cmd(cli_ctx: CliContext, case_name: str | None, all_cases: bool, as_json: bool) -> None:
    """Re-hash every stored file and check the custody log chain."""
    from verifier.services.verification import verify

    app = cli_ctx.app()
    case = None if all_cases else _case_or_library(app, case_name)
    with render.progress_bar(not as_json) as callback:
        report = verify(app, case, progress=callback)
    if as_json:
        render.print_json(report.to_json())
    else:
        scope = f"case {case.name!r}" if case else "the whole library"
        for problem in report.problems:
            render.err.print(f"problem: {problem.message}", markup=False, highlight=False)
        if report.unreferenced_objects:
            render.out.print(
                f"note: {len(report.unreferenced_objects)} stored object(s) are not "
                "referenced by the database (an interrupted import); they are intact."
            )
        verdict = "OK" if report.ok else f"FAILED: {len(report.problems)} problem(s)"
        render.out.print(
            f"Verified {scope}: {report.files_checked} file(s), "
            f"{render.human_size(report.bytes_checked)} re-hashed; "
            f"{report.events_checked} custody event(s) checked. {verdict}"
        )
    if not report.ok:
        sys.exit(1)


def _case_or_library(app: App, case_name: str | None) -> Any:
    if case_name:
        return case_service.resolve_case(app, case_name)
    try:
        return case_service.resolve_case(app, None)
    except VerifierError:
        return None


@cli.command("log")
@case_option
@json_option
@pass_cli
def log_cmd(cli_ctx: CliContext, case_name: str | None, as_json: bool) -> None:
    """Show the custody log (of a case, or of everything with no case)."""
    app = cli_ctx.app()
    case = _case_or_library(app, case_name)
    events = clip_service.custody_log(app, case)
    if as_json:
        render.print_json(events)
        return
    rows = [
        [
            e["seq"],
            e["occurred_at"][:23],
            e["actor"],
            e["action"],
            f"{e['target_type']} {e['target_id'] or ''}",
            _details_text(e["details"]),
            e["hash"][:12],
        ]
        for e in events
    ]
    title = f"Custody log of case {case.name!r}" if case else "Custody log"
    render.out.print(
        render.table(
            title, ["#", "time (UTC)", "actor", "action", "target", "details", "hash"], rows
        )
    )


def _details_text(details: dict[str, Any]) -> str:
    keys = ("source_name", "sha256", "name", "status", "ok", "reason")
    parts = [f"{k}={str(details[k])[:16]}" for k in keys if k in details]
    return " ".join(parts)
