"""Meta's Graph API (Facebook Pages, Instagram, Threads): the connection the three adapters share.

**Errors.** The Graph API answers most failures with HTTP 400 and a body
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``, so the *code* says
what happened, not the status:

- 190 (invalid OAuth token: expired, revoked, password changed) and 102 (API session) →
  ``AuthExpired``;
- 4 (app), 17 (user), 32 (Page), 613 (custom) and the Business Use Case codes 80001 (Pages) and
  80002 (Instagram) → ``RateLimited``, waiting ``estimated_time_to_regain_access`` minutes from
  the ``X-Business-Use-Case-Usage`` header when Meta says, else ``Retry-After``, else
  ``THROTTLE_WAIT`` (Meta's windows roll over an hour);
- code 9 with subcode 2207042 (Instagram's daily publishing limit) → ``RateLimited``;
- code 9007 with subcode 2207027 (Instagram: the media is not ready) → ``Transient``;
- ``is_transient: true`` → ``Transient`` on a read, ``Unknown`` on a create;
- anything else → ``PlatformHTTP.check`` (5xx ``Unknown``/``Transient``, other 4xx ``Permanent``
  with Meta's message, code, subcode and ``fbtrace_id`` for a support request).

**Listings** (an account's posts, newest first) are read page after page, up to ``MAX_PAGES``,
following ``paging.next`` only on the API's own host.

The access token goes in the ``Authorization`` header; only the two token exchanges put it in
the query string, because Meta defines them so. No message carries a URL, and every credential
is scrubbed from what Meta echoes back.

What the adapters build on this is apart: the settings and the adapter base with its token
upkeep in ``meta_adapter``, and reading an account back (a post by its text, a quota's end) in
``meta_lookup``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from platforms.adapters.base import AuthExpired, Permanent, RateLimited, Transient, Unknown
from platforms.adapters.http import BearerAPI, platform_message, retry_after

#: Graph API host and version (Instagram with Facebook Login uses it too). Versions live about
#: two years; the URL is an account setting so a newer one needs no release.
GRAPH_BASE_URL = "https://graph.facebook.com/v21.0"
#: Threads API host and version.
THREADS_BASE_URL = "https://graph.threads.net/v1.0"

#: Graph error codes meaning the token no longer works ("Access token errors" in Meta's docs).
TOKEN_ERROR_CODES = frozenset({102, 190})
#: Throttling codes: platform rate limits (4 app, 17 user, 32 Page, 613 custom) and Business
#: Use Case limits (80001 Pages, 80002 Instagram), per Meta's "Rate Limits" page.
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002})
#: Instagram: code 9, subcode 2207042, "the maximum number of posts per day" (the 24 h quota).
DAILY_LIMIT = (9, 2207042)
#: Instagram: code 9007, subcode 2207027, "the media is not ready for publishing": nothing was
#: published, so it is safe to try again once the container has finished.
NOT_READY = (9007, 2207027)
#: Ours: how long to wait when Meta throttles without saying; its windows roll over one hour.
THROTTLE_WAIT = 600.0
#: Ours: how long to wait for a publishing quota when we cannot tell when it frees up.
QUOTA_WAIT = 3600.0
#: The header where Business Use Case limits say ``estimated_time_to_regain_access`` (minutes).
BUC_HEADER = "x-business-use-case-usage"

#: Items asked for per page of a listing (Graph edges cap ``limit`` at 100).
PAGE_SIZE = 100
#: Pages of a listing read before a lookup gives up being sure.
MAX_PAGES = 10


# --- errors ----------------------------------------------------------------------------------


def graph_error(response: httpx.Response) -> dict[str, Any] | None:
    """The ``error`` object of a Graph answer, if it has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def graph_message(response: httpx.Response) -> str | None:
    """Meta's message with the codes a support request needs."""
    error = graph_error(response)
    if error is None:
        return platform_message(response)
    words = [str(error.get("message") or "").strip() or "(no message)"]
    user_message = error.get("error_user_msg")
    if isinstance(user_message, str) and user_message.strip():
        words.append(user_message.strip())
    codes = [f"code {error['code']}"] if "code" in error else []
    if error.get("error_subcode") is not None:
        codes.append(f"subcode {error['error_subcode']}")
    if error.get("fbtrace_id"):
        codes.append(f"fbtrace_id {error['fbtrace_id']}")
    text = " ".join(words)
    return f"{text} ({', '.join(codes)})" if codes else text


