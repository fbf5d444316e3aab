"""Settings: where the data folder and the database are, and who is working.

Precedence, highest first: explicit arguments (CLI flags), environment
variables (``VERIFIER_HOME``, ``VERIFIER_DATABASE_URL``, ``VERIFIER_ANALYST``),
then platform defaults. Settings are a frozen value so that no layer can
change them behind another's back.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from verifier.errors import VerifierError

APP_NAME = "verifier"


@dataclass(frozen=True)
class Settings:
    """Where things live for one run of the program."""

    data_dir: Path
    database_url: str
    analyst: str

    @property
    def store_dir(self) -> Path:
        """The content-addressed evidence store."""
        return self.data_dir / "store"

    @property
    def backup_dir(self) -> Path:
        """Copies of the SQLite database taken before each schema upgrade."""
        return self.data_dir / "backups"

    @property
    def state_file(self) -> Path:
        """Small per-user state: the remembered current case."""
        return self.data_dir / "state.json"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when the database is a local SQLite file."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None

    def with_analyst(self, analyst: str | None) -> Settings:
        return replace(self, analyst=analyst) if analyst else self


def default_analyst() -> str:
    """The OS user name: the actor recorded when no analyst name is given."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def load_settings(
    data_dir: str | Path | None = None,
    database_url: str | None = None,
    analyst: str | None = None,
) -> Settings:
    """Resolve settings from arguments, environment and platform defaults."""
    raw_dir = data_dir or os.environ.get("VERIFIER_HOME") or platformdirs.user_data_dir(APP_NAME)
    folder = Path(raw_dir).expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VerifierError(f"cannot create the data folder: {exc.strerror}", path=folder) from exc
    url = (
        database_url
        or os.environ.get("VERIFIER_DATABASE_URL")
        or f"sqlite:///{folder / 'verifier.db'}"
    )
    who = analyst or os.environ.get("VERIFIER_ANALYST") or default_analyst()
    return Settings(data_dir=folder, database_url=url, analyst=who)


def read_state(settings: Settings) -> dict[str, object]:
    """Read the small state file; a damaged one is treated as empty."""
    try:
        data = json.loads(settings.state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(settings: Settings, **values: object) -> None:
    """Update the state file atomically."""
    state = read_state(settings)
    state.update(values)
    tmp = settings.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(tmp, settings.state_file)
