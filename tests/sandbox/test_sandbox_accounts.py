"""What `callsheet sandbox` tells a person is true: the settings it prints connect an account of
every platform, publish into the sandbox, and it logs each request; a path it does not serve
is answered with the paths it does."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from platforms.adapters.base import Permanent, PublishRequest
from platforms.adapters.registry import build_adapter
from sandbox.accounts import account_settings, platforms
from sandbox.control import SandboxControl
from scheduler.cli.processes import stop_process
from tests.conftest import CALLSHEET, free_port
from tests.running import get_when_up

#: Platforms that take a text-only post (TikTok and YouTube need a video, Instagram a picture).
TEXT_ONLY = ["x", "bluesky", "mastodon", "threads", "facebook", "linkedin", "slack", "discord"]


@pytest.mark.parametrize("platform", platforms())
def test_the_printed_settings_are_valid_for_every_adapter(
    platform: str, sandbox: SandboxControl
) -> None:
    adapter = build_adapter(platform, account_settings(platform, sandbox.base_url))
    adapter.close()


@pytest.mark.parametrize("platform", TEXT_ONLY)
def test_the_printed_settings_publish_into_the_sandbox(
    platform: str, sandbox: SandboxControl
) -> None:
    adapter = build_adapter(platform, account_settings(platform, sandbox.base_url, "rehearsal"))
    try:
        adapter.prepare(datetime.now(UTC))
        result = adapter.publish(
            PublishRequest(
                idempotency_key=f"rehearsal-{platform}",
                text=f"Rehearsal on {platform}: the crew at work.",
                account_handle="@rehearsal",
            )
        )
    finally:
        adapter.close()
    assert result.external_id
    received = sandbox.posts(platform)
    assert [r["body"] for r in received if "Rehearsal" in json.dumps(r["body"])]


def test_the_command_prints_settings_logs_requests_and_names_its_paths(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "sandbox.log").open("wb") as log:
        process = subprocess.Popen(
            [*CALLSHEET, "sandbox", "--port", str(port)],
            env=os.environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            get_when_up(f"{base}/_sandbox/health")
            unknown = httpx.post(f"{base}/api/v1/statuses", json={"status": "hi"})
            assert unknown.status_code == 404
            assert unknown.json()["platforms"]["mastodon"] == f"{base}/mastodon"
            assert "base_url" in unknown.json()["hint"]
        finally:
            stop_process(process)
    printed = (tmp_path / "sandbox.log").read_text()
    for platform in platforms():
        line = next(x for x in printed.splitlines() if x.strip().startswith(platform + " "))
        assert json.loads(line.split(None, 1)[1]) == account_settings(platform, base)
    assert '"POST /api/v1/statuses HTTP/1.1" 404' in printed


def test_an_account_pointed_at_the_bare_sandbox_fails_naming_the_url_it_called(
    sandbox: SandboxControl,
) -> None:
    """Before, every delivery failed with "mastodon answered HTTP 404" and nothing said where."""
    token = "wrong-place-token-9f1c"
    adapter = build_adapter("mastodon", {"base_url": sandbox.base_url, "access_token": token})
    try:
        with pytest.raises(Permanent) as refused:
            adapter.publish(
                PublishRequest(idempotency_key="bare", text="Hello", account_handle="@crew")
            )
    finally:
        adapter.close()
    message = str(refused.value)
    assert f"answered HTTP 404 to POST {sandbox.base_url}/api/v1/statuses" in message
    assert token not in message
