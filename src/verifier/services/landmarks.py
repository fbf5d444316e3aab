"""Landmark evidence: match a clip's frame against a reference image, keep the figure.

An analyst puts a frame of a clip (``CLIP@FRAME``) beside a reference image
(satellite, street level, another clip's frame) and asks whether they show
the same place. The matching is :mod:`verifier.geo.landmarks`; this service
reads the inputs (frame-exact through the stored frame index), runs the
match outside any database session, and, when a clip is involved, keeps the
side-by-side figure as a derived file of the clip's file (role
``landmark-figure``, its own SHA-256) with a custody event naming both
inputs, the parameters and the result. A geolocation finding or a link then
refers to the figure by its stored-file id.

Two plain image files need no case: the figure is only written where asked.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from verifier import TOOL_NAME, __version__
from verifier.errors import VerifierError
from verifier.evidence import custody
from verifier.geo.landmarks import (
    LandmarkResult,
    MatchSettings,
    Region,
    draw_figure,
    match_landmarks,
)
from verifier.ids import ClipId, FileId
from verifier.media.decode import VideoDecoder
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.frames import (
    FrameTable,
    derived_png,
    encode_png,
    frame_table,
    read_still,
    write_atomically,
)
from verifier.services.lookup import find_clip

__all__ = [
    "ROLE_FIGURE",
    "LandmarkInput",
    "LandmarkRun",
    "match_inputs",
    "parse_input",
    "save_figure",
]

ROLE_FIGURE = "landmark-figure"
#: How a figure copy that cannot be written is refused (landmark and sync figures).
WRITE_FAILURE = "--out: cannot write the figure"
_CLIP_FRAME = re.compile(r"^(?P<clip>[^@\s]+)@(?P<frame>[^@]*)$")


@dataclass(frozen=True)
class InputSpec:
    """What a person typed for A or B, understood: an image file or a clip's frame."""

    text: str
    path: Path | None = None
    clip_ref: str | None = None
    frame_index: int | None = None

    @property
    def is_clip(self) -> bool:
        return self.clip_ref is not None


def parse_input(text: str, name: str = "A") -> InputSpec:
    """``FILE`` or ``CLIP@FRAME``; an existing file wins (a file name may hold ``@``)."""
    raw = str(text).strip()
    if not raw:
        raise VerifierError(f"{name}: give an image file or CLIP@FRAME")
    path = Path(raw).expanduser()
    if path.is_file():
        return InputSpec(raw, path=path)
    if path.is_dir():
        raise VerifierError(f"{name}: {raw} is a folder: give an image file or CLIP@FRAME")
    found = _CLIP_FRAME.match(raw)
    if found is None:
        raise VerifierError(f"{name}: no such file {raw!r} (give an image file or CLIP@FRAME)")
    frame = found["frame"].strip()
    if not frame.isdigit():
        raise VerifierError(
            f"{name}: {raw!r}: the frame after @ must be a whole number, e.g. 12@250"
        )
    return InputSpec(raw, clip_ref=found["clip"], frame_index=int(frame))


@dataclass(frozen=True)
class LandmarkInput:
    """One side of a match as recorded: where the pixels came from, and their identity."""

    label: str
    kind: str  # "file" | "clip-frame"
    sha256: str  # of the image file, or of the clip's evidence file
    width: int
    height: int
    path: str | None = None
    clip_id: ClipId | None = None
    case_id: int | None = None
    file_id: FileId | None = None
    frame_index: int | None = None
    pts: int | None = None
    seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "label": self.label, "sha256": self.sha256,
                                "width": self.width, "height": self.height}  # fmt: skip
        if self.kind == "file":
            data["path"] = self.path
        else:
            data.update(
                clip_id=self.clip_id, file_id=self.file_id, frame_index=self.frame_index,
                pts=self.pts, seconds=self.seconds,
            )  # fmt: skip
        return data


