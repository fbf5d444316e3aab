"""Re-uploads and excerpts: stored relations, a file checked against the library, clusters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.services import cases as case_service
from verifier.services.lookup import clip_id_of


def _segments_text(segments: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"A {s['a_start']:.2f}-{s['a_end']:.2f}s = B {s['b_start']:.2f}-{s['b_end']:.2f}s"
        f" ({s['frames_matched']} frames)"
        for s in segments
    )


def _print_relations(relations: list[dict[str, Any]], title: str, explain: bool) -> None:
    rows = []
    for r in relations:
        t = r["transform"]
        transform = ", ".join(
            x for x in ("mirrored" if t.get("mirrored") else "",
                        f"speed {t['speed']:.3g}" if abs(t.get("speed", 1) - 1) > 1e-3 else "") if x
        )  # fmt: skip
        a, b = r["clip_a"], r["clip_b"]
        rows.append([f"#{a['id']} {a['name']}" if a["id"] else a["name"], f"#{b['id']} {b['name']}",
                     r["relation"], f"{r['score']:.2f}", f"{r.get('offset', 0):+.2f}s",
                     transform or "-", _segments_text(r["segments"])])  # fmt: skip
    render.out.print(
        render.table(
            title,
            ["clip A", "clip B", "relation", "score", "offset (B-A)", "transform", "segments"],
            rows,
        )
    )
    if explain:
        for r in relations:
            render.out.print(f"\n#{r['clip_a']['id']} {r['clip_a']['name']} ~ "
                             f"#{r['clip_b']['id']} {r['clip_b']['name']}: matched frame pairs",
                             markup=False, highlight=False)  # fmt: skip
            for p in r.get("pairs", []):
                line = (
                    f"  A {p['a_seconds']:8.3f}s  B {p['b_seconds']:8.3f}s  "
                    f"PDQ distance {p['pdq_distance']:3d}  pHash distance {p['phash_distance']:2d}"
                )
                render.out.print(line, markup=False, highlight=False)
    if not relations:
        render.out.print("No matches.")


@cli.command("matches")
@case_option
@click.option("--clip", "clip_ref", metavar="CLIP", help="Only the relations of this clip.")
@click.option("--explain", is_flag=True, help="List the matched frame pairs and distances.")
@json_option
@pass_cli
def matches_cmd(
    cli_ctx: CliContext, case_name: str | None, clip_ref: str | None, explain: bool, as_json: bool
) -> None:
    """Re-uploads, excerpts and overlaps found by matching (across all cases)."""
    from verifier.services.matching import list_matches

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name or not clip_ref else None
    clip_id = clip_id_of(app, clip_ref, case) if clip_ref else None
    relations = list_matches(app, case=case, clip_id=clip_id, explain=explain)
    if as_json:
        render.print_json(relations)
    else:
        _print_relations(relations, "Matches", explain)


@cli.command("match")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--explain", is_flag=True, help="List the matched frame pairs and distances.")
@json_option
@pass_cli
def match_cmd(cli_ctx: CliContext, file: Path, explain: bool, as_json: bool) -> None:
    """Check FILE (not imported) against the whole library; nothing is stored."""
    from verifier.services.matching import match_file

    relations = match_file(cli_ctx.app(), file)
    if not explain:
        for r in relations:
            r.pop("pairs", None)
    if as_json:
        render.print_json(relations)
    else:
        _print_relations(relations, f"Matches of {file.name}", explain)


@cli.command("clusters")
@case_option
@json_option
@pass_cli
def clusters_cmd(cli_ctx: CliContext, case_name: str | None, as_json: bool) -> None:
    """Groups of clips that are the same footage."""
    from verifier.services.matching import clusters

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    groups = clusters(app, case)
    if as_json:
        render.print_json(groups)
        return
    for group in groups:
        names = ", ".join(f"#{m['id']} {m['name']}" for m in group["members"])
        render.out.print(
            f"[bold]Cluster {group['cluster']}[/bold] ({len(group['members'])} clips): "
            f"{escape(names)}"
        )
        for r in group["relations"]:
            render.out.print(f"  #{r['clip_a']['id']} {r['relation']} #{r['clip_b']['id']} "
                             f"score {r['score']:.2f} offset {r.get('offset', 0):+.2f}s",
                             markup=False, highlight=False)  # fmt: skip
    if not groups:
        render.out.print("No clusters: no two clips are the same footage.")
