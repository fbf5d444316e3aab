"""Technical metadata of a clip: container, streams, rotation, timing, provenance tags.

Investigators must report a clip's technical facts exactly (codec, frame rate
as the rational the file declares, how many frames are really there, whether
timestamps are regular, the creation time and GPS the device wrote), because a
court or an editor may check them with other tools. So this module:

* reads facts from PyAV's demuxer, never from guesses: the frame count is the
  number of video packets that carry a timestamp (the header's ``nb_frames`` is
  kept separately, because damaged or sparse files disagree with it);
* decides variable frame rate from the packet timestamps themselves, not from
  the header (MP4 headers always state an "average" rate);
* decodes at most one frame, only to read the display matrix: PyAV 18 exposes
  stream side data only on decoded frames (``VideoFrame.side_data``), not on
  the stream;
* keeps every raw tag in :attr:`MediaInfo.tags` so that nothing is lost, and
  the literal text of parsed values (``creation_time_raw``, ``gps["raw"]``).

Still images are dispatched to :func:`verifier.media.stills.probe_still`, so a
JPEG is never reported as a one-frame video.
"""

from __future__ import annotations

import itertools
import math
import re
import statistics
import struct
from datetime import UTC
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from verifier.errors import VerifierError
from verifier.media.info import (
    FileHead,
    MediaInfo,
    check_dimensions,
    format_utc,
    parse_timestamp,
    read_head,
    sniff_still,
)
from verifier.media.stills import probe_still

#: How many video packets may be fed to the decoder to get the first frame
#: (display matrix). Enough for long B-frame/decoder delays, small enough that
#: a damaged stream that never yields a frame costs little.
_MAX_PACKETS_FOR_FIRST_FRAME = 64

#: PyAV/FFmpeg demuxer names that mean "a single still picture".
_STILL_FORMATS = frozenset({"image2", "image2pipe", "webp_pipe", "tiff_pipe", "png_pipe"})

#: Tag keys, in order of preference, that name the writing application.
_ENCODER_KEYS = (
    "com.apple.quicktime.software",
    "software",
    "encoder",
    "encoded_by",
    "encoding_tool",
    "writing_application",
)
_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
_LOCATION_KEYS = (
    "com.apple.quicktime.location.ISO6709",
    "location",
    "location-eng",
    "com.android.location",
    "xyz",
)
#: ``com.apple.quicktime.creationdate`` is the capture time with the device's
#: local offset; ``creation_time`` is what the muxer wrote (UTC, and rewritten by
#: every re-mux), so the Apple key wins when both exist.
_CREATION_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")


# --------------------------------------------------------------------------- files


# --------------------------------------------------------------------------- parsers

_ISO6709 = re.compile(
    r"""^\s*
    (?P<lat_sign>[+-])(?P<lat_int>\d+)(?P<lat_frac>\.\d*)?
    (?P<lon_sign>[+-])(?P<lon_int>\d+)(?P<lon_frac>\.\d*)?
    (?P<alt>[+-]\d+(?:\.\d*)?)?
    (?:CRS[A-Za-z0-9_:]*)?
    /?\s*$""",
    re.VERBOSE,
)


def _iso6709_component(sign: str, int_part: str, frac: str | None, deg_digits: int) -> float:
    """Decimal degrees from one ISO 6709 component (D, DM or DMS form).

    ISO 6709 tells the forms apart by the number of integer digits: latitude
    DD / DDMM / DDMMSS, longitude DDD / DDDMM / DDDMMSS; the fraction belongs to
    the last unit. Degree-only values with fewer digits (``+5.1``) are accepted
    because some writers drop the leading zeros.
    """
    fraction = float(frac) if frac and frac != "." else 0.0
    n = len(int_part)
    if n <= deg_digits:
        value = int(int_part) + fraction
    elif n == deg_digits + 2:
        minutes = int(int_part[deg_digits:]) + fraction
        if minutes >= 60:
            raise ValueError("minutes out of range")
        value = int(int_part[:deg_digits]) + minutes / 60
    elif n == deg_digits + 4:
        minutes = int(int_part[deg_digits : deg_digits + 2])
        seconds = int(int_part[deg_digits + 2 :]) + fraction
        if minutes >= 60 or seconds >= 60:
            raise ValueError("minutes or seconds out of range")
        value = int(int_part[:deg_digits]) + minutes / 60 + seconds / 3600
    else:
        raise ValueError("unexpected number of digits")
    return -value if sign == "-" else value


