"""The installed wheel works on its own: built from the repository, installed into a
fresh virtual environment and run from outside the source tree.

This is what catches a file that only the source tree has (a migration, the
style sheet, an icon) or a path computed relative to it: the editable install
the other tests use would hide both.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from verifier.db.engine import head_revision

ROOT = Path(__file__).resolve().parents[1]
# Outputs, caches and environments: never part of what the wheel is built from.
NOT_SOURCE = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache"}
NOT_SOURCE_PATHS = {ROOT / "fixtures" / "out", ROOT / "benchmarks" / "out", ROOT / ".demo-data"}

PROBE = """
import json, sys
import verifier, verifier.migrations, verifier.ui
from verifier.db.engine import head_revision
print(json.dumps({
    "verifier": verifier.__file__,
    "migrations": verifier.migrations.__file__,
    "ui": verifier.ui.__file__,
    "head": head_revision(),
}))
"""


def _missing_build_requirements() -> list[str]:
    """The build backend's requirements this interpreter lacks (the build is not isolated)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    missing = []
    for text in pyproject["build-system"]["requires"]:
        requirement = Requirement(text)
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(text)
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            missing.append(text)
    return missing


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in NOT_SOURCE
        or name.endswith(".egg-info")
        or Path(folder, name).resolve() in NOT_SOURCE_PATHS
    }


def _run(
    args: list[str | Path], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy of the working tree, so no build/ or egg-info lands in it
    and nothing left in an old build/ folder can slip into the wheel."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_ignore, symlinks=True)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", source, "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", dist])  # fmt: skip
    (wheel,) = dist.glob("verifier-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> tuple[Path, Path]:
    """A new environment holding only the wheel; the dependencies are borrowed
    from this interpreter's site-packages through a .pth line (not installed again).
    That folder is appended as a plain path, not a site dir, so the editable
    install's own .pth finder in it is never activated."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())  # fmt: skip
    borrowed = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "-q", wheel])  # fmt: skip
    return venv, site


@pytest.mark.slow
def test_the_installed_wheel_creates_a_case_and_verifies(tmp_path: Path) -> None:
    missing = _missing_build_requirements()
    assert not missing, f"the build backend is missing (the test extra installs it): {missing}"
    assert not tmp_path.resolve().is_relative_to(ROOT)
    wheel = _build_wheel(tmp_path)

    shipped = set(zipfile.ZipFile(wheel).namelist())
    assert "verifier/ui/verifier.qss" in shipped
    for kind, pattern in (("icons", "*.svg"), ("forms", "*.ui")):
        files = sorted((ROOT / "ui" / kind).glob(pattern))
        assert files, kind
        for file in files:
            assert f"verifier/ui/{kind}/{file.name}" in shipped
    for revision in (ROOT / "migrations" / "versions").glob("*.py"):
        assert f"verifier/migrations/versions/{revision.name}" in shipped
    assert "verifier/migrations/env.py" in shipped

    venv, site = _fresh_venv(tmp_path, wheel)
    home, work = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.pop("VERIFIER_DATABASE_URL", None)
    env.update(VERIFIER_HOME=str(home), VERIFIER_ANALYST="tester")

    verifier = venv / "bin" / "verifier"
    _run([verifier, "case", "new", "x"], cwd=work, env=env)
    _run([verifier, "verify"], cwd=work, env=env)

    found = json.loads(_run([venv / "bin" / "python", "-c", PROBE], cwd=work, env=env).stdout)
    for name in ("verifier", "migrations", "ui"):
        assert Path(found[name]).resolve().is_relative_to(site.resolve()), found
    with sqlite3.connect(home / "verifier.db") as db:
        (stored,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert stored == found["head"] == head_revision()
