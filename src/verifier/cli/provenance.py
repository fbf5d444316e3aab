"""Where footage was posted: provenance and the appearances an analyst records."""

from __future__ import annotations

from typing import Any

import click

from verifier.cli import render
from verifier.cli.annotate import expected_version_option
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
@click.option("--collected-at", help="When you saved the post (same forms as --posted-at).")
@click.option("--archive-url", help="A web-archive copy of the post (https://web.archive.org/...).")
@case_option
@json_option
@pass_cli
def appearance_add(cli_ctx: CliContext, clip: str, url: str | None, platform: str | None,
                   posted_at: str | None, channel: str | None, caption: str | None,
                   collected_at: str | None, archive_url: str | None,
                   case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Record by hand that CLIP was posted somewhere."""
    from verifier.services.provenance import add_appearance

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = add_appearance(app, clip, case=case, url=url, platform=platform,
                           posted_at=posted_at, channel=channel, caption=caption,
                           collected_at=collected_at, archive_url=archive_url)  # fmt: skip
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
@click.option("--collected-at")
@click.option("--archive-url", help="A web-archive copy of the post; empty to remove it.")
@expected_version_option
@json_option
@pass_cli
def appearance_edit(cli_ctx: CliContext, appearance_id: int, url: str | None,
                    platform: str | None, posted_at: str | None, channel: str | None,
                    caption: str | None, collected_at: str | None, archive_url: str | None,
                    expected_version: int | None, as_json: bool) -> None:  # fmt: skip
    """Correct an appearance (the custody log keeps the old values)."""
    from verifier.services.provenance import edit_appearance

    changed = edit_appearance(cli_ctx.app(), AppearanceId(appearance_id),
                              expected_version=expected_version, url=url,
                              platform=platform, posted_at=posted_at, channel=channel,
                              caption=caption, collected_at=collected_at,
                              archive_url=archive_url)  # fmt: skip
    if as_json:
        render.print_json(changed)
    else:
        render.out.print(f"Appearance #{appearance_id} updated (now version {changed['version']}).")


@appearance_group.command("delete")
@click.argument("appearance_id", type=int)
@expected_version_option
@pass_cli
def appearance_delete(
    cli_ctx: CliContext, appearance_id: int, expected_version: int | None
) -> None:
    """Withdraw an appearance (the custody log keeps what it said)."""
    from verifier.services.provenance import delete_appearance

    delete_appearance(cli_ctx.app(), AppearanceId(appearance_id),
                      expected_version=expected_version)  # fmt: skip
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
    from verifier.services.provenance import post_facts, provenance_for_clip, timeline

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
    names = ", ".join(f"#{c['id']} {c['name']} (case {c['case']})" for c in result.clips)
    rows = []
    for e in result.entries:
        marker = "FIRST SEEN" if e.get("first_seen") else ""
        places = e.get("recorded_in") or [{"clip": e["clip"], "case": e["case"]}]
        clip_text = ", ".join(f"#{p['clip']['id']}" for p in places if p.get("clip"))
        case_text = ", ".join(dict.fromkeys(str(p["case"]["name"]) for p in places))
        facts = post_facts(e)
        rows.append([marker, e["posted_at"] or "unknown", e["posted_at_precision"],
                     e["platform"], facts.where, facts.who, e["url"], clip_text, case_text,
                     e["source"]])  # fmt: skip
    render.out.print(render.table(f"Provenance of {names}",
                                  ["", "posted at (UTC)", "precision", "platform", "where", "who",
                                   "address", "clip", "case", "source"], rows))  # fmt: skip
    for e in result.entries:
        for line in provenance_notes(e):
            render.out.print(f"note: #{e['id']} {line}", markup=False, highlight=False)
    if not result.entries:
        render.out.print("No appearances recorded.")


def provenance_notes(e: dict[str, Any]) -> list[str]:
    """What a reader of one timeline entry must not miss: doubts, warnings, other records."""
    from verifier.services.provenance import post_facts

    facts = post_facts(e)
    lines = []
    if e.get("first_seen_note"):
        lines.append(e["first_seen_note"])
    if e.get("posted_at_method"):
        lines.append(f"posted at {facts.when}")
    lines.extend(f"warning: {note}" for note in facts.notes)
    if e.get("forwarded_from"):
        original = e.get("forwarded_original_at") or "time unknown"
        lines.append(
            f"was forwarded from {e['forwarded_from']} (original post: {original}); "
            "that post may be earlier"
        )
    places = e.get("recorded_in") or []
    if len(places) > 1:
        lines.append(
            "the same post is recorded in "
            + "; ".join(
                f"case {p['case']['name']} (appearance #{p['appearance_id']}"
                + (f", clip #{p['clip']['id']} {p['clip']['name']})" if p.get("clip") else ")")
                for p in places
            )
        )
    if e.get("record_note"):
        lines.append(e["record_note"])
    return lines


@cli.command("posts")
@click.option(
    "--unavailable", is_flag=True, help="Only posts whose media was not downloaded (to fetch)."
)
@case_option
@json_option
@pass_cli
def posts_cmd(cli_ctx: CliContext, unavailable: bool, case_name: str | None,
              as_json: bool) -> None:  # fmt: skip
    """Every post recorded in the case, earliest first, with its clip or none."""
    from verifier.services.provenance import list_posts, post_facts

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    posts = list_posts(app, case, unavailable=unavailable)
    if as_json:
        render.print_json(posts)
        return
    what = "Posts whose media was not downloaded" if unavailable else "Posts"
    if not posts:
        render.out.print(f"{what}: none recorded in case {case.name!r}.")
        return
    render.out.print(f"{what} in case {case.name!r} ({len(posts)}), earliest first",
                     markup=False, highlight=False)  # fmt: skip
    for post in posts:
        facts = post_facts(post)
        clip = post["clip"]
        lines = [
            ("clip", f"#{clip['id']} {clip['name']}" if clip else "media not downloaded"),
            ("posted at", facts.when),
            ("platform", post["platform"]),
            ("address", post["url"] or "none recorded"),
            ("where", facts.where),
            ("who", facts.who),
            *(("warning", note) for note in facts.notes),
        ]
        render.out.print(f"\npost #{post['id']}", markup=False, highlight=False)
        for label, value in lines:
            render.out.print(f"  {label:<10} {value}", markup=False, highlight=False)
