#!/usr/bin/env python3
"""Crash loop: SIGKILL real ``verifier`` processes at random points, then check nothing was lost.

A laptop that loses power, a user who kills a stuck window, an out-of-memory
killer: evidence work must survive all of them. This harness drives the
command line (``python -m verifier ...`` with ``VERIFIER_HOME`` a temporary
data folder) through import, analysis (``analyse --all``), matching
(``analyse CLIP``, which re-matches the clip) and edits (``annotate
add/edit/delete``, ``appearance add/edit``), and kills the running process
with SIGKILL after a random delay. Some operations are left to finish, so
that there are acknowledged writes to lose.

A write is *acknowledged* when its command exited successfully and printed
its result: the clip id and SHA-256 of an import (and the post of its yt-dlp
sidecar), the status and keyframe count of an analysis, an annotation's
rectangle, label and note, an appearance's address, time and channel, the
deletion of an annotation. What a check reads back after a restart is
committed too, so it joins the ledger (a killed edit may land or not, but
once seen it must stay). After every kill the harness checks that:

* the next start succeeds (``verifier clips --json`` works);
* ``verifier verify --json`` passes;
* every acknowledged write is intact (``clips --json``, ``annotate list
  --json``, ``posts --json``, ``matches --json``).

It prints kills, recoveries, lost acknowledged writes (must be 0), verify
failures (must be 0) and the time taken, and one line per problem naming the
operation, the point of the kill and the symptom. The exit status is 1 when
anything was lost or ``verify`` failed.

    python benchmarks/crash_loop.py [--kills N] [--seed S] [--fixtures DIR] [--shared DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURES = Path(os.environ.get("VERIFIER_FIXTURE_DIR", ROOT / "fixtures" / "out"))
DEFAULT_SHARED = ROOT.parent / "shared" / "media"
# Fixture clips that import cleanly and are small enough to analyse in a second or two.
FIXTURE_NAMES = (
    "cut.mp4",
    "offset.mp4",
    "fade.mp4",
    "meta.mp4",
    "rotated.mp4",
    "static_a.mp4",
    "static_b.mp4",
    "vfr.mp4",
    "black.mp4",
    "still.jpg",
    "still.png",
)
MEDIA_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".jpg", ".png"}
MAX_SHARED_BYTES = 4_000_000  # keep each analysis short so that kills land in every stage
CASE = "Crash loop"
ABSENT = "absent"  # the ledger state of a deleted annotation
LABELS = ("landmark", "vehicle", "building", "insignia", "text/sign", "shadow")
CHECK_TIMEOUT = 600.0


@dataclass
class Outcome:
    """What one ``verifier`` process did."""

    args: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    killed: bool
    elapsed: float
    timed_out: bool = False

    def json(self) -> Any:
        return json.loads(self.stdout)

    def last_line(self) -> str:
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        return lines[-1] if lines else f"exit status {self.returncode}, no message"


@dataclass
class Problem:
    """One finding: what was being done, where it was killed, what went wrong."""

    kind: str  # lost | verify | start | error | hang | pending
    operation: str
    kill_point: str
    symptom: str

    def line(self) -> str:
        return f"{self.kind}: {self.operation} killed {self.kill_point}: {self.symptom}"


@dataclass
class Figures:
    """The figures the loop prints and the smoke test asserts."""

    kills: int = 0
    recoveries: int = 0
    operations: int = 0
    completed: int = 0
    acknowledged: int = 0
    ledger_items: int = 0
    lost: int = 0
    verify_failures: int = 0
    start_failures: int = 0
    operation_errors: int = 0
    hangs: int = 0
    left_pending: int = 0
    seconds: float = 0.0
    kills_by_operation: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def report(self) -> str:
        by_op = ", ".join(f"{op} {n}" for op, n in sorted(self.kills_by_operation.items()))
        lines = [
            f"kills: {self.kills} ({by_op})",
            f"recoveries: {self.recoveries}",
            f"operations: {self.operations} ({self.completed} completed, "
            f"{self.acknowledged} acknowledged)",
            f"ledger: {self.ledger_items} acknowledged or observed items checked after each kill",
            f"lost acknowledged writes: {self.lost}",
            f"verify failures: {self.verify_failures}",
            f"failed starts: {self.start_failures}",
            f"operation errors (not killed, exit status non-zero): {self.operation_errors}",
            f"hangs: {self.hangs}",
            f"clips left pending by a kill (not acknowledged; to resume): {self.left_pending}",
            f"time: {self.seconds:.1f} s",
        ]
        lines += [p.line() for p in self.problems]
        return "\n".join(lines)


def say(line: str) -> None:
    """Print a progress line at once, even into a file, so a long run can be followed."""
    print(line, flush=True)


class Verifier:
    """Starts ``python -m verifier`` on one data folder, optionally killing it after a delay."""

    def __init__(self, data_dir: Path, python: str = sys.executable) -> None:
        self.python = python
        self.env = dict(os.environ)
        self.env["VERIFIER_HOME"] = str(data_dir)
        self.env["VERIFIER_ANALYST"] = "crash-loop"
        self.env.pop("VERIFIER_DATABASE_URL", None)

    def run(
        self, *args: str, kill_after: float | None = None, timeout: float = CHECK_TIMEOUT
    ) -> Outcome:
        """Run one command; with ``kill_after`` SIGKILL it (and its process group) then.

        The process gets its own session so that the kill reaches any child it
        started, and nothing else.
        """
        command = [self.python, "-m", "verifier", *args]
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        killed = timed_out = False
        try:
            out, err = proc.communicate(timeout=kill_after if kill_after is not None else timeout)
        except subprocess.TimeoutExpired:
            killed, timed_out = kill_after is not None, kill_after is None
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        elapsed = time.monotonic() - started
        return Outcome(command[3:], proc.returncode, out, err, killed, elapsed, timed_out)


@dataclass
class Ledger:
    """Acknowledged (or since observed) state, and the acceptable states of in-flight writes.

    Each entry maps an item to the set of states it may be in: one state once
    acknowledged or observed, two while a killed command may or may not have
    committed its change.
    """

    clips: dict[int, str] = field(default_factory=dict)  # clip id -> SHA-256
    analysis: dict[int, tuple[str, int | None]] = field(default_factory=dict)  # status, keyframes
    sidecar_posts: dict[str, int] = field(default_factory=dict)  # post URL -> clip id
    annotations: dict[int, set[Any]] = field(default_factory=dict)
    annotation_clip: dict[int, int] = field(default_factory=dict)
    appearances: dict[int, set[Any]] = field(default_factory=dict)
    links: set[tuple[str, str]] = field(default_factory=set)  # sorted SHA-256 pairs

    def size(self) -> int:
        return (
            len(self.clips)
            + len(self.analysis)
            + len(self.sidecar_posts)
            + len(self.annotations)
            + len(self.appearances)
            + len(self.links)
        )


def annotation_state(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["frame_index"], row["x"], row["y"], row["w"], row["h"], row["label"], row["note"])


def appearance_state(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["clip"]["id"], row["url"], row["posted_at"], row["channel"])


def collect_media(fixtures: Path | None, shared: Path | None, limit: int | None) -> list[Path]:
    """The source files: fixture clips first, then the small real clips and stills."""
    found: list[Path] = []
    if fixtures is not None:
        found += [fixtures / name for name in FIXTURE_NAMES if (fixtures / name).is_file()]
    if shared is not None and shared.is_dir():
        for path in sorted(shared.rglob("*")):
            if (
                path.is_file()
                and path.suffix.lower() in MEDIA_SUFFIXES
                and path.stat().st_size <= MAX_SHARED_BYTES
            ):
                found.append(path)
    return found[:limit] if limit else found


def stage_media(sources: Sequence[Path], folder: Path) -> list[tuple[Path, str | None]]:
    """Copy each file into its own folder, a video with a yt-dlp sidecar; return (copy, URL).

    The originals are never touched; the sidecar makes each import of a
    video also record a post, so that a lost appearance from an import is
    noticed. Stills get none: next to an ``.info.json`` yt-dlp's images are
    thumbnails, not the media.
    """
    staged: list[tuple[Path, str | None]] = []
    for number, source in enumerate(sources):
        home = folder / f"{number:03d}"
        home.mkdir(parents=True)
        copy = home / source.name
        shutil.copyfile(source, copy)
        if source.suffix.lower() in (".jpg", ".png"):
            staged.append((copy, None))
            continue
        video_id = f"crash{number:03d}"
        url = f"https://www.youtube.com/watch?v={video_id}"
        info = {
            "id": video_id,
            "title": source.stem,
            "webpage_url": url,
            "extractor": "youtube",
            "extractor_key": "Youtube",
            "uploader": f"channel {number}",
            "channel": f"channel {number}",
            "timestamp": 1_741_858_860 + number * 3600,
        }
        (home / f"{copy.stem}.info.json").write_text(json.dumps(info), encoding="utf-8")
        staged.append((copy, url))
    return staged


class CrashLoop:
    """The loop: pick an operation, maybe kill it, check everything after each kill."""

    def __init__(
        self,
        work: Path,
        media: Sequence[Path],
        *,
        seed: int,
        finish_share: float = 0.4,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.cli = Verifier(work / "data")
        self.media = stage_media(media, work / "media")
        self.finish_share = finish_share
        self.log = log or say
        self.ledger = Ledger()
        self.figures = Figures()
        self.durations: dict[str, float] = {}
        self.imported_paths: set[Path] = set()
        self.pending: set[int] = set()  # clips seen pending at the last check

    # The operations ---------------------------------------------------------

    def operations(self) -> list[tuple[str, int]]:
        """The operations possible in the current state, with their weights."""
        ops: list[tuple[str, int]] = [("import", 3)]
        if self.ledger.clips:
            ops += [("analyse --all", 1), ("analyse CLIP", 2), ("annotate add", 2)]
            ops += [("appearance add", 2)]
        if any(ABSENT not in states for states in self.ledger.annotations.values()):
            ops += [("annotate edit", 2), ("annotate delete", 1)]
        if self.ledger.appearances:
            ops.append(("appearance edit", 2))
        return ops

    def estimate(self, op: str) -> float:
        """Expected duration of an op: the mean of its completed runs, or a first guess."""
        if op in self.durations:
            return self.durations[op]
        if op == "analyse --all":
            return 1.5 + 0.8 * len(self.ledger.clips)
        return 2.5 if op.startswith(("import", "analyse")) else 1.6

    def kill_delay(self, op: str) -> float:
        """A random point: anywhere in the run, or (half the time) near its end, where it writes."""
        est = self.estimate(op)
        if self.rng.random() < 0.5:
            return self.rng.uniform(0.02, 1.1 * est)
        return self.rng.uniform(0.7 * est, 1.05 * est)

    def step(self, kills_wanted: int) -> None:
        ops = self.operations()
        op = self.rng.choices([o for o, _ in ops], weights=[w for _, w in ops])[0]
        finish = self.rng.random() < self.finish_share
        delay = None if finish else self.kill_delay(op)
        runner = getattr(self, "op_" + op.replace(" ", "_").replace("-", "").lower())
        self.figures.operations += 1
        outcome, apply = runner(delay)
        point = (
            f"at {outcome.elapsed:.2f} s (about {outcome.elapsed / self.estimate(op):.0%} of a run)"
            if outcome.killed
            else "-"
        )
        if not outcome.killed:
            old = self.durations.get(op)
            self.durations[op] = (
                outcome.elapsed if old is None else 0.7 * old + 0.3 * outcome.elapsed
            )
        if outcome.killed:
            self.figures.kills += 1
            self.figures.kills_by_operation[op] = self.figures.kills_by_operation.get(op, 0) + 1
            apply(None)
            self.log(f"kill {self.figures.kills}/{kills_wanted}: {op} {point}")
            self.check(op, point)
            return
        if outcome.timed_out:
            self.figures.hangs += 1
            self.problem("hang", op, point, "did not finish within the time limit")
            return
        self.figures.completed += 1
        apply(outcome)

    def op_import(self, delay: float | None) -> tuple[Outcome, Callable[[Outcome | None], None]]:
        fresh = [m for m in self.media if m[0] not in self.imported_paths]
        path, url = self.rng.choice(fresh or self.media)
        outcome = self.cli.run("import", "--json", str(path), kill_after=delay)

        def apply(done: Outcome | None) -> None:
            if done is None:
                return
            result = self.acknowledged(done, "import")
            if result is None:
                return
            for item in result["items"]:
                if item["status"] in ("imported", "already-present") and item["clip_id"]:
                    clip_id = int(item["clip_id"])
                    self.imported_paths.add(path)
                    self.ledger.clips[clip_id] = item["sha256"]
                    if url is not None and item["appearances"]:
                        self.ledger.sidecar_posts.setdefault(url, clip_id)
                    if item["status"] == "imported" and item["analysis_status"]:
                        self.ledger.analysis[clip_id] = (item["analysis_status"], None)

        return outcome, apply

    def op_analyse_all(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        return self._analyse(self.cli.run("analyse", "--all", "--json", kill_after=delay))

    def op_analyse_clip(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        clip_id = self.rng.choice(sorted(self.ledger.clips))
        return self._analyse(self.cli.run("analyse", str(clip_id), "--json", kill_after=delay))

    def _analyse(self, outcome: Outcome) -> tuple[Outcome, Callable[[Outcome | None], None]]:
        def apply(done: Outcome | None) -> None:
            # A failed clip makes the command exit 1 but still prints every result.
            if done is None:
                return
            try:
                results = done.json()
            except ValueError:
                self.acknowledged(done, "analyse")
                return
            self.figures.acknowledged += 1
            for r in results:
                self.ledger.analysis[int(r["clip_id"])] = (r["status"], int(r["keyframes"]))

        return outcome, apply

    def op_annotate_add(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        clip_id = self.rng.choice(sorted(self.ledger.clips)[:3])
        # Small enough for any frame, so that the stored rectangle is never clipped.
        x, y = self.rng.randrange(0, 40), self.rng.randrange(0, 40)
        rect = f"{x},{y},{self.rng.randrange(5, 40)},{self.rng.randrange(5, 40)}"
        label = self.rng.choice(LABELS)
        note = f"note {self.rng.randrange(10**6)}"
        args = ("annotate", "add", str(clip_id), "--frame", "0", "--rect", rect)
        outcome = self.cli.run(*args, "--label", label, "--note", note, "--json", kill_after=delay)

        def apply(done: Outcome | None) -> None:
            row = self.acknowledged(done, "annotate add") if done else None
            if row is not None:
                self.ledger.annotations[int(row["id"])] = {annotation_state(row)}
                self.ledger.annotation_clip[int(row["id"])] = int(row["clip_id"])

        return outcome, apply

    def _live_annotation(self) -> tuple[int, Any]:
        live = {i: s for i, s in self.ledger.annotations.items() if ABSENT not in s}
        ident = self.rng.choice(sorted(live))
        return ident, next(iter(live[ident]))

    def op_annotate_edit(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        ident, old = self._live_annotation()
        w, h = self.rng.randrange(5, 40), self.rng.randrange(5, 40)
        label = self.rng.choice(LABELS)
        note = f"edited {self.rng.randrange(10**6)}"
        args = ("annotate", "edit", str(ident), "--rect", f"{old[1]:g},{old[2]:g},{w},{h}")
        outcome = self.cli.run(*args, "--label", label, "--note", note, "--json", kill_after=delay)
        new = (old[0], old[1], old[2], float(w), float(h), label, note)

        def apply(done: Outcome | None) -> None:
            if done is None:
                self.ledger.annotations[ident] = {old, new}
                return
            row = self.acknowledged(done, "annotate edit")
            if row is not None:
                self.ledger.annotations[ident] = {annotation_state(row)}

        return outcome, apply

    def op_annotate_delete(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        ident, old = self._live_annotation()
        outcome = self.cli.run("annotate", "delete", str(ident), kill_after=delay)

        def apply(done: Outcome | None) -> None:
            if done is None:
                self.ledger.annotations[ident] = {old, ABSENT}
            elif self.acknowledged(done, "annotate delete", parse=False) is not None:
                self.ledger.annotations[ident] = {ABSENT}

        return outcome, apply

    def op_appearance_add(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        clip_id = self.rng.choice(sorted(self.ledger.clips))
        post = self.rng.randrange(10**6)
        args = ("appearance", "add", str(clip_id), "--url", f"https://t.me/crashloop/{post}")
        outcome = self.cli.run(
            *args,
            "--posted-at",
            self.random_time(),
            "--channel",
            "crashloop",
            "--json",
            kill_after=delay,
        )

        def apply(done: Outcome | None) -> None:
            row = self.acknowledged(done, "appearance add") if done else None
            if row is not None:
                self.ledger.appearances[int(row["id"])] = {appearance_state(row)}

        return outcome, apply

    def op_appearance_edit(self, delay: float | None) -> tuple[Outcome, Callable[..., None]]:
        ident = self.rng.choice(sorted(self.ledger.appearances))
        old = next(iter(self.ledger.appearances[ident]))
        when = self.random_time()
        channel = f"crashloop {self.rng.randrange(1000)}"
        args = ("appearance", "edit", str(ident), "--posted-at", when, "--channel", channel)
        outcome = self.cli.run(*args, "--json", kill_after=delay)
        new = (old[0], old[1], when.replace("Z", "+00:00"), channel)

        def apply(done: Outcome | None) -> None:
            if done is None:
                self.ledger.appearances[ident] = {old, new}
                return
            row = self.acknowledged(done, "appearance edit")
            if row is not None:
                self.ledger.appearances[ident] = {appearance_state(row)}

        return outcome, apply

    def random_time(self) -> str:
        day = self.rng.randrange(1, 28)
        return f"2025-03-{day:02d}T{self.rng.randrange(24):02d}:{self.rng.randrange(60):02d}:00Z"

    def acknowledged(self, done: Outcome | None, op: str, *, parse: bool = True) -> Any:
        """The parsed output of a command that succeeded, or None (and an error) otherwise."""
        if done is None:
            return None
        if done.returncode != 0:
            self.figures.operation_errors += 1
            self.problem("error", op, "- (not killed)", done.last_line())
            return None
        self.figures.acknowledged += 1
        return done.json() if parse else True

    def problem(self, kind: str, op: str, point: str, symptom: str) -> None:
        found = Problem(kind, op, point, symptom)
        self.figures.problems.append(found)
        self.log(found.line())

    # The checks after a kill -----------------------------------------------

    def check(self, op: str, point: str) -> None:
        """Restart, verify and compare every acknowledged write with what the CLI now shows."""
        start = self.cli.run("clips", "--json")
        try:
            clips = start.json() if start.returncode == 0 else None
        except ValueError:
            clips = None
        if clips is None:
            self.figures.start_failures += 1
            self.problem("start", op, point, f"`verifier clips --json`: {start.last_line()}")
            return
        self.figures.recoveries += 1
        verified = self.cli.run("verify", "--json")
        try:
            report = verified.json()
        except ValueError:
            report = {"ok": False, "problems": [{"message": verified.last_line()}]}
        if verified.returncode != 0 or not report.get("ok"):
            self.figures.verify_failures += 1
            messages = "; ".join(p["message"] for p in report.get("problems", [])) or "not ok"
            self.problem("verify", op, point, messages)
        self.check_pending(clips, op, point)
        lost = self.check_clips(clips) + self.check_annotations() + self.check_posts()
        lost += self.check_links()
        for symptom in lost:
            self.figures.lost += 1
            self.problem("lost", op, point, symptom)

    def check_clips(self, clips: list[dict[str, Any]]) -> list[str]:
        by_id = {int(c["id"]): c for c in clips}
        lost: list[str] = []
        for clip_id, sha in sorted(self.ledger.clips.items()):
            shown = by_id.get(clip_id)
            if shown is None or shown["sha256"] != sha:
                lost.append(f"imported clip #{clip_id} ({sha[:12]}) is gone or changed")
                self.ledger.clips.pop(clip_id)
                self.ledger.analysis.pop(clip_id, None)
        for clip_id, (status, keyframes) in sorted(self.ledger.analysis.items()):
            shown = by_id.get(clip_id)
            if shown is None:
                continue
            now = (shown["analysis_status"], int(shown["keyframes"]))
            if now[0] != status or (keyframes is not None and now[1] != keyframes):
                lost.append(
                    f"analysis of clip #{clip_id} was {status} with "
                    f"{'?' if keyframes is None else keyframes} keyframes, "
                    f"now {now[0]} with {now[1]}"
                )
            self.ledger.analysis[clip_id] = now
        return lost

    def check_pending(self, clips: list[dict[str, Any]], op: str, point: str) -> None:
        """Note each clip a kill left ``pending`` (an import or analysis that never finished).

        Not a lost write (nothing acknowledged it; a lost acknowledged analysis
        is counted by :meth:`check_clips`), but work that must be resumed.
        """
        pending = {
            int(c["id"]): c["name"]
            for c in clips
            if c["analysis_status"] == "pending" and int(c["id"]) not in self.ledger.analysis
        }
        for clip_id in sorted(set(pending) - self.pending):
            self.figures.left_pending += 1
            self.problem("pending", op, point, f"clip #{clip_id} ({pending[clip_id]}) left pending")
        self.pending = set(pending)

    def check_annotations(self) -> list[str]:
        lost: list[str] = []
        for clip_id in sorted(set(self.ledger.annotation_clip.values())):
            listed = self.cli.run("annotate", "list", str(clip_id), "--json")
            if listed.returncode != 0:
                return [f"`annotate list {clip_id}` failed: {listed.last_line()}"]
            rows = {int(r["id"]): annotation_state(r) for r in listed.json()}
            for ident, states in sorted(self.ledger.annotations.items()):
                if self.ledger.annotation_clip[ident] != clip_id:
                    continue
                now = rows.get(ident, ABSENT)
                if now not in states:
                    expected = " or ".join(sorted(map(str, states)))
                    lost.append(f"annotation #{ident} should be {expected}, is {now}")
                self.ledger.annotations[ident] = {now}
        return lost

    def check_posts(self) -> list[str]:
        listed = self.cli.run("posts", "--json")
        if listed.returncode != 0:
            return [f"`posts --json` failed: {listed.last_line()}"]
        rows = listed.json()
        by_id = {int(r["id"]): r for r in rows}
        lost: list[str] = []
        for ident, states in sorted(self.ledger.appearances.items()):
            now = appearance_state(by_id[ident]) if ident in by_id else ABSENT
            if now not in states:
                lost.append(f"appearance #{ident} should be {sorted(map(str, states))}, is {now}")
            self.ledger.appearances[ident] = {now}
        posted = {(r["url"], (r.get("clip") or {}).get("id")) for r in rows}
        for url, clip_id in sorted(self.ledger.sidecar_posts.items()):
            if (url, clip_id) not in posted:
                self.ledger.sidecar_posts.pop(url)
                lost.append(f"post {url} of imported clip #{clip_id} (its sidecar) is gone")
        return lost

    def check_links(self) -> list[str]:
        listed = self.cli.run("matches", "--json")
        if listed.returncode != 0:
            return [f"`matches --json` failed: {listed.last_line()}"]
        now = {tuple(sorted((r["clip_a"]["sha256"], r["clip_b"]["sha256"]))) for r in listed.json()}
        gone = sorted(self.ledger.links - now)
        self.ledger.links = set(now)  # type: ignore[arg-type]
        return [f"match between {a[:12]} and {b[:12]} is gone" for a, b in gone]

    def run(self, kills: int, max_operations: int | None = None) -> Figures:
        started = time.monotonic()
        created = self.cli.run("case", "new", CASE)
        if created.returncode != 0:
            raise SystemExit(f"error: cannot create the case: {created.last_line()}")
        limit = max_operations or kills * 20
        while self.figures.kills < kills and self.figures.operations < limit:
            self.step(kills)
        self.figures.ledger_items = self.ledger.size()
        self.figures.seconds = time.monotonic() - started
        return self.figures


def crash_loop(
    kills: int = 100,
    seed: int = 1,
    *,
    fixtures: Path | None = DEFAULT_FIXTURES,
    shared: Path | None = DEFAULT_SHARED,
    max_files: int | None = None,
    work: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Figures:
    """Run the loop in a temporary folder (or ``work``) and return its figures."""
    media = collect_media(fixtures, shared, max_files)
    if not media:
        raise SystemExit("error: no media found (pass --fixtures or --shared)")
    with tempfile.TemporaryDirectory(prefix="crash-loop-") as tmp:
        folder = work or Path(tmp)
        return CrashLoop(folder, media, seed=seed, log=log or say).run(kills)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to deliver (100).")
    parser.add_argument("--seed", type=int, default=1, help="Random seed (1).")
    parser.add_argument(
        "--fixtures", type=Path, default=DEFAULT_FIXTURES, help="Fixture clips (fixtures/out)."
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="Real media; files over 4 MB left out."
    )
    parser.add_argument("--max-files", type=int, help="Use at most this many source files.")
    parser.add_argument("--quiet", action="store_true", help="Print only the figures.")
    args = parser.parse_args(argv)
    log: Callable[[str], None] = (lambda _line: None) if args.quiet else say
    figures = crash_loop(
        args.kills,
        args.seed,
        fixtures=args.fixtures,
        shared=args.shared,
        max_files=args.max_files,
        log=log,
    )
    print(figures.report())
    return 0 if figures.lost == 0 and figures.verify_failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
