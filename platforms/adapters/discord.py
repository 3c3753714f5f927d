"""Discord: a channel's incoming webhook (``POST {webhook_url}?wait=true``).

The webhook URL carries its token, so the whole URL is a secret: it is kept encrypted with the
account's credentials and scrubbed from every message. ``wait=true`` makes Discord answer
with the message, so the delivery records its id. Discord has no idempotency key and no way to
list a webhook's messages, so a lost answer stays ``Unknown`` for a person to check.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import Field, SecretStr, field_validator

from platforms.adapters.base import (
    Adapter,
    AdapterSettings,
    PublishRequest,
    PublishResult,
)
from platforms.adapters.http import PlatformHTTP


class DiscordSettings(AdapterSettings):
    """A channel's incoming webhook: its URL is the credential, so it is a secret."""

    webhook_url: SecretStr = Field(
        description="The channel's webhook URL (Server Settings → Integrations → Webhooks), "
        ".../api/webhooks/<id>/<token>."
    )
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=60, description="Seconds to wait for Discord to answer."
    )

    @field_validator("webhook_url")
    @classmethod
    def _http_only(cls, value: SecretStr) -> SecretStr:
        url = httpx.URL(value.get_secret_value())
        if url.scheme not in ("http", "https") or "/api/webhooks/" not in url.path:
            raise ValueError("must be a Discord webhook URL (…/api/webhooks/<id>/<token>)")
        return value


class DiscordAdapter(Adapter[DiscordSettings]):
    name: ClassVar[str] = "discord"
    label: ClassVar[str] = "Discord"
    settings_model: ClassVar[type[AdapterSettings]] = DiscordSettings

    def __init__(self, settings: AdapterSettings, *, client: httpx.Client | None = None) -> None:
        super().__init__(settings, client=client)
        url = self.settings.webhook_url.get_secret_value()
        self.http = PlatformHTTP(
            platform="Discord",
            base_url=url,
            client=client,
            timeout=self.settings.timeout_seconds,
            secrets=lambda: (url, url.rsplit("/", 1)[-1]),
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        body: dict[str, Any] = {"content": request.text, "allowed_mentions": {"parse": []}}
        images = [m for m in request.media if m.kind == "image"]
        if images:
            body["embeds"] = [{"image": {"url": m.url}} for m in images[:10]]
        response = self.http.request("POST", "", creates=True, params={"wait": "true"}, json=body)
        try:
            return PublishResult(external_id=str(response.json()["id"]))
        except (ValueError, KeyError, TypeError):
            # 2xx means the message exists; without its id, the key still names it.
            return PublishResult(external_id=request.idempotency_key)

    def close(self) -> None:
        self.http.close()
