"""`verifier link` and `verifier incidents`: corroboration between clips, and the
incidents (groups of clips showing one event) that the links make."""

from __future__ import annotations

from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.ids import LinkId
from verifier.services import cases as case_service

TYPE_HELP = (
    "same-incident, same-location, continuation (B picks up where A stops), re-upload, "
    "excerpt (A is an excerpt of B), contradicts or aligned."
)
expected_version_option = click.option(
    "--expected-version", type=click.IntRange(min=1), metavar="N",
    help="Refuse the change if the item was changed since you saw version N "
    "(see `list --json`).",
)  # fmt: skip


def _say(text: str) -> None:
    render.out.print(text, markup=False, highlight=False)


def link_line(link: dict[str, Any]) -> str:
    """One link in a line: id, type, the clips, status, offset, rationale."""
    arrow = "→" if link["directional"] else "↔"
    a, b = link["clip_a"], link["clip_b"]
    parts = [
        f"#{link['id']} {link['type']}",
        f"clip #{a['id']} ({a['name']}) {arrow} clip #{b['id']} ({b['name']})",
        f"{link['status']} ({link['origin']})",
    ]
    if link["type"] != link["relation"]:
        parts.append(f"match: {link['relation']}")
    if link["confidence"]:
        parts.append(f"confidence {link['confidence']}")
    if link["offset"] is not None:
        parts.append(f"b = a {float(link['offset']):+.3f} s")
    line = "  ".join(parts)
    if link["rationale"]:
        line += f"\n    {link['rationale']}"
    return line


@cli.group("link")
def link_group() -> None:
    """Typed links between two clips (every change is in the custody log)."""


@link_group.command("add")
@click.argument("a")
@click.argument("b")
@click.option("--type", "link_type", required=True, metavar="T", help=TYPE_HELP)
@click.option("--offset", type=float, metavar="S",
              help="Time offset in seconds: b_time = a_time + S.")  # fmt: skip
@click.option("--confidence", metavar="C", help="confirmed, probable or possible.")
@click.option("--rationale", required=True, help="Why the clips are linked (goes in the report).")
@click.option("--annotation", "annotations", type=int, multiple=True, metavar="ID",
              help="An annotation on A or B that supports the link (repeatable).")  # fmt: skip
@click.option("--figure", "figures", type=int, multiple=True, metavar="FILE_ID",
              help="A stored landmark figure that supports the link (repeatable).")  # fmt: skip
