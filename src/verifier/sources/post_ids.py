"""The posting time some platforms encode in a post's id.

A sidecar's time can be missing (youtube-dl wrote none for tweets) or wrong
(a re-upload's date, a local clock); the id the platform handed out when the
post was made cannot drift. Three id schemes carry the time:

* **X / Twitter** status ids are snowflakes: the bits above the lowest 22 are
  milliseconds since 2010-11-04T01:42:54.657Z. Tweets made before the switch
  in November 2010 have small sequential ids that encode nothing; every id up
  to 29,700,859,247 (the last sequential one) is refused rather than read as
  a time on 4 November 2010.
* **TikTok** video ids: the bits above the lowest 32 are Unix seconds.
* **Discord** ids are snowflakes: milliseconds since 2015-01-01T00:00:00Z
  above the lowest 22 bits.

Times are UTC. X and Discord ids are exact to the millisecond, TikTok ids to
the second; both are reported with precision "second" (the finest a posting
time has in Verifier), the milliseconds kept in the value. An id whose time
would lie before the scheme existed, or in the future, is refused with a
reason: a malformed or mistyped id must not become a confident date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from verifier.sources import TimePrecision

__all__ = [
    "IdTime",
    "IdTimeRefused",
    "compare_times",
    "post_id_from_url",
    "time_from_post_id",
    "time_from_url",
]

X_EPOCH_MS = 1288834974657  # 2010-11-04T01:42:54.657Z
DISCORD_EPOCH_MS = 1420070400000  # 2015-01-01T00:00:00Z
#: The last sequential (pre-snowflake) tweet id; ids up to it encode no time.
X_LAST_SEQUENTIAL_ID = 29_700_859_247
#: TikTok (and its id scheme) did not exist before this: an earlier time is a bad id.
TIKTOK_FIRST = datetime(2016, 1, 1, tzinfo=UTC)
#: A post id never encodes a time ahead of the clock, beyond this much clock skew.
FUTURE_SKEW = timedelta(minutes=5)
_MAX_ID = 2**64 - 1  # all three schemes are unsigned 64-bit integers
_DIGITS = re.compile(r"[0-9]{1,20}")

_METHOD = {
    "x": "post id (X snowflake)",
    "tiktok": "post id (TikTok video id)",
    "discord": "post id (Discord snowflake)",
}
PRECISION_SPAN: dict[str, timedelta] = {
    "millisecond": timedelta(milliseconds=1),
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "date": timedelta(days=1),
}


@dataclass(frozen=True)
class IdTime:
    """The UTC time a post id encodes, how precise it is and how it was read."""

    platform: str
    post_id: str
    when: datetime
    precision: TimePrecision
    method: str  # "post id (X snowflake)", "post id (TikTok video id)"...


@dataclass(frozen=True)
class IdTimeRefused:
    """An id of a platform that encodes times, which encodes none we can trust."""

    platform: str
    post_id: str
    reason: str


def time_from_post_id(
    platform: str | None, post_id: str | int | None, *, now: datetime | None = None
) -> IdTime | IdTimeRefused | None:
    """The time ``post_id`` of ``platform`` encodes.

    None when the platform's ids encode no time (YouTube, Telegram...) or the
    id is not a decimal number (an X broadcast id, a TikTok short link);
    :class:`IdTimeRefused` when it is a number of the right platform that
    cannot be a genuine id of a post (too small, before the scheme existed,
    in the future).
    """
    name = (platform or "").strip().lower()
    if name == "twitter":
        name = "x"
    if name not in _METHOD or post_id is None or isinstance(post_id, bool):
        return None
    text = str(post_id).strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    if number > _MAX_ID:
        return IdTimeRefused(name, text, f"post id {text} is larger than a 64-bit id")
    if name == "x":
        if number <= X_LAST_SEQUENTIAL_ID:
            return IdTimeRefused(
                name,
                text,
                f"post id {text} is a sequential tweet id from before November 2010, "
                "not a snowflake: it encodes no time",
            )
        when = _from_ms((number >> 22) + X_EPOCH_MS)
    elif name == "discord":
        if number >> 22 == 0:
            return IdTimeRefused(name, text, f"post id {text} is too small to be a snowflake")
        when = _from_ms((number >> 22) + DISCORD_EPOCH_MS)
    else:
        when = datetime.fromtimestamp(number >> 32, UTC)
        if when < TIKTOK_FIRST:
            return IdTimeRefused(
                name, text, f"post id {text} encodes {_iso(when)}, before TikTok existed"
            )
    limit = (now or datetime.now(UTC)) + FUTURE_SKEW
    if when > limit:
        return IdTimeRefused(name, text, f"post id {text} encodes {_iso(when)}, in the future")
    return IdTime(name, text, when, "second", _METHOD[name])


def post_id_from_url(url: str | None) -> tuple[str, str] | None:
    """(platform, post id) of an X status, TikTok video or Discord message address.

    Only addresses whose path names the post itself count: a profile, a
    short link (vm.tiktok.com) or a search page gives None.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip() if "//" in url else "https://" + url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    host = host.removeprefix("www.").removeprefix("mobile.").removeprefix("m.")
    segments = [s for s in parts.path.split("/") if s]
    if host in ("x.com", "twitter.com", "fxtwitter.com", "vxtwitter.com", "fixupx.com"):
        # /<user>/status/<id>, /i/web/status/<id>, /<user>/status/<id>/video/1
        for index, segment in enumerate(segments[:-1]):
            if segment in ("status", "statuses") and _DIGITS.fullmatch(segments[index + 1]):
                return "x", segments[index + 1]
        return None
    if host == "tiktok.com":
        # /@<user>/video/<id>, /@<user>/photo/<id>, /embed/v2/<id>, /v/<id>.html
        for index, segment in enumerate(segments[:-1]):
            candidate = segments[index + 1].removesuffix(".html")
            if segment in ("video", "photo", "v", "v2") and _DIGITS.fullmatch(candidate):
                return "tiktok", candidate
        return None
    discord = host.removeprefix("ptb.").removeprefix("canary.") in ("discord.com", "discordapp.com")
    # /channels/<guild or @me>/<channel>/<message>
    if (
        discord
        and len(segments) == 4
        and segments[0] == "channels"
        and _DIGITS.fullmatch(segments[3])
    ):
        return "discord", segments[3]
    return None


