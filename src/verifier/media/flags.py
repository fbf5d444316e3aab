"""Findings a person should see about a file's metadata, as plain sentences.

Metadata never proves authenticity, but some patterns change how an analyst
reads a clip: a file with no capture metadata and an FFmpeg muxer is a
platform re-encode, not the camera original; a creation time after the clip
was first seen online was rewritten; a product name in the encoder field says
which editor or platform last wrote the file. These rules are pure functions
of a :class:`MediaInfo` so they can be tested without media and shown the same
way in the GUI, the CLI and the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from verifier.media.info import MediaInfo, parse_timestamp

Severity = Literal["info", "warning"]


@dataclass(frozen=True)
class Flag:
    """One finding: a stable ``code`` for filtering, a severity and a full sentence."""

    code: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class Product:
    """A known writer of media files, recognised by a pattern in software/encoder tags."""

    name: str
    pattern: re.Pattern[str]
    code: Literal["editing-software", "platform-encoder"]


def _p(regex: str) -> re.Pattern[str]:
    """Case-insensitive: tools write their names in any case ("LAVF", "CapCut")."""
    return re.compile(regex, re.IGNORECASE)


#: Known editing tools and platforms. Order matters only for the message when a
#: string names two products (the first match per product is reported).
PRODUCTS: tuple[Product, ...] = (
    Product("Adobe Premiere", _p(r"premiere"), "editing-software"),
    Product("Adobe After Effects", _p(r"after\s*effects"), "editing-software"),
    Product("Adobe Photoshop", _p(r"photoshop"), "editing-software"),
    Product("Adobe Lightroom", _p(r"lightroom"), "editing-software"),
    Product("Final Cut Pro", _p(r"final\s*cut"), "editing-software"),
    Product("iMovie", _p(r"\bimovie\b"), "editing-software"),
    Product("DaVinci Resolve", _p(r"davinci|\bresolve\b"), "editing-software"),
    Product("CapCut", _p(r"cap\s*cut"), "editing-software"),
    Product("InShot", _p(r"\binshot\b"), "editing-software"),
    Product("VN Video Editor", _p(r"^vn\b|\bvn\s*(video)?\s*editor\b"), "editing-software"),
    Product("KineMaster", _p(r"kine\s*master"), "editing-software"),
    Product("Filmora", _p(r"filmora|wondershare"), "editing-software"),
    Product("HandBrake", _p(r"handbrake"), "editing-software"),
    Product("GIMP", _p(r"\bgimp\b"), "editing-software"),
    Product("Snapseed", _p(r"snapseed"), "editing-software"),
    Product("FFmpeg", _p(r"\blav[fc]\s*\d|\bffmpeg\b|\blibavformat\b"), "platform-encoder"),
    Product("Telegram", _p(r"telegram"), "platform-encoder"),
    Product("WhatsApp", _p(r"whats\s*app"), "platform-encoder"),
    Product("TikTok", _p(r"tik\s*tok|bytedance|douyin"), "platform-encoder"),
    Product("Instagram", _p(r"instagram"), "platform-encoder"),
    Product("YouTube", _p(r"youtube|produced by google"), "platform-encoder"),
)

#: Raw tag keys (container, stream, EXIF) that name the software that wrote a file.
_SOFTWARE_TAG_KEYS = frozenset(
    {
        "encoder",
        "software",
        "handler_name",
        "com.apple.quicktime.software",
        "encoded_by",
        "encoding_tool",
        "writing_application",
        "image software",
        "image processingsoftware",
    }
)

#: Muxers that write dates counted from these epochs store "zero" when they
#: know no date; such a date means "unknown", not "filmed in 1904".
_EPOCH_YEARS = (1904, 1970)

#: A time with no UTC offset may be off by up to 14 hours either way.
_LOCAL_SLACK = timedelta(hours=14)


def software_strings(info: MediaInfo) -> list[tuple[str, str]]:
    """Every ``(field, value)`` that names software, from fields and raw tags, deduplicated."""
    found: list[tuple[str, str]] = []
    for field_name in ("encoder", "video_encoder", "handler_name"):
        value = getattr(info, field_name)
        if value:
            found.append((field_name, value))
    tags = info.tags or {}
    scopes: list[dict[str, object]] = []
    for key in ("format", "exif"):
        if isinstance(tags.get(key), dict):
            scopes.append(tags[key])
    for stream in tags.get("streams") or []:
        if isinstance(stream, dict) and isinstance(stream.get("metadata"), dict):
            scopes.append(stream["metadata"])
    for scope in scopes:
        for key, value in scope.items():
            if str(key).lower() in _SOFTWARE_TAG_KEYS and value:
                found.append((str(key), str(value)))
    seen: set[str] = set()
    unique: list[tuple[str, str]] = []
    for key, value in found:
        if value not in seen:
            seen.add(value)
            unique.append((key, value))
    return unique


def match_products(info: MediaInfo) -> list[tuple[Product, str, str]]:
    """Known products named in the software strings: ``(product, field, value)``, once each."""
    hits: list[tuple[Product, str, str]] = []
    named: set[str] = set()
    strings = software_strings(info)
    for product in PRODUCTS:
        for key, value in strings:
            if product.name not in named and product.pattern.search(value):
                named.add(product.name)
                hits.append((product, key, value))
    return hits


def _field_label(key: str, info: MediaInfo) -> str:
    """How a person names the field a software string came from."""
    labels = {
        "encoder": "software" if info.kind == "image" else "encoder",
        "video_encoder": "video stream encoder",
        "handler_name": "handler name",
    }
    return labels.get(key, key)


def _creation_datetime(info: MediaInfo) -> datetime | None:
    """The creation time as an aware UTC datetime (naive local times are read as UTC)."""
    dt, _local = parse_timestamp(info.creation_time)
    if dt is None:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _aware(dt: datetime) -> datetime:
    """Treat naive datetimes passed by callers as UTC (the project stores UTC)."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _is_epoch(dt: datetime) -> bool:
    """1 January 1904 (QuickTime) or 1970 (Unix): a zero written for "unknown"."""
    return dt.year in _EPOCH_YEARS and dt.month == 1 and dt.day == 1


