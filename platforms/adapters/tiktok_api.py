"""TikTok's API v2 for one creator: requests, the answers' error codes, the token refresh, and
what Get Post Status says.

Every answer is ``{"data": {…}, "error": {"code": "ok"|…, "message", "log_id"}}`` and TikTok
sometimes sends a refusal with HTTP 200, so the *code* decides, never the status alone
(developers.tiktok.com, "API v2 Error Handling" and the Content Posting API reference):

- ``access_token_invalid`` (also an expired token) and ``scope_not_authorized`` → ``AuthExpired``;
- ``rate_limit_exceeded`` → ``RateLimited`` for ``RATE_WINDOW_SECONDS`` (limits are per minute
  per token) unless a ``Retry-After`` says otherwise;
- ``spam_risk_too_many_posts`` (the creator's daily cap of API posts) and
  ``reached_active_user_cap`` (an unaudited app's daily cap of posting users) → ``RateLimited``
  for ``DAILY_CAP_RETRY``: these caps lift by themselves, so failing the post would be wrong;
- ``internal_error`` or a 5xx → ``Unknown`` on a request that creates, ``Transient`` on a read;
- any other code → ``Permanent``, quoting TikTok's code, message and ``log_id`` (which TikTok's
  support asks for).

The token endpoint (Login Kit, ``POST /v2/oauth/token/``) answers OAuth-style instead:
``{"access_token", "expires_in", "refresh_token", …}`` or ``{"error", "error_description"}``,
read as Google's is (``oauth.refresh_grant``).

Get Post Status (``status``) is read both while publishing and by a lookup: ``COMPLETE`` and
``FAILED`` end a publish, and ``result_of`` is the post it names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from platforms.adapters.base import (
    AuthExpired,
    Permanent,
    PlatformError,
    PublishResult,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.http import BearerAPI, json_object, retry_after
from platforms.adapters.oauth import refresh_grant

API_HOST = "https://open.tiktokapis.com"
#: Content Posting API reference: init 6 and status fetch 30 requests per minute per token.
RATE_WINDOW_SECONDS = 60.0
#: Ours: the daily caps roll over at a time TikTok does not disclose; trying hourly costs one
#: request an hour.
DAILY_CAP_RETRY = 3600.0

AUTH_CODES = frozenset({"access_token_invalid", "scope_not_authorized"})
RATE_CODES = frozenset({"rate_limit_exceeded"})
DAILY_CAP_CODES = frozenset({"spam_risk_too_many_posts", "reached_active_user_cap"})
#: Get Post Status: the two states that end a publish.
COMPLETE, FAILED = "PUBLISH_COMPLETE", "FAILED"


@dataclass(frozen=True)
class Creator:
    """What ``creator_info/query`` said about the account, as far as posting goes."""

    username: str
    privacy_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_duration: float | None


class TikTokAPI(BearerAPI):
    """One creator's connection: ``token`` gives the access token in use now."""

    def __init__(
        self,
        *,
        base_url: str,
        token: Callable[[], str],
        secrets: Callable[[], Iterable[str | None]],
        client: httpx.Client | None,
        timeout: float,
    ) -> None:
        super().__init__(
            platform="TikTok",
            base_url=base_url,
            token=token,
            secrets=secrets,
            client=client,
            timeout=timeout,
            message_of=tiktok_message,
        )

    def call(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        creates: bool,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST ``body`` as JSON; the answer's ``data``, or the error its ``error.code`` means."""
        response = self.http.request(
            "POST",
            path,
            creates=creates,
            check=False,
            headers=self.bearer(),
            json=dict(body),
            params=dict(params or {}),
        )
        answer = json_object(response)
        error = answer.get("error")
        code = error.get("code") if isinstance(error, dict) else None
        if isinstance(code, str) and code != "ok":
            raise self.error(response, code, creates=creates)
        self.http.check(response, creates=creates)
        data = answer.get("data")
        if not isinstance(data, dict):
            said = f"TikTok answered HTTP {response.status_code} without data"
            raise Unknown(said) if creates else Transient(said)
        return data

    def error(self, response: httpx.Response, code: str, *, creates: bool) -> PlatformError:
        """The error a TikTok ``error.code`` means (see the module docstring)."""
        said = self.http.said(response)
        prefix = self.http.answered(response)
        if code in AUTH_CODES or response.status_code == 401:
            return AuthExpired(f"{prefix}; the account needs reconnecting: {said}")
        if code in RATE_CODES or response.status_code == 429:
            told = "retry-after" in response.headers
            wait = retry_after(response.headers) if told else RATE_WINDOW_SECONDS
            return RateLimited(
                f"{prefix} (rate limited; retry in {wait:.0f}s): {said}", retry_after=wait
            )
        if code in DAILY_CAP_CODES:
            return RateLimited(
                f"{prefix} (a daily posting cap; retry in {DAILY_CAP_RETRY:.0f}s): {said}",
                retry_after=DAILY_CAP_RETRY,
            )
        if code == "internal_error" or response.status_code >= 500:
            if creates:
                return Unknown(f"{prefix}; the post may have been created: {said}")
            return Transient(f"{prefix}: {said}")
        return Permanent(f"{prefix}: {said}")

    def creator(self) -> Creator:
        """``POST /v2/post/publish/creator_info/query/``."""
        data = self.call("/v2/post/publish/creator_info/query/", {}, creates=False)
        options = data.get("privacy_level_options")
        limit = data.get("max_video_post_duration_sec")
        return Creator(
            username=str(data.get("creator_username") or ""),
            privacy_options=tuple(str(o) for o in options) if isinstance(options, list) else (),
            comment_disabled=data.get("comment_disabled") is True,
            duet_disabled=data.get("duet_disabled") is True,
            stitch_disabled=data.get("stitch_disabled") is True,
            max_duration=float(limit) if isinstance(limit, int | float) and limit > 0 else None,
        )

    def status(self, publish_id: str) -> dict[str, Any]:
        """``POST /v2/post/publish/status/fetch/``: a read, so a lost answer is ``Transient``."""
        return self.call(
            "/v2/post/publish/status/fetch/", {"publish_id": publish_id}, creates=False
        )

    def refresh(self, *, client_key: str, client_secret: str, refresh_token: str) -> dict[str, Any]:
        """``POST /v2/oauth/token/`` (form-encoded): the new tokens, or ``AuthExpired``."""
        form = {
            "client_key": client_key,
            "client_secret": client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return refresh_grant(self.http, "/v2/oauth/token/", form, provider="TikTok")


def result_of(status: Mapping[str, Any], publish_id: str, *, creator: str | None) -> PublishResult:
    """The post's id once TikTok shows it (public posts, after moderation), else the publish id."""
    ids = status.get("publicaly_available_post_id")  # sic: TikTok's spelling
    if isinstance(ids, list) and ids:
        post_id = str(ids[0])
        url = f"https://www.tiktok.com/@{creator}/video/{post_id}" if creator else None
        return PublishResult(external_id=post_id, url=url)
    return PublishResult(external_id=publish_id)


def int_or_zero(value: Any) -> int:
    """A count in an answer (bytes uploaded, a creation time); 0 when it is not an int."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def tiktok_message(response: httpx.Response) -> str | None:
    """TikTok's words: ``code: message (log_id …)``, or an OAuth ``error: description``."""
    body = json_object(response)
    error = body.get("error")
    if isinstance(error, dict):
        code, message, log_id = (str(error.get(k) or "") for k in ("code", "message", "log_id"))
        text = f"{code}: {message}" if message else code
        return f"{text} (log_id {log_id})" if log_id else text or None
    if isinstance(error, str):
        description = body.get("error_description")
        return f"{error}: {description}" if description else error
    return None
