"""``callsheet demo``: one production's BTS campaign, planned, approved and published.

Everything is real except time and the platforms: a SQLite database, Celery's broker on SQLite,
a worker process, the scheduler service ticking, and the platform adapters doing their real
request flows over HTTP against the platform sandbox (Mastodon, Discord and a Facebook Page),
plus a signed webhook to a local receiver that checks every signature. The schedule's clock
runs fast, so ten weeks of a campaign pass in about twenty seconds. At the end the demo counts
what each platform received: every delivery exactly once.
"""

from __future__ import annotations

import math
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from sandbox.control import SandboxControl
from sandbox.receiver import WebhookReceiver
from sandbox.server import SandboxServer
from scheduler.cli.processes import stop_process, worker_process
from scheduler.core.clock import Clock, machine_now
from scheduler.core.config import Settings, get_settings
from scheduler.core.db import create_db_engine
from scheduler.core.migrate import upgrade
from scheduler.core.models import Account, Delivery, DeliveryStatus, Post, Production, Role
from scheduler.exchange.playbook import Campaign, load_playbook, play
from scheduler.people.members import create_person, set_role
from scheduler.queue.messages import celery_sender, create_celery
from scheduler.queue.service import SchedulerService

PLAYBOOK = "night_shift.json"
#: The longest grace a production may set (``planning.schemas``): 30 days.
LONGEST_GRACE_MINUTES = 30 * 24 * 60
MARKETER = "maya.okafor (marketing)"
PRODUCER = "dev.raman (producer)"
#: Who signs in to the demo's pages: name, email, role in its production.
TEAM = (
    ("Dev Raman", "dev.raman@nightshift.film", Role.producer),
    ("Maya Okafor", "maya.okafor@nightshift.film", Role.marketer),
)
#: Real seconds the worker process gets to start before the campaign clock starts.
WORKER_START_SECONDS = 6.0
#: Real seconds the demo waits for the last delivery before it gives up.
PATIENCE_SECONDS = 90.0
FINAL = {
    DeliveryStatus.published,
    DeliveryStatus.failed,
    DeliveryStatus.unknown,
    DeliveryStatus.held,
    DeliveryStatus.cancelled,
}


def demo_settings(directory: Path, **clock: object) -> Settings:
    """The embedded setup inside ``directory``; ``clock`` sets the fast schedule clock."""
    return get_settings().model_copy(
        update={
            "database_url": f"sqlite:///{directory / 'callsheet.db'}",
            "broker_url": f"sqla+sqlite:///{directory / 'broker.db'}",
            "queue_name": "callsheet-demo",
            "worker_pool": "threads",
            "worker_concurrency": 4,
            "tick_seconds": 0.5,
            **clock,
        }
    )


def run_demo(*, directory: Path, seconds: float, console: Console) -> int:
    """Run the demo; 0 only when every delivery was published."""
    directory = directory.resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    london = ZoneInfo("Europe/London")
    day_zero = datetime.combine(
        machine_now().astimezone(london).date() + timedelta(days=1),
        datetime.min.time(),
        tzinfo=london,
    )
    receiver = WebhookReceiver()
    receiver.start()
    engine = create_db_engine(demo_settings(directory).database_url)
    sandbox_server = SandboxServer(keep=directory / "sandbox-posts.jsonl")
    try:
        sandbox = sandbox_server.__enter__()
        campaign = _plan(engine, directory, day_zero, receiver, sandbox)
        rate = (campaign.last_due - day_zero + timedelta(hours=6)).total_seconds() / seconds
        _grace_of_a_real_minute(engine, rate)
        origin = machine_now() + timedelta(seconds=WORKER_START_SECONDS)
        settings = demo_settings(
            directory, clock_epoch=day_zero, clock_origin=origin, clock_rate=rate
        )
        console.print(
            f"[bold]{campaign.title}[/bold]: {len(campaign.milestones)} milestones, "
            f"{campaign.posts} posts, {campaign.deliveries} deliveries on {campaign.accounts} "
            f"accounts, approved by the producer.\nThe campaign clock starts at "
            f"{day_zero:%d %b %Y} and runs {rate:,.0f}x real time. Files: {directory}"
        )
        worker_log = directory / "worker.log"
        worker = worker_process(settings, log_path=worker_log)
        try:
            _publish(engine, settings, campaign.deliveries, console)
        finally:
            stop_process(worker)
        return _verdict(engine, campaign.deliveries, receiver, sandbox, console, worker_log, rate)
    finally:
        engine.dispose()
        receiver.stop()
        sandbox_server.__exit__(None, None, None)


def _grace_of_a_real_minute(engine: Engine, rate: float) -> None:
    """Give the demo's production a grace of one real minute before a post counts as late.

    The demo's clock runs ``rate`` times real time, so the default grace (two hours of schedule
    time) would be a fraction of a real second, and a worker starting up or a platform's
    injected fault would hold posts as late (``scheduler.planning.lateness``).
    """
    minutes = min(LONGEST_GRACE_MINUTES, max(120, math.ceil(rate)))  # rate x 60 s, in minutes
    with engine.begin() as conn:
        conn.execute(update(Production).values(late_grace_minutes=minutes))


