"""Which answer a caller asked for: a page or JSON, read from its ``Accept`` header.

Only where one address serves both (a talent's sign-off link, opened by a browser or called
by an API client): a browser's ``Accept`` ranks ``text/html`` above everything else, an API
client's (``application/json``, or httpx's and curl's ``*/*``) does not.
"""

from __future__ import annotations


def _quality(accept: str, kind: str) -> float:
    """The quality ``accept`` gives ``kind`` (``type/subtype``): its most specific range's."""
    major = kind.split("/", 1)[0]
    best, specificity = 0.0, -1
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        media = media.lower()
        rank = {kind: 2, f"{major}/*": 1, "*/*": 0}.get(media)
        if rank is None or rank < specificity:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        best, specificity = quality, rank
    return best


def prefers_html(accept: str) -> bool:
    """Whether ``accept`` ranks an HTML page above JSON (a browser's does; ``*/*`` does not)."""
    return _quality(accept, "text/html") > _quality(accept, "application/json")
