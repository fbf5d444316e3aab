"""Tests for hand-made CSV/JSON manifests.

Each test builds a small collection folder with the clip files the manifest
names, so path checks run against real files; time values are checked as
exact UTC datetimes with their precision.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from verifier.sources import AppearanceRecord, SidecarProblem
from verifier.sources.manifest import MANIFEST_NAMES, read_manifest

CSV_HEADER = "path,url,platform,posted_at,channel,notes\n"


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    folder = tmp_path / "collection"
    (folder / "clips").mkdir(parents=True)
    for name in ("a.mp4", "b.mp4", "clips/c.mov"):
        (folder / name).write_bytes(b"\0")
    return folder


def read(path: Path) -> list[AppearanceRecord | SidecarProblem]:
    return list(read_manifest(path))


def records(items: list[AppearanceRecord | SidecarProblem]) -> list[AppearanceRecord]:
    return [i for i in items if isinstance(i, AppearanceRecord)]


def problems(items: list[AppearanceRecord | SidecarProblem]) -> list[SidecarProblem]:
    return [i for i in items if isinstance(i, SidecarProblem)]


def only_problem(items: list[AppearanceRecord | SidecarProblem]) -> SidecarProblem:
    assert len(items) == 1 and isinstance(items[0], SidecarProblem), items
    return items[0]


def test_names() -> None:
    assert MANIFEST_NAMES == (
        "manifest.csv",
        "manifest.json",
        "verifier-manifest.csv",
        "verifier-manifest.json",
    )


def test_csv_happy_path(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text(
        CSV_HEADER
        + 'a.mp4,https://t.me/chan/5,Telegram,2025-03-13T09:41:00Z,chan,"first seen, 09:41"\n'
        + "clips/c.mov,https://twitter.com/u/status/1,twitter,"
        + "2025-03-13T11:41:00+02:00,@u,\n",
        encoding="utf-8",
    )
    items = read(manifest)
    assert not problems(items)
    first, second = records(items)
    assert first.source == "manifest"
    assert first.platform == "telegram"
    assert first.url == "https://t.me/chan/5"
    assert first.channel == "chan"
    assert first.caption == "first seen, 09:41"
    assert first.posted_at == datetime(2025, 3, 13, 9, 41, tzinfo=UTC)
    assert first.posted_at_precision == "second"
    assert first.posted_at_text == "2025-03-13T09:41:00Z"
    assert first.media_path == (collection / "a.mp4").resolve()
    assert first.media_available
    assert first.sidecar_path == manifest
    assert first.raw["path"] == "a.mp4"
    assert second.platform == "x"
    assert second.posted_at == datetime(2025, 3, 13, 9, 41, tzinfo=UTC)
    assert second.caption is None
    assert second.media_path == (collection / "clips" / "c.mov").resolve()


def test_csv_bom_extra_columns_and_header_case(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_bytes(
        "\ufeffPath , URL,Witness,posted_at\r\nb.mp4,https://youtu.be/xyz,Олена,\r\n".encode()
    )
    (rec,) = read(manifest)
    assert isinstance(rec, AppearanceRecord), rec
    assert rec.url == "https://youtu.be/xyz"
    assert rec.raw["witness"] == "Олена"
    assert rec.platform == "youtube"  # inferred from the host
    assert any("inferred" in w for w in rec.warnings)
    assert rec.posted_at is None and rec.posted_at_precision == "unknown"


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2025-03-13T09:41:07Z", datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC), "second"),
        ("2025-03-13T11:41:07+02:00", datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC), "second"),
        ("2025-03-13 04:41:07-0500", datetime(2025, 3, 13, 9, 41, 7, tzinfo=UTC), "second"),
        (
            "2025-03-13T09:41:07.250Z",
            datetime(2025, 3, 13, 9, 41, 7, 250000, tzinfo=UTC),
            "second",
        ),
        ("2025-03-13T09:41Z", datetime(2025, 3, 13, 9, 41, tzinfo=UTC), "minute"),
        ("2025-03-13T01:41+03:00", datetime(2025, 3, 12, 22, 41, tzinfo=UTC), "minute"),
        ("2025-03-13", datetime(2025, 3, 13, tzinfo=UTC), "date"),
        ("", None, "unknown"),
    ],
)
def test_posted_at_precisions(
    collection: Path, text: str, expected: datetime | None, precision: str
) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text(f"path,posted_at\na.mp4,{text}\n", encoding="utf-8")
    (rec,) = read(manifest)
    assert isinstance(rec, AppearanceRecord), rec
    assert rec.posted_at == expected
    assert rec.posted_at_precision == precision
    assert rec.posted_at_text == (text or None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2025-03-13T09:41:00", "without a UTC offset: add Z or +HH:MM"),
        ("2025-03-13 09:41", "without a UTC offset"),
        ("13/03/2025", "not ISO 8601"),
        ("2025-02-30", "not a valid date"),
        ("2025-03-13T25:00:00Z", "not a valid date and time"),
        ("2025-03-13T09:41:00+25:00", "not a valid date and time"),
    ],
)
def test_bad_posted_at_refuses_only_that_row(collection: Path, text: str, reason: str) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text(f"path,posted_at\na.mp4,{text}\nb.mp4,2025-03-13\n", encoding="utf-8")
    items = read(manifest)
    (problem,) = problems(items)
    assert reason in problem.reason
    assert problem.entry == "row 1"
    assert problem.path == manifest
    (rec,) = records(items)
    assert rec.media_path == (collection / "b.mp4").resolve()


def test_json_list_and_items(collection: Path) -> None:
    rows = [
        {
            "path": "a.mp4",
            "url": "https://www.tiktok.com/@u/video/1",
            "posted_at": "2025-03-13T09:41:00Z",
            "notes": "n",
            "source_id": 7,
        },
        {"path": "clips\\c.mov", "platform": "VK", "posted_at": None},
    ]
    for name, payload in (("manifest.json", rows), ("verifier-manifest.json", {"items": rows})):
        manifest = collection / name
        manifest.write_text(json.dumps(payload), encoding="utf-8")
        items = read(manifest)
        assert not problems(items)
        first, second = records(items)
        assert first.platform == "tiktok"
        assert first.caption == "n"
        assert first.raw["source_id"] == 7
        assert first.posted_at == datetime(2025, 3, 13, 9, 41, tzinfo=UTC)
        assert second.platform == "vk"
        assert second.media_path == (collection / "clips" / "c.mov").resolve()
        assert second.posted_at is None


def test_json_bad_entries(collection: Path) -> None:
    manifest = collection / "manifest.json"
    manifest.write_text(
        json.dumps(["a.mp4", {"path": 5}, {"url": "https://x.com/a/status/1"}, {"path": "b.mp4"}]),
        encoding="utf-8",
    )
    items = read(manifest)
    assert [p.entry for p in problems(items)] == ["row 1", "row 2", "row 3"]
    assert "not a JSON object" in problems(items)[0].reason
    assert "must be text" in problems(items)[1].reason
    assert "no path" in problems(items)[2].reason
    assert len(records(items)) == 1


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.mp4", "outside"),
        ("clips/../../outside.mp4", "outside"),
        ("/etc/passwd", "absolute"),
        ("C:\\clips\\a.mp4", "absolute"),
        ("missing.mp4", "not found"),
        ("clips", "not a file"),
    ],
)
def test_bad_paths_refuse_only_that_row(collection: Path, path: str, reason: str) -> None:
    (collection.parent / "outside.mp4").write_bytes(b"\0")
    manifest = collection / "manifest.csv"
    manifest.write_text(f'path,notes\n"{path}",x\na.mp4,ok\n', encoding="utf-8")
    items = read(manifest)
    (problem,) = problems(items)
    assert reason in problem.reason
    assert problem.entry == "row 1"
    assert [r.caption for r in records(items)] == ["ok"]


def test_symlink_out_of_folder_is_refused(collection: Path) -> None:
    outside = collection.parent / "secret.mp4"
    outside.write_bytes(b"\0")
    os.symlink(outside, collection / "link.mp4")
    manifest = collection / "manifest.csv"
    manifest.write_text("path\nlink.mp4\n", encoding="utf-8")
    assert "outside" in only_problem(read(manifest)).reason


def test_malformed_csv(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text('path,notes\na.mp4,"unterminated\n', encoding="utf-8")
    assert "malformed CSV" in only_problem(read(manifest)).reason
    manifest.write_text('path,notes\na.mp4,"x"y\nb.mp4,z\n', encoding="utf-8")
    assert "malformed CSV" in only_problem(read(manifest)).reason


def test_csv_row_with_too_many_cells(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text("path,notes\na.mp4,seen at 9:41, then deleted\nb.mp4,ok\n", "utf-8")
    items = read(manifest)
    (problem,) = problems(items)
    assert "quote fields" in problem.reason and problem.entry == "row 1"
    assert len(records(items)) == 1


def test_csv_without_path_column_or_empty(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text("file,url\na.mp4,x\n", encoding="utf-8")
    assert "no 'path' column" in only_problem(read(manifest)).reason
    manifest.write_text("", encoding="utf-8")
    assert "empty" in only_problem(read(manifest)).reason


def test_blank_lines_are_skipped_and_rows_counted(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text("path\n\na.mp4\n,\nnope.mp4\n", encoding="utf-8")
    items = read(manifest)
    assert len(records(items)) == 1
    assert [p.entry for p in problems(items)] == ["row 2"]


def test_malformed_json(collection: Path) -> None:
    manifest = collection / "manifest.json"
    manifest.write_text('[{"path": "a.mp4"', encoding="utf-8")
    assert "malformed JSON" in only_problem(read(manifest)).reason
    manifest.write_text('{"rows": []}', encoding="utf-8")
    assert "list of objects" in only_problem(read(manifest)).reason


def test_non_utf8(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_bytes(b"path,notes\na.mp4,caf\xe9\n")  # Latin-1 from an old spreadsheet
    problem = only_problem(read(manifest))
    assert "UTF-8" in problem.reason and problem.entry is None


def test_too_large(collection: Path) -> None:
    manifest = collection / "manifest.csv"
    manifest.write_text("path\n" + "a.mp4\n" * 1000, encoding="utf-8")
    problem = only_problem(list(read_manifest(manifest, max_bytes=100)))
    assert "limit" in problem.reason
