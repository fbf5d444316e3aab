"""Events: moments marked on a clip, with custody old/new values and version checks."""

from __future__ import annotations

import json
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from verifier.cli.main import cli
from verifier.config import Settings
from verifier.db.models import CustodyEvent, Event
from verifier.errors import VerifierError
from verifier.evidence import state
from verifier.ids import EventId
from verifier.services import cases, events, frames
from verifier.services.context import App, open_app
from verifier.services.edits import EditConflict
from verifier.services.importing import import_paths
from verifier.services.verification import verify
from verifier.tools import ffmpeg_exe


@pytest.fixture
def clip(settings: Settings, fixture_dir: Path) -> Iterator[tuple[App, int]]:
    """cut.mp4 (4 s), analysed so its frame table is stored."""
    app = open_app(settings)
    try:
        case = cases.create_case(app, "E")
        [item] = import_paths(app, [fixture_dir / "cut.mp4"], case).items
        assert item.clip_id
        yield app, item.clip_id
    finally:
        app.close()


def _log(app: App, action: str) -> list[CustodyEvent]:
    with app.db.read() as session:
        return list(session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == action).order_by(CustodyEvent.seq)
        ))  # fmt: skip


def test_add_finds_the_frame_on_screen(clip: tuple[App, int]) -> None:
    app, clip_id = clip
    done = events.add_event(app, str(clip_id), at="2.3", label="  truck enters  ", note="left")
    assert done["label"] == "truck enters" and done["at_seconds"] == 2.3
    assert done["frame_index"] == frames.frame_index_at(app, str(clip_id), "2.3")
    assert done["pts"] is not None and done["origin"] == "manual"
    [logged] = _log(app, "event.add")
    assert logged.details["event"]["label"] == "truck enters"
    assert f"event:{done['id']}" in logged.details[state.STATE_KEY]


def test_a_frame_gives_its_time(clip: tuple[App, int]) -> None:
    app, clip_id = clip
    index = frames.frame_index_at(app, str(clip_id), "1.0")
    done = events.add_event(app, str(clip_id), frame=index, label="flash")
    assert done["frame_index"] == index
    assert done["at_seconds"] == pytest.approx(1.0, abs=0.05)
    assert frames.frame_index_at(app, str(clip_id), str(done["at_seconds"])) == index


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": "9"}, "--at: 9 s is after the end of clip #"),
        ({"at": "-1"}, "--at: the time -1 is before the start of the clip"),
        ({"at": "abc"}, "--at: cannot read the time 'abc'"),
        ({"frame": 100000}, "frame 100000 is outside clip #"),
        ({}, "give the moment either as --at SECONDS or as --frame N"),
        ({"at": "1", "frame": 2}, "give the moment either as --at SECONDS or as --frame N"),
        ({"at": "1", "label": " "}, "--label: say what happens at this moment"),
    ],
)
def test_bad_moments_are_refused(clip: tuple[App, int], kwargs: dict, message: str) -> None:
    app, clip_id = clip
    kwargs = {"label": "x", **kwargs}
    with pytest.raises(VerifierError, match=message.replace("(", r"\(")):
        events.add_event(app, str(clip_id), **kwargs)
    assert events.list_events(app, str(clip_id)) == []


def test_edit_and_delete_are_logged_with_old_and_new(clip: tuple[App, int]) -> None:
    app, clip_id = clip
    done = events.add_event(app, str(clip_id), at="1", label="first")
    changed = events.edit_event(app, EventId(done["id"]), at="2.5", label="second",
                                expected_version=done["version"])  # fmt: skip
    assert changed["version"] == done["version"] + 1 and changed["at_seconds"] == 2.5
    [edit] = _log(app, "event.edit")
    assert edit.details["before"]["label"] == "first"
    assert edit.details["after"]["label"] == "second"
    assert edit.details["before"]["at_seconds"] == 1.0
    assert edit.details["after"]["frame_index"] == frames.frame_index_at(app, str(clip_id), "2.5")
    with pytest.raises(EditConflict, match="you saw version 1, it is now version 2"):
        events.edit_event(app, EventId(done["id"]), note="stale", expected_version=1)
    events.delete_event(app, EventId(done["id"]), expected_version=changed["version"])
    [gone] = _log(app, "event.delete")
    assert gone.details["deleted"]["label"] == "second"
    assert events.list_events(app, str(clip_id)) == []
    with pytest.raises(EditConflict, match=f"event #{done['id']} was deleted by tester"):
        events.edit_event(app, EventId(done["id"]), note="x", expected_version=2)
    with pytest.raises(VerifierError, match=f"no event with id {done['id']}"):
        events.delete_event(app, EventId(done["id"]))
    assert verify(app).ok


