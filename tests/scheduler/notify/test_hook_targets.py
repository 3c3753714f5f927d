"""Hooks never reach private addresses: refused when saved, and again when sent (DNS rebinding).

Production's setting (``CALLSHEET_ALLOW_PRIVATE_TARGETS`` off) is turned on here for the API
process and for the sender; the receiver listens on 127.0.0.1, as a metadata service or a
Redis on the scheduler's own machine would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from scheduler.core.clock import Clock
from scheduler.core.config import Settings, get_settings
from scheduler.notify.sending import SendReport, send_due
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.scheduler.notify.test_notifications import Receiver, log_of

SECRET = "s" * 24


@pytest.fixture
def no_private_targets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The API process runs as production does: private targets refused."""
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
    get_settings.cache_clear()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    channel = Receiver()
    yield channel
    channel.stop()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
        ("http://[::1]:6379/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]:8000/", "is a loopback address"),
        ("http://localhost:8000/hook", "localhost (127.0.0.1) is a loopback address"),
        ("http://10.0.0.7/hook", "10.0.0.7 is a private address"),
        ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address"),
    ],
)
def test_a_hook_at_a_private_address_is_a_422_naming_the_url(
    client: httpx.Client,
    session: Session,
    no_private_targets: None,
    url: str,
    words: str,
) -> None:
    production = factories.production(session)
    session.commit()

    answer = client.post(
        f"/productions/{production.id}/notification-hooks", json={"url": url, "secret": SECRET}
    )

    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert "url" in problem["loc"]
    assert words in problem["msg"]
    assert "CALLSHEET_ALLOW_PRIVATE_TARGETS" in problem["msg"]
    assert client.get(f"/productions/{production.id}/notification-hooks").json() == []


def test_a_hook_whose_name_now_points_at_loopback_is_refused_when_sent_and_failed(
    client: httpx.Client,
    session: Session,
    engine: Engine,
    receiver: Receiver,
    no_private_targets: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Saved while ``hooks.crew.example`` resolved to a public address; at send time it
    resolves to 127.0.0.1, where the receiver (a stand-in for an internal service) listens."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    url = f"http://hooks.crew.example:{port}/services/T0/B0/channel-token?key=abc"
    answers = {"hooks.crew.example": "93.184.215.14"}

    real = socket.getaddrinfo

    def getaddrinfo(host: str, service: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            return real(host, service, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], int(service)))]

    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    with monkeypatch.context() as dns:
        dns.setattr(socket, "getaddrinfo", getaddrinfo)
        made = client.post(
            f"/productions/{pid}/notification-hooks", json={"url": url, "secret": receiver.secret}
        )
    assert made.status_code == 201, made.text
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200
    answers["hooks.crew.example"] = "127.0.0.1"  # the name is rebound
    settings = Settings.model_validate(
        {"environment": "test", "database_url": str(engine.url), "allow_private_targets": False}
    )

    service = SchedulerService(
        engine=engine, settings=settings, clock=Clock(), send=lambda ids, owner: None
    )

    with monkeypatch.context() as dns:
        dns.setattr(socket, "getaddrinfo", getaddrinfo)
        report = service.notify()

    assert report == SendReport(failed=1)
    assert receiver.received == []
    [row] = log_of(client, pid)
    assert row["status"] == "failed"
    assert "hooks.crew.example (127.0.0.1) is a loopback address" in row["last_error"]
    assert "key=abc" not in row["last_error"]
    assert "channel-token" not in row["last_error"]


def test_a_receivers_error_page_is_kept_short_and_as_text(
    client: httpx.Client, session: Session, engine: Engine, receiver: Receiver
) -> None:
    production = factories.production(session)
    pid = production.id or 0
    post = factories.post(session, pid, [factories.outbox_account(session, Path("/dev/null"))])
    session.commit()
    made = client.post(
        f"/productions/{pid}/notification-hooks",
        json={"url": receiver.url, "secret": receiver.secret},
    )
    assert made.status_code == 201, made.text
    page = (
        "<html><head><title>Bad gateway</title><style>p { color: red }</style></head><body>"
        + "<p>internal detail</p>" * 200
        + "</body></html>"
    )
    receiver.answer(500, said=page)
    assert client.post(f"/posts/{post.id}/submit", json={"version": 1}).status_code == 200
    settings = Settings.model_validate({"environment": "test", "database_url": str(engine.url)})

    with httpx.Client() as http:
        assert send_due(engine, now=datetime.now(UTC), client=http, settings=settings).retrying

    [row] = log_of(client, pid)
    assert row["last_error"].startswith("HTTP 500: Bad gateway internal detail")
    assert "<" not in row["last_error"]
    assert "color" not in row["last_error"]
    assert len(row["last_error"]) <= 500
