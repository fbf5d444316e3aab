"""The time offset between two clips filmed at the same moment, from their soundtracks.

Two cameras at one incident hear the same sounds (shots, shouts, engines,
a door) at the same moments, through different microphones, codecs and
loudness, often with music laid over one of them by whoever re-posted it.
The offset is found in two steps:

1. **Coarse, robust**: both soundtracks, resampled to 16 kHz mono, become
   an onset envelope: per band (24 bands, 150-6000 Hz), the positive
   change of log energy every 5 ms. Logarithms make it blind to loudness
   and to a fixed filter (a microphone, a high- or low-pass); only changes
   survive, so steady noise and held notes contribute little. The two
   envelopes are cross-correlated over every lag within ``max_offset``
   where the clips overlap by at least ``min_overlap``; each lag's value
   is the normalised correlation of the overlapping parts, scaled by the
   square root of the overlap (a z-score), so a short overlap cannot win
   by chance alone.
2. **Fine**: GCC-PHAT (phase transform) of the two waveforms' overlapping
   parts, searched within 15 ms of the coarse lag, refines the offset to a
   fraction of a millisecond when the waveforms are related by filtering
   (the same sound, recorded twice); when they are not (the phases do not
   agree), the coarse value is kept and the method says so.

The confidence compares the peak with the best other peak of the curve
(more than 0.1 s away): a clear single peak is *confident*, a peak that
barely stands out is *weak*, and otherwise there is *no confident offset*:
unrelated recordings, or a repeating sound (a beat, an engine) that fits
at several lags. The words, not the numbers, are what a person reads.

Convention, as for links and matches: ``b_time = a_time + offset``.
Pure functions over NumPy arrays; :func:`read_sound` is the only reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal

from verifier.errors import VerifierError
from verifier.media.audio import AudioReader

__all__ = [
    "SYNC_RATE",
    "SyncResult",
    "SyncSettings",
    "estimate_offset",
    "onset_envelope",
    "read_sound",
]

SYNC_RATE = 16_000
"""Every soundtrack is compared at this rate: enough for shots and voices, cheap to correlate."""
_HOP = 80  # 5 ms at 16 kHz: the coarse step
_WINDOW = 512
_BANDS = 24
_LOW_HZ, _HIGH_HZ = 150.0, 6000.0
_SILENCE_DBFS = -60.0


@dataclass(frozen=True)
class SyncSettings:
    """The search and the thresholds that turn a peak into words."""

    max_offset: float = 60.0
    """Largest |offset| searched, seconds."""
    min_overlap: float = 2.0
    """The clips must share at least this much time at the offset, seconds."""
    confident_ratio: float = 2.0
    """Peak over the best other peak for 'confident'...

    Measured on real recordings: unrelated pairs reach at most 1.29 (quiet
    phone audio whose codec frames tick alike), true pairs 3.5 and more.
    """
    confident_z: float = 8.0
    """...and the peak's z-score at least this."""
    weak_ratio: float = 1.4
    weak_z: float = 6.0
    exclusion: float = 0.1
    """Peaks closer than this to the best one are its own shoulders, seconds."""


@dataclass(frozen=True)
class SyncResult:
    """An offset with how sure it is, and the curve a person can look at.

    ``offset`` is None when there is no confident offset; ``best_offset``
    is always the highest peak, for the figure and for the record.
    """

    offset: float | None
    best_offset: float
    confidence: str  # "confident" | "weak" | "none"
    peak: float  # z-score of the best peak
    second_peak: float  # z-score of the best other peak (further than exclusion)
    second_offset: float | None
    ratio: float  # peak / second_peak
    method: str
    refined: bool
    overlap: float  # seconds shared at best_offset
    lags: np.ndarray = field(repr=False)  # seconds, the curve's x
    curve: np.ndarray = field(repr=False)  # z-scores, the curve's y
    duration_a: float = 0.0
    duration_b: float = 0.0

    @property
    def words(self) -> str:
        """What a person reads first."""
        return {
            "confident": "confident",
            "weak": "weak (check by eye and ear)",
            "none": "no confident offset",
        }[self.confidence]

    def to_json(self) -> dict[str, Any]:
        return {
            "offset": None if self.offset is None else round(self.offset, 4),
            "best_offset": round(self.best_offset, 4),
            "confidence": self.confidence,
            "peak": round(self.peak, 2),
            "second_peak": round(self.second_peak, 2),
            "second_offset": None if self.second_offset is None else round(self.second_offset, 3),
            "ratio": round(self.ratio, 3),
            "method": self.method,
            "refined": self.refined,
            "overlap_seconds": round(self.overlap, 3),
            "duration_a": round(self.duration_a, 3),
            "duration_b": round(self.duration_b, 3),
            "convention": "b_time = a_time + offset",
        }


# ----------------------------------------------------------------------------- reading


