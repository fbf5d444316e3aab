"""The `verifier` command: a thin layer over the services.

Every command parses and validates its options, opens the application,
calls one service and renders the result. Errors a user can fix are
printed as one line without a traceback, with a non-zero exit status.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from verifier import __version__
from verifier.cli import render
from verifier.config import Settings, load_settings
from verifier.errors import VerifierError
from verifier.services import cases as case_service
from verifier.services import clips as clip_service
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
        except KeyboardInterrupt:
            # Work in progress was rolled back; what was committed stays intact.
            render.err.print("interrupted: finished items are kept, the current one was discarded")
            sys.exit(130)


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


# -- cases ---------------------------------------------------------------------
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


# -- import ----------------------------------------------------------------------
@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@case_option
@click.option("--analyst", "analyst", metavar="NAME", help="Name recorded in the custody log.")
@click.option(
    "--no-analyse", is_flag=True, help="Preserve only; analyse later with `verifier analyse`."
)
@json_option
@pass_cli
def import_cmd(
    cli_ctx: CliContext,
    paths: tuple[Path, ...],
    case_name: str | None,
    analyst: str | None,
    no_analyse: bool,
    as_json: bool,
) -> None:
    """Import files and folders (recursively) into a case."""
    from verifier.services.importing import import_paths

    if analyst:
        cli_ctx.analyst = analyst
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    with render.progress_bar(not as_json) as callback:
        report = import_paths(app, paths, case, analyse=not no_analyse, progress=callback)
    if as_json:
        render.print_json(report.to_json())
    else:
        _print_import_report(report)
    if report.failed or report.cancelled:
        sys.exit(1)


def _print_import_report(report: Any) -> None:
    rows = []
    for item in report.items:
        detail = (
            item.reason
            or "; ".join(item.warnings)
            or (
                "new in store"
                if item.new_in_store
                else ("stored earlier" if item.status == "imported" else "")
            )
        )
        rows.append(
            [
                item.status,
                Path(item.path).name,
                item.clip_id,
                (item.sha256 or "")[:12],
                render.human_size(item.size),
                item.analysis_status,
                detail,
            ]
        )
    render.out.print(
        render.table(
            f"Import into case {report.case!r}",
            ["status", "file", "clip", "sha256", "size", "analysis", "detail"],
            rows,
        )
    )
    for item in report.items:
        if item.status == "failed":
            render.err.print(f"error: {item.path}: {item.reason}", markup=False, highlight=False)
        for warning in item.warnings:
            render.err.print(f"warning: {item.path}: {warning}", markup=False, highlight=False)
    render.out.print(
        f"{report.count('imported')} imported, {report.count('already-present')} already present, "
        f"{report.count('failed')} failed, {report.count('skipped')} skipped"
        + (" (cancelled)" if report.cancelled else "")
    )


# -- clips -------------------------------------------------------------------------
@cli.command("clips")
@case_option
@json_option
@pass_cli
def clips_cmd(cli_ctx: CliContext, case_name: str | None, as_json: bool) -> None:
    """List the clips of a case."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    rows = clip_service.list_clips(app, case)
    if as_json:
        render.print_json(rows)
        return
    table_rows = [
        [
            r["id"],
            r["name"],
            r["sha256"][:12],
            r["kind"],
            render.human_duration(r["duration"]),
            f"{r['width']}x{r['height']}" if r["width"] else "-",
            r["analysis_status"],
            r["appearances"],
        ]
        for r in rows
    ]
    render.out.print(
        render.table(
            f"Clips in case {case.name!r}",
            ["id", "name", "sha256", "kind", "duration", "size", "analysis", "appearances"],
            table_rows,
        )
    )


@cli.command("show")
@click.argument("clip")
@case_option
@json_option
@pass_cli
def show_cmd(cli_ctx: CliContext, clip: str, case_name: str | None, as_json: bool) -> None:
    """Everything known about CLIP (an id or a unique SHA-256 prefix)."""
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    data = clip_service.describe_clip(app, clip, case)
    if as_json:
        render.print_json(data)
    else:
        from verifier.cli.show import print_clip

        print_clip(data)


