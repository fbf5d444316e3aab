"""Sound while a clip plays, off unless the analyst turns it on.

Sound is read by :class:`~verifier.media.audio.AudioReader` on its own task
lane, a fifth of a second at a time, and handed to the sound card from the
UI thread, keeping about half a second queued. It starts at the time of
the frame play starts from and stops when play stops; stepping is silent.
Which sound card: Qt Multimedia's default output. Where there is none (a
server, a test machine), turning sound on says so instead of failing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from verifier.errors import VerifierError
from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.media.audio import BYTES_PER_FRAME, OUTPUT_CHANNELS, OUTPUT_RATE, AudioReader

_lane_ids = itertools.count(1)

#: Seconds of sound read per job, and kept queued ahead of the sound card.
CHUNK_SECONDS = 0.2
AHEAD_SECONDS = 0.5


class AudioOutput(Protocol):
    """Where PCM goes: 48 kHz stereo int16, written as bytes."""

    def free_bytes(self) -> int: ...

    def write(self, data: bytes) -> int: ...

    def stop(self) -> None: ...


OutputFactory = Callable[[int, int], AudioOutput]


class _QtOutput:
    """Qt Multimedia's default sound output, fed in push mode."""

    def __init__(self, sink: Any) -> None:
        self._sink = sink
        self._device = sink.start()

    def free_bytes(self) -> int:
        return int(self._sink.bytesFree())

    def write(self, data: bytes) -> int:
        return int(self._device.write(data))

    def stop(self) -> None:
        self._sink.stop()


def system_output(rate: int, channels: int) -> AudioOutput:
    """The computer's default sound output; a VerifierError says why there is none."""
    try:
        from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
    except ImportError as exc:
        raise VerifierError(
            "sound needs Qt Multimedia (the PySide6-Addons package), which is not installed"
        ) from exc
    device = QMediaDevices.defaultAudioOutput()
    if device.isNull():
        raise VerifierError("this computer has no sound output that Qt can use")
    audio_format = QAudioFormat()
    audio_format.setSampleRate(rate)
    audio_format.setChannelCount(channels)
    audio_format.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    if not device.isFormatSupported(audio_format):
        raise VerifierError(f"the sound output {device.description()!r} cannot play 48 kHz stereo")
    sink = QAudioSink(device, audio_format)
    sink.setBufferSize(int(rate * channels * 2 * 0.25))
    return _QtOutput(sink)


class _ReaderSlot:
    """The lane's reader; touched only by jobs on the sound lane."""

    def __init__(self) -> None:
        self.reader: AudioReader | None = None

    def open_at(self, path: Path, seconds: float) -> None:
        if self.reader is None or self.reader.path != path:
            self.close()
            self.reader = AudioReader(path)
        self.reader.seek(seconds)

    def read(self, seconds: float) -> bytes:
        assert self.reader is not None
        return self.reader.read(seconds).tobytes()

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None


class SoundPlayer(QObject):
    """Plays one clip's sound from a given time until stopped."""

    #: Sound stopped because it failed (the message), after the error was shown.
    failed = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        parent: QObject | None = None,
        output_factory: OutputFactory = system_output,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.output_factory = output_factory
        self._lane = f"sound-{next(_lane_ids)}"
        self._slot = _ReaderSlot()
        self._output: AudioOutput | None = None
        self._pending = bytearray()
        self._generation = 0
        self._reading = False
        self._ended = False
        self._timer = QTimer(self)
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._feed)
        #: Bytes handed to the output since the last start (tests read it).
        self.written = 0
        self._used = False  # whether the lane ever opened a reader

    @property
    def playing(self) -> bool:
        return self._output is not None

    def start(self, path: Path, container_seconds: float) -> bool:
        """Play ``path``'s sound from container time ``container_seconds``.

        Returns False, after showing why, when there is no sound output.
        """
        self.stop()
        try:
            self._output = self.output_factory(OUTPUT_RATE, OUTPUT_CHANNELS)
        except VerifierError as exc:
            self.runner.show_error(f"Sound cannot be played: {exc}", "Sound")
            self.failed.emit(str(exc))
            return False
        self._generation += 1
        generation, slot = self._generation, self._slot
        self._reading, self._ended, self.written = True, False, 0
        self._used = True
        self.runner.run(
            lambda ctx: slot.open_at(path, container_seconds),
            on_done=lambda _none: self._opened(generation),
            on_error=lambda exc: self._failed(generation, exc),
            lane=self._lane,
        )
        self._timer.start()
        return True

    def stop(self) -> None:
        """Stop at once; whatever is queued is dropped."""
        self._generation += 1
        self._timer.stop()
        self._pending.clear()
        self._reading = False
        output, self._output = self._output, None
        if output is not None:
            output.stop()

    def close(self) -> None:
        """Stop, close the reader and let the lane's thread end."""
        self.stop()
        if self._used:
            slot = self._slot
            self.runner.run(lambda ctx: slot.close(), lane=self._lane)
            self.runner.close_lane(self._lane)

    # ------------------------------------------------------------- internals

    def _opened(self, generation: int) -> None:
        if generation == self._generation:
            self._reading = False
            self._feed()

    def _read_more(self) -> None:
        generation, slot = self._generation, self._slot
        self._reading = True

        def work(ctx: TaskContext) -> bytes:
            return slot.read(CHUNK_SECONDS)

        self.runner.run(
            work,
            on_done=lambda data: self._arrived(generation, data),
            on_error=lambda exc: self._failed(generation, exc),
            lane=self._lane,
        )

    def _arrived(self, generation: int, data: bytes) -> None:
        if generation != self._generation:
            return  # read for a start that has since been stopped
        self._reading = False
        if not data:
            self._ended = True
        self._pending += data
        self._feed()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.stop()
        message = str(exc)
        self.runner.show_error(f"Sound stopped: {message}", "Sound")
        self.failed.emit(message)

    def _feed(self) -> None:
        output = self._output
        if output is None:
            return
        if self._pending:
            free = output.free_bytes()
            free -= free % BYTES_PER_FRAME
            if free > 0:
                taken = max(0, output.write(bytes(self._pending[:free])))
                del self._pending[:taken]
                self.written += taken
        ahead = AHEAD_SECONDS * OUTPUT_RATE * BYTES_PER_FRAME
        if not self._reading and not self._ended and len(self._pending) < ahead:
            self._read_more()
