"""`verifier geo`: geolocation findings (where a clip was filmed) and their map exports."""

from __future__ import annotations

from pathlib import Path
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
from verifier.ids import GeolocationId
from verifier.services import cases as case_service

CONFIDENCE_HELP = "confirmed, probable, possible or rejected."
METHOD_HELP = (
    "satellite-imagery, street-level-imagery, terrain-or-horizon, landmark, metadata-gps or other."
)
AT_HELP = (
    "The point as you paste it: 48.5079, 35.9131 / 48°30'28.4\"N 35°54'47.2\"E / MGRS / "
    "a Google Maps or OpenStreetMap URL."
)
expected_version_option = expected_version_option_for("geo list --json")


def finding_lines(doc: dict[str, Any]) -> list[str]:
    """A finding as a person reads it: the point, how sure, why, and where to look at it."""
    precision = f"±{doc['precision_m']:g} m" if doc["precision_m"] else "precision not stated"
    place = f" — {doc['place']}" if doc["place"] else ""
    status = "" if doc["status"] == "confirmed" else f" [{doc['status']}]"
    lines = [
        f"#{doc['id']} clip #{doc['clip_id']} ({doc['clip_name']}): "
        f"{doc['lat']:.6f}, {doc['lon']:.6f} {precision}{place}{status}",
        f"    {doc['confidence']}, {doc['method']}; by {doc['created_by']}",
    ]
    if doc["reasoning"]:
        lines.append(f"    {doc['reasoning']}")
    if doc["frames"]:
        lines.append("    frames: " + ", ".join(str(f) for f in doc["frames"]))
    if doc["annotations"]:
        lines.append("    annotations: " + ", ".join(f"#{a}" for a in doc["annotations"]))
    for ref in doc["references"]:
        lines.append(f"    reference: {ref['name']} ({ref['provider']}, {ref['captured']}) "
                     f"sha256 {ref['sha256']}")  # fmt: skip
    for link in doc["map_links"]:
        lines.append(f"    {link['name']}: {link['url']}")
    return lines


def _references(
    paths: tuple[Path, ...], providers: tuple[str, ...], dates: tuple[str, ...]
) -> list[Any]:
    """Pair each --reference with its provider and date (given once, they apply to all)."""
    from verifier.services.geolocation import ReferenceImage

    if not paths:
        if providers or dates:
            raise VerifierError("--reference-provider/--reference-date: give --reference FILE too")
        return []
    out = []
    for name, values in (("--reference-provider", providers), ("--reference-date", dates)):
        if len(values) not in (1, len(paths)):
            raise VerifierError(f"{name}: give it once, or once per --reference ({len(paths)})")
    for n, path in enumerate(paths):
        provider = providers[n if len(providers) > 1 else 0]
        captured = dates[n if len(dates) > 1 else 0]
        out.append(ReferenceImage(path, provider, captured))
    return out


@cli.group("geo")
def geo_group() -> None:
    """Geolocation findings: where clips were filmed (every change is in the custody log)."""


@geo_group.command("add")
@click.argument("clip")
@click.option("--at", required=True, metavar="TEXT", help=AT_HELP)
@click.option("--precision", "precision_m", type=float, required=True, metavar="METRES",
              help="Radius within which the camera stood, in metres (> 0).")  # fmt: skip
@click.option("--confidence", required=True, metavar="C", help=CONFIDENCE_HELP)
@click.option("--method", required=True, metavar="M", help=METHOD_HELP)
@click.option("--reasoning", required=True, help="How the place was found (goes in the report).")
@click.option("--place", help="Place name (village, street, landmark).")
@supporting_options(replace=False)
@click.option("--reference", "references", type=click.Path(path_type=Path), multiple=True,
              metavar="FILE",
              help="A reference image, preserved in the store (repeatable).")  # fmt: skip
@click.option("--reference-provider", "providers", multiple=True, metavar="P",
              help="Who made the reference image (e.g. Maxar, Google Street View).")  # fmt: skip
@click.option("--reference-date", "dates", multiple=True, metavar="D",
              help="When the reference image was taken: YYYY-MM-DD (or YYYY-MM).")  # fmt: skip
@click.option("--figure", "figures", type=int, multiple=True, metavar="FILE_ID",
              help="A stored landmark figure that shows the match (repeatable).")  # fmt: skip
@case_option
@json_option
@pass_cli
def geo_add(cli_ctx: CliContext, clip: str, at: str, precision_m: float, confidence: str,
            method: str, reasoning: str, place: str | None, frames: tuple[int, ...],
            annotations: tuple[int, ...], references: tuple[Path, ...],
            providers: tuple[str, ...], dates: tuple[str, ...], figures: tuple[int, ...],
            case_name: str | None, as_json: bool) -> None:  # fmt: skip
    """Record where CLIP was filmed."""
    from verifier.services.geolocation import add_geolocation

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    added = add_geolocation(app, clip, at=at, precision_m=precision_m, confidence=confidence,
                            method=method, reasoning=reasoning, place=place, frames=frames,
                            annotations=annotations,
                            references=_references(references, providers, dates),
                            figures=figures, case=case)  # fmt: skip
    show_findings(added, as_json, finding_lines, title="Geolocation added:")


@geo_group.command("list")
@click.argument("clip", required=False)
@case_option
@json_option
@pass_cli
def geo_list(cli_ctx: CliContext, clip: str | None, case_name: str | None, as_json: bool) -> None:
    """Findings of CLIP, or of every clip of the case."""
    from verifier.services.geolocation import list_geolocations

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name or not clip else None
    rows = list_geolocations(app, clip, case)
    show_findings(rows, as_json, finding_lines, empty="No geolocation findings.")


