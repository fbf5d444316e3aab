"""`verifier sync`: two clips on one clock by their sound. `verifier transients`: sudden sounds."""

from __future__ import annotations

from pathlib import Path

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.services import cases as case_service


def _say(text: str) -> None:
    render.out.print(text, markup=False, highlight=False)


@cli.command("sync")
@click.argument("a")
@click.argument("b")
@click.option("--max-offset", type=click.FloatRange(min=0.0, min_open=True), default=60.0,
              show_default=True, metavar="SECONDS",
              help="Largest offset searched, either way.")  # fmt: skip
@click.option("--figure", "figure_path", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE.png", help="Also write the correlation figure here.")  # fmt: skip
@click.option(
    "--store-link",
    is_flag=True,
    help="Store the offset on the pair's same-incident link (added or updated).",
)
@click.option("--rationale", metavar="TEXT",
              help="With --store-link: what the link rests on besides the sound.")  # fmt: skip
@case_option
@json_option
@pass_cli
def sync(cli_ctx: CliContext, a: str, b: str, max_offset: float, figure_path: Path | None,
         store_link: bool, rationale: str | None, case_name: str | None,
         as_json: bool) -> None:  # fmt: skip
    """Find B's time offset against A from the two soundtracks (b_time = a_time + offset).

    A and B are clips (id or SHA-256 prefix) or files. The onset envelopes
    of both soundtracks are cross-correlated within --max-offset and the
    peak refined with GCC-PHAT; the confidence reads confident, weak or
    "no confident offset". Where matching found shared footage its offset
    is shown beside. With a clip the correlation figure is kept in the
    evidence store (role sync-figure) and the run is logged.
    """
    from verifier.analysis.sync import SyncSettings
    from verifier.errors import VerifierError
    from verifier.services.sync import needs_case, sync_clips

    if rationale is not None and not store_link:
        raise VerifierError("--rationale: only with --store-link")
    app = cli_ctx.app() if needs_case(a, b) or store_link else None
    case = case_service.resolve_case(app, case_name) if app is not None and case_name else None
    run = sync_clips(app, a, b, settings=SyncSettings(max_offset=max_offset),
                     figure_path=figure_path, store_link=store_link, rationale=rationale,
                     case=case)  # fmt: skip
    if as_json:
        render.print_json(run.to_json())
        return
    result = run.result
    if result.offset is not None:
        _say(f"offset {result.offset:+.3f} s (B's time = A's time + offset): {result.words}")
    else:
        _say(f"no confident offset (the best peak, at {result.best_offset:+.3f} s, does not "
             "stand out)")  # fmt: skip
    second = ("none" if result.second_offset is None
              else f"z {result.second_peak:.1f} at {result.second_offset:+.3f} s")  # fmt: skip
    _say(f"peak z {result.peak:.1f} at {result.best_offset:+.3f} s; next peak {second}; "
         f"ratio {result.ratio:.2f}; overlap {result.overlap:.1f} s")  # fmt: skip
    _say(f"method: {result.method}")
    if run.match_offset is not None:
        line = f"matching ({run.match_relation}): offset {run.match_offset:+.3f} s"
        if run.difference is not None:
            line += f"; sound minus matching {run.difference * 1000:+.0f} ms"
        _say(line)
    if run.figure_file_id is not None:
        _say(f"figure stored as file #{run.figure_file_id} (SHA-256 {run.figure_sha256})")
    if run.figure_path is not None:
        _say(f"figure written to {run.figure_path}")
    if run.link is not None:
        _say(f"same-incident link #{run.link['id']} now has offset {run.link['offset']:+.3f} s")


@cli.command("transients")
@click.argument("clip")
@case_option
@json_option
@pass_cli
def transients_command(cli_ctx: CliContext, clip: str, case_name: str | None,
                       as_json: bool) -> None:  # fmt: skip
    """Sudden loud broadband sounds in CLIP's soundtrack, as candidate moments to mark.

    Each with its time (clip seconds), the frame on screen then and how far
    it rises above the preceding half second. What made the sound is for a
    person to say; nothing is stored.
    """
    from verifier.services.sync import candidate_markers

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    markers = candidate_markers(app, clip, case=case)
    if as_json:
        render.print_json({"clip": clip, "candidates": [m.to_json() for m in markers]})
        return
    if not markers:
        _say("no sudden loud sounds found")
        return
    for m in markers:
        frame = "?" if m.frame_index is None else str(m.frame_index)
        _say(f"{m.time:9.3f} s  frame {frame:>6}  +{m.strength_db:4.1f} dB  {m.description}")
