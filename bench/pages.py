"""The pages on a real campaign: how fast each answers for a production with 2,000 posts.

A real ``callsheet api`` process (which serves the pages too) on a fresh database of each
backend, seeded through the service functions with one production, a premiere, an account and
``--posts`` posts (a third of them approved). A producer signs in through the sign-in form, as
a browser would; then every page in ``PAGES`` is fetched ``--repeat`` times and its p50 / p95
shown, with the bytes it sent. A page that is not there (a later page of the web app, run from
an older ``--source``) is skipped.

The previous design, measured in the same run: ``GET /posts?production_id=`` answered every
post of the production at once; it now answers a page of 100 with the count in
``X-Total-Count``. The "all posts" row reads every page, which is what one unpaged answer cost.

The target: every page's p50 under 150 ms on PostgreSQL (the issue's "well under 150 ms").
The bench says which missed and exits 1 if any did. Usage::

    python bench/pages.py [--posts 2000] [--repeat 20] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from api_concurrency import api_process, database
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, select

from scheduler.accounts.connections import create_account
from scheduler.accounts.schemas import AccountCreate
from scheduler.core.db import create_db_engine
from scheduler.core.models import ContentPillar, Delivery, MilestoneKind, Post, Role
from scheduler.people.members import create_person, set_role
from scheduler.planning.productions import add_milestone, create_production
from scheduler.planning.schemas import MilestoneCreate, ProductionCreate
from scheduler.posts.approval import approve_post, submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, PostCreate

TARGET_MS = 150.0
PASSWORD = "a bench of its own"
#: Each page, by a name and its path (``{p}``: the production's id).
PAGES = {
    "home": "/app/",
    "calendar (agenda)": "/app/productions/{p}/calendar",
    "calendar (all productions)": "/app/calendar",
    "calendar (month)": "/app/productions/{p}/calendar?view=month&month={month}",
    "approval queue": "/app/productions/{p}/review",
    "problems": "/app/problems",
    "audit trail": "/app/audit?production_id={p}",
    "API: posts, one page": "/posts?production_id={p}",
}
#: The premiere's month, which the month view shows.
MONTH = (datetime.now(UTC) + timedelta(days=120)).strftime("%Y-%m")
TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def seed(url: str, posts: int, workdir: Path) -> int:
    """One production with ``posts`` posts on one account: a third approved, a third in review
    (the approval queue shows up to 200 of them), a third drafts; all in the hours before a
    premiere 120 days away (the month view shows that month)."""
    engine = create_db_engine(url)
    premiere = datetime.now(UTC) + timedelta(days=120)
    with Session(engine) as session:
        production = create_production(
            session=session,
            actor="bench",
            data=ProductionCreate(title="Night Shift", kind="film", timezone="Europe/London"),
        )
        pid = production.id or 0
        milestone = add_milestone(
            session=session,
            production_id=pid,
            actor="bench",
            data=MilestoneCreate(kind=MilestoneKind.premiere, name="Premiere", at=premiere),
        )
        account = create_account(
            session=session,
            actor="bench",
            data=AccountCreate(
                platform="outbox",
                handle="@nightshiftfilm",
                settings={"path": str(workdir / "feed.jsonl")},
                production_ids=[pid],
            ),
        )
        for person, role in (("dev", Role.producer), ("maya", Role.marketer)):
            made = create_person(
                session=session,
                name=person,
                email=f"{person}@nightshift.test",
                password=PASSWORD,
                site_admin=False,
                actor="bench",
            )
            set_role(
                session=session, production_id=pid, person_id=made.id or 0, role=role, actor="bench"
            )
        session.commit()
        for n in range(posts):
            post = create_post(
                session=session,
                actor="maya",
                data=PostCreate(
                    production_id=pid,
                    pillar=ContentPillar.on_set,
                    body=f"Day {n} on the set of {{{{ production.title }}}}.",
                    anchor=AnchorIn(milestone_id=milestone.id, offset=f"-PT{n + 1}H"),
                    account_ids=[account.id or 0],
                ),
            )
            if n % 3 != 2:  # a third in review, a third approved, a third drafts
                submit_post(session=session, post_id=post.id or 0, version=1, actor="maya")
            if n % 3 == 0:
                approve_post(
                    session=session, post_id=post.id or 0, version=1, actor="dev", shown=None
                )
            if n % 200 == 199:
                session.commit()
        session.commit()
        assert len(session.exec(select(Delivery)).all()) == posts
        assert len(session.exec(select(Post)).all()) == posts
    engine.dispose()
    return pid


def signed_in(base: str) -> httpx.Client:
    web = httpx.Client(base_url=base, timeout=60)
    form = web.get("/app/sign-in")
    token = TOKEN.search(form.text)
    assert token, form.text[:500]
    signed = web.post(
        "/app/sign-in",
        data={"csrf": token.group(1), "email": "dev@nightshift.test", "password": PASSWORD},
    )
    assert signed.status_code == 303, signed.text[:500]
    return web


def timed(web: httpx.Client, path: str, repeat: int) -> tuple[list[float], int, int]:
    """Milliseconds per fetch, the status and the bytes of the last answer."""
    took = []
    answer = web.get(path)  # warm: templates compiled, caches filled
    for _ in range(repeat):
        started = time.perf_counter()
        answer = web.get(path)
        took.append((time.perf_counter() - started) * 1000)
    return took, answer.status_code, len(answer.content)


def all_posts(web: httpx.Client, pid: int, repeat: int) -> tuple[list[float], int, int]:
    """The previous design's one answer: every post of the production, page after page."""
    took, size = [], 0
    for _ in range(repeat):
        started, size = time.perf_counter(), 0
        answer = web.get("/posts", params={"production_id": pid, "limit": 1000})
        size += len(answer.content)
        while "next" in answer.links:
            answer = web.get(answer.links["next"]["url"])
            size += len(answer.content)
        took.append((time.perf_counter() - started) * 1000)
    return took, 200, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    console = Console()
    missed = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
            started = time.perf_counter()
            pid = seed(url, args.posts, Path(tmp))
            console.print(
                f"{backend}: {args.posts} posts seeded in {time.perf_counter() - started:.0f} s"
            )
            with api_process(url, Path(tmp)) as base:
                web = signed_in(base)
                table = Table(
                    "page", "p50 ms", "p95 ms", "KB", title=f"{backend}, {args.posts} posts"
                )
                for name, template in PAGES.items():
                    path = template.format(p=pid, month=MONTH)
                    took, status, size = timed(web, path, args.repeat)
                    if status == 404:
                        continue
                    p50 = statistics.median(took)
                    p95 = statistics.quantiles(took, n=20)[-1]
                    table.add_row(name, f"{p50:.0f}", f"{p95:.0f}", f"{size / 1024:.0f}")
                    if status != 200 or (backend == "postgres" and p50 > TARGET_MS):
                        missed.append(f"{backend} {name}: {status}, p50 {p50:.0f} ms")
                took, _, size = all_posts(web, pid, max(3, args.repeat // 5))
                table.add_row(
                    "API: all posts (previous design)",
                    f"{statistics.median(took):.0f}",
                    f"{max(took):.0f}",
                    f"{size / 1024:.0f}",
                )
                web.close()
                console.print(table)
    for line in missed:
        console.print(f"[red]missed: {line}[/red]")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
