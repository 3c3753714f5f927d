"""X's API v2 for one account: its settings, the OAuth 2.0 user token, and X's rate windows.

**Token.** ``prepare`` refreshes the access token (two hours) when it ends within five minutes,
at ``POST /2/oauth2/token`` (``grant_type=refresh_token``; HTTP Basic with the client secret for
a confidential client, ``client_id`` in the form for a public one). X rotates refresh tokens:
the new one is remembered at once; an answer without one keeps the old. One refresh per account
at a time: under the account's lock, a worker finding tokens another one refreshed meanwhile
adopts them (``Adapter.renew_credentials``). A refused refresh (400/401) is ``AuthExpired``.
A 401 on any call is met with one refresh and one more try, which is safe: a refused request
did nothing.

**Rate limits** come as 429 with ``x-rate-limit-reset`` (the 15-minute window, Unix seconds)
and, for posting, ``x-user-limit-24hour-*`` and ``x-app-limit-24hour-*``: the wait is until the
exhausted window resets, which for the daily limits can be hours (``x_retry_after``).

Apart from ``x`` because posts, media and lookups all call through ``XAPI.call`` and none of
them needs to know how the token is kept or how X says "not now".
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field, SecretStr, model_validator

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
from platforms.adapters.http import PlatformHTTP, json_object, platform_message, retry_after

#: Refresh an access token that ends within this much (the brief's five minutes).
REFRESH_MARGIN = timedelta(minutes=5)
#: Ours: the longest a video may take to process before the attempt is retried later.
MEDIA_WAIT_SECONDS = 300.0
#: Rate-limit windows as X names them in headers, the 15-minute window first.
RATE_WINDOWS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


class XSettings(AdapterSettings):
    """One X account connected with OAuth 2.0 (scopes ``tweet.write users.read media.write
    offline.access``)."""

    base_url: HttpURL = Field(default="https://api.x.com", description="The X API host.")
    access_token: SecretStr = Field(
        description="An OAuth 2.0 user access token (tweet.write, users.read, media.write)."
    )
    refresh_token: SecretStr | None = Field(
        default=None,
        description="Renews the access token, which lasts two hours (offline.access; "
        "needs client_id).",
    )
    token_expires_at: UTCTime | None = Field(
        default=None, description="When the access token expires; a refresh is due before then."
    )
    client_id: str | None = Field(
        default=None, description="The app's OAuth 2.0 client id, needed to refresh the token."
    )
    client_secret: SecretStr | None = Field(
        default=None,
        description="The app's OAuth 2.0 client secret, for a confidential client only.",
    )
    web_url: HttpURL = Field(
        default="https://x.com",
        description="Where a person opens a post (/i/web/status/<id> needs no username).",
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="Seconds to wait for X to answer."
    )
    media_poll_seconds: float | None = Field(
        default=None,
        gt=0,
        le=60,
        description="Seconds between checks of a video's processing; empty follows X's "
        "check_after_secs.",
    )
    media_wait_seconds: float = Field(
        default=MEDIA_WAIT_SECONDS,
        gt=0,
        le=1800,
        description="Seconds to wait in all for a video's processing before trying later.",
    )

    @model_validator(mode="after")
    def _refresh_needs_a_client(self) -> XSettings:
        if self.refresh_token is not None and not self.client_id:
            raise ValueError("client_id is needed to use a refresh_token")
        return self


class XAPI:
    """One account's calls with its user token, kept in ``account``'s settings."""

    def __init__(self, account: Adapter[XSettings], *, client: httpx.Client | None) -> None:
        self._account = account
        self.http = PlatformHTTP(
            platform="X",
            base_url=account.settings.base_url,
            client=client,
            timeout=account.settings.timeout_seconds,
            secrets=account.secret_values,
            message_of=x_message,
        )

    def prepare(self, now: datetime) -> None:
        """Refresh the access token if it ends within ``REFRESH_MARGIN`` and can be refreshed."""
        s = self._account.settings
        if s.refresh_token is None or s.token_expires_at is None:
            return
        if aware(s.token_expires_at) - aware(now) <= REFRESH_MARGIN:
            self.refresh()

    def refresh(self) -> None:
        """Refresh the access token, as the account's only refresh (``renew_credentials``):
        X spends a refresh token when it is used, so a second worker refreshing with the same
        one would be refused; it adopts the first one's tokens instead."""
        self._account.renew_credentials(self._refresh)

    def _refresh(self) -> None:
        s = self._account.settings
        if s.refresh_token is None or not s.client_id:
            raise AuthExpired("the X access token no longer works and cannot be refreshed")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": s.refresh_token.get_secret_value(),
            "client_id": s.client_id,
        }
        headers = {}
        if s.client_secret is not None:
            pair = f"{s.client_id}:{s.client_secret.get_secret_value()}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        response = self.http.request(
            "POST", "/2/oauth2/token", creates=False, check=False, data=form, headers=headers
        )
        if response.status_code in (400, 401):
            raise AuthExpired(f"X refused the refresh token: {self.http.said(response)}")
        self.http.check(response, creates=False)
        body = json_object(response)
        access = body.get("access_token")
        if not isinstance(access, str):
            raise Transient("X answered the token refresh without an access token")
        refresh = body.get("refresh_token")
        expires_in = body.get("expires_in")
        self._account.remember(
            access_token=SecretStr(access),
            # X rotates refresh tokens; an answer without one keeps the one that still works.
            refresh_token=SecretStr(refresh) if isinstance(refresh, str) else s.refresh_token,
            token_expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in))
            if isinstance(expires_in, int | float)
            else None,
        )

    def call(
        self, method: str, path: str, *, creates: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One call with the user's token: a 401 is met with one refresh and one more try."""
        response = self._send(method, path, creates=creates, **kwargs)
        if response.status_code == 401 and self._account.settings.refresh_token is not None:
            self.refresh()
            response = self._send(method, path, creates=creates, **kwargs)
        if response.status_code == 429:
            wait = x_retry_after(response.headers)
            raise RateLimited(
                f"X answered HTTP 429 (rate limited; retry in {wait:.0f}s): "
                f"{self.http.said(response)}",
                retry_after=wait,
            )
        self.http.check(response, creates=creates)
        return response

    def _send(self, method: str, path: str, *, creates: bool, **kwargs: Any) -> httpx.Response:
        token = self._account.settings.access_token.get_secret_value()
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return self.http.request(
            method, path, creates=creates, check=False, headers=headers, **kwargs
        )

    def close(self) -> None:
        self.http.close()


def x_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float:
    """Seconds until the exhausted window resets: the daily ones can be hours away.

    A window is exhausted when its ``-remaining`` is 0; the longest of those waits is the one
    that lets a post through. If none says so (an app-wide limit), the 15-minute window's reset
    is the best guess, then ``Retry-After`` or the default.
    """
    current = time.time() if now is None else now
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    exhausted: list[float] = []
    window_reset: float | None = None
    for window in RATE_WINDOWS:
        try:
            seconds = max(0.0, float(lowered[f"{window}-reset"]) - current)
        except (KeyError, ValueError):
            continue
        if lowered.get(f"{window}-remaining") == "0":
            exhausted.append(seconds)
        elif window == RATE_WINDOWS[0]:
            window_reset = seconds
    if exhausted:
        return max(exhausted)
    if window_reset is not None:
        return window_reset
    return retry_after(headers, now=current)


def x_message(response: httpx.Response) -> str | None:
    """X problem documents: the ``detail``, and each of ``errors[].message`` when given."""
    body = json_object(response)
    said = [body["detail"]] if isinstance(body.get("detail"), str) else []
    for error in body.get("errors") or []:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            said.append(error["message"])
    return " ".join(said) if said else platform_message(response)
