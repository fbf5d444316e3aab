"""The Metadata tab: what is known about a clip's file, written like a report.

Labels are words ("Frame rate", not ``frame_rate``), numbers carry their units
and, where a float hides the truth, the exact value beside it (≈29.97 fps next
to 30000/1001). Everything is selectable text; long values (SHA-256, paths,
the GPS position) have a *copy* link that copies the exact value, and a GPS
position links to the web maps. Stills get an "Image" section, never "Video".
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, Protocol

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from verifier.geo.maps import map_links
from verifier.services.viewing import format_seconds

SEVERITY_COLOURS = {"high": "#c0392b", "warning": "#d35400"}
COPY_SCHEME = "copy"

#: Report labels for the stored metadata keys.
LABELS = {
    "video_codec": "Codec",
    "video_profile": "Profile",
    "pix_fmt": "Pixel format",
    "coded_width": "Coded size",
    "display_width": "Displayed size",
    "rotation": "Rotation",
    "mirrored": "Mirrored",
    "sample_aspect_ratio": "Pixel aspect ratio",
    "display_aspect_ratio": "Picture aspect ratio",
    "frame_rate": "Frame rate",
    "variable_frame_rate": "Variable frame rate",
    "frame_count": "Frames decoded",
    "frame_count_header": "Frames the header declares",
    "duration": "Duration",
    "video_bit_rate": "Video bit rate",
    "time_base": "Time base",
    "start_time": "Start time",
    "video_encoder": "Video encoder",
    "has_audio": "Audio track",
    "audio_codec": "Audio codec",
    "audio_channels": "Channels",
    "audio_sample_rate": "Sample rate",
    "audio_bit_rate": "Audio bit rate",
    "container_format": "Container",
    "container_long_name": "Container (full name)",
    "size_bytes": "Size",
    "overall_bit_rate": "Overall bit rate",
    "major_brand": "Major brand",
    "image_format": "Image format",
    "creation_time": "Creation time",
    "creation_time_raw": "Creation time as written",
    "creation_time_source": "Creation time from",
    "creation_time_is_local": "Creation time is local time",
    "encoder": "Encoder",
    "handler_name": "Handler name",
    "device_make": "Device make",
    "device_model": "Device model",
    "gps": "GPS position",
    "gps_raw": "GPS as written",
}

VIDEO_KEYS = (
    "video_codec", "video_profile", "pix_fmt", "display_width", "coded_width", "rotation",
    "mirrored", "sample_aspect_ratio", "display_aspect_ratio", "frame_rate",
    "variable_frame_rate", "frame_count", "frame_count_header", "duration", "video_bit_rate",
    "time_base", "start_time", "video_encoder",
)  # fmt: skip
IMAGE_KEYS = ("image_format", "display_width", "coded_width", "pix_fmt", "rotation", "mirrored")
AUDIO_KEYS = ("has_audio", "audio_codec", "audio_channels", "audio_sample_rate", "audio_bit_rate")
CONTAINER_KEYS = (
    "container_format", "container_long_name", "size_bytes", "overall_bit_rate", "major_brand",
)  # fmt: skip
CAPTURE_KEYS = (
    "creation_time", "creation_time_raw", "creation_time_source", "creation_time_is_local",
    "encoder", "handler_name", "device_make", "device_model", "gps", "gps_raw",
)  # fmt: skip

FRAME_NUMBERS = (
    "Frame numbers count the frames in decoding order: the order the file stores them, "
    "starting at 0. Usually that is also the order they are shown. Where the file's "
    "timestamps go backwards (a warning above says so), a higher frame number can be "
    "shown earlier in time, so quote the time or the pts with a frame number."
)
FRAME_NUMBERS_OUT_OF_ORDER = (
    "This file's timestamps are not in increasing order: frame numbers here follow the "
    "order the file stores the frames, not the order in time. Quote the time or the pts."
)


class HasClip(Protocol):
    """What the pane reads from the clip details the window loaded."""

    clip: dict[str, Any]


@dataclass
class Row:
    """One line of the report as shown: its section, label, text and links."""

    section: str
    label: str
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (name, url)
    copy: str | None = None  # the exact value the copy link copies
    colour: str | None = None


def frame_rate_text(rate: str | None, rate_float: float | None = None) -> str:
    """``≈29.97 fps (30000/1001)``; a whole rate reads ``25 fps``."""
    if not rate:
        return f"≈{rate_float:.2f} fps" if rate_float else "unknown"
    try:
        exact = Fraction(rate)
    except (ValueError, ZeroDivisionError):
        return str(rate)
    if exact.denominator == 1:
        return f"{exact.numerator} fps"
    return f"≈{float(exact):.2f} fps ({exact.numerator}/{exact.denominator})"


def bit_rate_text(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} Mbit/s"
    return f"{value / 1000:.0f} kbit/s"


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB ({size:,} bytes)"
    if size >= 1000:
        return f"{size / 1000:.1f} kB ({size:,} bytes)"
    return f"{size:,} bytes"


def duration_text(seconds: float) -> str:
    return f"{seconds:.3f} s ({format_seconds(seconds)})"


def _value_text(key: str, value: Any, metadata: dict[str, Any]) -> str:
    """One metadata value in words and units."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "frame_rate":
        return frame_rate_text(value, metadata.get("frame_rate_float"))
    if key in ("video_bit_rate", "audio_bit_rate", "overall_bit_rate"):
        return bit_rate_text(float(value))
    if key == "size_bytes":
        return size_text(int(value))
    if key == "duration":
        return duration_text(float(value))
    if key == "start_time":
        return f"{float(value):.6g} s"
    if key == "time_base":
        return f"{value} s (the unit of the timestamps)"
    if key == "rotation":
        return f"{value}°"
    if key == "audio_sample_rate":
        return f"{int(value) / 1000:g} kHz"
    if key == "display_width":
        return f"{value}×{metadata.get('display_height')} pixels"
    if key == "coded_width":
        return f"{value}×{metadata.get('coded_height')} pixels"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def when_text(iso: str) -> str:
    """``2026-11-30 04:16:20 UTC`` from a stored ISO time (UTC), to the second."""
    try:
        moment = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def _grouped_sha(sha: str) -> str:
    """The hash in groups of 16 so it wraps in a narrow pane (the copy link copies it whole)."""
    return " ".join(sha[i : i + 16] for i in range(0, len(sha), 16))


