"""The `verifier` command: a thin layer over the services.

Every command parses and validates its options, opens the application,
calls one service and renders the result. Errors a user can fix are
printed as one line without a traceback, with a non-zero exit status.

This module is the entry point; each topic's commands live in a module of
their own and register themselves on the root group from :mod:`verifier.cli.base`.
"""

from __future__ import annotations

from verifier.cli import (  # noqa: F401  (each module registers its commands)
    analysis,
    annotate,
    cases,
    checks,
    chrono,
    clips,
    custody,
    events,
    geo,
    geolocate,
    importing,
    landmarks,
    links,
    matching,
    provenance,
    sun,
    sync,
    workbench,
)
from verifier.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="verifier")


if __name__ == "__main__":
    main()
