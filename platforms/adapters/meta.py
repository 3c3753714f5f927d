"""Meta's Graph API family (Facebook Pages, Instagram, Threads): what the three adapters share.

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

**Tokens.** Meta's user and Page tokens are long-lived (about 60 days) and there is no refresh
token: a token still valid is exchanged for a new one (``fb_exchange_token`` on the Graph API,
``th_refresh_token`` on Threads). An expired one cannot be, so the adapters extend a token
``REFRESH_AHEAD`` before it expires rather than in its last minutes, when nothing may be due.
Page tokens made from a long-lived user token never expire (``token_expires_at`` stays empty).

**Lookups.** None of these platforms has an idempotency key. Whether a delivery is already out
is answered from the account's own recent posts: text equality after normalisation, from the
delivery's first send (``Steps``) on.

The access token goes in the ``Authorization`` header; only the two token exchanges put it in
the query string, because Meta defines them so. No message carries a URL, and every credential
is scrubbed from what Meta echoes back.
"""

from __future__ import annotations

import json
import logging
import math
import unicodedata
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

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
)
from platforms.adapters.http import PlatformHTTP, platform_message, retry_after
from platforms.text import CannotPublish, TextRules, shape

log = logging.getLogger(__name__)

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

#: Ours: extend a long-lived token this long before it expires. Meta can only extend a token
#: that is still valid, so waiting for its last minutes would let quiet accounts lapse.
REFRESH_AHEAD = timedelta(days=7)
#: Below this, a token that could not be extended is treated as gone.
EXPIRY_MARGIN = timedelta(minutes=5)

#: Ours: the widest a lookup searches when no first send was recorded.
LOOKUP_WINDOW = timedelta(days=7)
#: Ours: clock difference allowed between us and Meta when searching from the first send.
LOOKUP_SKEW = timedelta(minutes=10)
#: Items asked for per page of a listing (Graph edges cap ``limit`` at 100).
PAGE_SIZE = 100
#: Pages of a listing read before a lookup gives up being sure.
MAX_PAGES = 10


class MetaSettings(AdapterSettings):
    """What every Meta account needs: a token, when it expires, where the API is."""

    access_token: SecretStr
    token_expires_at: UTCTime | None = None
    base_url: HttpURL = GRAPH_BASE_URL
    timeout_seconds: float = Field(default=20.0, gt=0, le=120)


class FacebookLoginSettings(MetaSettings):
    """Facebook Login accounts (Pages, Instagram): the app's id and secret extend the token."""

    app_id: str | None = None
    app_secret: SecretStr | None = None


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


def _number(value: Any) -> int | None:
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


class GraphAPI:
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
        self.platform = platform
        self.http = PlatformHTTP(
            platform=platform,
            base_url=base_url,
            client=client,
            timeout=timeout,
            secrets=secrets,
            message_of=graph_message,
        )
        self._token = token

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
        headers = {"Authorization": f"Bearer {self._token()}"} if auth else {}
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
        code, subcode = _number(error.get("code")), _number(error.get("error_subcode"))
        status = response.status_code
        prefix = f"{self.platform} answered HTTP {status}"
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
        must not answer "absent", and asking again cannot help (the dispatcher leaves the
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

    def close(self) -> None:
        self.http.close()


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# --- content matching ------------------------------------------------------------------------


def normalized(text: str) -> str:
    """Text as compared for a lookup: NFC, ``\\n`` line ends, no outer whitespace."""
    return unicodedata.normalize("NFC", text).replace("\r\n", "\n").strip()


def same_text(found: Any, sent: str) -> bool:
    return isinstance(found, str) and normalized(found) == normalized(sent)


def parse_time(value: Any) -> datetime | None:
    """Meta's ``2026-10-01T12:00:00+0000`` (or ISO 8601 with a colon), aware."""
    if not isinstance(value, str):
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def find_post(
    graph: GraphAPI,
    path: str,
    *,
    fields: str,
    text_field: str,
    time_field: str,
    text: str,
    since: datetime,
    also: Callable[[dict[str, Any]], bool] = lambda _item: True,
) -> dict[str, Any] | None:
    """The newest item of the edge at ``path`` since ``since`` whose text is ``text``."""
    for item in graph.listing(path, fields=fields, since=since):
        when = parse_time(item.get(time_field))
        if when is not None and when < since:
            return None
        if same_text(item.get(text_field), text) and also(item):
            return item
    return None


def quota_wait(timestamps: Iterable[datetime], *, duration: float, now: datetime) -> float:
    """When a rolling quota frees a slot: the oldest post in the window leaves it.

    The account's listing also holds posts made in the app, which do not count against the API
    quota, so this can only be later than the truth, never earlier: waiting too little would
    spend another attempt on a certain refusal.
    """
    window_start = now - timedelta(seconds=duration)
    inside = [when for when in timestamps if when >= window_start]
    if not inside:
        return QUOTA_WAIT
    frees = min(inside) + timedelta(seconds=duration)
    return max(60.0, (frees - now).total_seconds())


def usage_exhausted(
    entry: Mapping[str, Any], usage: str, config: str, *, needed: int = 1
) -> tuple[bool, float]:
    """From a ``*_publishing_limit`` entry: whether ``needed`` more would pass the total, and
    the quota's window in seconds."""
    used = _number(entry.get(usage))
    settings = entry.get(config)
    total = _number(settings.get("quota_total")) if isinstance(settings, dict) else None
    duration = _number(settings.get("quota_duration")) if isinstance(settings, dict) else None
    exhausted = used is not None and total is not None and used + needed > total
    return exhausted, float(duration or 86400)


# --- the adapter base ------------------------------------------------------------------------


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
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
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
        lifetime = _number(body.get("expires_in"))
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
        """``GET /oauth/access_token?grant_type=fb_exchange_token``: a new long-lived token."""
        settings = self.settings
        if not (settings.app_id and settings.app_secret):
            raise AuthExpired(f"{self.label}: no app id and secret to extend the token with")
        return self.graph.call(
            "GET",
            "/oauth/access_token",
            creates=False,
            auth=False,
            params={
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
