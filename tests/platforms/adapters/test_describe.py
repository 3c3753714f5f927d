"""Every built-in platform explains each of its settings, and the explanation is the model.

"Required" is checked against what the adapter actually refuses, so a description can never
say a field is optional while saving an account without it fails (or the other way round).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from platforms.adapters.describe import describe_platform, describe_settings
from platforms.adapters.registry import build_adapter
from sandbox.accounts import account_settings
from sandbox.accounts import platforms as sandbox_platforms

ROOT = Path(__file__).resolve().parents[3]
#: The adapters Callsheet ships: its own ``callsheet.adapters`` entry points.
BUILT_IN = sorted(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "callsheet.adapters"
    ]
)


def test_the_built_in_platforms_are_all_here() -> None:
    assert {"x", "bluesky", "mastodon", "threads", "instagram", "facebook", "linkedin"} <= set(
        BUILT_IN
    )
    assert {"tiktok", "youtube", "slack", "discord", "webhook", "outbox"} <= set(BUILT_IN)


@pytest.mark.parametrize("platform", BUILT_IN)
def test_every_setting_says_what_it_is_for_and_what_it_holds(platform: str) -> None:
    info = describe_platform(platform)
    assert info.label.strip(), f"{platform} has no label"
    for setting in info.settings:
        assert setting.description.strip(), f"{platform}.{setting.name} says nothing"
        assert setting.description.strip().endswith("."), f"{platform}.{setting.name}"
        assert setting.type not in ("", "value"), f"{platform}.{setting.name}: {setting.type}"


@pytest.mark.parametrize("platform", BUILT_IN)
def test_secrets_are_marked_and_show_no_default(platform: str) -> None:
    model_fields = describe_settings(platform)
    secrets = {s.name for s in model_fields if s.secret}
    assert all(s.default is None for s in model_fields if s.secret)
    # Every credential-looking field is a secret (an access token shown in a form is a leak).
    for setting in model_fields:
        if setting.name.endswith(("token", "secret", "password")) or setting.name == "webhook_url":
            assert setting.name in secrets, f"{platform}.{setting.name} is not marked secret"


@pytest.mark.parametrize("platform", BUILT_IN)
def test_required_means_the_adapter_refuses_settings_without_it(platform: str) -> None:
    required = {s.name for s in describe_settings(platform) if s.required}
    with pytest.raises(ValidationError) as refused:
        build_adapter(platform, {})
    errors = refused.value.errors()
    assert {e["type"] for e in errors} == {"missing"}
    assert {str(e["loc"][0]) for e in errors} == required


@pytest.mark.parametrize("platform", sandbox_platforms())
def test_the_sandbox_settings_give_every_required_setting(platform: str) -> None:
    """The working settings ``callsheet sandbox`` prints hold what the description requires."""
    given = account_settings(platform, "http://127.0.0.1:8025")
    required = {s.name for s in describe_settings(platform) if s.required}
    assert required <= set(given)
    build_adapter(platform, given)  # and they are accepted


def test_mastodon_is_described_as_its_api_needs() -> None:
    info = describe_platform("mastodon")
    by_name = {s.name: s for s in info.settings}
    assert info.label == "Mastodon"
    assert info.can_lookup is True
    assert info.text_limit == 500
    assert by_name["base_url"].required
    assert by_name["base_url"].type == "URL"
    assert by_name["access_token"].required
    assert by_name["access_token"].secret
    assert "write:statuses" in by_name["access_token"].description
    assert by_name["visibility"].type == "one of: public, unlisted, private"
    assert by_name["visibility"].default == "public"
    assert by_name["timeout_seconds"].type == "number"
    assert describe_platform("facebook").label == "Facebook"
    assert {s.name: s.type for s in describe_settings("bluesky")}["langs"] == "list of strings"
    assert {s.name: s.type for s in describe_settings("x")}["token_expires_at"] == (
        "date and time (ISO 8601)"
    )