@case_option
@json_option
@pass_cli
def link_add(cli_ctx: CliContext, a: str, b: str, link_type: str, offset: float | None,
             confidence: str | None, rationale: str, annotations: tuple[int, ...],
             figures: tuple[int, ...], case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Link clip A to clip B (ids or SHA-256 prefixes)."""
    from verifier.services.links import add_link

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    evidence = {"annotations": list(annotations), "figures": list(figures)}
    added = add_link(app, a, b, link_type, rationale, offset=offset, confidence=confidence,
                     evidence=evidence, case=case)  # fmt: skip
    if as_json:
        render.print_json(added)
    else:
        _say(f"Link added: {link_line(added)}")


@link_group.command("list")
@click.option("--clip", metavar="CLIP", help="Only the links of this clip.")
@case_option
@json_option
@pass_cli
def link_list(cli_ctx: CliContext, clip: str | None, case_name: str | None, as_json: bool) -> None:
    """The links of a case (default: the current one) or of one clip."""
    from verifier.services.links import list_links

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    rows = list_links(app, case=case, clip_ref=clip)
    if as_json:
        render.print_json(rows)
        return
    for row in rows:
        _say(link_line(row))
    if not rows:
        _say("No links.")


def _decide(cli_ctx: CliContext, link_id: int, expected_version: int | None, verb: str) -> None:
    from verifier.services.links import confirm_link, reject_link

    action = confirm_link if verb == "confirmed" else reject_link
    done = action(cli_ctx.app(), LinkId(link_id), expected_version=expected_version)
    _say(f"Link #{link_id} {verb}: {link_line(done)}")


@link_group.command("confirm")
@click.argument("link_id", type=int)
@expected_version_option
@pass_cli
def link_confirm(cli_ctx: CliContext, link_id: int, expected_version: int | None) -> None:
    """Confirm a link (a matching proposal becomes a finding)."""
    _decide(cli_ctx, link_id, expected_version, "confirmed")


@link_group.command("reject")
@click.argument("link_id", type=int)
@expected_version_option
@pass_cli
def link_reject(cli_ctx: CliContext, link_id: int, expected_version: int | None) -> None:
    """Reject a link (a rejected automatic link stays rejected when matching runs again)."""
    _decide(cli_ctx, link_id, expected_version, "rejected")


@link_group.command("delete")
@click.argument("link_id", type=int)
@expected_version_option
@pass_cli
def link_delete(cli_ctx: CliContext, link_id: int, expected_version: int | None) -> None:
    """Withdraw a link (the custody log keeps what it said)."""
    from verifier.services.links import delete_link

    delete_link(cli_ctx.app(), LinkId(link_id), expected_version=expected_version)
    _say(f"Link #{link_id} deleted.")


@cli.command("incidents")
@case_option
@json_option
@pass_cli
def incidents_cmd(cli_ctx: CliContext, case_name: str | None, as_json: bool) -> None:
    """Groups of clips joined by same-incident, continuation or confirmed re-upload links."""
    from verifier.services.incidents import list_incidents

    app = cli_ctx.app()
    listing = list_incidents(app, case_service.resolve_case(app, case_name))
    if as_json:
        render.print_json(listing)
        return
    for doc in listing["incidents"]:
        title = doc["name"] or f"unnamed (name it: verifier incident name {doc['ref']} TEXT)"
        head = f"Incident {doc['ref']}: {title}" if doc["id"] else f"Incident: {title}"
        _say(head)
        if doc["description"]:
            _say(f"  {doc['description']}")
        for clip in doc["clips"]:
            _say(f"  clip #{clip['id']} {clip['name']} ({clip['sha256'][:12]})")
        for link in doc["links"]:
            _say("  " + link_line(link).replace("\n", "\n  "))
    if not listing["incidents"]:
        _say("No incidents: no clips are joined by same-incident, continuation or confirmed "
             "re-upload links.")  # fmt: skip
    for warning in listing["warnings"]:
        render.err.print(f"warning: {warning['message']}", markup=False, highlight=False)


@cli.group("incident")
def incident_group() -> None:
    """Name and describe incidents (see `verifier incidents`)."""


@incident_group.command("name")
@click.argument("ref", metavar="ID")
@click.argument("name", metavar="TEXT")
@click.option("--description", help="What happened, in a sentence or two.")
@expected_version_option
@case_option
@pass_cli
def incident_name(cli_ctx: CliContext, ref: str, name: str, description: str | None,
                  expected_version: int | None, case_name: str | None) -> None:  # fmt: skip
    """Name incident ID (its id, or clip:N for an unnamed one, as `incidents` shows)."""
    from verifier.services.incidents import name_incident

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    done = name_incident(app, ref, name, description=description, case=case,
                         expected_version=expected_version)  # fmt: skip
    _say(f"Incident #{done['id']} is named {done['name']!r} "
         f"({len(done['clip_ids'])} clips).")  # fmt: skip


@incident_group.command("describe")
@click.argument("ref", metavar="ID")
@click.argument("description", metavar="TEXT")
@expected_version_option
@case_option
@pass_cli
def incident_describe(cli_ctx: CliContext, ref: str, description: str,
                      expected_version: int | None, case_name: str | None) -> None:  # fmt: skip
    """Describe a named incident."""
    from verifier.services.incidents import describe_incident

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    done = describe_incident(app, ref, description, case=case, expected_version=expected_version)
    _say(f"Incident #{done['id']} described.")