@dataclass(frozen=True)
class LandmarkRun:
    """A finished match: the result, the figure, and where the figure was kept."""

    a: LandmarkInput
    b: LandmarkInput
    result: LandmarkResult
    figure_png: bytes
    file_id: FileId | None  # the stored figure, when a clip was involved
    sha256: str  # of the figure
    stored_path: str | None
    out_path: Path | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.result.to_json(),
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "figure": {
                "file_id": self.file_id,
                "sha256": self.sha256,
                "stored_path": self.stored_path,
                "out_path": str(self.out_path) if self.out_path is not None else None,
                "role": ROLE_FIGURE if self.file_id is not None else None,
            },
        }


# ----------------------------------------------------------------------------- reading inputs


def _read_image_file(path: Path, name: str) -> tuple[np.ndarray, str]:
    """RGB pixels (upright per EXIF) and the file's SHA-256; one clear error otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifierError(f"{name}: cannot be read ({exc.strerror or exc})", path=path) from exc
    try:
        rgb = read_still(path)
    except Image.DecompressionBombError as exc:
        raise VerifierError(f"{name}: the image is too large to open safely ({exc})",
                            path=path) from exc  # fmt: skip
    except VerifierError as exc:
        raise VerifierError(f"{name}: not an image this tool can read", path=path) from exc
    return rgb, hashlib.sha256(data).hexdigest()


def _read_clip_frame(
    app: App, spec: InputSpec, name: str, case: CaseRecord | None
) -> tuple[np.ndarray, LandmarkInput]:
    """The frame, decoded frame-exact through the clip's stored frame index."""
    assert spec.clip_ref is not None and spec.frame_index is not None
    with app.db.read() as session:
        clip = find_clip(session, spec.clip_ref, case)
        table = frame_table(clip)
        source = app.store.readable(clip.file.stored_path)
        clip_id, case_id, file_id, sha = clip.id, clip.case_id, clip.file_id, clip.file.sha256
        clip_name = clip.name
    index = spec.frame_index
    what = f"clip #{clip_id}"
    pts: int | None = None
    seconds: float | None = 0.0
    if table.is_image:
        table.check_index(index, f"still image #{clip_id}")
        rgb = read_still(source)
    else:
        known = table.pts.tolist() if table.pts is not None else None
        try:
            with VideoDecoder(source, index=known) as decoder:
                FrameTable("video", count=decoder.frame_count).check_index(index, what)
                decoded = decoder.frame(index)
                rgb = decoded.rgb()
                pts, seconds = decoded.info.pts, float(decoded.info.seconds)
        except av.error.FFmpegError as exc:
            raise VerifierError(f"{name}: frame {index} of {what} cannot be decoded ({exc})",
                                path=source) from exc  # fmt: skip
    height, width = rgb.shape[:2]
    return rgb, LandmarkInput(
        label=f"clip #{clip_id} {clip_name}, frame {index}", kind="clip-frame", sha256=sha,
        width=width, height=height, clip_id=ClipId(clip_id), case_id=case_id,
        file_id=FileId(file_id), frame_index=index, pts=pts, seconds=seconds,
    )  # fmt: skip


def _load(
    app: App | None, spec: InputSpec, name: str, case: CaseRecord | None
) -> tuple[np.ndarray, LandmarkInput]:
    if spec.is_clip:
        if app is None:
            raise VerifierError(f"{name}: {spec.text} refers to a clip, which needs a case")
        try:
            return _read_clip_frame(app, spec, name, case)
        except VerifierError as exc:
            if str(exc).startswith(f"{name}:"):
                raise
            raise VerifierError(f"{name}: {exc}") from exc
    assert spec.path is not None
    rgb, sha = _read_image_file(spec.path, name)
    height, width = rgb.shape[:2]
    return rgb, LandmarkInput(label=spec.path.name, kind="file", sha256=sha, width=width,
                              height=height, path=str(spec.path.resolve()))  # fmt: skip


# ----------------------------------------------------------------------------- writing


