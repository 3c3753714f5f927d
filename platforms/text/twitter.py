"""X's weighted length: twitter-text v3's ``parseTweet``, written for Python.

Why our own: the PyPI ports were checked (late 2026). ``twitter-text-py``/``twitter-text`` predate
v3 (no weights, no emoji). ``twitter-text-parser`` implements v3 and passes the conformance
suite, but its one release is from 2023: it imports ``pkg_resources`` (gone from current
setuptools), freezes emoji at Unicode 12 (2019), ships no type hints, has no mention or hashtag
extraction, and installs a module named ``twitter_text`` that clashes with the older ports. The
algorithm is small; owning it costs less than pinning that. The conformance cases of
twitter/twitter-text (``conformance/validate.yml``) are ported in
``tests/platforms/text/test_text.py``.

The algorithm, on the NFC form of the text:

- each link (see ``entities.extract_urls``, scheme or not) weighs ``X_URL_LENGTH``;
- each emoji sequence weighs ``X_DEFAULT_WEIGHT`` once, however many code points it joins;
- every other code point weighs 1 in ``X_LIGHT_RANGES`` and 2 elsewhere (CJK, most symbols);
- the sum is divided by the scale.

Emoji are recognised by Unicode properties (UTS #51) through the ``regex`` package rather than
by twitter-text's list, frozen at Unicode 12 in its last release. So emoji added since (the
phoenix ``🐦‍🔥``, new skin-tone pairs) count once, as people see them, where that list would
count each joined code point; and any well-formed ZWJ sequence or pair of regional indicators
counts once, where twitter-text counts only the sequences and country flags on its list (a made-up
flag like ``🇫🇫`` is 2 here, 4 there). Everything on twitter-text's list counts the same.
The special cases twitter-text makes
are kept: a bare ``©``/``®``/digit is text (1), followed by U+FE0F it is an emoji (2); a keycap
``1⃣`` is one emoji with or without U+FE0F; a character followed by U+FE0E (text presentation) is
not an emoji; U+FE0F is part of an emoji only after one that defaults to text (``❤️``), so
``😷️`` is an emoji and a stray selector (2 + 2).
"""

from __future__ import annotations

import regex

from platforms.text.entities import extract_urls
from platforms.text.limits import (
    X_DEFAULT_WEIGHT,
    X_LIGHT_RANGES,
    X_LIGHT_WEIGHT,
    X_SCALE,
    X_URL_LENGTH,
)
from platforms.text.unicode import nfc

# An emoji character that may stand alone: not the ASCII keycap bases nor © and ®, which are
# text unless U+FE0F follows (they sit in the light ranges, so the difference shows).
_PICTO = r"(?![#*0-9\xa9\xae])\p{Emoji}"
_ELEMENT = (
    r"(?:\p{Emoji_Modifier_Base}\ufe0f?\p{Emoji_Modifier}"  # 👋🏽
    r"|[\xa9\xae]\ufe0f"  # ©️
    # Emoji by default (😷): a U+FE0F after one is not part of it, as in twitter-text.
    rf"|(?=\p{{Emoji_Presentation}}){_PICTO}"
    # Text by default (❤): U+FE0F makes it emoji; U+FE0E (text presentation) makes it text.
    rf"|{_PICTO}(?:\ufe0f|(?!\ufe0e)))"
)
_EMOJI = regex.compile(
    r"[#*0-9]\ufe0f?\u20e3"  # keycaps
    r"|\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f"  # subdivision flags (England...)
    r"|\p{Regional_Indicator}{2}"  # country flags
    rf"|{_ELEMENT}(?:\u200d{_ELEMENT})*"  # one emoji, or a ZWJ sequence of them
)


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """Where the emoji sequences are in ``text``, each as one ``(start, end)``."""
    return [match.span() for match in _EMOJI.finditer(text)]


def _heavy_pattern() -> regex.Pattern[str]:
    light = "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in X_LIGHT_RANGES)
    return regex.compile(f"[^{light}]")


_HEAVY = _heavy_pattern()


def _plain_weight(text: str) -> int:
    """The weight of text without links or emoji: each code point light or default."""
    heavy = sum(1 for _ in _HEAVY.finditer(text))
    return X_LIGHT_WEIGHT * (len(text) - heavy) + X_DEFAULT_WEIGHT * heavy


def weighted_length(text: str) -> int:
    """The length X counts against its 280: twitter-text v3 ``weightedLength``."""
    normalized = nfc(text)
    jumps: dict[int, tuple[int, int]] = {}
    for start, end in emoji_spans(normalized):
        jumps[start] = (end, X_DEFAULT_WEIGHT)
    for url in extract_urls(normalized):  # a link wins over an emoji starting at the same place
        jumps[url.start] = (url.end, X_URL_LENGTH * X_SCALE)
    total = 0
    index = 0
    for start, (end, weight) in sorted(jumps.items()):
        if start < index:
            continue  # an emoji inside a link: the link already counted it
        total += _plain_weight(normalized[index:start]) + weight
        index = end
    total += _plain_weight(normalized[index:])
    return total // X_SCALE
