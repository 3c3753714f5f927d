"""X: ``POST /2/tweets`` with an OAuth 2.0 user token, threads as replies, media by id.

The flow, per delivery:

1. **Token**: ``prepare`` refreshes the access token (two hours) when it ends within five
   minutes, at ``POST /2/oauth2/token`` (``grant_type=refresh_token``; HTTP Basic with the
   client secret for a confidential client, ``client_id`` in the form for a public one). X
   rotates refresh tokens: the new one is remembered at once; an answer without one keeps the
   old. A refused refresh (400/401) is ``AuthExpired``. A 401 on any call is met with one
   refresh and one more try, which is safe: a refused request did nothing.
2. **Text**: shaped by ``platforms.text`` (280 weighted characters) into one post or a numbered
   thread.
3. **Media**: uploaded and described (alt text) by ``x_media``, each step saved to progress.
4. **Posts**: ``POST /2/tweets`` with ``text``, ``media.media_ids`` on the first part and
   ``reply.in_reply_to_tweet_id`` on the others. Each posted part is saved to progress, so a
   retry posts only what is missing.

X has no idempotency key. A lost answer is ``Unknown`` and is settled by ``lookup`` (the
account's own recent posts). Sending the same text again is refused with 403 "duplicate
content", without the existing post's id: the adapter then looks in the account's posts made
since this delivery first sent that part; found, it is this delivery's post, published; not
found, the text duplicates an older post and the refusal is ``Permanent`` and says so.
Only a part this delivery sent before (its ``sending`` mark is in progress) can be claimed so:
a duplicate on the first try is always somebody else's post.

Rate limits come as 429 with ``x-rate-limit-reset`` (the 15-minute window, Unix seconds) and,
for posting, ``x-user-limit-24hour-*`` and ``x-app-limit-24hour-*``: the wait is until the
exhausted window resets, which for the daily limits can be hours.
"""

from __future__ import annotations

import base64
import html
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import regex
from pydantic import Field, SecretStr, model_validator

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    HttpURL,
    Permanent,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
    UTCTime,
)
from platforms.adapters.http import PlatformHTTP, platform_message, retry_after
from platforms.adapters.x_media import XMedia
from platforms.text import RULES, CannotPublish, TextRules, extract_urls, shape
from platforms.text.unicode import nfc

#: Refresh an access token that ends within this much (the brief's five minutes).
REFRESH_MARGIN = timedelta(minutes=5)
#: ``GET /2/users/:id/tweets``: at most 100 posts a page (API reference).
TIMELINE_PAGE_SIZE = 100
#: Ours: pages read by one lookup (500 posts) before it gives up and asks a person.
LOOKUP_MAX_PAGES = 5
#: Ours: how far back a lookup reads when the delivery recorded no send time.
LOOKUP_DEFAULT_WINDOW = timedelta(hours=48)
#: Ours: X's clock and ours differ; a post may carry a time this much before our "sent at".
CLOCK_SKEW = timedelta(minutes=5)
#: Ours: the longest a video may take to process before the attempt is retried later.
MEDIA_WAIT_SECONDS = 300.0
DUPLICATE_CONTENT = "duplicate content"
#: Rate-limit windows as X names them in headers, the 15-minute window first.
RATE_WINDOWS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")

_SPACE = regex.compile(r"\s+")


class XSettings(AdapterSettings):
    """One X account connected with OAuth 2.0 (scopes ``tweet.write users.read media.write
    offline.access``)."""

    base_url: HttpURL = "https://api.x.com"
    access_token: SecretStr
    refresh_token: SecretStr | None = None
    token_expires_at: UTCTime | None = None
    #: The app's OAuth 2.0 client id (needed to refresh) and, for a confidential client, secret.
    client_id: str | None = None
    client_secret: SecretStr | None = None
    #: Where a person opens a post (``/i/web/status/<id>`` needs no username).
    web_url: HttpURL = "https://x.com"
    timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    #: ``None`` honours X's ``check_after_secs`` between video status polls.
    media_poll_seconds: float | None = Field(default=None, gt=0, le=60)
    media_wait_seconds: float = Field(default=MEDIA_WAIT_SECONDS, gt=0, le=1800)

    @model_validator(mode="after")
    def _refresh_needs_a_client(self) -> XSettings:
        if self.refresh_token is not None and not self.client_id:
            raise ValueError("client_id is needed to use a refresh_token")
        return self