def parse_iso6709(text: str | None) -> dict[str, Any] | None:
    """Parse an ISO 6709 point (``+50.4501+030.5234+179.000/``) into lat/lon/alt.

    Phones and FFmpeg write this form in ``location``,
    ``com.apple.quicktime.location.ISO6709`` and ``com.android.location``.
    Returns ``{"lat", "lon", "alt", "raw"}`` or None when the text is not a
    valid point (the caller keeps the raw text so nothing is lost).
    """
    if not text:
        return None
    m = _ISO6709.match(text)
    if not m:
        return None
    try:
        lat = _iso6709_component(m["lat_sign"], m["lat_int"], m["lat_frac"], 2)
        lon = _iso6709_component(m["lon_sign"], m["lon_int"], m["lon_frac"], 3)
        alt = float(m["alt"]) if m["alt"] else None
    except ValueError:
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return {"lat": lat, "lon": lon, "alt": alt, "raw": text}


def _ratio(value: Fraction | None) -> str | None:
    """``N:D`` for an aspect ratio; None when unknown (FFmpeg uses 0 for unknown)."""
    if value is None or value <= 0:
        return None
    return f"{value.numerator}:{value.denominator}"


def _rational(value: Fraction | None) -> str | None:
    """``N/D`` exactly as the file states it (``30/1``, ``30000/1001``)."""
    if value is None or value <= 0:
        return None
    return f"{value.numerator}/{value.denominator}"


def _nonzero(value: int | None) -> int | None:
    """FFmpeg reports unknown bit rates and counts as 0; report them as unknown."""
    return int(value) if value else None


def rotation_from_matrix(matrix: list[int]) -> tuple[float, bool]:
    """Clockwise display rotation in degrees and a mirroring flag from a display matrix.

    The matrix is FFmpeg's ``AV_PKT_DATA_DISPLAYMATRIX`` layout (nine int32,
    16.16 fixed point for the 2x2 part). FFmpeg's ``av_display_rotation_get``
    (which ``VideoFrame.rotation`` returns) is counter-clockwise; investigators
    and the legacy ``rotate`` tag think in clockwise turns, so the sign is
    flipped here. A negative determinant means the picture is also mirrored.
    """
    a, b, c, d = (
        matrix[0] / 65536.0,
        matrix[1] / 65536.0,
        matrix[3] / 65536.0,
        matrix[4] / 65536.0,
    )
    mirrored = a * d - b * c < 0
    s0 = math.hypot(a, c)
    s1 = math.hypot(b, d)
    if s0 == 0 or s1 == 0:
        return 0.0, mirrored
    ccw = -math.degrees(math.atan2(b / s1, a / s0))
    return (-ccw) % 360.0, mirrored


# --------------------------------------------------------------------------- probe


def _first(tags: dict[str, str], keys: tuple[str, ...]) -> tuple[str, str] | None:
    """First (key, value) among ``keys`` with a non-blank value, case-insensitive keys."""
    lowered = {k.lower(): (k, v) for k, v in tags.items()}
    for key in keys:
        hit = lowered.get(key.lower())
        if hit and str(hit[1]).strip():
            return hit[0], str(hit[1]).strip()
    return None


def _open_error(exc: Exception, head: FileHead) -> VerifierError:
    """Turn an FFmpeg open failure into a message a person can act on."""
    if isinstance(exc, av.error.InvalidDataError):
        if head.head[4:8] == b"ftyp":
            return VerifierError(
                "truncated or damaged MP4/QuickTime file: the index (moov atom) is missing "
                "or unreadable, typical of an interrupted download or recording",
                path=head.path,
            )
        return VerifierError("not a media file (invalid data)", path=head.path)
    if isinstance(exc, PermissionError | av.error.PermissionError):
        return VerifierError("cannot read the file (permission denied)", path=head.path)
    reason = getattr(exc, "strerror", None) or str(exc)
    return VerifierError(f"cannot open as media ({reason})", path=head.path)


