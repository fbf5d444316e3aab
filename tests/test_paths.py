"""Tests for verifier.sources.paths: the one "does this stay inside the folder" check.

Each case is a way a received collection could lead a reader or the import
out of its folder (or a harmless look-alike that must still be accepted).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verifier.sources.paths import lies_inside, link_escapes, resolve_inside


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """``collection/`` with a file and a subfolder, next to an ``outside/`` with a secret."""
    folder = tmp_path / "collection"
    (folder / "sub").mkdir(parents=True)
    (folder / "clip.mp4").write_bytes(b"\0")
    (folder / "sub" / "deep.mp4").write_bytes(b"\0")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.mp4").write_bytes(b"\0")
    return folder


# --------------------------------------------------------------------------- resolve_inside


def test_plain_files_and_the_folder_itself_are_inside(layout: Path) -> None:
    assert resolve_inside(layout / "clip.mp4", layout) == (layout / "clip.mp4").resolve()
    assert resolve_inside(layout / "sub" / "deep.mp4", layout) == layout / "sub" / "deep.mp4"
    assert resolve_inside(layout, layout) == layout.resolve()
    assert resolve_inside(layout / "sub", layout / "sub") == layout / "sub"


def test_missing_file_inside_resolves_for_the_caller_to_report(layout: Path) -> None:
    assert resolve_inside(layout / "absent.mp4", layout) == layout / "absent.mp4"


def test_dot_dot_traversal(layout: Path) -> None:
    assert resolve_inside(layout / ".." / "outside" / "secret.mp4", layout) is None
    assert resolve_inside(layout / "sub" / ".." / ".." / "outside", layout) is None
    # climbing up and back down into the folder stays inside
    assert resolve_inside(layout / "sub" / ".." / "clip.mp4", layout) == layout / "clip.mp4"
    assert resolve_inside(layout / ".." / "collection" / "clip.mp4", layout) == (
        layout / "clip.mp4"
    )
    # a sibling whose name merely starts with the folder's name is outside
    (layout.parent / "collection-other").mkdir()
    assert resolve_inside(layout.parent / "collection-other", layout) is None


def test_absolute_paths_replace_the_folder(layout: Path) -> None:
    secret = layout.parent / "outside" / "secret.mp4"
    assert resolve_inside(layout / str(secret), layout) is None
    assert resolve_inside(layout / "/etc/passwd", layout) is None
    assert resolve_inside(layout / str(layout / "clip.mp4"), layout) == layout / "clip.mp4"


def test_symlink_pointing_out_is_outside(layout: Path) -> None:
    os.symlink(layout.parent / "outside" / "secret.mp4", layout / "link.mp4")
    os.symlink(layout.parent / "outside", layout / "dirlink")
    os.symlink("../outside/secret.mp4", layout / "relative.mp4")
    assert resolve_inside(layout / "link.mp4", layout) is None
    assert resolve_inside(layout / "dirlink" / "secret.mp4", layout) is None
    assert resolve_inside(layout / "relative.mp4", layout) is None


def test_symlink_pointing_in_resolves_to_its_target(layout: Path) -> None:
    os.symlink(layout / "sub" / "deep.mp4", layout / "link.mp4")
    os.symlink("sub", layout / "dirlink")
    assert resolve_inside(layout / "link.mp4", layout) == layout / "sub" / "deep.mp4"
    assert resolve_inside(layout / "dirlink" / "deep.mp4", layout) == layout / "sub" / "deep.mp4"


def test_folder_reached_through_a_link_is_compared_by_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "clip.mp4").write_bytes(b"\0")
    os.symlink(real, tmp_path / "alias")
    assert resolve_inside(tmp_path / "alias" / "clip.mp4", tmp_path / "alias") == real / "clip.mp4"
    assert resolve_inside(real / "clip.mp4", tmp_path / "alias") == real / "clip.mp4"


def test_broken_link_resolves_to_where_it_points(layout: Path) -> None:
    os.symlink(layout / "gone.mp4", layout / "broken-in.mp4")
    os.symlink(layout.parent / "outside" / "gone.mp4", layout / "broken-out.mp4")
    assert resolve_inside(layout / "broken-in.mp4", layout) == layout / "gone.mp4"
    assert resolve_inside(layout / "broken-out.mp4", layout) is None


def test_looping_link_cannot_be_resolved(layout: Path) -> None:
    os.symlink(layout / "loop-b.mp4", layout / "loop-a.mp4")
    os.symlink(layout / "loop-a.mp4", layout / "loop-b.mp4")
    with pytest.raises((OSError, RuntimeError)):
        resolve_inside(layout / "loop-a.mp4", layout)
    assert lies_inside(layout / "loop-a.mp4", layout) is False


def test_backslashes_are_part_of_a_posix_file_name(layout: Path) -> None:
    """Readers must refuse or translate backslashes themselves: here they are no separator."""
    escaped = layout / "..\\outside\\secret.mp4"
    assert resolve_inside(escaped, layout) == escaped
    assert escaped.name == "..\\outside\\secret.mp4"


# --------------------------------------------------------------------------- lies_inside


def test_lies_inside_agrees_with_resolve_inside(layout: Path) -> None:
    os.symlink(layout.parent / "outside" / "secret.mp4", layout / "link.mp4")
    assert lies_inside(layout / "clip.mp4", layout)
    assert lies_inside(layout, layout)
    assert not lies_inside(layout / "link.mp4", layout)
    assert not lies_inside(layout / ".." / "outside", layout)


# --------------------------------------------------------------------------- link_escapes


def test_only_links_can_escape_a_walk(layout: Path) -> None:
    assert not link_escapes(layout / "clip.mp4", layout)
    assert not link_escapes(layout / "sub", layout)
    assert not link_escapes(layout / "absent.mp4", layout)


def test_links_out_of_the_walked_folder_escape(layout: Path) -> None:
    os.symlink(layout.parent / "outside" / "secret.mp4", layout / "escape.mp4")
    os.symlink(layout.parent / "outside", layout / "sub" / "dirlink")
    os.symlink("../../outside/secret.mp4", layout / "sub" / "relative.mp4")
    os.symlink(layout.parent, layout / "parent")
    assert link_escapes(layout / "escape.mp4", layout)
    assert link_escapes(layout / "sub" / "dirlink", layout)
    assert link_escapes(layout / "sub" / "relative.mp4", layout)
    assert link_escapes(layout / "parent", layout)
    # judged against the folder that was walked, not the link's own directory
    os.symlink(layout / "clip.mp4", layout / "sub" / "up.mp4")
    assert not link_escapes(layout / "sub" / "up.mp4", layout)
    assert link_escapes(layout / "sub" / "up.mp4", layout / "sub")


def test_links_inside_and_to_the_folder_itself_do_not_escape(layout: Path) -> None:
    os.symlink(layout / "clip.mp4", layout / "inside-link.mp4")
    os.symlink(layout, layout / "sub" / "self")
    assert not link_escapes(layout / "inside-link.mp4", layout)
    assert not link_escapes(layout / "sub" / "self", layout)


def test_broken_and_looping_links_are_left_to_the_import_to_report(layout: Path) -> None:
    os.symlink(layout.parent / "outside" / "gone.mp4", layout / "broken-out.mp4")
    os.symlink(layout / "loop-b.mp4", layout / "loop-a.mp4")
    os.symlink(layout / "loop-a.mp4", layout / "loop-b.mp4")
    assert not link_escapes(layout / "broken-out.mp4", layout)
    assert not link_escapes(layout / "loop-a.mp4", layout)
