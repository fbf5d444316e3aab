"""The custody log, verification of the store against it, and explicit re-anchoring.

``verify`` and ``log`` also work on a write-protected copy of a data folder
(an expert's copy): they open it read-only, check everything, and say that
the verification could not be recorded.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.errors import VerifierError
from verifier.services import cases as case_service
from verifier.services import clips as clip_service
from verifier.services.context import App, open_read_only_app, why_read_only

read_only_option = click.option(
    "--read-only",
    is_flag=True,
    help="Open the data folder without writing anything (automatic when it cannot be written).",
)


def _checking_app(cli_ctx: CliContext, read_only: bool) -> App:
    """The app for a command that only reads: opened read-only when it must or is asked to."""
    settings = cli_ctx.settings()
    reason = "--read-only was given" if read_only else why_read_only(settings)
    if reason is None:
        return cli_ctx.app()
    app = open_read_only_app(settings, reason)
    cli_ctx.close()
    cli_ctx._app = app  # closed with the command like any other app
    return app


@cli.command("verify")
@case_option
@click.option("--all", "all_cases", is_flag=True, help="Verify the whole library, not one case.")
@read_only_option
@json_option
@pass_cli
def verify_cmd(
    cli_ctx: CliContext, case_name: str | None, all_cases: bool, read_only: bool, as_json: bool
) -> None:
    """Re-hash every stored file, check the custody log, its anchor and every item's state."""
    from verifier.services.verification import verify

    app = _checking_app(cli_ctx, read_only)
    case = None if all_cases else _case_or_library(app, case_name)
    with render.progress_bar(not as_json) as callback:
        report = verify(app, case, progress=callback)
    if as_json:
        render.print_json(report.to_json())
    else:
        scope = f"case {case.name!r}" if case else "the whole library"
        for problem in report.problems:
            render.err.print(f"problem: {problem.message}", markup=False, highlight=False)
        if report.unreferenced_note:
            render.out.print(f"note: {report.unreferenced_note}", markup=False, highlight=False)
        if report.notes:
            render.out.print(
                f"note: {len(report.notes)} item(s) are not covered by a state hash "
                "(recorded before state hashes were introduced); their current state "
                "cannot be confirmed from the log:",
                markup=False,
                highlight=False,
            )
            for note in report.notes[:20]:
                render.out.print(f"  {note}", markup=False, highlight=False)
        if not report.recorded:
            render.out.print(
                f"note: this verification was not recorded in the custody log: "
                f"{report.not_recorded_reason}",
                markup=False,
                highlight=False,
            )
        verdict = "OK" if report.ok else f"FAILED: {len(report.problems)} problem(s)"
        render.out.print(
            f"Verified {scope}: {report.files_checked} file(s), "
            f"{render.human_size(report.bytes_checked)} re-hashed; "
            f"{report.events_checked} custody event(s) and {report.items_checked} recorded "
            f"item(s) checked. {verdict}"
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
@click.option(
    "--all", "all_cases", is_flag=True, help="The whole log (library-wide events included)."
)
@read_only_option
@json_option
@pass_cli
def log_cmd(
    cli_ctx: CliContext, case_name: str | None, all_cases: bool, read_only: bool, as_json: bool
) -> None:
    """Show the custody log (of a case, or of everything with no case or --all)."""
    app = _checking_app(cli_ctx, read_only)
    case = None if all_cases else _case_or_library(app, case_name)
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


@cli.group("custody")
def custody_group() -> None:
    """Acts on the custody log itself."""


@custody_group.command("re-anchor")
@click.option("--reason", required=True, metavar="TEXT", help="Why the current log is trusted.")
@json_option
@pass_cli
def re_anchor_cmd(cli_ctx: CliContext, reason: str, as_json: bool) -> None:
    """Write a fresh custody anchor from the log as it is now (logged with who, when, why).

    Only for a known cause, such as a copy made without custody.anchor: from
    then on `verify` checks the log against the new anchor. The old anchor is
    kept beside it, renamed.
    """
    from verifier.services.verification import re_anchor

    result = re_anchor(cli_ctx.app(), reason)
    if as_json:
        render.print_json(result)
        return
    kept = result["previous_anchor_kept_as"]
    render.out.print(
        f"Re-anchored {result['events_anchored']} custody event(s) (event #{result['seq']}, "
        f"reason: {result['reason']}). "
        + (f"The old anchor is kept as {kept}." if kept else "There was no anchor before."),
        markup=False,
        highlight=False,
    )
