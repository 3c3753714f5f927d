"""HTTP for platform adapters: one place that turns a platform's answer into the error tree.

Every platform adapter talks to a REST API over httpx and must say honestly what happened:

- the request never left (connection refused, connect timeout): ``Transient``, nothing exists;
- the request left and the answer was lost (read timeout, dropped connection) or the platform
  failed (5xx) while *creating* something: ``Unknown``, the post may exist, look before
  sending again; the same failures on a read (a status poll, a lookup) are ``Transient``;
- 429: ``RateLimited``, waiting as long as the platform said (``Retry-After``, or a reset
  header: Unix seconds for X and Bluesky, ISO 8601 for Mastodon);
- 401: ``AuthExpired``, a person must reconnect the account;
- any other 4xx: ``Permanent`` with the platform's own message.

Platform quirks (TikTok's errors inside HTTP 200, LinkedIn's duplicate answer, YouTube's quota
403) are handled by the adapter before or after calling ``check``. Messages never include the
credentials: every known secret is scrubbed from what a platform echoes back.

``BearerAPI`` is a ``PlatformHTTP`` with the OAuth bearer token in use now, for the API clients
that are built the same way (TikTok, YouTube, Meta's Graph API); ``json_object`` and
``as_mapping`` read an answer that may not be the JSON object it should be.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

import httpx

from platforms.adapters.base import AuthExpired, Permanent, RateLimited, Transient, Unknown

#: Seconds to wait when a 429 does not say how long (or says something unreadable).
DEFAULT_RETRY_AFTER = 60.0
#: How much of a platform's refusal is kept: enough to act on, not a whole HTML error page.
MESSAGE_LIMIT = 300
#: Reset headers, in the order they are believed (``Retry-After`` always comes first).
RESET_HEADERS = ("x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")
#: Reset values above this are Unix timestamps; below, seconds from now (RFC draft style).
_EPOCH_THRESHOLD = 10**9
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class PlatformHTTP:
    """One account's connection to one platform's API: base URL, auth, timeouts, error mapping.

    ``secrets`` returns the credentials in use now (they change when a token is refreshed);
    they are scrubbed from every message an error carries.
    """

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        client: httpx.Client | None = None,
        timeout: float = 20.0,
        secrets: Callable[[], Iterable[str | None]] = tuple,
        message_of: Callable[[httpx.Response], str | None] | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client = client
        self._owns_client = False
        self._secrets = secrets
        self._message_of = message_of or platform_message

    def request(
        self,
        method: str,
        path: str,
        *,
        creates: bool,
        check: bool = True,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request; with ``check``, raise the ``PlatformError`` its answer means.

        ``creates`` says whether the request may create something on the platform; it decides
        whether a lost answer is ``Unknown`` (it may exist) or ``Transient`` (nothing to find).
        ``path`` may be absolute (an upload URL handed out by the platform).
        """
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        try:
            response = self._http().request(
                method, url, headers=dict(headers or {}), timeout=self.timeout, **kwargs
            )
        except httpx.TransportError as exc:
            raise self.transport_error(exc, creates=creates) from None
        if check:
            self.check(response, creates=creates)
        return response

    def check(self, response: httpx.Response, *, creates: bool) -> None:
        """Raise the error a non-2xx answer means; return quietly on success."""
        status = response.status_code
        if 200 <= status < 300:
            return
        said = self.said(response)
        prefix = self.answered(response)
        if status == 429:
            wait = retry_after(response.headers)
            raise RateLimited(
                f"{prefix} (rate limited; retry in {wait:.0f}s): {said}", retry_after=wait
            )
        if status == 401:
            raise AuthExpired(f"{prefix}; the account needs reconnecting: {said}")
        if status >= 500:
            if creates:
                raise Unknown(f"{prefix}; the post may have been created: {said}")
            raise Transient(f"{prefix}: {said}")
        # Redirects are not followed: re-sending a POST elsewhere unasked is how posts double.
        raise Permanent(f"{prefix}: {said}")

    def transport_error(self, exc: httpx.TransportError, *, creates: bool) -> Transient | Unknown:
        """Transient when the request provably never left, or when it created nothing."""
        kind = type(exc).__name__
        if isinstance(exc, _NOT_SENT):
            return Transient(f"could not reach {self.platform} ({kind}); nothing was sent")
        if not creates:
            return Transient(f"{self.platform} did not answer ({kind})")
        return Unknown(
            f"{self.platform} failed after the request was sent ({kind}); "
            "the post may have been created"
        )

    def answered(self, response: httpx.Response) -> str:
        """ "X answered HTTP 404 to POST https://host/path": an error names the request it
        answers, so a person sees an account pointed at the wrong address at once. The query
        is left out and every credential scrubbed (a webhook's token rides in its path)."""
        answer = f"{self.platform} answered HTTP {response.status_code}"
        try:
            request = response.request
        except RuntimeError:  # an answer made without a request (nothing was called)
            return answer
        where = request.url.copy_with(query=None, fragment=None)
        return f"{answer} to {scrub(f'{request.method} {where}', self._secrets())}"

    def said(self, response: httpx.Response) -> str:
        """The platform's own words, shortened, with every credential scrubbed."""
        text = self._message_of(response) or plain_text(response)
        return scrub(text, self._secrets())

    @property
    def given_client(self) -> httpx.Client | None:
        """The client this connection was handed (the worker's, under the egress policy), for
        the other requests an adapter makes (fetching media); ``None`` if it makes its own."""
        return None if self._owns_client else self._client

    def close(self) -> None:
        """Close the HTTP client if this object made it; an injected one belongs to the caller."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None
            self._owns_client = False

    def _http(self) -> httpx.Client:
        """The client, made on first use so validating settings opens no connections."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=False)
            self._owns_client = True
        return self._client


