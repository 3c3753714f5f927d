"""``callsheet platforms``: what each platform needs, before connecting an account."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import CALLSHEET


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALLSHEET, "platforms", *args],
        env={
            **os.environ,
            "CALLSHEET_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
            "COLUMNS": "200",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_list_names_each_platforms_required_settings(tmp_path: Path) -> None:
    ran = _run(tmp_path)
    assert ran.returncode == 0, ran.stderr
    rows = {line.split("│")[1].strip(): line for line in ran.stdout.splitlines() if "│" in line}
    assert "Mastodon" in rows["mastodon"]
    assert "base_url, access_token" in rows["mastodon"]
    assert "page_id" in rows["facebook"]


def test_one_platforms_settings_table(tmp_path: Path) -> None:
    ran = _run(tmp_path, "--settings", "mastodon")
    assert ran.returncode == 0, ran.stderr
    rows = {line.split("│")[1].strip(): line for line in ran.stdout.splitlines() if "│" in line}
    cells = lambda name: [c.strip() for c in rows[name].split("│")[2:-1]]  # noqa: E731
    assert cells("base_url")[:4] == ["URL", "yes", "no", "—"]
    assert cells("access_token")[:4] == ["string", "yes", "yes", "—"]
    assert "write:statuses" in cells("access_token")[4]
    assert cells("visibility")[:4] == ["one of: public, unlisted, private", "no", "no", "public"]


def test_an_unknown_platform_names_the_known_ones(tmp_path: Path) -> None:
    ran = _run(tmp_path, "--settings", "nope")
    assert ran.returncode == 1
    said = " ".join(ran.stdout.split())
    assert "unknown platform 'nope'" in said
    assert "mastodon" in said
    assert "youtube" in said
    assert "Traceback" not in ran.stdout + ran.stderr


def test_json_is_the_apis_answer(tmp_path: Path) -> None:
    ran = _run(tmp_path, "--json")
    assert ran.returncode == 0, ran.stderr
    platforms = {p["name"]: p for p in json.loads(ran.stdout)}
    settings = {s["name"]: s for s in platforms["mastodon"]["settings"]}
    assert settings["access_token"]["secret"] is True
    assert "default" not in settings["access_token"]
    one = json.loads(_run(tmp_path, "--settings", "webhook", "--json").stdout)
    assert one["name"] == "webhook"
    assert one["sandbox_path"] == "/webhook"
