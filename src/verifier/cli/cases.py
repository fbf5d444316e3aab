"""Cases: create, list and choose the current case."""

from __future__ import annotations

import click

from verifier.cli import render
from verifier.cli.base import CliContext, cli, json_option, pass_cli
from verifier.services import cases as case_service


@cli.group("case")
def case_group() -> None:
    """Create, list and choose cases."""


@case_group.command("new")
@click.argument("name")
@click.option("--description", default="", help="What the case is about.")
@pass_cli
def case_new(cli_ctx: CliContext, name: str, description: str) -> None:
    """Create a case and make it the current one."""
    case = case_service.create_case(cli_ctx.app(), name, description)
    render.out.print(f"Created case #{case.id} {case.name!r} (now the current case).")


@case_group.command("list")
@json_option
@pass_cli
def case_list(cli_ctx: CliContext, as_json: bool) -> None:
    """List cases; the current one is marked with *."""
    cases = case_service.list_cases(cli_ctx.app())
    if as_json:
        render.print_json([c.to_json() for c in cases])
        return
    if not cases:
        render.out.print("No cases yet. Create one with `verifier case new NAME`.")
        return
    rows = [
        ["*" if c.current else "", c.id, c.name, c.clip_count, c.created_at[:19], c.description]
        for c in cases
    ]
    render.out.print(
        render.table(None, ["", "id", "name", "clips", "created (UTC)", "description"], rows)
    )


@case_group.command("use")
@click.argument("name")
@pass_cli
def case_use(cli_ctx: CliContext, name: str) -> None:
    """Remember NAME as the current case."""
    case = case_service.use_case(cli_ctx.app(), name)
    render.out.print(f"Current case: {case.name}")
