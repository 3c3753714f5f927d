"""The top-level domains a bare ``example.tld`` may end in, from the Public Suffix List.

twitter-text decides whether ``word.word`` is a link by its last label: ``example.com`` is,
``file.tar`` is not. It ships a TLD list frozen in 2020; the domains delegated since then are
links on X today. We read the ICANN section of the Public Suffix List that the
``publicsuffixlist`` package bundles and refreshes with each release (monthly or so), so keeping
current is a dependency upgrade, not an edit here. Only the ICANN section counts: the private
section lists registrable names (``github.io``), not TLDs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import publicsuffixlist

_BEGIN = "===BEGIN ICANN DOMAINS==="
_END = "===END ICANN DOMAINS==="


@cache
def top_level_domains() -> frozenset[str]:
    """Every ICANN top-level domain, lower case, IDNs in Unicode (``みんな``, ``pk``...)."""
    text = Path(publicsuffixlist.PSLFILE).read_text(encoding="utf-8")
    icann = text.split(_BEGIN, 1)[1].split(_END, 1)[0]
    found: set[str] = set()
    for line in icann.splitlines():
        rule = line.strip()
        if not rule or rule.startswith("//"):
            continue
        # A rule is a suffix like "co.uk", "*.ck" or "!www.ck": its last label is a TLD.
        found.add(rule.split()[0].rsplit(".", 1)[-1].lstrip("!*").lower())
    found.discard("")
    return frozenset(found)


def is_tld(label: str) -> bool:
    """Whether ``label`` (any case) is a delegated top-level domain or a punycode one."""
    lowered = label.lower()
    return lowered in top_level_domains() or lowered.startswith("xn--")