# -- analysis ------------------------------------------------------------------------
@cli.command("analyse")
@click.argument("clips", nargs=-1)
@click.option("--all", "all_clips", is_flag=True, help="Re-analyse every clip of the case.")
@case_option
@json_option
@pass_cli
def analyse_cmd(
    cli_ctx: CliContext,
    clips: tuple[str, ...],
    all_clips: bool,
    case_name: str | None,
    as_json: bool,
) -> None:
    """(Re-)run analysis on CLIP(s), or on --all clips of the case."""
    from verifier.services.analysis import analyse_clip

    if not clips and not all_clips:
        raise click.UsageError("name at least one CLIP or pass --all")
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if (all_clips or case_name) else None
    if all_clips:
        assert case is not None
        ids = [row["id"] for row in clip_service.list_clips(app, case)]
    else:
        with app.db.read() as session:
            ids = [clip_service.find_clip(session, ref, case).id for ref in clips]
    from verifier.services.matching import match_clip

    results = []
    with render.progress_bar(not as_json) as callback:
        for clip_id in ids:
            result = analyse_clip(app, clip_id, progress=callback)
            if result.status != "failed":
                match_clip(app, clip_id)
            results.append(result)
    if as_json:
        render.print_json([r.__dict__ for r in results])
    else:
        rows = [
            [
                r.clip_id,
                r.status,
                r.keyframes,
                r.cuts,
                r.hashed_frames,
                r.error or "; ".join(r.warnings),
            ]
            for r in results
        ]
        render.out.print(
            render.table(
                "Analysis",
                ["clip", "status", "keyframes", "shot boundaries", "hashed frames", "detail"],
                rows,
            )
        )
    if any(r.status == "failed" for r in results):
        sys.exit(1)


@cli.command("keyframes")
@click.argument("clip")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the PNG files.",
)
@case_option
@json_option
@pass_cli
def keyframes_cmd(
    cli_ctx: CliContext, clip: str, out_dir: Path, case_name: str | None, as_json: bool
) -> None:
    """Export CLIP's keyframes as full-resolution PNGs for reverse image search."""
    from verifier.services.keyframes import export_keyframes

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    exported = export_keyframes(app, clip, out_dir, case)
    if as_json:
        render.print_json(
            [
                {
                    "path": str(e.path),
                    "frame_index": e.frame_index,
                    "seconds": e.seconds,
                    "reason": e.reason,
                    "sha256": e.sha256,
                }
                for e in exported
            ]
        )
        return
    for e in exported:
        render.out.print(f"{e.path}  sha256 {e.sha256}", markup=False, highlight=False)
    render.out.print(f"{len(exported)} keyframe(s) written to {out_dir}")


@cli.command("frame")
@click.argument("clip")
@click.option("--frame", "frame_index", type=int, metavar="N", help="Frame index (0 = first).")
@click.option(
    "--at", "at_seconds", metavar="SECONDS", help="The frame shown at this clip-relative time."
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(path_type=Path),
    help="PNG file to write (a copy is also kept in the evidence store).",
)
@click.option(
    "--enhance",
    "spec",
    metavar="SPEC",
    help="View enhancement, e.g. brightness=0.2,contrast=1.3,gamma=1.4,sharpen=1,greyscale,invert"
    " (logged and written into the PNG).",
)
@case_option
@json_option
@pass_cli
def frame_cmd(cli_ctx: CliContext, clip: str, frame_index: int | None, at_seconds: str | None,
              out_path: Path, spec: str | None, case_name: str | None,
              as_json: bool) -> None:  # fmt: skip
    """Export one frame of CLIP, full resolution and upright, as PNG."""
    from verifier.media.enhance import parse_enhancement
    from verifier.services.frames import export_frame, frame_index_at

    if (frame_index is None) == (at_seconds is None):
        raise click.UsageError("give either --frame N or --at SECONDS")
    enhancement = parse_enhancement(spec) if spec is not None else None
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    if frame_index is None:
        assert at_seconds is not None
        frame_index = frame_index_at(app, clip, at_seconds, case)
    exported = export_frame(app, clip, frame_index, out_path, enhancement, case)
    if as_json:
        render.print_json(exported.to_json())
        return
    when = render.human_duration(exported.seconds) if exported.seconds is not None else "-"
    pts = f", pts {exported.pts} x {exported.time_base}" if exported.pts is not None else ""
    render.out.print(f"Frame {exported.frame_index} ({when}{pts}) of clip #{exported.clip_id} "
                     f"written to {out_path}", markup=False, highlight=False)  # fmt: skip
    render.out.print(f"  sha256 {exported.sha256}", markup=False, highlight=False)
    if exported.enhanced:
        assert enhancement is not None
        render.out.print(f"  enhanced for viewing: {enhancement.describe()} (not the original "
                         "pixels; recorded in the PNG and the custody log)",
                         markup=False, highlight=False)  # fmt: skip


# -- annotations ---------------------------------------------------------------------
@cli.group("annotate")
def annotate_group() -> None:
    """Mark labelled rectangles on frames (every change is in the custody log)."""


LABEL_HELP = (
    "landmark, building, vehicle, insignia, weapon, person, face, text/sign, shadow or other."
)
RECT_HELP = "X,Y,W,H in pixels of the upright full-resolution frame (clipped to the frame)."


@annotate_group.command("add")
@click.argument("clip")
@click.option("--frame", "frame_index", type=int, required=True, metavar="N",
              help="Frame index (0 = first; a still image has only 0).")  # fmt: skip
