"""The per-file ingest stage: one file in, everything the writer needs out.

Importing a file means preserving it (a staged copy, hashed while copied),
checking that it is media we can handle (one probe) and analysing it
(shots, keyframes, frame hashes). All of that is expensive and none of it
needs the database, so it lives here as one pure function whose inputs and
output are plain, picklable values: the stage can run in another process
while a single writer records the results (see :mod:`verifier.services.importing`).

The probe is done once and its result is reused by the analysis. A stored
clip is re-analysed with the same :func:`examine` on its stored file.

Progress callbacks and the cancel token are in-process hooks only; a worker
process runs the stage without them.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import av

from verifier.analysis.pipeline import ClipAnalysis, FrameProgress, analyse_still, analyse_video
from verifier.errors import Cancelled, VerifierError
from verifier.evidence.store import (
    ByteProgress,
    EvidenceStore,
    InterruptedWork,
    Staged,
    StoreWriteError,
    open_source,
)
from verifier.media.info import MediaInfo
from verifier.media.probe import probe
from verifier.progress import CancelToken

ANALYSIS_FAILURES = (av.error.FFmpegError, OSError, ValueError)
"""Decoder failures mid-clip: the analysis fails, the evidence stays."""

EXHAUSTION = (MemoryError, RecursionError)
"""A file that exhausts memory or the stack while being read: that file's failure.

Declared picture sizes are refused from the header before decoding
(:func:`verifier.media.info.check_dimensions`), so these are a last guard: one
hostile or damaged file must not end the batch of the files after it.
"""


@dataclass(frozen=True)
class AnalysisOutcome:
    """What analysing one file gave: the analysis, or why there is none.

    ``stopped`` is set when the user stopped the analysis ("cancelled" through
    the cancel token, "interrupted" by Ctrl+C): there is nothing to record then,
    but the evidence that was preserved must still be kept.
    """

    analysis: ClipAnalysis | None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    stopped: str | None = None

    @property
    def status(self) -> str:
        """ok | partial (decoding problems on record) | failed."""
        if self.analysis is None:
            return "failed"
        return "partial" if self.analysis.errors else "ok"


@dataclass(frozen=True)
class Examination:
    """The one probe of a file and, when asked for, the analysis that reused it."""

    info: MediaInfo
    outcome: AnalysisOutcome | None  # None: analysis was not asked for


@dataclass(frozen=True)
class Ingested:
    """A preserved (staged, not yet committed) file and what examining it found."""

    source: Path
    staged: Staged
    examination: Examination


@dataclass(frozen=True)
class IngestFailed:
    """A file that cannot be imported, with the reason a person can act on."""

    source: Path
    reason: str


def summarise_errors(errors: list[str]) -> list[str]:
    """Decoding problems as one warning line: the first few and how many more."""
    if not errors:
        return []
    shown = "; ".join(errors[:3])
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return [f"{len(errors)} decoding problem(s): {shown}{more}"]


def analyse_probed(
    path: Path,
    info: MediaInfo,
    *,
    cancel: CancelToken | None = None,
    on_frame: FrameProgress | None = None,
) -> AnalysisOutcome:
    """Analyse a probed file; a failure is an outcome, not an exception."""
    warnings = list(info.warnings)
    try:
        if info.kind == "image":
            analysis = analyse_still(path)
        else:
            analysis = analyse_video(path, cancel=cancel, on_frame=on_frame)
    except Cancelled:
        return AnalysisOutcome(None, warnings=warnings, stopped="cancelled")
    except KeyboardInterrupt:
        return AnalysisOutcome(None, warnings=warnings, stopped="interrupted")
    except VerifierError as exc:
        return AnalysisOutcome(None, exc.reason, warnings)
    except ANALYSIS_FAILURES as exc:
        return AnalysisOutcome(None, f"analysis stopped: {exc}", warnings)
    except EXHAUSTION as exc:
        return AnalysisOutcome(None, f"analysis stopped: {_exhausted(exc)}", warnings)
    return AnalysisOutcome(analysis, None, warnings + summarise_errors(analysis.errors))


def _exhausted(exc: BaseException) -> str:
    what = "memory" if isinstance(exc, MemoryError) else "stack (nesting too deep)"
    return f"reading the file ran out of {what}"


def examine(
    path: Path,
    *,
    analyse: bool = True,
    cancel: CancelToken | None = None,
    on_frame: FrameProgress | None = None,
    on_analysing: Callable[[], None] | None = None,
) -> Examination:
    """Probe a file once and, if asked, analyse it. Raises VerifierError if the probe fails."""
    info = probe(path)
    if not analyse:
        return Examination(info, None)
    if on_analysing is not None:
        on_analysing()
    return Examination(info, analyse_probed(path, info, cancel=cancel, on_frame=on_frame))


def _stage(store: EvidenceStore, source: Path, on_bytes: ByteProgress | None) -> Staged:
    """Copy into staging, blaming the side that failed.

    The store reports its own write failures (full, read-only) as
    :class:`StoreWriteError`, which passes through unchanged; any other
    OSError here comes from reading the source file.
    """
    try:
        return store.stage_file(source, on_bytes)
    except StoreWriteError:
        raise
    except PermissionError as exc:
        raise VerifierError("permission denied: the file cannot be read", path=source) from exc
    except IsADirectoryError as exc:
        raise VerifierError("is a folder, not a file", path=source) from exc
    except OSError as exc:
        raise VerifierError(f"cannot read the file ({exc.strerror or exc})", path=source) from exc


def ingest_file(
    source: Path,
    store: EvidenceStore,
    *,
    analyse: bool = True,
    skip_analysis: AbstractSet[str] = frozenset(),
    cancel: CancelToken | None = None,
    on_bytes: ByteProgress | None = None,
    on_analysing: Callable[[], None] | None = None,
    on_frame: FrameProgress | None = None,
) -> Ingested | IngestFailed:
    """Stage, probe and (unless skipped) analyse one file; nothing is committed.

    ``skip_analysis`` holds the SHA-256 of files already in the case: such a
    file is recorded again but never re-analysed. The staged copy is removed
    when the file fails or the work is cancelled; otherwise the writer owns
    it (commits it, or a later sweep removes it if the writer dies first).
    Raises :class:`Cancelled` only while copying.
    """
    try:
        open_source(source)
        staged = _stage(store, source, on_bytes)
    except Cancelled:
        raise
    except VerifierError as exc:
        return IngestFailed(source, exc.reason)
    try:
        examination = examine(
            staged.temp_path,
            analyse=analyse and staged.sha256 not in skip_analysis,
            cancel=cancel,
            on_frame=on_frame,
            on_analysing=on_analysing,
        )
    except VerifierError as exc:
        store.discard(staged)
        return IngestFailed(source, exc.reason)
    except KeyboardInterrupt as exc:
        # Interrupted while probing: the copy was never committed.
        store.discard(staged)
        raise InterruptedWork(
            f"the current file {source.name} was not yet preserved: its copy was discarded; "
            "import it again"
        ) from exc
    except EXHAUSTION as exc:
        store.discard(staged)
        return IngestFailed(source, f"not imported: {_exhausted(exc)}")
    except BaseException:
        store.discard(staged)
        raise
    return Ingested(source, staged, examination)
