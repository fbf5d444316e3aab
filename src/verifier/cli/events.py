"""`verifier event`: moments an investigator marks on a clip, for the incident's narrative."""

from __future__ import annotations

from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.ids import EventId
from verifier.services import cases as case_service

expected_version_option = click.option(
    "--expected-version", type=click.IntRange(min=1), metavar="N",
    help="Refuse the change if the event was changed since you saw version N "
    "(see `event list --json`).",
)  # fmt: skip


def _say(text: str) -> None:
    render.out.print(text, markup=False, highlight=False)


def event_line(doc: dict[str, Any]) -> str:
    """``#3 clip #2 (drone.mp4) 41.200 s, frame 1236: the prisoners lie face down``."""
    frame = f", frame {doc['frame_index']}" if doc["frame_index"] is not None else ""
    origin = " (accepted candidate)" if doc["origin"] == "candidate-accepted" else ""
    line = (f"#{doc['id']} clip #{doc['clip']['id']} ({doc['clip']['name']}) "
            f"{doc['at_seconds']:.3f} s{frame}: {doc['label']}{origin}")  # fmt: skip
    if doc["note"]:
        line += f"\n    {doc['note']}"
    return line


def _show(rows: list[dict[str, Any]], as_json: bool, empty: str) -> None:
    if as_json:
        render.print_json(rows)
        return
    for row in rows:
        _say(event_line(row))
    if not rows:
        _say(empty)


@cli.group("event")
def event_group() -> None:
    """Moments marked on clips (every change is in the custody log)."""


@event_group.command("add")
@click.argument("clip")
@click.option("--at", "at", metavar="SECONDS", help="Clip time of the moment, e.g. 41.2.")
@click.option("--frame", type=click.IntRange(min=0), metavar="N",
              help="The moment as a frame index instead of --at.")  # fmt: skip
@click.option("--label", required=True, metavar="TEXT", help="What happens at this moment.")
@click.option("--note", default="", metavar="TEXT", help="More detail (goes in the report).")
@case_option
@json_option
@pass_cli
def event_add(cli_ctx: CliContext, clip: str, at: str | None, frame: int | None, label: str,
              note: str, case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Mark a moment of CLIP (give --at SECONDS or --frame N)."""
    from verifier.services.events import add_event

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    done = add_event(app, clip, label=label, at=at, frame=frame, note=note, case=case)
    if as_json:
        render.print_json(done)
        return
    _say("Event added: " + event_line(done))


@event_group.command("list")
@click.argument("clip", required=False)
@case_option
@json_option
@pass_cli
def event_list(cli_ctx: CliContext, clip: str | None, case_name: str | None,
               as_json: bool) -> None:  # fmt: skip
    """Events of CLIP, or of every clip of the case, in clip and time order."""
    from verifier.services.events import list_events

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name or not clip else None
    _show(list_events(app, clip, case), as_json, "No events.")


@event_group.command("edit")
@click.argument("event_id", metavar="ID", type=int)
@click.option("--at", "at", metavar="SECONDS", help="New clip time of the moment.")
@click.option("--frame", type=click.IntRange(min=0), metavar="N", help="New frame index.")
@click.option("--label", metavar="TEXT", help="New label.")
@click.option("--note", metavar="TEXT", help="New note (empty text clears it).")
@expected_version_option
@json_option
@pass_cli
def event_edit(cli_ctx: CliContext, event_id: int, at: str | None, frame: int | None,
               label: str | None, note: str | None, expected_version: int | None,
               as_json: bool) -> None:  # fmt: skip
    """Change event ID; only the options given change."""
    from verifier.services.events import edit_event

    app = cli_ctx.app()
    done = edit_event(app, EventId(event_id), at=at, frame=frame, label=label, note=note,
                      expected_version=expected_version)  # fmt: skip
    if as_json:
        render.print_json(done)
        return
    _say("Event changed: " + event_line(done))


@event_group.command("delete")
@click.argument("event_id", metavar="ID", type=int)
@expected_version_option
@pass_cli
def event_delete(cli_ctx: CliContext, event_id: int, expected_version: int | None) -> None:
    """Delete event ID (the custody log keeps what it said)."""
    from verifier.services.events import delete_event

    delete_event(cli_ctx.app(), EventId(event_id), expected_version=expected_version)
    _say(f"Event #{event_id} deleted.")


@event_group.command("candidates")
@click.argument("clip")
@case_option
@json_option
@pass_cli
def event_candidates_cmd(cli_ctx: CliContext, clip: str, case_name: str | None,
                         as_json: bool) -> None:  # fmt: skip
    """Sudden loud sounds in CLIP's soundtrack, offered as moments to mark. The program
    does not say what they are: accept one with your own label, or ignore it."""
    from verifier.services.events import event_candidates

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    rows = event_candidates(app, clip, case)
    if as_json:
        render.print_json(rows)
        return
    for row in rows:
        frame = f", frame {row['frame_index']}" if row["frame_index"] is not None else ""
        taken = f"  (accepted as event #{row['accepted_as']})" if row["accepted_as"] else ""
        _say(f"{row['time']:.3f} s{frame}: {row['description']}, "
             f"{row['strength_db']:.1f} dB{taken}")  # fmt: skip
    if rows:
        _say(f"Accept one: verifier event accept {clip} --at SECONDS --label TEXT")
    else:
        _say("No sudden loud sounds found.")


@event_group.command("accept")
@click.argument("clip")
@click.option("--at", "at", required=True, metavar="SECONDS",
              help="The candidate's time, as `event candidates` lists it.")  # fmt: skip
@click.option("--label", required=True, metavar="TEXT", help="What happens at this moment.")
@click.option("--note", default="", metavar="TEXT", help="More detail (goes in the report).")
@case_option
@json_option
@pass_cli
def event_accept(cli_ctx: CliContext, clip: str, at: str, label: str, note: str,
                 case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Make a candidate moment of CLIP an event, with your own label."""
    from verifier.services.events import accept_candidate

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    done = accept_candidate(app, clip, at, label=label, note=note, case=case)
    if as_json:
        render.print_json(done)
        return
    _say("Event added: " + event_line(done))