class XAdapter(Adapter[XSettings]):
    name: ClassVar[str] = "x"
    settings_model: ClassVar[type[AdapterSettings]] = XSettings
    rules: ClassVar[TextRules] = RULES["x"]
    can_lookup: ClassVar[bool] = True

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self.http = PlatformHTTP(
            platform="X",
            base_url=self.settings.base_url,
            client=client,
            timeout=self.settings.timeout_seconds,
            secrets=self.secret_values,
            message_of=x_message,
        )
        self.media = XMedia(
            self._api,
            timeout=self.settings.timeout_seconds,
            poll_seconds=self.settings.media_poll_seconds,
            wait_seconds=self.settings.media_wait_seconds,
        )
        self._user_id: str | None = None

    # --- tokens ----------------------------------------------------------------------------

    def prepare(self, now: datetime) -> None:
        """Refresh the access token if it ends within ``REFRESH_MARGIN`` and can be refreshed."""
        s = self.settings
        if s.refresh_token is None or s.token_expires_at is None:
            return
        if _aware(s.token_expires_at) - _aware(now) <= REFRESH_MARGIN:
            self._refresh()

    def _refresh(self) -> None:
        s = self.settings
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
        body = _object(response)
        access = body.get("access_token")
        if not isinstance(access, str):
            raise Transient("X answered the token refresh without an access token")
        refresh = body.get("refresh_token")
        expires_in = body.get("expires_in")
        self.remember(
            access_token=SecretStr(access),
            # X rotates refresh tokens; an answer without one keeps the one that still works.
            refresh_token=SecretStr(refresh) if isinstance(refresh, str) else s.refresh_token,
            token_expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in))
            if isinstance(expires_in, int | float)
            else None,
        )

    def _api(
        self, method: str, path: str, *, creates: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One call with the user's token: a 401 is met with one refresh and one more try."""
        response = self._send(method, path, creates=creates, **kwargs)
        if response.status_code == 401 and self.settings.refresh_token is not None:
            self._refresh()
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
        token = self.settings.access_token.get_secret_value()
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return self.http.request(
            method, path, creates=creates, check=False, headers=headers, **kwargs
        )

    # --- publishing ------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        parts = self.shape(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return self._result(posted)
        media_ids = (
            self.media.media_ids(list(request.media), request.progress, request.idempotency_key)
            if not posted
            else []
        )
        for index in range(len(posted), len(parts)):
            state = request.progress.state
            sent_before = (
                state.get("key") == request.idempotency_key and state.get("sending") == index
            )
            if "sent_at" not in state:
                request.progress.save(sent_at=datetime.now(UTC).isoformat())
            request.progress.save(key=request.idempotency_key, sending=index)
            reply_to = posted[-1] if posted else None
            post_id = self._post(
                parts[index], reply_to=reply_to, media_ids=media_ids if index == 0 else []
            )
            if post_id is None:
                post_id = self._own_duplicate(parts[index], reply_to, request, sent_before)
            posted.append(post_id)
            request.progress.save(key=request.idempotency_key, posts=list(posted))
        return self._result(posted)

    def _own_duplicate(
        self, part: str, reply_to: str | None, request: PublishRequest, sent_before: bool
    ) -> str:
        """X refused ``part`` as a duplicate: ours, if an earlier attempt sent it, else not."""
        found = None
        if sent_before:  # an earlier attempt sent this part and lost the answer
            found = self._find(part, parent=reply_to, since=_sent_at(request))
        if found is None:
            raise Permanent(
                "X refused this post as duplicate content: the same text is already on the "
                "account, and not from this delivery"
            )
        return found

    def shape(self, text: str) -> list[str]:
        try:
            return shape(self.rules, text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None

    def _post(self, text: str, *, reply_to: str | None, media_ids: Sequence[str]) -> str | None:
        """The new post's id, or ``None`` when X refused it as duplicate content."""
        body: dict[str, Any] = {"text": text}
        if reply_to is not None:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        if media_ids:
            body["media"] = {"media_ids": list(media_ids)}
        try:
            response = self._api("POST", "/2/tweets", creates=True, json=body)
        except Permanent as exc:
            if DUPLICATE_CONTENT in exc.message.lower():
                return None
            raise
        data = _object(response).get("data")
        if not isinstance(data, dict) or "id" not in data:
            raise Transient("X accepted the post but its answer named no id")  # pragma: no cover
        return str(data["id"])

    # --- lookup ----------------------------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The delivery's post if the account already has it, by reading its own posts.

        Reads ``GET /2/users/:id/tweets`` (``start_time`` = the first send recorded in
        progress less ``CLOCK_SKEW``, or ``LOOKUP_DEFAULT_WINDOW`` back when none was recorded).
        A post matches a part when its text, with X's ``t.co`` links put back as written (the
        media link dropped) and HTML entities decoded, equals the part's (NFC, whitespace
        collapsed, links compared without their scheme); a thread's part must also reply to
        the part before.

        How sure: certain within the window, because X refuses the same text twice from one
        account, so at most one post can carry a part's text, and the timeline lists every post
        the account made (up to X's 3,200 most recent). A window holding more than
        ``LOOKUP_MAX_PAGES`` pages is not judged: ``Permanent`` leaves it to a person. A thread
        found in part is saved to progress and reported absent, so the next publish posts only
        what is missing.
        """
        parts = self.shape(request.text)
        posted = _posted(request)
        if len(posted) >= len(parts):
            return self._result(posted)
        found: list[str] = []
        for post in self._timeline(_sent_at(request) - CLOCK_SKEW):
            if len(found) >= len(parts):
                break
            parent = found[-1] if found else None
            if _parent(post) == parent and _comparable(_as_written(post)) == _comparable(
                parts[len(found)]
            ):
                found.append(str(post["id"]))
        if not found:
            return None
        request.progress.save(key=request.idempotency_key, posts=found)
        return self._result(found) if len(found) == len(parts) else None

    def _find(self, part: str, *, parent: str | None, since: datetime) -> str | None:
        wanted = _comparable(part)
        for post in self._timeline(since - CLOCK_SKEW):
            if _parent(post) == parent and _comparable(_as_written(post)) == wanted:
                return str(post["id"])
        return None

    def _timeline(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        """The account's posts made since ``since``, oldest first."""
        if self._user_id is None:
            me = _object(self._api("GET", "/2/users/me")).get("data")
            if not isinstance(me, dict) or "id" not in me:
                raise Transient("X answered /2/users/me without the user's id")
            self._user_id = str(me["id"])
        params: dict[str, Any] = {
            "max_results": TIMELINE_PAGE_SIZE,
            "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tweet.fields": "created_at,entities,referenced_tweets",
            "exclude": "retweets",
        }
        window: list[Mapping[str, Any]] = []
        for _ in range(LOOKUP_MAX_PAGES):
            body = _object(self._api("GET", f"/2/users/{self._user_id}/tweets", params=params))
            window.extend(p for p in body.get("data") or [] if isinstance(p, Mapping))
            token = _mapping(body.get("meta")).get("next_token")
            if not token:
                return iter(reversed(window))
            params["pagination_token"] = token
        raise Permanent(
            "cannot tell whether it went out: more than "
            f"{LOOKUP_MAX_PAGES * TIMELINE_PAGE_SIZE} posts since {since:%Y-%m-%d %H:%M} UTC; "
            "check the account by hand before sending again"
        )

    def _result(self, posted: Sequence[str]) -> PublishResult:
        return PublishResult(
            external_id=posted[0], url=f"{self.settings.web_url}/i/web/status/{posted[0]}"
        )

    def close(self) -> None:
        self.http.close()


# --- answers -------------------------------------------------------------------------------


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
    body = _object(response)
    said = [body["detail"]] if isinstance(body.get("detail"), str) else []
    for error in body.get("errors") or []:
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            said.append(error["message"])
    return " ".join(said) if said else platform_message(response)


def _as_written(post: Mapping[str, Any]) -> str:
    """A post's text with its ``t.co`` links put back as written and the media link dropped."""
    text = str(post.get("text") or "")
    for url in _mapping(post.get("entities")).get("urls") or []:
        if not isinstance(url, Mapping) or not isinstance(url.get("url"), str):
            continue
        is_media = "media_key" in url or str(url.get("display_url", "")).startswith("pic.")
        text = text.replace(url["url"], "" if is_media else str(url.get("expanded_url") or ""))
    return html.unescape(text)


def _comparable(text: str) -> str:
    """NFC, whitespace collapsed, each link lower-cased without scheme or trailing slash."""
    normalized = nfc(text)
    pieces: list[str] = []
    position = 0
    for link in extract_urls(normalized):
        bare = regex.sub(r"^https?://", "", link.text, flags=regex.I).rstrip("/").lower()
        pieces.extend((normalized[position : link.start], bare))
        position = link.end
    pieces.append(normalized[position:])
    return _SPACE.sub(" ", "".join(pieces)).strip()


def _parent(post: Mapping[str, Any]) -> str | None:
    for ref in post.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


def _posted(request: PublishRequest) -> list[str]:
    """Parts already posted for this delivery (progress saved under the same key)."""
    state = request.progress.state
    posts = state.get("posts")
    if not isinstance(posts, list) or not posts:
        return []
    if state.get("key") != request.idempotency_key:
        raise Permanent(
            f"{len(posts)} post(s) of an earlier version of this text are already on X; "
            "delete them or mark the delivery published before sending the new text"
        )
    return [str(p) for p in posts]


def _sent_at(request: PublishRequest) -> datetime:
    recorded = request.progress.state.get("sent_at")
    if isinstance(recorded, str):
        try:
            return _aware(datetime.fromisoformat(recorded))
        except ValueError:
            pass
    return datetime.now(UTC) - LOOKUP_DEFAULT_WINDOW


def _object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)
