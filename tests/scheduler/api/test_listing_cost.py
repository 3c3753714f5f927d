"""Listing posts costs the same number of database statements for 2 posts as for 30.

``GET /posts`` is what every open page of the web app polls. Before, it asked for each post's
deliveries with a statement of its own (51 statements for 50 posts, half the time of a
``reads`` run in ``bench/api_concurrency.py``); now all the listed posts' deliveries come in one.
Counting statements is the speed test's deterministic stand-in: no clock involved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event
from sqlmodel import Session

from tests import factories


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement ``engine`` runs meanwhile (the API's session is on it)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _list(client: httpx.Client, engine: Engine, production_id: int) -> tuple[list[Any], int]:
    with statements(engine) as seen:
        answer = client.get("/posts", params={"production_id": production_id})
    assert answer.status_code == 200, answer.text
    return answer.json(), len(seen)


def test_listing_posts_costs_no_statement_per_post(
    client: httpx.Client, engine: Engine, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    accounts = [
        factories.outbox_account(session, tmp_path / "a.jsonl", handle="@nightshiftfilm"),
        factories.outbox_account(session, tmp_path / "b.jsonl", handle="@nightshiftcrew"),
    ]
    production_id = production.id or 0
    for _ in range(2):
        factories.post(session, production_id, accounts)
    session.commit()
    few, cost_of_few = _list(client, engine, production_id)

    for _ in range(28):
        factories.post(session, production_id, accounts)
    session.commit()
    many, cost_of_many = _list(client, engine, production_id)

    assert (len(few), len(many)) == (2, 30)
    assert all(len(post["deliveries"]) == 2 for post in many)
    ids = [post["id"] for post in many]
    assert ids == sorted(ids)
    for post in many:
        assert {d["post_id"] for d in post["deliveries"]} == {post["id"]}
        delivered = [d["id"] for d in post["deliveries"]]
        assert delivered == sorted(delivered)
    assert cost_of_many == cost_of_few, (
        f"{cost_of_few} statements for 2 posts, {cost_of_many} for 30"
    )