def _run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(settings.data_dir), *args])
    return result.exit_code, result.output


def test_cli_event_commands(clip: tuple[App, int], settings: Settings) -> None:
    _app, clip_id = clip
    code, out = _run(settings, "event", "add", str(clip_id), "--at", "1.5", "--label", "smoke",
                     "--note", "from the east")  # fmt: skip
    assert code == 0 and "Event added: #1 clip" in out and "1.500 s, frame" in out
    code, out = _run(settings, "event", "add", str(clip_id), "--at", "12", "--label", "late")
    assert code == 1 and "--at: 12 s is after the end of clip" in out
    code, out = _run(settings, "event", "list", "--json")
    [row] = json.loads(out)
    assert row["label"] == "smoke" and row["note"] == "from the east"
    code, out = _run(settings, "event", "edit", "1", "--label", "thick smoke")
    assert code == 0 and "thick smoke" in out
    code, out = _run(settings, "event", "edit", "1", "--note", "x", "--expected-version", "1")
    assert code == 1 and "you saw version 1" in out
    code, out = _run(settings, "event", "delete", "1")
    assert code == 0 and "Event #1 deleted." in out
    code, out = _run(settings, "event", "list", str(clip_id))
    assert code == 0 and "No events." in out


# -- candidates from the soundtrack --------------------------------------------------

RATE = 16000
BANGS = (0.8, 1.9, 3.3)


def _clip_with_bangs(out: Path) -> Path:
    """A 25 fps, 4.5 s clip whose sound is quiet noise with three sharp bangs."""
    rng = np.random.default_rng(5)
    sound = rng.normal(0, 0.005, int(4.5 * RATE))
    for t in BANGS:
        i, n = int(t * RATE), int(0.03 * RATE)
        sound[i : i + n] += rng.normal(0, 0.3, n) * np.exp(-np.arange(n) / (0.006 * RATE))
    wav = out.with_suffix(".wav")
    with wave.open(str(wav), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(np.clip(sound * 32767, -32768, 32767).astype("<i2").tobytes())
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
         "color=c=gray:s=160x120:r=25:d=4.5", "-i", str(wav), "-c:v", "libx264",
         "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)],
        check=True,
    )  # fmt: skip
    return out


def test_a_candidate_is_accepted_with_a_persons_label(app: App, tmp_path: Path) -> None:
    case = cases.create_case(app, "S")
    [item] = import_paths(app, [_clip_with_bangs(tmp_path / "bangs.mp4")], case).items
    clip_id = str(item.clip_id)
    offered = events.event_candidates(app, clip_id)
    assert [c["time"] for c in offered] == pytest.approx(BANGS, abs=0.011)
    assert all(c["accepted_as"] is None for c in offered)
    assert not any("shot" in c["description"].lower() for c in offered)
    second = offered[1]
    with pytest.raises(VerifierError, match=r"--at: no candidate at 2\.5 s"):
        events.accept_candidate(app, clip_id, 2.5, label="door slams")
    done = events.accept_candidate(app, clip_id, second["time"], label="bang, then smoke")
    assert done["origin"] == "candidate-accepted" and done["label"] == "bang, then smoke"
    assert done["at_seconds"] == second["time"]
    assert done["frame_index"] == second["frame_index"]
    assert [c["accepted_as"] for c in events.event_candidates(app, clip_id)] == [
        None, done["id"], None,
    ]  # fmt: skip
    result = CliRunner().invoke(cli, ["--data-dir", str(app.settings.data_dir), "event",
                                      "candidates", clip_id])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"(accepted as event #{done['id']})" in result.output


def test_an_item_recreated_under_a_deleted_items_id_is_recorded_as_existing(
    clip: tuple[App, int],
) -> None:
    app, clip_id = clip
    first = events.add_event(app, str(clip_id), at="1", label="first")
    with app.db.read() as session:
        old = session.get(Event, first["id"])
        assert old is not None
        session.expunge(old)
    events.delete_event(app, EventId(first["id"]))
    again = events.add_event(app, str(clip_id), at="2", label="again")
    assert again["id"] == first["id"]  # SQLite reuses the id
    with app.db.read() as session:
        new = session.get(Event, again["id"])
        entries = state.state_entries(items=[new], deleted=[old])
    assert entries == {f"event:{again['id']}": state.state_hash(new)}
    assert verify(app).ok