@click.option("--rect", required=True, metavar="X,Y,W,H", help=RECT_HELP)
@click.option("--label", required=True, help=LABEL_HELP)
@click.option("--note", default="", help="What the rectangle shows and why it matters.")
@case_option
@json_option
@pass_cli
def annotate_add(cli_ctx: CliContext, clip: str, frame_index: int, rect: str, label: str,
                 note: str, case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Mark a rectangle on frame N of CLIP."""
    from verifier.services.annotations import add_annotation, parse_rect

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = add_annotation(app, clip, frame_index, parse_rect(rect), label, note, case=case)
    if as_json:
        render.print_json(added)
    else:
        render.out.print(f"Annotation #{added['id']} ({added['label']}) added on frame "
                         f"{added['frame_index']} of clip #{added['clip_id']}.",
                         markup=False, highlight=False)  # fmt: skip


@annotate_group.command("list")
@click.argument("clip")
@case_option
@json_option
@pass_cli
def annotate_list(cli_ctx: CliContext, clip: str, case_name: str | None, as_json: bool) -> None:
    """The annotations of CLIP, by frame."""
    from verifier.cli.show import annotation_lines
    from verifier.services.annotations import list_annotations

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    rows = list_annotations(app, clip, case)
    if as_json:
        render.print_json(rows)
        return
    for line in annotation_lines(rows):
        render.out.print(line, markup=False, highlight=False)
    if not rows:
        render.out.print("No annotations.")


@annotate_group.command("edit")
@click.argument("annotation_id", type=int)
@click.option("--rect", metavar="X,Y,W,H", help=RECT_HELP)
@click.option("--label", help=LABEL_HELP)
@click.option("--note", help="New note (an empty text clears it).")
@json_option
@pass_cli
def annotate_edit(cli_ctx: CliContext, annotation_id: int, rect: str | None, label: str | None,
                  note: str | None, as_json: bool) -> None:  # fmt: skip
    """Change an annotation (the custody log keeps the old values)."""
    from verifier.services.annotations import edit_annotation, parse_rect

    changed = edit_annotation(cli_ctx.app(), annotation_id,
                              rect=parse_rect(rect) if rect is not None else None,
                              label=label, note=note)  # fmt: skip
    if as_json:
        render.print_json(changed)
    else:
        render.out.print(f"Annotation #{annotation_id} updated.")


@annotate_group.command("delete")
@click.argument("annotation_id", type=int)
@pass_cli
def annotate_delete(cli_ctx: CliContext, annotation_id: int) -> None:
    """Withdraw an annotation (the custody log keeps what it marked)."""
    from verifier.services.annotations import delete_annotation

    delete_annotation(cli_ctx.app(), annotation_id)
    render.out.print(f"Annotation #{annotation_id} deleted.")


# -- matching ------------------------------------------------------------------------
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
    clip_id = None
    if clip_ref:
        with app.db.read() as session:
            clip_id = clip_service.find_clip(session, clip_ref, case).id
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


# -- provenance ---------------------------------------------------------------------
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
    else:
        render.out.print(f"Appearance #{added['id']} recorded for clip #{added['clip']['id']}.")


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

    changed = edit_appearance(cli_ctx.app(), appearance_id, url=url, platform=platform,
                              posted_at=posted_at, channel=channel, caption=caption)  # fmt: skip
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

    delete_appearance(cli_ctx.app(), appearance_id)
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


# -- verify and log ------------------------------------------------------------------
@cli.command("verify")
@case_option
@click.option("--all", "all_cases", is_flag=True, help="Verify the whole library, not one case.")
@json_option
@pass_cli
def verify_cmd(cli_ctx: CliContext, case_name: str | None, all_cases: bool, as_json: bool) -> None:
    """Re-hash every stored file and check the custody log chain."""
    from verifier.services.verification import verify

    app = cli_ctx.app()
    case = None if all_cases else _case_or_library(app, case_name)
    with render.progress_bar(not as_json) as callback:
        report = verify(app, case, progress=callback)
    if as_json:
        render.print_json(report.to_json())
    else:
        scope = f"case {case.name!r}" if case else "the whole library"
        for problem in report.problems:
            render.err.print(f"problem: {problem.message}", markup=False, highlight=False)
        if report.unreferenced_objects:
            render.out.print(
                f"note: {len(report.unreferenced_objects)} stored object(s) are not "
                "referenced by the database (an interrupted import); they are intact."
            )
        verdict = "OK" if report.ok else f"FAILED: {len(report.problems)} problem(s)"
        render.out.print(
            f"Verified {scope}: {report.files_checked} file(s), "
            f"{render.human_size(report.bytes_checked)} re-hashed; "
            f"{report.events_checked} custody event(s) checked. {verdict}"
        )
    if not report.ok:
        sys.exit(1)


def _case_or_library(app: App, case_name: str | None) -> Any:
    if case_name:
        return case_service.resolve_case(app, case_name)
    try:
        return case_service.resolve_case(app, None)
    except VerifierError:
        return None


@cli.command("log")
@case_option
@json_option
@pass_cli
def log_cmd(cli_ctx: CliContext, case_name: str | None, as_json: bool) -> None:
    """Show the custody log (of a case, or of everything with no case)."""
    app = cli_ctx.app()
    case = _case_or_library(app, case_name)
    events = clip_service.custody_log(app, case)
    if as_json:
        render.print_json(events)
        return
    rows = [
        [
            e["seq"],
            e["occurred_at"][:23],
            e["actor"],
            e["action"],
            f"{e['target_type']} {e['target_id'] or ''}",
            _details_text(e["details"]),
            e["hash"][:12],
        ]
        for e in events
    ]
    title = f"Custody log of case {case.name!r}" if case else "Custody log"
    render.out.print(
        render.table(
            title, ["#", "time (UTC)", "actor", "action", "target", "details", "hash"], rows
        )
    )


def _details_text(details: dict[str, Any]) -> str:
    keys = ("source_name", "sha256", "name", "status", "ok", "reason")
    parts = [f"{k}={str(details[k])[:16]}" for k in keys if k in details]
    return " ".join(parts)


# -- demo ------------------------------------------------------------------------------
@cli.command("gui")
@case_option
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save a PNG of the window once it has loaded, then close it (for checking).",
)
@pass_cli
def gui_cmd(cli_ctx: CliContext, case_name: str | None, screenshot: Path | None) -> None:
    """Open the workbench window on the current case (or --case NAME)."""
    from verifier.gui.app import check_display

    check_display()  # before the database: say at once why no window can open
    from verifier.gui.app import run_gui

    sys.exit(run_gui(cli_ctx.app(), case_name, screenshot=screenshot))


@cli.command("demo")
@click.option(
    "--media",
    "media",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Files or folders to import (repeatable).",
)
@click.option(
    "--case", "case_name", default="Demo", show_default=True, help="Name of the demo case."
)
@click.option(
    "--headless",
    is_flag=True,
    help="Print the case summary instead of opening the workbench window.",
)
@pass_cli
def demo_cmd(cli_ctx: CliContext, media: tuple[Path, ...], case_name: str, headless: bool) -> None:
    """Import sample media into a demo case, then open the workbench on it.

    With --headless the case summary is printed instead (clips, keyframes,
    edit points, flags, groups of the same footage).
    """
    from verifier.services.importing import import_paths

    if not media:
        raise click.UsageError("pass --media with the sample media folder")
    if not headless:
        from verifier.gui.app import check_display

        check_display()
    app = cli_ctx.app()
    case = case_service.get_or_create_case(
        app, case_name, "Sample media imported by `verifier demo`: real clips when available."
    )
    case_service.use_case(app, case.name)
    with render.progress_bar() as callback:
        report = import_paths(app, media, case, progress=callback)
    _print_import_report(report)
    if headless:
        _print_case_summary(app, case)
        return
    from verifier.gui.app import run_gui

    render.err.print(f"Opening the workbench on case {case.name!r}…")
    sys.exit(run_gui(app, case.name))


def _print_case_summary(app: App, case: Any) -> None:
    rows = clip_service.list_clips(app, case)
    render.out.print()
    render.out.print(
        render.table(
            f"Case {case.name!r}: {len(rows)} clip(s)",
            [
                "id",
                "name",
                "kind",
                "duration",
                "size",
                "analysis",
                "keyframes",
                "edit points",
                "flags",
            ],
            [
                [
                    r["id"],
                    r["name"],
                    r["kind"],
                    render.human_duration(r["duration"]),
                    f"{r['width']}x{r['height']}" if r["width"] else "-",
                    r["analysis_status"],
                    r["keyframes"],
                    r["edit_points"],
                    r["flags"],
                ]
                for r in rows
            ],
        )
    )
    from verifier.services.matching import clusters

    for group in clusters(app, case):
        names = ", ".join(m["name"] for m in group["members"])
        render.out.print(
            f"Same footage (cluster {group['cluster']}, {len(group['relations'])} relations): "
            f"{names}",
            markup=False,
            highlight=False,
        )
    total = sum(r["duration"] or 0 for r in rows)
    render.out.print(
        f"Data folder: {app.settings.data_dir}   total footage: {render.human_duration(total)}"
    )
    render.out.print(
        "Next: `verifier show CLIP`, `verifier matches --explain`, `verifier log`,"
        " `verifier verify`."
    )


def main() -> None:
    cli(prog_name="verifier")


if __name__ == "__main__":
    main()
