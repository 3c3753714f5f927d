"""A producer's approval queue: the posts in review, by milestone, each showing exactly what
goes out on every account, and approving one post, a milestone's whole schedule, or sending a
post back with a note.

Every form sends back what the page showed (each post's version, each delivery's ``shown``
value), as the API's approvals do, so nobody approves words, media or a time they did not
see: the same service functions as ``POST /posts/{id}/approve``, ``POST /posts/{id}/reject``
and ``POST /productions/{id}/review/approve`` decide. A refusal (separation of duties, a post
changed since it was shown, an unticked checklist item) shows the queue again with the
refusal's own words above it, and nothing is written.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from scheduler.core.clock import Clock
from scheduler.core.errors import Conflict, Forbidden, Invalid
from scheduler.core.schemas import Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.planning.productions import get_production
from scheduler.posts import approval
from scheduler.posts.lifecycle import get_post
from scheduler.review import chain
from scheduler.review.queue import review_queue
from scheduler.review.schemas import ApproveAction, ReviewAction, ScheduleApproval
from scheduler.web.forms import FIELD, FormDep
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)
M = TypeVar("M", bound=BaseModel)

#: What the queue says after an action, by the ``done`` its address carries.
DONE = {
    "approved": "Your approval is recorded. A post whose chain is complete is scheduled.",
    "schedule": "Your approval of the schedule is recorded. Posts whose chain is complete "
    "are scheduled.",
    "rejected": "The post went back to its writer with your note.",
}


@router.get("/productions/{production_id}/review")
def queue_page(
    production_id: Id,
    request: Request,
    access: AccessDep,
    session: SessionDep,
    done: str | None = None,
) -> Response:
    return _queue(request, access, session, production_id, notice=DONE.get(done or ""))


@router.post("/productions/{production_id}/review/approve")
def approve_schedule(
    production_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Approve every post of a milestone's schedule, as shown, in one action."""
    assert access.person is not None
    data = _read(ScheduleApproval, form)
    if isinstance(data, str):
        return _refused(request, access, session, production_id, data, 422)
    try:
        chain.approve_schedule(
            session=session,
            production_id=production_id,
            versions=data.versions,
            person=access.person,
            checklist=data.checklist,
            note=data.note,
            now=Clock.from_settings().now(),
            shown=data.shown,
        )
    except (Conflict, Invalid, Forbidden) as refused:
        return _refused(request, access, session, production_id, _words(refused), _status(refused))
    session.commit()
    return _back(production_id, "schedule")


@router.post("/posts/{post_id}/approve")
def approve_post(
    post_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Approve one post as shown, at the chain's current step."""
    assert access.person is not None
    production_id = get_post(session=session, post_id=post_id).production_id
    data = _read(ApproveAction, form)
    if isinstance(data, str):
        return _refused(request, access, session, production_id, data, 422)
    try:
        chain.approve_shown(
            session=session,
            post_id=post_id,
            version=data.version,
            person=access.person,
            checklist=data.checklist,
            note=data.note,
            now=Clock.from_settings().now(),
            shown=data.shown,
        )
    except (Conflict, Invalid, Forbidden) as refused:
        return _refused(request, access, session, production_id, _words(refused), _status(refused))
    session.commit()
    return _back(production_id, "approved")


@router.post("/posts/{post_id}/reject")
def reject_post(
    post_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Send a post back to its writer, with a note saying why."""
    assert access.person is not None
    production_id = get_post(session=session, post_id=post_id).production_id
    data = _read(ReviewAction, form)
    if isinstance(data, str):
        return _refused(request, access, session, production_id, data, 422)
    try:
        approval.reject_post(
            session=session,
            post_id=post_id,
            version=data.version,
            actor=access.person.actor,
            note=data.note,
        )
    except (Conflict, Invalid) as refused:
        return _refused(request, access, session, production_id, _words(refused), _status(refused))
    session.commit()
    return _back(production_id, "rejected")


def _queue(
    request: Request,
    access: Access,
    session: SessionDep,
    production_id: int,
    *,
    notice: str | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    production = get_production(session=session, production_id=production_id)
    queue = review_queue(session=session, production_id=production_id)
    return page(
        request,
        "review.html",
        session=session,
        access=access,
        status_code=status_code,
        production=production,
        queue=queue,
        notice=notice,
        refusal=refusal,
        media_url=lambda media_id: f"/productions/{production_id}/media/{media_id}",
    )


def _refused(
    request: Request,
    access: Access,
    session: SessionDep,
    production_id: int,
    words: str,
    status_code: int,
) -> Response:
    """The queue again, as it stands now, with the refusal above it; nothing written."""
    session.rollback()
    return _queue(request, access, session, production_id, refusal=words, status_code=status_code)


def _back(production_id: int, done: str) -> Response:
    return RedirectResponse(
        f"{PREFIX}/productions/{production_id}/review?done={done}", status_code=303
    )


def _status(refused: Exception) -> int:
    if isinstance(refused, Conflict):
        return 409
    return 403 if isinstance(refused, Forbidden) else 422


def _words(refused: Conflict | Invalid | Forbidden) -> str:
    return str(getattr(refused, "message", refused))


def _read(model: type[M], form: FormData) -> M | str:
    """The form as the API's own input: fields named ``versions.12``, ``shown.34`` or
    ``checklist.5`` are the entries of those maps. A refusal is one sentence naming fields."""
    values: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key == FIELD or not isinstance(value, str):
            continue
        name, dot, entry = key.partition(".")
        if dot:
            values.setdefault(name, {})[entry] = value
        elif name == "note":
            values[name] = value.strip() or None  # an empty box is no note
        else:
            values[name] = value
    try:
        return model.model_validate(values)
    except ValidationError as refused:
        return "Not sent: " + "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
            for error in refused.errors()[:3]
        )
