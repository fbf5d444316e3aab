"""Locate the external FFmpeg tools.

PyAV bundles FFmpeg's libraries for decoding; the ``ffmpeg`` binary is only
needed to make fixture clips and for the decode-speed baseline. A system
binary is preferred; the one shipped inside the ``imageio-ffmpeg`` wheel is
the fallback so that a machine without root can still run everything.
"""

from __future__ import annotations

import os
import shutil
from functools import cache

from verifier.errors import VerifierError


@cache
def ffmpeg_exe() -> str:
    """Path of an ``ffmpeg`` binary: ``$VERIFIER_FFMPEG``, PATH, then imageio-ffmpeg."""
    explicit = os.environ.get("VERIFIER_FFMPEG")
    if explicit:
        return explicit
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise VerifierError("no ffmpeg binary found; install the ffmpeg package") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


@cache
def ffprobe_exe() -> str | None:
    """Path of ``ffprobe`` if one is installed (used by tests as an oracle)."""
    return os.environ.get("VERIFIER_FFPROBE") or shutil.which("ffprobe")