def build_rows(clip: dict[str, Any]) -> list[Row]:
    """The report's lines for one clip (from ``describe_clip``), in display order."""
    rows: list[Row] = []
    flags = clip.get("flags") or []
    for flag in flags:
        rows.append(
            Row(
                f"Flags ({len(flags)})", str(flag["code"]).replace("-", " ").capitalize(),
                str(flag["message"]), copy=str(flag["message"]),
                colour=SEVERITY_COLOURS.get(flag.get("severity", "")),
            )
        )  # fmt: skip
    file = clip["file"]
    file_rows = [
        Row("File", "SHA-256", _grouped_sha(clip["sha256"]), copy=clip["sha256"]),
        Row("File", "Size", size_text(int(clip["size"]))),
        Row("File", "Original name", str(file["original_name"])),
        Row("File", "Original path", str(file["original_path"]), copy=str(file["original_path"])),
        Row("File", "Imported", f"{when_text(file['imported_at'])} by {file['imported_by']}"),
        Row("File", "Stored as", str(file["stored_path"]), copy=str(file["stored_path"])),
    ]
    analysis = clip["analysis"]
    title = "Analysis"
    analysis_rows = [Row(title, "State", str(analysis["status"]))]
    if analysis.get("error"):
        error = str(analysis["error"])
        analysis_rows.append(Row(title, "Error", error, copy=error, colour="#c0392b"))
    if analysis.get("analysed_at"):
        analysis_rows.append(Row(title, "Analysed at", when_text(analysis["analysed_at"])))
    if analysis.get("version"):
        analysis_rows.append(Row(title, "Analysis version", str(analysis["version"])))
    warnings = [str(w) for w in analysis.get("warnings") or []]
    analysis_rows += [Row(title, "Warning", w, copy=w) for w in warnings]
    metadata = clip.get("metadata") or {}
    still = clip.get("kind") == "image"
    picture = ("Image", IMAGE_KEYS) if still else ("Video", VIDEO_KEYS)
    # Where and when the file says it was made come first: they are what a
    # verification starts from; the file's own identity and the analysis follow.
    for section, keys in (("Capture and software", CAPTURE_KEYS), picture,
                          ("Audio", AUDIO_KEYS), ("Container", CONTAINER_KEYS)):  # fmt: skip
        if still and section == "Audio":
            continue
        for key in keys:
            value = metadata.get(key)
            if value in (None, ""):
                continue
            if key == "gps" and isinstance(value, dict):
                rows.append(_gps_row(section, value))
                continue
            text = _value_text(key, value, metadata)
            long = len(text) > 40
            rows.append(Row(section, LABELS.get(key, key), text, copy=text if long else None))
        if section == "Video":
            out_of_order = any("decoding order" in w for w in warnings)
            note = FRAME_NUMBERS_OUT_OF_ORDER if out_of_order else FRAME_NUMBERS
            colour = "#d35400" if out_of_order else None
            rows.append(Row(section, "Frame numbers", note, colour=colour))
    rows += file_rows + analysis_rows
    tags = metadata.get("tags") or {}
    for key, value in sorted(tags.items()):
        rows.append(Row(f"All tags ({len(tags)})", str(key), str(value), copy=str(value)))
    return rows


