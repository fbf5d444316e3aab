"""`verifier chrono`: time findings (when a clip was filmed), in UTC and local time."""

from __future__ import annotations

from typing import Any

import click

from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.cli.findings import (
    expected_version_option_for,
    say,
    show_findings,
    supporting_options,
)
from verifier.errors import VerifierError
from verifier.ids import ChronolocationId
from verifier.services import cases as case_service

CONFIDENCE_HELP = "confirmed, probable, possible or rejected."
METHOD_HELP = (
    "file-metadata, first-appearance, sun-position-and-shadows, weather, visible-events or other."
)
TIME_HELP = (
    "ISO 8601 with an offset or Z (2025-03-30T14:05Z, 2025-03-30T17:05+03:00); "
    "a time without an offset needs --local."
)
LOCAL_HELP = (
    "Read times without an offset as wall-clock time at the clip's location "
    "(the zone of its best geolocation finding); refused on a time a clock change "
    "skipped or repeated."
)
expected_version_option = expected_version_option_for("chrono list --json")


def end_text(doc: dict[str, Any], end: str) -> str:
    """One end of a window: UTC, then local time with its offset and abbreviation."""
    value = doc[end]
    if value is None:
        return "open"
    text = value.replace("+00:00", "Z")
    local = doc.get(f"{end}_local")
    if local:
        text += f" = {local['time']} {local['abbreviation']}"
    return text


def finding_lines(doc: dict[str, Any]) -> list[str]:
    """A finding as a person reads it: the window both ways, how sure, why."""
    status = "" if doc["status"] == "confirmed" else f" [{doc['status']}]"
    lines = [
        f"#{doc['id']} clip #{doc['clip_id']} ({doc['clip_name']}){status}",
        f"    from {end_text(doc, 'earliest')}",
        f"    to   {end_text(doc, 'latest')}",
        f"    local time: {doc['zone_text']}",
        f"    {doc['confidence']}, {doc['method']}; by {doc['created_by']}",
    ]
    if doc["zone_note"]:
        lines.append(f"    zone: {doc['zone_note']}")
    if doc["reasoning"]:
        lines.append(f"    {doc['reasoning']}")
    if doc["frames"]:
        lines.append("    frames: " + ", ".join(str(f) for f in doc["frames"]))
    if doc["annotations"]:
        lines.append("    annotations: " + ", ".join(f"#{a}" for a in doc["annotations"]))
    return lines


@cli.group("chrono")
def chrono_group() -> None:
    """Time findings: when clips were filmed (every change is in the custody log)."""


@chrono_group.command("add")
@click.argument("clip")
@click.option("--from", "earliest", metavar="T", help="Earliest moment. " + TIME_HELP)
@click.option("--to", "latest", metavar="T", help="Latest moment. " + TIME_HELP)
@click.option("--confidence", required=True, metavar="C", help=CONFIDENCE_HELP)
@click.option("--method", required=True, metavar="M", help=METHOD_HELP)
@click.option("--reasoning", required=True, help="How the time was found (goes in the report).")
@supporting_options(replace=False)
@click.option("--local", is_flag=True, help=LOCAL_HELP)
@case_option
@json_option
@pass_cli
def chrono_add(cli_ctx: CliContext, clip: str, earliest: str | None, latest: str | None,
               confidence: str, method: str, reasoning: str, frames: tuple[int, ...],
               annotations: tuple[int, ...], local: bool, case_name: str | None,
               as_json: bool) -> None:  # fmt: skip
    """Record when CLIP was filmed: a window (either end may be left open)."""
    from verifier.services.chronolocation import add_chronolocation

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = add_chronolocation(app, clip, earliest=earliest, latest=latest,
                               confidence=confidence, method=method, reasoning=reasoning,
                               frames=frames, annotations=annotations, local=local,
                               case=case)  # fmt: skip
    show_findings([added], as_json, finding_lines, title="Time finding added:")


@chrono_group.command("list")
@click.argument("clip", required=False)
@case_option
@json_option
@pass_cli
def chrono_list(cli_ctx: CliContext, clip: str | None, case_name: str | None,
                as_json: bool) -> None:  # fmt: skip
    """Time findings of CLIP, or of every clip of the case, in UTC and local time."""
    from verifier.services.chronolocation import list_chronolocations

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name or not clip else None
    show_findings(list_chronolocations(app, clip, case), as_json, finding_lines,
                  empty="No time findings.")  # fmt: skip


