"""Import evidence: preserve first, then analyse, then match.

Each file goes through the ingest stage (:func:`verifier.analysis.ingest.ingest_file`):
a copy into the store's staging area while hashing it (one streamed pass;
the original is only ever read), one probe of the *copy* to make sure it is
a clip or still we can handle, and the analysis, which reuses that probe.
The stage touches no database. The writer step here then moves the copy to
its content address and records the stored file, the case's clip and a
custody event in one transaction, the sidecars' appearances (and, after the
batch, the channels and playlists yt-dlp described, linked to the posts of
their folder), and the analysis in a second one (each complete on its own: a
crash between them leaves an imported clip whose analysis is pending, which
the next import of the same file, or `verifier analyse --pending`, resumes).
Matching then uses the hashes in memory. A failure at any step leaves
nothing behind for that file and the batch goes on, except a failure of the
database itself (read-only, locked, disk full): then no later file could be
recorded either, so the batch stops there with a clear message
(:attr:`ImportReport.stopped`) and the summary of what was done.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from verifier.analysis.ingest import Ingested, IngestFailed, ingest_file
from verifier.db.models import Clip, StoredFile
from verifier.errors import Cancelled, VerifierError
from verifier.evidence import custody
from verifier.evidence.store import InterruptedWork
from verifier.ids import CaseId, ClipId
from verifier.media.info import MediaInfo
from verifier.progress import CancelToken, ProgressCallback, ProgressUpdate, no_progress
from verifier.services.analysis import analyse_clip, record_analysis
from verifier.services.cases import CaseRecord
from verifier.services.context import App
from verifier.services.matching import match_clip
from verifier.services.provenance import attach_records, post_warnings, record_collection
from verifier.sources import AppearanceRecord, CollectionRecord, SidecarProblem
from verifier.sources.manifest import MANIFEST_NAMES, read_manifest
from verifier.sources.paths import link_escapes
from verifier.sources.telegram import is_telegram_export, not_evidence, read_telegram_export
from verifier.sources.ytdlp import read_ytdlp_sidecar, sidecar_for

# Files met while walking a folder that are never evidence themselves
# (sidecars are read by the source importers, not stored as clips).
ANCILLARY_SUFFIXES = frozenset(
    {
        ".json",
        ".html",
        ".htm",
        ".css",
        ".js",
        ".txt",
        ".md",
        ".part",
        ".ytdl",
        ".description",
        ".vtt",
        ".srt",
        ".csv",
        ".db",
        ".ini",
        ".lnk",
        ".url",
    }
)
ANCILLARY_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


@dataclass
class ImportItem:
    """What happened to one input file."""

    path: str
    status: str  # imported | already-present | failed | skipped
    clip_id: ClipId | None = None
    sha256: str | None = None
    size: int | None = None
    reason: str | None = None
    new_in_store: bool = False
    warnings: list[str] = field(default_factory=list)
    analysis_status: str | None = None
    matches: int | None = None  # relations found to other clips of the library
    appearances: int = 0  # appearances recorded from sidecars
    # What the sidecar readers said about the posts recorded for this file.
    post_warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    case: str
    items: list[ImportItem] = field(default_factory=list)
    cancelled: bool = False
    unavailable_posts: int = 0  # posts recorded without their (not downloaded) media
    collections: int = 0  # channels and playlists newly recorded from yt-dlp sidecars
    # Why the batch stopped before its end when going on was pointless (the
    # database cannot be written); None when every file was tried.
    stopped: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def failed(self) -> list[ImportItem]:
        return [item for item in self.items if item.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "cancelled": self.cancelled,
            "stopped": self.stopped,
            "unavailable_posts": self.unavailable_posts,
            "collections": self.collections,
            "summary": {
                status: self.count(status)
                for status in ("imported", "already-present", "failed", "skipped")
            },
            "items": [item.to_json() for item in self.items],
        }


def _is_ancillary(path: Path) -> bool:
    name = path.name.lower()
    # Telegram Desktop writes "<video>_thumb.jpg" previews next to exported videos.
    return (
        path.suffix.lower() in ANCILLARY_SUFFIXES
        or name in ANCILLARY_NAMES
        or name.endswith("_thumb.jpg")
    )


@dataclass
class Sidecars:
    """Appearances read from the sidecars of an import, by the media file they describe.

    ``collections`` are the channels and playlists yt-dlp described (recorded
    after the posts, so that the posts of their folder can be linked to them).
    """

    by_media: dict[Path, list[AppearanceRecord]] = field(default_factory=dict)
    without_media: list[AppearanceRecord] = field(default_factory=list)
    problems: list[SidecarProblem] = field(default_factory=list)
    collections: list[CollectionRecord] = field(default_factory=list)

    def add(self, item: AppearanceRecord | CollectionRecord | SidecarProblem) -> None:
        if isinstance(item, SidecarProblem):
            self.problems.append(item)
        elif isinstance(item, CollectionRecord):
            self.collections.append(item)
        elif item.media_path is not None and item.media_available:
            self.by_media.setdefault(item.media_path.resolve(), []).append(item)
        else:
            self.without_media.append(item)


def _read_folder_sidecars(folder: Path, files: list[str], found: Sidecars) -> bool:
    """Read the sidecars among one folder's files (a Telegram export, yt-dlp, manifests).

    Returns True when the folder is a Telegram Desktop export.
    """
    export = "result.json" in files and is_telegram_export(folder)
    if export:
        for item in read_telegram_export(folder):
            found.add(item)
    for name in sorted(files):
        if name.endswith(".info.json"):
            found.add(read_ytdlp_sidecar(folder / name))
        elif name.lower() in MANIFEST_NAMES:
            for item in read_manifest(folder / name):
                found.add(item)
    return export


@dataclass
class Scan:
    """The inputs of an import, found in one walk of each folder.

    ``candidates`` are (file, folder it was found in), the folder None for a
    file named explicitly; ``sidecars`` the appearances read on the way;
    ``telegram_exports`` the Telegram Desktop export folders met, whose
    reader knows which of their files are not evidence.
    """

    candidates: list[tuple[Path, Path | None]] = field(default_factory=list)
    sidecars: Sidecars = field(default_factory=Sidecars)
    telegram_exports: list[Path] = field(default_factory=list)

    def skip_reason(self, path: Path) -> str | None:
        """Why a file met in a folder walk is not evidence (skipped, not failed), or None.

        Inside a Telegram export the export reader decides (stickers, voice
        messages, profile pictures, previews), the innermost export first;
        elsewhere sidecars and system files are skipped by name.
        """
        for root in sorted(self.telegram_exports, key=lambda p: len(p.parts), reverse=True):
            if path.is_relative_to(root):
                reason = not_evidence(path, root)
                if reason is not None:
                    return reason
                break
        if any(path == c.sidecar_path for c in self.sidecars.collections):
            return "channel or playlist record (sidecar)"
        return "not a media file (sidecar)" if _is_ancillary(path) else None


def scan_inputs(paths: Iterable[Path]) -> Scan:
    """Walk files and, recursively, folders once: the candidate files and the sidecars.

    Folder walks do not follow symbolic links to folders (no loops) but do
    yield symbolic links to files and folders, so a broken, looping or
    escaping link is reported rather than silently skipped. Results are
    sorted for a stable order.
    """
    found = Scan()
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path, followlinks=False):
                folder = Path(root)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.candidates.extend((folder / name, path) for name in sorted(files))
                found.candidates.extend(
                    (folder / name, path) for name in dirs if (folder / name).is_symlink()
                )
                if _read_folder_sidecars(folder, files, found.sidecars):
                    found.telegram_exports.append(folder)
        else:
            found.candidates.append((path, None))
            if path.is_file():
                sidecar = sidecar_for(path)
                if sidecar is not None:
                    found.sidecars.add(read_ytdlp_sidecar(sidecar))
    return found


#: MIME types of the still formats the probe names (Pillow's format names).
_IMAGE_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "HEIF": "image/heif",
    "AVIF": "image/avif",
    "MPO": "image/jpeg",
}
#: MIME types of containers, by a name in FFmpeg's comma-separated format list.
_VIDEO_MIME = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "matroska": "video/x-matroska",
    "webm": "video/webm",
    "avi": "video/x-msvideo",
    "flv": "video/x-flv",
    "mpegts": "video/mp2t",
    "mpeg": "video/mpeg",
    "asf": "video/x-ms-asf",
    "gif": "image/gif",
    "3gp": "video/3gpp",
}


def _mime_type(name: str, info: MediaInfo) -> str:
    """The MIME type the content shows, never only the name's.

    Evidence is often renamed (a photo saved as ``.mp4``): the probe, which
    reads the content, says whether it is a still or a clip and in which
    format. The name's guess is kept only when it agrees with that (it is
    more precise among the names of one container family: ``.mov`` vs ``.mp4``).
    """
    guessed, _ = mimetypes.guess_type(name)
    if info.kind == "image":
        fmt = (info.image_format or "").upper()
        if fmt in _IMAGE_MIME:
            return _IMAGE_MIME[fmt]
        return guessed if guessed and guessed.startswith("image/") else "image/*"
    formats = [part.strip() for part in (info.container_format or "").split(",")]
    by_content = [_VIDEO_MIME[f] for f in formats if f in _VIDEO_MIME]
    if guessed and guessed in by_content:
        return guessed
    if by_content:
        return by_content[0]
    return guessed if guessed and guessed.startswith("video/") else "video/*"


def database_failure(exc: DBAPIError) -> str:
    """One line saying that the database, not the file, failed, and why."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"the database cannot be written ({detail})"


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def _files_in_case(app: App, case_id: CaseId) -> set[str]:
    """SHA-256 of the files the case holds already: those are never analysed again.

    A clip whose analysis is still pending (interrupted by a crash, Ctrl+C or
    a full disk) is left out, so that importing its file again resumes it.
    """
    with app.db.read() as session:
        return set(
            session.scalars(
                select(StoredFile.sha256)
                .join(Clip, Clip.file_id == StoredFile.id)
                .where(Clip.case_id == case_id, Clip.analysis_status != "pending")
            )
        )