class BearerAPI:
    """One account's API called with an OAuth bearer token: ``token`` gives the one in use now
    (it changes when refreshed), and every answer is judged by ``http``."""

    def __init__(
        self,
        *,
        platform: str,
        base_url: str,
        token: Callable[[], str],
        secrets: Callable[[], Iterable[str | None]],
        client: httpx.Client | None,
        timeout: float,
        message_of: Callable[[httpx.Response], str | None],
    ) -> None:
        self.platform = platform
        self._token = token
        self.http = PlatformHTTP(
            platform=platform,
            base_url=base_url,
            client=client,
            timeout=timeout,
            secrets=secrets,
            message_of=message_of,
        )

    def bearer(self) -> dict[str, str]:
        """The ``Authorization`` header with the token in use now."""
        return {"Authorization": f"Bearer {self._token()}"}

    def close(self) -> None:
        self.http.close()


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; ``{}`` when it is not one (no JSON, a list, an HTML page)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A field of an answer that should hold an object; ``{}`` when it holds something else."""
    return value if isinstance(value, Mapping) else {}


def platform_message(response: httpx.Response) -> str | None:
    """The human message in the common JSON error shapes, if there is one."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    return _message_in(body)


def _message_in(body: Any) -> str | None:
    if isinstance(body, str):
        return body
    if isinstance(body, list) and body:
        return _message_in(body[0])
    if not isinstance(body, dict):
        return None
    for key in ("error_description", "message", "detail", "error_msg", "title", "error", "errors"):
        found = _message_in(body.get(key))
        if found:
            return found
    return None


def plain_text(response: httpx.Response) -> str:
    """An answer's body as plain words: an HTML error page becomes its text (no markup, no
    scripts or styles), so what is stored and shown from a receiver is never a page."""
    body = response.text
    kind = response.headers.get("content-type", "").lower()
    if "html" in kind or body.lstrip()[:1] == "<":
        words = _Words()
        words.feed(body)
        words.close()
        body = " ".join(words.parts)
    return " ".join(body.split())


class _Words(HTMLParser):
    """The text of an HTML page, without what a browser would not show as text."""

    _HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` shortened to ``MESSAGE_LIMIT`` with every secret replaced by asterisks."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    text = " ".join(text.split())
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    return text or "(no message)"


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float:
    """Seconds to wait, from ``Retry-After`` or a reset header; a default if none is readable."""
    current = time.time() if now is None else now
    lowered = {key.lower(): value for key, value in headers.items()}
    header = lowered.get("retry-after")
    if header is not None:
        wait = _delay_or_date(header.strip(), current)
        if wait is not None:
            return wait
    for name in RESET_HEADERS:
        value = lowered.get(name)
        if value is not None:
            wait = _reset(value.strip(), current)
            if wait is not None:
                return wait
    return DEFAULT_RETRY_AFTER


def _delay_or_date(value: str, now: float) -> float | None:
    """``Retry-After`` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return _until(when, now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _reset(value: str, now: float) -> float | None:
    """A reset header: Unix seconds (X, Bluesky), seconds from now, or ISO 8601 (Mastodon)."""
    try:
        number = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return _until(when, now)
    if not math.isfinite(number) or number < 0:
        return None
    return max(0.0, number - now) if number > _EPOCH_THRESHOLD else number


def _until(when: datetime, now: float) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
