"""Where footage was posted: provenance and the appearances an analyst records."""

from __future__ import annotations

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.errors import VerifierError
from verifier.ids import AppearanceId
from verifier.services import cases as case_service


@cli.group("appearance")
def appearance_group() -> None:
    """Record, correct or withdraw where a clip was posted."""


@appearance_group.command("add")
@click.argument("clip")
@click.option("--url", help="Address of the post.")
@click.option("--platform", help="telegram, youtube, x, tiktok... (guessed from the URL).")
@click.option("--posted-at", help="2025-03-13T09:41:00Z, 2025-03-13T11:41:00+02:00 or 2025-03-13.")
@click.option("--channel", help="Channel or account that posted it.")
@click.option("--caption", help="Text of the post.")
@case_option
@json_option
@pass_cli
def appearance_add(cli_ctx: CliContext, clip: str, url: str | None, platform: str | None,
                   posted_at: str | None, channel: str | None, caption: str | None,
                   case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Record by hand that CLIP was posted somewhere."""
    from verifier.services.provenance import add_appearance

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = add_appearance(app, clip, case=case, url=url, platform=platform,
                           posted_at=posted_at, channel=channel, caption=caption)  # fmt: skip
    if as_json:
        render.print_json(added)
        return
    render.out.print(f"Appearance #{added['id']} recorded for clip #{added['clip']['id']}.")
    method = added.get("posted_at_method") or ""
    if method.startswith("post id"):
        render.out.print(
            f"Posted at {added['posted_at']} (UTC, to the {added['posted_at_precision']}), "
            f"read from the {method}.",
            markup=False,
            highlight=False,
        )
    elif added.get("id_posted_at"):
        render.out.print(
            f"The post id encodes {added['id_posted_at']} (UTC, to the "
            f"{added['id_posted_at_precision']}).",
            markup=False,
            highlight=False,
        )
    for warning in added.get("warnings") or ():
        render.err.print(f"warning: {warning}", markup=False, highlight=False)


@appearance_group.command("edit")
@click.argument("appearance_id", type=int)
@click.option("--url")
@click.option("--platform")
@click.option("--posted-at")
@click.option("--channel")
@click.option("--caption")
@json_option
@pass_cli
def appearance_edit(cli_ctx: CliContext, appearance_id: int, url: str | None,
                    platform: str | None, posted_at: str | None, channel: str | None,
                    caption: str | None, as_json: bool) -> None:  # fmt: skip
    """Correct an appearance (the custody log keeps the old values)."""
    from verifier.services.provenance import edit_appearance

    changed = edit_appearance(cli_ctx.app(), AppearanceId(appearance_id), url=url,
                              platform=platform, posted_at=posted_at, channel=channel,
                              caption=caption)  # fmt: skip
    if as_json:
        render.print_json(changed)
    else:
        render.out.print(f"Appearance #{appearance_id} updated.")


@appearance_group.command("delete")
@click.argument("appearance_id", type=int)
@pass_cli
def appearance_delete(cli_ctx: CliContext, appearance_id: int) -> None:
    """Withdraw an appearance (the custody log keeps what it said)."""
    from verifier.services.provenance import delete_appearance

    delete_appearance(cli_ctx.app(), AppearanceId(appearance_id))
    render.out.print(f"Appearance #{appearance_id} deleted.")


@cli.command("provenance")
@click.argument("clip", required=False)
@click.option("--cluster", type=int, help="A group from `verifier clusters`.")
@case_option
@json_option
@pass_cli
def provenance_cmd(cli_ctx: CliContext, clip: str | None, cluster: int | None,
                   case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Every appearance of CLIP and of the clips matched to it, earliest first."""
    from verifier.services.matching import clusters
    from verifier.services.provenance import provenance_for_clip, timeline

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    if (clip is None) == (cluster is None):
        raise click.UsageError("name a CLIP or pass --cluster N")
    if cluster is not None:
        groups = {g["cluster"]: g for g in clusters(app, case)}
        if cluster not in groups:
            raise VerifierError(f"no cluster {cluster}; see `verifier clusters`")
        result = timeline(app, [m["id"] for m in groups[cluster]["members"]])
    else:
        assert clip is not None
        result = provenance_for_clip(app, clip, case)
    if as_json:
        render.print_json(result.to_json())
        return
    names = ", ".join(f"#{c['id']} {c['name']}" for c in result.clips)
    rows = []
    for e in result.entries:
        marker = "FIRST SEEN" if e.get("first_seen") else ""
        rows.append([marker, e["posted_at"] or "unknown", e["posted_at_precision"],
                     e["platform"], e["channel"], e["url"], f"#{e['clip']['id']}",
                     e["source"]])  # fmt: skip
    render.out.print(render.table(f"Provenance of {names}",
                                  ["", "posted at (UTC)", "precision", "platform", "channel",
                                   "address", "clip", "source"], rows))  # fmt: skip
    for e in result.entries:
        if e.get("first_seen_note"):
            render.out.print(f"note: {e['first_seen_note']}", markup=False, highlight=False)
        if e.get("forwarded_from"):
            original = e.get("forwarded_original_at") or "time unknown"
            render.out.print(
                f"note: #{e['id']} was forwarded from {e['forwarded_from']} (original post: "
                f"{original}); that post may be earlier",
                markup=False,
                highlight=False,
            )
    if not result.entries:
        render.out.print("No appearances recorded.")