def _gps_row(section: str, gps: dict[str, Any]) -> Row:
    lat, lon = float(gps["lat"]), float(gps["lon"])
    coordinate = f"{lat:.6f}, {lon:.6f}"
    alt = gps.get("alt")
    text = coordinate + (f" (altitude {float(alt):.0f} m)" if alt is not None else "")
    links = [(link.name, link.url) for link in map_links(lat, lon)]
    return Row(section, LABELS["gps"], text, links=links, copy=coordinate)


class MetadataPane(QWidget):
    """Technical metadata as a readable, selectable report, with the flags first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("metadataReport")
        self.browser.setOpenLinks(False)  # map links open in the web browser, copy links copy
        self.browser.anchorClicked.connect(self._anchor)
        self.copy_button = QPushButton("Copy all", self)
        self.copy_button.setToolTip("Copy the whole report as plain text")
        self.copy_button.clicked.connect(self.copy_all)
        self.copy_button.setEnabled(False)
        self._rows: list[Row] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        layout.addLayout(buttons)

    # --------------------------------------------------------------- reading

    @property
    def rows(self) -> list[Row]:
        return list(self._rows)

    def sections(self) -> list[str]:
        return list(dict.fromkeys(row.section for row in self._rows))

    def row(self, label: str) -> Row | None:
        return next((row for row in self._rows if row.label == label), None)

    def value(self, label: str) -> str | None:
        found = self.row(label)
        return found.text if found else None

    # --------------------------------------------------------------- showing

    def show_details(self, details: HasClip | None) -> None:
        self.show_clip(details.clip if details is not None else None)

    def show_clip(self, clip: dict[str, Any] | None) -> None:
        self._rows = build_rows(clip) if clip is not None else []
        self.copy_button.setEnabled(bool(self._rows))
        self.browser.setHtml(self._html())

    def _html(self) -> str:
        parts: list[str] = []
        section = None
        for number, row in enumerate(self._rows):
            if row.section != section:
                if section is not None:
                    parts.append("</table>")
                section = row.section
                parts.append(f"<h4 style='margin-top:10px'>{html.escape(section)}</h4>")
                parts.append("<table width='100%' cellspacing='0' cellpadding='2'>")
            value = html.escape(row.text)
            if row.colour:
                value = f"<span style='color:{row.colour}'>{value}</span>"
            # Qt keeps entities in href literally (&amp; would reach the browser), so
            # the URL goes in as it is, with only the quote that would end it encoded.
            extras = [
                f"<a href='{url.replace(chr(39), '%27')}'>{html.escape(name)}</a>"
                for name, url in row.links
            ]
            if row.copy is not None:
                extras.append(f"<a href='{COPY_SCHEME}:{number}'>copy</a>")
            if extras:
                value += "<br>" + " · ".join(extras)
            parts.append(
                "<tr><td width='34%' valign='top' style='color:#666'>"
                f"{html.escape(row.label)}</td><td valign='top'>{value}</td></tr>"
            )
        if section is not None:
            parts.append("</table>")
        return "".join(parts)

    def plain_text(self) -> str:
        """The report as text, as *Copy all* puts it on the clipboard."""
        lines: list[str] = []
        section = None
        for row in self._rows:
            if row.section != section:
                section = row.section
                lines.append(("\n" if lines else "") + section)
            text = row.copy if row.copy is not None and row.label == "SHA-256" else row.text
            lines.append(f"  {row.label}: {text}")
            lines.extend(f"    {name}: {url}" for name, url in row.links)
        return "\n".join(lines)

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.plain_text())

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == COPY_SCHEME:
            number = int(url.path())
            if 0 <= number < len(self._rows) and self._rows[number].copy is not None:
                QGuiApplication.clipboard().setText(str(self._rows[number].copy))
            return
        QDesktopServices.openUrl(url)
