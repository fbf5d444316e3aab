"""Real processes: a killed import leaves nothing half-written; two imports at once both succeed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from verifier.config import load_settings
from verifier.db.models import Clip, StoredFile
from verifier.evidence.store import sha256_file
from verifier.services.context import open_app

VERIFIER = [sys.executable, "-m", "verifier"]


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VERIFIER, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["copy", "after-copy"])
def test_killed_import_leaves_no_partial_evidence(
    stage: str,
    make_fixture,
    cli_env: dict[str, str],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    big = make_fixture("large_raw.avi")
    assert cli(cli_env, "case", "new", "K").returncode == 0
    data = Path(cli_env["VERIFIER_HOME"])
    staging = data / "store" / "tmp"
    proc = subprocess.Popen(
        [*VERIFIER, "import", str(big)],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        killed_during_copy = False
        while time.monotonic() < deadline and proc.poll() is None:
            parts = list(staging.glob("*.part")) if staging.exists() else []
            if parts and (stage == "copy" or parts[0].stat().st_size >= big.stat().st_size):
                proc.send_signal(signal.SIGKILL)
                killed_during_copy = True
                break
            time.sleep(0.005)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed_during_copy, "the import finished before it could be killed"
    # The next process clears dead staging files; nothing half-written remains.
    with open_app(load_settings(data_dir=data)) as app:
        assert not list(app.store.tmp.glob("*.part"))
        for sha, path in app.store.iter_objects():
            assert sha256_file(path) == sha, "every stored object is complete"
        with app.db.read() as session:
            assert session.scalar(select(func.count(StoredFile.id))) == 0
            assert session.scalar(select(func.count(Clip.id))) == 0
    result = cli(cli_env, "verify", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ok"] is True
    # And the same file imports cleanly afterwards.
    again = cli(cli_env, "import", str(big), "--no-analyse", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["summary"]["imported"] == 1


@pytest.mark.slow
def test_two_imports_at_once_both_succeed(fixture_dir: Path, cli_env: dict[str, str]) -> None:
    assert cli(cli_env, "case", "new", "Concurrent").returncode == 0
    first = [fixture_dir / n for n in ("cut.mp4", "fade.mp4", "rotated.mp4", "still.jpg")]
    second = [fixture_dir / n for n in ("vfr.mp4", "offset.mp4", "meta.mp4", "cut.mp4")]
    procs = [
        subprocess.Popen(
            [*VERIFIER, "import", "--json", *map(str, files)],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for files in (first, second)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert json.loads(out)["summary"]["failed"] == 0
    listed = json.loads(cli(cli_env, "clips", "--json").stdout)
    assert sorted(c["name"] for c in listed) == sorted(
        {"cut.mp4", "fade.mp4", "rotated.mp4", "still.jpg", "vfr.mp4", "offset.mp4", "meta.mp4"}
    )
    result = cli(cli_env, "verify", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["ok"], result.stdout
    log = json.loads(cli(cli_env, "log", "--json").stdout)
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
    assert sum(e["action"] in ("import", "import.duplicate") for e in log) == 8
