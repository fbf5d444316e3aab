"""Frame export: exact pixels, a derived file in the store, logged, verified, evidence untouched."""

from __future__ import annotations

import hashlib
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageOps
from sqlalchemy import select
from tests.helpers import import_one as _import

from verifier.cli.main import cli
from verifier.db.models import Clip, CustodyEvent, StoredFile
from verifier.errors import VerifierError
from verifier.evidence.store import sha256_file
from verifier.media.decode import VideoDecoder
from verifier.media.enhance import Enhancement, apply_enhancement
from verifier.services import cases
from verifier.services import frames as frame_service
from verifier.services.analysis import unpack_frame_index
from verifier.services.context import App
from verifier.services.frames import export_frame, frame_index_at
from verifier.services.verification import verify


def _decoded(app: App, clip_id: int, index: int) -> np.ndarray:
    """The frame as the decoder gives it, with the clip's stored frame index."""
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None and clip.frame_index is not None
        path = app.store.resolve(clip.file.stored_path)
        pts = unpack_frame_index(clip.frame_index).tolist()
    with VideoDecoder(path, index=pts) as decoder:
        return decoder.frame(index).rgb().copy()


def _png_pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        return np.asarray(image)


def _exports(app: App) -> list[StoredFile]:
    with app.db.read() as session:
        return list(
            session.scalars(select(StoredFile).where(StoredFile.role.startswith("frame-export")))
        )


def _events(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        return list(session.scalars(select(CustodyEvent).where(CustodyEvent.action == action)))


def test_export_is_exact_stored_logged_and_evidence_untouched(
    app: App, make_fixture, tmp_path: Path
) -> None:
    source = make_fixture("cut.mp4")
    clip_id = _import(app, source)
    with app.db.read() as session:
        clip = session.get(Clip, clip_id)
        assert clip is not None
        evidence = app.store.resolve(clip.file.stored_path)
        evidence_sha, file_id = clip.file.sha256, clip.file_id
    original_sha = sha256_file(source)
    out = tmp_path / "frame50.png"
    exported = export_frame(app, clip_id, 50, out)

    assert np.array_equal(_png_pixels(out), _decoded(app, clip_id, 50))
    data = out.read_bytes()
    assert exported.sha256 == hashlib.sha256(data).hexdigest()
    assert app.store.resolve(exported.stored_path).read_bytes() == data
    assert not list(tmp_path.glob("*.part"))
    assert (exported.frame_index, exported.pts, exported.time_base) == (50, 25600, "1/12800")
    assert exported.seconds == 2.0 and not exported.enhanced and exported.out_path == out.resolve()
    # The evidence was only read.
    assert sha256_file(evidence) == evidence_sha == original_sha == sha256_file(source)

    [row] = _exports(app)
    assert (row.kind, row.role, row.mime_type) == ("derived", "frame-export", "image/png")
    assert row.sha256 == exported.sha256 and row.derived_from_id == file_id
    assert row.size == len(data)
    with Image.open(out) as image:
        text = dict(image.text)
    assert text["Source SHA-256"] == evidence_sha and text["Frame index"] == "50"
    assert text["PTS"] == "25600" and text["Time base"] == "1/12800"
    assert text["Enhancement"] == "none" and "unchanged" in text["Description"]

    [event] = _events(app, "frame.export")
    assert event.target_type == "clip" and event.target_id == str(clip_id)
    details = event.details
    assert details["sha256"] == exported.sha256 and details["frame_index"] == 50
    assert details["pts"] == 25600 and details["enhancement"] is None
    assert details["out_path"] == str(out.resolve()) and details["role"] == "frame-export"

    # The same frame again is the same bytes: one stored file, two logged exports.
    again = export_frame(app, str(clip_id), 50)
    assert again.sha256 == exported.sha256 and again.out_path is None
    assert len(_exports(app)) == 1 and len(_events(app, "frame.export")) == 2


def test_enhanced_export_differs_and_says_so(app: App, make_fixture, tmp_path: Path) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))
    plain = export_frame(app, clip_id, 10, tmp_path / "plain.png")
    enh = Enhancement(brightness=0.1, gamma=1.4, sharpen=1.0)
    enhanced = export_frame(app, clip_id, 10, tmp_path / "enhanced.png", enh)
    assert enhanced.enhanced and enhanced.sha256 != plain.sha256
    assert enhanced.enhancement == enh.to_json()
    pixels = _png_pixels(tmp_path / "enhanced.png")
    assert np.array_equal(pixels, apply_enhancement(_decoded(app, clip_id, 10), enh))
    assert not np.array_equal(pixels, _png_pixels(tmp_path / "plain.png"))
    with Image.open(tmp_path / "enhanced.png") as image:
        text = dict(image.text)
    assert text["Enhancement"] == "brightness=0.1,gamma=1.4,sharpen=1"
    assert "ENHANCED" in text["Description"] and "not the original pixels" in text["Description"]
    roles = {r.sha256: r.role for r in _exports(app)}
    assert roles == {plain.sha256: "frame-export", enhanced.sha256: "frame-export-enhanced"}
    last = _events(app, "frame.export")[-1]
    assert last.details["enhancement"] == enh.to_json()
    # A neutral enhancement is no enhancement.
    neutral = export_frame(app, clip_id, 10, None, Enhancement())
    assert neutral.sha256 == plain.sha256 and not neutral.enhanced


