"""Hostile sidecars and user text, generated with Hypothesis, through the real import.

Each example writes a folder holding one small clip, a link pointing out of
the folder and one hostile sidecar (a yt-dlp ``.info.json``, a Telegram
``result.json`` or a manifest) whose values are path traversals, absolute
paths, the escaping link, huge strings, wrong types, deep nesting, control
characters or invalid UTF-8. The import must finish: the clip imported, the
sidecar's problems reported per file, no record pointing outside the folder,
and ``verify`` clean afterwards. Typed-in text (case names, hand-made
appearances) must be accepted or refused with a VerifierError.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mutations import is_clear_error
from sqlalchemy import select

from verifier.config import load_settings
from verifier.db.models import Appearance
from verifier.errors import VerifierError
from verifier.services import cases
from verifier.services.context import App, open_app
from verifier.services.importing import import_paths
from verifier.services.provenance import add_appearance
from verifier.services.verification import verify

HOSTILE_PATHS = st.sampled_from(
    [
        "../../etc/passwd", "/etc/passwd", "link_out.mp4", "clip.mp4", "./clip.mp4",
        "video_files/../../clip.mp4", "C:\\Windows\\win.ini", "clip.mp4\x00.txt", "",
        "clip.mp4/..", "~/.ssh/id_rsa", "\\\\server\\share\\x.mp4", "a" * 5000,
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),  # control characters
    st.just("x" * 300_000),  # huge
    HOSTILE_PATHS,
)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True), TEXT,
)  # fmt: skip
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"x": value}
    return value


def _dumps(value: Any) -> str:
    """JSON text of a value, however deep (the encoder itself recurses)."""
    if isinstance(value, dict) and set(value) == {"x"}:
        depth, inner = 0, value
        while isinstance(inner, dict) and set(inner) == {"x"}:
            depth, inner = depth + 1, inner["x"]
        return '{"x":' * depth + json.dumps(inner) + "}" * depth
    return json.dumps(value)


FIELD_VALUE = st.one_of(VALUE, st.integers(1000, 6000).map(_deep))


@st.composite
def ytdlp_sidecars(draw: st.DrawFn) -> tuple[str, bytes]:
    fields = draw(st.dictionaries(
        st.sampled_from(["id", "title", "webpage_url", "timestamp", "upload_date", "uploader",
                         "channel_id", "description", "_filename", "filename", "extractor",
                         "requested_downloads", "_type", "entries"]),
        FIELD_VALUE, max_size=8,
    ))  # fmt: skip
    body = "{" + ",".join(f"{json.dumps(k)}:{_dumps(v)}" for k, v in fields.items()) + "}"
    return "clip.info.json", _mangle(draw, body)


@st.composite
def telegram_exports(draw: st.DrawFn) -> tuple[str, bytes]:
    messages = []
    for ident in range(draw(st.integers(0, 3))):
        message = {
            "id": draw(st.one_of(st.just(ident + 1), SCALAR)), "type": "message",
            "date_unixtime": draw(st.one_of(st.just("1741866067"), SCALAR)),
            "file": draw(st.one_of(HOSTILE_PATHS, SCALAR)),
            "text": draw(st.one_of(TEXT, VALUE)), "from": draw(TEXT),
        }  # fmt: skip
        extra = draw(st.one_of(st.none(), FIELD_VALUE))
        messages.append(_dumps(message)[:-1] + (f',"extra":{_dumps(extra)}' if extra else "") + "}")
    name = _dumps(draw(st.one_of(TEXT, VALUE)))
    body = f'{{"name":{name},"type":"public_channel","id":1,"messages":[{",".join(messages)}]}}'
    return "result.json", _mangle(draw, body)


@st.composite
def manifests(draw: st.DrawFn) -> tuple[str, bytes]:
    rows = draw(st.lists(st.dictionaries(
        st.sampled_from(["path", "url", "platform", "posted_at", "channel", "notes", "other"]),
        st.one_of(HOSTILE_PATHS, TEXT), min_size=1, max_size=6,
    ), max_size=3))  # fmt: skip
    if draw(st.booleans()):
        return "manifest.json", _mangle(draw, json.dumps(rows))
    header = ["path", "url", "posted_at", "notes"]
    lines = [",".join(header)] + [
        ",".join(json.dumps(str(row.get(col, ""))) for col in header) for row in rows
    ]
    return "manifest.csv", _mangle(draw, "\n".join(lines))


def _mangle(draw: st.DrawFn, text: str) -> bytes:
    """The sidecar's bytes, sometimes with invalid UTF-8 or cut short."""
    data = text.encode("utf-8", "surrogatepass")
    how = draw(st.sampled_from(["as-is", "as-is", "invalid-utf8", "truncated"]))
    if how == "invalid-utf8" and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff\xc3\x28" + data[at:]
    elif how == "truncated" and data:
        data = data[: draw(st.integers(0, len(data)))]
    return data


