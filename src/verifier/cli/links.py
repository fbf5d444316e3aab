"""`verifier link` and `verifier incidents`: corroboration between clips, and the
incidents (groups of clips showing one event) that the links make."""

from __future__ import annotations

from pathlib import Path
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


def _clock_lines(clock: dict[str, Any]) -> list[str]:
    """The incident clock as text: lanes, cuts, gaps, overlaps, absolute time, warnings."""
    from verifier.services.incident_clock import clock_time_text as t

    inc = clock["incident"]
    lines = [f"Incident {inc['ref']}: {inc['name'] or 'unnamed'} "
             f"({t(clock['length'])} on the incident clock)"]  # fmt: skip
    absolute = clock["absolute"]
    if absolute is not None:
        zone = absolute["zone"]["name"] if absolute["zone"] else "no location: UTC only"
        lines.append(f"  0 s on the clock: {absolute['zero_earliest_utc'] or 'open'} to "
                     f"{absolute['zero_latest_utc'] or 'open'} UTC ({zone})")  # fmt: skip
        for side in ("earliest", "latest"):
            local = absolute[f"zero_{side}_local"]
            if local:
                lines.append(f"    {side} local: {local['time']} {local['abbreviation']}")
    for c in clock["clips"]:
        pad = "  " + "  " * c["depth"] + ("↳ " if c["depth"] else "")
        ref = " (reference)" if c["reference"] else ""
        under = f", under clip #{c['parent']}" if c["parent"] else ""
        lines.append(f"{pad}clip #{c['clip']['id']} {c['clip']['name']}: "
                     f"{t(c['start'])} – {t(c['end'])}{ref}{under}")  # fmt: skip
        if c["cuts"]:
            cuts = ", ".join(f"{t(k['clock_seconds'])} ({k['kind']}, frame {k['frame_index']})"
                             for k in c["cuts"])  # fmt: skip
            lines.append(f"{pad}  edit points: {cuts}")
    for gap in clock["gaps"]:
        lines.append(f"  gap: {t(gap['start'])} – {t(gap['end'])} ({gap['duration']:.3f} s, "
                     "no clip covers it)")  # fmt: skip
    for o in clock["overlaps"]:
        a, b = o["clips"]
        lines.append(f"  overlap: clips #{a} and #{b}, {t(o['start'])} – {t(o['end'])}")
    for p in clock["not_placed"]:
        lines.append(f"  not placed: clip #{p['clip']['id']} {p['clip']['name']}: {p['reason']}")
    return lines


@incident_group.command("timeline")
@click.argument("ref", metavar="ID")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FIGURE", help="Also draw the timeline to FIGURE.png or FIGURE.svg "
              "(stored in the evidence store with a custody event).")  # fmt: skip
@case_option
@json_option
@pass_cli
def incident_timeline(cli_ctx: CliContext, ref: str, out_path: Path | None,
                      case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Every clip of incident ID on one clock: spans, edit points, gaps, overlaps."""
    from verifier.services.incident_clock import incident_clock
    from verifier.services.incident_figure import store_timeline

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    stored = None
    if out_path is not None:
        stored = store_timeline(app, ref, out_path, case=case)
        clock = stored.clock
    else:
        clock = incident_clock(app, ref, case)
    if as_json:
        doc = dict(clock)
        if stored is not None:
            doc["figure"] = {"file_id": stored.file_id, "sha256": stored.sha256,
                             "format": stored.format, "path": str(stored.out_path)}  # fmt: skip
        render.print_json(doc)
    else:
        for line in _clock_lines(clock):
            _say(line)
        if stored is not None:
            _say(f"Figure written to {stored.out_path} and stored as file #{stored.file_id} "
                 f"(SHA-256 {stored.sha256}).")  # fmt: skip
    for warning in clock["warnings"]:
        render.err.print(f"warning: {warning['message']}", markup=False, highlight=False)


@incident_group.command("events")
@click.argument("ref", metavar="ID")
@case_option
@json_option
@pass_cli
def incident_events_cmd(cli_ctx: CliContext, ref: str, case_name: str | None,
                        as_json: bool) -> None:  # fmt: skip
    """The events of incident ID in order on its clock, with the other clips that show
    the same moment ("clip #1 00:41.2 = clip #2 00:12.9")."""
    from verifier.services.incident_clock import incident_events

    app = cli_ctx.app()
    listing = incident_events(app, ref, case_service.resolve_case(app, case_name))
    if as_json:
        render.print_json(listing)
        return
    for e in listing["events"]:
        when = e["clock_text"] or "not placed"
        frame = f", frame {e['frame_index']}" if e["frame_index"] is not None else ""
        _say(f"{when}  {e['label']}  (event #{e['id']}: clip #{e['clip']['id']}{frame})")
        _say(f"    {e['cross_reference']}")
        if e["note"]:
            _say(f"    {e['note']}")
    if not listing["events"]:
        _say("No events on the clips of this incident (verifier event add CLIP --at S "
             "--label TEXT).")  # fmt: skip
