"""A fault scenario: approved posts, real processes, a fault, and the wait until all is settled.

``Scenario`` creates accounts on the sandbox's Bluesky (record keys and lookups) and Discord (no
key, no lookup) and on the signed webhook receiver (no key, no lookup), approved posts spread
over them, and starts real ``callsheet scheduler`` and ``callsheet worker`` processes on a
Celery queue of its own. The scenario injects its fault while ``settle`` waits, then ``check``
holds every delivery against what reached the platforms (``tests.faults.invariants``) and
returns the figures ``make chaos`` prints.

Sizes grow with ``CALLSHEET_CHAOS_SCALE`` (1 in ``make test``; ``make chaos`` sets 10).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import cycle
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from sandbox.control import SandboxControl
from sandbox.receiver import WebhookReceiver
from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.cli.processes import settings_env
from scheduler.core.config import Settings
from scheduler.core.db import create_db_engine, is_sqlite
from scheduler.core.models import Account, ContentPillar, Delivery, Post
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate
from tests import factories
from tests.conftest import CALLSHEET, WorkerProcess, test_settings
from tests.faults.invariants import Figures, Seen, check, settled

#: How much bigger every scenario is: 1 in ``make test``, 10 in ``make chaos``.
SCALE = max(1, int(os.environ.get("CALLSHEET_CHAOS_SCALE", "1")))
#: Every scenario's figures, in the order they ran, for the table and the JSON file.
RESULTS: list[Figures] = []
#: How the scenario's own PostgreSQL connections name themselves.
OBSERVER = "application_name=callsheet-faults"
BODY = "Take {{ take }} of Night Shift: the crew between set-ups."


def words(take: int) -> str:
    """The text a post of ``take`` reaches its platform with (``BODY`` rendered)."""
    return f"Take {take} of Night Shift: the crew between set-ups."


class Scenario:
    """One fault scenario's world: accounts, posts, processes, and what reached the platforms."""

    def __init__(
        self,
        name: str,
        *,
        engine: Engine,
        broker: str,
        sandbox: SandboxControl,
        receiver: WebhookReceiver,
        logs: Path,
        **settings: Any,
    ) -> None:
        self.name, self.sandbox, self.receiver, self.logs = name, sandbox, receiver, logs
        url = engine.url.render_as_string(hide_password=False)
        self.database = "sqlite" if is_sqlite(url) else "postgres"
        # The scenario's own connections carry a name, so a fault that cuts connections
        # (``test_database``) spares the one watching.
        self.engine = engine if is_sqlite(url) else create_db_engine(f"{url}?{OBSERVER}")
        defaults: dict[str, Any] = {
            "queue_name": f"callsheet-faults-{uuid.uuid4().hex[:10]}",
            "tick_seconds": 0.2,
            "reap_seconds": 0.5,
            "lease_seconds": 3.0,
            "lookup_delay_seconds": 0.5,
            "message_batch": 2,
        }
        self.settings: Settings = test_settings(url, broker, **{**defaults, **settings})
        self.kills = 0
        self.workers: list[WorkerProcess] = []
        self.schedulers: list[subprocess.Popen[bytes]] = []
        self._takes = 0
        self._started = time.monotonic()
        with Session(self.engine) as session:
            self.production_id = factories.production(session).id or 0
            session.commit()

    # --- the world ---------------------------------------------------------------------------

    def accounts(self, *, bluesky: int = 1, discord: int = 1, webhook: int = 1) -> list[Account]:
        """Accounts on the sandbox's Bluesky and Discord and on the webhook receiver."""
        made: list[Account] = []
        with Session(self.engine, expire_on_commit=False) as session:
            for n in range(bluesky):
                handle = f"crew{n}.bsky.social"
                settings = {
                    "base_url": self.sandbox.url("bluesky"),
                    "identifier": handle,
                    "app_password": "abcd-efgh-ijkl-mnop",
                }
                made.append(self._account(session, "bluesky", handle, settings))
            for n in range(discord):
                hook = f"{self.sandbox.url('discord')}/api/webhooks/{70 + n}/crew-token-{n:04}"
                settings = {"webhook_url": hook, "timeout_seconds": 60}
                made.append(self._account(session, "discord", f"#bts-{n}", settings))
            for n in range(webhook):
                made.append(
                    factories.webhook_account(
                        session, self.receiver.url, self.receiver.secret, f"#team-{n}"
                    )
                )
            session.commit()
        return made

    @staticmethod
    def _account(session: Session, platform: str, handle: str, settings: dict[str, Any]) -> Account:
        data = AccountCreate(platform=platform, handle=handle, settings=settings)
        return create_account(session=session, actor=factories.ACTOR, data=data)

    def posts(
        self,
        count: int,
        accounts: list[Account],
        *,
        anchor: Callable[[int], AnchorIn] | None = None,
    ) -> None:
        """``count`` approved posts, each to one account in turn, each with its own words.

        Each is due a minute ago, unless ``anchor`` says when the n-th one is due.
        """
        now = datetime.now(UTC)
        with Session(self.engine, expire_on_commit=False) as session:
            factories.serve(session, self.production_id, accounts)
            for account, n in zip(cycle(accounts), range(count), strict=False):
                due = anchor(n) if anchor else AnchorIn(at=now - timedelta(minutes=1))
                self._takes += 1
                draft = create_post(
                    session=session,
                    actor=factories.ACTOR,
                    data=PostCreate(
                        production_id=self.production_id,
                        pillar=ContentPillar.on_set,
                        body=BODY,
                        variables={"take": self._takes},
                        anchor=due,
                        account_ids=[account.id or 0],
                    ),
                )
                post_id = draft.id or 0
                submit_post(session=session, post_id=post_id, version=draft.version, actor="dev")
                approve_post(
                    session=session, post_id=post_id, version=draft.version, actor="pr", shown=None
                )
            session.commit()

    # --- processes ---------------------------------------------------------------------------

    def start_workers(self, count: int = 1) -> None:
        for _ in range(count):
            log = self.logs / f"worker-{uuid.uuid4().hex[:6]}.log"
            self.workers.append(WorkerProcess(self.settings, log))

    def kill_worker(self) -> None:
        """SIGKILL the oldest worker, whatever it is doing, and start a fresh one."""
        victim = self.workers.pop(0)
        victim.process.kill()
        victim.process.wait(10)
        victim.stop()
        self.kills += 1
        self.start_workers()

    def start_schedulers(self, count: int = 1) -> None:
        """``callsheet scheduler`` processes: each ticks, reaps and claims on its own."""
        env = {**os.environ, **settings_env(self.settings)}
        for n in range(count):
            log = (self.logs / f"scheduler-{len(self.schedulers) + n}.log").open("ab")
            self.schedulers.append(
                subprocess.Popen(
                    [*CALLSHEET, "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
            log.close()

    def stop(self) -> None:
        """End every process at once: the scenario has been judged, nothing in flight counts."""
        for process in [*self.schedulers, *(w.process for w in self.workers)]:
            process.kill()
            process.wait(10)
        for worker in self.workers:
            worker.stop()  # closes its log
        self.engine.dispose()

    def alive(self) -> bool:
        """Whether every process the scenario started is still running."""
        processes = [*self.schedulers, *(w.process for w in self.workers)]
        return all(p.poll() is None for p in processes)

    def wait_for(self, what: Callable[[], bool], timeout: float = 60) -> None:
        """Poll until ``what`` holds (or fail with the processes' logs)."""
        deadline = time.monotonic() + timeout * SCALE
        while not what():
            assert time.monotonic() < deadline, f"{self.name}: timed out\n{self.tail()}"
            time.sleep(0.05)

    def go(self) -> None:
        """The burst starts now: settle time is counted from here."""
        self._started = time.monotonic()

    # --- watching ----------------------------------------------------------------------------

    def seen(self) -> list[Seen]:
        """Every delivery of the scenario as the database tells it."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Delivery, Account.platform, Post.variables)
                .join(Account, Account.id == Delivery.account_id)  # type: ignore[arg-type]
                .join(Post, Post.id == Delivery.post_id)  # type: ignore[arg-type]
            ).all()
        return [
            Seen(
                id=d.id or 0,
                platform=platform,
                status=d.status,
                last_error=d.last_error,
                needs_lookup=d.needs_lookup,
                text=words(int(variables["take"])),
            )
            for d, platform, variables in rows
        ]

    def reached(self) -> Counter[str]:
        """Each text as many times as it reached a platform (records and webhook requests)."""
        texts = [str(r["body"].get("text")) for r in self.sandbox.records()]
        texts += [str(body.get("text")) for body in self.receiver.received]
        return Counter(texts)

    def settle(
        self,
        *,
        during: Callable[[], None] | None = None,
        withheld: Collection[int] = (),
        done: Callable[[Seen], bool] | None = None,
        timeout: float = 60,
    ) -> float:
        """Wait (calling ``during`` each round) until every delivery rests, or is ``done`` if
        the scenario knows better; the seconds taken since ``go``."""
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            if during is not None:
                during()
            now = self.seen()
            if now and all((done or partial(settled, withheld=withheld))(s) for s in now):
                return time.monotonic() - self._started
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: not settled: {self.seen()}\n{self.tail()}")

    def tasks_done(self) -> int:
        """Publish tasks the scenario's workers have finished, by their logs."""
        return sum(w.log().count("succeeded in") for w in self.workers)

    def tail(self) -> str:
        """The last lines of every process's log, for a failure's message."""
        lines = []
        for path in sorted(self.logs.glob("*.log")):
            lines.append(f"--- {path.name}")
            lines.extend(path.read_text(errors="replace").splitlines()[-30:])
        return "\n".join(lines)

    def check(
        self, *, withheld: Collection[int] = (), settle_seconds: float, record: bool = True
    ) -> Figures:
        """The invariants, judged once everything has settled; the figures, kept if ``record``."""
        try:
            figures = check(
                self.seen(),
                self.reached(),
                scenario=self.name,
                database=self.database,
                kills=self.kills,
                settle_seconds=settle_seconds,
                withheld=withheld,
            )
        except AssertionError as breach:
            raise AssertionError(f"{breach}\n{self.tail()}") from None
        if record:
            RESULTS.append(figures)
        return figures
