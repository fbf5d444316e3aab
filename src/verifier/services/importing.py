"""Import evidence: preserve first, then analyse.

For each file: check it, copy it into the store's staging area while
hashing it (one streamed pass; the original is only ever read), probe the
*copy* to make sure it is a clip or still we can handle, move it to its
content address, then record the stored file, the case's clip and a custody
event in one transaction. A failure at any step leaves nothing behind for
that file and the batch goes on. Analysis runs afterwards, per clip.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from verifier.db.models import Case, Clip, StoredFile
from verifier.errors import Cancelled, VerifierError
from verifier.evidence import custody
from verifier.evidence.store import open_source
from verifier.media.info import MediaInfo
from verifier.media.probe import probe
from verifier.progress import CancelToken, ProgressCallback, ProgressUpdate, no_progress
from verifier.services.analysis import analyse_clip
from verifier.services.context import App
from verifier.services.matching import match_clip
from verifier.services.provenance import attach_records
from verifier.sources import AppearanceRecord, SidecarProblem
from verifier.sources.manifest import MANIFEST_NAMES, read_manifest
from verifier.sources.telegram import is_telegram_export, read_telegram_export
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
    clip_id: int | None = None
    sha256: str | None = None
    size: int | None = None
    reason: str | None = None
    new_in_store: bool = False
    warnings: list[str] = field(default_factory=list)
    analysis_status: str | None = None
    matches: int | None = None  # relations found to other clips of the library
    appearances: int = 0  # appearances recorded from sidecars

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    case: str
    items: list[ImportItem] = field(default_factory=list)
    cancelled: bool = False
    unavailable_posts: int = 0  # posts recorded without their (not downloaded) media

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def failed(self) -> list[ImportItem]:
        return [item for item in self.items if item.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "cancelled": self.cancelled,
            "unavailable_posts": self.unavailable_posts,
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


def expand_paths(paths: Iterable[Path]) -> Iterator[tuple[Path, Path | None]]:
    """Yield (file, folder it was found in) for files and, recursively, folders.

    The folder is None for a file named explicitly. Folder walks do not
    follow symbolic links to folders (no loops) but do yield symbolic links
    to files, so a broken, looping or escaping link is reported rather than
    silently skipped. Results are sorted for a stable order.
    """
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs.sort()
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                root_path = Path(root)
                for name in sorted(files):
                    yield root_path / name, path
                for name in dirs:
                    if (root_path / name).is_symlink():
                        yield root_path / name, path
        else:
            yield path, None


def _escapes(path: Path, folder: Path) -> bool:
    """Whether a link met in a folder walk points outside that folder.

    A downloaded or received collection can carry links to anywhere on the
    analyst's machine; following them would copy unrelated local files into
    the evidence store. Links the user names explicitly are followed.
    """
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False  # broken or looping: reported as such by the import itself
    root = folder.resolve()
    return target != root and root not in target.parents


@dataclass
class Sidecars:
    """Appearances read from the sidecars of an import, by the media file they describe."""

    by_media: dict[Path, list[AppearanceRecord]] = field(default_factory=dict)
    without_media: list[AppearanceRecord] = field(default_factory=list)
    problems: list[SidecarProblem] = field(default_factory=list)

    def add(self, item: AppearanceRecord | SidecarProblem) -> None:
        if isinstance(item, SidecarProblem):
            self.problems.append(item)
        elif item.media_path is not None and item.media_available:
            self.by_media.setdefault(item.media_path.resolve(), []).append(item)
        else:
            self.without_media.append(item)


def read_sidecars(paths: Iterable[Path]) -> Sidecars:
    """Find and read the sidecars among the inputs (folders are searched)."""
    found = Sidecars()
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path, followlinks=False):
                folder = Path(root)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                if "result.json" in files and is_telegram_export(folder):
                    for item in read_telegram_export(folder):
                        found.add(item)
                for name in sorted(files):
                    if name.endswith(".info.json"):
                        found.add(read_ytdlp_sidecar(folder / name))
                    elif name.lower() in MANIFEST_NAMES:
                        for item in read_manifest(folder / name):
                            found.add(item)
        elif path.is_file():
            sidecar = sidecar_for(path)
            if sidecar is not None:
                found.add(read_ytdlp_sidecar(sidecar))
    return found


def _mime_type(name: str, info: MediaInfo) -> str | None:
    guessed, _ = mimetypes.guess_type(name)
    if guessed:
        return guessed
    return "image/*" if info.kind == "image" else "video/*"


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def import_paths(
    app: App,
    paths: Iterable[str | Path],
    case: Case,
    *,
    analyse: bool = True,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import files and folders into a case; never stops at a bad file."""
    cancel = cancel or CancelToken()
    report = ImportReport(case=case.name)
    inputs = [Path(p) for p in paths]
    sidecars = read_sidecars(inputs)
    for problem in sidecars.problems:
        where = f" ({problem.entry})" if problem.entry else ""
        report.items.append(ImportItem(str(problem.path), "failed", reason=problem.reason + where))
    candidates: list[tuple[Path, Path | None]] = list(expand_paths(inputs))
    total_bytes = sum(_size_or_zero(path) for path, _ in candidates)
    done_bytes = 0
    total_files = len(candidates)
    seen: set[Path] = set()

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
        if folder is not None and _is_ancillary(path):
            report.items.append(
                ImportItem(str(path), "skipped", reason="not a media file (sidecar)")
            )
            continue
        if folder is not None and _escapes(path, folder):
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

        try:
            item = import_file(app, path, case, on_bytes=on_bytes)
        except Cancelled:
            report.cancelled = True
            break
        except VerifierError as exc:
            item = ImportItem(str(path), "failed", reason=exc.reason)
        report.items.append(item)
        if item.clip_id is not None:
            # Imported, so the path resolves (no broken link or loop here).
            records = sidecars.by_media.get(path.resolve(), [])
            if records:
                item.appearances = attach_records(app, case, item.clip_id, records)
        if analyse and item.status == "imported" and item.clip_id is not None:
            emit(number, f"analysing {path.name}")
            try:
                result = analyse_clip(app, item.clip_id, cancel=cancel)
            except Cancelled:
                report.cancelled = True
                break
            item.analysis_status = result.status
            # Analysis probes again and repeats the probe's warnings.
            item.warnings.extend(w for w in result.warnings if w not in item.warnings)
            if result.status == "failed" and result.error:
                item.warnings.append(f"analysis failed: {result.error}")
            else:
                emit(number, f"matching {path.name}")
                item.matches = match_clip(app, item.clip_id)
    if sidecars.without_media and not report.cancelled:
        # Posts whose media was not downloaded still happened: keep them.
        report.unavailable_posts = attach_records(app, case, None, sidecars.without_media)
    emit(len(candidates), "done")
    return report


def import_file(app: App, path: Path, case: Case, *, on_bytes: Any = None) -> ImportItem:
    """Preserve one file and record it in the case. Raises VerifierError."""
    open_source(path)
    try:
        staged = app.store.stage_file(path, on_bytes)
    except PermissionError as exc:
        raise VerifierError("permission denied: the file cannot be read", path=path) from exc
    except IsADirectoryError as exc:
        raise VerifierError("is a folder, not a file", path=path) from exc
    except OSError as exc:
        raise VerifierError(f"cannot read file ({exc.strerror or exc})", path=path) from exc
    try:
        try:
            info = probe(staged.temp_path)
        except VerifierError as exc:
            raise VerifierError(exc.reason, path=path) from exc
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
            select(Clip).where(Clip.case_id == case.id, Clip.file_id == stored.id)
        )
        status = "already-present" if clip is not None else "imported"
        if clip is None:
            clip = Clip(
                case_id=case.id,
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
            case_id=case.id,
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
        )
        return ImportItem(
            path=str(path),
            status=status,
            clip_id=clip.id,
            sha256=staged.sha256,
            size=staged.size,
            new_in_store=new_object and not reused_file,
            warnings=list(info.warnings),
        )
