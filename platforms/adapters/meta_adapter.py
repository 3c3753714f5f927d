"""The adapter base of Meta's three platforms: their settings, long-lived tokens, permalinks.

**Tokens.** Meta's user and Page tokens are long-lived (about 60 days) and there is no refresh
token: a token still valid is exchanged for a new one (``fb_exchange_token`` on the Graph API,
``th_refresh_token`` on Threads). An expired one cannot be, so the adapters extend a token
``REFRESH_AHEAD`` before it expires rather than in its last minutes, when nothing may be due.
Page tokens made from a long-lived user token never expire (``token_expires_at`` stays empty).
One extension per account at a time (``Adapter.renew_credentials``): a worker finding a token
another one extended meanwhile adopts it.

Apart from ``meta`` (the Graph API itself) because this is what an adapter is on top of it:
the settings a person enters, the token kept alive between publishes, and the shared shape of a
result (``published_text``, ``created_id``, ``permalink``).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr
from typing_extensions import TypeVar

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    HttpURL,
    Permanent,
    PlatformError,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
    Unknown,
    UTCTime,
    aware,
)
from platforms.adapters.meta import GRAPH_BASE_URL, GraphAPI, number
from platforms.text import CannotPublish, TextRules, shape

log = logging.getLogger(__name__)

#: Ours: extend a long-lived token this long before it expires. Meta can only extend a token
#: that is still valid, so waiting for its last minutes would let quiet accounts lapse.
REFRESH_AHEAD = timedelta(days=7)
#: Below this, a token that could not be extended is treated as gone.
EXPIRY_MARGIN = timedelta(minutes=5)


class MetaSettings(AdapterSettings):
    """What every Meta account needs: a token, when it expires, where the API is."""

    access_token: SecretStr = Field(
        description="A long-lived access token (a Page token for Facebook and Instagram)."
    )
    token_expires_at: UTCTime | None = Field(
        default=None, description="When the access token expires; it is extended before then."
    )
    base_url: HttpURL = Field(
        default=GRAPH_BASE_URL,
        description="The Graph API, with its version; a newer version needs no release.",
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="Seconds to wait for Meta to answer."
    )


class FacebookLoginSettings(MetaSettings):
    """Facebook Login accounts (Pages, Instagram): the app's id and secret extend the token."""

    app_id: str | None = Field(
        default=None, description="The Meta app's id, needed to extend the access token."
    )
    app_secret: SecretStr | None = Field(
        default=None, description="The Meta app's secret, needed to extend the access token."
    )


MetaSettingsT = TypeVar("MetaSettingsT", bound=MetaSettings, default=MetaSettings)
LoginSettingsT = TypeVar(
    "LoginSettingsT", bound=FacebookLoginSettings, default=FacebookLoginSettings
)


class MetaAdapter(Adapter[MetaSettingsT]):
    """An adapter on the Graph API: client, secrets, long-lived token upkeep, permalinks."""

    #: The platform as people call it, for messages.
    label: ClassVar[str]

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        config = self.settings
        self.graph = GraphAPI(
            platform=self.label,
            base_url=config.base_url,
            token=lambda: self.settings.access_token.get_secret_value(),
            secrets=self.secret_values,
            client=client,
            timeout=config.timeout_seconds,
        )

    def prepare(self, now: datetime) -> None:
        """Extend the long-lived token when it expires within ``REFRESH_AHEAD``."""
        expires = self.settings.token_expires_at
        now = aware(now)
        if expires is None or expires - now > REFRESH_AHEAD:
            return
        if expires <= now:
            raise AuthExpired(
                f"the {self.label} access token expired at {expires:%Y-%m-%d %H:%M} UTC; "
                "reconnect the account"
            )
        if not self.can_extend():
            if expires - now <= EXPIRY_MARGIN:
                raise AuthExpired(
                    f"the {self.label} access token expires at {expires:%Y-%m-%d %H:%M} UTC and "
                    "cannot be extended without the app's credentials; reconnect the account"
                )
            return
        self.renew_credentials(lambda: self._extend(now, expires))

    def _extend(self, now: datetime, expires: datetime) -> None:
        """Extend the token now and remember it (run as the account's only renewal)."""
        try:
            body = self.extend_token()
        except Permanent as exc:
            raise AuthExpired(f"{self.label} refused to extend the token: {exc.message}") from None
        except (Transient, Unknown, RateLimited) as exc:
            if expires - now > EXPIRY_MARGIN:
                log.warning("could not extend the %s token yet: %s", self.label, exc.message)
                return
            raise
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise Transient(f"{self.label} extended the token but sent none back")
        lifetime = number(body.get("expires_in"))
        self.remember(
            access_token=SecretStr(token),
            token_expires_at=now + timedelta(seconds=lifetime) if lifetime else None,
        )

    def can_extend(self) -> bool:
        """Whether this account has what ``extend_token`` needs."""
        return True

    @abstractmethod
    def extend_token(self) -> dict[str, Any]:
        """Exchange the current token for a new long-lived one; Meta's JSON answer."""

    def permalink(self, object_id: str, field: str = "permalink") -> PublishResult:
        """A published object's result, with its link when Meta gives it.

        Asked after publishing succeeded, so a failure here only costs the link: the post is
        out, and saying otherwise would get it posted again.
        """
        try:
            body = self.graph.get(f"/{object_id}", fields=field)
        except PlatformError as exc:
            log.info("no %s link for %s: %s", self.label, object_id, exc.message)
            return PublishResult(external_id=object_id)
        url = body.get(field)
        return PublishResult(external_id=object_id, url=url if isinstance(url, str) else None)

    def close(self) -> None:
        self.graph.close()


class FacebookLoginAdapter(MetaAdapter[LoginSettingsT]):
    """Pages and Instagram: the token is extended with the app's id and secret."""

    def can_extend(self) -> bool:
        return bool(self.settings.app_id and self.settings.app_secret)

    def extend_token(self) -> dict[str, Any]:
        """``POST /oauth/access_token`` with ``grant_type=fb_exchange_token``: a new long-lived
        token.

        The app secret and the token travel in the form body, not in the query string Meta's
        examples show (the Graph API takes either): a URL is what proxies, load balancers and
        access logs keep.
        """
        settings = self.settings
        if not (settings.app_id and settings.app_secret):
            raise AuthExpired(f"{self.label}: no app id and secret to extend the token with")
        return self.graph.call(
            "POST",
            "/oauth/access_token",
            creates=False,
            auth=False,
            data={
                "grant_type": "fb_exchange_token",
                "client_id": settings.app_id,
                "client_secret": settings.app_secret.get_secret_value(),
                "fb_exchange_token": settings.access_token.get_secret_value(),
            },
        )


def published_text(rules: TextRules, request: PublishRequest) -> str:
    """The text as published (NFC, one part), or ``Permanent`` with what a person should fix."""
    try:
        return shape(rules, request.text)[0]
    except CannotPublish as exc:
        raise Permanent(str(exc)) from None


def created_id(platform: str, body: Mapping[str, Any], *keys: str, creates: bool = True) -> str:
    """The new object's id from the first of ``keys`` present.

    A success without one leaves a post's outcome unknown (it exists, we cannot name it); for
    an invisible step (a container, an unpublished photo) it is only ``Transient``.
    """
    for key in keys:
        value = body.get(key)
        if isinstance(value, str | int) and str(value):
            return str(value)
    if creates:
        raise Unknown(f"{platform} accepted the post but sent no id back; look it up first")
    raise Transient(f"{platform} answered without the id of what it made")
