"""The crash loop, short: real processes killed at random points lose nothing and verify clean.

``benchmarks/crash_loop.py`` runs 100 kills; this runs 5 with a fixed seed on
a few fixture clips, so that a change that makes a kill lose an acknowledged
write or break ``verify`` fails the suite, not only the benchmark.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_harness() -> ModuleType:
    """The benchmark module itself (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "crash_loop", ROOT / "benchmarks" / "crash_loop.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash_loop"] = module
    spec.loader.exec_module(module)
    return module


crash_loop = load_harness()


@pytest.mark.slow
def test_five_kills_lose_nothing_and_verify_clean(fixture_dir: Path, tmp_path: Path) -> None:
    lines: list[str] = []
    figures = crash_loop.crash_loop(
        5, 11, fixtures=fixture_dir, shared=None, max_files=5, work=tmp_path, log=lines.append
    )
    report = figures.report()
    assert figures.kills == 5, report
    assert figures.recoveries == 5, report
    assert figures.start_failures == 0, report
    assert figures.hangs == 0, report
    assert figures.completed > 0 and figures.ledger_items > 0, report
    assert figures.lost == 0, report
    assert figures.verify_failures == 0, report
    assert figures.operation_errors == 0, report


def test_a_lost_annotation_and_a_failed_verify_are_reported(tmp_path: Path) -> None:
    """The checks must be able to fail: a ledger entry the CLI no longer shows is a lost write."""
    loop = crash_loop.CrashLoop(tmp_path, [], seed=1, log=lambda _line: None)
    outcomes = {
        ("clips", "--json"): '[{"id": 1, "name": "a.mp4", "sha256": "ab",'
        ' "analysis_status": "pending", "keyframes": 0},'
        ' {"id": 2, "name": "b.mp4", "sha256": "cd", "analysis_status": "pending",'
        ' "keyframes": 0}]',
        ("verify", "--json"): '{"ok": false, "problems": [{"message": "custody.anchor missing"}]}',
        ("annotate", "list", "1", "--json"): "[]",
        ("posts", "--json"): "[]",
        ("matches", "--json"): "[]",
    }

    def fake_run(*args: str, **_kw: object) -> object:
        code = 1 if args[0] == "verify" else 0
        return crash_loop.Outcome(list(args), code, outcomes[args], "", False, 0.1)

    loop.cli.run = fake_run  # type: ignore[method-assign]
    loop.ledger.clips[1] = "ab"
    loop.ledger.analysis[1] = ("ok", 7)
    loop.ledger.annotations[3] = {(0, 1.0, 2.0, 3.0, 4.0, "vehicle", "n")}
    loop.ledger.annotation_clip[3] = 1
    loop.ledger.appearances[5] = {(1, "https://t.me/c/1", "2025-03-01T00:00:00+00:00", "c")}
    loop.ledger.links.add(("ab", "cd"))
    loop.check("annotate edit", "at 1.00 s")
    symptoms = [p.symptom for p in loop.figures.problems]
    assert loop.figures.verify_failures == 1 and "custody.anchor missing" in symptoms
    assert loop.figures.lost == 4, symptoms  # analysis, annotation, appearance, match
    assert any("analysis of clip #1 was ok with 7 keyframes, now pending" in s for s in symptoms)
    assert any(s.startswith("annotation #3") for s in symptoms)
    # Clip 2 was never acknowledged: not lost, but reported as left pending.
    assert loop.figures.left_pending == 1 and "clip #2 (b.mp4) left pending" in symptoms
    # A loss is reported once; the next check starts from what is there now.
    loop.figures.problems.clear()
    loop.check("import", "at 0.50 s")
    assert [p.kind for p in loop.figures.problems] == ["verify"]
