"""The sandbox itself: its page shows what went out, escaped; its control API checks input;
``--keep`` leaves a record after it stops."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from platforms.adapters.base import PublishRequest
from platforms.adapters.registry import build_adapter
from sandbox.control import SandboxControl
from tests.conftest import free_port


def _post_to_discord(sandbox: SandboxControl, text: str) -> None:
    url = f"{sandbox.url('discord')}/api/webhooks/9/page-token-0001"
    adapter = build_adapter("discord", {"webhook_url": url})
    try:
        adapter.publish(PublishRequest(idempotency_key="k", text=text, account_handle="#bts"))
    finally:
        adapter.close()


def test_the_page_shows_what_went_out_with_post_text_escaped(sandbox: SandboxControl) -> None:
    _post_to_discord(sandbox, "<script>alert('wrap')</script> & friends")

    page = httpx.get(f"{sandbox.base_url}/", timeout=10)

    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#x27;wrap&#x27;)&lt;/script&gt; &amp; friends" in page.text
    assert "<script>" not in page.text


def test_a_fault_for_a_platform_it_does_not_imitate_is_refused(sandbox: SandboxControl) -> None:
    answer = httpx.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={"platform": "myspace", "kind": "rate_limit"},
        timeout=10,
    )
    assert answer.status_code == 422
    assert "myspace" in answer.text
    assert "discord" in sandbox.platforms()


def test_keep_leaves_a_record_of_every_post(tmp_path: Path) -> None:
    keep = tmp_path / "went-out.jsonl"
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scheduler.cli",
            "sandbox",
            "--port",
            str(port),
            "--keep",
            str(keep),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    control = SandboxControl(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                control.platforms()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        _post_to_discord(control, "Wrap on Night Shift!")
    finally:
        control.close()
        process.terminate()
        process.wait(15)

    [record] = [json.loads(line) for line in keep.read_text().splitlines()]
    assert (record["platform"], record["body"]["content"]) == ("discord", "Wrap on Night Shift!")