def test_verify_covers_exports_and_detects_a_modified_one(
    app: App, make_fixture, tmp_path: Path
) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"))
    case = cases.resolve_case(app, "A")
    before = verify(app, case)
    assert before.ok
    exported = export_frame(app, clip_id, 0, tmp_path / "f0.png")
    export_frame(app, clip_id, 0, None, Enhancement(invert=True))
    report = verify(app, case)
    assert report.ok, report.to_json()
    assert report.files_checked == before.files_checked + 2
    assert verify(app).ok  # the whole library too, with no unreferenced objects
    assert verify(app).unreferenced_objects == []
    victim = app.store.resolve(exported.stored_path)
    victim.chmod(0o644)
    victim.write_bytes(b"\x89PNG altered")
    report = verify(app, case)
    assert not report.ok
    assert any(exported.sha256 in p.message and "derived" in p.message for p in report.problems)


def test_rotated_and_still_exports_are_upright(app: App, make_fixture, tmp_path: Path) -> None:
    rotated = _import(app, make_fixture("rotated.mp4"))
    export_frame(app, rotated, 5, tmp_path / "r.png")
    pixels = _png_pixels(tmp_path / "r.png")
    assert pixels.shape == (320, 240, 3)
    assert np.array_equal(pixels, _decoded(app, rotated, 5))

    still_path = make_fixture("still.jpg")
    still = _import(app, still_path)
    exported = export_frame(app, still, 0, tmp_path / "s.png")
    with Image.open(still_path) as image:
        expected = np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    assert np.array_equal(_png_pixels(tmp_path / "s.png"), expected)
    assert exported.pts is None and exported.seconds == 0.0
    with pytest.raises(VerifierError, match="a still image has only frame 0"):
        export_frame(app, still, 1)


def test_export_before_analysis(app: App, make_fixture, tmp_path: Path) -> None:
    clip_id = _import(app, make_fixture("cut.mp4"), analyse=False)
    exported = export_frame(app, clip_id, 99, tmp_path / "last.png")
    assert exported.frame_index == 99 and exported.seconds == pytest.approx(3.96)
    with pytest.raises(VerifierError, match=r"frame 100 is outside clip #\d+ \(frames 0..99\)"):
        export_frame(app, clip_id, 100)
    assert frame_index_at(app, clip_id, "2") == 50


def test_time_picks_the_frame_on_screen(app: App, make_fixture) -> None:
    cut = _import(app, make_fixture("cut.mp4"))  # 25 fps from 0 s
    assert frame_index_at(app, cut, "2") == 50  # the frame starting exactly then
    assert frame_index_at(app, cut, "1.999") == 49
    assert frame_index_at(app, cut, "0") == 0
    assert frame_index_at(app, cut, Fraction(1, 25)) == 1
    assert frame_index_at(app, cut, "3.999") == 99
    with pytest.raises(VerifierError, match="after the end of clip"):
        frame_index_at(app, cut, "60")
    with pytest.raises(VerifierError, match="before the start"):
        frame_index_at(app, cut, "-1")
    with pytest.raises(VerifierError, match="cannot read the time"):
        frame_index_at(app, cut, "two")
    offset = _import(app, make_fixture("offset.mp4"))  # first pts at ~10 s: times are relative
    assert frame_index_at(app, offset, "0") == 0
    assert frame_index_at(app, offset, "0.04") == 1
    vfr = _import(app, make_fixture("vfr.mp4"))
    with app.db.read() as session:
        clip = session.get(Clip, vfr)
        assert clip is not None
        path = app.store.resolve(clip.file.stored_path)
    with VideoDecoder(path) as decoder:
        for t in ("0.5", "1.05", "1.5", "2.0", "2.51"):
            assert frame_index_at(app, vfr, t) == decoder.index_at(Fraction(t)), t


