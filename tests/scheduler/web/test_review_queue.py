"""The approval queue over HTTP, on SQLite and PostgreSQL: what a producer is shown, what the
forms send back, the refusals as messages on the page, the roles, and what it costs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core.models import Approval, Delivery, Person, Post
from scheduler.posts.preview import preview_post
from tests.scheduler.api.test_listing_cost import statements
from tests.scheduler.web import review_setup
from tests.scheduler.web.pages import browser, form_token, sign_in
from tests.scheduler.web.review_setup import HOSTILE, MARKETER, PRODUCER


@pytest.fixture
def person(client: httpx.Client) -> Iterator[httpx.Client]:
    """A browser for the producer: signed in once the production exists (``_producer``)."""
    with browser(client.base_url) as them:
        yield them


def _producer(person: httpx.Client) -> httpx.Client:
    assert sign_in(person, PRODUCER).status_code == 303
    return person


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as kept:
        yield kept


def _queue_url(setup: review_setup.Setup) -> str:
    return f"/app/productions/{setup.production_id}/review"


def _send(
    person: httpx.Client,
    page: httpx.Response,
    action: str,
    *,
    which: int = 0,
    tick: Sequence[int] = (),
    **more: str,
) -> httpx.Response:
    """Post the ``which``-th form of ``page`` that posts to ``action``, as shown, with the
    checklist items ``tick`` ticked."""
    fields = review_setup.forms(page.text, action)[which]
    data = dict(fields) | {f"checklist.{item}": "true" for item in tick} | more
    return person.post(action, data=data)


def test_the_queue_shows_each_post_by_milestone_as_it_will_go_out(
    client: httpx.Client,
    person: httpx.Client,
    session: Session,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    first = review_setup.in_review(session, setup, "Night shift, take 1.", days_before=2)
    hostile = review_setup.in_review(session, setup, HOSTILE)
    loose = review_setup.in_review(session, setup, "A still from the edit.", milestone=False)
    loose.review_note = "Back from legal: the credit is fixed"
    session.add(loose)
    session.commit()
    _producer(person)

    page = person.get(_queue_url(setup))

    assert page.status_code == 200, page.text
    text = page.text
    assert text.index("Premiere") < text.index("Night shift, take 1.") < text.index("No milestone")
    assert text.index("No milestone") < text.index("A still from the edit.")
    # The hostile body is shown as text, never as markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert(1)" not in text
    assert 'href="javascript:' not in text
    # The hash each approval binds, in short.
    for post in (first, hostile, loose):
        (delivery,) = preview_post(session=session, post_id=post.id or 0)
        assert f"<code>{delivery.content_hash[:12]}</code>" in text
    assert "Crew credited" in text
    assert "Music cleared" in text
    assert "Back from legal: the credit is fixed" in text
    assert "Approve all 2 of Premiere" in text
    assert "Approve all 1 of No milestone" in text


def test_the_queue_costs_as_many_statements_for_twelve_posts_as_for_two(
    client: httpx.Client,
    person: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    _, _ = review_setup.talent_link(session, setup, "Ana at the slate.")
    review_setup.in_review(session, setup, "Take 1.", milestone=False)
    _producer(person)
    with statements(engine) as few:
        assert person.get(_queue_url(setup)).status_code == 200
    for take in range(10):
        review_setup.in_review(session, setup, f"Take {take}.", milestone=take % 2 == 0)
    _, _ = review_setup.talent_link(session, setup, "Ben at the slate.", name="Ben Okafor")

    with statements(engine) as many:
        page = person.get(_queue_url(setup))

    assert page.status_code == 200
    assert page.text.count('class="review-post"') == 13
    assert len(many) == len(few), many


def test_a_producer_approves_a_milestones_schedule_in_one_action(
    client: httpx.Client,
    person: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    posts = [review_setup.in_review(session, setup, f"Take {n}.", days_before=n) for n in (1, 2)]
    other = review_setup.in_review(session, setup, "Not in this schedule.", milestone=False)
    _producer(person)
    page = person.get(_queue_url(setup))
    action = f"/app/productions/{setup.production_id}/review/approve"

    unticked = _send(person, page, action)
    assert unticked.status_code == 422
    assert "confirm: Crew credited" in unticked.text
    approved = _send(person, page, action, tick=setup.checklist)

    assert approved.status_code == 303, approved.text
    shown = person.get(approved.headers["location"])
    assert "Your approval of the schedule is recorded" in shown.text
    with Session(engine) as db:
        states = {p.id: p.status for p in db.exec(select(Post))}
        assert states == {posts[0].id: "approved", posts[1].id: "approved", other.id: "in_review"}
        ids = [p.id for p in posts]
        deliveries = db.exec(select(Delivery).where(col(Delivery.post_id).in_(ids))).all()
        assert {d.status for d in deliveries} == {"scheduled"}
        assert len(db.exec(select(Approval)).all()) == 2


def test_separation_of_duties_is_a_message_on_the_page_and_nothing_changes(
    client: httpx.Client,
    person: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    post = review_setup.in_review(session, setup, "Dev wrote this one.")
    dev = session.exec(select(Person).where(Person.email == PRODUCER)).one()
    post.written_by_id = dev.id
    session.add(post)
    session.commit()
    _producer(person)
    page = person.get(_queue_url(setup))

    one = _send(person, page, f"/app/posts/{post.id}/approve", tick=setup.checklist)
    schedule = _send(
        person, page, f"/app/productions/{setup.production_id}/review/approve", tick=setup.checklist
    )

    for refused in (one, schedule):
        assert refused.status_code == 409
        assert "text/html" in refused.headers["content-type"]
        assert "Not done: nothing was changed" in refused.text
        assert f"separation of duties: you wrote this version of post {post.id}" in refused.text
        assert "Dev wrote this one." in refused.text  # the queue, shown again
    with Session(engine) as db:
        assert db.get_one(Post, post.id).status == "in_review"
        assert db.exec(select(Approval)).all() == []


def test_a_post_changed_since_it_was_shown_is_refused_by_name(
    client: httpx.Client,
    person: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    post = review_setup.in_review(session, setup, "Take 1.")
    _producer(person)
    page = person.get(_queue_url(setup))
    with Session(engine) as db:  # the words change under the same version
        changed = db.get_one(Post, post.id)
        changed.body = "Take 2."
        db.add(changed)
        db.commit()

    refused = _send(person, page, f"/app/posts/{post.id}/approve", tick=setup.checklist)

    assert refused.status_code == 409
    assert "Not done: nothing was changed" in refused.text
    assert f"post {post.id} renders differently from what was shown" in refused.text
    with Session(engine) as db:
        assert db.get_one(Post, post.id).status == "in_review"


def test_a_producer_sends_a_post_back_with_a_note(
    client: httpx.Client,
    person: httpx.Client,
    session: Session,
    engine: Engine,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    post = review_setup.in_review(session, setup, "Take 1.")
    _producer(person)
    page = person.get(_queue_url(setup))
    action = f"/app/posts/{post.id}/reject"

    silent = _send(person, page, action, note="  ")
    assert silent.status_code == 422
    assert "say why the post is rejected" in silent.text
    sent_back = _send(person, page, action, note="Credit the gaffer <b>by name</b>")

    assert sent_back.status_code == 303
    with Session(engine) as db:
        stored = db.get_one(Post, post.id)
        assert (stored.status, stored.review_note) == (
            "rejected",
            "Credit the gaffer <b>by name</b>",
        )
    assert "No post waits for review." in person.get(_queue_url(setup)).text


def test_a_marketer_is_refused_the_queue_and_its_forms_with_403_pages(
    client: httpx.Client,
    person: httpx.Client,
    stack: ExitStack,
    session: Session,
    engine: Engine,
    tmp_path: Path,
) -> None:
    setup = review_setup.production(session, tmp_path)
    post = review_setup.in_review(session, setup, "Take 1.")
    page = _producer(person).get(_queue_url(setup))
    marketer = stack.enter_context(browser(client.base_url))
    assert sign_in(marketer, MARKETER).status_code == 303
    token = form_token(marketer.get("/app/"))

    answers = [marketer.get(_queue_url(setup))]
    for action in (
        f"/app/productions/{setup.production_id}/review/approve",
        f"/app/posts/{post.id}/approve",
        f"/app/posts/{post.id}/reject",
    ):
        fields = dict(review_setup.forms(page.text, action)[0]) | {"csrf": token, "note": "no"}
        answers.append(marketer.post(action, data=fields))

    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert "text/html" in answer.headers["content-type"]
        assert "<h1>Forbidden</h1>" in answer.text
    with Session(engine) as db:
        assert db.get_one(Post, post.id).status == "in_review"
