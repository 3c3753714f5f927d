"""Finding a delivery's statuses on Mastodon once the ``Idempotency-Key`` has been forgotten.

Mastodon remembers a key for an hour; after that, whether a part is out is read from the
account's own statuses, never by sending it again (which would create it when absent).
``GET /api/v1/accounts/:id/statuses`` (newest first, replies included) is read back to the first
send recorded in progress (less ``CLOCK_SKEW``), or ``LOOKUP_DEFAULT_WINDOW`` when none was
recorded. A status matches a part when its text, rendered HTML turned back into text, equals the
part's (NFC, whitespace collapsed, ``@user@server`` read as ``@user`` as Mastodon shows it), and
its source (``GET /api/v1/statuses/:id/source``, the exact text written) confirms it. Thread
parts must also reply to the part before.

How sure: certain within the window, since the account's own timeline lists every status it
made (direct messages aside, which we never post), and a status of this delivery cannot be older
than its first send. Without a recorded send, a status older than ``LOOKUP_DEFAULT_WINDOW`` would
be missed. A window holding more than ``LOOKUP_MAX_PAGES`` pages is not judged: that raises
``Permanent`` (asking again cannot help; the publish flow leaves the delivery to a person).

Apart from ``mastodon`` because turning rendered statuses back into comparable text, and paging
an account's timeline, have nothing to do with posting one.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import regex

from platforms.adapters.base import Permanent, Transient, aware
from platforms.adapters.http import PlatformHTTP, json_object
from platforms.text import extract_mentions
from platforms.text.unicode import nfc

#: ``GET /api/v1/accounts/:id/statuses`` pages hold at most 40 statuses (API docs).
STATUSES_PAGE_LIMIT = 40
#: Ours: pages read by one lookup (400 statuses) before it gives up and asks a person.
LOOKUP_MAX_PAGES = 10
#: Ours: how far back a lookup reads when the delivery recorded no send time.
LOOKUP_DEFAULT_WINDOW = timedelta(hours=48)
#: Ours: server clocks differ; a status may carry a time this much before our "sent at".
CLOCK_SKEW = timedelta(minutes=5)

_BREAK = regex.compile(r"<br\s*/?>", regex.I)
_PARAGRAPH = regex.compile(r"</p>\s*<p[^>]*>", regex.I)
_TAG = regex.compile(r"<[^>]+>")
_SPACE = regex.compile(r"\s+")


class AccountStatuses:
    """The account's own statuses, read through ``http`` with the ``auth`` headers."""

    def __init__(self, http: PlatformHTTP, auth: Callable[[], dict[str, str]]) -> None:
        self.http = http
        self._auth = auth

    def thread(self, parts: Sequence[str], *, since: datetime) -> list[dict[str, Any]]:
        """The leading parts already out (``id`` and ``url``), in order; empty: none of them."""
        account = json_object(
            self.http.request(
                "GET", "/api/v1/accounts/verify_credentials", creates=False, headers=self._auth()
            )
        )
        found: list[dict[str, Any]] = []
        for status in self._statuses_since(str(account.get("id")), since - CLOCK_SKEW):
            index = len(found)
            if index >= len(parts):
                break
            wanted_parent = found[-1]["id"] if found else None
            if status.get("in_reply_to_id") != wanted_parent:
                continue
            if self._is_part(status, parts[index]):
                found.append({"id": str(status["id"]), "url": status.get("url")})
        return found

    def _statuses_since(self, account_id: str, since: datetime) -> Iterator[dict[str, Any]]:
        """The account's statuses made at or after ``since``, oldest first."""
        window: list[dict[str, Any]] = []
        max_id: str | None = None
        for _ in range(LOOKUP_MAX_PAGES):
            params: dict[str, Any] = {"limit": STATUSES_PAGE_LIMIT}
            if max_id is not None:
                params["max_id"] = max_id
            response = self.http.request(
                "GET",
                f"/api/v1/accounts/{account_id}/statuses",
                creates=False,
                headers=self._auth(),
                params=params,
            )
            page = response.json()
            if not isinstance(page, list):
                raise Transient("Mastodon answered the account's statuses with something else")
            for status in page:
                if _created_at(status) < since:
                    yield from reversed(window)
                    return
                window.append(status)
            if len(page) < STATUSES_PAGE_LIMIT or "next" not in response.links:
                yield from reversed(window)
                return
            max_id = str(page[-1]["id"])
        raise Permanent(
            "cannot tell whether it went out: more than "
            f"{LOOKUP_MAX_PAGES * STATUSES_PAGE_LIMIT} statuses since {since:%Y-%m-%d %H:%M} UTC; "
            "check the account by hand before sending again"
        )

    def _is_part(self, status: Mapping[str, Any], part: str) -> bool:
        if _comparable(_html_text(str(status.get("content") or ""))) != _comparable(part):
            return False
        response = self.http.request(
            "GET",
            f"/api/v1/statuses/{status['id']}/source",
            creates=False,
            check=False,
            headers=self._auth(),
        )
        if response.status_code == 404:
            return True  # servers before 3.5 have no source endpoint; the rendered text matched
        self.http.check(response, creates=False)
        source = json_object(response).get("text")
        return isinstance(source, str) and _collapsed(source) == _collapsed(part)


def _created_at(status: Mapping[str, Any]) -> datetime:
    try:
        return aware(datetime.fromisoformat(str(status["created_at"]).replace("Z", "+00:00")))
    except (KeyError, ValueError):
        raise Transient("Mastodon listed a status without a readable created_at") from None


def _html_text(content: str) -> str:
    """A status's rendered HTML back to its text: line breaks, paragraphs, entities."""
    text = _PARAGRAPH.sub("\n\n", content)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def _comparable(text: str) -> str:
    """Text as Mastodon renders it: remote mentions shown as ``@user``, whitespace collapsed."""
    normalized = nfc(text)
    pieces: list[str] = []
    position = 0
    for mention in extract_mentions(normalized):
        pieces.extend((normalized[position : mention.start], "@" + mention.value.split("@")[0]))
        position = mention.end
    pieces.append(normalized[position:])
    return _collapsed("".join(pieces))


def _collapsed(text: str) -> str:
    return _SPACE.sub(" ", nfc(text)).strip()
