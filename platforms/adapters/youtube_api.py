"""YouTube Data API v3 for one channel: Google's error answers, the daily quota, token refresh.

Google answers errors as ``{"error": {"code", "message", "errors": [{"reason", "domain"}]}}``
and the *reason* says what happened (developers.google.com/youtube/v3/docs/errors):

- ``quotaExceeded`` (403, domain ``youtube.quota``): the project's daily quota is spent. It
  resets at midnight Pacific time, so ``RateLimited`` waits until then (``until_quota_reset``),
  computed in ``America/Los_Angeles`` so daylight saving is right;
- ``rateLimitExceeded`` / ``userRateLimitExceeded`` (403 or 429): too fast; ``RateLimited`` for
  ``Retry-After`` or ``RATE_RETRY_SECONDS``;
- ``uploadLimitExceeded`` (400): the channel uploaded as many videos as YouTube allows for now;
  ``RateLimited`` for ``UPLOAD_LIMIT_RETRY``;
- 401 and ``insufficientPermissions`` (the token lacks the upload scope) → ``AuthExpired``;
- anything else → ``PlatformHTTP.check`` (5xx ``Unknown``/``Transient``, other 4xx
  ``Permanent`` quoting Google's message and reason).

Google's token endpoint (``POST https://oauth2.googleapis.com/token``) answers a refresh with a
new access token and, normally, no refresh token: the one we have stays valid. Its refusals are
read as TikTok's are (``oauth.refresh_grant``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from platforms.adapters.base import AuthExpired, Permanent, RateLimited
from platforms.adapters.http import BearerAPI, platform_message, retry_after
from platforms.adapters.oauth import refresh_grant

API_HOST = "https://www.googleapis.com"
#: Google's OAuth 2.0 token endpoint (the account's ``token_url`` setting defaults to it).
OAUTH_ENDPOINT = "https://oauth2.googleapis.com/token"
#: YouTube Data API "Quota and compliance": daily quotas reset at midnight Pacific Time.
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")
#: Ours: how long to wait on a per-minute throttle that names no wait.
RATE_RETRY_SECONDS = 60.0
#: Ours: YouTube does not say when a channel's upload limit lifts; look again in six hours.
UPLOAD_LIMIT_RETRY = 6 * 3600.0
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def until_quota_reset(now: datetime) -> float:
    """Seconds from ``now`` to the next midnight in Pacific time (when YouTube quotas reset)."""
    current = now if now.tzinfo else now.replace(tzinfo=UTC)
    pacific = current.astimezone(QUOTA_ZONE)
    midnight = datetime.combine(pacific.date() + timedelta(days=1), time(0), tzinfo=QUOTA_ZONE)
    # Subtracting across zones goes through UTC, so a 23- or 25-hour day is counted right.
    return (midnight.astimezone(UTC) - current.astimezone(UTC)).total_seconds()


def reasons(response: httpx.Response) -> set[str]:
    """The ``errors[].reason`` values of a Google error answer."""
    try:
        body: Any = response.json()
    except ValueError:
        return set()
    error = body.get("error") if isinstance(body, dict) else None
    found = error.get("errors") if isinstance(error, dict) else None
    if not isinstance(found, list):
        return set()
    return {str(e["reason"]) for e in found if isinstance(e, dict) and e.get("reason")}


def google_message(response: httpx.Response) -> str | None:
    """Google's message with its reasons, or an OAuth ``error: description``."""
    said = platform_message(response)
    why = sorted(reasons(response))
    if said and why:
        return f"{said} ({', '.join(why)})"
    return said


class YouTubeAPI(BearerAPI):
    """One channel's connection: ``token`` gives the access token in use now."""

    def __init__(
        self,
        *,
        base_url: str,
        token: Callable[[], str],
        secrets: Callable[[], Iterable[str | None]],
        client: httpx.Client | None,
        timeout: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(
            platform="YouTube",
            base_url=base_url,
            token=token,
            secrets=secrets,
            client=client,
            timeout=timeout,
            message_of=google_message,
        )
        self._clock = clock

    def request(
        self,
        method: str,
        path: str,
        *,
        creates: bool,
        ok: tuple[int, ...] = (),
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """An authorised request; raises what an error answer means (statuses in ``ok`` aside)."""
        sent = {**self.bearer(), **(headers or {})}
        response = self.http.request(
            method, path, creates=creates, check=False, headers=sent, **kwargs
        )
        if response.status_code not in ok:
            self.check(response, creates=creates)
        return response

    def check(self, response: httpx.Response, *, creates: bool) -> None:
        """Raise the error a Google answer means; return quietly on success."""
        status = response.status_code
        if 200 <= status < 300:
            return
        why = reasons(response)
        prefix = self.http.answered(response)
        if why & QUOTA_REASONS:
            wait = until_quota_reset(self._clock())
            raise RateLimited(
                f"{prefix}: the daily API quota is spent; it resets at midnight Pacific time "
                f"(in {wait / 3600:.1f} h): {self.http.said(response)}",
                retry_after=wait,
            )
        if why & RATE_REASONS:
            told = "retry-after" in response.headers
            wait = retry_after(response.headers) if told else RATE_RETRY_SECONDS
            raise RateLimited(
                f"{prefix} (rate limited; retry in {wait:.0f}s): {self.http.said(response)}",
                retry_after=wait,
            )
        if "uploadLimitExceeded" in why:
            raise RateLimited(
                f"{prefix}: the channel reached YouTube's upload limit for now: "
                f"{self.http.said(response)}",
                retry_after=UPLOAD_LIMIT_RETRY,
            )
        if "insufficientPermissions" in why:
            raise AuthExpired(
                f"{prefix}; the account must be reconnected with permission to upload: "
                f"{self.http.said(response)}"
            )
        self.http.check(response, creates=creates)

    def refresh(
        self, *, token_url: str, client_id: str, client_secret: str, refresh_token: str
    ) -> dict[str, Any]:
        """Google's refresh (form-encoded): the new token's JSON, or ``AuthExpired``."""
        form = {
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        body = refresh_grant(self.http, token_url, form, provider="Google")
        if not isinstance(body.get("access_token"), str):
            raise Permanent("Google answered the refresh without an access token")
        return body
