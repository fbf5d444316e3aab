"""Matching across the library: the stored relations, the JSON contract, the guards."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete
from tests.helpers import PATTERNS, UNRELATED

from verifier.cli.main import cli
from verifier.db.models import FrameHashSet
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.services.matching import clusters, list_matches, match_file
from verifier.tools import ffmpeg_exe


def _reencode(source: Path, target: Path, *args: str) -> Path:
    if not target.exists():
        cmd = [ffmpeg_exe(), "-v", "error", "-y", *args[:2], "-i", str(source), *args[2:],
               "-c:v", "libx264", "-crf", "28", "-an", str(target)]  # fmt: skip
        subprocess.run(cmd, check=True)
    return target


@pytest.fixture(scope="session")
def reuploads(fixture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Re-uploads of cut.mp4 as platforms and re-posters make them."""
    out = tmp_path_factory.mktemp("reuploads")
    cut = fixture_dir / "cut.mp4"
    return {
        "excerpt": _reencode(cut, out / "excerpt.mp4", "-ss", "1.3", "-t", "2"),
        "mirrored": _reencode(cut, out / "mirrored.mp4", "-ss", "0", "-vf", "hflip"),
        "letterboxed": _reencode(
            cut, out / "letterboxed.mp4", "-ss", "0", "-vf", "scale=320:180,pad=320:320:0:70"
        ),
    }


def _relation(relations: list[dict], a: str, b: str) -> dict | None:
    for r in relations:
        if (r["clip_a"]["name"], r["clip_b"]["name"]) == (a, b):
            return r
    return None


def test_reuploads_are_found_with_offsets_and_transforms(
    app: App, fixture_dir: Path, reuploads: dict[str, Path]
) -> None:
    case = cases.create_case(app, "M")
    files = [fixture_dir / n for n in ("cut.mp4", "static_a.mp4", "static_b.mp4", "black.mp4")]
    report = import_paths(app, [*files, *reuploads.values()], case)
    assert report.count("imported") == 7
    cut = next(i.clip_id for i in report.items if i.path.endswith("cut.mp4"))
    relations = list_matches(app, clip_id=cut, explain=True)
    by_b = {r["clip_b"]["name"]: r for r in relations}
    assert set(by_b) == {"excerpt.mp4", "mirrored.mp4", "letterboxed.mp4"}
    for r in relations:
        assert r["clip_a"]["id"] == cut and r["clip_a"]["name"] == "cut.mp4"
        assert set(r) >= {"clip_a", "clip_b", "relation", "score", "segments", "transform"}
        assert set(r["clip_a"]) >= {"id", "sha256", "name"} and 0 <= r["score"] <= 1
        assert set(r["transform"]) >= {"mirrored", "speed"}
        for s in r["segments"]:
            assert set(s) >= {"a_start", "a_end", "b_start", "b_end", "frames_matched"}
        assert r["pairs"], "explainable: the matched frame pairs are kept"
    excerpt = by_b["excerpt.mp4"]
    assert excerpt["relation"] == "excerpt"
    # The excerpt starts 1.3 s into cut.mp4: B time = A time - 1.3.
    assert excerpt["offset"] == pytest.approx(-1.3, abs=0.25)
    [segment] = excerpt["segments"]
    assert segment["a_start"] == pytest.approx(1.3, abs=0.3) and segment["b_start"] < 0.3
    mirrored = by_b["mirrored.mp4"]
    assert mirrored["transform"]["mirrored"] is True
    assert mirrored["relation"] == "near-duplicate" and abs(mirrored["offset"]) < 0.25
    assert by_b["letterboxed.mp4"]["transform"]["mirrored"] is False
    # Seen from the excerpt, the same relation reads the other way round.
    excerpt_id = excerpt["clip_b"]["id"]
    [back] = [r for r in list_matches(app, clip_id=excerpt_id) if r["clip_b"]["id"] == cut]
    assert back["offset"] == pytest.approx(1.3, abs=0.25)
    # Guards: a shared fixed-camera background and near-black frames match nothing.
    everything = list_matches(app, case=case)
    names = {(r["clip_a"]["name"], r["clip_b"]["name"]) for r in everything}
    assert not any("static" in a or "static" in b for a, b in names)
    assert not any("black" in a or "black" in b for a, b in names)
    groups = clusters(app, case)
    assert len(groups) == 1
    assert {m["name"] for m in groups[0]["members"]} == {
        "cut.mp4", "excerpt.mp4", "mirrored.mp4", "letterboxed.mp4"
    }  # fmt: skip


