"""The layout and the boundaries between layers, as tools see them.

The contracts themselves live in pyproject.toml ([tool.importlinter]);
docs/architecture.md explains them.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import verifier

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_import_contracts_hold() -> None:
    """Layers, the Qt boundary, the GUI-asks-services rule and no import cycles."""
    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(exe), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    contracts = {c["id"] for c in PYPROJECT["tool"]["importlinter"]["contracts"]}
    assert {"layers", "qt", "gui-asks-services", "acyclic"} <= contracts


def _package_folders() -> set[str]:
    found = {"verifier.migrations", "verifier.ui"}
    for init in (ROOT / "src" / "verifier").rglob("__init__.py"):
        parts = init.parent.relative_to(ROOT / "src").parts
        found.add(".".join(parts))
    for init in (ROOT / "migrations").rglob("__init__.py"):
        parts = init.parent.relative_to(ROOT / "migrations").parts
        found.add(".".join(("verifier", "migrations", *parts)))
    return found


def test_every_package_is_shipped() -> None:
    """The wheel lists its packages explicitly (migrations/ and ui/ are mapped in)."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert listed == _package_folders()
    mapping = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert mapping["verifier.migrations"] == "migrations"
    assert mapping["verifier.ui"] == "ui"


def test_every_core_module_imports_without_qt() -> None:
    """Walk every module outside verifier.gui with PySide6 made unimportable."""
    names = [
        m.name
        for m in pkgutil.walk_packages(verifier.__path__, "verifier.")
        if not m.name.startswith(("verifier.gui", "verifier.migrations.env", "verifier.__main__"))
    ]
    assert len(names) > 40
    code = (
        "import importlib, sys\n"
        "sys.modules['PySide6'] = None\n"
        "sys.modules['shiboken6'] = None\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "assert not any(m.startswith('PySide6') and sys.modules[m] for m in sys.modules)\n"
        "print(len(sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr


def test_the_window_never_touches_the_database() -> None:
    """The GUI asks services: no sessions, no ``app.db``, no ORM imports, even lazily.

    import-linter sees imports only; this also catches a session opened
    through ``self.app.db`` inside a window method.
    """
    import re

    forbidden = re.compile(r"\.db\.read\(|\.db\.write\(|\bsession\b|\bverifier\.db\b", re.I)
    offending = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "src" / "verifier" / "gui").glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert not offending, "\n".join(offending)
