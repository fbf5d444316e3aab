"""Technical metadata of still images (JPEG, PNG, WebP, TIFF, HEIC when supported).

Stills are evidence too (screenshots, photos posted next to a clip). Their
provenance lives in EXIF: capture time (with or without a UTC offset), GPS,
camera make/model and the software that last saved the file. EXIF is read
with exifread because it reports every tag, including ones Pillow does not
name; Pillow gives the pixel size and opens the file to prove it is an image.

EXIF ``DateTimeOriginal`` is local time without a zone unless the camera also
wrote ``OffsetTimeOriginal``; a report must not present such a time as UTC, so
:attr:`MediaInfo.creation_time_is_local` says which case applies.
"""

from __future__ import annotations

import contextlib
import warnings
from datetime import UTC, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import exifread
from PIL import Image, UnidentifiedImageError

from verifier.errors import VerifierError
from verifier.media.info import (
    MAX_PIXELS,
    MediaInfo,
    check_dimensions,
    format_utc,
    parse_timestamp,
    read_head,
    sniff_still,
)

with contextlib.suppress(ImportError):  # optional: HEIC/HEIF support for Pillow
    import pillow_heif

    pillow_heif.register_heif_opener()

#: Clockwise rotation and mirroring for EXIF Orientation values 1-8 (as exiftool
#: names them: 5 = "mirror horizontal and rotate 270 CW", 7 = "... 90 CW").
ORIENTATION: dict[int, tuple[int, bool]] = {
    1: (0, False),
    2: (0, True),
    3: (180, False),
    4: (180, True),
    5: (270, True),
    6: (90, False),
    7: (90, True),
    8: (270, False),
}

#: Tags that hold binary blobs; they are left out of ``tags`` (only noted),
#: because they are large, unreadable as text and vendor-specific.
_BLOB_TAGS = ("JPEGThumbnail", "TIFFThumbnail", "EXIF MakerNote")
#: Any other tag whose text is longer than this is also noted, not copied.
_MAX_TAG_TEXT = 4096

_DATE_TAGS = (
    ("EXIF DateTimeOriginal", ("EXIF OffsetTimeOriginal", "EXIF OffsetTime")),
    ("EXIF DateTimeDigitized", ("EXIF OffsetTimeDigitized", "EXIF OffsetTime")),
    ("Image DateTime", ("EXIF OffsetTime",)),
)


def _text(tag: Any) -> str:
    """A tag's printable text without NUL padding."""
    return str(tag).strip().rstrip("\x00").strip()


def _ratio_value(value: Any) -> float:
    """Float from an exifread Ratio/int; a zero denominator raises ValueError."""
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        if value.denominator == 0:
            raise ValueError("zero denominator")
        return float(Fraction(int(value.numerator), int(value.denominator)))
    return float(value)


def _dms(tag: Any) -> float:
    """Decimal degrees from EXIF degrees/minutes/seconds rationals (1 to 3 values)."""
    values = list(tag.values)
    if not values or len(values) > 3:
        raise ValueError("expected 1 to 3 rationals")
    parts = [_ratio_value(v) for v in values] + [0.0, 0.0]
    deg, minutes, seconds = parts[:3]
    if minutes >= 60 or seconds >= 60 or deg < 0 or minutes < 0 or seconds < 0:
        raise ValueError("minutes or seconds out of range")
    return deg + minutes / 60 + seconds / 3600


