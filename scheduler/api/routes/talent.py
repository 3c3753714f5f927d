"""Talent, sign-off requests, and the public link talent answer through.

``/signoff/{token}`` needs no sign-in (``Scope.public``): the token is the credential. A link
that may not be used answers 403 and leaves exactly one trace, its ``talent.link_refused``
AuditEvent; whatever the request had read is rolled back first. The refusal is written in a
session of its own that may write: a ``GET``'s session only reads (``scheduler.http.deps``).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from scheduler.core.errors import Forbidden
from scheduler.core.schemas import Id
from scheduler.http.access import ActorDep
from scheduler.http.deps import SessionDep
from scheduler.http.negotiation import prefers_html
from scheduler.review import link_pages, link_sending, signoffs
from scheduler.review import talent as roster
from scheduler.review.links import LinkRefused, link_path
from scheduler.review.schemas import (
    PostSignoffs,
    SignoffAnswer,
    SignoffAsked,
    SignoffPage,
    SignoffRecorded,
    SignoffRequested,
    TalentCreate,
    TalentPublic,
    TalentUpdate,
)

router = APIRouter(tags=["talent"])


@router.post("/productions/{production_id}/talent", status_code=status.HTTP_201_CREATED)
def add_talent(
    production_id: Id, data: TalentCreate, session: SessionDep, actor: ActorDep
) -> TalentPublic:
    """Add cast or crew that posts may feature; ``sign_off_required`` makes them a gate."""
    talent = roster.add_talent(session=session, production_id=production_id, data=data, actor=actor)
    session.commit()
    return TalentPublic.model_validate(talent)


@router.get("/productions/{production_id}/talent")
def list_talent(production_id: Id, session: SessionDep) -> list[TalentPublic]:
    found = roster.list_talent(session=session, production_id=production_id)
    return [TalentPublic.model_validate(t) for t in found]


@router.patch("/productions/{production_id}/talent/{talent_id}")
def update_talent(
    production_id: Id, talent_id: Id, data: TalentUpdate, session: SessionDep, actor: ActorDep
) -> TalentPublic:
    """Change a roster entry: give someone an email or a hook their links can go to."""
    talent = roster.update_talent(
        session=session, production_id=production_id, talent_id=talent_id, data=data, actor=actor
    )
    session.commit()
    return TalentPublic.model_validate(talent)


@router.post("/posts/{post_id}/signoffs", status_code=status.HTTP_201_CREATED)
def request_signoffs(post_id: Id, session: SessionDep, actor: ActorDep) -> SignoffRequested:
    """Send a one-time link to each featured talent whose sign-off is required, at their own
    email or hook; the answer says who was asked and whether it was sent, never the link."""
    return link_sending.ask_for_signoffs(session=session, post_id=post_id, actor=actor)


@router.post("/posts/{post_id}/signoffs/{signoff_id}/resend")
def resend_signoff(
    post_id: Id, signoff_id: Id, session: SessionDep, actor: ActorDep
) -> SignoffAsked:
    """Send the talent a fresh link (the earlier one stops working): after a failed send, a
    lost email, or a change of address."""
    return link_sending.resend(session=session, post_id=post_id, signoff_id=signoff_id, actor=actor)


@router.get("/posts/{post_id}/signoffs")
def post_signoffs(post_id: Id, session: SessionDep) -> PostSignoffs:
    """Where each featured talent stands, and what keeps the post from final approval."""
    return signoffs.post_signoffs(session=session, post_id=post_id)


@router.get(
    "/signoff/{token}",
    response_model=SignoffPage,
    responses={303: {"description": "A browser asking for HTML: the talent's page"}},
)
def open_signoff(token: str, request: Request, session: SessionDep) -> SignoffPage | Response:
    """What the talent is asked to approve: each account's exact text and media. A browser
    (``Accept`` preferring HTML to JSON) is sent to the page the link opens, where the talent
    reads it and answers; nothing is checked here then, the page checks the link."""
    if prefers_html(request.headers.get("accept", "")):
        return RedirectResponse(link_path(token), status_code=303)
    try:
        return link_pages.open_link(session=session, token=token)
    except LinkRefused as refused:
        raise _refuse(session, request, refused, "view") from None


@router.post("/signoff/{token}")
def answer_signoff(
    token: str, data: SignoffAnswer, request: Request, session: SessionDep
) -> SignoffRecorded:
    """Approve or decline (with a reason); each link answers once."""
    try:
        recorded = link_pages.decide(session=session, token=token, answer=data)
    except LinkRefused as refused:
        raise _refuse(session, request, refused, "decide") from None
    session.commit()
    return recorded


def _refuse(
    session: Session, request: Request, refused: LinkRefused, attempt: Literal["view", "decide"]
) -> Forbidden:
    """Roll back, audit the refusal on its own (``refuse_apart``), and give the 403 to raise."""
    origin = request.client.host if request.client else "unknown address"
    link_pages.refuse_apart(session=session, refused=refused, origin=origin, attempt=attempt)
    return Forbidden(refused.message)