def time_from_url(url: str | None, *, now: datetime | None = None) -> IdTime | IdTimeRefused | None:
    """The time the post id in ``url`` encodes; None for other addresses."""
    found = post_id_from_url(url)
    if found is None:
        return None
    return time_from_post_id(found[0], found[1], now=now)


DISAGREEMENT_MARK = "disagrees with the time in post id"
"""The words every disagreement warning carries, so a display can tell one apart."""


def compare_times(
    stated: datetime, stated_precision: str, id_time: IdTime, *, source: str
) -> str | None:
    """A warning when a stated posting time and the id's time cannot both be right.

    Each time stands for an interval as long as its precision (a date is the
    whole day, a second the whole second); they agree when the intervals
    overlap, so only a difference beyond the coarser precision is flagged.
    ``source`` names where the stated time came from ("timestamp", "the
    time given").
    """
    stated_end = stated + PRECISION_SPAN.get(stated_precision, timedelta(0))
    id_end = id_time.when + PRECISION_SPAN.get(id_time.precision, timedelta(0))
    if stated <= id_end and id_time.when <= stated_end:
        return None
    gap = max(stated - id_end, id_time.when - stated_end)
    return (
        f"posting time from {source} ({_iso(stated)}, {stated_precision}) {DISAGREEMENT_MARK} "
        f"{id_time.post_id} ({_iso(id_time.when)}, {id_time.method}) "
        f"by at least {_duration(gap)}"
    )


def _from_ms(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def _iso(when: datetime) -> str:
    """UTC ISO 8601 with milliseconds only when there are any."""
    spec = "milliseconds" if when.microsecond else "seconds"
    text = when.astimezone(UTC).isoformat(timespec=spec)
    return text.replace("+00:00", "Z")


def _duration(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