def probe(path: str | Path) -> MediaInfo:
    """Technical metadata of a clip (or a still, dispatched to ``probe_still``).

    Raises :class:`VerifierError` for files that are missing, empty, unreadable,
    not media, truncated MP4s, or media without a video stream. Damaged but
    readable files return a result with ``warnings`` instead of raising.
    """
    head = read_head(path)
    if sniff_still(head.head):
        return probe_still(head.path)
    try:
        # Tags are text the file's author chose: bytes that are not UTF-8
        # are shown replaced rather than refusing the file (PyAV's default).
        container = av.open(str(head.path), mode="r", metadata_errors="replace")
    except (av.error.FFmpegError, OSError) as exc:
        raise _open_error(exc, head) from exc
    try:
        if container.format.name in _STILL_FORMATS or container.format.name.endswith("_pipe"):
            return probe_still(head.path)
        return _probe_container(container, head)
    finally:
        container.close()


def _stream_tags(container: av.container.InputContainer) -> list[dict[str, Any]]:
    """Per-stream raw tags for :attr:`MediaInfo.tags` (side data is filled in later)."""
    out: list[dict[str, Any]] = []
    for s in container.streams:
        codec = None
        try:
            codec = s.codec_context.name if s.codec_context is not None else None
        except (AttributeError, av.error.FFmpegError):
            codec = None
        out.append(
            {
                "index": s.index,
                "type": s.type,
                "codec": codec,
                "metadata": {str(k): str(v) for k, v in s.metadata.items()},
                "side_data": None,
            }
        )
    return out


