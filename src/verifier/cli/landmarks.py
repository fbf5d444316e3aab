"""`verifier landmarks`: do two images show the same place? The numbered figure that says why."""

from __future__ import annotations

from pathlib import Path

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.services import cases as case_service


@cli.command("landmarks")
@click.argument("a")
@click.argument("b")
@click.option("--region", metavar="X,Y,W,H",
              help="Only look for landmarks in this rectangle of A (pixels of A).")  # fmt: skip
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FIGURE.png", help="Also write the side-by-side figure here.")  # fmt: skip
@case_option
@json_option
@pass_cli
def landmarks(cli_ctx: CliContext, a: str, b: str, region: str | None, out_path: Path | None,
              case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Match landmarks of A in B (image files or CLIP@FRAME) and draw the figure.

    SIFT features, Lowe's ratio test and a USAC MAGSAC++ homography or
    fundamental matrix decide `match` or `no-match`, with the reason. With a
    clip frame the figure is kept in the evidence store (role
    landmark-figure) and the run is recorded in the custody log; two plain
    image files need no case and only write --out.
    """
    from verifier.geo.landmarks import parse_region
    from verifier.services.landmarks import match_inputs, parse_input

    parsed_region = parse_region(region) if region is not None else None
    needs_case = parse_input(a, "A").is_clip or parse_input(b, "B").is_clip
    app = cli_ctx.app() if needs_case else None
    case = case_service.resolve_case(app, case_name) if app is not None and case_name else None
    run = match_inputs(app, a, b, parsed_region, out_path, case=case)
    if as_json:
        render.print_json(run.to_json())
        return
    result = run.result
    say = render.out.print
    say(f"{result.verdict}: {result.reason}", markup=False, highlight=False)
    say(f"keypoints A {result.keypoints_a}, B {result.keypoints_b}; {result.tentative} "
        f"tentative matches; {result.inliers} inliers ({result.model or 'no model'})",
        markup=False, highlight=False)  # fmt: skip
    if run.file_id is not None:
        say(f"figure stored as file #{run.file_id} (SHA-256 {run.sha256})",
            markup=False, highlight=False)  # fmt: skip
    if run.out_path is not None:
        say(f"figure written to {run.out_path}", markup=False, highlight=False)
    if run.file_id is None and run.out_path is None:
        say("figure not kept: give --out FIGURE.png to write it", markup=False,
            highlight=False)  # fmt: skip
