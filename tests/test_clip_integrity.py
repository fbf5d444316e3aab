"""The quick per-clip integrity check behind the window's flags and banner.

A clip whose evidence file is gone, or whose bytes changed, or whose thumbnail
was altered, is flagged on the clip listing (existence and size for the
evidence, thumbnails re-hashed) and, when opened, after a full re-hash.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.helpers import import_one

from verifier.services import cases
from verifier.services.clips import describe_clip, list_clips
from verifier.services.context import App
from verifier.services.verification import check_clip


def make_writable(path: Path) -> None:
    """Stored files (and their folders) are read-only: allow changing this one."""
    os.chmod(path.parent, path.parent.stat().st_mode | stat.S_IWUSR)
    os.chmod(path, path.stat().st_mode | stat.S_IWUSR)


def _evidence(app: App, clip_id: int) -> Path:
    return app.store.path_for(describe_clip(app, clip_id)["sha256"])


def _first_thumbnail(app: App, clip_id: int) -> Path:
    [row] = [r for r in list_clips(app, cases.resolve_case(app, "A").id) if r.id == clip_id]
    assert row.thumbnail is not None
    return row.thumbnail


def _flags(app: App, clip_id: int) -> tuple[str, ...]:
    rows = list_clips(app, cases.resolve_case(app, "A").id)
    return next(r.integrity for r in rows if r.id == clip_id)


def test_intact_clip_has_no_flag(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    assert _flags(app, clip_id) == ()
    assert check_clip(app, clip_id).ok
    assert describe_clip(app, clip_id)["integrity"] == []


def test_missing_evidence_is_flagged_on_the_listing(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    evidence = _evidence(app, clip_id)
    make_writable(evidence)
    evidence.unlink()
    assert _flags(app, clip_id) == ("evidence missing",)
    found = check_clip(app, clip_id)
    assert found.flags == ("evidence missing",)
    assert str(evidence) in found.messages[0] and "not in the store" in found.messages[0]
    assert found.messages[0].startswith("The evidence file is not in the store (expected at ")


def test_truncated_evidence_is_altered_on_the_listing(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    evidence = _evidence(app, clip_id)
    make_writable(evidence)
    with open(evidence, "r+b") as handle:
        handle.truncate(1000)
    assert _flags(app, clip_id) == ("evidence altered",)


def test_same_size_alteration_is_found_when_the_clip_is_opened(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    evidence = _evidence(app, clip_id)
    make_writable(evidence)
    with open(evidence, "r+b") as handle:
        handle.seek(5000)
        byte = handle.read(1)
        handle.seek(5000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    # The listing only looks at existence and size; opening re-hashes.
    assert _flags(app, clip_id) == ()
    found = check_clip(app, clip_id)
    assert found.flags == ("evidence altered",) and found.hashed
    assert "The evidence file has changed: SHA-256 is now" in found.messages[0]


def test_altered_thumbnail_is_flagged(app: App, make_fixture) -> None:
    clip_id = import_one(app, make_fixture("cut.mp4"))
    thumbnail = _first_thumbnail(app, clip_id)
    make_writable(thumbnail)
    data = bytearray(thumbnail.read_bytes())
    data[len(data) // 2] ^= 0xFF
    thumbnail.write_bytes(bytes(data))
    assert _flags(app, clip_id) == ("thumbnail altered",)
    assert "thumbnail altered" in check_clip(app, clip_id).flags


def test_repeated_listings_rehash_a_thumbnail_only_after_it_changed(
    app: App, make_fixture, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The window lists clips often: an intact thumbnail is re-hashed once, not every time,
    yet a thumbnail altered after that is still caught on the next listing."""
    clip_id = import_one(app, make_fixture("cut.mp4"))
    hashed: list[str] = []
    verify_object = app.store.verify_object

    def counting(sha256: str) -> str | None:
        hashed.append(sha256)
        return verify_object(sha256)

    monkeypatch.setattr(app.store, "verify_object", counting)
    for _ in range(3):
        assert _flags(app, clip_id) == ()
    assert len(hashed) == 1
    thumbnail = _first_thumbnail(app, clip_id)
    make_writable(thumbnail)
    data = bytearray(thumbnail.read_bytes())
    data[len(data) // 2] ^= 0xFF
    thumbnail.write_bytes(bytes(data))
    assert _flags(app, clip_id) == ("thumbnail altered",)
    assert _flags(app, clip_id) == ("thumbnail altered",)
    assert len(hashed) == 3, "an altered file is never remembered as intact"
