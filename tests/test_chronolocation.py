"""Time findings: windows in UTC and local time, custody events, proposals, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select
from tests.helpers import import_one

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import CustodyEvent
from verifier.errors import VerifierError
from verifier.ids import ChronolocationId, ClipId
from verifier.services import annotations, cases, chronolocation, geolocation, provenance
from verifier.services.analysis import reanalyse
from verifier.services.chronolocation import KEEP, NO_LOCATION
from verifier.services.context import App
from verifier.services.edits import EditConflict
from verifier.services.verification import verify

KYIV = (50.4501, 30.5234)


def _add(app: App, clip: int, **kwargs: object) -> dict:
    args: dict = {
        "earliest": "2025-03-29T22:00Z",
        "latest": "2025-03-30T03:00Z",
        "confidence": "probable",
        "method": "visible-events",
        "reasoning": "air-raid siren heard, reported 01:10 local",
    }
    args.update(kwargs)
    return chronolocation.add_chronolocation(app, str(clip), **args)


def _events(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        query = select(CustodyEvent).where(CustodyEvent.action == action)
        return list(session.scalars(query.order_by(CustodyEvent.seq)))


def _place_in_kyiv(app: App, clip: int) -> dict:
    return geolocation.add_geolocation(app, str(clip), at=KYIV, precision_m=50,
                                       confidence="confirmed", method="landmark",
                                       reasoning="Motherland monument")  # fmt: skip


@pytest.fixture
def clip(app: App, fixture_dir: Path) -> int:
    """cut.mp4, analysed (its frames are counted), in case "A"."""
    return import_one(app, fixture_dir / "cut.mp4")


def _manual(app: App, clip: int) -> list[dict]:
    return [
        c for c in chronolocation.list_chronolocations(app, str(clip)) if c["origin"] == "manual"
    ]


# -- local time ----------------------------------------------------------------------


def test_local_time_across_the_kyiv_clock_change(app: App, clip: int) -> None:
    _place_in_kyiv(app, clip)
    added = _add(app, clip, earliest="2025-03-30T00:30Z", latest="2025-03-30T01:30Z")
    assert added["zone"]["name"] == "Europe/Kyiv"
    start, end = added["earliest_local"], added["latest_local"]
    # Clocks went from 03:00 EET to 04:00 EEST at 01:00 UTC.
    assert (start["time"], start["offset"], start["dst"]) == (
        "2025-03-30T02:30:00+02:00", "+02:00", False)  # fmt: skip
    assert (end["time"], end["offset"], end["dst"]) == ("2025-03-30T04:30:00+03:00", "+03:00", True)
    assert (start["abbreviation"], end["abbreviation"]) == ("EET", "EEST")


def test_a_window_across_midnight_utc(app: App, clip: int) -> None:
    _place_in_kyiv(app, clip)
    added = _add(app, clip, earliest="2025-06-01T23:30+00:00", latest="2025-06-02T00:45Z")
    assert (added["earliest"], added["latest"]) == (
        "2025-06-01T23:30:00+00:00", "2025-06-02T00:45:00+00:00")  # fmt: skip
    assert added["earliest_local"]["time"] == "2025-06-02T02:30:00+03:00"
    assert added["latest_local"]["time"] == "2025-06-02T03:45:00+03:00"


def test_without_a_geolocation_the_window_is_utc_only(app: App, clip: int) -> None:
    added = _add(app, clip)
    assert added["zone"] is None and added["zone_text"] == NO_LOCATION
    assert added["earliest_local"] is None


def test_a_rejected_geolocation_gives_no_zone(app: App, clip: int) -> None:
    found = _place_in_kyiv(app, clip)
    geolocation.reject_geolocation(app, found["id"])
    assert _add(app, clip)["zone_text"] == NO_LOCATION


def test_local_times_are_read_in_the_zone_of_the_location(app: App, clip: int) -> None:
    with pytest.raises(VerifierError, match=r"--local: clip #.* has no geolocation"):
        _add(app, clip, earliest="2025-03-30T02:30", local=True)
    _place_in_kyiv(app, clip)
    added = _add(app, clip, earliest="2025-03-30T02:30", latest="2025-03-30T04:30", local=True)
    assert (added["earliest"], added["latest"]) == (
        "2025-03-30T00:30:00+00:00", "2025-03-30T01:30:00+00:00")  # fmt: skip
    with pytest.raises(VerifierError, match=r"--to: 2025-03-30T03:30 did not exist in Europe/Kyiv"):
        _add(app, clip, latest="2025-03-30T03:30", local=True)
    with pytest.raises(VerifierError, match=r"--from: 2025-10-26T03:30 happened twice"):
        _add(app, clip, earliest="2025-10-26T03:30", local=True)


# -- validation and custody ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"earliest": "2025-03-30T10:00"}, "--from: 2025-03-30T10:00 has no UTC offset"),
        ({"latest": "yesterday"}, "--to: 'yesterday' is not a time"),
        ({"earliest": "2025-03-30T12:00Z", "latest": "2025-03-30T11:00Z"}, "--from: .* is after"),
        ({"earliest": None, "latest": None}, "--from/--to: give at least one end"),
        ({"confidence": "sure"}, "--confidence: unknown confidence 'sure'"),
        ({"method": "astrology"}, "--method: unknown method 'astrology'"),
        ({"reasoning": "  "}, "--reasoning: say how the time was found"),
        ({"frames": [99999]}, "--frame: frame 99999 is out of range"),
        ({"annotations": [4242]}, "--annotation: no annotation #4242"),
    ],
)
def test_bad_input_is_refused(app: App, clip: int, kwargs: dict, message: str) -> None:
    with pytest.raises(VerifierError, match=message):
        _add(app, clip, **kwargs)
    assert chronolocation.list_chronolocations(app, str(clip)) == []


def test_methods_accept_hyphenated_spellings() -> None:
    assert chronolocation.parse_method("sun-position-and-shadows") == "sun position and shadows"
    assert chronolocation.parse_method("File_Metadata") == "file metadata"
    assert chronolocation.parse_method("first appearance") == "first appearance"


def test_every_change_is_a_custody_event_with_old_and_new_values(app: App, clip: int) -> None:
    note = annotations.add_annotation(app, clip, 5, (1, 1, 10, 10), "shadow", "shadow of the pole")
    added = _add(app, clip, frames=[7, 2], annotations=[note["id"]], earliest=None)
    assert added["earliest"] is None and added["latest"] == "2025-03-30T03:00:00+00:00"
    assert (added["frames"], added["annotations"]) == ([2, 7], [note["id"]])
    [event] = _events(app, "chronolocation.add")
    assert (event.target_type, event.target_id) == ("clip", str(clip))
    assert event.details["chronolocation"]["method"] == "visible events"
    assert set(event.details["state"]) == {f"chronolocation:{added['id']}"}
    ident = ChronolocationId(added["id"])
    edited = chronolocation.edit_chronolocation(
        app, ident, expected_version=1, earliest="2025-03-30T01:00Z", confidence="confirmed"
    )
    assert (edited["earliest"], edited["confidence"], edited["version"]) == (
        "2025-03-30T01:00:00+00:00", "confirmed", 2)  # fmt: skip
    [event] = _events(app, "chronolocation.edit")
    assert event.details["before"]["earliest"] is None
    assert event.details["after"]["earliest"] == "2025-03-30T01:00:00+00:00"
    assert event.details["before"]["confidence"] == "probable"
    with pytest.raises(EditConflict, match="time finding #"):
        chronolocation.edit_chronolocation(app, ident, expected_version=1, reasoning="stale")
    opened = chronolocation.edit_chronolocation(app, ident, latest=None, earliest=KEEP)
    assert opened["latest"] is None and opened["earliest"] == "2025-03-30T01:00:00+00:00"
    rejected = chronolocation.reject_chronolocation(app, ident)
    assert (rejected["status"], rejected["confidence"]) == ("rejected", "rejected")
    [event] = _events(app, "chronolocation.reject")
    assert (event.details["before"]["status"], event.details["after"]["status"]) == (
        "confirmed", "rejected")  # fmt: skip
    confirmed = chronolocation.confirm_chronolocation(app, ident, confidence="possible")
    assert (confirmed["status"], confirmed["confidence"]) == ("confirmed", "possible")
    assert len(_events(app, "chronolocation.confirm")) == 1
    chronolocation.delete_chronolocation(app, ident)
    [event] = _events(app, "chronolocation.delete")
    assert event.details["deleted"]["reasoning"] == added["reasoning"]
    assert event.details["state"] == {f"chronolocation:{added['id']}": None}
    assert _manual(app, clip) == []
    with pytest.raises(EditConflict, match="was deleted"):
        chronolocation.delete_chronolocation(app, ident, expected_version=5)
    assert verify(app).ok


# -- proposals -----------------------------------------------------------------------


def _proposals(app: App, clip: int, origin: str) -> list[dict]:
    rows = chronolocation.list_chronolocations(app, str(clip))
    return [c for c in rows if c["origin"] == origin]


def test_first_appearance_with_a_date_only_post_bounds_the_end_of_that_day(
    app: App, clip: int
) -> None:
    provenance.add_appearance(app, str(clip), url="https://t.me/chan/5", posted_at="2025-03-30")
    [proposal] = _proposals(app, clip, "first-appearance")
    assert (proposal["status"], proposal["confidence"]) == ("proposed", "possible")
    assert proposal["method"] == "first appearance"
    assert proposal["earliest"] is None
    assert proposal["latest"] == "2025-03-31T00:00:00+00:00"
    assert "date only" in proposal["reasoning"] and "https://t.me/chan/5" in proposal["reasoning"]
    # Re-running proposes nothing new.
    assert chronolocation.propose_for(app, str(clip)) == []
    assert len(_events(app, "chronolocation.propose")) == 1
    # An earlier post updates the pending proposal (logged with the old values).
    provenance.add_appearance(app, str(clip), url="https://t.me/other/9",
                              posted_at="2025-03-29T18:04:05Z")  # fmt: skip
    [updated] = _proposals(app, clip, "first-appearance")
    assert updated["id"] == proposal["id"]
    assert updated["latest"] == "2025-03-29T18:04:06+00:00"  # the end of that second
    last = _events(app, "chronolocation.propose")[-1]
    assert last.details["before"]["latest"] == "2025-03-31T00:00:00+00:00"
    assert last.details["after"]["latest"] == "2025-03-29T18:04:06+00:00"
    # A later post changes nothing.
    provenance.add_appearance(app, str(clip), url="https://t.me/late/1",
                              posted_at="2025-04-02T10:00Z")  # fmt: skip
    assert len(_events(app, "chronolocation.propose")) == 2
    assert verify(app).ok


def test_a_rejected_proposal_stays_rejected(app: App, clip: int) -> None:
    provenance.add_appearance(app, str(clip), url="https://t.me/chan/5", posted_at="2025-03-30")
    [proposal] = _proposals(app, clip, "first-appearance")
    chronolocation.reject_chronolocation(app, ChronolocationId(proposal["id"]))
    assert chronolocation.propose_for(app, str(clip)) == []
    reanalyse(app, ClipId(clip))
    [still] = _proposals(app, clip, "first-appearance")
    assert (still["id"], still["status"]) == (proposal["id"], "rejected")
    # A new, earlier source is a new proposal beside the decided one.
    provenance.add_appearance(app, str(clip), url="https://x.example/1",
                              posted_at="2025-03-28T08:00Z")  # fmt: skip
    rows = _proposals(app, clip, "first-appearance")
    assert [(r["status"], r["latest"]) for r in rows] == [
        ("rejected", "2025-03-31T00:00:00+00:00"),
        ("proposed", "2025-03-28T08:01:00+00:00"),  # minute precision
    ]
    assert verify(app).ok


def test_metadata_creation_time_with_its_offset(app: App, fixture_dir: Path) -> None:
    clip = import_one(app, fixture_dir / "still.jpg")  # 2024:03:13 11:41:00 +02:00
    [proposal] = _proposals(app, clip, "metadata")
    assert (proposal["status"], proposal["method"]) == ("proposed", "file metadata")
    assert proposal["earliest"] == proposal["latest"] == "2024-03-13T09:41:00+00:00"
    assert proposal["zone_note"] is None
    # The GPS tag proposed beside it is the only location: local time in Kyiv.
    assert proposal["earliest_local"]["time"] == "2024-03-13T11:41:00+02:00"
    reanalyse(app, ClipId(clip))
    assert len(_proposals(app, clip, "metadata")) == 1
    assert len(_events(app, "chronolocation.propose")) == 1
    confirmed = chronolocation.confirm_chronolocation(app, ChronolocationId(proposal["id"]))
    assert (confirmed["status"], confirmed["origin"]) == ("confirmed", "metadata")


def test_metadata_creation_time_of_unknown_zone_is_widened(app: App, tmp_path: Path) -> None:
    path = tmp_path / "no-offset.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2025:03:30 10:15:00"  # DateTimeOriginal, no offset
    Image.new("RGB", (64, 48), (90, 120, 150)).save(path, exif=exif)
    clip = import_one(app, path)
    [proposal] = _proposals(app, clip, "metadata")
    assert proposal["earliest"] == "2025-03-29T20:15:00+00:00"  # 10:15 at UTC+14
    assert proposal["latest"] == "2025-03-30T22:15:00+00:00"  # 10:15 at UTC-12
    assert proposal["zone_note"].startswith("of unknown zone")
    assert "−12:00 to +14:00" in proposal["reasoning"]


def test_mp4_creation_time_is_utc(app: App, fixture_dir: Path) -> None:
    clip = import_one(app, fixture_dir / "meta.mp4")  # creation_time 2024-03-13T09:41:00Z, 2 s
    [proposal] = _proposals(app, clip, "metadata")
    assert proposal["earliest"] == "2024-03-13T09:41:00+00:00"
    assert proposal["latest"] == "2024-03-13T09:41:02+00:00"


# -- CLI -----------------------------------------------------------------------------


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def test_cli_chrono_commands(app: App, clip: int, settings: Settings) -> None:
    _place_in_kyiv(app, clip)
    code, out = _run(settings, "chrono", "add", str(clip), "--from", "2025-03-30T00:30Z",
                     "--to", "2025-03-30T01:30Z", "--confidence", "probable", "--method",
                     "sun-position-and-shadows", "--reasoning", "shadow bearing 250°",
                     "--frame", "3")  # fmt: skip
    assert code == 0, out
    assert "from 2025-03-30T00:30:00Z = 2025-03-30T02:30:00+02:00 EET" in out
    assert "to   2025-03-30T01:30:00Z = 2025-03-30T04:30:00+03:00 EEST" in out
    assert "local time: Europe/Kyiv (from geolocation #" in out
    code, out = _run(settings, "chrono", "list", str(clip), "--json")
    assert code == 0, out
    [row] = json.loads(out)
    assert row["latest_local"]["offset"] == "+03:00" and row["frames"] == [3]
    ident = str(row["id"])
    code, out = _run(settings, "chrono", "edit", ident, "--open-from", "--expected-version", "1")
    assert code == 0 and "from open" in out, out
    code, out = _run(settings, "chrono", "edit", ident, "--reasoning", "x", "--expected-version",
                     "1")  # fmt: skip
    assert code != 0 and "changed" in out, out
    code, out = _run(settings, "chrono", "reject", ident)
    assert code == 0 and f"#{ident} rejected" in out
    code, out = _run(settings, "chrono", "confirm", ident, "--confidence", "probable")
    assert code == 0 and "confirmed (probable)" in out
    code, out = _run(settings, "chrono", "delete", ident)
    assert code == 0, out
    code, out = _run(settings, "chrono", "list", str(clip))
    assert code == 0 and "No time findings." in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-03-30T10:00"], "--from: 2025-03-30T10:00 has no UTC offset"),
        (["--from", "2025-03-30T10:00Z", "--to", "2025-03-30T09:00Z"], "is after --to"),
        (["--to", "2025-03-30T10:00Z", "--frame", "5000"], "--frame: frame 5000 is out of range"),
        (["--to", "2025-03-30T10:00Z", "--confidence", "maybe"], "--confidence: unknown"),
        (["--to", "2025-03-30T10:00Z", "--method", "vibes"], "--method: unknown method 'vibes'"),
    ],
)
def test_cli_chrono_add_errors(
    app: App, clip: int, settings: Settings, args: list[str], message: str
) -> None:
    base = {"--confidence": "possible", "--method": "weather", "--reasoning": "rain"}
    for key in args[::2]:
        base.pop(key, None)
    flat = [v for pair in base.items() for v in pair]
    code, out = _run(settings, "chrono", "add", str(clip), *flat, *args)
    assert code != 0
    lines = [line for line in out.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out


def test_cli_unknown_clip(app: App, settings: Settings) -> None:
    cases.get_or_create_case(app, "A")
    code, out = _run(settings, "chrono", "add", "777", "--to", "2025-01-01T00:00Z",
                     "--confidence", "possible", "--method", "other", "--reasoning", "r",
                     "--case", "A")  # fmt: skip
    assert code != 0 and "777" in out


def test_cli_propose_is_idempotent(app: App, clip: int, settings: Settings) -> None:
    provenance.add_appearance(app, str(clip), url="https://t.me/chan/5", posted_at="2025-03-30")
    code, out = _run(settings, "chrono", "propose", str(clip))
    assert code == 0 and "Nothing new to propose." in out, out
    assert len(_proposals(app, clip, "first-appearance")) == 1
    assert datetime(2025, 3, 31, tzinfo=UTC).isoformat() in json.dumps(
        _proposals(app, clip, "first-appearance")
    )


def test_withdrawing_the_earliest_post_moves_the_pending_bound(app: App, clip: int) -> None:
    early = provenance.add_appearance(app, str(clip), url="https://t.me/a/1",
                                      posted_at="2025-03-29T10:00:00Z")  # fmt: skip
    provenance.add_appearance(app, str(clip), url="https://t.me/b/2", posted_at="2025-03-30")
    [proposal] = _proposals(app, clip, "first-appearance")
    assert proposal["latest"] == "2025-03-29T10:00:01+00:00"
    provenance.delete_appearance(app, early["id"])
    [moved] = _proposals(app, clip, "first-appearance")
    assert (moved["id"], moved["latest"]) == (proposal["id"], "2025-03-31T00:00:00+00:00")
    assert verify(app).ok
