"""LinkedIn's versioned REST API for one author: its settings, the calls, 429s and the token.

Every call carries ``LinkedIn-Version: YYYYMM`` (a setting: LinkedIn sunsets each monthly version
about a year after release) and ``X-Restli-Protocol-Version: 2.0.0``; uploads to the URLs
LinkedIn hands out carry neither.

- 429: daily limits reset at midnight UTC (LinkedIn's "API rate limits"), so without a
  ``Retry-After`` the wait runs to the next midnight UTC.
- OAuth 2: ``prepare`` refreshes the access token at ``POST {oauth_url}/oauth/v2/accessToken``
  (``grant_type=refresh_token``) when it expires within ``REFRESH_AHEAD``, one refresh per
  account at a time (``Adapter.renew_credentials``); a refused refresh is ``AuthExpired``; an
  answer without a refresh token keeps the one we have.

Apart from ``linkedin`` because posts, uploads and lookups all go through ``LinkedInAPI.call``
and none of them needs to know which headers a call carries or how the token is kept.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field, SecretStr

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    HttpURL,
    RateLimited,
    Transient,
    UTCTime,
    aware,
)
from platforms.adapters.http import PlatformHTTP, retry_after

log = logging.getLogger(__name__)

API_BASE_URL = "https://api.linkedin.com"
OAUTH_BASE_URL = "https://www.linkedin.com"
#: The LinkedIn-Version sent by default (YYYYMM); an account setting so a newer one needs no
#: release.
API_VERSION = "202609"
#: Refresh the access token when it expires within this (LinkedIn's tokens last 60 days).
REFRESH_AHEAD = timedelta(minutes=5)


class LinkedInSettings(AdapterSettings):
    """A LinkedIn member or organization, posting through the Posts API."""

    author: str = Field(
        pattern=r"^urn:li:(organization|person):[A-Za-z0-9_-]+$",
        description="Who posts: urn:li:organization:<id> for a Page, urn:li:person:<id> for "
        "a member.",
    )
    access_token: SecretStr = Field(
        description="An OAuth access token with w_organization_social (a Page) or "
        "w_member_social (a member)."
    )
    refresh_token: SecretStr | None = Field(
        default=None, description="Renews the access token before it expires (needs the client)."
    )
    client_id: str | None = Field(
        default=None, description="The LinkedIn app's client id, needed to refresh the token."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="The LinkedIn app's client secret, needed to refresh the token."
    )
    token_expires_at: UTCTime | None = Field(
        default=None, description="When the access token expires; a refresh is due before then."
    )
    api_version: str = Field(
        default=API_VERSION,
        pattern=r"^[0-9]{6}$",
        description="The LinkedIn-Version header (YYYYMM); a newer one needs no release.",
    )
    base_url: HttpURL = Field(default=API_BASE_URL, description="The LinkedIn REST API.")
    oauth_url: HttpURL = Field(
        default=OAUTH_BASE_URL, description="LinkedIn's OAuth server, where tokens are refreshed."
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="Seconds to wait for LinkedIn to answer."
    )


def until_midnight_utc(now: datetime | None = None) -> float:
    """Seconds to the next midnight UTC, when LinkedIn's daily limits reset."""
    current = now or datetime.now(UTC)
    midnight = (current + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - current).total_seconds()


class LinkedInAPI:
    """One author's calls with the access token kept in ``account``'s settings."""

    def __init__(self, account: Adapter[LinkedInSettings], *, client: httpx.Client | None) -> None:
        self._account = account
        self.http = PlatformHTTP(
            platform="LinkedIn",
            base_url=account.settings.base_url,
            client=client,
            timeout=account.settings.timeout_seconds,
            secrets=account.secret_values,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        creates: bool,
        check: bool = True,
        versioned: bool = True,
        finder: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        settings = self._account.settings
        headers = {"Authorization": f"Bearer {settings.access_token.get_secret_value()}"}
        if versioned:
            headers["LinkedIn-Version"] = settings.api_version
            headers["X-Restli-Protocol-Version"] = "2.0.0"
        if finder:
            headers["X-RestLi-Method"] = "FINDER"
        if "content" in kwargs:
            headers["Content-Type"] = "application/octet-stream"
        response = self.http.request(
            method, path, creates=creates, check=False, headers=headers, **kwargs
        )
        if check:
            self.check(response, creates=creates)
        return response

    def check(self, response: httpx.Response, *, creates: bool) -> None:
        if response.status_code == 429:
            has_header = "retry-after" in response.headers
            wait = retry_after(response.headers) if has_header else until_midnight_utc()
            raise RateLimited(
                f"LinkedIn answered HTTP 429 (rate limited; retry in {wait:.0f}s): "
                f"{self.http.said(response)}",
                retry_after=wait,
            )
        self.http.check(response, creates=creates)

    def json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Transient("LinkedIn answered with something other than a JSON object")
        return body

    # --- token -------------------------------------------------------------------------------

    def prepare(self, now: datetime) -> None:
        """Refresh the access token when it expires within ``REFRESH_AHEAD``."""
        config = self._account.settings
        expires = config.token_expires_at
        now = aware(now)
        if expires is None or expires - now > REFRESH_AHEAD:
            return
        if not (config.refresh_token and config.client_id and config.client_secret):
            if expires <= now:
                raise AuthExpired(
                    f"the LinkedIn access token expired at {expires:%Y-%m-%d %H:%M} UTC and there "
                    "is no refresh token; reconnect the account"
                )
            return
        self._account.renew_credentials(lambda: self._renew(now, expires))

    def _renew(self, now: datetime, expires: datetime) -> None:
        """Refresh now and remember the answer (run as the account's only refresh)."""
        config = self._account.settings
        refresh, client_id, secret = config.refresh_token, config.client_id, config.client_secret
        if not (refresh and client_id and secret):  # prepare checked: for the type checker
            return
        try:
            answer = self._refresh(refresh, client_id, secret)
        except (Transient, RateLimited) as exc:
            if expires > now:  # still usable for a few minutes: publish, refresh next time
                log.warning("could not refresh the LinkedIn token yet: %s", exc.message)
                return
            raise
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise Transient("LinkedIn refreshed the token but sent none back")
        lifetime = answer.get("expires_in")
        fresh = answer.get("refresh_token")
        self._account.remember(
            access_token=SecretStr(token),
            # Never drop a working refresh token: an answer without one keeps ours.
            refresh_token=SecretStr(fresh) if isinstance(fresh, str) and fresh else refresh,
            token_expires_at=(
                now + timedelta(seconds=lifetime) if isinstance(lifetime, int) else None
            ),
        )

    def _refresh(self, refresh: SecretStr, client_id: str, secret: SecretStr) -> dict[str, Any]:
        """``POST /oauth/v2/accessToken`` with ``grant_type=refresh_token``; a refusal is final."""
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh.get_secret_value(),
            "client_id": client_id,
            "client_secret": secret.get_secret_value(),
        }
        url = f"{self._account.settings.oauth_url}/oauth/v2/accessToken"
        response = self.http.request("POST", url, creates=False, check=False, data=form)
        if response.status_code in (400, 401):
            said = self.http.said(response)
            raise AuthExpired(f"LinkedIn refused the refresh token; reconnect the account: {said}")
        self.check(response, creates=False)
        return self.json(response)

    def close(self) -> None:
        self.http.close()
