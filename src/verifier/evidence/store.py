"""The content-addressed evidence store.

Every file is kept under its SHA-256 (``objects/ab/cd/abcd...``), written
once, atomically (temporary file in the same file system, fsync, rename,
fsync of the directory) and made read-only. The same bytes are stored once
however often and wherever they are imported. Hashing is streamed in chunks:
a multi-gigabyte clip never sits in memory.

Temporary files carry the writer's PID so that a process killed mid-copy
leaves nothing that a later process mistakes for evidence: ``sweep()``
removes partial files whose writer is gone.

A store has an identity: a random id written once into ``store-id`` at its
root and recorded in the database, so that an unmounted drive or another
store in its place is noticed instead of being replaced by a fresh, empty
store (see :mod:`verifier.services.context`). A failure to write is raised
as :class:`StoreWriteError`, never as a problem of the file being imported.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from verifier.errors import VerifierError

CHUNK_SIZE = 1 << 20
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH

ByteProgress = Callable[[int], None]

IDENTITY_FILE = "store-id"
"""The file at the store's root that holds its random id (one line of hex)."""


class StoreWriteError(VerifierError):
    """The evidence store could not be written (full, read-only, gone).

    Its own type so that callers blame the store, not the file they were
    importing or the frame they were exporting.
    """

    def __init__(self, root: Path, exc: OSError) -> None:
        super().__init__(f"cannot write to the evidence store {root} ({exc.strerror or exc})")
        self.errno = exc.errno


class InterruptedWork(KeyboardInterrupt):
    """Ctrl+C, carrying what became of the item that was in progress.

    The interface prints ``outcome`` so that the user is told the truth:
    whether the current file was kept (and in which state) or discarded.
    """

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


def sha256_stream(handle: BinaryIO, on_bytes: ByteProgress | None = None) -> str:
    """Hash an open binary stream in chunks."""
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK_SIZE):
        digest.update(chunk)
        if on_bytes:
            on_bytes(len(chunk))
    return digest.hexdigest()


def sha256_file(path: Path, on_bytes: ByteProgress | None = None) -> str:
    """Hash a file in chunks."""
    with open(path, "rb") as handle:
        return sha256_stream(handle, on_bytes)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Staged:
    """A file copied into the store's staging area, hashed, not yet committed."""

    temp_path: Path
    sha256: str
    size: int