def _import_sidecar(fixtures: Path, name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / ("export" if name == "result.json" else "in")
        folder.mkdir()
        shutil.copy(fixtures / "cut.mp4", folder / "clip.mp4")
        if name == "result.json":
            (folder / "video_files").mkdir()
            shutil.copy(fixtures / "static_b.mp4", folder / "video_files" / "clip.mp4")
        outside = root / "outside.mp4"
        shutil.copy(fixtures / "static_a.mp4", outside)
        (folder / "link_out.mp4").symlink_to(outside)
        (folder / name).write_bytes(data)
        app = open_app(load_settings(data_dir=root / "data", analyst="fuzz"))
        try:
            case = cases.create_case(app, "fuzz")
            report = import_paths(app, [folder], case, analyse=False)
            assert report.stopped is None
            statuses = {Path(i.path).name: i.status for i in report.items}
            assert statuses["clip.mp4"] == "imported"
            assert statuses["link_out.mp4"] == "failed"  # a link out is never followed
            for item in report.failed:
                assert is_clear_error(item.reason), item
            with app.db.read() as session:
                for raw in session.scalars(select(Appearance.raw_sidecar)):
                    assert str(outside) not in json.dumps(raw)
            assert verify(app).ok
        finally:
            app.close()


# No shrinking: a failing example is printed as generated, and the suite stays fast.
FUZZ = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    database=None, phases=[Phase.explicit, Phase.generate],
)  # fmt: skip


@FUZZ
@given(ytdlp_sidecars())
def test_hostile_ytdlp_sidecars(fixture_dir: Path, sidecar: tuple[str, bytes]) -> None:
    _import_sidecar(fixture_dir, *sidecar)


@FUZZ
@given(telegram_exports())
def test_hostile_telegram_exports(fixture_dir: Path, sidecar: tuple[str, bytes]) -> None:
    _import_sidecar(fixture_dir, *sidecar)


@FUZZ
@given(manifests())
def test_hostile_manifests(fixture_dir: Path, sidecar: tuple[str, bytes]) -> None:
    _import_sidecar(fixture_dir, *sidecar)


def _accepted_or_refused(app: App, action: Any) -> None:
    try:
        action()
    except VerifierError as exc:
        assert is_clear_error(str(exc)), exc


@settings(max_examples=15, deadline=None, database=None, phases=[Phase.explicit, Phase.generate])
@given(name=TEXT, url=TEXT, channel=TEXT, posted_at=TEXT, caption=TEXT)
def test_hostile_user_text(
    tmp_path_factory: Any,
    fixture_dir: Path,
    name: str,
    url: str,
    channel: str,
    posted_at: str,
    caption: str,
) -> None:
    root = tmp_path_factory.mktemp("text")
    app = open_app(load_settings(data_dir=root / "data", analyst="fuzz"))
    try:
        _accepted_or_refused(app, lambda: cases.create_case(app, name))
        case = cases.get_or_create_case(app, "fuzz")
        [item] = import_paths(app, [fixture_dir / "still.png"], case, analyse=False).items
        assert item.status == "imported", item.reason
        clip = str(item.clip_id)
        _accepted_or_refused(
            app,
            lambda: add_appearance(
                app,
                clip,
                case=case,
                url=url,
                channel=channel,
                posted_at=posted_at or None,
                caption=caption,
            ),
        )
        assert verify(app).ok
    finally:
        app.close()
