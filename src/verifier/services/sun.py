"""What the sun's questions need from a case: the time between two frames of a clip.

Two shadows measured on two frames of one clip narrow a time window only if
the interval between the frames is right. It is taken from the frames'
presentation timestamps (exact, in the stream's time base), never from an
assumed frame rate. It is clip time: it equals real time only if the clip
plays at the speed it was filmed and has no cut between the frames, which
the caller is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifier.errors import VerifierError
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.frames import load_frame_table
from verifier.services.lookup import find_clip


@dataclass(frozen=True)
class FrameInterval:
    """Seconds from ``frame_a`` to ``frame_b`` of a clip (negative when b comes first)."""

    clip_id: int
    clip_name: str
    frame_a: int
    frame_b: int
    seconds_a: float
    seconds_b: float

    @property
    def seconds(self) -> float:
        return self.seconds_b - self.seconds_a


def frame_interval(
    app: App, clip_ref: str, frame_a: int, frame_b: int, case: CaseRecord | None = None
) -> FrameInterval:
    """The interval between two frames of a clip from their timestamps; reads only.

    Raises VerifierError naming the option when a frame does not exist, the
    clip is a still image, or its timestamps are not known.
    """
    with app.db.read() as session:
        clip = find_clip(session, clip_ref, case)
        table = load_frame_table(app, clip)
        name = clip.file.original_name if clip.file is not None else f"clip {clip.id}"
        if table.is_image:
            raise VerifierError("--clip: a still image has one moment; give --interval instead")
        seconds = []
        for option, index in (("--frame", frame_a), ("--frame2", frame_b)):
            try:
                table.check_index(index, f"clip #{clip.id}")
            except VerifierError as exc:
                raise VerifierError(f"{option}: {exc.reason}") from None
            value = table.seconds_of(index)
            if value is None:
                raise VerifierError(f"{option}: the time of frame {index} is not known")
            seconds.append(value)
        return FrameInterval(clip.id, str(name), frame_a, frame_b, seconds[0], seconds[1])
