"""The talent's sign-off page over HTTP, on SQLite and PostgreSQL: the link they receive opens
it, a browser opening the API's address is sent to it, and refused links say so plainly."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from scheduler.core.models import AuditEvent, TalentSignoff
from scheduler.review.links import hide_link_tokens, link_path
from scheduler.review.signoffs import request_signoffs
from tests.scheduler.web import review_setup
from tests.scheduler.web.pages import browser, form_token
from tests.scheduler.web.review_setup import HOSTILE

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def talent(client: httpx.Client) -> Iterator[httpx.Client]:
    """A browser with no account: the link is the talent's credential."""
    with browser(client.base_url) as them:
        yield them


def _decision(engine: Engine) -> tuple[str, str | None]:
    with Session(engine) as db:
        row = db.exec(select(TalentSignoff)).one()
        return row.decision, row.reason


def test_the_link_opens_the_page_and_a_browser_at_the_api_address_is_sent_there(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    _, token = review_setup.talent_link(session, setup, "Ana at the slate.")

    assert link_path(token) == f"/app/signoff/{token}"
    from_browser = httpx.get(
        f"{client.base_url}/signoff/{token}", headers={"Accept": BROWSER_ACCEPT}
    )
    from_client = httpx.get(f"{client.base_url}/signoff/{token}")  # httpx sends */*
    as_json = httpx.get(
        f"{client.base_url}/signoff/{token}", headers={"Accept": "application/json"}
    )

    assert from_browser.status_code == 303
    assert from_browser.headers["location"] == f"/app/signoff/{token}"
    assert from_client.json()["talent"] == "Ana Ruiz"
    assert as_json.json()["deliveries"][0]["text"] == "Ana at the slate."


def test_a_talent_reads_the_post_and_approves_it_once(
    client: httpx.Client, talent: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    _, token = review_setup.talent_link(session, setup, HOSTILE)
    url = f"/app/signoff/{token}"

    page = talent.get(url)

    assert page.status_code == 200, page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Hello Ana Ruiz: please approve this post" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    assert 'href="javascript:' not in page.text
    csrf = form_token(page)
    nothing = talent.post(url, data={"csrf": csrf})
    assert nothing.status_code == 422
    assert "Choose: approve, or decline with a reason." in nothing.text
    assert _decision(engine) == ("pending", None)

    approved = talent.post(url, data={"csrf": csrf, "decision": "approve"})

    assert approved.status_code == 200, approved.text
    assert "You approved the post." in approved.text
    assert _decision(engine)[0] == "approved"
    again = talent.get(url)
    assert again.status_code == 403
    assert "This link was already used" in again.text
    assert "slate" not in again.text
    twice = talent.post(url, data={"csrf": csrf, "decision": "decline", "reason": "no"})
    assert twice.status_code == 403
    assert _decision(engine)[0] == "approved"


def test_the_talent_sees_the_posts_uploads_while_the_link_works_and_no_other(
    client: httpx.Client, talent: httpx.Client, session: Session, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    media = review_setup.uploaded(client, setup, "Ana at the slate")
    other = review_setup.uploaded(client, setup, "Not in the post", "teal")
    _, token = review_setup.talent_link(session, setup, "Ana at the slate.", media=media)
    url = f"/app/signoff/{token}"
    assert other[0].media_id != media[0].media_id
    page = talent.get(url)
    assert f'src="{url}/media/{media[0].media_id}" alt="Ana at the slate"' in page.text

    shown = talent.get(f"{url}/media/{media[0].media_id}")
    hidden = talent.get(f"{url}/media/{other[0].media_id}")
    talent.post(url, data={"csrf": form_token(page), "decision": "approve"})
    after = talent.get(f"{url}/media/{media[0].media_id}")

    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/png"
    assert hidden.status_code == 404
    assert after.status_code == 403


def test_a_decline_needs_a_reason_shown_beside_its_box(
    client: httpx.Client, talent: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    _, token = review_setup.talent_link(session, setup, "Ana at the slate.")
    url = f"/app/signoff/{token}"
    csrf = form_token(talent.get(url))

    silent = talent.post(url, data={"csrf": csrf, "decision": "decline", "reason": "  "})

    assert silent.status_code == 422
    assert 'aria-describedby="reason-error"' in silent.text
    assert "say why you decline, so the team can change the post" in silent.text
    assert _decision(engine) == ("pending", None)
    said = talent.post(url, data={"csrf": csrf, "decision": "decline", "reason": "Not my take"})
    assert said.status_code == 200
    assert _decision(engine) == ("declined", "Not my take")


def test_refused_links_say_so_plainly_and_are_audited(
    client: httpx.Client, talent: httpx.Client, session: Session, engine: Engine, tmp_path: Path
) -> None:
    setup = review_setup.production(session, tmp_path)
    post, token = review_setup.talent_link(session, setup, "Ana at the slate.")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    request_signoffs(session=session, post_id=post.id or 0, actor="test")  # a newer link
    _, lapsed = review_setup.talent_link(session, setup, "Ben at the slate.", name="Ben Okafor")
    with Session(engine) as db:  # Ben's link ran out
        row = db.exec(select(TalentSignoff).order_by(col(TalentSignoff.id).desc())).first()
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.add(row)
        db.commit()

    answers = {
        "tampered": talent.get(f"/app/signoff/{tampered}"),
        "superseded": talent.get(f"/app/signoff/{token}"),
        "expired": talent.get(f"/app/signoff/{lapsed}"),
    }

    assert answers["tampered"].status_code == 403
    assert "This link does not work." in answers["tampered"].text
    assert answers["superseded"].status_code == 403
    assert "A newer link was sent to you for this post" in answers["superseded"].text
    assert answers["expired"].status_code == 403
    assert "This link has expired." in answers["expired"].text
    for answer in answers.values():
        assert "text/html" in answer.headers["content-type"]
        assert "Night Shift" not in answer.text
        assert "slate" not in answer.text
    with Session(engine) as db:
        refusals = db.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "talent.link_refused")
            .order_by(col(AuditEvent.id))
        ).all()
        assert [e.after["refusal"] for e in refusals] == ["tampered", "superseded", "expired"]


def test_the_pages_token_is_hidden_from_the_access_log(caplog: pytest.LogCaptureFixture) -> None:
    hide_link_tokens()
    token = "signoff-page-token-7c1e0d93"
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", f"/app/signoff/{token}", "1.1", 200
        )
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1",
            "GET",
            f"/app/signoff/{token}/media/3",
            "1.1",
            200,
        )
    assert token not in caplog.text
    assert "/app/signoff/<token>/media/3" in caplog.text
