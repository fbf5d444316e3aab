"""Shared test fixtures: generated media, the real media folder, a fresh app."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Widget tests run without a screen; set before pytest-qt creates the QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fixtures.make_fixtures import make, make_all  # noqa: E402

from verifier.config import Settings, load_settings  # noqa: E402
from verifier.services.context import App, open_app  # noqa: E402

SHARED_MEDIA = ROOT.parent / "shared" / "media"


class _ErrorRecords(logging.Handler):
    """Keeps every record at ERROR or above that reaches the ``verifier`` logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_error_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which the application logged an error it did not expect.

    An error in the log is how a background task or a window callback reports
    a failure that never reaches the test as an exception; without this gate a
    test can pass while the user would have seen "the details are in the log".
    Tests that provoke such a failure on purpose carry
    ``@pytest.mark.expect_error_log``.
    """
    handler = _ErrorRecords()
    logger = logging.getLogger("verifier")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("expect_error_log") is None:
        shown = "\n".join(
            f"{record.name}: {record.levelname}: {record.getMessage()}"
            for record in handler.records
        )
        pytest.fail(f"the application logged an error during the test:\n{shown}", pytrace=False)


@pytest.fixture(scope="session")
def fixture_dir() -> Path:
    """Generated clips, cached between runs (the script skips existing files)."""
    folder = Path(os.environ.get("VERIFIER_FIXTURE_DIR", ROOT / "fixtures" / "out"))
    folder.mkdir(parents=True, exist_ok=True)
    make_all(folder)
    return folder


@pytest.fixture(scope="session")
def make_fixture(fixture_dir: Path):  # type: ignore[no-untyped-def]
    """Make one named fixture (including the large, on-demand ones)."""

    def _make(name: str) -> Path:
        return make(name, fixture_dir)

    return _make


@pytest.fixture(scope="session")
def shared_media() -> Path:
    if not SHARED_MEDIA.is_dir():
        pytest.skip(f"real media folder not present at {SHARED_MEDIA}")
    return SHARED_MEDIA


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", analyst="tester")


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = open_app(settings)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the CLI in a subprocess on a fresh data folder."""
    env = dict(os.environ)
    env["VERIFIER_HOME"] = str(tmp_path / "data")
    env["VERIFIER_ANALYST"] = "tester"
    env.pop("VERIFIER_DATABASE_URL", None)
    return env
