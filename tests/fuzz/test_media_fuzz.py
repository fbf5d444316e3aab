"""Fast media fuzzing: 40 mutated files through the real import, each accepted or clearly refused.

The long runs (hundreds of cases, each guarded by a memory limit and a
timeout in a worker process) are ``benchmarks/fuzz.py``; this is the part
that runs with every test run, on small sources, in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mutations import build_case, import_case, make_sources

from verifier.services import cases
from verifier.services.context import App
from verifier.services.verification import verify
from verifier.tools import ffmpeg_exe

CASES = 40


@pytest.fixture(scope="module")
def sources(fixture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_sources(
        ffmpeg_exe(), fixture_dir, tmp_path_factory.mktemp("fuzz-sources"), max_bytes=300_000
    )


def test_mutated_media_is_imported_or_refused_clearly(
    app: App, tmp_path: Path, sources: list[Path]
) -> None:
    case_record = cases.create_case(app, "fuzz")
    outcomes: dict[str, list[str]] = {"accepted": [], "rejected": [], "crashed": []}
    for seed in range(CASES):
        case = build_case(seed, sources)
        outcome, detail = import_case(app, case_record, case, tmp_path)
        outcomes[outcome].append(f"seed {seed} {case.source} {case.mutation}: {detail}")
    assert outcomes["crashed"] == []
    assert outcomes["accepted"] and outcomes["rejected"]  # the mix is really exercised
    report = verify(app)
    assert report.ok, [p.message for p in report.problems]


def test_declared_size_bombs_are_refused_without_decoding(
    app: App, tmp_path: Path, sources: list[Path]
) -> None:
    """Every still whose header declares too many pixels is refused by name."""
    case_record = cases.create_case(app, "bombs")
    stills = [p for p in sources if p.suffix == ".png"]
    refused = 0
    for seed in range(200):
        case = build_case(seed, stills)
        if not case.mutation.startswith("declared-size"):
            continue
        outcome, detail = import_case(app, case_record, case, tmp_path)
        assert outcome != "crashed", detail
        refused += "megapixels" in detail
    assert refused
