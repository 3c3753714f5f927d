"""`callsheet status` shows what a person on call needs, from the real command on each database."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from scheduler.core.models import Delivery, DeliveryStatus, Pause, PauseScope
from tests import factories
from tests.conftest import CALLSHEET


def _status(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALLSHEET, "status", *args],
        env={**os.environ, "CALLSHEET_DATABASE_URL": database_url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_counts_the_backlog_and_names_what_needs_a_person(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "feed.jsonl")
    broken = factories.outbox_account(session, tmp_path / "other.jsonl", handle="@broken")
    broken.needs_reconnect = "the platform refused the token"
    overdue = factories.approved_post(
        session, production.id or 0, [account], at=now - timedelta(hours=2)
    )
    factories.approved_post(session, production.id or 0, [account], at=now + timedelta(hours=3))
    failed = factories.approved_post(session, production.id or 0, [account, broken])
    session.add(
        Pause(
            scope=PauseScope.production,
            production_id=production.id,
            reason="trailer recut",
            paused_by="Ines <ines@studio.test>",
        )
    )
    rows = {d.post_id: d for d in session.exec(select(Delivery))}
    deliveries = list(session.exec(select(Delivery).where(Delivery.post_id == failed.id)))
    deliveries[0].status = DeliveryStatus.failed
    deliveries[1].status = DeliveryStatus.unknown
    deliveries[1].updated_at = now - timedelta(days=2)  # not in the last day
    session.commit()
    assert rows[overdue.id or 0].status == DeliveryStatus.scheduled

    answered = _status(database_url, "--json")
    assert answered.returncode == 0, answered.stderr
    shown = json.loads(answered.stdout)
    assert shown["by_state"]["scheduled"] == 2
    assert shown["by_state"]["failed"] == 1
    assert shown["backlog"] == 2
    assert datetime.fromisoformat(shown["oldest_due"]) < now - timedelta(hours=1)
    assert datetime.fromisoformat(shown["next_due"]) > now + timedelta(hours=2)
    assert (shown["failed_last_day"], shown["unknown_last_day"]) == (1, 0)
    assert [p["reason"] for p in shown["pauses"]] == ["trailer recut"]
    assert [(a["handle"], a["reason"]) for a in shown["reconnect"]] == [
        ("@broken", "the platform refused the token")
    ]

    screen = _status(database_url)
    assert screen.returncode == 0, screen.stderr
    assert "Backlog: 2 waiting" in screen.stdout
    assert "overdue by" in screen.stdout
    assert "1 failed, 0 unknown" in screen.stdout
    assert "trailer recut" in screen.stdout
    assert "@broken" in screen.stdout
