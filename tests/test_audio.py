"""Sound for listening: the reader starts where the video is, to the sample.

The clip made here is silent except for a 1 kHz tone from exactly 1.500 s
to 2.000 s, so where the tone starts in what the reader returns says
whether sound read from time ``t`` is the sound of time ``t``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from tests.helpers import TONE_END, TONE_START, make_beep, tone_onset

from verifier.errors import VerifierError
from verifier.media.audio import OUTPUT_RATE, AudioReader


@pytest.fixture(scope="module")
def beep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_beep(tmp_path_factory.mktemp("audio") / "beep.mp4", 0.0)


def test_reading_from_a_time_starts_at_that_time(beep: Path) -> None:
    with AudioReader(beep) as reader:
        for start in (0.5, 1.0, 1.25, 1.49):
            reader.seek(start)
            chunk = reader.read(1.5)
            assert chunk.shape == (OUTPUT_RATE * 3 // 2, 2) and chunk.dtype == np.int16
            # Quiet before it (AAC pre-echo reaches back at most one 1024-sample frame).
            quiet = chunk[: max(0, round((TONE_START - start - 0.025) * OUTPUT_RATE))]
            assert np.abs(quiet.astype(np.int32)).max(initial=0) < 300
            # AAC smears an onset over a few samples; 2 ms is a tenth of a 25 fps frame.
            assert tone_onset(chunk, OUTPUT_RATE) == pytest.approx(TONE_START - start, abs=0.002), (
                start
            )


def test_sound_that_starts_late_is_padded_with_silence(tmp_path: Path) -> None:
    late = make_beep(tmp_path / "late.mp4", 0.4)
    with AudioReader(late) as reader:
        assert reader.start_seconds == pytest.approx(0.4, abs=0.03)
        reader.seek(0.0)
        chunk = reader.read(2.5)
        assert len(chunk) == round(2.5 * OUTPUT_RATE)
        assert tone_onset(chunk, OUTPUT_RATE) == pytest.approx(TONE_START + 0.4, abs=0.002)


def test_sequential_reads_are_continuous_and_end_with_the_stream(beep: Path) -> None:
    with AudioReader(beep) as reader:
        reader.seek(1.0)
        whole = reader.read(1.5)
        reader.seek(1.0)
        pieces = np.concatenate([reader.read(0.1) for _ in range(15)])
        assert np.array_equal(whole, pieces)
        # The tone lasts half a second: loud from 0.5 s to 1.0 s of this stretch.
        loud = np.flatnonzero(np.abs(whole[:, 0].astype(np.int32)) > 2000)
        assert loud[-1] / OUTPUT_RATE == pytest.approx(TONE_END - 1.0, abs=0.002)
        rest = reader.read(10.0)
        assert 0.3 * OUTPUT_RATE < len(rest) < 0.6 * OUTPUT_RATE  # up to the 3 s end
        assert len(reader.read(1.0)) == 0


def test_the_evidence_is_not_written_and_silent_clips_say_so(beep: Path, fixture_dir: Path) -> None:
    before = hashlib.sha256(beep.read_bytes()).hexdigest()
    with AudioReader(beep) as reader:
        reader.seek(2.5)
        reader.read(5)
    assert hashlib.sha256(beep.read_bytes()).hexdigest() == before
    with pytest.raises(VerifierError, match="has no sound track") as info:
        AudioReader(fixture_dir / "fade.mp4")
    assert "fade.mp4" in str(info.value)
    with pytest.raises(VerifierError, match="cannot be opened") as info:
        AudioReader(fixture_dir / "notvideo.mp4")
    assert "notvideo.mp4" in str(info.value)