def exif_gps(exif: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """GPS point from exifread tags: ``(gps or None, raw text or None, problem or None)``.

    The raw text lists the tag values as written, so the report can show them
    even when they are invalid (zero denominators, missing references).
    """
    lat_tag = exif.get("GPS GPSLatitude")
    lon_tag = exif.get("GPS GPSLongitude")
    if lat_tag is None and lon_tag is None:
        return None, None, None
    names = (
        "GPSLatitude",
        "GPSLatitudeRef",
        "GPSLongitude",
        "GPSLongitudeRef",
        "GPSAltitude",
        "GPSAltitudeRef",
    )
    raw = "; ".join(f"{n}={_text(exif[f'GPS {n}'])}" for n in names if f"GPS {n}" in exif)
    try:
        if lat_tag is None or lon_tag is None:
            raise ValueError("latitude or longitude missing")
        lat, lon = _dms(lat_tag), _dms(lon_tag)
        lat_ref = _text(exif.get("GPS GPSLatitudeRef", "N")).upper()[:1] or "N"
        lon_ref = _text(exif.get("GPS GPSLongitudeRef", "E")).upper()[:1] or "E"
        if lat_ref not in "NS" or lon_ref not in "EW":
            raise ValueError("bad hemisphere reference")
        lat = -lat if lat_ref == "S" else lat
        lon = -lon if lon_ref == "W" else lon
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("coordinates out of range")
        alt: float | None = None
        if "GPS GPSAltitude" in exif:
            alt = _ratio_value(exif["GPS GPSAltitude"].values[0])
            ref = exif.get("GPS GPSAltitudeRef")
            if ref is not None and ref.values and int(ref.values[0]) == 1:
                alt = -alt  # 1 = below sea level
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
        return None, raw, f"GPS tags are present but invalid ({exc}): {raw}"
    return {"lat": lat, "lon": lon, "alt": alt, "raw": raw}, raw, None


def _parse_offset(text: str) -> timezone | None:
    """``+03:00`` / ``-0500`` / ``Z`` into a timezone, None when unreadable."""
    t = text.strip()
    if t.upper() == "Z":
        return UTC
    if len(t) in (5, 6) and t[0] in "+-":
        digits = t[1:].replace(":", "")
        if len(digits) == 4 and digits.isdigit():
            hours, minutes = int(digits[:2]), int(digits[2:])
            if hours <= 14 and minutes < 60:
                sign = -1 if t[0] == "-" else 1
                return timezone(sign * timedelta(hours=hours, minutes=minutes))
    return None


def exif_creation_time(exif: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Creation time fields from EXIF date tags and their offset tags."""
    for date_key, offset_keys in _DATE_TAGS:
        if date_key not in exif:
            continue
        raw = _text(exif[date_key])
        out: dict[str, Any] = {"creation_time_raw": raw, "creation_time_source": date_key}
        dt, _is_local = parse_timestamp(raw)
        if dt is None:
            warnings.append(f"unreadable date {raw!r} in {date_key}")
            return out
        offset_key = next((k for k in offset_keys if k in exif), None)
        tz = _parse_offset(_text(exif[offset_key])) if offset_key else None
        if offset_key and tz is None:
            warnings.append(f"unreadable time offset {_text(exif[offset_key])!r} in {offset_key}")
        if tz is not None and dt.tzinfo is None:
            out["creation_time"] = format_utc(dt.replace(tzinfo=tz))
            out["creation_time_raw"] = f"{raw} {_text(exif[offset_key])}"
            out["creation_time_source"] = f"{date_key} + {offset_key}"
            out["creation_time_is_local"] = False
        else:
            out["creation_time"] = format_utc(dt)
            out["creation_time_is_local"] = dt.tzinfo is None
            if dt.tzinfo is None:
                warnings.append(
                    f"{date_key} has no UTC offset: the time is the camera's "
                    "local time, its zone is unknown"
                )
        return out
    return {}


def _gps_clock_hint(exif: dict[str, Any], creation: dict[str, Any]) -> str | None:
    """When the capture time is local, say what UTC offset the GPS clock implies.

    GPSDateStamp/GPSTimeStamp are UTC by the EXIF standard; the difference to the
    local DateTimeOriginal suggests the zone. It is a hint for the analyst (GPS
    time is from the last fix), so it is reported, never applied.
    """
    if not creation.get("creation_time_is_local") or "GPS GPSTimeStamp" not in exif:
        return None
    date = exif.get("GPS GPSDate")
    if date is None:
        return None
    try:
        h, m, sec = (_ratio_value(v) for v in exif["GPS GPSTimeStamp"].values[:3])
        gps_dt, _ = parse_timestamp(f"{_text(date)} 00:00:00")
        local_dt, _ = parse_timestamp(creation["creation_time"])
    except (ValueError, TypeError, KeyError):
        return None
    if gps_dt is None or local_dt is None:
        return None
    gps_dt = gps_dt + timedelta(hours=h, minutes=m, seconds=sec)
    minutes = round((local_dt - gps_dt).total_seconds() / 900) * 15
    sign = "+" if minutes >= 0 else "-"
    offset = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return (
        f"the GPS clock says {format_utc(gps_dt)} UTC, which suggests the local capture "
        f"time is {offset} (a hint, not applied)"
    )


def _blob_size(tag: Any) -> str:
    """How big an omitted blob is, for the note that replaces it."""
    if isinstance(tag, bytes | bytearray):
        return f"{len(tag)} bytes"
    return f"{len(getattr(tag, 'values', ()))} values"


def _exif_tags(
    path: Path, warnings: list[str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """All EXIF tags via exifread: ``(raw tag objects, text by name, omitted blobs)``.

    Blobs (thumbnails, over-long values) are noted in the third dict rather
    than copied. MakerNote is not parsed (``details=False``): vendor formats are
    many and fragile, and its presence is noted by the caller from Pillow.
    """
    try:
        with path.open("rb") as fh:
            exif = exifread.process_file(fh, details=False, truncate_tags=False)
    except Exception as exc:  # exifread raises assorted errors on odd files
        warnings.append(f"EXIF could not be read ({type(exc).__name__}: {exc})")
        return {}, {}, {}
    text: dict[str, str] = {}
    omitted: dict[str, str] = {}
    for key, tag in exif.items():
        if key in _BLOB_TAGS or key.startswith("MakerNote"):
            omitted[key] = _blob_size(tag)
            continue
        value = _text(tag)
        if len(value) > _MAX_TAG_TEXT:
            omitted[key] = f"{len(value)} characters of text"
            continue
        text[key] = value
    return exif, text, omitted


def open_image(path: Path) -> Image.Image:
    """Open an image lazily (header only) and refuse it when its declared size is too big.

    Pillow reads only the header here, so a declared size beyond
    :data:`~verifier.media.info.MAX_PIXELS` is refused before any pixel is
    decoded; Pillow's own decompression-bomb error (raised by ``Image.open``
    for twice its limit) becomes the same one-line refusal. Every decoder of
    stills opens them through here. Raises VerifierError or OSError.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns from 89 MP on; the limit that decides is ours, below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise VerifierError(
            f"the picture declares more than {MAX_PIXELS // 1_000_000} megapixels, more than "
            "Verifier decodes; refused before decoding (a damaged header or a "
            "decompression bomb)",
            path=path,
        ) from exc
    try:
        check_dimensions(*image.size, path)
    except VerifierError:
        image.close()
        raise
    return image


def probe_still(path: str | Path) -> MediaInfo:
    """Technical metadata of a still image as a :class:`MediaInfo` with ``kind="image"``.

    ``coded_width``/``coded_height`` are the stored pixels; ``display_width``/
    ``display_height`` are upright after EXIF Orientation (5-8 swap the sides).
    """
    head = read_head(path)
    sniffed = sniff_still(head.head)
    warnings: list[str] = []
    try:
        with open_image(head.path) as img:
            image_format = img.format or sniffed or "unknown"
            long_name = getattr(img, "format_description", None)
            width, height = img.size
            orientation = img.getexif().get(0x0112)
            n_frames = getattr(img, "n_frames", 1)
            pil_exif = img.getexif()
            has_exif = len(pil_exif) > 0
            maker_note = pil_exif.get_ifd(0x8769).get(0x927C)
            info_text = {
                str(k): str(v)
                for k, v in img.info.items()
                if isinstance(v, str | int | float) and len(str(v)) <= _MAX_TAG_TEXT
            }
    except (UnidentifiedImageError, OSError) as exc:
        if sniffed in ("HEIF", "AVIF"):
            raise VerifierError(
                f"{'HEIC' if sniffed == 'HEIF' else 'AVIF'} not supported: install pillow-heif",
                path=head.path,
            ) from exc
        if isinstance(exc, PermissionError):
            raise VerifierError("cannot read the file (permission denied)", path=head.path) from exc
        raise VerifierError(f"not a readable image ({exc})", path=head.path) from exc
    if n_frames > 1:
        warnings.append(f"the image holds {n_frames} frames; the first is described")

    # Pillow finds EXIF in JPEG, PNG (eXIf), WebP and TIFF; when it finds none,
    # exifread is not asked (it would only log "no EXIF" noise).
    exif, exif_text, omitted = _exif_tags(head.path, warnings) if has_exif else ({}, {}, {})
    if isinstance(maker_note, bytes | bytearray | str):
        omitted["EXIF MakerNote"] = f"{len(maker_note)} bytes"
    if orientation is None and "Image Orientation" in exif:
        with contextlib.suppress(TypeError, ValueError, IndexError):
            orientation = int(exif["Image Orientation"].values[0])
    rotation, mirrored = 0, False
    if orientation is not None:
        if int(orientation) in ORIENTATION:
            rotation, mirrored = ORIENTATION[int(orientation)]
        else:
            warnings.append(f"unknown EXIF Orientation value {orientation}; ignored")
    swap = rotation in (90, 270)
    disp_w, disp_h = (height, width) if swap else (width, height)

    creation = exif_creation_time(exif, warnings)
    hint = _gps_clock_hint(exif, creation)
    if hint:
        warnings.append(hint)
    gps, gps_raw, gps_problem = exif_gps(exif)
    if gps_problem:
        warnings.append(gps_problem)

    def tag(*keys: str) -> str | None:
        for key in keys:
            if key in exif and _text(exif[key]):
                return _text(exif[key])
        return None

    software = tag("Image Software", "Image ProcessingSoftware") or info_text.get("Software")
    return MediaInfo(
        kind="image",
        container_format=image_format,
        container_long_name=long_name,
        size_bytes=head.size,
        image_format=image_format,
        coded_width=width,
        coded_height=height,
        rotation=rotation,
        mirrored=mirrored,
        display_width=disp_w,
        display_height=disp_h,
        frame_count=1,
        encoder=software,
        device_make=tag("Image Make"),
        device_model=tag("Image Model"),
        gps=gps,
        gps_raw=gps_raw,
        tags={
            "format": {"image_format": image_format, **info_text},
            "exif": exif_text,
            "omitted": omitted,
        },
        warnings=tuple(warnings),
        **creation,
    )