def _probe_container(container: av.container.InputContainer, head: FileHead) -> MediaInfo:
    """Read container and stream facts from an open PyAV container."""
    warnings: list[str] = []
    cover = av.stream.Disposition.attached_pic
    video = next((s for s in container.streams.video if not s.disposition & cover), None)
    if video is None:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        what = ", ".join(kinds)
        if container.streams.video:
            what = "only a cover picture"
        raise VerifierError(f"no video stream (the file holds {what})", path=head.path)
    fmt_tags = {str(k): str(v) for k, v in container.metadata.items()}
    stream_tags = _stream_tags(container)
    vtags = stream_tags[video.index]["metadata"]
    cc = video.codec_context
    if cc is None:  # FFmpeg knows no decoder for the stream's codec (or its id is damaged)
        raise VerifierError(
            "the video stream's codec is unknown to FFmpeg (unsupported or a damaged header)",
            path=head.path,
        )
    # The declared frame size, checked before the first frame is decoded.
    check_dimensions(cc.coded_width or cc.width, cc.coded_height or cc.height, head.path)
    time_base = video.time_base

    # One pass over the video packets: timestamps for VFR and the frame count,
    # and the first decodable frame for the display matrix.
    pts: list[int] = []
    corrupt = 0
    first_frame: av.VideoFrame | None = None
    fed = 0
    decode_error: str | None = None
    try:
        for packet in container.demux(video):
            if packet.size == 0 and packet.pts is None:
                continue  # the end-of-stream marker PyAV yields
            if packet.is_corrupt:
                corrupt += 1
            if packet.pts is not None:
                pts.append(packet.pts)
            if first_frame is None and fed < _MAX_PACKETS_FOR_FIRST_FRAME:
                fed += 1
                try:
                    frames = packet.decode()
                except av.error.FFmpegError as exc:
                    frames, decode_error = [], str(exc)
                if frames:
                    first_frame = frames[0]
    except av.error.FFmpegError as exc:
        warnings.append(
            f"reading packets stopped early ({exc.strerror or exc}); "
            "the file is damaged or truncated, counts cover what was read"
        )
    if first_frame is None and fed:
        try:  # a short clip may hold its only frames in the decoder's delay
            frames = cc.decode(None)
            first_frame = frames[0] if frames else None
        except av.error.FFmpegError as exc:
            decode_error = str(exc)
    if first_frame is None:
        why = f" ({decode_error})" if decode_error else ""
        warnings.append(
            f"no frame could be decoded from the first packets{why}; "
            "display rotation could not be read"
        )
    if corrupt:
        warnings.append(f"{corrupt} video packet(s) are flagged corrupt by the demuxer")

    # Rotation: the display matrix (on the decoded frame) wins; the legacy
    # ``rotate`` tag is used when there is no matrix.
    rotation, mirrored = 0, False
    side_data: dict[str, Any] = {}
    if first_frame is not None:
        side_data["frame_side_data"] = [str(sd.type.name) for sd in first_frame.side_data]
        for sd in first_frame.side_data:
            if sd.type.name == "DISPLAYMATRIX":
                raw = bytes(sd)
                if len(raw) >= 36:
                    matrix = list(struct.unpack("=9i", raw[:36]))
                    side_data["displaymatrix"] = matrix
                    side_data["rotation_ccw"] = first_frame.rotation
                    cw, mirrored = rotation_from_matrix(matrix)
                    rotation = round(cw / 90.0) * 90 % 360
                    if abs(cw - round(cw / 90.0) * 90) > 1.0:
                        warnings.append(
                            f"display matrix rotates by {cw:.1f}°, not a multiple "
                            f"of 90°; reported as {rotation}°"
                        )
                    if mirrored:
                        warnings.append("display matrix also mirrors the picture")
    stream_tags[video.index]["side_data"] = side_data or None
    legacy = vtags.get("rotate")
    if legacy is not None:
        try:
            legacy_cw = round(float(legacy)) % 360
        except ValueError:
            warnings.append(f"unreadable rotate tag {legacy!r}")
        else:
            if "displaymatrix" not in side_data:
                rotation = round(legacy_cw / 90.0) * 90 % 360
            elif legacy_cw != rotation:
                warnings.append(
                    f"rotate tag says {legacy_cw}° but the display matrix says "
                    f"{rotation}°; the display matrix is used"
                )

    width = cc.width or None
    height = cc.height or None
    if first_frame is not None and not width:
        width, height = first_frame.width, first_frame.height
    swap = rotation in (90, 270)
    disp_w, disp_h = (height, width) if swap else (width, height)

    sar = video.sample_aspect_ratio
    dar: Fraction | None = video.display_aspect_ratio
    if (dar is None or dar <= 0) and width and height:
        dar = Fraction(width, height) * (sar if sar and sar > 0 else 1)
    if dar is not None and dar > 0 and swap:
        dar = 1 / dar

    rate: Fraction | None = video.average_rate or video.guessed_rate
    rate = rate if rate and rate > 0 else None

    pts.sort()
    variable, dup = is_variable_frame_rate(pts, time_base)
    if dup:
        warnings.append(f"{dup} video packet(s) share a timestamp with another packet")
    header_frames = _nonzero(video.frames)
    if header_frames is not None and header_frames != len(pts):
        warnings.append(
            f"the header states {header_frames} frames but {len(pts)} video "
            "packets with timestamps were found"
        )

    duration: float | None = None
    if video.duration and time_base:
        duration = float(video.duration * time_base)
    elif container.duration:
        duration = container.duration / av.time_base
    start: float | None = None
    if pts and time_base:
        start = float(pts[0] * time_base)
    elif video.start_time is not None and time_base:
        start = float(video.start_time * time_base)

    audio_stream = container.streams.audio[0] if container.streams.audio else None
    audio: dict[str, Any] = {}
    if audio_stream is not None and audio_stream.codec_context is None:
        warnings.append("the audio stream's codec is unknown to FFmpeg; its sound is not described")
    elif audio_stream is not None:
        acc = audio_stream.codec_context
        layout = getattr(acc, "layout", None)
        audio = {
            "audio_codec": acc.name,
            "audio_channels": (layout.nb_channels if layout is not None else None) or None,
            "audio_sample_rate": _nonzero(acc.sample_rate),
            "audio_bit_rate": _nonzero(acc.bit_rate),
        }

    prov = _provenance(fmt_tags, [t["metadata"] for t in stream_tags], vtags, warnings)

    return MediaInfo(
        kind="video",
        container_format=container.format.name,
        container_long_name=container.format.long_name,
        duration=duration,
        size_bytes=head.size,
        overall_bit_rate=_nonzero(container.bit_rate),
        video_codec=cc.name,
        video_codec_long=cc.codec.long_name if cc.codec is not None else None,
        video_profile=cc.profile or None,
        pix_fmt=cc.pix_fmt,
        coded_width=width,
        coded_height=height,
        rotation=rotation,
        mirrored=mirrored,
        display_width=disp_w,
        display_height=disp_h,
        sample_aspect_ratio=_ratio(sar),
        display_aspect_ratio=_ratio(dar),
        frame_rate=_rational(rate),
        frame_rate_float=float(rate) if rate else None,
        variable_frame_rate=variable,
        frame_count=len(pts),
        frame_count_header=header_frames,
        video_bit_rate=_nonzero(cc.bit_rate),
        start_time=start,
        time_base=_rational(time_base),
        has_audio=audio_stream is not None,
        tags={"format": fmt_tags, "streams": stream_tags},
        warnings=tuple(warnings),
        **audio,
        **prov,
    )