def test_same_bytes_in_two_cases_are_exact_duplicates(app: App, fixture_dir: Path) -> None:
    first = cases.create_case(app, "One")
    second = cases.create_case(app, "Two")
    a = import_paths(app, [fixture_dir / "fade.mp4"], first).items[0].clip_id
    b = import_paths(app, [fixture_dir / "fade.mp4"], second).items[0].clip_id
    [relation] = list_matches(app, clip_id=b)
    assert relation["relation"] == "exact-duplicate" and relation["clip_b"]["id"] == a
    assert relation["clip_a"]["sha256"] == relation["clip_b"]["sha256"]


def test_match_file_checks_without_importing(
    app: App, fixture_dir: Path, reuploads: dict[str, Path]
) -> None:
    case = cases.create_case(app, "F")
    import_paths(app, [fixture_dir / "cut.mp4", fixture_dir / "static_a.mp4"], case)
    [found] = match_file(app, reuploads["excerpt"])
    assert found["clip_a"]["id"] is None and found["clip_a"]["name"] == "excerpt.mp4"
    assert found["clip_b"]["name"] == "cut.mp4" and found["relation"] == "excerpt"
    assert found["offset"] == pytest.approx(1.3, abs=0.25)
    assert list_matches(app, case=case) == [], "nothing was stored"
    # Deleted from the library: the index forgets it.
    with app.db.write() as session:
        session.execute(delete(FrameHashSet))
    assert match_file(app, reuploads["excerpt"]) == []


def test_cli_matches_clusters_and_explain(
    tmp_path: Path, fixture_dir: Path, reuploads: dict[str, Path]
) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "C"]).exit_code == 0
    result = runner.invoke(cli, [*base, "import", str(fixture_dir / "cut.mp4"),
                                 str(reuploads["mirrored"])])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*base, "matches", "--clip", "1", "--json"])
    [relation] = json.loads(result.stdout)
    assert relation["clip_b"]["name"] == "mirrored.mp4" and relation["transform"]["mirrored"]
    text = runner.invoke(cli, [*base, "matches", "--clip", "1", "--explain"]).stdout
    assert "near-duplicate" in text and "mirrored" in text and "PDQ distance" in text
    groups = json.loads(runner.invoke(cli, [*base, "clusters", "--json"]).stdout)
    assert [len(g["members"]) for g in groups] == [2]
    result = runner.invoke(cli, [*base, "match", str(reuploads["excerpt"]), "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {r["clip_b"]["name"] for r in found} == {"cut.mp4", "mirrored.mp4"}
    log = json.loads(runner.invoke(cli, [*base, "log", "--json"]).stdout)
    assert [e["action"] for e in log].count("match") == 2


SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "media" / "threatexchange"


@pytest.fixture(scope="session")
def real_views() -> dict[str, tuple[dict, float]]:
    from verifier.analysis.pipeline import analyse_video

    if not SHARED.is_dir():
        pytest.skip(f"real media folder not present at {SHARED}")
    out = {}
    for name in PATTERNS + UNRELATED:
        analysis = analyse_video(SHARED / name)
        duration = float(analysis.hashes.seconds[-1]) + 0.2
        out[name] = ({"full": analysis.hashes, **analysis.variants}, duration)
    return out


@pytest.mark.parametrize(("a", "b"), [(a, b) for a in PATTERNS for b in PATTERNS if a != b])
def test_real_reuploads_match_through_normalised_views(real_views, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    from verifier.services.matching import best_match

    (va, da), (vb, db) = real_views[a], real_views[b]
    match = best_match(va, vb, da, db)
    assert match is not None
    assert match.offset == pytest.approx(0.0, abs=0.25) and not match.mirrored


def test_unrelated_real_clips_match_nothing_in_any_view(real_views) -> None:  # type: ignore[no-untyped-def]
    from verifier.services.matching import best_match

    for a in UNRELATED:
        for b in PATTERNS + UNRELATED:
            if a == b:
                continue
            (va, da), (vb, db) = real_views[a], real_views[b]
            assert best_match(va, vb, da, db) is None, (a, b)
            assert best_match(vb, va, db, da) is None, (b, a)
