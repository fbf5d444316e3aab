"""What every `verifier` sub-command shares: the root group, its context and options.

Every command parses and validates its options, opens the application,
calls one service and renders the result. Errors a user can fix are
printed as one line without a traceback, with a non-zero exit status.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click
from rich.markup import escape

from verifier import __version__
from verifier.cli import render
from verifier.config import Settings, load_settings
from verifier.errors import VerifierError
from verifier.evidence.store import InterruptedWork
from verifier.services.context import App, open_app


@dataclass
class CliContext:
    """Options shared by every sub-command."""

    data_dir: str | None
    database_url: str | None
    analyst: str | None
    _app: App | None = None

    def settings(self) -> Settings:
        return load_settings(self.data_dir, self.database_url, self.analyst)

    def app(self) -> App:
        if self._app is None:
            self._app = open_app(self.settings())
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


class VerifierGroup(click.Group):
    """Turns VerifierError into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VerifierError as exc:
            render.err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)
            sys.exit(1)
        except KeyboardInterrupt as exc:
            render.err.print(interrupted_message(exc), markup=False, highlight=False)
            sys.exit(130)


def interrupted_message(exc: KeyboardInterrupt) -> str:
    """What Ctrl+C left behind, told truthfully.

    Work that knows what became of its current item says so
    (:class:`InterruptedWork`: a file preserved and kept with its analysis
    pending, or a partial copy discarded). Otherwise only the transaction in
    progress was rolled back; a file already preserved stays.
    """
    if isinstance(exc, InterruptedWork):
        return f"interrupted: finished items are kept; {exc.outcome}"
    return (
        "interrupted: finished items are kept; the step in progress was rolled back "
        "(see `verifier clips`: a clip waiting for analysis resumes with "
        "`verifier analyse --pending`)"
    )


pass_cli = click.make_pass_decorator(CliContext)
case_option = click.option(
    "--case", "case_name", metavar="NAME", help="Case to use (default: the current case)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


@click.group(cls=VerifierGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="verifier")
@click.option(
    "--data-dir",
    envvar="VERIFIER_HOME",
    metavar="DIR",
    help="Data folder with the database and evidence store (env VERIFIER_HOME).",
)
@click.option(
    "--database-url",
    envvar="VERIFIER_DATABASE_URL",
    metavar="URL",
    help="SQLAlchemy database URL (env VERIFIER_DATABASE_URL; default SQLite in the data folder).",
)
@click.option(
    "--analyst",
    envvar="VERIFIER_ANALYST",
    metavar="NAME",
    help="Name recorded in the custody log (default: the OS user).",
)
@click.pass_context
def cli(
    ctx: click.Context, data_dir: str | None, database_url: str | None, analyst: str | None
) -> None:
    """Verifier: preserve, analyse and verify video evidence."""
    cli_ctx = CliContext(data_dir, database_url, analyst)
    ctx.obj = cli_ctx
    ctx.call_on_close(cli_ctx.close)
