"""The text form of `verifier show`: sections an investigator reads top-down."""

from __future__ import annotations

from typing import Any

from verifier.cli import render


def _line(label: str, value: Any) -> None:
    if value is None or value == "" or value == []:
        return
    render.out.print(f"  {label:<22} {value}", markup=False, highlight=False)


def _heading(text: str) -> None:
    render.out.print(f"\n[bold]{text}[/bold]")


def _timecode(seconds: float) -> str:
    return render.human_duration(seconds)


def shape_text(a: dict[str, Any]) -> str:
    """The annotation's shape in frame pixels: ``rect 10,20 30x40``, ``line 1,2 3,4``."""
    shape = a.get("shape") or "rect"
    if shape == "rect" or not a.get("points"):
        return f"rect {a['x']:g},{a['y']:g} {a['w']:g}x{a['h']:g}"
    return f"{shape} " + " ".join(f"{x:g},{y:g}" for x, y in a["points"])


def annotation_lines(annotations: list[dict[str, Any]]) -> list[str]:
    """One line per annotation: id, frame and time, shape, label, note."""
    lines = []
    for a in annotations:
        when = _timecode(a["seconds"]) if a.get("seconds") is not None else "time unknown"
        shape = shape_text(a)
        note = f"  {a['note']}" if a.get("note") else ""
        lines.append(f"  #{a['id']:<5} frame {a['frame_index']:>6}  {when}  {shape:<27} "
                     f"{a['label']}{note}")  # fmt: skip
    return lines


def print_clip(data: dict[str, Any]) -> None:
    from verifier.services.provenance import post_facts

    render.out.print(
        f"[bold]Clip #{data['id']}[/bold] {data['name']}  (case {data['case']})", highlight=False
    )
    f = data["file"]
    _heading("Preservation")
    _line("SHA-256", f["sha256"])
    _line("size", f"{render.human_size(f['size'])} ({f['size']} bytes)")
    _line("original name", f["original_name"])
    _line("original path", f["original_path"])
    _line("type", f"{f['mime_type']} / {f['container']}")
    _line("stored as", f["stored_path"])
    _line("imported", f"{f['imported_at']} by {f['imported_by']}")
    _line("added to case", f"{data['added_at']} by {data['added_by']}")

    meta = data.get("metadata") or {}
    _heading("Technical metadata")
    if data["kind"] == "image":
        _line(
            "image",
            f"{meta.get('image_format')} {meta.get('display_width')}x{meta.get('display_height')}",
        )
    else:
        _line("container", meta.get("container_long_name") or meta.get("container_format"))
        _line("duration", _timecode(meta["duration"]) if meta.get("duration") is not None else None)
        video = " ".join(
            str(v)
            for v in (meta.get("video_codec"), meta.get("video_profile"), meta.get("pix_fmt"))
            if v
        )
        _line("video", video)
        if meta.get("coded_width"):
            upright = f"{meta.get('display_width')}x{meta.get('display_height')}"
            coded = f"{meta.get('coded_width')}x{meta.get('coded_height')}"
            rotation = meta.get("rotation") or 0
            _line("resolution", f"{coded} coded, {upright} upright (rotation {rotation}°)")
        _line(
            "aspect ratio",
            f"pixel {meta.get('sample_aspect_ratio')}, display {meta.get('display_aspect_ratio')}",
        )
        if meta.get("frame_rate"):
            vfr = "variable" if meta.get("variable_frame_rate") else "constant"
            _line(
                "frame rate",
                f"{meta['frame_rate']} ({meta.get('frame_rate_float', 0):.3f} fps, {vfr})",
            )
        _line("frames", meta.get("frame_count"))
        _line(
            "bit rate",
            f"{meta.get('overall_bit_rate')} b/s overall, {meta.get('video_bit_rate')} b/s video",
        )
        if meta.get("has_audio"):
            _line(
                "audio",
                f"{meta.get('audio_codec')} {meta.get('audio_channels')} ch "
                f"{meta.get('audio_sample_rate')} Hz",
            )
        else:
            _line("audio", "none")
    _line("creation time", meta.get("creation_time") or "not recorded")
    _line("encoder", meta.get("encoder"))
    device = " ".join(v for v in (meta.get("device_make"), meta.get("device_model")) if v)
    _line("device", device or None)
    gps = meta.get("gps")
    if gps:
        alt = f", {gps['alt']} m" if gps.get("alt") is not None else ""
        _line("GPS tag", f"{gps['lat']:.6f}, {gps['lon']:.6f}{alt}  ({gps.get('raw')})")

    if data.get("flags"):
        _heading("Flags")
        for flag in data["flags"]:
            marker = "!" if flag.get("severity") == "warning" else "i"
            render.out.print(f"  [{marker}] {flag['message']}", markup=False, highlight=False)

    analysis = data["analysis"]
    _heading("Analysis")
    _line("status", analysis["status"])
    _line("error", analysis["error"])
    for warning in analysis["warnings"] or []:
        _line("warning", warning)
    _line("analysed at", analysis["analysed_at"])

    if data["keyframes"]:
        _heading(f"Keyframes ({len(data['keyframes'])})")
        for k in data["keyframes"]:
            render.out.print(
                f"  frame {k['frame_index']:>6}  {_timecode(k['seconds'])}  {k['reason']:<6}  "
                f"pHash {k['phash']}  PDQ {k['pdq']} (q {k['pdq_quality']})",
                markup=False,
                highlight=False,
            )
        _heading("Edit points")
        if data["edit_points"]:
            for k in data["edit_points"]:
                render.out.print(
                    f"  {k['reason']} at frame {k['frame_index']} ({_timecode(k['seconds'])})",
                    markup=False,
                    highlight=False,
                )
        else:
            render.out.print("  none detected (a single continuous shot)")

    _heading(f"Matches ({len(data.get('matches', []))})")
    for r in data.get("matches", []):
        b = r["clip_b"]
        mirrored = ", mirrored" if r["transform"].get("mirrored") else ""
        render.out.print(
            f"  {r['relation']:<15} #{b['id']} {b['name']} (case {b.get('case')})  "
            f"score {r['score']:.2f}  offset {r.get('offset', 0):+.2f}s{mirrored}",
            markup=False,
            highlight=False,
        )

    _heading(f"Appearances ({len(data['appearances'])})")
    for a in data["appearances"]:
        facts = post_facts(a)
        render.out.print(
            f"  #{a['id']} {a['platform']}  {a['url'] or 'no address recorded'}",
            markup=False,
            highlight=False,
        )
        _line("  posted at", facts.when)
        _line("  where", facts.where)
        _line("  who", facts.who)
        for note in facts.notes:
            _line("  warning", note)

    if data.get("annotations"):
        _heading(f"Annotations ({len(data['annotations'])})")
        for line in annotation_lines(data["annotations"]):
            render.out.print(line, markup=False, highlight=False)

    _heading("Custody")
    for e in data["custody"]:
        render.out.print(
            f"  #{e['seq']} {e['occurred_at'][:19]}Z  {e['actor']}  {e['action']}",
            markup=False,
            highlight=False,
        )
