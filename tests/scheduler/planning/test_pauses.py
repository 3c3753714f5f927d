"""Pauses and the kill switch, on SQLite and PostgreSQL, with a real worker where it matters."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.cli.processes import settings_env
from scheduler.core.clock import Clock
from scheduler.core.errors import Conflict, Invalid
from scheduler.core.models import AuditEvent, Delivery, PauseScope
from scheduler.planning.pauses import list_pauses, pause, resume
from scheduler.planning.schemas import PauseCreate
from scheduler.queue.claims import claim_due, lease_deadline
from scheduler.queue.messages import PUBLISH_TASK, celery_sender, create_celery
from scheduler.queue.service import SchedulerService
from tests import factories
from tests.conftest import CALLSHEET, WorkerProcess


def _statuses(engine: Engine) -> dict[int, str]:
    with Session(engine) as session:
        return {d.id or 0: d.status for d in session.exec(select(Delivery))}


def _tick_until(
    engine: Engine, worker: WorkerProcess, wanted: set[str], ids: list[int], timeout: float = 30
) -> dict[int, str]:
    app = create_celery(worker.settings)
    service = SchedulerService(
        engine=engine,
        settings=worker.settings,
        clock=Clock(),
        send=celery_sender(app, worker.settings.queue_name),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.tick()
        statuses = _statuses(engine)
        if {statuses[i] for i in ids} <= wanted:
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"{_statuses(engine)}\n{worker.log()}")


def _two_productions(session: Session, tmp_path: Path) -> tuple[int, list[int], list[int]]:
    """Night Shift and Day Shift, one due post each; returns (night id, night, day deliveries)."""
    night = factories.production(session)
    day = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    night_post = factories.approved_post(session, night.id or 0, [account])
    day_post = factories.approved_post(session, day.id or 0, [account])
    session.commit()
    rows = session.exec(select(Delivery)).all()
    session.commit()
    by_post = {d.post_id: d.id or 0 for d in rows}
    return night.id or 0, [by_post[night_post.id or 0]], [by_post[day_post.id or 0]]


def test_a_paused_production_publishes_nothing_until_resumed(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    night, night_ids, day_ids = _two_productions(session, tmp_path)
    held = pause(
        session=session,
        actor="dev.raman",
        data=PauseCreate(
            scope=PauseScope.production, production_id=night, reason="Casting news embargoed"
        ),
    )
    session.commit()

    statuses = _tick_until(engine, worker, {"published"}, day_ids)
    time.sleep(0.5)
    statuses = _statuses(engine)
    assert statuses[day_ids[0]] == "published"
    assert statuses[night_ids[0]] == "scheduled"  # due, approved, but paused
    assert (tmp_path / "feed.jsonl").read_text().count("\n") == 1

    resume(session=session, pause_id=held.id or 0, actor="dev.raman")
    session.commit()
    statuses = _tick_until(engine, worker, {"published"}, night_ids)
    assert statuses[night_ids[0]] == "published"


def test_the_kill_switch_from_the_cli_stops_every_production(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    _, night_ids, day_ids = _two_productions(session, tmp_path)
    env = {**os.environ, **settings_env(worker.settings)}
    stopped = subprocess.run(
        [*CALLSHEET, "pause", "--all", "--reason", "Studio-wide stop", "--by", "head.of.marketing"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stopped.returncode == 0, stopped.stderr

    now = datetime.now(UTC)
    claimed = claim_due(engine, now=now, owner="x", limit=10, lease_until=lease_deadline(now, 60))
    assert claimed == []
    (shown,) = list_pauses(session=session)
    session.commit()
    assert (shown.scope, shown.paused_by, shown.reason) == (
        "all",
        "head.of.marketing",
        "Studio-wide stop",
    )
    listing = subprocess.run(
        [*CALLSHEET, "pauses"],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Studio-wide stop" in listing.stdout
    assert set(_statuses(engine).values()) == {"scheduled"}
    assert sorted(night_ids + day_ids) == sorted(_statuses(engine))


def test_a_pause_after_the_claim_stops_the_worker_too(
    session: Session, engine: Engine, worker: WorkerProcess, tmp_path: Path
) -> None:
    _, night_ids, day_ids = _two_productions(session, tmp_path)
    now = datetime.now(UTC)
    ids = claim_due(
        engine, now=now, owner="claim-p", limit=10, lease_until=lease_deadline(now, 300)
    )
    assert sorted(ids) == sorted(night_ids + day_ids)
    pause(
        session=session,
        actor="dev.raman",
        data=PauseCreate(scope=PauseScope.all, reason="Stop now"),
    )
    session.commit()

    create_celery(worker.settings).send_task(
        PUBLISH_TASK, args=[ids, "claim-p"], queue=worker.settings.queue_name
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and set(_statuses(engine).values()) != {"scheduled"}:
        time.sleep(0.2)

    assert set(_statuses(engine).values()) == {"scheduled"}, worker.log()
    assert not (tmp_path / "feed.jsonl").exists()
    with Session(engine) as check:
        attempts = {d.attempt for d in check.exec(select(Delivery))}
    assert attempts == {0}  # nothing was tried, so no attempt is used up


def test_an_account_pause_gates_only_that_account(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    production = factories.production(session)
    main = factories.outbox_account(session, tmp_path / "a.jsonl", "@main")
    crew = factories.outbox_account(session, tmp_path / "b.jsonl", "@crew")
    factories.approved_post(session, production.id or 0, [main, crew])
    pause(
        session=session,
        actor="maya",
        data=PauseCreate(scope=PauseScope.account, account_id=crew.id, reason="Password reset"),
    )
    session.commit()

    now = datetime.now(UTC)
    claimed = claim_due(engine, now=now, owner="x", limit=10, lease_until=lease_deadline(now, 60))
    with Session(engine) as check:
        accounts = {
            d.account_id for d in check.exec(select(Delivery).where(Delivery.status == "claimed"))
        }
    assert len(claimed) == 1
    assert accounts == {main.id}


def test_bad_pauses_name_the_field_and_a_second_pause_names_the_first(
    session: Session, tmp_path: Path
) -> None:
    for data, field in [
        (PauseCreate(scope=PauseScope.production, reason="x"), "production_id"),
        (PauseCreate(scope=PauseScope.account, account_id=404, reason="x"), "account_id"),
        (PauseCreate(scope=PauseScope.all, production_id=1, reason="x"), "scope"),
    ]:
        with pytest.raises(Invalid) as refused:
            pause(session=session, data=data, actor="maya")
        assert refused.value.field == field
    pause(session=session, data=PauseCreate(scope=PauseScope.all, reason="First"), actor="a")
    with pytest.raises(Conflict, match=r"already paused by a .*First"):
        pause(session=session, data=PauseCreate(scope=PauseScope.all, reason="Again"), actor="b")
    session.commit()
    actions = [e.action for e in session.exec(select(AuditEvent))]
    session.commit()
    assert actions.count("pause.started") == 1