def test_bad_destinations_are_refused_and_nothing_is_logged(
    app: App, make_fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_fixture("still.png")
    clip_id = _import(app, source)
    with pytest.raises(VerifierError, match=r"give a file name ending in \.png"):
        export_frame(app, clip_id, 0, tmp_path / "frame.jpg")
    with pytest.raises(VerifierError, match="the folder does not exist"):
        export_frame(app, clip_id, 0, tmp_path / "missing" / "frame.png")
    with pytest.raises(VerifierError, match="is a folder"):
        (tmp_path / "dir.png").mkdir()
        export_frame(app, clip_id, 0, tmp_path / "dir.png")
    with pytest.raises(VerifierError, match="cannot write into the evidence store"):
        export_frame(app, clip_id, 0, app.store.root / "objects" / "x.png")
    with pytest.raises(VerifierError, match="the clip's original file"):
        export_frame(app, clip_id, 0, source)

    def fail(path: Path, data: bytes) -> None:
        raise VerifierError("cannot write the frame (No space left on device)", path=path)

    monkeypatch.setattr(frame_service, "_write_atomically", fail)
    with pytest.raises(VerifierError, match="No space left"):
        export_frame(app, clip_id, 0, tmp_path / "full.png")
    assert _exports(app) == [] and _events(app, "frame.export") == []


def test_cli_frame_command(tmp_path: Path, make_fixture) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "data"), "--analyst", "tester"]
    assert runner.invoke(cli, [*base, "case", "new", "C"]).exit_code == 0
    assert runner.invoke(cli, [*base, "import", str(make_fixture("cut.mp4"))]).exit_code == 0
    out = tmp_path / "at2.png"
    result = runner.invoke(cli, [*base, "frame", "1", "--at", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    by_time = json.loads(result.stdout)
    assert by_time["frame_index"] == 50 and by_time["sha256"] == sha256_file(out)
    result = runner.invoke(cli, [*base, "frame", "1", "--frame", "50", "--out",
                                 str(tmp_path / "f50.png")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert by_time["sha256"] in result.stdout and "Frame 50" in result.stdout
    inverted = ["--out", str(tmp_path / "inv.png"), "--enhance", "invert,gamma=1.2"]
    result = runner.invoke(cli, [*base, "frame", "1", "--frame", "50", *inverted])
    assert result.exit_code == 0, result.output
    assert "enhanced for viewing: gamma=1.2,invert" in result.stdout
    with Image.open(tmp_path / "inv.png") as image:
        assert image.text["Enhancement"] == "gamma=1.2,invert"
    bad = runner.invoke(cli, [*base, "frame", "1", "--frame", "1", "--out",
                              str(tmp_path / "x.png"), "--enhance", "vividness=2"])  # fmt: skip
    assert bad.exit_code == 1 and "error: unknown enhancement 'vividness'" in bad.stderr
    bad = runner.invoke(cli, [*base, "frame", "1", "--frame", "1", "--at", "1", "--out",
                              str(tmp_path / "x.png")])  # fmt: skip
    assert bad.exit_code == 2 and "either --frame N or --at SECONDS" in bad.output
    bad = runner.invoke(cli, [*base, "frame", "1", "--frame", "500", "--out",
                              str(tmp_path / "x.png")])  # fmt: skip
    assert bad.exit_code == 1 and "frame 500 is outside clip #1" in bad.stderr
    assert not (tmp_path / "x.png").exists()
    log = json.loads(runner.invoke(cli, [*base, "log", "--json"]).stdout)
    assert sum(e["action"] == "frame.export" for e in log) == 3
    verified = runner.invoke(cli, [*base, "verify", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"]
