"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.tools import ffmpeg_exe

TONE_START, TONE_END = 1.5, 2.0

# Ground truth of ../shared/media/threatexchange (its README): the pattern
# clips are all the same footage; the other two are unrelated to them.
PATTERNS = [
    "pattern-hd-no-bar.mp4",
    "pattern-longer-no-bar.mp4",
    "pattern-sd-grey-bar.mp4",
    "pattern-sd-with-small-logo-bar.mp4",
    "pattern-sd-with-large-logo-bar.mp4",
]
UNRELATED = ["doorknob-hd-no-bar.mp4", "test-padded-dimensions.mp4"]


def import_one(app: App, path: Path, *, analyse: bool = True) -> int:
    """Import one file into case "A" and return its clip id; the import must succeed."""
    case = cases.get_or_create_case(app, "A")
    [item] = import_paths(app, [path], case, analyse=analyse).items
    assert item.status == "imported", item
    assert item.clip_id is not None
    return item.clip_id


def make_beep(out: Path, audio_delay: float = 0.0) -> Path:
    """3 s of 160x120 video at 25 fps whose sound is silent but for a 1 kHz tone
    from exactly TONE_START to TONE_END s (plus ``audio_delay``, by which the
    sound track starts late)."""
    # Evaluated per sample (at 44.1 kHz, so the reader also resamples).
    tone = f"aevalsrc='0.5*sin(2*PI*1000*t)*between(t,{TONE_START},{TONE_END})':s=44100:d=3"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=3",
         "-itsoffset", str(audio_delay), "-f", "lavfi", "-i", tone,
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-shortest", str(out)],
        check=True,
    )  # fmt: skip
    return out


def tone_onset(samples: np.ndarray, rate: int) -> float:
    """Seconds into interleaved int16 ``samples`` (n, channels) where the tone starts."""
    loud = np.flatnonzero(np.abs(samples[:, 0].astype(np.int32)) > 2000)
    assert loud.size, "no tone in the samples"
    return float(loud[0]) / rate
