"""What an account's answer shows of its settings: URLs that are credentials by host only, API
addresses without their query, secrets never set as absent. Over real HTTP, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

SLACK = "https://hooks.slack.com/services/T0001/B0002/sl4ck-t0ken-in-path"
DISCORD = "https://discord.com/api/webhooks/123/d1sc0rd-t0ken-in-path"


@pytest.mark.parametrize(
    ("platform", "settings", "shown"),
    [
        ("slack", {"webhook_url": SLACK}, {"webhook_url": "https://hooks.slack.com/…"}),
        ("discord", {"webhook_url": DISCORD}, {"webhook_url": "https://discord.com/…"}),
        (
            "bluesky",
            {
                "base_url": "https://pds.example/xrpc?api_key=q-secret#frag",
                "identifier": "crew.bsky.social",
                "app_password": "abcd-efgh-ijkl-mnop",
            },
            {
                "base_url": "https://pds.example/xrpc",
                "identifier": "crew.bsky.social",
                "app_password": "********",
                # Never set: absent, not "********" as though a session were kept.
                "access_jwt": None,
                "refresh_jwt": None,
            },
        ),
    ],
)
def test_url_settings_are_shown_by_host_and_unset_secrets_as_absent(
    client: httpx.Client, platform: str, settings: dict[str, Any], shown: dict[str, Any]
) -> None:
    created = client.post(
        "/accounts", json={"platform": platform, "handle": "@crew", "settings": settings}
    )

    assert created.status_code == 201, created.text
    assert created.json()["settings"] == shown
    listed = client.get("/accounts").text
    for leaked in ("t0ken-in-path", "q-secret", "abcd-efgh"):
        assert leaked not in created.text
        assert leaked not in listed
