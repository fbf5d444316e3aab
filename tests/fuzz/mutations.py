"""Hostile media for the fuzzing harness: mutations of real and fixture files.

Shared by the fast fuzz tests (``tests/fuzz/``, a few dozen cases in the
normal suite) and the long runs (``benchmarks/fuzz.py``, hundreds of cases
in a guarded subprocess). A case is a file name and its bytes, built from a
seed alone, so a failing case can be rebuilt from the seed its report names.

The mutations are the ways evidence arrives broken or hostile: truncated at a
random point (an interrupted download), flipped bytes (a bad disk), a
corrupted header, a header declaring an extreme picture size or frame count
(a decompression bomb), an empty file, a file without a video stream, a
still named as a video, and many tiny streams in one container. Source files
are only read; every case is written into the caller's folder.
"""

from __future__ import annotations

import random
import re
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SHARED_MEDIA = Path(__file__).resolve().parents[3] / "shared" / "media"

#: Media made once per run with FFmpeg, next to the fixtures and real media:
#: (name, FFmpeg arguments after the input options).
_MADE: dict[str, list[str]] = {
    "audio_only.m4a": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac"],
    "many_streams.mkv": [
        "-f", "lavfi", "-i", "testsrc=size=16x16:rate=5:duration=0.4",
        *[arg for i in range(24) for arg in ("-map", "0:v")],
        "-c:v", "mpeg4",
    ],
    "tiny.mp4": [
        "-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=0.5", "-c:v", "mpeg4",
    ],
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One fuzz case: what was done to which source, and the bytes to import."""

    seed: int
    source: str
    mutation: str
    name: str
    data: bytes


def make_sources(
    ffmpeg: str, fixture_dir: Path | None, work: Path, *, max_bytes: int = 8 << 20
) -> list[Path]:
    """The files mutations start from: fixtures, the real media (when present), made ones.

    ``max_bytes`` leaves out larger files (the fast tests use small ones only).
    """
    work.mkdir(parents=True, exist_ok=True)
    sources: list[Path] = []
    for name, args in _MADE.items():
        out = work / name
        if not out.exists():
            subprocess.run(
                [ffmpeg, "-v", "error", "-y", *args, str(out)], check=True, capture_output=True
            )
        sources.append(out)
    if fixture_dir is not None and fixture_dir.is_dir():
        sources += sorted(
            p
            for p in fixture_dir.iterdir()
            if p.is_file()
            and p.suffix in (".mp4", ".png", ".jpg")
            and 0 < p.stat().st_size < max_bytes
        )
    if SHARED_MEDIA.is_dir():
        sources += sorted(
            p
            for p in SHARED_MEDIA.rglob("*")
            if p.is_file() and p.suffix.lower() in (".mp4", ".avi", ".png", ".jpg")
            and 0 < p.stat().st_size < max_bytes
        )  # fmt: skip
    return sources


# -- mutations: each takes the source bytes and a random generator ---------------


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 40)):
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def _corrupt_header(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    end = min(len(out), rng.choice((16, 64, 512, 4096)))
    for _ in range(rng.randint(1, 12)):
        out[rng.randrange(end)] = rng.randrange(256)
    return bytes(out)


def _extreme(rng: random.Random) -> int:
    return rng.choice((0, 1, 65535, 65536, 30000, 2**31 - 1, 2**32 - 1, rng.randrange(2**32)))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _declared_size(data: bytes, rng: random.Random) -> bytes:
    """Rewrite the picture size a header declares (PNG IHDR, JPEG SOF, MP4 tkhd/avc1)."""
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        width, height = _extreme(rng), _extreme(rng)
        ihdr = struct.pack(">II", width, height) + bytes(out[24:29])
        return bytes(out[:8]) + _png_chunk(b"IHDR", ihdr) + bytes(out[33:])
    if data.startswith(b"\xff\xd8"):
        for match in re.finditer(rb"\xff[\xc0-\xc2]", data[:65536]):
            struct.pack_into(">HH", out, match.start() + 5, _extreme(rng) & 0xFFFF,
                             _extreme(rng) & 0xFFFF)  # fmt: skip
        return bytes(out)
    for kind, offset, fmt in ((b"tkhd", 80, ">II"), (b"avc1", 28, ">HH"), (b"mp4v", 28, ">HH")):
        for match in re.finditer(re.escape(kind), data):
            at = match.start() + offset
            if at + struct.calcsize(fmt) <= len(out):
                limit = 0xFFFF if fmt == ">HH" else 0xFFFFFFFF
                struct.pack_into(fmt, out, at, _extreme(rng) & limit, _extreme(rng) & limit)
    return bytes(out)


def _frame_count(data: bytes, rng: random.Random) -> bytes:
    """Rewrite the sample counts and durations an MP4 index declares."""
    out = bytearray(data)
    for kind, offset in ((b"stsz", 12), (b"stts", 8), (b"mdhd", 20), (b"mvhd", 16)):
        for match in re.finditer(re.escape(kind), data):
            at = match.start() + offset
            if at + 4 <= len(out):
                struct.pack_into(">I", out, at, _extreme(rng))
    if out == bytearray(data):
        return _flip(data, rng)
    return bytes(out)


def _empty(data: bytes, rng: random.Random) -> bytes:
    return b""


def _unchanged(data: bytes, rng: random.Random) -> bytes:
    return data


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": _truncate,
    "flip": _flip,
    "corrupt-header": _corrupt_header,
    "declared-size": _declared_size,
    "frame-count": _frame_count,
    "zero-length": _empty,
    "unchanged": _unchanged,
}


def build_case(seed: int, sources: list[Path]) -> Case:
    """The case of one seed: a source, a mutation and the name it is imported under.

    Stills are named as videos half the time ("images named as video").
    """
    rng = random.Random(seed)
    source = rng.choice(sources)
    mutation = rng.choice(list(MUTATIONS))
    data = MUTATIONS[mutation](source.read_bytes(), rng)
    suffix = source.suffix
    if suffix in (".png", ".jpg") and rng.random() < 0.5:
        suffix, mutation = ".mp4", f"{mutation}+named-as-video"
    name = f"case{seed}_{mutation}{suffix}"
    return Case(seed, source.name, mutation, name, data)


def is_clear_error(reason: str | None) -> bool:
    """A per-file error a person can read: one non-empty line, not a Python repr dump."""
    return bool(reason) and "\n" not in str(reason) and "Traceback" not in str(reason)


def import_case(app: object, case_record: object, case: Case, folder: Path) -> tuple[str, str]:
    """Import one case through the real import service (with analysis).

    Returns ("accepted", warnings) when the file was imported (possibly with
    warnings), ("rejected", reason) when it failed with a clear per-file
    error, and ("crashed", what) when the import raised or failed unclearly.
    """
    from verifier.services.importing import import_paths

    path = folder / case.name
    path.write_bytes(case.data)
    try:
        report = import_paths(app, [path], case_record)  # type: ignore[arg-type]
    except Exception as exc:  # the harness counts what the import let escape
        return "crashed", f"{type(exc).__name__}: {exc}"
    finally:
        path.unlink(missing_ok=True)
    if report.stopped:
        return "crashed", f"batch stopped: {report.stopped}"
    items = [item for item in report.items if item.path == str(path)]
    if len(items) != 1:
        return "crashed", f"{len(items)} summary lines for the file"
    item = items[0]
    if item.status in ("imported", "already-present"):
        return "accepted", "; ".join(item.warnings)
    if item.status == "failed" and is_clear_error(item.reason):
        return "rejected", str(item.reason)
    return "crashed", f"{item.status}: {item.reason!r}"
