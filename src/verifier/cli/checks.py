"""`verifier check`: consistency problems of a case, and acknowledging them.

Exit status: 0 when no problem is open (acknowledged ones do not count), 3
when problems remain, so a script can stop before a report is produced; 1 is
an error (an unknown key, a case that does not exist) and 2 a mistyped
command line (click's usage errors), so neither is taken for "problems".
"""

from __future__ import annotations

import sys
from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.services import cases as case_service
from verifier.services import checks as check_service

PROBLEMS_EXIT = 3
"""Exit status of `verifier check` while problems remain open."""


def _say(text: str) -> None:
    # emoji=False: a key such as "auto-link-unreviewed:link:6" must print as typed.
    render.out.print(text, markup=False, highlight=False, emoji=False)


def problem_lines(doc: dict[str, Any]) -> list[str]:
    """One problem as a person reads it: severity and rule, the sentence, the key."""
    mark = " [acknowledged]" if doc["acknowledged"] else ""
    lines = [f"{doc['severity'].upper()} {doc['title']}{mark}", f"    {doc['message']}"]
    if doc["acknowledged"]:
        ack = doc["acknowledged"]
        lines.append(f"    acknowledged by {ack['by']}: {ack['reason']}")
    elif doc["acknowledged_before"]:
        ack = doc["acknowledged_before"]
        changed = ", ".join(ack["changed"]) or "the facts"
        lines.append(
            f"    acknowledged before by {ack['by']} ({ack['reason']}); since then changed: "
            f"{changed}"
        )
    lines.append(f"    key: {doc['key']}")
    return lines


@cli.group("check", invoke_without_command=True)
@case_option
@json_option
@click.option("--all", "show_all", is_flag=True, help="Show acknowledged problems too, marked.")
@click.option(
    "--rehash", is_flag=True,
    help="Re-hash every evidence file (slow); by default files are checked for presence "
    "and size, thumbnails re-hashed.",
)  # fmt: skip
@pass_cli
@click.pass_context
def check_group(
    ctx: click.Context, cli_ctx: CliContext, case_name: str | None, as_json: bool,
    show_all: bool, rehash: bool,
) -> None:  # fmt: skip
    """List the consistency problems of a case: contradicting times and places, links
    against the facts, verified clips without findings, unreviewed matches, damaged
    evidence. Exits 3 while problems remain open, 0 when none does."""
    if ctx.invoked_subcommand is not None:
        return
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    report = check_service.run_checks(app, case, rehash=rehash)
    data = report.to_json(include_acknowledged=show_all)
    if as_json:
        render.print_json(data)
    else:
        for doc in data["problems"]:
            for line in problem_lines(doc):
                _say(line)
            _say("")
        hidden = "" if show_all or not data["acknowledged"] else " (--all shows them)"
        _say(
            f"Case {case.name!r}: {data['open']} open problem(s), "
            f"{data['acknowledged']} acknowledged{hidden}."
        )
        if not rehash:
            _say(
                "Evidence files were checked for presence and size only: `verifier check "
                "--rehash` re-hashes them, `verifier verify` also checks the custody log."
            )
    if report.open:
        sys.exit(PROBLEMS_EXIT)


@check_group.command("ack")
@click.argument("key")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is acceptable (logged).")
@case_option
@json_option
@pass_cli
def ack_cmd(
    cli_ctx: CliContext, key: str, reason: str, case_name: str | None, as_json: bool
) -> None:
    """Acknowledge problem KEY: it stays quiet until the facts it was found on change."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    data = check_service.acknowledge(app, key, reason, case=case)
    if as_json:
        render.print_json(data)
    else:
        _say(f"Acknowledged {key}: {reason.strip()}")


@check_group.command("unack")
@click.argument("key")
@case_option
@pass_cli
def unack_cmd(cli_ctx: CliContext, key: str, case_name: str | None) -> None:
    """Withdraw the acknowledgement of problem KEY (the log keeps it)."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    check_service.unacknowledge(app, key, case=case)
    _say(f"Acknowledgement of {key} withdrawn")


@cli.group("clip")
def clip_group() -> None:
    """Statements about one clip."""


@clip_group.command("verified")
@click.argument("clip")
@click.option("--undo", is_flag=True, help="Take the verified mark back.")
@case_option
@pass_cli
def verified_cmd(cli_ctx: CliContext, clip: str, undo: bool, case_name: str | None) -> None:
    """Mark CLIP verified (its place and time are established), or --undo it."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    data = check_service.mark_verified(app, clip, undo=undo, case=case)
    if undo:
        _say(f"Clip #{data['id']} ({data['name']}) is no longer marked verified")
    else:
        _say(f"Clip #{data['id']} ({data['name']}) marked verified by {data['verified_by']}")
