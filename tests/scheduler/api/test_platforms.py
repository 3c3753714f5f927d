"""``GET /platforms``: every platform with every setting an account of it needs, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.accounts import platforms as sandbox_platforms


def _by_name(answer: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {platform["name"]: platform for platform in answer}


def test_platforms_list_each_platforms_settings(client: httpx.Client) -> None:
    answer = client.get("/platforms")
    assert answer.status_code == 200, answer.text
    platforms = _by_name(answer.json())
    mastodon = platforms["mastodon"]
    assert mastodon["label"] == "Mastodon"
    assert mastodon["sandbox_path"] == "/mastodon"
    settings = {s["name"]: s for s in mastodon["settings"]}
    assert settings["base_url"]["required"] is True
    assert settings["base_url"]["type"] == "URL"
    assert settings["access_token"]["required"] is True
    assert settings["access_token"]["secret"] is True
    assert "default" not in settings["access_token"]
    assert settings["visibility"]["default"] == "public"
    assert settings["visibility"]["description"]
    assert platforms["facebook"]["label"] == "Facebook"
    assert {s["name"] for s in platforms["facebook"]["settings"] if s["required"]} == {
        "access_token",
        "page_id",
    }


def test_every_sandboxed_platform_has_its_sandbox_path(client: httpx.Client) -> None:
    platforms = _by_name(client.get("/platforms").json())
    for name in sandbox_platforms():
        assert platforms[name]["sandbox_path"] == f"/{name}"


def test_no_secret_shows_a_default(client: httpx.Client) -> None:
    for platform in client.get("/platforms").json():
        for setting in platform["settings"]:
            if setting["secret"] or setting["required"]:
                assert "default" not in setting, (platform["name"], setting["name"])


def test_one_platform_and_an_unknown_one(client: httpx.Client) -> None:
    webhook = client.get("/platforms/webhook")
    assert webhook.status_code == 200
    assert [s["name"] for s in webhook.json()["settings"] if s["required"]] == ["url", "secret"]
    unknown = client.get("/platforms/nope")
    assert unknown.status_code == 404
    assert "'nope'" in unknown.json()["detail"]
    assert "mastodon" in unknown.json()["detail"]


def test_the_platforms_need_a_signed_in_person(client: httpx.Client) -> None:
    for path in ("/platforms", "/platforms/mastodon"):
        assert httpx.get(f"{client.base_url}{path}").status_code == 401
