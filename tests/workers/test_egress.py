"""A real worker under production's egress policy (``CALLSHEET_ALLOW_PRIVATE_TARGETS`` off).

The accounts were saved while their addresses were allowed: as if their names resolved to a
public address then and to 127.0.0.1 now (DNS rebinding), or the setting changed. The worker
checks the address it connects to, so nothing reaches the sandbox standing in for an internal
service, and the delivery fails for good with the host named, never the URL's secret parts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.control import SandboxControl
from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.models import Delivery
from tests import factories
from tests.conftest import WorkerProcess, test_settings
from tests.running import all_final, run_until, service_for

TOKEN = "internal-webhook-token-0007"


@pytest.fixture
def guarded_worker(
    database_url: str,
    redis_broker: str,
    engine: Engine,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    """A worker of its own (its own queue), run as production runs it: no private targets."""
    settings = test_settings(
        database_url,
        redis_broker,
        queue_name=f"callsheet-egress-{uuid.uuid4().hex[:8]}",
        allow_private_targets=False,
    )
    worker = WorkerProcess(settings, tmp_path_factory.mktemp("egress-worker") / "worker.log")
    yield worker
    worker.stop()


def test_an_account_whose_address_is_now_private_fails_without_sending(
    session: Session, engine: Engine, sandbox: SandboxControl, guarded_worker: WorkerProcess
) -> None:
    url = f"{sandbox.url('discord')}/api/webhooks/77/{TOKEN}"
    account = create_account(
        session=session,
        actor=factories.ACTOR,
        data=AccountCreate(platform="discord", handle="#bts", settings={"webhook_url": url}),
    )
    production = factories.production(session)
    factories.approved_post(session, production.id or 0, [account])
    session.commit()

    final = run_until(engine, service_for(engine, guarded_worker), guarded_worker, all_final, 60)

    [delivery_id] = final
    assert final[delivery_id] == "failed"
    assert sandbox.posts("discord") == []
    session.expire_all()
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    assert delivery.attempt == 1  # refused for good: no retry will change where it points
    error = delivery.last_error or ""
    assert "127.0.0.1 is a loopback address" in error
    assert "CALLSHEET_ALLOW_PRIVATE_TARGETS" in error
    assert TOKEN not in error
    assert TOKEN not in guarded_worker.log()
