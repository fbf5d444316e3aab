"""The demo case: sample media imported once, and the clip that shows the tool at its best.

``verifier demo`` is often launched again on the same data folder. Importing
the samples again would record a "duplicate import" custody event for every
file, burying the log a newcomer is meant to read; so files the case already
holds (same original path and size, analysis complete) are not imported
again. The window then opens on the clip with the most to show: matches to
other clips, posts, flags, on a frame from the middle of its footage rather
than the first frame (often black or a title).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from verifier.db.models import Clip, StoredFile
from verifier.progress import ProgressCallback, no_progress
from verifier.services import cases as case_service
from verifier.services.cases import CaseRecord
from verifier.services.clips import ClipSummary, describe_clip, list_clips
from verifier.services.context import App
from verifier.services.importing import ImportReport, import_paths, scan_inputs

DEMO_DESCRIPTION = "Sample media imported by `verifier demo`: real clips when available."


@dataclass(frozen=True)
class Showcase:
    """The clip and frame the demo window opens on, and why that one."""

    clip_id: int
    frame_index: int
    reason: str


@dataclass
class DemoSetup:
    case: CaseRecord
    #: None when every sample was already in the case (nothing imported, nothing logged).
    report: ImportReport | None
    already_present: int
    showcase: Showcase | None


def _held_files(app: App, case: CaseRecord) -> set[tuple[str, int]]:
    """(original path, size) of the files the case holds with their analysis complete."""
    with app.db.read() as session:
        rows = session.execute(
            select(StoredFile.original_path, StoredFile.size)
            .join(Clip, Clip.file_id == StoredFile.id)
            .where(Clip.case_id == case.id, Clip.analysis_status != "pending")
        )
        return {(str(path), int(size)) for path, size in rows if path}


def samples_to_import(app: App, case: CaseRecord, media: Iterable[Path]) -> tuple[list[Path], int]:
    """The inputs to import for the demo, and how many sample files the case holds already.

    Files already held are left out. When the samples carry sidecars (posts
    read from a folder walk) and something is new, the folders are imported
    as given, so that the new files keep their posts.
    """
    media = list(media)
    scan = scan_inputs(media)
    held = _held_files(app, case)
    new: list[Path] = []
    present = 0
    for path, folder in scan.candidates:
        if folder is not None and scan.skip_reason(path) is not None:
            continue
        try:
            key = (os.path.abspath(path), path.stat().st_size)
        except OSError:
            new.append(path)  # let the import say what is wrong with it
            continue
        if key in held:
            present += 1
        else:
            new.append(path)
    has_sidecars = bool(scan.sidecars.by_media) or bool(scan.telegram_exports)
    if new and has_sidecars:
        return media, present
    return new, present


def prepare_demo(
    app: App,
    media: Iterable[Path],
    case_name: str = "Demo",
    *,
    progress: ProgressCallback = no_progress,
) -> DemoSetup:
    """Make (or reuse) the demo case, import the samples it lacks, choose the showcase."""
    case = case_service.get_or_create_case(app, case_name, DEMO_DESCRIPTION)
    case_service.use_case(app, case.name)
    inputs, present = samples_to_import(app, case, media)
    report = import_paths(app, inputs, case, progress=progress) if inputs else None
    return DemoSetup(case, report, present, showcase_clip(app, case))


def _score(row: ClipSummary) -> tuple[int, ...]:
    """What a first look can show: matches first, then posts, flags, a video, analysis done."""
    return (
        row.matches,
        row.appearances,
        len(row.flags),
        int(row.media_kind == "video"),
        int(row.analysis_status == "ok"),
        row.keyframes,
        -int(row.id),  # ties: the earliest imported
    )


def showcase_clip(app: App, case: CaseRecord) -> Showcase | None:
    """The clip of the case with the most to show, on a frame from the middle of its footage."""
    rows = [r for r in list_clips(app, case.id) if r.analysis_status in ("ok", "partial")]
    if not rows:
        return None
    best = max(rows, key=_score)
    keyframes = describe_clip(app, best.id)["keyframes"]
    frame = 0
    if keyframes:
        # A chosen frame (shot change or sample) near the middle: real content,
        # not the fade-in or title card a clip often starts with.
        middle = (best.duration or 0.0) / 2
        frame = int(min(keyframes, key=lambda k: abs(float(k["seconds"]) - middle))["frame_index"])
    facts = [
        f"{best.matches} match(es)",
        f"{best.appearances} post(s)",
        f"{len(best.flags)} flag(s)",
    ]
    return Showcase(int(best.id), frame, f"#{best.id} {best.name}: {', '.join(facts)}")
