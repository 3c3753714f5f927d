"""POST each post as signed JSON to a URL: a team channel, a CMS, or a platform of one's own.

Receivers authenticate a request by its signature, not by its source address:
``X-Callsheet-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``. Signing the
timestamp with the body lets a receiver refuse a captured request replayed later; ``sign`` and
``verify_signature`` are exported so receivers (the demo's included) apply exactly this rule.

A webhook is not assumed idempotent: the ``Idempotency-Key`` header is sent, but nothing obliges a
receiver to honour it. So a failure after the request may have been read maps to ``Unknown``
(look before sending again), and only failures known to precede sending map to ``Transient``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    Permanent,
    PublishRequest,
    PublishResult,
    RateLimited,
    Transient,
    Unknown,
)
from platforms.adapters.http import plain_text, scrub

#: Seconds to wait when a 429 does not say (or says something unreadable).
DEFAULT_RETRY_AFTER = 60.0
MIN_SECRET_LENGTH = 16


class WebhookSettings(AdapterSettings):
    """Where to POST and the shared secret the receiver checks signatures with.

    The URL is a secret too: receivers (Zapier, Make, a CMS) often carry a token in its path or
    query, so it is sealed with the signing secret and shown by host only.
    """

    url: SecretStr = Field(
        description="Where each post is POSTed as JSON (http:// or https://); sealed and shown "
        "by host only, since receivers often carry a token in it."
    )
    secret: SecretStr = Field(
        description="Shared with the receiver, which checks each request's HMAC-SHA256 "
        "signature with it."
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for the receiver to answer."
    )

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: SecretStr) -> SecretStr:
        """Refuse anything but http(s) at submit time, not at the first publish weeks later."""
        try:
            parsed = httpx.URL(value.get_secret_value())
        except httpx.InvalidURL as exc:
            raise ValueError(f"is not a valid URL ({exc})") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        """A short secret can be guessed offline from one signed request."""
        if len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters")
        return value


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Callsheet-Signature`` header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature_header: str,
    *,
    tolerance_seconds: float = 300,
    now: float | None = None,
) -> bool:
    """Whether a received request is authentic and recent (within ``tolerance_seconds``).

    Compared in constant time so the signature cannot be guessed byte by byte from timings;
    timestamps too far in the past or the future are refused so a captured request cannot be
    replayed later.
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature_header.encode())


class WebhookAdapter(Adapter[WebhookSettings]):
    """Signs and POSTs each post; maps the receiver's answer onto the error tree."""

    name: ClassVar[str] = "webhook"
    label: ClassVar[str] = "Webhook"
    settings_model: ClassVar[type[AdapterSettings]] = WebhookSettings
    idempotent: ClassVar[bool] = False

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        self._owns_client = False
        # Name the receiver by host only: the path or query may carry a token.
        self._where = urlsplit(self.settings.url.get_secret_value()).hostname or "the receiver"

    def publish(self, request: PublishRequest) -> PublishResult:
        """POST the post once; raise the ``PlatformError`` that says whether it may exist."""
        body = _body(request)
        timestamp = str(int(time.time()))
        secret = self.settings.secret.get_secret_value()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": request.idempotency_key,
            "X-Callsheet-Timestamp": timestamp,
            "X-Callsheet-Signature": sign(secret, timestamp, body),
        }
        try:
            response = self._http().post(
                self.settings.url.get_secret_value(),
                content=body,
                headers=headers,
                timeout=self.settings.timeout_seconds,
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc) from None
        return self._result(response, request)

    def close(self) -> None:
        """Close the HTTP client if this adapter made it; an injected one belongs to the caller."""
        if self._owns_client and self._client is not None:
            self._client.close()
            self._client = None
            self._owns_client = False

    def _http(self) -> httpx.Client:
        """The client, made on first publish so validating settings opens no connections."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.timeout_seconds)
            self._owns_client = True
        return self._client

    def _transport_error(self, exc: httpx.TransportError) -> Transient | Unknown:
        """Transient only when the request provably never left; otherwise it may have landed."""
        kind = type(exc).__name__
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return Transient(f"could not connect to webhook {self._where} ({kind}); nothing sent")
        return Unknown(
            f"webhook {self._where} failed after the request was sent ({kind}); "
            "the receiver may have created the post"
        )

    def _result(self, response: httpx.Response, request: PublishRequest) -> PublishResult:
        status = response.status_code
        if 200 <= status < 300:
            return _success(response, request.idempotency_key)
        prefix = f"webhook {self._where} answered HTTP {status}"
        if status == 429:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"{prefix}; retry in {retry_after:.0f}s", retry_after=retry_after)
        if status in (401, 403):
            raise AuthExpired(f"{prefix}; check the webhook secret: {self._said(response)}")
        # Redirects are not followed (re-sending a POST elsewhere unasked is how posts double);
        # a moved endpoint needs its URL updated, which no retry will do.
        if 300 <= status < 500:
            raise Permanent(f"{prefix}: {self._said(response)}")
        raise Unknown(f"{prefix}; the receiver may have created the post: {self._said(response)}")

    def _said(self, response: httpx.Response) -> str:
        """The receiver's own words as plain text, shortened and with our secret scrubbed."""
        return scrub(plain_text(response), [self.settings.secret.get_secret_value()])


def _body(request: PublishRequest) -> bytes:
    """The exact bytes that are signed and sent; sorted and compact so they are reproducible."""
    payload = {
        "idempotency_key": request.idempotency_key,
        "account": request.account_handle,
        "text": request.text,
        "media": [item.as_json() for item in request.media],
        "metadata": dict(request.metadata),
    }
    try:
        encoded = json.dumps(
            payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise Permanent(f"the post cannot be sent as JSON: {exc}") from None
    return encoded.encode()


def _success(response: httpx.Response, idempotency_key: str) -> PublishResult:
    """The receiver's id and link if it gave them; its answer body is optional."""
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return PublishResult(external_id=idempotency_key)
    post_id = answer.get("id")
    url = answer.get("url")
    usable_id = isinstance(post_id, str | int) and not isinstance(post_id, bool) and post_id != ""
    return PublishResult(
        external_id=str(post_id) if usable_id else idempotency_key,
        url=url if isinstance(url, str) and url else None,
    )


def _retry_after(header: str | None) -> float:
    """Seconds to wait per ``Retry-After`` (delay-seconds or HTTP-date); default if unreadable."""
    if header is None:
        return DEFAULT_RETRY_AFTER
    value = header.strip()
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value)
    if not math.isfinite(seconds) or seconds < 0:
        return DEFAULT_RETRY_AFTER
    return seconds


def _seconds_until(http_date: str) -> float:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