def _plan(
    engine: Engine,
    directory: Path,
    day_zero: datetime,
    receiver: WebhookReceiver,
    sandbox: SandboxControl,
) -> Campaign:
    upgrade(str(engine.url))
    playbook = load_playbook(get_settings().templates_dir / "playbooks" / PLAYBOOK)
    settings = {}
    for number, (key, account) in enumerate(playbook.accounts.items(), start=1001):
        if account.platform == "webhook":
            settings[key] = {"url": receiver.url, "secret": receiver.secret}
        elif account.platform == "outbox":
            settings[key] = {"path": str(directory / (account.file or f"{key}.jsonl"))}
        else:
            settings[key] = sandbox_settings(account.platform, sandbox, number)
    with Session(engine, expire_on_commit=False) as session:
        campaign = play(
            playbook,
            session=session,
            day_zero=day_zero,
            account_settings=settings,
            marketer=MARKETER,
            producer=PRODUCER,
        )
        _team(session)
        session.commit()
    return campaign


def _team(session: Session) -> None:
    """The people of the demo's production, to sign in to its pages afterwards (with the link
    ``callsheet up --sign-in-link`` prints: they have no password)."""
    production = session.exec(select(Production)).one()
    for name, email, role in TEAM:
        person = create_person(
            session=session, name=name, email=email, password=None, site_admin=False, actor="demo"
        )
        set_role(
            session=session,
            production_id=production.id or 0,
            person_id=person.id or 0,
            role=role,
            actor="demo",
        )


def sandbox_settings(platform: str, sandbox: SandboxControl, number: int) -> dict[str, str]:
    """Settings that point an account at the sandbox's imitation of its platform."""
    base = sandbox.url(platform)
    token = f"demo-token:{platform}-{number}"  # the sandbox files posts by the token's tail
    if platform == "discord":
        return {"webhook_url": f"{base}/api/webhooks/{number}/demo-webhook-token-{number}"}
    if platform == "facebook":
        return {"base_url": base, "page_id": str(number), "access_token": token}
    return {"base_url": base, "access_token": token}


def _publish(engine: Engine, settings: Settings, total: int, console: Console) -> None:
    """Tick the scheduler in the background and show progress until everything is settled."""
    clock = Clock.from_settings(settings)
    service = SchedulerService(
        engine=engine,
        settings=settings,
        clock=clock,
        send=celery_sender(create_celery(settings), settings.queue_name),
    )
    ticking = service.start_background()
    deadline = time.monotonic() + WORKER_START_SECONDS + PATIENCE_SECONDS
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("starting the worker", total=total)
            while time.monotonic() < deadline:
                counts = _counts(engine)
                progress.update(
                    bar,
                    completed=counts.get(DeliveryStatus.published, 0),
                    description=f"publishing · {clock.now():%a %d %b %Y} (UTC)",
                )
                if sum(n for status, n in counts.items() if status in FINAL) >= total:
                    break
                time.sleep(0.2)
    finally:
        ticking.shutdown(wait=True)


def _verdict(
    engine: Engine,
    total: int,
    receiver: WebhookReceiver,
    sandbox: SandboxControl,
    console: Console,
    worker_log: Path,
    rate: float,
) -> int:
    console.print(_report(engine, rate))
    counts = _counts(engine)
    published = counts.get(DeliveryStatus.published, 0)
    console.print(
        f"The team channel received {receiver.count} webhook posts, "
        f"{receiver.bad_signatures} with a bad signature."
    )
    expected = _published_per_platform(engine)
    received = {name: len(sandbox.posts(name)) for name in expected if name != "webhook"}
    shown = ", ".join(f"{name} {n} of {expected[name]}" for name, n in sorted(received.items()))
    console.print(f"The platform sandbox received: {shown}.")
    exactly_once = all(n == expected[name] for name, n in received.items())
    if published == total and receiver.bad_signatures == 0 and exactly_once:
        console.print(f"[green]All {total} deliveries published.[/green]")
        console.print(
            "See the campaign in the browser, signed in as its producer:\n"
            f"  callsheet up --database {_near(engine)} --sign-in-link {TEAM[0][1]}",
            highlight=False,
            soft_wrap=True,
        )
        return 0
    console.print(
        f"[red]{published} of {total} deliveries published ({counts}); see {worker_log}[/red]"
    )
    return 1


def _published_per_platform(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        query = (
            select(Account.platform, func.count())
            .join(Delivery, col(Delivery.account_id) == col(Account.id))
            .where(Delivery.status == DeliveryStatus.published)
            .group_by(col(Account.platform))
        )
        return dict(session.exec(query).all())


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        query = select(Delivery.status, func.count()).group_by(col(Delivery.status))
        return dict(session.exec(query).all())


def _near(engine: Engine) -> str:
    """The demo's database file, as a path from the current folder when it is inside it."""
    path = Path(engine.url.database or "")
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _report(engine: Engine, rate: float) -> Table:
    """One row per delivery. Lateness is shown in real seconds: on the demo's clock one real
    second is days of schedule time, so schedule-time lateness would only measure the speed-up."""
    london = ZoneInfo("Europe/London")
    table = Table(
        "due (London)",
        "account",
        "template",
        "status",
        "late (real s)",
        "external id",
        title="What was published where",
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
                seconds = (delivery.published_at - delivery.due_at).total_seconds() / rate
                late = f"{max(seconds, 0.0):.2f}"
            table.add_row(
                delivery.due_at.astimezone(london).strftime("%a %d %b %H:%M"),
                escape(f"{account.platform} {account.handle}"),
                post.template or "(body)",
                delivery.status,
                late,
                escape(delivery.external_id or delivery.last_error or ""),
            )
    return table
