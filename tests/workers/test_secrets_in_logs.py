"""No secret reaches a log line: a real worker publishes with secrets in its URLs, and every
line it logged is searched for them.

Before, the root logger at INFO let httpx log each request line whole, so a Discord webhook's
token (in the URL's path) and a hook's ``?key=`` were in the worker's and the scheduler's logs.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.control import SandboxControl
from sandbox.receiver import WebhookReceiver
from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.logs import configure_logging
from tests import factories
from tests.conftest import WorkerProcess
from tests.running import all_final, run_until, service_for

TOKEN = "crew-token-6f1d2b9e7c"
HOOK_KEY = "hook-key-44c0a9e1b3"


def test_a_worker_publishing_to_discord_logs_no_webhook_token(
    session: Session, engine: Engine, worker: WorkerProcess, sandbox: SandboxControl
) -> None:
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(
            platform="discord",
            handle="#bts",
            settings={"webhook_url": f"{sandbox.url('discord')}/api/webhooks/77/{TOKEN}"},
        ),
    )
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [account])
    session.commit()

    final = run_until(engine, service_for(engine, worker), worker, all_final, timeout=60)

    assert list(final.values()) == ["published"]
    log = worker.log()
    assert "publish_deliveries" in log  # the worker did log its work
    assert TOKEN not in log


def test_the_services_logging_keeps_secrets_in_urls_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What the scheduler, the API and the sandbox set up: an httpx call with a key in its
    query, and a message that quotes a URL with one, leave no key in the output."""
    receiver = WebhookReceiver()
    receiver.start()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        root.handlers.clear()
        configure_logging("INFO")
        url = f"{receiver.url}?key={HOOK_KEY}"
        httpx.post(url, content=b"{}")
        logging.getLogger("scheduler.notify").info("sent to %s", url)
        logging.getLogger("scheduler.notify").warning(
            "token exchange failed: https://graph.facebook.com/oauth?client_secret=%s", HOOK_KEY
        )
    finally:
        receiver.stop()
        root.handlers[:] = handlers
        root.setLevel(level)
    said = capsys.readouterr().err
    assert "sent to" in said
    assert HOOK_KEY not in said
