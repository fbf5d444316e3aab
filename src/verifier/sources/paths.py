"""The one check that a path received with a collection stays inside that collection.

Sidecars name files by relative path, and downloaded or received folders can
carry symbolic links to anywhere on the analyst's machine. Following either
out of the folder would read, or copy into the evidence store, unrelated
local files. Every reader and the folder import ask the same question, "where
does this lead once every link is followed, and is that inside the folder?",
so it is answered here once.

Lexical rules about the text a sidecar gives (backslashes, drive letters,
NUL bytes) stay with each reader, because the formats differ in what they
allow; on POSIX a backslash is an ordinary character of a file name.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["lies_inside", "link_escapes", "resolve_inside"]


def resolve_inside(path: Path, folder: Path) -> Path | None:
    """``path`` with every link and ``..`` followed, if that is ``folder`` or below it.

    Returns None when the path leads outside. A path that does not exist is
    resolved as far as it goes (the caller decides whether missing is an
    error). Raises OSError or RuntimeError (a symbolic link loop) when the
    path or the folder cannot be resolved, so that a reader can report
    "cannot resolve" instead of calling the path hostile.
    """
    root = folder.resolve()
    target = path.resolve()
    return target if target.is_relative_to(root) else None


def lies_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` really (after links) lies inside ``folder``; unresolvable is outside.

    For callers that only pick files to read and have nothing to report
    about a link loop: such a path is simply not used.
    """
    try:
        return resolve_inside(path, folder) is not None
    except (OSError, RuntimeError):
        return False


def link_escapes(path: Path, folder: Path) -> bool:
    """Whether a symbolic link met in a walk of ``folder`` points outside it.

    Anything that is not a link cannot escape (the walk itself stays inside).
    A broken or looping link does not count as escaping: it leads nowhere,
    and the import reports it as broken or looping when it tries to read it.
    """
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return resolve_inside(target, folder) is None
