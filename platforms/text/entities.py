"""Links, mentions and hashtags in a post, with their spans.

Spans are Python string indices (code points) into the text you pass; pass the NFC text, which is
what we count and publish. Platforms need these for three things: counting (X and Mastodon count
every link as 23 characters), keeping them whole when a long text is split into a thread, and
Bluesky's facets, without which a link in a Bluesky post is plain text.

**Links** follow twitter-text's extraction rules (``extractUrlsWithIndices`` in twitter/
twitter-text), because X's count depends on exactly which substrings X sees as links:

- with ``http://`` or ``https://``, or without a scheme (``example.com/path``); without one, the
  domain must be ASCII (Latin accents allowed) and not follow ``-``, ``_``, ``.`` or ``/``;
- the last label must be a delegated top-level domain (``file.tar`` is not a link), see
  ``tlds.py``; a label of the domain may not be longer than 63 characters once punycoded;
- not right after a letter, a digit, ``@``, ``$`` or ``#`` (so not in e-mail addresses, cashtags
  or hashtags);
- the path and query stop before trailing punctuation (``example.com/a.`` links
  ``example.com/a``), keep balanced parentheses (``/wiki/Primer_(film)``), and a ``t.co`` link
  stops after its slug.

**Mentions** are the union of what the platforms we publish to call a mention: ``@user`` (X,
Instagram), ``@user@instance.social`` (the fediverse: Mastodon, Threads) and
``@alice.bsky.social`` (Bluesky handles are domains). A text is written once and may go to all of
them, so the wider reading is the safe one for keeping mentions whole; it differs from
twitter-text in one way: twitter-text does not see ``@user@domain`` as a mention, we do.

**Hashtags** follow twitter-text (``#`` then letters, marks, digits and a few joiners, at least one
letter; not after a letter, digit or ``&``; not followed by ``#`` or ``://``), which is also a
good reading of Instagram's and Bluesky's.

Entities inside a link (``example.com/#top``, ``example.com/@user/``) belong to the link.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

import regex

from platforms.text.tlds import is_tld, top_level_domains

EntityKind = Literal["url", "mention", "hashtag"]


@dataclass(frozen=True, slots=True)
class Entity:
    """One link, mention or hashtag: ``text[start:end]`` as written, and what it points at.

    ``value`` is, for a link, the URL with a scheme (``https://`` added when it had none); for a
    mention, the handle without the ``@`` (``user``, ``user@instance.social`` or
    ``alice.bsky.social``); for a hashtag, the tag without the ``#``.
    """

    kind: EntityKind
    start: int
    end: int
    text: str
    value: str


# --- character classes (twitter-text's regexp/*.js, restated) ---------------------------------

_SPACES = r"\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = r"\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
# twitter-text's list lacks the double quote (it has the apostrophe twice); we include it.
_PUNCT = r"!\"'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_LATIN = (
    r"\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    r"\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = r"\u0400-\u04ff"

_DOMAIN_CHAR = rf"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
# Labels are written unambiguously and atomically: a label is followed by "." and no label
# character is ".", so nothing is lost, and a 12,000-character "domain" costs linear time.
_SUBDOMAIN = rf"(?>{_DOMAIN_CHAR}+(?:[_-]+{_DOMAIN_CHAR}+)*)\."
_DOMAIN_NAME = rf"(?>{_DOMAIN_CHAR}+(?:-+{_DOMAIN_CHAR}+)*)\."
_PUNYCODE = r"xn--[0-9a-z-]+"
_TLD_END = r"(?=[^0-9a-z@+-]|$)"

_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN}]"
_BALANCED_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"(?:[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN}]|{_BALANCED_PARENS})"
_PATH = rf"(?:{_PATH_CHAR}*(?:{_BALANCED_PARENS}{_PATH_CHAR}*)*{_PATH_END}|@{_PATH_CHAR}+/)"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"

_SPACE_FREE_RUN = regex.compile(rf"[^{_SPACES}]+")
_NOT_BEFORE_URL = regex.compile(rf"[A-Za-z0-9@\uff20$#\uff03{_INVALID}]")
_URL_PRECEDING = rf"(?<!{_NOT_BEFORE_URL.pattern})"
_NO_SCHEME_BAD_PRECEDING = frozenset("-_./")
_TCO = regex.compile(rf"^https?://t\.co/([a-z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?", regex.I)
_TCO_MAX_SLUG = 40
_MAX_URL_LENGTH = 4096
_MAX_LABEL_LENGTH = 63

_HASHTAG_CHARS = (
    r"\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0"
    r"\u30fb\u3003\u0f0b\u0f0c\u00b7"
)
_HASHTAG = regex.compile(
    rf"(?:(?<=[\ufe0e\ufe0f])|(?<![&{_HASHTAG_CHARS}]))"
    rf"[#\uff03](?![\ufe0f\u20e3])(?P<tag>[{_HASHTAG_CHARS}]++)(?![#\uff03]|://)"
)
_HAS_LETTER = regex.compile(r"[\p{L}\p{M}]")

_MENTION = regex.compile(
    r"(?:(?<![A-Za-z0-9_!#$%&*@\uff20=/])|(?<=(?:^|[^A-Za-z0-9_+~.-])(?:rt|RT|rT|Rt):?))"
    r"[@\uff20](?P<user>[A-Za-z0-9_]++(?:[.-]++[A-Za-z0-9_]++)*+)"
    r"(?:@(?P<domain>[A-Za-z0-9]++(?:[.-]++[A-Za-z0-9]++)*+))?"
    rf"(?![@\uff20{_LATIN}]|://)"
)


@cache
def _tld_pattern() -> str:
    """Every TLD as one alternation, longest first so ``.community`` is not read as ``.com``."""
    names = sorted(top_level_domains(), key=lambda name: (-len(name), name))
    return "(?:" + "|".join(regex.escape(name) for name in names) + f"|{_PUNYCODE})"


@cache
def _url_pattern() -> regex.Pattern[str]:
    """The link pattern; built on first use, since the TLD alternation takes a moment."""
    tld = _tld_pattern() + _TLD_END
    return regex.compile(
        _URL_PRECEDING + r"(?P<url>(?P<scheme>https?://)?"
        rf"(?P<domain>(?:{_SUBDOMAIN})*{_DOMAIN_NAME}{tld})"
        r"(?::[0-9]+)?"
        rf"(?P<path>/{_PATH}*)?"
        rf"(?:\?{_QUERY_CHAR}*{_QUERY_END})?)",
        regex.I,
    )


@cache
def _ascii_domain_pattern() -> regex.Pattern[str]:
    """What a link without a scheme must have as its domain: ASCII labels, Latin accents."""
    return regex.compile(rf"(?:[\-a-z0-9{_LATIN}]+\.)+{_tld_pattern()}{_TLD_END}", regex.I)


def _ascii_domain_length(domain: str) -> int | None:
    """The domain's length once punycoded, or ``None`` if it cannot be a DNS name.

    twitter-text's IDNA check: every label non-empty and at most 63 characters punycoded, and a
    label written in punycode (``xn--``) holds no Unicode.
    """
    if domain[:4].lower() == "xn--" and not domain.isascii():
        return None
    total = 0
    for label in domain.split("."):
        try:
            length = len(label) if label.isascii() else 4 + len(label.lower().encode("punycode"))
        except UnicodeError:
            return None
        if not 0 < length <= _MAX_LABEL_LENGTH:
            return None
        total += length + 1
    return total - 1


def _url_matches(text: str) -> Iterator[regex.Match[str]]:
    """Candidate links, scanned as twitter-text scans them.

    twitter-text's pattern consumes the character before a link, so a link never starts right
    where the previous candidate ended: ``example.com/日本語example.com`` is one candidate plus
    ``日本語example.com`` (from which ``example.com`` is taken), not a second candidate after
    the ``/``.
    """
    pattern = _url_pattern()
    position = 0
    # At the very start the pattern first tries to consume the first character as the one before
    # a link, and only then a link at 0: "ßexample.com" links "example.com".
    if len(text) > 1 and not _NOT_BEFORE_URL.match(text):
        first = pattern.match(text, 1)
        if first is not None:
            yield first
            position = first.end()
    # A link never spans a space, so only the space-free runs with a dot need the (slow) pattern.
    for run in _SPACE_FREE_RUN.finditer(text):
        run_end = run.end()
        if run_end <= position or "." not in run.group():
            continue
        search_from = max(run.start(), position)
        while (match := pattern.search(text, search_from, run_end)) is not None:
            if position and match.start() == position:
                match = pattern.search(text, position + 1, run_end)
                if match is None:
                    break
            yield match
            position = search_from = match.end()


def extract_urls(text: str, *, without_scheme: bool = True) -> list[Entity]:
    """The links in ``text``, in order; ``without_scheme=False`` keeps only ``http(s)://`` ones.

    Mastodon gives its 23-character allowance only to links with a scheme, hence the switch.
    """
    if "." not in text:
        return []
    found: list[Entity] = []
    for match in _url_matches(text):
        url, scheme, domain = match.group("url"), match.group("scheme"), match.group("domain")
        start, end = match.span("url")
        ascii_length = _ascii_domain_length(domain)
        if ascii_length is None:
            continue
        if len(scheme or "https://") + len(url) - len(domain) + ascii_length > _MAX_URL_LENGTH:
            continue
        if scheme:
            tco = _TCO.match(url)
            if tco:
                if len(tco.group(1)) > _TCO_MAX_SLUG:
                    continue
                end = start + tco.end()
            found.append(_link(text, start, end, has_scheme=True))
        elif without_scheme and text[start - 1 : start] not in _NO_SCHEME_BAD_PRECEDING:
            found.extend(_schemeless(text, match))
    return found


def _schemeless(text: str, match: regex.Match[str]) -> Iterator[Entity]:
    """Links without a scheme: the ASCII domains inside the match, the last one with the path.

    ``日本語example.com`` links ``example.com``: only the ASCII part of a domain counts when no
    scheme says "this is a link". As in twitter-text, the port and query join the link only when
    a path does (``example.com?q=1`` links ``example.com``).
    """
    domain_start, domain_end = match.span("domain")
    domains = list(_ascii_domain_pattern().finditer(text, domain_start, domain_end))
    for index, ascii_domain in enumerate(domains):
        start, end = ascii_domain.span()
        if index == len(domains) - 1 and match.group("path"):
            end = match.end("url")
        yield _link(text, start, end, has_scheme=False)


def _link(text: str, start: int, end: int, *, has_scheme: bool) -> Entity:
    written = text[start:end]
    return Entity("url", start, end, written, written if has_scheme else "https://" + written)


def extract_mentions(text: str) -> list[Entity]:
    """``@user``, ``@user@instance.social`` and ``@handle.bsky.social``, in order."""
    if "@" not in text and "\uff20" not in text:
        return []
    found = []
    for match in _MENTION.finditer(text):
        domain = match.group("domain")
        if domain is not None and ("." not in domain or not is_tld(domain.rsplit(".", 1)[-1])):
            continue
        start, end = match.span()
        value = match.group("user") + (f"@{domain}" if domain else "")
        found.append(Entity("mention", start, end, text[start:end], value))
    return found


def extract_hashtags(text: str) -> list[Entity]:
    """``#tag`` (or with the full-width number sign U+FF03) with a letter in it, in order."""
    if "#" not in text and "\uff03" not in text:
        return []
    found = []
    for match in _HASHTAG.finditer(text):
        tag = match.group("tag")
        if _HAS_LETTER.search(tag):
            start, end = match.span()
            found.append(Entity("hashtag", start, end, text[start:end], tag))
    return found


def extract_entities(text: str) -> list[Entity]:
    """Links, mentions and hashtags in order, none overlapping: a link keeps what is inside it."""
    urls = extract_urls(text)
    others = [
        entity
        for entity in (*extract_mentions(text), *extract_hashtags(text))
        if not any(url.start < entity.end and entity.start < url.end for url in urls)
    ]
    return sorted((*urls, *others), key=lambda entity: entity.start)