def _fmt(dt: datetime) -> str:
    """A UTC time as people read it in a sentence."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def metadata_flags(
    info: MediaInfo, *, first_seen: datetime | None = None, now: datetime | None = None
) -> list[Flag]:
    """The findings for one file, warnings first in a stable order.

    ``first_seen`` is the earliest known appearance of the content online (an
    upper bound for when it was filmed); ``now`` defaults to the current time
    and is a parameter so tests and re-generated reports are reproducible.
    """
    now = _aware(now) if now is not None else datetime.now(UTC)
    flags: list[Flag] = []
    what = "image" if info.kind == "image" else "clip"
    created = _creation_datetime(info)
    local = info.creation_time_is_local
    slack = _LOCAL_SLACK if local else timedelta(0)
    zone_note = (
        " (a local time of unknown zone, so compared with 14 hours' leeway)" if local else ""
    )
    epoch = created is not None and _is_epoch(created)
    products = match_products(info)

    if created is not None and epoch:
        flags.append(
            Flag(
                "creation-time-epoch",
                "warning",
                f"The creation time {_fmt(created)} is a zero date that muxers write when "
                f"they know no date; the {what} has no real creation time.",
            )
        )
    if created is not None and not epoch and created - slack > now:
        flags.append(
            Flag(
                "creation-time-future",
                "warning",
                f"The creation time {_fmt(created)}{zone_note} lies in the future "
                f"(now is {_fmt(now)}): the device clock was wrong or the metadata was edited.",
            )
        )
    if first_seen is not None and created is not None and not epoch:
        seen = _aware(first_seen)
        if created - slack > seen:
            flags.append(
                Flag(
                    "creation-time-after-first-seen",
                    "warning",
                    f"The creation time {_fmt(created)}{zone_note} is after the {what} was "
                    f"first seen online ({_fmt(seen)}): this file is a later copy (re-encoded "
                    "or re-saved) or its metadata is wrong, so it is not the original.",
                )
            )

    reencoder = any(p.code == "platform-encoder" for p, _k, _v in products)
    has_software = bool(software_strings(info))
    no_capture = (created is None or epoch) and not info.device_make and not info.device_model
    if no_capture and info.gps is None and (reencoder or not has_software):
        writer = next(
            (f"{p.name} ({v})" for p, _k, v in products if p.code == "platform-encoder"),
            "no named software",
        )
        flags.append(
            Flag(
                "metadata-stripped",
                "warning",
                f"The {what} carries no capture metadata (no creation time, no device make or "
                f"model, no GPS) and was written by {writer}; this is typical of a platform "
                "re-encode (Telegram, WhatsApp, X) and means it is probably not the original "
                "recording.",
            )
        )

    for product, raw_key, value in products:
        key = _field_label(raw_key, info)
        if product.code == "editing-software":
            flags.append(
                Flag(
                    "editing-software",
                    "warning",
                    f"The {key} field says “{value}”, which is {product.name}: the {what} "
                    "was last saved by editing software, so it may have been cut, "
                    "re-framed or altered after capture.",
                )
            )
        elif product.name == "FFmpeg":
            flags.append(
                Flag(
                    "platform-encoder",
                    "info",
                    f"The {key} field says “{value}”, which is FFmpeg: the {what} was "
                    "re-encoded or re-muxed with FFmpeg, as platforms (Telegram, X) and many "
                    "tools do; it is not the camera original.",
                )
            )
        else:
            flags.append(
                Flag(
                    "platform-encoder",
                    "info",
                    f"The {key} field says “{value}”, which is {product.name}: the {what} "
                    f"was processed by {product.name} and is a platform copy, not the "
                    "camera original.",
                )
            )

    if info.rotation:
        size = (
            f" to {info.display_width}x{info.display_height}"
            if info.display_width and info.display_height
            else ""
        )
        mirror = " and mirrored" if info.mirrored else ""
        flags.append(
            Flag(
                "rotation-metadata",
                "info",
                f"The {what} is stored turned and carries display rotation metadata: it is "
                f"shown rotated {info.rotation}° clockwise{mirror}{size}, as players show it.",
            )
        )
    if info.variable_frame_rate:
        flags.append(
            Flag(
                "variable-frame-rate",
                "info",
                "The frame timestamps are irregular (variable frame rate), which is typical "
                "of phone recordings and screen recordings; count time by timestamps, "
                "not by frame numbers.",
            )
        )
    if info.gps is not None:
        alt = info.gps.get("alt")
        alt_text = f", altitude {alt:.0f} m" if isinstance(alt, int | float) else ""
        flags.append(
            Flag(
                "gps-present",
                "info",
                f"The {what} carries GPS coordinates {info.gps['lat']:.6f}, "
                f"{info.gps['lon']:.6f}{alt_text}; they record where the device believed it "
                "was and can be edited, so corroborate them.",
            )
        )
    order = {"warning": 0, "info": 1}
    return sorted(flags, key=lambda f: order[f.severity])
