"""Bluesky's account settings and its atproto session: what every XRPC call needs to be sent.

A **session** comes from ``com.atproto.server.createSession`` with the handle and an app
password: an access JWT (two hours) and a refresh JWT (90 days). createSession is limited to 30
per 5 minutes and 300 a day, so the session is kept with the account's credentials
(``remember``) and renewed with ``com.atproto.server.refreshSession``; only when the refresh JWT
no longer works is a new session created, one renewal per account at a time (a worker finding
a session another one opened meanwhile adopts it). ``prepare`` renews a session that ends within
five minutes; an access JWT that expires anyway (the PDS answers 400 ``ExpiredToken``) is
renewed and the request sent once more (safe: a refused request did nothing).

Apart from ``bluesky`` because it is the account's plumbing, not the post: records, blobs and
lookups all go through ``BlueskySession.call``, and none of them needs to know how the JWTs are
kept. XRPC's error answers (``{"error": "Name", "message": "..."}``) are read here too, since
the session is what first has to tell an expired token from a refusal.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field, SecretStr

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    HttpURL,
    Transient,
    UTCTime,
    aware,
)
from platforms.adapters.http import PlatformHTTP, json_object

#: Renew a session that ends within this much (the brief's five minutes).
REFRESH_MARGIN = timedelta(minutes=5)
#: The PDS's access JWT lifetime (``account-manager/helpers/auth.ts``: 120 minutes), assumed
#: when a token does not say.
ACCESS_LIFETIME = timedelta(minutes=120)
#: Errors that mean "this access token no longer works" (PDS ``auth-verifier.ts``).
_TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")


class BlueskySettings(AdapterSettings):
    """One Bluesky account: its PDS, handle, an app password, and the session kept for it."""

    base_url: HttpURL = Field(
        default="https://bsky.social",
        description="The account's PDS (Personal Data Server); bsky.social unless self-hosted.",
    )
    identifier: str = Field(
        min_length=3,
        description="The handle (crew.bsky.social) or the account's e-mail address.",
    )
    app_password: SecretStr = Field(
        description="An app password (Settings → Privacy and security → App passwords), "
        "never the account's own password."
    )
    access_jwt: SecretStr | None = Field(
        default=None, description="The session's access token; kept by Callsheet, leave empty."
    )
    refresh_jwt: SecretStr | None = Field(
        default=None, description="The session's refresh token; kept by Callsheet, leave empty."
    )
    did: str | None = Field(
        default=None, description="The account's DID; filled in by Callsheet when it signs in."
    )
    token_expires_at: UTCTime | None = Field(
        default=None, description="When the session's access token expires; kept by Callsheet."
    )
    langs: tuple[str, ...] = Field(
        default=(), description="Languages of the posts (BCP 47), for readers' language filters."
    )
    web_url: HttpURL = Field(
        default="https://bsky.app",
        description="Where a person opens a post (/profile/<did>/post/<rkey>).",
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="Seconds to wait for one answer from the PDS."
    )


class BlueskySession:
    """One account's XRPC on its PDS: the session's JWTs, kept in ``account``'s settings."""

    def __init__(self, account: Adapter[BlueskySettings], *, client: httpx.Client | None) -> None:
        self._account = account
        self.http = PlatformHTTP(
            platform="Bluesky",
            base_url=account.settings.base_url,
            client=client,
            timeout=account.settings.timeout_seconds,
            secrets=account.secret_values,
            message_of=xrpc_message,
        )

    def prepare(self, now: datetime) -> None:
        """Renew the session if it ends within ``REFRESH_MARGIN`` (or there is none)."""
        s = self._account.settings
        expires = s.token_expires_at
        if (
            s.access_jwt is None
            or s.did is None
            or expires is None
            or aware(expires) - aware(now) <= REFRESH_MARGIN
        ):
            self.renew()

    def renew(self) -> None:
        """A new session, as the account's only renewal at a time (``renew_credentials``):
        refreshSession spends the refresh JWT, so a second worker renewing with it would be
        refused and sign in again (createSession is rate-limited); it adopts the first one's."""
        self._account.renew_credentials(self._renew)
        settings = self._account.settings
        if settings.access_jwt is None or settings.did is None:
            # What was adopted has no session (a reconnect with a new app password): open one.
            self._account.renew_credentials(self._renew)

    def _renew(self) -> None:
        """refreshSession while the refresh JWT works; createSession only when it does not."""
        settings = self._account.settings
        refresh = settings.refresh_jwt
        if refresh is not None:
            response = self.http.request(
                "POST",
                "/xrpc/com.atproto.server.refreshSession",
                creates=False,
                check=False,
                headers={"Authorization": f"Bearer {refresh.get_secret_value()}"},
            )
            if response.is_success:
                self._adopt(response)
                return
            if not (refused_token(response) or response.status_code == 401):
                self.http.check(response, creates=False)  # 429, 5xx: say so, do not sign in
        response = self.http.request(
            "POST",
            "/xrpc/com.atproto.server.createSession",
            creates=False,
            check=False,
            json={
                "identifier": settings.identifier,
                "password": settings.app_password.get_secret_value(),
            },
        )
        if error_name(response) == "AuthFactorTokenRequired":
            raise AuthExpired(
                "Bluesky asks for a sign-in code (two-factor): use an app password instead"
            )
        self.http.check(response, creates=False)
        self._adopt(response)

    def _adopt(self, response: httpx.Response) -> None:
        session = json_object(response)
        access, did = session.get("accessJwt"), session.get("did")
        if not isinstance(access, str) or not isinstance(did, str):
            raise Transient("Bluesky answered the sign-in without a session")
        refresh = session.get("refreshJwt")
        self._account.remember(
            access_jwt=SecretStr(access),
            # A session answer always brings a new refresh JWT; if one ever does not, the old
            # one is kept: dropping a working refresh token would force a rate-limited sign-in.
            refresh_jwt=SecretStr(refresh)
            if isinstance(refresh, str)
            else self._account.settings.refresh_jwt,
            did=did,
            token_expires_at=jwt_expiry(access) or datetime.now(UTC) + ACCESS_LIFETIME,
        )

    def call(
        self, method: str, nsid: str, *, creates: bool, check: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """One authenticated call; an expired or refused access JWT is renewed and sent again."""
        if self._account.settings.access_jwt is None or self._account.settings.did is None:
            self.renew()
        response = self._send(method, nsid, creates=creates, **kwargs)
        if response.status_code == 401 or refused_token(response):
            self.renew()
            response = self._send(method, nsid, creates=creates, **kwargs)
        if check:
            self.http.check(response, creates=creates)
        return response

    def _send(self, method: str, nsid: str, *, creates: bool, **kwargs: Any) -> httpx.Response:
        access = self._account.settings.access_jwt
        assert access is not None
        headers = {
            **kwargs.pop("headers", {}),
            "Authorization": f"Bearer {access.get_secret_value()}",
        }
        return self.http.request(
            method, f"/xrpc/{nsid}", creates=creates, check=False, headers=headers, **kwargs
        )

    @property
    def did(self) -> str:
        if self._account.settings.did is None:
            self.renew()
        did = self._account.settings.did
        assert did is not None
        return did

    def close(self) -> None:
        self.http.close()


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` of a JWT, read without verifying (only the PDS can verify it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return None


def xrpc_message(response: httpx.Response) -> str | None:
    """XRPC errors are ``{"error": "Name", "message": "..."}``: keep both."""
    body = json_object(response)
    name, message = body.get("error"), body.get("message")
    if isinstance(name, str) and isinstance(message, str):
        return f"{name}: {message}"
    return message if isinstance(message, str) else name if isinstance(name, str) else None


def error_name(response: httpx.Response) -> str | None:
    """The XRPC error's name (``RecordNotFound``, ``ExpiredToken``), if the answer has one."""
    name = json_object(response).get("error")
    return name if isinstance(name, str) else None


def refused_token(response: httpx.Response) -> bool:
    return response.status_code in (400, 401) and error_name(response) in _TOKEN_ERRORS
