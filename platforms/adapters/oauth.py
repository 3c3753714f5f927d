"""OAuth 2.0 refresh tokens as TikTok and Google answer them: the grant, and refreshing ahead.

Both token endpoints (TikTok's Login Kit ``POST /v2/oauth/token/``, Google's
``POST https://oauth2.googleapis.com/token``) take RFC 6749's refresh grant form-encoded and
answer a refusal in the RFC's shape, ``{"error", "error_description"}``, so the ``error`` field
decides, not the status: ``server_error`` and ``temporarily_unavailable``, or any 5xx, are the
server failing (``Transient``); any other error is the grant refused (``AuthExpired``: a person
reconnects the account).

Their access tokens are short (TikTok's a day, Google's an hour), so ``refresh_ahead`` refreshes
one that expires within a margin. When the endpoint fails for now while the old token still
works, that is logged and the publish goes ahead with the old token; the next ``prepare`` tries
again. A new refresh token is kept when one comes back; otherwise ours still works (Google does
not send one). TikTok spends the old refresh token, so the refresh is the account's only one at
a time (``Adapter.renew_credentials``).

Not here: X and LinkedIn refresh OAuth 2.0 tokens too, but judge the refresh by its HTTP status
(400/401: refused) and X also refreshes on a 401 (``x_api``, ``linkedin_api``); Meta has no
refresh token and extends its long-lived tokens instead (``meta_adapter``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import SecretStr

from platforms.adapters.base import (
    Adapter,
    AuthExpired,
    RateLimited,
    Transient,
    Unknown,
    aware,
)
from platforms.adapters.http import PlatformHTTP, json_object

log = logging.getLogger(__name__)

#: OAuth errors that mean the server failed, not that the grant is bad (RFC 6749 §4.1.2.1).
OAUTH_SERVER_ERRORS = frozenset({"server_error", "temporarily_unavailable"})


class Refreshable(Protocol):
    """The settings fields ``refresh_ahead`` decides by."""

    @property
    def refresh_token(self) -> SecretStr | None: ...

    @property
    def token_expires_at(self) -> datetime | None: ...


def refresh_grant(
    http: PlatformHTTP, url: str, form: Mapping[str, str], *, provider: str
) -> dict[str, Any]:
    """``POST`` the refresh grant ``form`` (form-encoded) to ``url``: the token endpoint's JSON,
    or the error its refusal means; ``provider`` names the endpoint's owner in messages."""
    response = http.request("POST", url, creates=False, check=False, data=dict(form))
    body = json_object(response)
    error = body.get("error")
    if isinstance(error, str) and error:
        said = http.said(response)
        if response.status_code >= 500 or error in OAUTH_SERVER_ERRORS:
            raise Transient(f"{provider} could not refresh the token: {said}")
        raise AuthExpired(f"{provider} refused to refresh the token ({error}): {said}")
    http.check(response, creates=False)
    return body


def refresh_ahead(
    account: Adapter[Any],
    now: datetime,
    *,
    margin: timedelta,
    platform: str,
    grant: Callable[[], Mapping[str, Any]],
) -> None:
    """Refresh with ``grant`` when ``account``'s access token expires within ``margin``, as the
    account's only refresh (``Adapter.renew_credentials``), and remember the new token, its
    expiry and a new refresh token if one came."""
    settings: Refreshable = account.settings
    expires = settings.token_expires_at
    now = aware(now)
    if expires is None or settings.refresh_token is None or expires - now > margin:
        return
    account.renew_credentials(lambda: _renew(account, now, expires, platform=platform, grant=grant))


def _renew(
    account: Adapter[Any],
    now: datetime,
    expires: datetime,
    *,
    platform: str,
    grant: Callable[[], Mapping[str, Any]],
) -> None:
    try:
        body = grant()
    except (Transient, Unknown, RateLimited) as exc:
        if expires > now:  # the old token still works for this publish
            log.warning("could not refresh the %s token yet: %s", platform, exc.message)
            return
        raise
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise Transient(f"{platform} refreshed the token but sent none back")
    lifetime = body.get("expires_in")
    # A lifetime that is not a positive whole number of seconds says nothing: no expiry kept.
    positive = isinstance(lifetime, int) and not isinstance(lifetime, bool) and lifetime > 0
    seconds = lifetime if positive else None
    changes: dict[str, Any] = {
        "access_token": SecretStr(token),
        "token_expires_at": now + timedelta(seconds=seconds) if seconds is not None else None,
    }
    renewed = body.get("refresh_token")
    if isinstance(renewed, str) and renewed:  # else the old one still works: keep it
        changes["refresh_token"] = SecretStr(renewed)
    account.remember(**changes)
