"""Sound in the viewer: muted by default, and in step with the video when on.

The sound card is replaced by a recorder, so the test hears exactly what
would be played: the clip's tone, which starts 1.5 s into the clip, must
start 0.5 s into what is played from frame 25 (1.0 s).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt
from tests.gui_helpers import open_clip, show_window
from tests.helpers import TONE_START, make_beep, tone_onset

from verifier.config import load_settings
from verifier.errors import VerifierError
from verifier.gui.main_window import MainWindow
from verifier.media.audio import BYTES_PER_FRAME, OUTPUT_CHANNELS, OUTPUT_RATE
from verifier.services import cases
from verifier.services.clips import custody_log
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths

pytestmark = pytest.mark.gui


class RecordingOutput:
    """A sound card that keeps everything it is given."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.stopped = False

    def free_bytes(self) -> int:
        return OUTPUT_RATE * BYTES_PER_FRAME  # room for a second at any time

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def stop(self) -> None:
        self.stopped = True

    def seconds(self) -> float:
        return len(self.data) / (OUTPUT_RATE * BYTES_PER_FRAME)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, fixture_dir: Path) -> Iterator[App]:
    data = tmp_path_factory.mktemp("sound-data")
    beep = make_beep(data / "beep.mp4")
    application = open_app(load_settings(data_dir=data / "home", analyst="tester"))
    case = cases.create_case(application, "Sound case")
    report = import_paths(application, [beep, fixture_dir / "fade.mp4"], case)
    assert report.count("imported") == 2, report.to_json()
    yield application
    application.close()


@pytest.fixture
def window(qtbot: Any, library: App) -> Iterator[MainWindow]:
    win = show_window(qtbot, library, "Sound case", 2)
    yield win
    win.close()


def _recorders(win: MainWindow) -> list[RecordingOutput]:
    made: list[RecordingOutput] = []

    def factory(rate: int, channels: int) -> RecordingOutput:
        assert (rate, channels) == (OUTPUT_RATE, OUTPUT_CHANNELS)
        made.append(RecordingOutput())
        return made[-1]

    win.viewer.sound.output_factory = factory
    return made


def test_clips_open_muted_and_sound_starts_with_the_frame_shown(
    qtbot: Any, window: MainWindow
) -> None:
    viewer = window.viewer
    made = _recorders(window)
    open_clip(qtbot, window, "beep.mp4")
    assert window.case_settings["mute_audio"] is True and window.mute_action.isChecked()
    assert not viewer.sound_on and viewer.sound_button.text() == "Muted"
    assert viewer.sound_button.isEnabled()

    viewer.play()  # muted: the video plays, nothing is sent to the sound card
    qtbot.waitUntil(lambda: (viewer.current_index or 0) >= 5, timeout=10_000)
    viewer.pause()
    assert made == []

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_M)
    assert viewer.sound_on and viewer.sound_button.text() == "Sound on"
    viewer.go_to(25)  # 1.000 s
    qtbot.waitUntil(lambda: viewer.current_index == 25 and not window.runner.busy)
    viewer.play()
    qtbot.waitUntil(lambda: bool(made) and made[0].seconds() >= 1.0, timeout=10_000)
    viewer.pause()
    [played] = made
    assert played.stopped and not viewer.sound.playing
    pcm = np.frombuffer(bytes(played.data), np.int16).reshape(-1, OUTPUT_CHANNELS)
    assert tone_onset(pcm, OUTPUT_RATE) == pytest.approx(TONE_START - 1.0, abs=0.002)

    qtbot.keyClick(viewer.canvas, Qt.Key.Key_M)  # and off again
    assert not viewer.sound_on

    # A linked comparison's B only follows A: its sound cannot be turned on.
    viewer.set_sound_allowed(False)
    assert not viewer.sound_button.isEnabled()
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_M)
    assert not viewer.sound_on
    viewer.set_sound_allowed(True)
    assert viewer.sound_button.isEnabled()


def test_a_clip_without_sound_and_a_computer_without_a_sound_card(
    qtbot: Any, window: MainWindow
) -> None:
    viewer = window.viewer
    open_clip(qtbot, window, "fade.mp4")
    assert not viewer.sound_button.isEnabled()
    assert "no sound track" in viewer.sound_button.toolTip()
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_M)
    assert not viewer.sound_on

    def no_card(rate: int, channels: int) -> RecordingOutput:
        raise VerifierError("this computer has no sound output that Qt can use")

    viewer.sound.output_factory = no_card
    open_clip(qtbot, window, "beep.mp4")
    qtbot.keyClick(viewer.canvas, Qt.Key.Key_M)
    viewer.play()
    qtbot.waitUntil(lambda: bool(window.runner.errors))
    assert window.runner.errors[-1] == (
        "Sound cannot be played: this computer has no sound output that Qt can use"
    )
    assert not viewer.sound_on and viewer.sound_button.text() == "Muted"
    assert viewer.playing  # the video goes on without sound
    viewer.pause()
    window.runner.errors.clear()


def test_the_case_can_open_clips_with_sound_on(
    qtbot: Any, window: MainWindow, library: App
) -> None:
    viewer = window.viewer
    open_clip(qtbot, window, "beep.mp4")
    window.mute_action.trigger()  # Case ▸ Open clips with sound muted: off
    qtbot.waitUntil(lambda: window.case_settings.get("mute_audio") is False and viewer.sound_on)
    open_clip(qtbot, window, "fade.mp4")
    open_clip(qtbot, window, "beep.mp4")
    assert viewer.sound_on  # the next clip opens with sound on too
    stored = cases.resolve_case(library, "Sound case").settings
    assert stored["mute_audio"] is False
    assert any(
        e["action"] == "case.settings" and e["details"]["changes"] == {"mute_audio": False}
        for e in custody_log(library, None)
    )
    window.mute_action.trigger()
    qtbot.waitUntil(lambda: window.case_settings.get("mute_audio") is True)
    assert not viewer.sound_on
