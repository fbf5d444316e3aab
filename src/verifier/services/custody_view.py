"""The custody log as the window shows it: the events of a case, or of one clip.

``verifier log`` lists a case's events; an investigator reviewing one clip
wants only what happened to that clip: its import and analysis, exports of
its frames, and the annotations and appearances recorded on it, including
those deleted since (their events keep the clip they belonged to).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from verifier.db.models import Annotation, Appearance
from verifier.services.cases import CaseRecord
from verifier.services.clips import custody_log
from verifier.services.context import App

#: Items recorded on a clip: their own events name them, not the clip.
CLIP_ITEMS = ("annotation", "appearance")


def _mentioned_clips(value: Any) -> Iterable[int]:
    """Clip ids a custody event's details refer to (``clip_id``, ``clip`` or ``clip.id``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("clip_id", "clip") and isinstance(item, int):
                yield item
            elif key == "clip" and isinstance(item, dict) and isinstance(item.get("id"), int):
                yield item["id"]
            else:
                yield from _mentioned_clips(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mentioned_clips(item)


def custody_events(
    app: App, case: CaseRecord | None, clip_id: int | None = None
) -> list[dict[str, Any]]:
    """The custody events of a case (all when ``case`` is None), oldest first.

    With ``clip_id``, only the events about that clip: those whose target is
    the clip, those on an annotation or appearance of it (current or since
    deleted), and those whose details name it (a match found with it).
    """
    events = custody_log(app, case)
    if clip_id is None:
        return events
    owners: dict[tuple[str, str], int] = {}  # target ids are stored as text
    with app.db.read() as session:
        for kind, model in (("annotation", Annotation), ("appearance", Appearance)):
            for item_id, owner in session.execute(select(model.id, model.clip_id)):
                if owner is not None:
                    owners[(kind, str(item_id))] = owner
    for event in events:  # items deleted since: their first event named the clip
        key = (event["target_type"], str(event["target_id"]))
        if event["target_type"] in CLIP_ITEMS and key not in owners:
            mentioned = next(iter(_mentioned_clips(event["details"])), None)
            if mentioned is not None:
                owners[key] = mentioned
    chosen = []
    for event in events:
        target = (event["target_type"], str(event["target_id"]))
        if (
            target == ("clip", str(clip_id))
            or owners.get(target) == clip_id
            or clip_id in _mentioned_clips(event["details"])
        ):
            chosen.append(event)
    return chosen
