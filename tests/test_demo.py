"""`callsheet demo` end to end: a fresh directory, a real worker process, exit 0."""

from __future__ import annotations

import json
import subprocess
import sys
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
    feed = directory / "outbox-nightshiftfilm.jsonl"
    posts = [json.loads(line) for line in feed.read_text().splitlines()]
    assert len(posts) == 21
    assert len({p["idempotency_key"] for p in posts}) == 21  # nothing twice
    assert any("Ana Ruiz" in p["text"] and "@anaruiz_sound" in p["text"] for p in posts)
