"""Analysis of stored clips, keyframes for reverse image search, exact frame export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.ids import ClipId
from verifier.services import cases as case_service
from verifier.services import clips as clip_service
from verifier.services.lookup import clip_id_of


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
    from verifier.services.analysis import reanalyse

    if not clips and not all_clips:
        raise click.UsageError("name at least one CLIP or pass --all")
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if (all_clips or case_name) else None
    if all_clips:
        assert case is not None
        ids = [summary.id for summary in clip_service.list_clips(app, case.id)]
    else:
        ids = [clip_id_of(app, ref, case) for ref in clips]
    with render.progress_bar(not as_json) as callback:
        results = [reanalyse(app, ClipId(clip_id), progress=callback) for clip_id in ids]
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
