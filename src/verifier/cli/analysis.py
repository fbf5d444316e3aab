"""Analysis of stored clips, keyframes for reverse image search, exact frame export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.errors import Cancelled, VerifierError
from verifier.ids import ClipId
from verifier.services import cases as case_service
from verifier.services import clips as clip_service
from verifier.services.lookup import clip_id_of

if TYPE_CHECKING:
    from verifier.services.analysis import AnalysisResult


@cli.command("analyse")
@click.argument("clips", nargs=-1)
@click.option("--all", "all_clips", is_flag=True, help="Re-analyse every clip of the case.")
@click.option(
    "--pending",
    is_flag=True,
    help="Analyse the clips of the case whose analysis is pending (never ran or was interrupted).",
)
@case_option
@json_option
@pass_cli
def analyse_cmd(
    cli_ctx: CliContext,
    clips: tuple[str, ...],
    all_clips: bool,
    pending: bool,
    case_name: str | None,
    as_json: bool,
) -> None:
    """(Re-)run analysis on CLIP(s), on --all clips of the case, or on its --pending ones.

    A clip whose stored file cannot be read is reported on its own line and
    the others go on; a failed re-analysis keeps the clip's previous analysis.
    """
    from verifier.services.analysis import reanalyse

    if sum([bool(clips), all_clips, pending]) != 1:
        raise click.UsageError("name at least one CLIP, or pass --all or --pending")
    app = cli_ctx.app()
    case = (
        case_service.resolve_case(app, case_name) if (all_clips or pending or case_name) else None
    )
    if all_clips or pending:
        assert case is not None
        ids = [
            summary.id
            for summary in clip_service.list_clips(app, case.id)
            if all_clips or summary.analysis_status == "pending"
        ]
    else:
        ids = [clip_id_of(app, ref, case) for ref in clips]
    results: list[AnalysisResult] = []
    errors: list[tuple[int, str]] = []
    with render.progress_bar(not as_json) as callback:
        for clip_id in ids:
            try:
                results.append(reanalyse(app, ClipId(clip_id), progress=callback))
            except Cancelled:
                raise
            except VerifierError as exc:  # the clip's stored file cannot be read
                errors.append((clip_id, str(exc)))
    if as_json:
        render.print_json(
            [r.__dict__ for r in results]
            + [{"clip_id": c, "status": "error", "error": e} for c, e in errors]
        )
    else:
        _print_analysis(results, errors, pending)
    for clip_id, message in errors:
        render.err.print(f"error: clip #{clip_id}: {message}", markup=False, highlight=False)
    if errors or any(r.status == "failed" for r in results):
        sys.exit(1)


def _print_analysis(
    results: list[AnalysisResult], errors: list[tuple[int, str]], pending: bool
) -> None:
    """The table of what each clip's analysis gave, failures and errors included."""
    rows = [
        [
            r.clip_id,
            r.status,
            r.keyframes,
            r.cuts,
            r.hashed_frames,
            (f"{r.error}; the previous analysis is kept" if r.kept_previous else r.error)
            or "; ".join(r.warnings),
        ]
        for r in results
    ]
    rows += [[clip_id, "error", "-", "-", "-", message] for clip_id, message in errors]
    if pending and not rows:
        render.out.print("No clip of the case waits for analysis.")
        return
    render.out.print(
        render.table(
            "Analysis",
            ["clip", "status", "keyframes", "shot boundaries", "hashed frames", "detail"],
            rows,
        )
    )


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
