"""Loud, short, broadband onsets in a soundtrack: candidate moments for a person to mark.

A shot, a blast, a slammed door: the level jumps by tens of decibels within
a few milliseconds, in low and high frequencies at once. Speech and music
rise more slowly or in a few bands only, and steady sound (wind, engines,
a hum) does not jump at all. :func:`transients` finds the jumps and
returns each with its time and strength; it names no cause (a person
decides what was heard), and nothing here stores anything.

How: the sound (16 kHz mono) is split into a low band (300-2000 Hz) and a
high band (2000-7500 Hz); their levels are measured every 2 ms over 10 ms.
A moment is a candidate when, in both bands, the level is ``jump_db`` above
the median of the preceding ``baseline`` seconds and climbed from near that
baseline to near its loudest within ``rise_time`` (a swell or a spoken
syllable climbs more slowly). Candidates closer than
``min_spacing`` keep the strongest; the time is the first 2 ms step of the
rise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage, signal

__all__ = ["Transient", "TransientSettings", "transients"]

_HOP_S = 0.002
_WINDOW_S = 0.010
_DIGITAL_SILENCE_DB = -90.0


@dataclass(frozen=True)
class Transient:
    """One sudden loud sound: when (clip seconds), how much above its surroundings (dB)."""

    time: float
    strength_db: float
    peak_dbfs: float
    description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "time": round(self.time, 4),
            "strength_db": round(self.strength_db, 1),
            "peak_dbfs": round(self.peak_dbfs, 1),
            "description": self.description,
        }


@dataclass(frozen=True)
class TransientSettings:
    jump_db: float = 15.0
    """Level above the preceding baseline, in both bands."""
    rise_time: float = 0.012
    """From 6 dB above the baseline to within 3 dB of the loudest of the next 100 ms, seconds
    (a shot or a blast: a few ms through the 10 ms level window; a spoken syllable: 20 ms+)."""
    baseline: float = 0.5
    """Seconds of preceding sound whose median level is the baseline."""
    min_spacing: float = 0.15
    """Two transients closer than this are one (the strongest kept), seconds."""
    floor_dbfs: float = -60.0
    """Nothing quieter than this is a transient, however sudden."""


def _filtered(samples: np.ndarray, rate: int, low: float, high: float) -> np.ndarray:
    sos = signal.butter(4, [low, min(high, rate / 2 * 0.95)], "bandpass", fs=rate, output="sos")
    return signal.sosfilt(sos, samples.astype(np.float64))


def _levels(values: np.ndarray, rate: int) -> np.ndarray:
    """dB of the mean power over ``[i*hop - window, i*hop)``: the level heard up to step i.

    Trailing, so a step's level never includes sound after it: a swell is
    still quiet 10 ms after it starts, a shot is already at its loudest.
    """
    power = values**2
    hop, window = round(_HOP_S * rate), round(_WINDOW_S * rate)
    smoothed = np.convolve(power, np.ones(window) / window, mode="full")[window - 1 :]
    ahead = 10 * np.log10(smoothed[::hop] + 1e-12)  # over [i*hop, i*hop + window)
    lag = round(_WINDOW_S / _HOP_S)
    return np.concatenate([np.full(lag, ahead[0]), ahead[:-lag]])


def _rise_steps(level: np.ndarray, start: int, base: float, ahead: int) -> int:
    """Steps the level took to climb from 6 dB above ``base`` to 3 dB under its coming peak."""
    peak = level[start : start + ahead].max()
    first = start
    while first > 0 and start - first < ahead and level[first - 1] >= base + 6.0:
        first -= 1
    near = np.flatnonzero(level[first : start + ahead] >= peak - 3.0)
    return int(near[0]) if len(near) else ahead


def _onset_sample(band: np.ndarray, rate: int, start: int, threshold_db: float) -> int:
    """First sample at or after ``start`` whose 1 ms power passes ``threshold_db``."""
    window = max(1, round(0.001 * rate))
    stop = min(len(band), start + round(0.03 * rate))
    power = np.convolve(band[start:stop] ** 2, np.ones(window) / window, mode="full")
    over = np.flatnonzero(10 * np.log10(power[window - 1 :] + 1e-12) >= threshold_db)
    return start + int(over[0]) if len(over) else start


def transients(
    samples: np.ndarray, rate: int, settings: TransientSettings | None = None
) -> list[Transient]:
    """Sudden, loud, broadband onsets in mono ``samples`` at ``rate``, in time order."""
    settings = settings or TransientSettings()
    if len(samples) < rate * _WINDOW_S * 4:
        return []
    filtered = [_filtered(samples, rate, 300, 2000), _filtered(samples, rate, 2000, 7500)]
    bands = [_levels(values, rate) for values in filtered]
    full = _levels(samples.astype(np.float64), rate)
    hop = round(_HOP_S * rate)
    steps = round(settings.baseline / _HOP_S)
    lag = round(_WINDOW_S / _HOP_S)  # 10 ms: a window that does not overlap the next
    ahead = round(0.1 / _HOP_S)  # a swell's top can be this far off
    rise_steps = round(settings.rise_time / _HOP_S)
    bases, above = [], np.ones(len(full), bool)
    for level in bands:
        # Median of the preceding baseline seconds, ending 10 ms before step i.
        base = ndimage.median_filter(level, size=steps, origin=(steps - 1) // 2, mode="nearest")
        # The first half second has less history: the median of what there is, no padding.
        for i in range(min(steps, len(level))):
            base[i] = np.median(level[: i + 1])
        base = np.concatenate([np.full(lag, np.inf), base[:-lag]])
        bases.append(base)
        above &= level - base >= settings.jump_db
        # Digital silence in the baseline (a padded start, a muted stretch) makes none:
        # sound resuming after it is not a sudden sound heard in the scene.
        quietest = ndimage.minimum_filter1d(level, size=steps, origin=(steps - 1) // 2,
                                            mode="nearest")  # fmt: skip
        above &= np.concatenate([np.full(lag, -np.inf), quietest[:-lag]]) > _DIGITAL_SILENCE_DB
    above &= full >= settings.floor_dbfs
    above[: 2 * lag + 1] = False  # no baseline at the very start
    found: list[Transient] = []
    for start in np.flatnonzero(above & ~np.r_[False, above[:-1]]):
        sudden = True
        for level, base in zip(bands, bases, strict=True):
            sudden &= _rise_steps(level, start, float(base[start]), ahead) <= rise_steps
        if not sudden:
            continue
        strength = float(min(level[start : start + lag + 1].max() - base[start]
                             for level, base in zip(bands, bases, strict=True)))  # fmt: skip
        # The onset to the millisecond, in the high band (its filter delays least).
        threshold = float(bases[1][start]) + settings.jump_db
        sample = _onset_sample(filtered[1], rate, max(0, start - lag) * hop, threshold)
        item = Transient(
            time=sample / rate, strength_db=strength,
            peak_dbfs=float(full[start : start + ahead].max()),
            description=f"sudden broadband sound, {strength:.0f} dB above the preceding "
            f"{settings.baseline:g} s",
        )  # fmt: skip
        if found and item.time - found[-1].time < settings.min_spacing:
            if item.strength_db > found[-1].strength_db:
                found[-1] = item
            continue
        found.append(item)
    return found
