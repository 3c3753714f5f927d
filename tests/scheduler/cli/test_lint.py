"""``callsheet lint``, run as a real command: stdin in, verdict out, exit status by validity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

CALLSHEET = [sys.executable, "-m", "scheduler.cli"]


def lint(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``callsheet lint`` with ``text`` on stdin; output decoded as UTF-8 whatever the locale."""
    done = subprocess.run(
        [*CALLSHEET, "lint", *args],
        input=text.encode(),
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "200"},  # no wrapping in the readable summary
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def lint_json(text: str, *args: str) -> tuple[int, dict[str, Any]]:
    done = lint(text, "--json", *args)
    return done.returncode, json.loads(done.stdout)


def test_valid_text_exits_0_with_the_verdict_as_json():
    code, verdict = lint_json("Day 12 on set 🎬 #BTS example.com/behind\n", "--platform", "x")
    assert code == 0
    assert verdict["valid"] is True
    assert verdict["length"] == 45  # the trailing newline from echo is not counted
    assert verdict["limit"] == 280
    assert verdict["problems"] == []
    assert verdict["parts"] == ["Day 12 on set 🎬 #BTS example.com/behind"]


def test_invalid_text_exits_1_and_says_why():
    code, verdict = lint_json("a" * 2001, "--platform", "discord")
    assert code == 1
    assert verdict["valid"] is False
    assert verdict["problems"] == ["2,000 characters is Discord's limit; this text has 2,001."]
    assert verdict["parts"] is None


def test_a_threadable_platform_prints_the_thread():
    text = "Behind the scenes, day one. " * 20
    code, verdict = lint_json(text, "--platform", "bluesky")
    assert code == 0
    assert len(verdict["parts"]) == 2
    assert verdict["parts"][0].endswith(" 1/2")
    assert all(len(part) <= 300 for part in verdict["parts"])
    code, verdict = lint_json(text, "--platform", "bluesky", "--no-thread")
    assert code == 1
    assert verdict["parts"] is None


def test_limit_overrides_the_platform_limit():
    text = "word " * 120
    code, verdict = lint_json(text, "--platform", "mastodon", "--limit", "1000", "--no-thread")
    assert (code, verdict["limit"], verdict["valid"]) == (0, 1000, True)


def test_unknown_platform_exits_2_and_lists_the_known_ones():
    done = lint("hello", "--platform", "myspace")
    assert done.returncode == 2
    assert "myspace" in done.stderr
    for name in ("bluesky", "mastodon", "x", "youtube"):
        assert name in done.stderr


def test_media_on_the_command_line():
    code, verdict = lint_json("New still", "-p", "instagram")
    assert code == 1
    assert verdict["problems"] == ["Instagram needs an image or a video."]
    code, verdict = lint_json("New still", "-p", "instagram", "--media", "image=Two actors")
    assert code == 0
    code, verdict = lint_json("New still", "-p", "x", "--media", "image")
    assert code == 0
    assert verdict["warnings"][0].startswith("Image 1 has no alt text")
    assert lint("New still", "-p", "x", "--media", "gif").returncode == 2


def test_readable_summary_without_json():
    done = lint("Wrap party tonight", "--platform", "linkedin")
    assert done.returncode == 0
    assert "LinkedIn" in done.stdout
    assert "ready" in done.stdout
    done = lint("Title\n<b>nope</b>", "--platform", "youtube", "--media", "video")
    assert done.returncode == 1
    assert "cannot be published" in done.stdout
    assert 'YouTube does not accept "<" or ">"' in done.stdout
