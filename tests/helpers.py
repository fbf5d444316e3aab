"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from verifier.services import cases
from verifier.services.context import App
from verifier.services.importing import import_paths


def import_one(app: App, path: Path, *, analyse: bool = True) -> int:
    """Import one file into case "A" and return its clip id; the import must succeed."""
    case = cases.get_or_create_case(app, "A")
    [item] = import_paths(app, [path], case, analyse=analyse).items
    assert item.status == "imported", item
    assert item.clip_id is not None
    return item.clip_id