def read_sound(
    path: Path, start: float | None = None, rate: int = SYNC_RATE, label: str = "clip"
) -> np.ndarray:
    """The first audio stream as mono float32 in [-1, 1], sample 0 at container time ``start``.

    ``start`` is where the clip's clock starts (its first video frame), so
    that sample times are clip seconds; sound that begins later is padded
    with silence. None: the audio stream's own start. A file without sound
    is refused with ``label`` named.
    """
    try:
        reader = AudioReader(Path(path), rate=rate, channels=1)
    except VerifierError as exc:
        raise VerifierError(f"{label}: {exc}") from exc
    with reader:
        if start is not None:
            reader.seek(start)
        parts = []
        while True:
            chunk = reader.read(30.0)
            if not len(chunk):
                break
            parts.append(chunk[:, 0])
    if not parts:
        raise VerifierError(f"{label}: the sound track holds no samples", path=Path(path))
    return np.concatenate(parts).astype(np.float32) / 32768.0


# ----------------------------------------------------------------------------- features


def _level_dbfs(samples: np.ndarray) -> float:
    if not len(samples):
        return -np.inf
    # The 99th percentile of short-window power: a clip that is mostly quiet
    # but holds a few loud sounds is not silence.
    frames = len(samples) // 400
    if frames == 0:
        power = float(np.mean(samples.astype(np.float64) ** 2))
    else:
        blocks = samples[: frames * 400].reshape(frames, 400).astype(np.float64)
        power = float(np.percentile(np.mean(blocks**2, axis=1), 99))
    return 10 * np.log10(power + 1e-20)


def _band_edges(rate: int) -> np.ndarray:
    """Band edges evenly spaced on a log-frequency scale: each octave weighs alike."""
    high = min(_HIGH_HZ, rate / 2 * 0.95)
    return np.geomspace(_LOW_HZ, high, _BANDS + 1)


def onset_envelope(samples: np.ndarray, rate: int = SYNC_RATE) -> np.ndarray:
    """Positive log-energy change summed over bands, one value per 5 ms, zero mean, unit spread.

    A band's change is counted only once it rises clearly above the
    recording's quiet floor in that band (its 20th percentile), so the
    flicker of noise between events weighs little.
    """
    if len(samples) < _WINDOW:
        return np.zeros(0)
    _freqs, _times, spec = signal.stft(
        samples, fs=rate, window="hann", nperseg=_WINDOW, noverlap=_WINDOW - _HOP,
        boundary=None, padded=False,
    )  # fmt: skip
    power = np.abs(spec) ** 2
    freqs = np.fft.rfftfreq(_WINDOW, 1 / rate)
    edges = _band_edges(rate)
    bands = np.empty((_BANDS, power.shape[1]))
    for i in range(_BANDS):
        sel = (freqs >= edges[i]) & (freqs < edges[i + 1])
        if not sel.any():
            sel = np.argmin(np.abs(freqs - edges[i]))  # a narrow low band: nearest bin
        bands[i] = np.atleast_2d(power[sel]).sum(axis=0)
    floor = np.percentile(bands, 20, axis=1, keepdims=True) + 1e-12
    log = np.log10(bands + floor)  # a band at its floor changes by at most log10(2)
    flux = np.maximum(np.diff(log, axis=1, prepend=log[:, :1]), 0.0).sum(axis=0)
    # Remove the slow trend (one second): only changes at moments are compared.
    trend = np.convolve(flux, np.ones(201) / 201, mode="same")
    env = flux - trend
    spread = env.std()
    return env / spread if spread > 0 else env * 0.0


# ----------------------------------------------------------------------------- correlation