def _waits_for_analysis(app: App, clip_id: ClipId | None) -> bool:
    """Whether a clip met again on import still has its analysis pending."""
    with app.db.read() as session:
        clip = session.get(Clip, clip_id) if clip_id is not None else None
        return clip is not None and clip.analysis_status == "pending"


def import_paths(
    app: App,
    paths: Iterable[str | Path],
    case: CaseRecord,
    *,
    analyse: bool = True,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import files and folders into a case; never stops at a bad file."""
    cancel = cancel or CancelToken()
    case_id = CaseId(case.id)
    report = ImportReport(case=case.name)
    scan = scan_inputs(Path(p) for p in paths)
    sidecars = scan.sidecars
    for problem in sidecars.problems:
        where = f" ({problem.entry})" if problem.entry else ""
        report.items.append(ImportItem(str(problem.path), "failed", reason=problem.reason + where))
    # A sidecar reported as failed above is not listed again as skipped below.
    failed_sidecars = {Path(problem.path).absolute() for problem in sidecars.problems}
    candidates = scan.candidates
    total_bytes = sum(_size_or_zero(path) for path, _ in candidates)
    done_bytes = 0
    total_files = len(candidates)
    seen: set[Path] = set()
    in_case = _files_in_case(app, case_id) if analyse else set()

    def emit(files_done: int, message: str) -> None:
        progress(
            ProgressUpdate(
                task="import",
                done=done_bytes,
                total=total_bytes,
                unit="bytes",
                message=message,
                items_done=files_done,
                items_total=total_files,
            )
        )

    for number, (path, folder) in enumerate(candidates):
        if cancel.cancelled:
            report.cancelled = True
            break
        emit(number, path.name)
        skip = scan.skip_reason(path) if folder is not None else None
        if skip is not None:
            if path.absolute() not in failed_sidecars:
                report.items.append(ImportItem(str(path), "skipped", reason=skip))
            continue
        if folder is not None and link_escapes(path, folder):
            report.items.append(ImportItem(
                str(path), "failed",
                reason=f"symbolic link pointing outside the imported folder {folder}; not followed",
            ))  # fmt: skip
            continue
        key = path.resolve() if not path.is_symlink() else path.absolute()
        if key in seen:
            continue
        seen.add(key)

        def on_bytes(n: int, number: int = number, name: str = path.name) -> None:
            nonlocal done_bytes
            done_bytes += n
            cancel.check()
            emit(number, name)

        def step(message: str, number: int = number) -> None:
            emit(number, message)

        try:
            result = ingest_file(
                path,
                app.store,
                analyse=analyse,
                skip_analysis=in_case,  # read only; a copy per file would cost O(case)
                cancel=cancel,
                on_bytes=on_bytes,
                on_analysing=lambda name=path.name: step(f"analysing {name}"),
            )
        except Cancelled:
            report.cancelled = True
            break
        if isinstance(result, IngestFailed):
            report.items.append(ImportItem(str(path), "failed", reason=result.reason))
            continue
        try:
            item = record_import(app, case_id, result)
        except VerifierError as exc:
            item = ImportItem(str(path), "failed", reason=exc.reason)
        except DBAPIError as exc:
            report.stopped = database_failure(exc)
            report.items.append(ImportItem(
                str(path), "failed",
                reason=f"{report.stopped}; the file was not recorded",
            ))  # fmt: skip
            break
        report.items.append(item)
        try:
            if item.clip_id is not None:
                in_case.add(result.staged.sha256)
                # Imported, so the path resolves (no broken link or loop here).
                records = sidecars.by_media.get(path.resolve(), [])
                if records:
                    item.appearances = attach_records(app, case, item.clip_id, records)
                    if item.appearances:
                        item.post_warnings = post_warnings(records)
            # A new clip of the case, or one whose analysis was interrupted before:
            # record its analysis and match it (a cancel stops here).
            resume = item.status == "already-present" and _waits_for_analysis(app, item.clip_id)
            if (
                analyse
                and (item.status == "imported" or resume)
                and _record_analysis(app, item, result, cancel, step)
            ):
                report.cancelled = True
                break
        except DBAPIError as exc:
            # The clip is recorded; what followed it (posts, analysis) is not.
            report.stopped = database_failure(exc)
            item.warnings.append(
                f"{report.stopped}: its posts or analysis were not recorded "
                "(`verifier analyse` redoes the analysis)"
            )
            break
    if not report.cancelled and report.stopped is None:
        try:
            _record_batch_sidecars(app, case, sidecars, report)
        except DBAPIError as exc:
            report.stopped = database_failure(exc)
    emit(len(candidates), "done")
    return report


def _record_batch_sidecars(
    app: App, case: CaseRecord, sidecars: Sidecars, report: ImportReport
) -> None:
    """After the files: the posts without media, then the channels and playlists."""
    if sidecars.without_media:
        # Posts whose media was not downloaded still happened: keep them.
        report.unavailable_posts = attach_records(app, case, None, sidecars.without_media)
    # Last, so that every post of the collection's folder is there to be linked.
    for collection in sidecars.collections:
        if record_collection(app, case, collection).created:
            report.collections += 1


def _record_analysis(
    app: App,
    item: ImportItem,
    ingested: Ingested,
    cancel: CancelToken,
    step: Callable[[str], None],
) -> bool:
    """Record the stage's analysis of a newly imported clip, then match it.

    Returns True when the user cancelled the analysis (the clip stays
    imported, without analysis, as when cancelled after the import).
    """
    assert item.clip_id is not None
    name = Path(item.path).name
    outcome = ingested.examination.outcome
    if outcome is None:
        # The stage skipped a file the case held when the batch began, and
        # that has left the case since: analyse the stored copy instead.
        step(f"analysing {name}")
        try:
            result, views = analyse_clip(app, item.clip_id, cancel=cancel)
        except Cancelled:
            return True
        except VerifierError as exc:  # the stored copy cannot be read
            item.warnings.append(f"analysis not run: {exc.reason}")
            return False
    elif outcome.stopped == "cancelled":
        return True
    elif outcome.stopped == "interrupted":
        raise InterruptedWork(
            f"the current file {name} was preserved as clip #{item.clip_id} and is kept; "
            "its analysis was stopped and waits: run `verifier analyse --pending`"
        )
    else:
        result, views = record_analysis(app, item.clip_id, ingested.examination.info, outcome)
    item.analysis_status = result.status
    item.warnings.extend(w for w in result.warnings if w not in item.warnings)
    if result.status == "failed" and result.error:
        item.warnings.append(f"analysis failed: {result.error}")
    else:
        step(f"matching {name}")
        item.matches = match_clip(app, item.clip_id, views)
    return False


def record_import(app: App, case_id: CaseId, ingested: Ingested) -> ImportItem:
    """The writer step: commit a staged file and record it in the case, in one transaction.

    The copy goes to its content address first (or is dropped when the store
    holds those bytes already), then the stored file, the clip and the
    custody event are written together. Raises VerifierError, or
    SQLAlchemy's DBAPIError when the database cannot be written.

    When that write fails, an object this call has just added to the store is
    left there, not removed: another process may have recorded the same
    bytes meanwhile (removing them would lose its evidence), and the next
    import of the file reuses the object. Until then `verifier verify
    --all` reports it as a stored object no database row refers to.
    """
    staged, info, path = ingested.staged, ingested.examination.info, ingested.source
    try:
        relative, new_object = app.store.commit(staged)
    except BaseException:
        app.store.discard(staged)
        raise
    name = path.name
    with app.db.write() as session:
        stored = session.scalar(select(StoredFile).where(StoredFile.sha256 == staged.sha256))
        reused_file = stored is not None
        if stored is None:
            stored = StoredFile(
                sha256=staged.sha256,
                size=staged.size,
                kind="evidence",
                role="original",
                original_name=name,
                original_path=os.path.abspath(path),
                mime_type=_mime_type(name, info),
                container=info.container_format,
                stored_path=relative,
                imported_by=app.analyst,
            )
            session.add(stored)
            session.flush()
        clip = session.scalar(
            select(Clip).where(Clip.case_id == case_id, Clip.file_id == stored.id)
        )
        status = "already-present" if clip is not None else "imported"
        if clip is None:
            clip = Clip(
                case_id=case_id,
                file_id=stored.id,
                name=name,
                added_by=app.analyst,
                media_kind=info.kind,
                media_info=info.to_json(),
                duration=info.duration,
                width=info.display_width,
                height=info.display_height,
                frame_count=info.frame_count,
            )
            session.add(clip)
            session.flush()
        custody.record(
            session,
            actor=app.analyst,
            action="import" if status == "imported" else "import.duplicate",
            target_type="clip",
            target_id=clip.id,
            case_id=case_id,
            details={
                "source_path": os.path.abspath(path),
                "source_name": name,
                "sha256": staged.sha256,
                "size": staged.size,
                "stored_path": relative,
                "new_in_store": new_object and not reused_file,
                "already_in_case": status == "already-present",
                "file_id": stored.id,
            },
            items=[stored, clip],
        )
        return ImportItem(
            path=str(path),
            status=status,
            clip_id=ClipId(clip.id),
            sha256=staged.sha256,
            size=staged.size,
            new_in_store=new_object and not reused_file,
            warnings=list(info.warnings),
        )
