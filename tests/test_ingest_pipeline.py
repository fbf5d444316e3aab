"""The ingest pipeline: a pure per-file stage, one writer, one probe, one walk.

The stage's result must survive a trip through pickle and another process
unchanged (that is how parallel ingest will run it), an import must probe
each file once and walk each folder once, and matching right after the
import must use the hashes in memory rather than read them back.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event

import verifier.services.importing as importing
import verifier.services.matching as matching
from verifier.analysis.ingest import Ingested, IngestFailed, ingest_file
from verifier.db.models import FrameHashSet
from verifier.evidence.store import EvidenceStore
from verifier.hashing.frames import FrameHashes
from verifier.ids import ClipId
from verifier.media import probe as probe_module
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.matching import list_matches, match_clip
from verifier.tools import ffmpeg_exe


def _assert_same_hashes(a: FrameHashes, b: FrameHashes) -> None:
    for name in ("index", "pts", "seconds", "phash", "pdq", "quality", "low_info"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.time_base, a.sample_rate) == (b.time_base, b.sample_rate)


def _assert_same_result(a: Ingested, b: Ingested) -> None:
    assert (a.staged.sha256, a.staged.size) == (b.staged.sha256, b.staged.size)
    assert a.examination.info == b.examination.info
    one, two = a.examination.outcome, b.examination.outcome
    assert one is not None and two is not None and one.analysis and two.analysis
    assert (one.status, one.error, one.warnings) == (two.status, two.error, two.warnings)
    assert one.analysis.keyframes == two.analysis.keyframes
    np.testing.assert_array_equal(one.analysis.frame_pts, two.analysis.frame_pts)
    _assert_same_hashes(one.analysis.hashes, two.analysis.hashes)
    assert set(one.analysis.variants) == set(two.analysis.variants)
    for view, hashes in one.analysis.variants.items():
        _assert_same_hashes(hashes, two.analysis.variants[view])


def _ingest(path: Path, store: EvidenceStore) -> Ingested:
    result = ingest_file(path, store)
    assert isinstance(result, Ingested), result
    return result


def test_stage_result_pickles_and_round_trips(fixture_dir: Path, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "store")
    result = _ingest(fixture_dir / "cut.mp4", store)
    try:
        outcome = result.examination.outcome
        assert outcome is not None and outcome.status == "ok" and outcome.analysis is not None
        assert result.staged.temp_path.parent == store.tmp
        assert outcome.analysis.keyframes[0].thumbnail_jpeg.startswith(b"\xff\xd8")
        again = pickle.loads(pickle.dumps(result))
        assert again.source == result.source and again.staged == result.staged
        _assert_same_result(again, result)
    finally:
        store.discard(result.staged)
    failed = ingest_file(tmp_path / "missing.mp4", store)
    assert pickle.loads(pickle.dumps(failed)) == IngestFailed(
        tmp_path / "missing.mp4", "file not found"
    )
    assert not list(store.tmp.iterdir())


def test_stage_in_another_process_gives_the_same_result(fixture_dir: Path, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "store")
    path = fixture_dir / "cut.mp4"
    here = _ingest(path, store)
    context = multiprocessing.get_context("spawn")  # nothing inherited: inputs travel by pickle
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        there = pool.submit(ingest_file, path, store, skip_analysis=frozenset()).result()
    try:
        assert isinstance(there, Ingested)
        assert there.staged.temp_path != here.staged.temp_path
        assert there.staged.temp_path.is_file()  # the writer in this process commits it
        _assert_same_result(there, here)
    finally:
        store.discard(here.staged)
        if isinstance(there, Ingested):
            store.discard(there.staged)


def test_stage_skips_analysis_of_files_already_in_the_case(
    fixture_dir: Path, tmp_path: Path
) -> None:
    store = EvidenceStore(tmp_path / "store")
    first = _ingest(fixture_dir / "cut.mp4", store)
    store.discard(first.staged)
    again = ingest_file(
        fixture_dir / "cut.mp4", store, skip_analysis=frozenset({first.staged.sha256})
    )
    assert isinstance(again, Ingested) and again.examination.outcome is None
    assert again.examination.info == first.examination.info
    store.discard(again.staged)


@pytest.fixture
def counted_probes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every call of the media probe, wherever a module imported it from."""
    calls: list[Path] = []
    original = probe_module.probe

    def counting(path: str | Path) -> Any:
        calls.append(Path(path))
        return original(path)

    for name, module in list(sys.modules.items()):
        if name.startswith("verifier") and getattr(module, "probe", None) is original:
            monkeypatch.setattr(module, "probe", counting)
    return calls