def _overlap_curve(
    env_a: np.ndarray, env_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lags (frames, B relative to A), z-scores and overlap length (frames) of every lag."""
    raw = signal.correlate(env_b, env_a, mode="full", method="fft")
    lags = signal.correlation_lags(len(env_b), len(env_a), mode="full")
    ca = np.concatenate([[0.0], np.cumsum(env_a**2)])
    cb = np.concatenate([[0.0], np.cumsum(env_b**2)])
    la, lb = len(env_a), len(env_b)
    # A's samples n overlap B's n + lag: n in [max(0, -lag), min(la, lb - lag)).
    a0 = np.maximum(0, -lags)
    a1 = np.minimum(la, lb - lags)
    n = np.maximum(a1 - a0, 0)
    ea = ca[a1.clip(0)] - ca[a0.clip(0, la)]
    eb = cb[(a1 + lags).clip(0, lb)] - cb[(a0 + lags).clip(0, lb)]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where((ea > 0) & (eb > 0), raw / np.sqrt(ea * eb), 0.0)
    z = r * np.sqrt(n.astype(np.float64))
    return lags, z, n


def _parabolic(values: np.ndarray, i: int) -> float:
    """Sub-step position of a peak from its two neighbours."""
    if 0 < i < len(values) - 1:
        left, mid, right = values[i - 1], values[i], values[i + 1]
        denom = left - 2 * mid + right
        if denom < 0:
            return float(np.clip(0.5 * (left - right) / denom, -0.5, 0.5))
    return 0.0


def _gcc_phat(a: np.ndarray, b: np.ndarray, rate: int, search: float) -> tuple[float, float]:
    """Delay of B after A (seconds) within ±search by GCC-PHAT, and its peak sharpness."""
    n = len(a) + len(b)
    nfft = 1 << (n - 1).bit_length()
    fa, fb = np.fft.rfft(a, nfft), np.fft.rfft(b, nfft)
    cross = fb * np.conj(fa)
    freqs = np.fft.rfftfreq(nfft, 1 / rate)
    cross[(freqs < _LOW_HZ) | (freqs > _HIGH_HZ)] = 0.0
    cross /= np.abs(cross) + 1e-12
    cc = np.fft.irfft(cross, nfft)
    reach = round(search * rate)
    window = np.concatenate([cc[-reach:], cc[: reach + 1]])  # lags -reach..reach
    i = int(np.argmax(window))
    sharp = float(window[i] / (np.median(np.abs(window)) + 1e-12))
    return (i - reach + _parabolic(window, i)) / rate, sharp


def estimate_offset(
    a: np.ndarray, b: np.ndarray, rate: int = SYNC_RATE, settings: SyncSettings | None = None
) -> SyncResult:
    """The offset (``b_time = a_time + offset``) between two soundtracks at ``rate``.

    Refused with one clear line: a silent soundtrack, or clips too short to
    overlap by ``min_overlap`` at any lag.
    """
    settings = settings or SyncSettings()
    if settings.max_offset <= 0:
        raise VerifierError("--max-offset: must be more than 0 seconds")
    for name, samples in (("A", a), ("B", b)):
        if _level_dbfs(samples) < _SILENCE_DBFS:
            raise VerifierError(f"{name}: the sound track is silent: nothing to synchronise on")
    dur_a, dur_b = len(a) / rate, len(b) / rate
    if min(dur_a, dur_b) < settings.min_overlap:
        raise VerifierError(
            f"overlap too short: {'A' if dur_a < dur_b else 'B'} has only "
            f"{min(dur_a, dur_b):.2f} s of sound; at least {settings.min_overlap:g} s must overlap"
        )
    env_a, env_b = onset_envelope(a, rate), onset_envelope(b, rate)
    step = _HOP / rate
    lags, z, n = _overlap_curve(env_a, env_b)
    usable = (n * step >= settings.min_overlap) & (np.abs(lags * step) <= settings.max_offset)
    if not usable.any():
        raise VerifierError(
            f"overlap too short: no offset within ±{settings.max_offset:g} s lets the clips "
            f"share {settings.min_overlap:g} s"
        )
    lags, z, n = lags[usable], z[usable], n[usable]
    best = int(np.argmax(z))
    peak = float(z[best])
    coarse = (lags[best] + _parabolic(z, best)) * step
    # The best other peak: a local maximum beyond the best one's shoulders.
    local = np.r_[False, (z[1:-1] >= z[:-2]) & (z[1:-1] >= z[2:]), False]
    away = np.abs(lags - lags[best]) * step > settings.exclusion
    others = np.flatnonzero(local & away)
    if len(others):
        j = others[np.argmax(z[others])]
        second, second_at = float(max(z[j], 1e-6)), float(lags[j] * step)
    else:
        second, second_at = 1e-6, None
    ratio = peak / second if peak > 0 else 0.0

    offset, refined, method = coarse, False, "onset-envelope cross-correlation"
    start_a = max(0.0, -coarse)
    end_a = min(dur_a, dur_b - coarse)
    seg_a = a[int(start_a * rate) : int(end_a * rate)]
    seg_b = b[int((start_a + coarse) * rate) : int((end_a + coarse) * rate)]
    shortest = min(len(seg_a), len(seg_b))
    if shortest > rate // 2:
        fine, sharp = _gcc_phat(seg_a[:shortest], seg_b[:shortest], rate, 0.015)
        if sharp >= 6.0:
            shift_a = int(start_a * rate)
            shift_b = int((start_a + coarse) * rate)
            offset = (shift_b - shift_a) / rate + fine
            refined = True
            method += ", refined by GCC-PHAT"

    if peak >= settings.confident_z and ratio >= settings.confident_ratio:
        confidence = "confident"
    elif peak >= settings.weak_z and ratio >= settings.weak_ratio:
        confidence = "weak"
    else:
        confidence = "none"
    return SyncResult(
        offset=offset if confidence != "none" else None, best_offset=offset,
        confidence=confidence, peak=peak, second_peak=second, second_offset=second_at,
        ratio=ratio, method=method, refined=refined, overlap=float(n[best] * step),
        lags=lags * step, curve=z, duration_a=dur_a, duration_b=dur_b,
    )  # fmt: skip
