"""A production with posts waiting for review, a producer and a marketer who sign in to the
pages, a checklist, and featured talent: what the approval queue and the sign-off page show.
Built through the service functions themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx
from sqlmodel import Session

from scheduler.core.models import Account, ContentPillar, Post, Role
from scheduler.posts.approval import submit_post
from scheduler.posts.lifecycle import create_post
from scheduler.posts.schemas import AnchorIn, MediaIn, PostCreate
from scheduler.review.chain import set_checklist
from scheduler.review.links import make_token
from scheduler.review.schemas import TalentCreate
from scheduler.review.signoffs import request_signoffs
from scheduler.review.talent import add_talent
from tests import factories
from tests.scheduler.media.test_uploads import png, upload
from tests.scheduler.web.pages import member

PRODUCER = "dev@nightshift.test"
MARKETER = "mo@nightshift.test"
HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'


@dataclass(frozen=True)
class Setup:
    production_id: int
    premiere: int
    account: Account
    checklist: list[int]


def production(session: Session, tmp_path: Path) -> Setup:
    """Night Shift, its premiere in 60 days, an outbox account, a two-item checklist, Dev
    (producer) and Mo (marketer)."""
    made = factories.production(session)
    pid = made.id or 0
    premiere = factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=60))
    account = factories.outbox_account(session, tmp_path / "out.jsonl", production_ids=[pid])
    items = set_checklist(
        session=session, production_id=pid, items=["Crew credited", "Music cleared"], actor="test"
    )
    session.commit()
    member(session, PRODUCER, name="Dev Raman", roles={pid: Role.producer})
    member(session, MARKETER, name="Mo Chen", roles={pid: Role.marketer})
    return Setup(pid, premiere, account, [item.id or 0 for item in items])


def in_review(
    session: Session,
    setup: Setup,
    body: str,
    *,
    milestone: bool = True,
    days_before: int = 1,
    featured: list[int] | None = None,
    media: list[MediaIn] | None = None,
) -> Post:
    """A post submitted for review: anchored to the premiere (``milestone``) or at a time."""
    anchor = (
        AnchorIn(milestone_id=setup.premiere, offset=f"-P{days_before}D")
        if milestone
        else AnchorIn(at=datetime.now(UTC) + timedelta(days=days_before))
    )
    post = create_post(
        session=session,
        actor="test",
        data=PostCreate(
            production_id=setup.production_id,
            pillar=ContentPillar.on_set,
            body=body,
            anchor=anchor,
            account_ids=[setup.account.id or 0],
            featured=featured or [],
            media=media or [],
        ),
    )
    submit_post(session=session, post_id=post.id or 0, version=post.version, actor="test")
    session.commit()
    return post


def talent_link(
    session: Session,
    setup: Setup,
    body: str,
    name: str = "Ana Ruiz",
    *,
    media: list[MediaIn] | None = None,
) -> tuple[Post, str]:
    """A post in review featuring a talent who must sign off, and the token of their link."""
    talent = add_talent(
        session=session,
        production_id=setup.production_id,
        data=TalentCreate(name=name, email="ana@agency.film"),
        actor="test",
    )
    post = in_review(session, setup, body, featured=[talent.id or 0], media=media)
    asked = request_signoffs(session=session, post_id=post.id or 0, actor="test")
    session.commit()
    ((row, _),) = asked.requests
    return post, make_token(row.link_id)


def uploaded(client: httpx.Client, setup: Setup, alt: str, colour: str = "navy") -> list[MediaIn]:
    """A PNG uploaded to the production through the API, as a post's media."""
    answer = upload(client, setup.production_id, png(colour))
    assert answer.status_code == 201, answer.text
    return [MediaIn(media_id=answer.json()["id"], alt=alt)]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((found.get("action", ""), []))
        elif tag == "input" and self.forms and found.get("type") == "hidden":
            self.forms[-1][1].append((found.get("name", ""), found.get("value", "")))


def forms(html: str, action: str) -> list[list[tuple[str, str]]]:
    """The hidden fields of every form of ``html`` that posts to ``action``, in page order."""
    parser = _Forms()
    parser.feed(html)
    return [fields for at, fields in parser.forms if at == action]