@geo_group.command("edit")
@click.argument("geolocation_id", type=int)
@click.option("--at", metavar="TEXT", help=AT_HELP)
@click.option("--precision", "precision_m", type=float, metavar="METRES", help="Radius (> 0).")
@click.option("--confidence", metavar="C", help=CONFIDENCE_HELP)
@click.option("--method", metavar="M", help=METHOD_HELP)
@click.option("--reasoning", help="New reasoning.")
@click.option("--place", help="New place name (an empty text clears it).")
@supporting_options(replace=True)
@click.option("--reference", "references", type=click.Path(path_type=Path), multiple=True,
              metavar="FILE", help="Add a reference image (repeatable).")  # fmt: skip
@click.option("--reference-provider", "providers", multiple=True, metavar="P")
@click.option("--reference-date", "dates", multiple=True, metavar="D")
@expected_version_option
@json_option
@pass_cli
def geo_edit(cli_ctx: CliContext, geolocation_id: int, at: str | None, precision_m: float | None,
             confidence: str | None, method: str | None, reasoning: str | None,
             place: str | None, frames: tuple[int, ...], annotations: tuple[int, ...],
             references: tuple[Path, ...], providers: tuple[str, ...], dates: tuple[str, ...],
             expected_version: int | None, as_json: bool) -> None:  # fmt: skip
    """Change a finding (the custody log keeps the old values)."""
    from verifier.services.geolocation import edit_geolocation

    refs = _references(references, providers, dates)
    given = [at, precision_m, confidence, method, reasoning, place]
    if all(v is None for v in given) and not (frames or annotations or refs):
        raise VerifierError(
            "nothing to change: give --at, --precision, --confidence, --method, "
            "--reasoning, --place, --frame, --annotation or --reference"
        )
    changed = edit_geolocation(cli_ctx.app(), GeolocationId(geolocation_id),
                               expected_version=expected_version, at=at, precision_m=precision_m,
                               confidence=confidence, method=method, reasoning=reasoning,
                               place=place, frames=frames or None,
                               annotations=annotations or None, add_references=refs)  # fmt: skip
    title = f"Geolocation #{geolocation_id} updated (now version {changed['version']}):"
    show_findings(changed, as_json, finding_lines, title=title)


@geo_group.command("confirm")
@click.argument("geolocation_id", type=int)
@click.option("--confidence", metavar="C", help="Also set the confidence: " + CONFIDENCE_HELP)
@expected_version_option
@pass_cli
def geo_confirm(cli_ctx: CliContext, geolocation_id: int, confidence: str | None,
                expected_version: int | None) -> None:  # fmt: skip
    """Confirm a finding (a metadata GPS proposal becomes your finding)."""
    from verifier.services.geolocation import confirm_geolocation

    done = confirm_geolocation(
        cli_ctx.app(),
        GeolocationId(geolocation_id),
        expected_version=expected_version,
        confidence=confidence,
    )
    say(f"Geolocation #{geolocation_id} confirmed ({done['confidence']}).")


@geo_group.command("reject")
@click.argument("geolocation_id", type=int)
@expected_version_option
@pass_cli
def geo_reject(cli_ctx: CliContext, geolocation_id: int, expected_version: int | None) -> None:
    """Reject a finding (it stays on record as rejected; a GPS tag is not proposed again)."""
    from verifier.services.geolocation import reject_geolocation

    reject_geolocation(cli_ctx.app(), GeolocationId(geolocation_id),
                       expected_version=expected_version)  # fmt: skip
    say(f"Geolocation #{geolocation_id} rejected.")


@geo_group.command("delete")
@click.argument("geolocation_id", type=int)
@expected_version_option
@pass_cli
def geo_delete(cli_ctx: CliContext, geolocation_id: int, expected_version: int | None) -> None:
    """Withdraw a finding (the custody log keeps what it said)."""
    from verifier.services.geolocation import delete_geolocation

    delete_geolocation(cli_ctx.app(), GeolocationId(geolocation_id),
                       expected_version=expected_version)  # fmt: skip
    say(f"Geolocation #{geolocation_id} deleted.")


@geo_group.command("export")
@click.option("--kml", "kml", type=click.Path(path_type=Path), metavar="FILE",
              help="Write a KML file (Google Earth Pro).")  # fmt: skip
@click.option("--geojson", "geojson", type=click.Path(path_type=Path), metavar="FILE",
              help="Write a GeoJSON file (QGIS).")  # fmt: skip
@case_option
@pass_cli
def geo_export(cli_ctx: CliContext, kml: Path | None, geojson: Path | None,
               case_name: str | None) -> None:  # fmt: skip
    """Every finding of the case as placemarks with precision circles."""
    from verifier.geo.export import write_geojson, write_kml
    from verifier.services.geolocation import export_features

    if (kml is None) == (geojson is None):
        raise VerifierError("geo export: give exactly one of --kml FILE or --geojson FILE")
    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name)
    features = export_features(app, case)
    target = kml if kml is not None else geojson
    assert target is not None
    try:
        (write_kml if kml is not None else write_geojson)(features, target)
    except OSError as exc:
        raise VerifierError(f"cannot write {target}: {exc.strerror or exc}") from exc
    say(f"{len(features)} findings of case {case.name!r} written to {target}.")
