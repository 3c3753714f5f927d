"""`callsheet up` on the embedded default: API, scheduler and worker from one command."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.conftest import CALLSHEET, free_port
from tests.running import get_when_up


def test_up_serves_the_api_and_publishes_what_is_due(tmp_path: Path) -> None:
    """`callsheet up --port` on the embedded default, and `callsheet people` run from another
    folder: both use the one database in the per-user data folder (before, each folder got a
    database of its own, and a command run elsewhere found no tables)."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLSHEET_")}
    env |= {"CALLSHEET_TICK_SECONDS": "0.5", "XDG_DATA_HOME": str(tmp_path / "data")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen(
        [*CALLSHEET, "up", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        get_when_up(f"{base}/healthz", timeout=30)
        # As the README says: the first site admin and their token come from the command line.
        # A second one approves: whoever writes a post may not approve it.
        headers = {"Authorization": f"Bearer {_site_admin(elsewhere, env, 'Maya')}"}
        approver = {"Authorization": f"Bearer {_site_admin(elsewhere, env, 'Noor')}"}
        with httpx.Client(base_url=base, headers=headers) as api:
            production = api.post(
                "/productions",
                json={"title": "Night Shift", "kind": "film", "timezone": "Europe/London"},
            ).json()
            account = api.post(
                "/accounts",
                json={
                    "platform": "outbox",
                    "handle": "@nightshiftfilm",
                    "settings": {"path": str(tmp_path / "feed.jsonl")},
                    "production_ids": [production["id"]],
                },
            ).json()
            soon = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
            post = api.post(
                "/posts",
                json={
                    "production_id": production["id"],
                    "pillar": "on_set",
                    "body": "First day on the {{ production.title }} set.",
                    "anchor": {"at": soon},
                    "account_ids": [account["id"]],
                },
            ).json()
            api.post(f"/posts/{post['id']}/submit", json={"version": 1})
            seen = api.get(f"/posts/{post['id']}/preview").json()
            shown = {str(d["delivery_id"]): d["shown"] for d in seen}
            approved = api.post(
                f"/posts/{post['id']}/approve",
                json={"version": 1, "shown": shown},
                headers=approver,
            )
            assert approved.status_code == 200, approved.text
            deadline = time.monotonic() + 30
            published: list[dict[str, object]] = []
            while not published and time.monotonic() < deadline:
                published = api.get("/deliveries", params={"status": "published"}).json()
                time.sleep(0.2)
        assert len(published) == 1, (tmp_path / "up.log").read_text()
        assert "First day on the Night Shift set." in (tmp_path / "feed.jsonl").read_text()
        data = tmp_path / "data" / "callsheet"  # the embedded default, whatever the folder
        assert (data / "callsheet.db").exists()
        assert (data / "callsheet-broker.db").exists()
        assert not list(tmp_path.glob("*.db"))
        assert not list(elsewhere.glob("*.db"))
        assert f"database: sqlite:///{data / 'callsheet.db'}" in (tmp_path / "up.log").read_text()
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(30)
        log.close()
    assert up.returncode == 0


def _site_admin(cwd: Path, env: dict[str, str], name: str) -> str:
    """Add a site admin with the command line, as the README says; their token's secret."""
    people = [*CALLSHEET, "people"]
    email = f"{name.lower()}@nightshift.studio"
    admin = ["--name", name, "--email", email, "--site-admin"]
    added = subprocess.run(
        [*people, "add", *admin], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    assert "database: the embedded one at" in added.stderr
    return subprocess.run(
        [*people, "token", email], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
