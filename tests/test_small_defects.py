"""Smaller reliability defects: each says what it is once, and stores what it stores once."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select

from verifier.analysis import pipeline
from verifier.db.models import Appearance, CustodyEvent
from verifier.errors import VerifierError
from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths
from verifier.sources.manifest import read_manifest


def test_large_caption_is_stored_once_and_referenced_from_the_log(
    app: App, tmp_path: Path, fixture_dir: Path
) -> None:
    caption = "Колонна техніки. " * 300_000  # about 5 million characters
    shutil.copy(fixture_dir / "cut.mp4", tmp_path / "clip.mp4")
    (tmp_path / "manifest.json").write_text(
        json.dumps([{"path": "clip.mp4", "url": "https://t.me/c/1/2", "notes": caption}]),
        encoding="utf-8",
    )
    report = import_paths(app, [tmp_path], cases.create_case(app, "A"), analyse=False)
    assert report.count("imported") == 1
    with app.db.read() as session:
        appearance = session.scalars(select(Appearance)).one()
        assert appearance.caption == caption.strip()
        assert caption not in json.dumps(appearance.raw_sidecar, ensure_ascii=False)
        event = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == "appearance.add")
        ).one()
        logged = event.details["caption"]
        assert logged["sha256"] == hashlib.sha256(caption.strip().encode()).hexdigest()
        assert logged["length"] == len(caption.strip())
        total = session.scalar(select(func.sum(func.length(CustodyEvent.details))))
    assert total < len(caption) / 10


def test_csv_field_limit_is_named_in_the_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,notes\nclip.mp4," + "x" * 200_000 + "\n", encoding="utf-8")
    [problem] = list(read_manifest(manifest))
    assert "131,072-character limit" in problem.reason
    assert "manifest.json" in problem.reason
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "131,072 characters" in readme


class _NothingDecodes:
    """A decoder that opens but yields no frame, noting only that none decoded."""

    width, height, frame_count = 64, 48, 0
    time_base = 1
    errors: ClassVar[list[str]] = ["no frame could be decoded"]

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _NothingDecodes:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def iter_frames(self, cancel: Any = None) -> list[Any]:
        return []


def test_no_frame_decoded_is_said_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pipeline, "VideoDecoder", _NothingDecodes)
    with pytest.raises(VerifierError) as caught:
        pipeline.analyse_video(tmp_path / "x.mp4")
    assert caught.value.reason == "no frame could be decoded"
    # A decoder's own reason is still given, once.
    damaged = SimpleNamespace(errors=["damaged packet at pts 512"])
    monkeypatch.setattr(_NothingDecodes, "errors", damaged.errors)
    with pytest.raises(VerifierError, match=r"decoded \(damaged packet at pts 512\)$"):
        pipeline.analyse_video(tmp_path / "x.mp4")
