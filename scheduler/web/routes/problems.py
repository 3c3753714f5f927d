"""Problems: the deliveries that wait for a person — failed, held, or of unknown outcome — with
why, and what may be done with each.

Failed: retry it (the same delivery, under its approval). Unknown: say what was found on the
platform (published, with its link, or not there: send it now). Held: release it (a late one
only when the person says to send it late), or cancel it. Each form calls the service function
the API's ``/deliveries/{id}/...`` route calls, under the same rule (a producer of the
delivery's production), and the service audits it. Everyone sees the problems of their own
productions, as ``GET /deliveries`` shows them; the forms show where the person may use them.

One query for the page of rows (``LIMIT`` at a time, with a "next" link) and one for the
productions to filter by, whatever the number of problems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from scheduler.core.clock import Clock
from scheduler.core.errors import Conflict
from scheduler.core.models import Account, Delivery, DeliveryStatus, Post, Production, Role
from scheduler.core.schemas import MAX_ID, Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.posts import deliveries as service
from scheduler.posts.schemas import CancelDelivery, ReleaseHold, ResolveUnknown, RetryFailed
from scheduler.web.forms import FIELD, FormDep, validated
from scheduler.web.pages import PREFIX, page
from scheduler.web.routes.home import NEED_A_PERSON

router = APIRouter(prefix=PREFIX)

#: Problems one page shows; "next" shows the following ones.
LIMIT = 25
#: The page's own hidden field: the list's query, to come back to after an action.
BACK = "back"


@dataclass(frozen=True)
class Filter:
    """Which problems the list shows: a production's, one state, from ``offset`` on."""

    production_id: int | None = None
    state: DeliveryStatus | None = None
    offset: int = 0

    def query(self, **changed: int) -> str:
        values = {"production_id": self.production_id, "state": self.state, "offset": self.offset}
        values.update(changed)
        return urlencode({k: v for k, v in values.items() if v})

    @classmethod
    def read(cls, sent: str) -> Filter:
        """The filter a form brought back (its hidden ``back``); anything odd is left out."""
        values: Mapping[str, str] = dict(parse_qsl(sent))
        state = values.get("state")
        return cls(
            production_id=_number(values.get("production_id")),
            state=DeliveryStatus(state) if state in NEED_A_PERSON else None,
            offset=_number(values.get("offset")) or 0,
        )


@dataclass(frozen=True)
class Problem:
    delivery: Delivery
    post: Post
    account: Account
    production: Production
    may_act: bool


