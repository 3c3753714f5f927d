"""`callsheet demo` end to end: a fresh directory, a real worker process, exit 0."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path


def test_the_demo_publishes_every_delivery(tmp_path: Path) -> None:
    directory = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "demo", "--dir", str(directory), "--seconds", "10"],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=tmp_path,
        env={"PATH": str(Path(sys.executable).parent), "COLUMNS": "160"},
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