@chrono_group.command("propose")
@click.argument("clip", required=False)
@case_option
@json_option
@pass_cli
def chrono_propose(cli_ctx: CliContext, clip: str | None, case_name: str | None,
                   as_json: bool) -> None:  # fmt: skip
    """Propose time findings from first appearances and metadata creation times (of CLIP,
    or every clip of the case). Safe to repeat: nothing is proposed twice, and a rejected
    proposal stays rejected. Import, analysis and new appearances do this by themselves."""
    from verifier.services.chronolocation import propose_for

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name or not clip else None
    show_findings(propose_for(app, clip, case), as_json, finding_lines,
                  empty="Nothing new to propose.", title="Proposed:")  # fmt: skip


@chrono_group.command("edit")
@click.argument("finding_id", type=int)
@click.option("--from", "earliest", metavar="T", help="New earliest moment. " + TIME_HELP)
@click.option("--to", "latest", metavar="T", help="New latest moment. " + TIME_HELP)
@click.option("--open-from", is_flag=True, help="Leave the earliest end open.")
@click.option("--open-to", is_flag=True, help="Leave the latest end open.")
@click.option("--confidence", metavar="C", help=CONFIDENCE_HELP)
@click.option("--method", metavar="M", help=METHOD_HELP)
@click.option("--reasoning", help="New reasoning.")
@supporting_options(replace=True)
@click.option("--local", is_flag=True, help=LOCAL_HELP)
@expected_version_option
@json_option
@pass_cli
def chrono_edit(cli_ctx: CliContext, finding_id: int, earliest: str | None, latest: str | None,
                open_from: bool, open_to: bool, confidence: str | None, method: str | None,
                reasoning: str | None, frames: tuple[int, ...], annotations: tuple[int, ...],
                local: bool, expected_version: int | None, as_json: bool) -> None:  # fmt: skip
    """Change a time finding (the custody log keeps the old values)."""
    from verifier.services.chronolocation import KEEP, edit_chronolocation

    if open_from and earliest is not None:
        raise VerifierError("--open-from: give either --from T or --open-from, not both")
    if open_to and latest is not None:
        raise VerifierError("--open-to: give either --to T or --open-to, not both")
    given = [earliest, latest, confidence, method, reasoning]
    if all(v is None for v in given) and not (frames or annotations or open_from or open_to):
        raise VerifierError(
            "nothing to change: give --from, --to, --open-from, --open-to, --confidence, "
            "--method, --reasoning, --frame or --annotation"
        )
    start = None if open_from else (KEEP if earliest is None else earliest)
    end = None if open_to else (KEEP if latest is None else latest)
    changed = edit_chronolocation(cli_ctx.app(), ChronolocationId(finding_id),
                                  expected_version=expected_version, earliest=start, latest=end,
                                  confidence=confidence, method=method, reasoning=reasoning,
                                  frames=frames or None, annotations=annotations or None,
                                  local=local)  # fmt: skip
    title = f"Time finding #{finding_id} updated (now version {changed['version']}):"
    show_findings([changed], as_json, finding_lines, title=title)


@chrono_group.command("confirm")
@click.argument("finding_id", type=int)
@click.option("--confidence", metavar="C", help="Also set the confidence: " + CONFIDENCE_HELP)
@expected_version_option
@pass_cli
def chrono_confirm(cli_ctx: CliContext, finding_id: int, confidence: str | None,
                   expected_version: int | None) -> None:  # fmt: skip
    """Confirm a time finding (a proposal becomes your finding)."""
    from verifier.services.chronolocation import confirm_chronolocation

    done = confirm_chronolocation(cli_ctx.app(), ChronolocationId(finding_id),
                                  expected_version=expected_version,
                                  confidence=confidence)  # fmt: skip
    say(f"Time finding #{finding_id} confirmed ({done['confidence']}).")


@chrono_group.command("reject")
@click.argument("finding_id", type=int)
@expected_version_option
@pass_cli
def chrono_reject(cli_ctx: CliContext, finding_id: int, expected_version: int | None) -> None:
    """Reject a time finding (it stays on record as rejected and is not proposed again)."""
    from verifier.services.chronolocation import reject_chronolocation

    reject_chronolocation(cli_ctx.app(), ChronolocationId(finding_id),
                          expected_version=expected_version)  # fmt: skip
    say(f"Time finding #{finding_id} rejected.")


@chrono_group.command("delete")
@click.argument("finding_id", type=int)
@expected_version_option
@pass_cli
def chrono_delete(cli_ctx: CliContext, finding_id: int, expected_version: int | None) -> None:
    """Withdraw a time finding (the custody log keeps what it said)."""
    from verifier.services.chronolocation import delete_chronolocation

    delete_chronolocation(cli_ctx.app(), ChronolocationId(finding_id),
                          expected_version=expected_version)  # fmt: skip
    say(f"Time finding #{finding_id} deleted.")
