"""No secret in any process's log: the API, the scheduler, a Celery worker on Redis and the
sandbox run as the commands a user starts, with secrets set everywhere they can be (the vault
key, a Facebook Page's token and app secret, a hook's ``?key=`` and signing secret, API
tokens, a password and its session cookie, a calendar link, an unrelated password setting in
the environment). One post is planned, approved, published through the sandbox (its token
extended on the way), and its hook told; then every line every process wrote is searched for
every secret.

Before, the API's access log printed request lines whole: the hook key sent as ``?key=`` and
the calendar link's token were in it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlmodel import Session, select

from sandbox.control import SandboxControl
from sandbox.receiver import WebhookReceiver
from scheduler.cli.processes import settings_env, stop_process
from scheduler.core.models import Account
from scheduler.core.vault import vault_for
from tests.conftest import CALLSHEET, RUN, free_port, person_with_token, test_settings

PAGE = "1049981"
PAGE_TOKEN = "page-token-41d7e2c9b0"
APP_SECRET = "app-secret-c3a95f1e77"
HOOK_KEY = "hook-key-8e2b6d40a1"
PASSWORD = "premiere night passphrase 7f3c"
SMTP_PASSWORD = "smtp-password-2a6e9c1d5b"
METRICS_TOKEN = "metrics-token-7c1e4b9d20"


class Processes:
    """Callsheet's processes as a user starts them, each writing to a log file of its own."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        with (self.logs / f"{name}.log").open("wb") as log:
            self.running[name] = subprocess.Popen(
                [*CALLSHEET, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_for(self, name: str, ready: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while ready not in self.log(name):
            assert self.running[name].poll() is None, f"{name} stopped:\n{self.log(name)}"
            assert time.monotonic() < deadline, f"{name} never got ready:\n{self.log(name)}"
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.running.values():
            stop_process(process)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.mark.parametrize("backend", ["postgres"])  # production's set-up: PostgreSQL and Redis
def test_no_process_logs_a_secret_while_a_post_is_published(
    engine: Engine,
    database_url: str,
    redis_broker: str,
    receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    vault_key = Fernet.generate_key().decode()
    api_port, sandbox_port = free_port(), free_port()
    settings = test_settings(
        database_url,
        redis_broker,
        queue_name=f"callsheet-test-{RUN}-every-log",  # no other test's worker takes these
        secret_keys=vault_key,
        api_port=api_port,
        tick_seconds=0.3,
        notify_seconds=0.3,
        smtp_url=f"smtp+starttls://callsheet:{SMTP_PASSWORD}@127.0.0.1:{free_port()}",
        metrics_token=METRICS_TOKEN,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLSHEET_")}
    env |= settings_env(settings)
    with Session(engine) as db:
        maya = person_with_token(db, name="Maya", email="maya@nightshift.test", site_admin=True)
        noor = person_with_token(db, name="Noor", email="noor@nightshift.test", site_admin=True)
    processes = Processes(env, tmp_path)
    secrets = [vault_key, PAGE_TOKEN, APP_SECRET, HOOK_KEY, receiver.secret, maya, noor]
    secrets += [PASSWORD, SMTP_PASSWORD, METRICS_TOKEN]
    try:
        processes.start("sandbox", "sandbox", "--port", str(sandbox_port))
        processes.start("worker", "worker", "--loglevel=INFO")
        processes.start("scheduler", "scheduler")
        processes.start("api", "api")
        processes.wait_for("api", "Application startup complete")
        sandbox = SandboxControl(f"http://127.0.0.1:{sandbox_port}")
        _wait_for_sandbox(sandbox)
        processes.wait_for("worker", "ready.")
        secrets += _publish_a_post(
            f"http://127.0.0.1:{api_port}",
            sandbox.url("facebook"),
            receiver,
            maya=maya,
            noor=noor,
        )
        with Session(engine) as db:
            account = db.exec(select(Account)).one()
            extended = vault_for(vault_key).open(account.secrets)["access_token"]
        assert extended != PAGE_TOKEN  # the worker extended the Page's token on the way
        secrets.append(extended)
    finally:
        processes.stop()
        sandbox.close()

    logs = {name: processes.log(name) for name in processes.running}
    assert '"POST /posts HTTP/1.1" 201' in logs["api"]  # each process did log its work
    assert "publish_deliveries" in logs["worker"]
    leaks = [
        f"{name}: {line}"
        for name, log in logs.items()
        for line in log.splitlines()
        if any(secret in line for secret in secrets)
    ]
    assert leaks == []


def _wait_for_sandbox(sandbox: SandboxControl, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            sandbox.platforms()
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the sandbox never answered"
            time.sleep(0.2)


def _publish_a_post(
    api: str, facebook: str, receiver: WebhookReceiver, *, maya: str, noor: str
) -> list[str]:
    """Plan, approve and publish one post over the API, as people would; the secrets it made
    on the way (a session cookie, a calendar link)."""
    made: list[str] = []
    with (
        httpx.Client(base_url=api, headers={"Authorization": f"Bearer {maya}"}) as client,
        httpx.Client(base_url=api) as anyone,
    ):
        approver = {"Authorization": f"Bearer {noor}"}
        assert anyone.get("/healthz", params={"key": HOOK_KEY}).status_code == 200
        person = {"name": "Ana", "email": "ana@nightshift.studio", "password": PASSWORD}
        assert client.post("/people", json=person).status_code == 201
        login = anyone.post("/auth/login", json={"email": person["email"], "password": PASSWORD})
        assert login.status_code == 204
        made.append(login.cookies["callsheet_session"])
        assert anyone.get("/me").status_code == 200

        production = client.post(
            "/productions", json={"title": "Night Shift", "kind": "film", "timezone": "UTC"}
        ).json()
        hook = client.post(
            "/notification-hooks",
            json={"url": f"{receiver.url}?key={HOOK_KEY}", "secret": receiver.secret},
        )
        assert hook.status_code == 201, hook.text
        account = client.post(
            "/accounts",
            json={
                "platform": "facebook",
                "handle": "Night Shift (film)",
                "settings": {
                    "page_id": PAGE,
                    "access_token": PAGE_TOKEN,
                    "app_id": "778",
                    "app_secret": APP_SECRET,
                    "token_expires_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                    "base_url": facebook,
                },
                "production_ids": [production["id"]],
            },
        )
        assert account.status_code == 201, account.text
        link = client.post(f"/productions/{production['id']}/calendar-subscriptions").json()
        made.append(urlsplit(link["url"]).path.removeprefix("/calendar/").removesuffix(".ics"))
        assert anyone.get(urlsplit(link["url"]).path).status_code == 200

        post = client.post(
            "/posts",
            json={
                "production_id": production["id"],
                "pillar": "on_set",
                "body": "Day 14: the crane shot finally works.",
                "anchor": {"at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()},
                "account_ids": [account.json()["id"]],
            },
        )
        assert post.status_code == 201, post.text
        post_id = post.json()["id"]
        client.post(f"/posts/{post_id}/submit", json={"version": 1}).raise_for_status()
        shown = {
            str(d["delivery_id"]): d["shown"]
            for d in client.get(f"/posts/{post_id}/preview").json()
        }
        approved = client.post(
            f"/posts/{post_id}/approve", json={"version": 1, "shown": shown}, headers=approver
        )
        assert approved.status_code == 200, approved.text

        deadline = time.monotonic() + 40
        published: list[object] = []
        while time.monotonic() < deadline and not (published and len(receiver.received) >= 2):
            published = client.get("/deliveries", params={"status": "published"}).json()
            time.sleep(0.3)
        assert len(published) == 1, client.get("/deliveries").text
        assert len(receiver.received) >= 2  # submitted, approved: the hook was called
    return made