def is_variable_frame_rate(pts: list[int], time_base: Fraction | None) -> tuple[bool, int]:
    """Decide VFR from sorted packet timestamps; also count duplicate timestamps.

    A clip is variable-frame-rate when some frame interval differs from the
    median interval by more than rounding can explain: two ticks of the time
    base, or 1 ms when timestamps were rounded to milliseconds upstream
    (Matroska/FLV sources re-muxed into MP4) -- but never more than a quarter of
    a frame interval, so a coarse time base (AVI's 1/fps) still shows skipped
    frames.
    """
    deltas = [b - a for a, b in itertools.pairwise(pts)]
    dup = sum(1 for d in deltas if d == 0)
    deltas = [d for d in deltas if d > 0]
    if len(deltas) < 2:
        return False, dup
    median = statistics.median(deltas)
    ms_ticks = float(Fraction(1, 1000) / time_base) if time_base else 0.0
    tolerance = min(max(2.0, ms_ticks), median / 4)
    variable = any(abs(d - median) > tolerance for d in deltas)
    return variable, dup


def _provenance(
    fmt_tags: dict[str, str],
    all_stream_tags: list[dict[str, str]],
    vtags: dict[str, str],
    warnings: list[str],
) -> dict[str, Any]:
    """Creation time, writing application, device and GPS from container/stream tags."""
    out: dict[str, Any] = {}
    # Creation time: container first, then streams.
    candidates: list[tuple[str, dict[str, str]]] = [("format", fmt_tags)]
    candidates += [(f"stream {i}", t) for i, t in enumerate(all_stream_tags)]
    for scope, tags in candidates:
        hit = _first(tags, _CREATION_KEYS)
        if hit is None:
            continue
        key, raw = hit
        dt, is_local = parse_timestamp(raw)
        out["creation_time_raw"] = raw
        out["creation_time_source"] = f"{scope}:{key}"
        if dt is None:
            warnings.append(f"unreadable creation time {raw!r} in {key}")
            break
        if is_local and key.lower() == "creation_time":
            # MP4/MOV creation_time is UTC by definition; FFmpeg may print it bare.
            dt, is_local = dt.replace(tzinfo=UTC), False
        out["creation_time"] = format_utc(dt)
        out["creation_time_is_local"] = is_local
        break

    enc = _first(fmt_tags, _ENCODER_KEYS)
    out["encoder"] = enc[1] if enc else None
    venc = _first(vtags, ("encoder",))
    out["video_encoder"] = venc[1] if venc else None
    handler = _first(vtags, ("handler_name",)) or _first(fmt_tags, ("handler_name",))
    out["handler_name"] = handler[1] if handler else None
    brand = _first(fmt_tags, ("major_brand",))
    out["major_brand"] = brand[1] if brand else None

    for name, keys in (("device_make", _MAKE_KEYS), ("device_model", _MODEL_KEYS)):
        hit = _first(fmt_tags, keys) or _first(vtags, keys)
        out[name] = hit[1] if hit else None

    loc = _first(fmt_tags, _LOCATION_KEYS) or _first(vtags, _LOCATION_KEYS)
    if loc is not None:
        out["gps_raw"] = loc[1]
        out["gps"] = parse_iso6709(loc[1])
        if out["gps"] is None:
            warnings.append(f"location tag {loc[0]} = {loc[1]!r} is not a valid ISO 6709 point")
    return out
