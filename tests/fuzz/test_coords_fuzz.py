"""Pasted coordinates broken the ways pastes break, through the real parser.

Valid examples of every accepted form are cut, doubled, spliced, and have
characters replaced by look-alikes, controls, other scripts' digits and
letters. Each result must parse to a point on the Earth or be refused with a
one-line CoordinateError; nothing else may escape, and nothing may hang.
"""

from __future__ import annotations

import math
import random
import time

from verifier.geo.coords import CoordinateError, format_dms, location_json, parse_location

SEEDS = [
    "48.5079, 35.9131",
    "48.5079N 35.9131E",
    "35.9131E 48.5079N",
    "-33.86, 151.21",
    "48°30'28.4\"N 35°54'47.2\"E",
    "48º30′28.4″N 35˚54’47.2”E",
    "48d30m28.4sN 35d54m47.2sE",
    "48°30.473'N 35°54.787'E",
    "37U CQ 12345 67890",
    "37UCQ1234567890",
    "Z AH 00000 00000",
    "https://www.google.com/maps/place/X/@48.46,35.04,12z/data=!3d48.5079!4d35.9131",
    "https://www.openstreetmap.org/?mlat=48.5079&mlon=35.9131#map=17/48.5/35.9",
    "geo:48.5079,35.9131;u=35",
]
# Confusables and troublemakers: other digits, Cyrillic/Greek letters that look
# Latin, marks, invisible and control characters, surrogate-free astral text.
ALPHABET = list(
    "0123456789.,;:-+ NSEWnsewdms°'\"/@#=?&!%"
    "٠١٢٣٤٥٦٧٨٩０１２３４５６７８９ЕНЅΝΕ℮⁰¹²³"
    "\u00a0\u200b\u202e\ufeff\x00\x07\x1b\x7f\u2028\t\n\r"
    "−–—′″ʹʺ˚º∘🜨"
)


def mutate(text: str, rng: random.Random) -> str:
    choice = rng.randrange(7)
    i = rng.randrange(len(text) + 1)
    if choice == 0:
        return text[:i]
    if choice == 1:
        return text[i:]
    if choice == 2:
        return text[:i] + rng.choice(ALPHABET) + text[i:]
    if choice == 3 and text:
        j = min(len(text), i + rng.randrange(1, 4))
        return text[:i] + "".join(rng.choice(ALPHABET) for _ in range(j - i)) + text[j:]
    if choice == 4:
        return text + " " + rng.choice(SEEDS)
    if choice == 5:
        return text[:i] + text[i:] * rng.randrange(2, 50)
    return (
        text[:i]
        + rng.choice(["9" * rng.randrange(1, 400), "e308", "nan", "inf", ".", "--"])
        + text[i:]
    )


def test_mutated_pastes_parse_or_are_refused_on_one_line() -> None:
    rng = random.Random(13)
    parsed = refused = 0
    started = time.monotonic()
    for _ in range(6000):
        text = rng.choice(SEEDS)
        for _ in range(rng.randrange(1, 4)):
            text = mutate(text, rng)
        try:
            loc = parse_location(text)
        except CoordinateError as exc:
            message = str(exc)
            assert message and "\n" not in message and "\r" not in message, repr(text)
            assert len(message) < 400, repr(text)
            refused += 1
            continue
        assert math.isfinite(loc.lat) and -90 <= loc.lat <= 90, repr(text)
        assert math.isfinite(loc.lon) and -180 <= loc.lon <= 180, repr(text)
        # Whatever parsed can be shown in every form.
        assert location_json(loc)["dms"] == format_dms(loc.lat, loc.lon)
        parsed += 1
    assert parsed > 300 and refused > 3000  # both paths were exercised
    assert time.monotonic() - started < 60
