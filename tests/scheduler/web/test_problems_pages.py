"""The problems page: failed, held and unknown deliveries with why, and the actions each state
allows, under the rules of ``/deliveries/{id}/...``, each audited; the list pages on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import Session, col, select

from scheduler.core.models import Account, AuditEvent, Delivery, Role
from tests import factories
from tests.scheduler.web.pages import browser, form_token, member, sign_in

HOSTILE = '<script>alert(1)</script> {{ 7*7 }} <a href="javascript:alert(2)">x</a>'
PRODUCER = "Dev Raman <dev@nightshift.test>"


def _delivery(session: Session, account: Account, pid: int, status: str, **more: Any) -> int:
    """An approved post's delivery, put in ``status`` as the worker or a gate would leave it."""
    post = factories.approved_post(session, pid, [account])
    session.commit()
    (delivery,) = session.exec(select(Delivery).where(Delivery.post_id == post.id)).all()
    values = {"status": status, **more}
    sets = ", ".join(f"{name} = :{name}" for name in values)
    session.connection().execute(
        text(f"UPDATE delivery SET {sets} WHERE id = :id"), {**values, "id": delivery.id}
    )
    session.commit()
    return delivery.id or 0


def _now(session: Session, delivery_id: int) -> Delivery:
    session.expire_all()
    found = session.get(Delivery, delivery_id)
    assert found is not None
    session.commit()  # on SQLite a read holds the write lock until its transaction ends
    return found


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    found = list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))
    session.commit()
    return found


def _production(session: Session, tmp_path: Path) -> tuple[int, Account]:
    production = factories.production(session)
    account = factories.outbox_account(session, tmp_path / "out.jsonl")
    pid = production.id or 0
    member(session, "dev@nightshift.test", name="Dev Raman", roles={pid: Role.producer})
    return pid, account


def test_a_producer_retries_a_failed_delivery_and_it_is_audited(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    pid, account = _production(session, tmp_path)
    failed = _delivery(session, account, pid, "failed", attempt=5, last_error=HOSTILE)
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        page = web.get("/app/problems")
        assert page.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # the error, as text
        assert "<script>alert(1)" not in page.text
        assert f"Retry delivery {failed}" in page.text
        retried = web.post(
            f"/app/deliveries/{failed}/retry",
            data={"csrf": form_token(page), "reason": "page id fixed", "back": ""},
        )
        assert retried.status_code == 303
        assert retried.headers["location"] == "/app/problems"
        assert "Nothing failed, held or unknown." in web.get("/app/problems").text
    assert _now(session, failed).status == "scheduled"
    (event,) = _events(session, "delivery.retried")
    assert (event.actor, event.reason, event.entity_id) == (PRODUCER, "page id fixed", failed)


def test_unknown_and_held_deliveries_are_settled_released_and_cancelled(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    pid, account = _production(session, tmp_path)
    unknown = _delivery(session, account, pid, "unknown", last_error="timed out")
    held = _delivery(session, account, pid, "held", held_for="past_due")
    doomed = _delivery(session, account, pid, "held", held_for="past_due")
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        page = web.get("/app/problems")
        token = form_token(page)
        assert f"Settle delivery {unknown}" in page.text
        assert f"Release delivery {held}" in page.text
        no_reason = web.post(
            f"/app/deliveries/{unknown}/resolve", data={"csrf": token, "published": "true"}
        )
        assert no_reason.status_code == 422
        assert f'aria-describedby="d{unknown}-reason-error"' in no_reason.text
        assert _now(session, unknown).status == "unknown"
        settled = web.post(
            f"/app/deliveries/{unknown}/resolve",
            data={
                "csrf": token,
                "published": "true",
                "url": "https://bsky.app/post/1",
                "reason": "seen on the feed",
            },
        )
        assert settled.status_code == 303
        released = web.post(f"/app/deliveries/{held}/release", data={"csrf": token})
        assert released.status_code == 303
        cancelled = web.post(
            f"/app/deliveries/{doomed}/cancel", data={"csrf": token, "reason": HOSTILE}
        )
        assert cancelled.status_code == 303
        again = web.post(f"/app/deliveries/{doomed}/release", data={"csrf": token})
        assert again.status_code == 409
        assert "not held" in again.text
    after = _now(session, unknown)
    assert (after.status, after.external_url) == ("published", "https://bsky.app/post/1")
    assert _now(session, held).status == "scheduled"
    assert _now(session, doomed).status == "cancelled"
    for action in ("delivery.resolved", "delivery.released", "delivery.cancelled"):
        assert [e.actor for e in _events(session, action)] == [PRODUCER], action


def test_roles_below_see_the_problems_but_cannot_act(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    pid, account = _production(session, tmp_path)
    failed = _delivery(session, account, pid, "failed", last_error="refused")
    member(session, "mo@nightshift.test", name="Mo", roles={pid: Role.marketer})
    other = factories.production(session, title="Another Film")
    member(session, "ana@nightshift.test", name="Ana", roles={other.id or 0: Role.producer})
    with browser(client.base_url) as web:
        sign_in(web, "mo@nightshift.test")
        page = web.get("/app/problems")
        assert f"Delivery {failed}" in page.text
        assert f"Retry delivery {failed}" not in page.text
        refused = web.post(f"/app/deliveries/{failed}/retry", data={"csrf": form_token(page)})
        assert refused.status_code == 403
    with browser(client.base_url) as web:
        sign_in(web, "ana@nightshift.test")
        page = web.get("/app/problems")
        assert f"Delivery {failed}" not in page.text  # not her production's
        refused = web.post(f"/app/deliveries/{failed}/retry", data={"csrf": form_token(page)})
        assert refused.status_code == 403
    assert _now(session, failed).status == "failed"
    assert _events(session, "delivery.retried") == []


def test_the_list_pages_on_and_keeps_its_filter(
    client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    pid, account = _production(session, tmp_path)
    more = factories.outbox_account(session, tmp_path / "more.jsonl", "@nightshift2")
    factories.serve(session, pid, [more])
    for _ in range(14):  # 28 failed deliveries: a page of 25, then 3
        factories.approved_post(session, pid, [account, more])
    session.commit()
    session.connection().execute(text("UPDATE delivery SET status = 'failed'"))
    session.commit()
    with browser(client.base_url) as web:
        sign_in(web, "dev@nightshift.test")
        first = web.get("/app/problems", params={"production_id": pid, "state": "failed"})
        assert first.text.count('class="problem"') == 25
        assert f'href="/app/problems?production_id={pid}&amp;state=failed&amp;offset=25"' in (
            first.text
        )
        second = web.get(
            "/app/problems", params={"production_id": pid, "state": "failed", "offset": 25}
        )
        assert second.text.count('class="problem"') == 3
        assert 'rel="next"' not in second.text
        last = session.exec(select(Delivery).order_by(col(Delivery.id).desc())).first()
        session.commit()
        assert last is not None
        back = f"production_id={pid}&state=failed&offset=25"
        retried = web.post(
            f"/app/deliveries/{last.id}/retry", data={"csrf": form_token(second), "back": back}
        )
        assert retried.headers["location"] == f"/app/problems?{back}"