@pytest.fixture
def counted_walks(monkeypatch: pytest.MonkeyPatch) -> Counter[Path]:
    """How often each folder was walked."""
    walks: Counter[Path] = Counter()
    original = os.walk

    def counting(top: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        walks[Path(top)] += 1
        return original(top, *args, **kwargs)

    monkeypatch.setattr(os, "walk", counting)
    return walks


def test_import_probes_each_file_once_and_walks_each_folder_once(
    app: App,
    fixture_dir: Path,
    tmp_path: Path,
    counted_probes: list[Path],
    counted_walks: Counter[Path],
) -> None:
    collection = tmp_path / "collection"
    (collection / "day2").mkdir(parents=True)
    (collection / "cut.mp4").write_bytes((fixture_dir / "cut.mp4").read_bytes())
    (collection / "day2" / "still.png").write_bytes((fixture_dir / "still.png").read_bytes())
    (collection / "day2" / "notes.txt").write_text("sidecar, not evidence")
    case = cases.create_case(app, "Once")
    report = import_paths(app, [collection, fixture_dir / "fade.mp4"], case)
    assert [(Path(i.path).name, i.status, i.analysis_status) for i in report.items] == [
        ("cut.mp4", "imported", "ok"),
        ("notes.txt", "skipped", None),
        ("still.png", "imported", "ok"),
        ("fade.mp4", "imported", "ok"),
    ]
    assert len(counted_probes) == 3 and len(set(counted_probes)) == 3
    assert counted_walks == Counter({collection: 1})
    # Imported again: the files are in the case already, probed once more, never re-analysed.
    counted_probes.clear()
    again = import_paths(app, [collection / "cut.mp4"], case)
    assert [(i.status, i.analysis_status) for i in again.items] == [("already-present", None)]
    assert len(counted_probes) == 1


def _excerpt(source: Path, target: Path) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-ss", "1.3", "-t", "2", "-i", str(source),
         "-c:v", "libx264", "-crf", "28", "-an", str(target)],
        check=True,
    )  # fmt: skip
    return target


def test_matching_after_import_uses_the_hashes_in_memory(
    app: App, fixture_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new clip's own hash sets are never read back, yet the relations are the same."""
    matched: list[int] = []
    read_back: list[tuple[int, int]] = []  # (clip being matched, clip whose hashes were read)

    def record_match(app: App, clip_id: ClipId, fresh: Any = None) -> int:
        assert fresh is not None, "the import hands over the hashes it computed"
        matched.append(clip_id)
        try:
            return match_clip(app, clip_id, fresh)
        finally:
            matched.pop()

    original_load_views: Callable[..., dict[str, FrameHashes]] = matching.load_views

    def record_load_views(session: Any, clip_id: int) -> dict[str, FrameHashes]:
        if matched:
            read_back.append((matched[-1], clip_id))
        return original_load_views(session, clip_id)

    def record_loaded_set(target: FrameHashSet, _context: Any) -> None:
        if matched:
            read_back.append((matched[-1], target.clip_id))

    monkeypatch.setattr(importing, "match_clip", record_match)
    monkeypatch.setattr(matching, "load_views", record_load_views)
    event.listen(FrameHashSet, "load", record_loaded_set)
    try:
        case = cases.create_case(app, "Memory")
        excerpt = _excerpt(fixture_dir / "cut.mp4", tmp_path / "excerpt.mp4")
        report = import_paths(
            app, [fixture_dir / "cut.mp4", excerpt, fixture_dir / "static_a.mp4"], case
        )
    finally:
        event.remove(FrameHashSet, "load", record_loaded_set)
    cut, part, other = (item.clip_id for item in report.items)
    assert cut is not None and part is not None and other is not None
    assert [i.matches for i in report.items] == [0, 1, 0]
    assert not [(a, b) for a, b in read_back if a == b], "a clip's own hashes were read back"
    assert (part, cut) in read_back  # the candidate's hashes come from the database
    found = list_matches(app, clip_id=part, explain=True)
    assert [(r["clip_b"]["id"], r["relation"]) for r in found] == [(cut, "excerpt")]
    # Matching from the stored hashes, as a later `verifier analyse` did, finds the same.
    assert match_clip(app, part) == 1
    assert list_matches(app, clip_id=part, explain=True) == found
