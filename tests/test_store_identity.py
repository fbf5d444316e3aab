"""The evidence store's identity: a missing or foreign store is an error, never replaced.

The database records the id written once into the store's ``store-id``
file; opening checks that the store there is that store.
"""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete

from verifier.cli.main import cli
from verifier.config import Settings, load_settings
from verifier.db.models import AppMeta
from verifier.errors import VerifierError
from verifier.evidence.store import IDENTITY_FILE, create_identity, read_identity
from verifier.services import cases
from verifier.services.context import STORE_ID_KEY, open_app
from verifier.services.importing import import_paths


def _recorded_id(settings: Settings) -> str | None:
    with open_app(settings) as app, app.db.read() as session:
        meta = session.get(AppMeta, STORE_ID_KEY)
        return meta.value if meta is not None else None


def _import_one(settings: Settings, source: Path) -> None:
    with open_app(settings) as app:
        case = cases.get_or_create_case(app, "A")
        [item] = import_paths(app, [source], case, analyse=False).items
        assert item.status == "imported"


def _forget_store_id(settings: Settings) -> None:
    """Make the database look like one made before store identities."""
    with open_app(settings) as app, app.db.write() as session:
        session.execute(delete(AppMeta).where(AppMeta.key == STORE_ID_KEY))


def test_new_database_and_no_store_creates_both_with_one_identity(settings: Settings) -> None:
    assert not settings.store_dir.exists()
    with open_app(settings) as app:
        assert app.store.objects.is_dir()
    identity = read_identity(settings.store_dir)
    assert identity is not None and len(identity) == 32
    assert _recorded_id(settings) == identity
    mode = (settings.store_dir / IDENTITY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) & 0o222 == 0, "the identity file is read-only"
    # Opening again keeps the same identity.
    assert _recorded_id(settings) == identity == read_identity(settings.store_dir)


def test_missing_store_is_an_error_not_a_fresh_empty_store(
    settings: Settings, fixture_dir: Path
) -> None:
    _import_one(settings, fixture_dir / "cut.mp4")
    moved = settings.store_dir.with_name("unmounted")
    settings.store_dir.rename(moved)
    with pytest.raises(VerifierError) as err:
        open_app(settings)
    message = str(err.value)
    assert "evidence store" in message and str(settings.store_dir) in message
    assert "missing" in message and "mounted" in message
    assert not settings.store_dir.exists(), "no empty store was created in its place"


def test_empty_folder_in_place_of_the_store_is_an_error(
    settings: Settings, fixture_dir: Path
) -> None:
    """An unmounted drive leaves its empty mount point behind."""
    _import_one(settings, fixture_dir / "cut.mp4")
    settings.store_dir.rename(settings.store_dir.with_name("unmounted"))
    settings.store_dir.mkdir()
    with pytest.raises(VerifierError, match="has no identity file"):
        open_app(settings)
    assert list(settings.store_dir.iterdir()) == [], "nothing was written into the mount point"


def test_a_different_store_is_an_error_naming_both(tmp_path: Path, fixture_dir: Path) -> None:
    first = load_settings(data_dir=tmp_path / "one", analyst="tester")
    second = load_settings(data_dir=tmp_path / "two", analyst="tester")
    _import_one(first, fixture_dir / "cut.mp4")
    _import_one(second, fixture_dir / "fade.mp4")
    expected, other = read_identity(first.store_dir), read_identity(second.store_dir)
    assert expected and other and expected != other
    shutil.rmtree(first.store_dir, onerror=lambda f, p, e: (Path(p).chmod(0o755), f(p)))
    shutil.copytree(second.store_dir, first.store_dir)
    with pytest.raises(VerifierError) as err:
        open_app(first)
    assert expected in str(err.value) and other in str(err.value)


def test_database_from_before_identities_adopts_its_existing_store(
    settings: Settings, fixture_dir: Path
) -> None:
    _import_one(settings, fixture_dir / "cut.mp4")
    old_id = read_identity(settings.store_dir)
    # A store from before identities has no identity file either.
    _forget_store_id(settings)
    (settings.store_dir / IDENTITY_FILE).unlink()
    with open_app(settings) as app:
        assert len(list(app.store.iter_objects())) == 1
    adopted = read_identity(settings.store_dir)
    assert adopted is not None and adopted != old_id
    assert _recorded_id(settings) == adopted


def test_database_without_store_id_adopts_the_store_identity_it_finds(
    settings: Settings, fixture_dir: Path
) -> None:
    _import_one(settings, fixture_dir / "cut.mp4")
    identity = read_identity(settings.store_dir)
    _forget_store_id(settings)
    assert _recorded_id(settings) == identity


def test_database_from_before_identities_with_evidence_and_no_store_is_an_error(
    settings: Settings, fixture_dir: Path
) -> None:
    _import_one(settings, fixture_dir / "cut.mp4")
    _forget_store_id(settings)
    settings.store_dir.rename(settings.store_dir.with_name("unmounted"))
    with pytest.raises(VerifierError, match="is missing: is the drive mounted"):
        open_app(settings)
    assert not settings.store_dir.exists()


def test_identity_is_written_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    first = create_identity(root)
    assert create_identity(root) == first
    assert [p.name for p in root.iterdir()] == [IDENTITY_FILE], "no temporary file left"


def test_garbage_identity_file_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    (root / IDENTITY_FILE).write_text("not an id\n")
    with pytest.raises(VerifierError, match="no valid id"):
        read_identity(root)


def test_cli_says_the_store_is_missing_in_one_line(tmp_path: Path, fixture_dir: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    base = ["--data-dir", str(data), "--analyst", "tester"]
    result = runner.invoke(cli, [*base, "case", "new", "A"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, [*base, "import", "--no-analyse", str(fixture_dir / "cut.mp4")])
    assert result.exit_code == 0, result.output
    (data / "store").rename(data / "elsewhere")
    result = runner.invoke(cli, [*base, "clips"])
    assert result.exit_code == 1
    text = " ".join(result.stderr.split())  # the console may wrap the one message
    assert text.startswith("error: the evidence store") and text.count("error:") == 1, text
    assert "missing" in text and "Traceback" not in text
    assert not (data / "store").exists()


def test_adopting_a_store_is_in_the_custody_log(settings: Settings, fixture_dir: Path) -> None:
    """A database from before store identities adopting its store is a logged act."""
    from sqlalchemy import select

    from verifier.db.models import CustodyEvent
    from verifier.services.verification import verify

    def binds() -> list[dict[str, object]]:
        with open_app(settings) as app, app.db.read() as session:
            events = session.scalars(
                select(CustodyEvent).where(CustodyEvent.action == "store.bind")
            )
            return [{k: e.details[k] for k in ("store_id", "root", "adopted")} for e in events]

    _import_one(settings, fixture_dir / "cut.mp4")
    identity = read_identity(settings.store_dir)
    assert binds() == [], "a new database's store is recorded by its first import"
    _forget_store_id(settings)
    expected = {"store_id": identity, "root": str(settings.store_dir), "adopted": True}
    assert binds() == [expected]
    assert binds() == [expected], "opening again records nothing new"
    with open_app(settings) as app:
        assert verify(app).ok