def _check_out(app: App | None, out_path: Path, inputs: list[Path]) -> Path:
    """Refuse destinations that would overwrite evidence, an input, or mislead about format."""
    if out_path.suffix.lower() != ".png":
        raise VerifierError("--out: the figure is written as PNG: give a name ending in .png",
                            path=out_path)  # fmt: skip
    target = out_path.expanduser().resolve()
    if target.is_dir():
        raise VerifierError("--out: is a folder: give a file name ending in .png", path=out_path)
    if not target.parent.is_dir():
        raise VerifierError("--out: the folder does not exist", path=out_path.parent)
    if app is not None and target.is_relative_to(app.store.root.resolve()):
        raise VerifierError("--out: cannot write into the evidence store", path=out_path)
    if any(target == p.resolve() for p in inputs):
        raise VerifierError("--out: is one of the input images: it is never overwritten",
                            path=out_path)  # fmt: skip
    return target


def _describe(side: LandmarkInput) -> str:
    if side.kind == "file":
        return f"image {side.label} (SHA-256 {side.sha256})"
    return (f"frame {side.frame_index} of clip #{side.clip_id} "
            f"(file SHA-256 {side.sha256})")  # fmt: skip


def _png_text(a: LandmarkInput, b: LandmarkInput, result: LandmarkResult) -> dict[str, str]:
    return {
        "Software": f"{TOOL_NAME} {__version__}",
        "Title": "Landmark matching figure",
        "Description": f"A: {_describe(a)}; B: {_describe(b)}; "
        f"verdict {result.verdict}: {result.reason}.",
    }


def match_inputs(
    app: App | None,
    a_text: str,
    b_text: str,
    region: Region | None = None,
    out_path: Path | None = None,
    case: CaseRecord | None = None,
    settings: MatchSettings | None = None,
) -> LandmarkRun:
    """Match A against B, draw the figure, keep it when a clip is involved.

    ``a_text``/``b_text`` are image paths or ``CLIP@FRAME``. The figure is
    stored (derived from A's clip file, else B's) together with its custody
    event in one transaction; with ``out_path`` a copy is written there
    inside that transaction, so a copy that cannot be written leaves no
    record. Without a clip nothing is recorded and ``app`` may be None.
    """
    spec_a, spec_b = parse_input(a_text, "A"), parse_input(b_text, "B")
    plain = [s.path for s in (spec_a, spec_b) if s.path is not None]
    target = _check_out(app, out_path, plain) if out_path is not None else None
    image_a, side_a = _load(app, spec_a, "A", case)
    image_b, side_b = _load(app, spec_b, "B", case)
    settings = settings or MatchSettings()
    result = match_landmarks(image_a, image_b, region, settings)
    figure = draw_figure(image_a, image_b, result, side_a.label, side_b.label)
    data = encode_png(figure, _png_text(side_a, side_b, result))
    sha = hashlib.sha256(data).hexdigest()

    owner = side_a if side_a.kind == "clip-frame" else side_b
    if owner.kind != "clip-frame" or app is None:
        if target is not None:
            write_atomically(target, data, WRITE_FAILURE)
        return LandmarkRun(side_a, side_b, result, data, None, sha, None, target)

    # Stored before the transaction, as exported frames are: if the transaction
    # fails, an unreferenced object remains, which verify reports as intact.
    sha, relative, _new = app.store.put_bytes(data)
    with app.db.write() as session:
        name = f"landmarks-{owner.sha256[:12]}-f{owner.frame_index}-{sha[:8]}.png"
        stored = derived_png(app, session, sha, relative, len(data), owner.file_id,
                             ROLE_FIGURE, name)  # fmt: skip
        run = LandmarkRun(side_a, side_b, result, data, FileId(stored.id), sha,
                          stored.stored_path, target)  # fmt: skip
        details = run.to_json()
        custody.record(
            session,
            actor=app.analyst,
            action="landmarks.match",
            target_type="clip",
            target_id=owner.clip_id,
            case_id=owner.case_id,
            details=details,
            items=[stored],
        )
        if target is not None:
            write_atomically(target, data, WRITE_FAILURE)
    return run


def save_figure(run: LandmarkRun, out_path: Path, app: App | None = None) -> Path:
    """Write a finished run's figure (the same bytes as stored) to a file a person chose."""
    inputs = [Path(side.path) for side in (run.a, run.b) if side.path is not None]
    target = _check_out(app, out_path, inputs)
    write_atomically(target, run.figure_png, WRITE_FAILURE)
    return target