def number(value: Any) -> int | None:
    """A number Meta sends as a number or a string; ``None`` when it is neither."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def throttle_wait(headers: Mapping[str, str]) -> float:
    """Seconds until Meta lets us back in: BUC header, then ``Retry-After``, then our default."""
    lowered = {key.lower(): value for key, value in headers.items()}
    minutes = 0.0
    try:
        usage = json.loads(lowered.get(BUC_HEADER, "{}"))
    except ValueError:
        usage = {}
    for entries in usage.values() if isinstance(usage, dict) else ():
        for entry in entries if isinstance(entries, list) else ():
            value = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else 0
            if isinstance(value, int | float) and math.isfinite(value):
                minutes = max(minutes, float(value))
    if minutes > 0:
        return minutes * 60
    if "retry-after" in lowered:
        return retry_after(lowered)
    return THROTTLE_WAIT


# --- the API ---------------------------------------------------------------------------------


class GraphAPI(BearerAPI):
    """One account's Graph API: bearer token, Meta's error codes, JSON bodies, listings."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        token: Callable[[], str],
        secrets: Callable[[], Iterable[str | None]],
        client: httpx.Client | None,
        timeout: float,
    ) -> None:
        super().__init__(
            platform=platform,
            base_url=base_url,
            token=token,
            secrets=secrets,
            client=client,
            timeout=timeout,
            message_of=graph_message,
        )

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """A read: failures are ``Transient`` (nothing was created)."""
        return self.call("GET", path, creates=False, params=params)

    def post(self, path: str, data: Mapping[str, Any], *, creates: bool) -> dict[str, Any]:
        """A write; ``creates`` when it may make something people see (a lost answer: Unknown)."""
        return self.call("POST", path, creates=creates, data=data)

    def call(
        self,
        method: str,
        path: str,
        *,
        creates: bool,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        auth: bool = True,
    ) -> dict[str, Any]:
        headers = self.bearer() if auth else {}
        form = {key: _form_value(value) for key, value in (data or {}).items() if value is not None}
        response = self.http.request(
            method,
            path,
            creates=creates,
            check=False,
            headers=headers,
            params=dict(params) if params else None,
            data=form or None,
        )
        self.check(response, creates=creates)
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
        if creates:
            raise Unknown(
                f"{self.platform} accepted the request but its answer was unreadable; "
                "the post may have been created"
            )
        raise Transient(f"{self.platform} answered with something other than a JSON object")

    def check(self, response: httpx.Response, *, creates: bool) -> None:
        """Raise what a Graph error means (see the module docstring); quiet on success."""
        if response.is_success:
            return
        error = graph_error(response) or {}
        code, subcode = number(error.get("code")), number(error.get("error_subcode"))
        status = response.status_code
        prefix = self.http.answered(response)
        said = self.http.said(response)
        if code in TOKEN_ERROR_CODES:
            raise AuthExpired(f"{prefix}; the account needs reconnecting: {said}")
        if code in THROTTLE_CODES or status == 429:
            wait = throttle_wait(response.headers)
            raise RateLimited(
                f"{prefix} (rate limited; retry in {wait:.0f}s): {said}", retry_after=wait
            )
        if (code, subcode) == DAILY_LIMIT:
            raise RateLimited(
                f"{prefix} (the account's daily publishing limit is reached): {said}",
                retry_after=QUOTA_WAIT,
            )
        if (code, subcode) == NOT_READY:
            raise Transient(f"{prefix} (the media is not ready yet): {said}")
        if error.get("is_transient") is True and status < 500:
            if creates:
                raise Unknown(f"{prefix}; the post may have been created: {said}")
            raise Transient(f"{prefix}: {said}")
        self.http.check(response, creates=creates)

    def listing(self, path: str, *, fields: str, since: datetime) -> Iterator[dict[str, Any]]:
        """The items of an edge (newest first) created since ``since``, page after page.

        Raises ``Permanent`` past ``MAX_PAGES``: a lookup that could not read back far enough
        must not answer "absent", and asking again cannot help (the publish flow leaves the
        delivery to a person).
        """
        target: str = path
        params: dict[str, Any] | None = {
            "fields": fields,
            "since": int(since.timestamp()),
            "limit": PAGE_SIZE,
        }
        for _ in range(MAX_PAGES):
            body = self.call("GET", target, creates=False, params=params)
            data = body.get("data")
            if not isinstance(data, list):
                raise Transient(f"{self.platform} answered a listing without its data")
            yield from (item for item in data if isinstance(item, dict))
            paging = body.get("paging")
            following = paging.get("next") if isinstance(paging, dict) else None
            if not data or not isinstance(following, str) or not self._same_host(following):
                return
            target, params = following, None
        raise Permanent(
            f"cannot tell whether it went out: {self.platform} lists more than "
            f"{MAX_PAGES * PAGE_SIZE} posts since {since:%Y-%m-%d %H:%M} UTC; "
            "check the account by hand before sending again"
        )

    def _same_host(self, url: str) -> bool:
        """Follow ``paging.next`` only to the API's own host: it carries our token."""
        ours, theirs = urlsplit(self.http.base_url), urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
