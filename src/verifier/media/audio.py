"""A clip's sound as 16-bit PCM from any moment, for listening while playing.

The viewer plays sound only when the analyst turns it on (cases mute it by
default); :class:`AudioReader` is what it reads from. Times are on the
container's clock, the one the video timestamps use, so sound from
``seek(t)`` lines up with the video frame shown at ``t``: samples before
``t`` are cut, and where the sound starts later than ``t`` the gap is
silence. Nothing here writes to the file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import av
import numpy as np

from verifier.errors import VerifierError

#: What is handed to the sound card: 48 kHz, stereo, signed 16-bit, interleaved.
OUTPUT_RATE = 48_000
OUTPUT_CHANNELS = 2
BYTES_PER_FRAME = 2 * OUTPUT_CHANNELS


class AudioReader:
    """Decodes a file's first audio stream to interleaved int16 PCM, sequentially.

    ``seek(t)`` positions it at container time ``t`` (seconds); each
    ``read(seconds)`` returns the next samples as an ``(n, channels)``
    int16 array, fewer at the end of the stream and none after it. Not
    thread-safe: use one reader from one thread.
    """

    def __init__(self, path: Path, rate: int = OUTPUT_RATE, channels: int = OUTPUT_CHANNELS):
        self.path = Path(path)
        self.rate = rate
        self.channels = channels
        try:
            self._container: Any = av.open(str(self.path), metadata_errors="replace")
        except (av.error.FFmpegError, OSError) as exc:
            raise VerifierError(f"cannot be opened for its sound ({exc})", path=self.path) from exc
        if not self._container.streams.audio:
            self._container.close()
            raise VerifierError("has no sound track", path=self.path)
        self._stream = self._container.streams.audio[0]
        self._frames: Any = None
        self._resampler: Any = None
        self._parts: list[np.ndarray] = []  # decoded, not yet read; joined once per read
        self._buffered = 0
        self._target: float | None = None  # container time the next sample must have
        self._ended = False
        self.seek(self.start_seconds)

    @property
    def start_seconds(self) -> float:
        """Container time of the stream's first sample."""
        stream = self._stream
        if stream.start_time is None or stream.time_base is None:
            return 0.0
        return float(stream.start_time * stream.time_base)

    def seek(self, seconds: float) -> None:
        """Continue from container time ``seconds``."""
        stream = self._stream
        offset = math.floor(max(seconds, 0.0) / float(stream.time_base))
        try:
            self._container.seek(offset, stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            self._container.seek(0)  # unseekable: decode from the start and cut
        self._frames = self._container.decode(stream)
        self._resampler = av.AudioResampler(
            format="s16", layout="stereo" if self.channels == 2 else "mono", rate=self.rate
        )
        self._parts, self._buffered = [], 0
        self._target = max(seconds, 0.0)
        self._ended = False

    def read(self, seconds: float) -> np.ndarray:
        """The next ``seconds`` of sound (fewer samples at the end, none after it)."""
        wanted = max(0, round(seconds * self.rate))
        while self._buffered < wanted and not self._ended:
            self._decode_more()
        if not self._parts:
            return np.zeros((0, self.channels), np.int16)
        buffer = np.concatenate(self._parts) if len(self._parts) > 1 else self._parts[0]
        chunk, rest = buffer[:wanted], buffer[wanted:]
        self._parts, self._buffered = ([rest] if len(rest) else []), len(rest)
        return chunk

    def _decode_more(self) -> None:
        try:
            frame = next(self._frames)
        except StopIteration:
            self._ended = True
            self._append(self._resampler.resample(None), None)
            return
        except av.error.FFmpegError as exc:  # a damaged packet: stop the sound, not the viewer
            raise VerifierError(f"sound cannot be decoded ({exc})", path=self.path) from exc
        start = float(frame.pts * frame.time_base) if frame.pts is not None else None
        self._append(self._resampler.resample(frame), start)

    def _append(self, frames: list[Any], start: float | None) -> None:
        parts = [f.to_ndarray().reshape(-1, self.channels) for f in frames]
        if not parts:
            return
        samples = np.concatenate(parts)
        if self._target is not None and start is not None:
            # The first samples after a seek: cut to the target, or pad a late start.
            lead = round((self._target - start) * self.rate)
            if lead > 0:
                samples = samples[lead:]
                if not len(samples):
                    return  # wholly before the target; the next frame decides
            elif lead < 0:
                silence = np.zeros((-lead, self.channels), np.int16)
                samples = np.concatenate([silence, samples])
            self._target = None
        self._parts.append(samples)
        self._buffered += len(samples)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> AudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
