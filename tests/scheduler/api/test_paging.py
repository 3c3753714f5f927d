"""Lists come a page at a time, with the whole count and the next page's address.

Before, ``GET /posts?production_id=`` had no limit: every post of a production in one answer
(10,000 posts: 8.9 MB in 6 s).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlmodel import Session

from tests import factories


def _all_pages(client: httpx.Client, path: str, **params: object) -> tuple[list[int], int]:
    """Follow ``Link: rel="next"`` from the first page; the ids seen and the pages read."""
    answer = client.get(path, params=params)
    ids, pages = [], 0
    while True:
        assert answer.status_code == 200, answer.text
        pages += 1
        ids += [row["id"] for row in answer.json()]
        following = answer.links.get("next")
        if following is None:
            return ids, pages
        answer = client.get(following["url"])


def test_posts_come_a_page_at_a_time(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    made = [factories.post(session, production.id or 0, [account]).id for _ in range(7)]
    session.commit()

    first = client.get("/posts", params={"production_id": production.id, "limit": 3})
    assert [p["id"] for p in first.json()] == made[:3]
    assert first.headers["X-Total-Count"] == "7"
    assert len(first.json()[0]["deliveries"]) == 1
    ids, pages = _all_pages(client, "/posts", production_id=production.id, limit=3)
    assert ids == made
    assert pages == 3
    unpaged = client.get("/posts", params={"production_id": production.id})
    assert len(unpaged.json()) == 7
    assert "Link" not in unpaged.headers


def test_deliveries_say_how_many_there_are(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    for _ in range(5):
        factories.post(session, production.id or 0, [account])
    session.commit()
    ids, pages = _all_pages(client, "/deliveries", production_id=production.id, limit=2)
    assert len(set(ids)) == 5
    assert pages == 3
    assert client.get("/deliveries", params={"limit": 2}).headers["X-Total-Count"] == "5"


def test_a_page_too_big_is_refused_naming_the_field(client: httpx.Client) -> None:
    refused = client.get("/posts", params={"limit": 100_000})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["query", "limit"]