@router.get("/problems")
def problems_page(
    request: Request,
    access: AccessDep,
    session: SessionDep,
    production_id: Id | None = None,
    state: DeliveryStatus | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    if state is not None and state not in NEED_A_PERSON:
        state = None
    return _page(request, access, session, Filter(production_id, state, offset))


@router.post("/deliveries/{delivery_id}/retry")
def retry(
    delivery_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Send a failed delivery again, due now (``POST /deliveries/{id}/retry``)."""
    data = validated(RetryFailed, _filled(form), leave_out=(BACK,))
    if isinstance(data, dict):
        return _refused(request, access, session, form, delivery_id, data)

    def act() -> None:
        assert isinstance(data, RetryFailed)
        service.retry_failed(
            session=session,
            delivery_id=delivery_id,
            now=Clock.from_settings().now(),
            actor=access.actor,
            reason=data.reason,
            send_late=data.send_late,
        )

    return _act(request, access, session, form, delivery_id, act)


@router.post("/deliveries/{delivery_id}/resolve")
def resolve(
    delivery_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Say what was found on the platform (``POST /deliveries/{id}/resolve``)."""
    data = validated(ResolveUnknown, _filled(form), leave_out=(BACK,))
    if isinstance(data, dict):
        return _refused(request, access, session, form, delivery_id, data)

    def act() -> None:
        assert isinstance(data, ResolveUnknown)
        service.resolve_unknown(
            session=session,
            delivery_id=delivery_id,
            published=data.published,
            url=data.url,
            now=Clock.from_settings().now(),
            actor=access.actor,
            reason=data.reason,
        )

    return _act(request, access, session, form, delivery_id, act)


@router.post("/deliveries/{delivery_id}/release")
def release(
    delivery_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Put a held delivery back on the schedule, now (``POST /deliveries/{id}/release``)."""
    data = validated(ReleaseHold, _filled(form), leave_out=(BACK,))
    if isinstance(data, dict):
        return _refused(request, access, session, form, delivery_id, data)

    def act() -> None:
        assert isinstance(data, ReleaseHold)
        service.release_hold(
            session=session,
            delivery_id=delivery_id,
            due_at=data.due_at or Clock.from_settings().now(),
            actor=access.actor,
            send_late=data.send_late,
        )

    return _act(request, access, session, form, delivery_id, act)


@router.post("/deliveries/{delivery_id}/cancel")
def cancel(
    delivery_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Cancel a held delivery for good (``POST /deliveries/{id}/cancel``)."""
    data = validated(CancelDelivery, _filled(form), leave_out=(BACK,))
    if isinstance(data, dict):
        return _refused(request, access, session, form, delivery_id, data)

    def act() -> None:
        assert isinstance(data, CancelDelivery)
        service.cancel(
            session=session, delivery_id=delivery_id, actor=access.actor, reason=data.reason
        )

    return _act(request, access, session, form, delivery_id, act)


def _filled(form: FormData) -> FormData:
    """The fields a person filled in: an empty optional field is one left out (``None``)."""
    return FormData([(k, v) for k, v in form.multi_items() if v != "" and k != FIELD])


def _act(
    request: Request,
    access: Access,
    session: Session,
    form: FormData,
    delivery_id: int,
    act: Callable[[], None],
) -> Response:
    """Run the service call; back to the list, or the list with why it was refused (409)."""
    wanted = Filter.read(str(form.get(BACK, "")))
    try:
        act()
    except Conflict as clash:
        session.rollback()
        return _page(
            request, access, session, wanted, status_code=409, problem=(delivery_id, clash.message)
        )
    session.commit()
    query = wanted.query()
    return RedirectResponse(f"{PREFIX}/problems{'?' + query if query else ''}", status_code=303)


def _refused(
    request: Request,
    access: Access,
    session: Session,
    form: FormData,
    delivery_id: int,
    errors: dict[str, str],
) -> Response:
    """The list again, each message beside its field of the delivery's form; nothing written."""
    wanted = Filter.read(str(form.get(BACK, "")))
    return _page(request, access, session, wanted, status_code=422, errors={delivery_id: errors})


def _page(
    request: Request,
    access: Access,
    session: Session,
    wanted: Filter,
    *,
    status_code: int = 200,
    errors: dict[int, dict[str, str]] | None = None,
    problem: tuple[int, str] | None = None,
) -> Response:
    visible = access.visible()
    query = (
        select(Delivery, Post, Account, Production)
        .join(Post, col(Post.id) == col(Delivery.post_id))
        .join(Account, col(Account.id) == col(Delivery.account_id))
        .join(Production, col(Production.id) == col(Post.production_id))
        .where(col(Delivery.status).in_([wanted.state] if wanted.state else NEED_A_PERSON))
    )
    if visible is not None:
        query = query.where(col(Post.production_id).in_(visible))
    if wanted.production_id is not None:
        query = query.where(col(Post.production_id) == wanted.production_id)
    query = query.order_by(col(Delivery.due_at), col(Delivery.id))
    found = session.exec(query.offset(wanted.offset).limit(LIMIT + 1)).all()
    rows = [
        Problem(d, p, a, prod, access.allows(prod.id or 0, Role.producer))
        for d, p, a, prod in found[:LIMIT]
    ]
    productions = select(Production).order_by(col(Production.title))
    if visible is not None:
        productions = productions.where(col(Production.id).in_(visible))
    return page(
        request,
        "problems.html",
        session=session,
        access=access,
        status_code=status_code,
        rows=rows,
        productions=list(session.exec(productions)),
        wanted=wanted,
        states=NEED_A_PERSON,
        back=wanted.query(),
        next_query=wanted.query(offset=wanted.offset + LIMIT) if len(found) > LIMIT else None,
        earlier_query=wanted.query(offset=max(wanted.offset - LIMIT, 0)) if wanted.offset else None,
        errors=errors or {},
        problem=problem,
    )


def _number(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number <= MAX_ID else None
