"""The post editor over HTTP: saving and submitting through the API's own services, its
refusals beside the fields with nothing written, who may use it, and a preview that shows a
post's text as text and saves nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import Session, col, select

from scheduler.core.models import Account, AuditEvent, Milestone, Post, Role
from tests import factories
from tests.scheduler.web.pages import browser, form_token, member, sign_in

HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'
LONG = (
    "Night 12 on the Night Shift set: rain machines, three cameras and a crew of forty "
    "waiting for the one take that makes the trailer. Thank you to everyone who stayed "
    "past 4am for it. More from the set next week, and the first look at the score from "
    "@composer_ana. https://nightshift.film/diary #NightShift #BehindTheScenes"
)


def _setting(session: Session) -> tuple[int, int]:
    """A production with an X account, a marketer, and a premiere a month away."""
    production = factories.production(session)
    pid = production.id or 0
    factories.premiere(session, pid, datetime.now(UTC) + timedelta(days=30))
    account = factories.x_account(session, production_ids=[pid])
    member(session, "mo@nightshift.test", name="Mo Adeyemi", roles={pid: Role.marketer})
    session.commit()
    return pid, account.id or 0


def _form(page: httpx.Response, account_id: int, **overrides: Any) -> dict[str, Any]:
    at = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    return {
        "csrf": form_token(page),
        "pillar": "on_set",
        "template": "",
        "body": "Night 12 on set. #NightShift",
        "anchor_kind": "at",
        "anchor.at": at,
        "account_ids": [str(account_id)],
        "tags": "diary, night",
        **overrides,
    }


def _written(session: Session) -> tuple[int, int]:
    """Posts, and changes to posts in the audit trail."""
    session.expire_all()
    posts = session.exec(select(func.count()).select_from(Post)).one()
    changes = select(func.count()).select_from(AuditEvent)
    events = session.exec(changes.where(col(AuditEvent.action).startswith("post."))).one()
    session.rollback()  # end the read: the test's session must not hold SQLite's write lock
    return posts, events


def test_a_marketer_saves_a_draft_and_sends_it_for_review(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        new = web.get(f"/app/productions/{pid}/posts/new")
        assert new.status_code == 200
        assert "Europe/London" in new.text  # the absolute time's zone, beside the field
        saved = web.post(f"/app/productions/{pid}/posts", data=_form(new, account_id))
        assert saved.status_code == 303, saved.text
        edit = web.get(saved.headers["location"])
        assert "Saved." in edit.text
        assert "Night 12 on set. #NightShift" in edit.text
        post_id = int(saved.headers["location"].split("/")[3])
        submitted = web.post(
            f"/app/posts/{post_id}/submit", data={"csrf": form_token(edit), "version": "1"}
        )
        assert submitted.status_code == 303
        assert "Sent for review" in web.get(submitted.headers["location"]).text
    session.expire_all()
    post = session.get(Post, post_id)
    assert post is not None
    assert post.status == "in_review"
    assert post.tags == ["diary", "night"]


def test_a_refused_form_says_why_beside_the_field_and_writes_nothing(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    premiere = str(session.exec(select(Milestone.id)).one())
    before = _written(session)
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        new = web.get(f"/app/productions/{pid}/posts/new")
        no_account = web.post(
            f"/app/productions/{pid}/posts", data=_form(new, account_id, account_ids=[])
        )
        assert no_account.status_code == 422
        assert 'id="f-account_ids-error"' in no_account.text
        assert "at least 1 item" in no_account.text
        assert '<a href="#f-account_ids">Accounts</a>' in no_account.text  # the summary
        bad_offset = web.post(
            f"/app/productions/{pid}/posts",
            data=_form(
                new,
                account_id,
                anchor_kind="milestone",
                **{"anchor.milestone_id": premiere, "anchor.offset": "soon"},
            ),
        )
        assert bad_offset.status_code == 422
        assert 'aria-invalid="true" aria-describedby="f-anchor-offset-error' in bad_offset.text
        assert 'value="soon"' in bad_offset.text  # the form comes back as it was left
    assert _written(session) == before


def test_a_viewer_and_another_productions_marketer_are_refused(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    post_id = factories.post(session, pid, [session.get_one(Account, account_id)]).id
    other = factories.production(session, title="Another Film")
    member(session, "vi@nightshift.test", name="Vi", roles={pid: Role.viewer})
    member(session, "ot@nightshift.test", name="Ot", roles={other.id or 0: Role.marketer})
    before = _written(session)
    for email in ("vi@nightshift.test", "ot@nightshift.test"):
        with browser(client.base_url) as web:
            sign_in(web, email)
            home = web.get("/app/")
            assert web.get(f"/app/productions/{pid}/posts/new").status_code == 403
            assert web.get(f"/app/posts/{post_id}/edit").status_code == 403
            form = _form(home, account_id)
            assert web.post(f"/app/productions/{pid}/posts", data=form).status_code == 403
            assert web.post(f"/app/productions/{pid}/posts/preview", data=form).status_code == 403
            edited = web.post(f"/app/posts/{post_id}/edit", data={**form, "version": "1"})
            assert edited.status_code == 403
            token = form_token(home)
            submit = web.post(f"/app/posts/{post_id}/submit", data={"csrf": token, "version": "1"})
            assert submit.status_code == 403
    assert _written(session) == before


def test_the_preview_shows_a_hostile_body_as_text_and_saves_nothing(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    before = _written(session)
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        new = web.get(f"/app/productions/{pid}/posts/new")
        shown = web.post(
            f"/app/productions/{pid}/posts/preview",
            data=_form(new, account_id, body=HOSTILE),
            headers={"HX-Request": "true"},
        )
    assert shown.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text
    assert "<script>" not in shown.text
    assert "<a href" not in shown.text
    assert "<html" not in shown.text  # the preview block alone
    assert _written(session) == before


def test_the_preview_counts_as_x_does_and_splits_a_long_text_into_a_thread(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        new = web.get(f"/app/productions/{pid}/posts/new")
        shown = web.post(
            f"/app/productions/{pid}/posts/preview", data=_form(new, account_id, body=LONG)
        )
    assert "of 280 weighted characters" in shown.text
    assert "over the limit by" in shown.text
    assert "Posted as a thread of 2" in shown.text
    assert '<span class="entity entity-mention">@composer_ana</span>' in shown.text
    assert '<span class="entity entity-hashtag">#NightShift</span>' in shown.text
    assert '<span class="entity entity-url">https://nightshift.film/diary</span>' in shown.text


class _Form(HTMLParser):
    """The values a browser would send for the form posting to ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.values: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = named.get("action") == self.action
        if not self.inside or "disabled" in named:
            return
        if tag == "input" and named.get("name"):
            if named.get("type") in ("checkbox", "radio") and "checked" not in named:
                return
            self.values.append((named["name"], named.get("value", "")))
        elif tag == "textarea":
            self._textarea = named["name"]
            self.values.append((named["name"], ""))
        elif tag == "select":
            self._select = named["name"]
        elif tag == "option" and self._select and "selected" in named:
            self.values.append((self._select, named.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self.inside and self._textarea is not None:
            name, typed = self.values[-1]
            self.values[-1] = (name, typed + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _sent(page: httpx.Response, action: str, **changes: str) -> dict[str, list[str]]:
    """What the page's form sends as it stands, with ``changes`` typed in."""
    reader = _Form(action)
    reader.feed(page.text)
    sent: dict[str, list[str]] = {}
    for name, value in reader.values:
        sent.setdefault(name, []).append(value)
    return {**sent, **{name: [value] for name, value in changes.items()}}


def test_editing_a_draft_keeps_what_the_page_does_not_edit_and_makes_a_new_version(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    made = client.post(
        "/posts",
        json={
            "production_id": pid,
            "pillar": "on_set",
            "body": "Night 12 on set.",
            "media": [{"url": "http://127.0.0.1:9/still.jpg", "alt": "The crew at dawn"}],
            "anchor": {"at": (datetime.now(UTC) + timedelta(days=9)).isoformat()},
            "account_ids": [account_id],
        },
    )
    assert made.status_code == 201, made.text
    post_id = made.json()["id"]
    action = f"/app/posts/{post_id}/edit"
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        page = web.get(action)
        assert "http://127.0.0.1:9/still.jpg" in page.text
        assert '<a href="http://127.0.0.1' not in page.text  # a link's URL is shown as text
        before = _written(session)
        too_long = web.post(action, data=_sent(page, action, body="x" * 10_001))
        assert too_long.status_code == 422
        assert 'aria-describedby="f-body-error' in too_long.text
        assert _written(session) == before
        saved = web.post(action, data=_sent(page, action, body="Night 13 on set."))
        assert saved.status_code == 303, saved.text
    answer = client.get(f"/posts/{post_id}").json()
    assert answer["version"] == 2
    assert answer["body"] == "Night 13 on set."
    assert answer["media"] == [
        {"url": "http://127.0.0.1:9/still.jpg", "kind": "image", "alt": "The crew at dawn"}
    ]
    assert [d["account_id"] for d in answer["deliveries"]] == [account_id]


def test_a_template_offers_its_values_and_the_preview_fills_them_in(
    client: httpx.Client, session: Session
) -> None:
    pid, account_id = _setting(session)
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        page = web.get(f"/app/productions/{pid}/posts/new", params={"template": "casting_reveal"})
        for name in ("actor_name", "role", "quote"):
            assert f'name="variables.{name}"' in page.text
        values = {
            "template": "casting_reveal",
            "body": "",
            "variables.actor_name": "Ana Ruiz",
            "variables.role": "the night nurse",
            "variables.quote": "I have wanted this part for years.",
        }
        shown = web.post(
            f"/app/productions/{pid}/posts/preview", data=_form(page, account_id, **values)
        )
    assert "Casting news: Ana Ruiz joins Night Shift as the night nurse." in shown.text
