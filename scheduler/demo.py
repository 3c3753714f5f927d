"""``callsheet demo``: one production's BTS campaign, planned, approved and published.

Everything is real except time: a SQLite database, Celery's broker on SQLite, a worker process,
the scheduler service ticking each second, the outbox and webhook adapters (the webhook posts to
a local receiver that checks every signature). The schedule's clock runs fast, so ten weeks of
a campaign pass in about twenty seconds.
"""

from __future__ import annotations

import shutil
import time as real_time
from datetime import datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scheduler.cli import stop_process, worker_process
from scheduler.clock import Clock, machine_now
from scheduler.config import Settings, get_settings
from scheduler.db import create_db_engine
from scheduler.demo_campaign import DemoPlan, DemoReceiver, seed_campaign
from scheduler.migrate import upgrade
from scheduler.models import Account, Delivery, DeliveryStatus, Post
from scheduler.service import SchedulerService, celery_sender
from workers.app import create_celery

#: Real seconds given to the worker process to start before the campaign clock starts.
WORKER_START_SECONDS = 6.0
FINAL = {
    DeliveryStatus.published,
    DeliveryStatus.failed,
    DeliveryStatus.unknown,
    DeliveryStatus.held,
    DeliveryStatus.cancelled,
}


def demo_settings(directory: Path, *, epoch: datetime, origin: datetime, rate: float) -> Settings:
    """The embedded setup inside ``directory``, on a fast clock."""
    base = get_settings()
    return base.model_copy(
        update={
            "database_url": f"sqlite:///{directory / 'callsheet.db'}",
            "broker_url": f"sqla+sqlite:///{directory / 'broker.db'}",
            "queue_name": "callsheet-demo",
            "worker_pool": "threads",
            "worker_concurrency": 4,
            "tick_seconds": 0.5,
            "clock_epoch": epoch,
            "clock_origin": origin,
            "clock_rate": rate,
            "retry_base_seconds": 3600.0,
        }
    )


def run_demo(*, directory: Path, seconds: float, console: Console) -> int:
    """Run the demo; 0 only when every delivery was published."""
    directory = directory.resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    day_zero = (machine_now() + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    receiver = DemoReceiver()
    receiver.start()
    try:
        engine, settings, plan = _prepare(directory, day_zero, seconds, receiver, console)
        worker_log = directory / "worker.log"
        worker = worker_process(settings, log_path=worker_log)
        try:
            return _publish(engine, settings, plan.total, receiver, console, worker_log)
        finally:
            stop_process(worker)
            engine.dispose()
    finally:
        receiver.stop()


def _prepare(
    directory: Path, day_zero: datetime, seconds: float, receiver: DemoReceiver, console: Console
) -> tuple[Engine, Settings, DemoPlan]:
    probe = demo_settings(directory, epoch=day_zero, origin=machine_now(), rate=1.0)
    upgrade(probe.database_url)
    engine = create_db_engine(probe.database_url)
    with Session(engine, expire_on_commit=False) as session:
        plan = seed_campaign(
            session=session,
            directory=directory,
            day_zero=day_zero,
            webhook_url=receiver.url,
            webhook_secret=receiver.secret,
        )
        session.commit()
    span = plan.last_due - day_zero + timedelta(hours=6)
    rate = span.total_seconds() / seconds
    origin = machine_now() + timedelta(seconds=WORKER_START_SECONDS)
    settings = demo_settings(directory, epoch=day_zero, origin=origin, rate=rate)
    console.print(
        f"[bold]{plan.title}[/bold]: {len(plan.milestones)} milestones, {plan.posts} posts, "
        f"{plan.total} deliveries on {plan.accounts} accounts, approved by the producer.\n"
        f"The campaign clock starts at {day_zero:%d %b %Y} and runs {rate:,.0f}x real time "
        f"(about {seconds:.0f} s). Files: {directory}"
    )
    return engine, settings, plan


def _publish(
    engine: Engine,
    settings: Settings,
    total: int,
    receiver: DemoReceiver,
    console: Console,
    worker_log: Path,
) -> int:
    clock = Clock.from_settings(settings)
    broker = create_celery(settings)
    service = SchedulerService(
        engine=engine,
        settings=settings,
        clock=clock,
        send=celery_sender(broker, settings.queue_name),
    )
    ticking = service.start_background()
    deadline = real_time.monotonic() + 90 + WORKER_START_SECONDS
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task("starting", total=total)
            while real_time.monotonic() < deadline:
                counts = _counts(engine)
                done = sum(n for status, n in counts.items() if status in FINAL)
                now = clock.now()
                label = f"campaign clock {now:%a %d %b %Y %H:%M} UTC"
                progress.update(
                    task, completed=counts.get(DeliveryStatus.published, 0), description=label
                )
                if done >= total:
                    break
                real_time.sleep(0.25)
    finally:
        ticking.shutdown(wait=True)
    counts = _counts(engine)
    console.print(_report(engine))
    published = counts.get(DeliveryStatus.published, 0)
    console.print(
        f"webhook receiver got {receiver.count} signed requests "
        f"({receiver.bad_signatures} with a bad signature)"
    )
    if published == total and receiver.bad_signatures == 0:
        console.print(f"[green]all {total} deliveries published[/green]")
        return 0
    console.print(
        f"[red]{published} of {total} published: {dict(counts)}; worker log: {worker_log}[/red]"
    )
    return 1


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(Delivery.status, func.count()).group_by(Delivery.status))
        return dict(rows.all())


def _report(engine: Engine) -> Table:
    table = Table(
        "due (London)",
        "published",
        "account",
        "post",
        "status",
        "external id",
        title="What went out where",
    )
    with Session(engine) as session:
        rows = session.exec(
            select(Delivery, Account, Post)
            .join(Account, col(Account.id) == col(Delivery.account_id))
            .join(Post, col(Post.id) == col(Delivery.post_id))
            .order_by(col(Delivery.due_at), col(Delivery.id))
        )
        for delivery, account, post in rows:
            late = ""
            if delivery.published_at is not None:
                lateness = delivery.published_at - delivery.due_at
                late = f"+{_human(lateness)}"
            table.add_row(
                _local(delivery.due_at),
                late,
                f"{account.platform} {account.handle}",
                post.template or "body",
                delivery.status,
                delivery.external_id or "",
            )
    return table


def _local(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Europe/London")).strftime("%a %d %b %H:%M")


def _human(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0)
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
