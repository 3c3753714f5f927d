"""`callsheet demo` end to end: a fresh directory, a real worker process, exit 0 — and then
the command the demo prints opens its campaign in a browser, signed in as its producer."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.conftest import CALLSHEET, free_port
from tests.running import get_when_up
from tests.scheduler.web.conftest import shoot


def test_the_demo_publishes_every_delivery(tmp_path: Path, chromium: Browser) -> None:
    directory = tmp_path / "demo"
    env = {"PATH": str(Path(sys.executable).parent), "COLUMNS": "160"}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "demo", "--dir", str(directory), "--seconds", "10"],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deliveries published" in done.stdout
    assert "What was published where" in done.stdout
    lines = (directory / "sandbox-posts.jsonl").read_text().splitlines()
    received = [json.loads(line) for line in lines]
    by_platform = Counter(r["platform"] for r in received)
    assert by_platform == {"mastodon": 21, "discord": 9, "facebook": 6}
    statuses = [r for r in received if r["platform"] == "mastodon"]
    assert len({r["idempotency_key"] for r in statuses}) == 21  # nothing twice
    # Texts are unique in this playbook: a repeat on a platform without keys shows here.
    assert len({(r["platform"], r["body"]["text"]) for r in received}) == len(received)
    assert any(
        "Ana Ruiz" in r["body"]["text"] and "@anaruiz_sound" in r["body"]["text"] for r in statuses
    )
    assert "mastodon 21 of 21" in " ".join(done.stdout.split())
    _the_printed_command_opens_the_campaign(done.stdout, tmp_path, env, chromium)


def _the_printed_command_opens_the_campaign(
    said: str, folder: Path, env: dict[str, str], chromium: Browser
) -> None:
    """The demo's last line is a `callsheet up` command: run it as printed (plus a free port)
    and follow the link it prints, as its producer would."""
    printed = next(line for line in said.splitlines() if "callsheet up" in line)
    command = shlex.split(printed.strip())
    assert command[:2] == ["callsheet", "up"]
    port = free_port()
    log = folder / "up.log"
    with log.open("wb") as out:
        up = subprocess.Popen(
            [*CALLSHEET, *command[1:], "--port", str(port)],
            cwd=folder,
            env={**env, "XDG_DATA_HOME": str(folder / "data")},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        get_when_up(f"http://127.0.0.1:{port}/healthz", timeout=30)
        link = re.search(r"(http://\S+/app/sign-in/link/\S+)", log.read_text())
        assert link, log.read_text()
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(link.group(1))
        expect(page.get_by_role("heading", name="Sign in as Dev Raman")).to_be_visible()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Night Shift")).to_be_visible()
        published = page.locator(".agenda .chip-published")
        expect(published.first).to_be_visible()
        total = re.search(r"All (\d+) deliveries published", said)
        assert total
        assert published.count() == int(total.group(1))  # every one of them, shown published
        shoot(page, "demo-calendar")
        # Used once: the same link signs no one in again.
        again = context.new_page()
        again.goto(link.group(1))
        expect(again.get_by_role("alert")).to_contain_text("does not work")
        context.close()
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(30)
    # The link is a credential: printed once for the person, never in the access log.
    secret = link.group(1).split("/sign-in/link/")[1].split("?")[0]
    assert log.read_text().count(secret) == 1
