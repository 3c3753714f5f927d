"""Slack: a channel's incoming webhook (``POST {webhook_url}`` with a JSON message).

Flow: one POST of ``{"text": …}``; with images, ``blocks`` as well: the text in ``section``
blocks, then one ``image`` block per image. When a message has blocks Slack shows the blocks
and uses ``text`` only for notifications, so the text goes in both. Slack fetches images
itself, by public URL, so a medium stored as a local file cannot be shown and is refused
before anything is sent. Videos are linked (Slack unfurls the link); a webhook cannot upload.

Slack requires ``alt_text`` on every image block. An image without alt text gets a short
neutral description ("Image 2 of 3 shared with this post") rather than a refused message;
a description longer than Slack's 2,000 characters is shortened.

The text is checked and shaped by the Slack rules of ``platforms.text`` (NFC, 40,000 characters)
before anything is sent. Post text is user text in Slack's mrkdwn: ``&``, ``<`` and ``>`` are
escaped (the three characters Slack asks for), so a post cannot ping ``<!channel>`` or mention
``<@U…>``.

Slack answers ``200 ok`` and no message id, so ``external_id`` is the delivery's idempotency
key. Refusals are plain-text words: ``no_service`` (the webhook was removed) and
``invalid_token`` mean the account must be reconnected (``AuthExpired``); every other word
(``channel_is_archived``, ``channel_not_found``, ``action_prohibited``, ``invalid_payload``…)
is ``Permanent`` and quoted in the message. There is no idempotency and no way to list a
webhook's messages, so a lost answer stays ``Unknown`` for a person to check.

The webhook URL carries its secret, so the whole URL is a secret: kept as ``SecretStr`` and
scrubbed from every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    AuthExpired,
    Media,
    Permanent,
    PublishRequest,
    PublishResult,
)
from platforms.adapters.http import PlatformHTTP
from platforms.text import RULES, CannotPublish, TextRules, shape

#: Block Kit reference (api.slack.com/reference/block-kit/blocks): a section's text is at most
#: 3,000 characters, an image block's ``alt_text`` at most 2,000, a message at most 50 blocks.
SECTION_TEXT_LIMIT = 3000
ALT_TEXT_LIMIT = 2000
BLOCKS_LIMIT = 50
#: Incoming webhooks "Handling errors": the words that mean the webhook itself no longer works.
RECONNECT_WORDS = frozenset({"no_service", "invalid_token", "team_disabled"})


class SlackSettings(AdapterSettings):
    """A channel's incoming webhook: its URL is the credential, so it is a secret."""

    webhook_url: SecretStr = Field(
        description="The channel's incoming webhook URL (a Slack app's Incoming Webhooks), "
        "https://hooks.slack.com/services/<T>/<B>/<secret>."
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for Slack to answer."
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_only(cls, value: SecretStr) -> SecretStr:
        url = httpx.URL(value.get_secret_value())
        if url.scheme not in ("http", "https") or "/services/" not in url.path:
            raise ValueError("must be a Slack incoming webhook URL (…/services/<T>/<B>/<secret>)")
        return value


class SlackAdapter(Adapter[SlackSettings]):
    name: ClassVar[str] = "slack"
    label: ClassVar[str] = "Slack"
    settings_model: ClassVar[type[AdapterSettings]] = SlackSettings
    rules: ClassVar[TextRules] = RULES["slack"]

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        url = self.settings.webhook_url.get_secret_value()
        self.http = PlatformHTTP(
            platform="Slack",
            base_url=url,
            client=client,
            timeout=self.settings.timeout_seconds,
            secrets=lambda: (url, url.rstrip("/").rsplit("/", 1)[-1]),
            message_of=lambda response: response.text.strip() or None,
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        try:
            [text] = shape(self.rules, request.text)
        except CannotPublish as exc:
            raise Permanent(str(exc)) from None
        body = message(text, request.media)
        response = self.http.request("POST", "", creates=True, check=False, json=body)
        word = response.text.strip()
        if response.status_code in (403, 404) and word in RECONNECT_WORDS:
            raise AuthExpired(
                f"Slack answered HTTP {response.status_code} ({word}): the webhook no longer "
                "works; add a new one to the account"
            )
        self.http.check(response, creates=True)
        # 200 "ok" carries no id; the idempotency key names the message in our records.
        return PublishResult(external_id=request.idempotency_key)

    def close(self) -> None:
        self.http.close()


def message(text: str, media: Sequence[Media]) -> dict[str, Any]:
    """The webhook body: ``text`` always; ``blocks`` when there are images to show."""
    escaped = escape(text)
    videos = [m for m in media if m.kind == "video"]
    if videos:
        links = "\n".join(f"<{escape(_public_url(m))}>" for m in videos)
        escaped = f"{escaped}\n{links}" if escaped else links
    images = [m for m in media if m.kind == "image"]
    body: dict[str, Any] = {"text": escaped}
    if not images:
        return body
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": part}} for part in sections(escaped)
    ]
    blocks += [
        {"type": "image", "image_url": _public_url(m), "alt_text": alt_text(m, n, len(images))}
        for n, m in enumerate(images, start=1)
    ]
    if len(blocks) > BLOCKS_LIMIT:
        raise Permanent(
            f"a Slack message holds at most {BLOCKS_LIMIT} blocks; this post needs {len(blocks)} "
            f"({len(images)} images); use fewer images"
        )
    body["blocks"] = blocks
    return body


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only ``&``, ``<`` and ``>`` (api.slack.com "Formatting text")."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alt_text(media: Media, number: int, count: int) -> str:
    """The image's own description, or a short neutral one: Slack refuses an image without."""
    alt = " ".join((media.alt or "").split())
    if not alt:
        return f"Image {number} of {count} shared with this post" if count > 1 else "Image"
    return alt if len(alt) <= ALT_TEXT_LIMIT else alt[: ALT_TEXT_LIMIT - 1] + "…"


def sections(escaped: str) -> list[str]:
    """``escaped`` in pieces a section block accepts, cut at line breaks or spaces if possible."""
    pieces, rest = [], escaped
    while len(rest) > SECTION_TEXT_LIMIT:
        window = rest[:SECTION_TEXT_LIMIT]
        cut = max(window.rfind("\n"), window.rfind(" "))
        if cut <= 0:
            amp = window.rfind("&", SECTION_TEXT_LIMIT - len("&amp;"))
            cut = amp if amp > 0 else SECTION_TEXT_LIMIT  # never split an entity like &amp;
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ")
    if rest.strip():
        pieces.append(rest)
    return pieces


def _public_url(media: Media) -> str:
    """Slack fetches media itself: only an http(s) URL can be shown."""
    if urlsplit(media.url).scheme not in ("http", "https"):
        name = media.url.rstrip("/").rsplit("/", 1)[-1]
        raise Permanent(
            f"Slack shows media by public URL; {name} is a local file. Publish it somewhere "
            "public (or remove it from this Slack delivery)"
        )
    return media.url