class EvidenceStore:
    """Read-only, content-addressed file storage under one root folder."""

    def __init__(self, root: Path) -> None:
        """Open the store at ``root``, creating its folders if needed.

        Whether a missing store may be created is decided before, by whoever
        knows which store the database expects (``services.context``).
        """
        self.root = root
        self.objects = root / "objects"
        self.tmp = root / "tmp"
        try:
            self.objects.mkdir(parents=True, exist_ok=True)
            self.tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreWriteError(root, exc) from exc

    # -- naming -------------------------------------------------------------
    def relative_path(self, sha256: str) -> str:
        """The path of an object relative to the store root (kept in the database)."""
        return f"objects/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path_for(self, sha256: str) -> Path:
        return self.root / self.relative_path(sha256)

    def resolve(self, relative: str) -> Path:
        return self.root / relative

    def contains(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def readable(self, relative: str) -> Path:
        """The path of a stored file that can be opened, or a VerifierError naming it.

        Analysis and frame export check this first, so that a store that is
        not mounted (or a deleted object) is reported as what it is, never
        as a defect of the clip.
        """
        path = self.resolve(relative)
        try:
            with open(path, "rb") as handle:
                handle.read(1)
        except FileNotFoundError as exc:
            raise VerifierError(
                f"the stored evidence file {path} is missing: check that the store is mounted; "
                "run `verifier verify`"
            ) from exc
        except OSError as exc:
            raise VerifierError(
                f"the stored evidence file {path} is unreadable ({exc.strerror or exc}): "
                "check that the store is mounted; run `verifier verify`"
            ) from exc
        return path

    # -- writing ------------------------------------------------------------
    def _temp_name(self) -> Path:
        return self.tmp / f"{os.getpid()}-{uuid.uuid4().hex}.part"

    # The three places where bytes go into the store: every OSError there is
    # the store's (full, read-only, gone), reported as StoreWriteError.
    def _open_temp(self, temp: Path) -> BinaryIO:
        try:
            return open(temp, "xb")
        except OSError as exc:
            raise StoreWriteError(self.root, exc) from exc

    def _write(self, handle: BinaryIO, data: bytes) -> None:
        try:
            handle.write(data)
        except OSError as exc:
            raise StoreWriteError(self.root, exc) from exc

    def _sync(self, handle: BinaryIO) -> None:
        try:
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as exc:
            raise StoreWriteError(self.root, exc) from exc

    def stage_file(self, source: Path, on_bytes: ByteProgress | None = None) -> Staged:
        """Copy ``source`` into staging while hashing it, in one streamed pass.

        The original is opened read-only and never touched otherwise. The copy
        is what gets hashed, probed and committed, so a source file changing
        during import cannot make the stored bytes differ from the hash.

        Reading ``source`` fails with the OSError of the read (the caller
        names the file); writing the copy fails with :class:`StoreWriteError`.
        A Ctrl+C removes the partial copy and says so (:class:`InterruptedWork`).
        """
        temp = self._temp_name()
        digest = hashlib.sha256()
        size = 0
        try:
            with open(source, "rb") as src, self._open_temp(temp) as dst:
                while chunk := src.read(CHUNK_SIZE):
                    digest.update(chunk)
                    self._write(dst, chunk)
                    size += len(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
                self._sync(dst)
        except KeyboardInterrupt as exc:
            temp.unlink(missing_ok=True)
            raise InterruptedWork(
                f"the current file {source.name} was not yet preserved: its partial copy "
                "was discarded; import it again"
            ) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Staged(temp_path=temp, sha256=digest.hexdigest(), size=size)

    def stage_bytes(self, data: bytes) -> Staged:
        """Stage bytes the program made itself (thumbnails, exports, reports)."""
        temp = self._temp_name()
        try:
            with self._open_temp(temp) as dst:
                self._write(dst, data)
                self._sync(dst)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Staged(temp_path=temp, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    def commit(self, staged: Staged) -> tuple[str, bool]:
        """Move a staged file to its content address; return (relative path, is_new).

        When the object already exists the staged copy is discarded: the
        store never overwrites evidence. Raises :class:`StoreWriteError`.
        """
        target = self.path_for(staged.sha256)
        relative = self.relative_path(staged.sha256)
        if target.is_file():
            staged.temp_path.unlink(missing_ok=True)
            return relative, False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(staged.temp_path, READ_ONLY)
            try:
                # link() fails if the target appeared meanwhile (a concurrent import
                # of the same bytes): then the existing object wins.
                os.link(staged.temp_path, target)
            except FileExistsError:
                staged.temp_path.unlink(missing_ok=True)
                return relative, False
            staged.temp_path.unlink(missing_ok=True)
            _fsync_dir(target.parent)
        except OSError as exc:
            raise StoreWriteError(self.root, exc) from exc
        return relative, True

    def discard(self, staged: Staged) -> None:
        staged.temp_path.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> tuple[str, str, bool]:
        """Store bytes; return (sha256, relative path, is_new)."""
        staged = self.stage_bytes(data)
        relative, new = self.commit(staged)
        return staged.sha256, relative, new

    # -- housekeeping ---------------------------------------------------------
    def sweep(self) -> list[Path]:
        """Remove staging files left by processes that no longer run."""
        removed: list[Path] = []
        for entry in self.tmp.glob("*.part"):
            pid_text = entry.name.split("-", 1)[0]
            if pid_text.isdigit() and _pid_alive(int(pid_text)) and int(pid_text) != 0:
                continue
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed.append(entry)
        return removed

    def iter_objects(self) -> Iterator[tuple[str, Path]]:
        """Every object in the store as (sha256 from its name, path)."""
        for path in self.objects.glob("*/*/*"):
            if path.is_file():
                yield path.name, path

    def verify_object(self, sha256: str) -> str | None:
        """Re-hash one object; return a problem description or None if intact."""
        path = self.path_for(sha256)
        try:
            actual = sha256_file(path)
        except FileNotFoundError:
            return "missing from the store"
        except OSError as exc:
            return f"unreadable ({exc.strerror})"
        if actual != sha256:
            return f"content changed: SHA-256 is now {actual}"
        return None


def _valid_identity(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


def read_identity(root: Path) -> str | None:
    """The id in the store's identity file, or None when the store has none.

    Raises VerifierError when the file exists but cannot be read or holds
    something else than an id (it is never silently replaced).
    """
    path = root / IDENTITY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not an identity"
        raise VerifierError(f"the evidence store's identity file is unreadable ({reason})",
                            path=path) from exc  # fmt: skip
    if not _valid_identity(text):
        raise VerifierError("the evidence store's identity file holds no valid id", path=path)
    return text


def create_identity(root: Path) -> str:
    """Give the store at ``root`` an id, once: return the id it has afterwards.

    Written atomically (a temporary file, fsync, link to the final name,
    fsync of the folder); link() never replaces an existing file, so when
    two processes race, the first id wins and both return it.
    """
    existing = read_identity(root)
    if existing is not None:
        return existing
    new_id = uuid.uuid4().hex
    temp = root / f".{IDENTITY_FILE}.{os.getpid()}-{uuid.uuid4().hex}.part"
    try:
        with open(temp, "x", encoding="ascii") as handle:
            handle.write(new_id + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, READ_ONLY)
        with contextlib.suppress(FileExistsError):  # another process was first
            os.link(temp, root / IDENTITY_FILE)
        _fsync_dir(root)
    except OSError as exc:
        raise StoreWriteError(root, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    identity = read_identity(root)
    assert identity is not None
    return identity


def open_source(path: Path) -> None:
    """Check that a path names a regular, readable, non-empty file.

    Raises :class:`VerifierError` with a reason a person can act on.
    """
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        if path.is_symlink():
            raise VerifierError(
                "broken symbolic link (its target does not exist)", path=path
            ) from exc
        raise VerifierError("file not found", path=path) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VerifierError("symbolic link loop", path=path) from exc
        raise VerifierError(f"cannot read file ({exc.strerror})", path=path) from exc
    if stat.S_ISDIR(st.st_mode):
        raise VerifierError("is a folder, not a file", path=path)
    if not stat.S_ISREG(st.st_mode):
        raise VerifierError("not a regular file", path=path)
    if st.st_size == 0:
        raise VerifierError("file is empty (0 bytes)", path=path)
    if not os.access(path, os.R_OK):
        raise VerifierError("permission denied: the file cannot be read", path=path)
