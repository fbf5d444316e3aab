"""The sun, both ways (``verifier sun``): where it is, and when or where a shadow fits.

Like ``coords``, ``sun`` is a calculator: it opens no case and records
nothing. Its modes, chosen by the options given:

* ``--at PLACE --time T``: the sun's position, the shadow it casts, and the
  day's sunrise, transit and sunset;
* ``--at PLACE --date D [--to D2]`` with ``--shadow-bearing`` and/or
  ``--ratio``: every window in those local days when the shadow fits (two
  measurements a known ``--interval`` apart narrow it);
* ``--where --time T --ratio R [--bearing B] --out FILE``: the band of places
  where the sun casts that shadow at that instant.

A time without an offset is read as the local clock at the place (refused
where there is no place, or at sea); a local time skipped or repeated by a
clock change is refused with the two offsets it could mean.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from verifier.cli import render
from verifier.cli.base import CliContext, case_option, cli, json_option, pass_cli
from verifier.geo.coords import CoordinateError, parse_location
from verifier.geo.sun import (
    DEFAULT_BEARING_TOLERANCE,
    DEFAULT_RATIO_TOLERANCE_PCT,
    Measurement,
    SunError,
    Window,
    WindowSearch,
    Zone,
    check_measurement,
    find_windows,
    moment_json,
    parse_date,
    parse_time,
    sun_at,
    sun_day,
    zone_at,
)
from verifier.geo.sun_band import shadow_band, write_band
from verifier.geo.sun_figure import draw_sun_path, write_png


def _say(text: str = "") -> None:
    render.out.print(text, markup=False, highlight=False, soft_wrap=True)


def _percent(text: str | None, option: str) -> float:
    """A tolerance in percent: ``10`` or ``10%``."""
    if text is None:
        return DEFAULT_RATIO_TOLERANCE_PCT
    try:
        return float(text.strip().removesuffix("%").strip())
    except ValueError:
        raise SunError(f"{option}: {text!r} is not a percentage (e.g. 10 or 10%)") from None


def _measurement(
    bearing: float | None,
    tolerance: float,
    ratio: float | None,
    ratio_tol: str | None,
    suffix: str,
    offset: float = 0.0,
) -> Measurement:
    m = Measurement(
        bearing, tolerance, ratio, _percent(ratio_tol, f"--ratio-tolerance{suffix}"), offset
    )
    check_measurement(m, suffix)  # names the options of this measurement
    return m


def _place(text: str | None) -> tuple[float, float]:
    if text is None:
        raise SunError("--at: give the place (anything `verifier coords` reads)")
    try:
        loc = parse_location(text)
    except CoordinateError as exc:
        raise SunError(f"--at: {exc.reason}") from None
    return loc.lat, loc.lon


def _clock(instant: datetime | None, zone: Zone) -> str:
    return "-" if instant is None else zone.local(instant).strftime("%H:%M:%S")


def _zone_text(zone: Zone) -> str:
    return zone.name if zone.note is None else zone.note


@cli.command("sun", context_settings={"ignore_unknown_options": False})
@click.option(
    "--at", "at", metavar="LOCATION", help="The place (anything `verifier coords` reads)."
)
@click.option(
    "--time",
    "time_text",
    metavar="T",
    help="An instant, ISO 8601: 2025-03-13T09:30Z, 2025-03-13T12:30+03:00, or without "
    "an offset for the local clock at --at.",
)
@click.option("--date", "date_text", metavar="D", help="First local day to search (YYYY-MM-DD).")
@click.option("--to", "to_text", metavar="D2", help="Last local day to search (default: --date).")
@click.option(
    "--shadow-bearing",
    "--bearing",
    "bearing",
    type=float,
    metavar="B",
    help="Measured shadow direction, degrees clockwise from true north "
    "(from the object's foot to the shadow's tip).",
)
@click.option(
    "--tolerance",
    type=float,
    default=DEFAULT_BEARING_TOLERANCE,
    show_default=True,
    metavar="DEG",
    help="Bearing tolerance, ± degrees.",
)
@click.option("--ratio", type=float, metavar="R", help="Shadow length / object height.")
@click.option(
    "--ratio-tolerance",
    "ratio_tol",
    metavar="PCT",
    help=f"Ratio tolerance, ± percent (default {DEFAULT_RATIO_TOLERANCE_PCT:g}).",
)
@click.option(
    "--interval",
    "--then",
    "interval",
    type=float,
    metavar="SECONDS",
    help="Seconds from the first measurement to the second (may be negative).",
)
@click.option(
    "--clip",
    "clip_ref",
    metavar="CLIP",
    help="Take the interval from this clip's frame times (with --frame and --frame2).",
)
@click.option("--frame", "frame_a", type=int, metavar="N1", help="Frame of the first measurement.")
@click.option("--frame2", "frame_b", type=int, metavar="N2", help="Frame of the second one.")
@click.option(
    "--shadow-bearing2",
    "--bearing2",
    "bearing2",
    type=float,
    metavar="B2",
    help="Second measurement's shadow bearing.",
)
@click.option(
    "--tolerance2", type=float, metavar="DEG", help="Its tolerance (default --tolerance)."
)
@click.option("--ratio2", type=float, metavar="R2", help="Second measurement's ratio.")
@click.option(
    "--ratio-tolerance2",
    "ratio_tol2",
    metavar="PCT",
    help="Its tolerance (default --ratio-tolerance).",
)
@click.option("--where", is_flag=True, help="Where on Earth is this shadow cast at --time?")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.geojson|FILE.kml",
    help="With --where: write the band here.",
)
@click.option(
    "--figure",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.png",
    help="Also draw the sun's path over the day, with the matches, as PNG.",
)
@case_option
@json_option
@pass_cli
def sun_cmd(
    cli_ctx: CliContext,
    at: str | None,
    time_text: str | None,
    date_text: str | None,
    to_text: str | None,
    bearing: float | None,
    tolerance: float,
    ratio: float | None,
    ratio_tol: str | None,
    interval: float | None,
    bearing2: float | None,
    tolerance2: float | None,
    ratio2: float | None,
    ratio_tol2: str | None,
    where: bool,
    out: Path | None,
    figure: Path | None,
    clip_ref: str | None,
    frame_a: int | None,
    frame_b: int | None,
    case_name: str | None,
    as_json: bool,
) -> None:
    """The sun at a place and time, and when or where a measured shadow fits.

    \b
    verifier sun --at "50.4501, 30.5234" --time 2024-06-21T09:00Z
    verifier sun --at PLACE --date 2025-03-30 --shadow-bearing 300 --ratio 1.2
    verifier sun --at PLACE --date D --shadow-bearing 250 --interval 600 --shadow-bearing2 262
    verifier sun --at PLACE --date D --ratio 1.1 --clip 12 --frame 40 --frame2 640 --bearing2 262
    verifier sun --where --time 2025-03-13T09:30Z --ratio 0.83 --out band.geojson

    Defaults: bearing ±5°, ratio ±10 %. A time without an offset is the local
    clock at --at. Sun positions by NREL SPA (pvlib), with standard refraction.
    """
    interval_note = None
    if clip_ref is not None or frame_a is not None or frame_b is not None:
        interval, interval_note = _clip_interval(
            cli_ctx, clip_ref, frame_a, frame_b, interval, case_name
        )
    second_given = any(v is not None for v in (bearing2, ratio2, tolerance2, ratio_tol2))
    if second_given and interval is None:
        raise SunError("--interval: a second measurement needs the seconds between the two")
    if interval is not None and not second_given:
        raise SunError("--shadow-bearing2/--ratio2: --interval needs the second measurement")
    if where:
        _where(
            at,
            time_text,
            date_text,
            bearing,
            tolerance,
            ratio,
            ratio_tol,
            out,
            figure,
            second_given,
            as_json,
        )
        return
    if out is not None:
        raise SunError("--out: only --where writes a band; use --figure for the sun-path PNG")
    lat, lon = _place(at)
    zone = zone_at(lat, lon)
    if date_text is None and to_text is not None:
        raise SunError("--to: give --date, the first day to search")
    if date_text is not None:
        if time_text is not None:
            raise SunError("--time: give either --time (one instant) or --date (a search)")
        measurements = [_measurement(bearing, tolerance, ratio, ratio_tol, "")]
        if interval is not None:
            measurements.append(
                _measurement(
                    bearing2,
                    tolerance if tolerance2 is None else tolerance2,
                    ratio2,
                    ratio_tol if ratio_tol2 is None else ratio_tol2,
                    "2",
                    interval,
                )
            )
        first = parse_date(date_text, "--date")
        last = parse_date(to_text, "--to") if to_text is not None else first
        search = find_windows(lat, lon, first, last, measurements, zone)
        if figure is not None:
            day = zone.local(search.windows[0].best).date() if search.windows else first
            image = draw_sun_path(
                lat,
                lon,
                day,
                zone,
                windows=search.windows,
                measurement=measurements[0],
                query=_query_text(search),
            )
            write_png(image, figure)
        _print_search(search, figure, as_json, interval_note)
        return
    if time_text is None:
        raise SunError("--time: give --time for the sun at an instant, or --date to search")
    if any(v is not None for v in (bearing, ratio, interval)):
        raise SunError(
            "--date: a measured shadow is searched over days: give --date instead of --time "
            "(or --where to search places)"
        )
    instant, read_as = parse_time(time_text, "--time", zone)
    _print_position(lat, lon, zone, instant, read_as, figure, as_json)


def _query_text(search: WindowSearch) -> str:
    parts = [m.describe() for m in search.measurements]
    text = f"Query: {parts[0]}"
    if len(parts) > 1:
        text += f"; then {search.measurements[1].offset_s:g} s later: {parts[1]}"
    days = search.first_day.isoformat()
    if search.last_day != search.first_day:
        days += f" to {search.last_day.isoformat()}"
    return f"{text}; searched {days}"


def _window_line(w: Window, zone: Zone) -> str:
    start, end, best = zone.local(w.start), zone.local(w.end), zone.local(w.best)
    same_day = start.date() == end.date()
    end_text = end.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S")
    utc_end = w.end.strftime(
        "%H:%M:%SZ" if w.start.date() == w.end.date() else "%Y-%m-%d %H:%M:%SZ"
    )
    ratio = w.to_json(zone)["best_ratio"]
    edges = " (runs past the start of the range)" if w.clipped_start else ""
    edges += " (runs past the end of the range)" if w.clipped_end else ""
    return (
        f"{start.strftime('%Y-%m-%d %H:%M:%S')} to {end_text} {start.strftime('%z')[:3]}:"
        f"{start.strftime('%z')[3:]}  ({w.start.strftime('%Y-%m-%d %H:%M:%SZ')} to {utc_end}), "
        f"{w.duration_s / 60:.1f} min; best {best.strftime('%H:%M:%S')} "
        f"(then shadow {(w.best_azimuth + 180) % 360:.1f}°, ratio {ratio}){edges}"
    )


def _print_search(
    search: WindowSearch, figure: Path | None, as_json: bool, interval: dict[str, Any] | None
) -> None:
    if as_json:
        data = search.to_json()
        data["interval_from_clip"] = interval
        data["figure"] = str(figure) if figure else None
        render.print_json(data)
        return
    zone = search.zone
    _say(f"Place     {search.lat:.6f}, {search.lon:.6f} ({_zone_text(zone)})")
    _say(_query_text(search).replace("Query: ", "Looking   "))
    if interval is not None:
        _say(
            f"Interval  {interval['seconds']:g} s from frame {interval['frame']} to frame "
            f"{interval['frame2']} of clip #{interval['clip_id']} ({interval['clip_name']}): "
            "clip time, taken as real time (no cut or speed change between the frames)"
        )
    if not search.windows:
        _say("No window: the sun casts no such shadow there on those days.")
    else:
        _say(f"{len(search.windows)} window(s), local time (UTC), edges to the second:")
        for w in search.windows:
            _say("  " + _window_line(w, zone))
    if figure is not None:
        _say(f"Figure    {figure}")


def _print_position(
    lat: float,
    lon: float,
    zone: Zone,
    instant: datetime,
    read_as: str,
    figure: Path | None,
    as_json: bool,
) -> None:
    now = sun_at(lat, lon, instant)
    local = zone.local(instant)
    day = sun_day(lat, lon, local.date(), zone)
    if figure is not None:
        image = draw_sun_path(
            lat,
            lon,
            local.date(),
            zone,
            moment=instant,
            query=f"Sun at {moment_json(instant, zone)['local']}",
        )
        write_png(image, figure)
    if as_json:
        data: dict[str, Any] = {
            **now.to_json(),
            "time": moment_json(instant, zone),
            "time_read_as": read_as,
            "zone": zone.name,
            "zone_note": zone.note,
            "day": {
                "date": day.day.isoformat(),
                "sunrise": moment_json(day.sunrise, zone) if day.sunrise else None,
                "transit": moment_json(day.transit, zone),
                "transit_elevation_deg": round(day.transit_elevation, 3),
                "sunset": moment_json(day.sunset, zone) if day.sunset else None,
                "polar": day.polar,
            },
            "figure": str(figure) if figure else None,
        }
        render.print_json(data)
        return
    offset = local.strftime("%z")
    shadow = (
        f"bearing {now.shadow_bearing:.2f}°, length {now.ratio:.3f} × the object's height"
        if now.shadow_bearing is not None and now.ratio is not None
        else "none: the sun is below the horizon"
    )
    rows = [
        ("Place", f"{lat:.6f}, {lon:.6f} ({_zone_text(zone)})"),
        (
            "Time",
            f"{instant.strftime('%Y-%m-%d %H:%M:%S')} UTC = "
            f"{local.strftime('%Y-%m-%d %H:%M:%S')} {offset[:3]}:{offset[3:]} local "
            f"({read_as})",
        ),
        ("Azimuth", f"{now.azimuth:.3f}° (clockwise from true north)"),
        (
            "Elevation",
            f"{now.elevation:.3f}° geometric, {now.apparent_elevation:.3f}° apparent "
            "(with refraction)",
        ),
        ("Shadow", shadow),
        (
            "Day",
            day.describe()
            or f"sunrise {_clock(day.sunrise, zone)}, sunset {_clock(day.sunset, zone)} local",
        ),
        ("Transit", f"{_clock(day.transit, zone)} local, elevation {day.transit_elevation:.2f}°"),
    ]
    if figure is not None:
        rows.append(("Figure", str(figure)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        _say(f"{label:<{width}}  {value}")


def _where(
    at: str | None,
    time_text: str | None,
    date_text: str | None,
    bearing: float | None,
    tolerance: float,
    ratio: float | None,
    ratio_tol: str | None,
    out: Path | None,
    figure: Path | None,
    second_given: bool,
    as_json: bool,
) -> None:
    if at is not None:
        raise SunError("--at: --where searches the whole Earth; leave out --at")
    if date_text is not None:
        raise SunError("--date: --where needs one instant: give --time")
    if second_given:
        raise SunError("--interval: --where takes one measurement")
    if figure is not None:
        raise SunError("--figure: the sun-path figure needs a place (--at)")
    if time_text is None:
        raise SunError("--time: --where needs the instant, with its offset")
    if ratio is None:
        raise SunError("--ratio: --where needs the shadow's length ratio")
    if out is None:
        raise SunError("--out: give FILE.geojson or FILE.kml for the band")
    if out.suffix.lower() not in (".geojson", ".json", ".kml"):
        raise SunError(f"--out: {out.name!r} must end in .geojson or .kml")
    instant, _ = parse_time(time_text, "--time")
    measurement = _measurement(bearing, tolerance, ratio, ratio_tol, "")
    band = shadow_band(instant, measurement)
    write_band(band, out)
    summary = band.to_json()
    if as_json:
        render.print_json({**summary, "out": str(out)})
        return
    sub = summary["subsolar_point"]
    low, high = summary["apparent_elevation_range_deg"]
    _say(f"Time          {summary['utc']}")
    _say(f"Looking for   {measurement.describe()} (sun {low:.2f}° to {high:.2f}° high)")
    _say(f"Sun overhead  {sub['lat']:.4f}, {sub['lon']:.4f} (subsolar point)")
    if band.lat_range is None:
        _say("Band          none: nowhere on Earth casts that shadow at that instant")
    else:
        _say(
            f"Band          latitudes {band.lat_range[0]:.1f} to {band.lat_range[1]:.1f}, "
            f"{len(band.polygons)} polygon(s), about {band.area_km2:,.0f} km² "
            f"(traced on a {summary['grid_deg']}° grid)"
        )
    _say(f"Written       {out}")


def _clip_interval(
    cli_ctx: CliContext,
    clip_ref: str | None,
    frame_a: int | None,
    frame_b: int | None,
    interval: float | None,
    case_name: str | None,
) -> tuple[float, dict[str, Any]]:
    """The seconds between two frames of a clip, from the case, and what to say about them."""
    if clip_ref is None:
        raise SunError("--clip: --frame and --frame2 are frames of a clip: give --clip")
    if frame_a is None or frame_b is None:
        raise SunError("--frame/--frame2: --clip needs both frames")
    if interval is not None:
        raise SunError("--interval: give either --interval or --clip with its frames")
    from verifier.services import cases as case_service
    from verifier.services.sun import frame_interval

    app = cli_ctx.app()
    case = case_service.resolve_case(app, case_name) if case_name else None
    found = frame_interval(app, clip_ref, frame_a, frame_b, case)
    note = {
        "clip_id": found.clip_id,
        "clip_name": found.clip_name,
        "frame": found.frame_a,
        "frame2": found.frame_b,
        "seconds": round(found.seconds, 6),
    }
    return found.seconds, note
