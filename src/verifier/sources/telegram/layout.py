"""What Telegram Desktop writes into an export folder besides the posts' evidence.

An export folder holds the media of every post: videos (``video_files/``),
round video messages (``round_video_messages/``) and photos (``photos/``),
which are evidence, but also stickers, voice messages, profile pictures and
``*_thumb.jpg`` previews of videos, which are not. A folder import walks the
whole export; without this knowledge an animated sticker (``.tgs``, gzipped
Lottie JSON) or a voice message (``.ogg``, audio only) fails as "not a clip"
and makes the whole import look broken, while a ``.webp`` sticker is stored
as if it were a photo of the scene. :func:`not_evidence` names what such a
file is, so that the import can skip it with that reason.

Full exports keep each chat's media under ``chats/chat_NNN/``; the folder a
file sits in is what tells its kind, wherever that folder is in the export.
"""

from __future__ import annotations

from pathlib import PurePath

#: Media folders of an export whose files are never evidence, and what they hold.
NOT_EVIDENCE_FOLDERS: dict[str, str] = {
    "stickers": "a Telegram sticker",
    "voice_messages": "a Telegram voice message (audio only)",
    "profile_pictures": "a Telegram profile picture",
    "userpics": "a Telegram profile picture",
}


def not_evidence(path: PurePath, export_root: PurePath) -> str | None:
    """Why a file inside a Telegram Desktop export folder is not evidence, or None.

    ``path`` must lie inside ``export_root`` (the folder holding
    ``result.json``); both are compared as given, without touching the disk.
    The reason names what the file is, e.g. "a Telegram voice message (audio
    only), not evidence". Files outside the export, and videos, round
    videos, photos and other files of posts, give None.
    """
    try:
        relative = path.relative_to(export_root)
    except ValueError:
        return None
    name = path.name.lower()
    if name.endswith(".tgs"):
        return "an animated Telegram sticker (.tgs), not evidence"
    if name.endswith("_thumb.jpg"):
        return "a preview image Telegram Desktop writes beside a video, not evidence"
    parts = relative.parts
    if len(parts) < 2:
        return None  # result.json, messages.html ... are read as the export's sidecars
    what = NOT_EVIDENCE_FOLDERS.get(parts[-2].lower())
    if what is not None:
        return f"{what}, not evidence"
    return None
