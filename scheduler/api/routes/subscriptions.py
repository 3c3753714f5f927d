"""Calendar subscription links: made by a member for one production, listed, revoked, read.

A calendar app subscribes to ``GET /calendar/{token}.ics`` without signing in, so that route
is public in the access policy and the link is checked here (``scheduler.people.calendars``):
every refusal, whatever its reason, is the same 404.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import Field

from scheduler.api.routes.calendar import feed_response
from scheduler.core.config import get_settings
from scheduler.core.schemas import Id, Input, Output
from scheduler.http.access import AccessDep
from scheduler.http.deps import SessionDep
from scheduler.people import calendars

router = APIRouter(tags=["calendar"])


class CalendarLinkCreate(Input):
    name: str = Field(
        default="calendar", min_length=1, max_length=80, examples=["Google Calendar at work"]
    )


class CalendarLinkPublic(Output):
    id: int
    production_id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None


class CalendarLinkIssued(CalendarLinkPublic):
    url: str = Field(description="The feed's address; shown once, only its hash is kept")
    webcal_url: str = Field(description="The same address as webcal://, to open a calendar app")


@router.post(
    "/productions/{production_id}/calendar-subscriptions",
    status_code=status.HTTP_201_CREATED,
)
def create_calendar_link(
    production_id: Id,
    access: AccessDep,
    session: SessionDep,
    data: CalendarLinkCreate | None = None,
) -> CalendarLinkIssued:
    """A link of the caller's own that a calendar app subscribes to; shown this once."""
    assert access.person is not None  # the policy lets members (viewer or above) only
    issued = calendars.issue_calendar_link(
        session=session,
        person=access.person,
        production_id=production_id,
        name=(data or CalendarLinkCreate()).name,
        actor=access.actor,
    )
    session.commit()
    url = issued.url(get_settings().public_url)
    public = CalendarLinkPublic.model_validate(issued.subscription).model_dump()
    return CalendarLinkIssued(**public, url=url, webcal_url=calendars.webcal(url))


@router.get("/me/calendar-subscriptions")
def list_calendar_links(access: AccessDep, session: SessionDep) -> list[CalendarLinkPublic]:
    """The caller's links, revoked ones too, without their secrets."""
    assert access.person is not None
    links = calendars.calendar_links_of(session, access.person.id or 0)
    return [CalendarLinkPublic.model_validate(link) for link in links]


@router.delete("/calendar-subscriptions/{subscription_id}")
def revoke_calendar_link(
    subscription_id: Id, access: AccessDep, session: SessionDep
) -> CalendarLinkPublic:
    """Revoke a link at once (its owner, or a site admin); the next read of it is a 404."""
    assert access.person is not None
    link = calendars.revoke_calendar_link(
        session=session, subscription_id=subscription_id, person=access.person, actor=access.actor
    )
    session.commit()
    return CalendarLinkPublic.model_validate(link)


@router.get(
    "/calendar/{token}.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, 404: {"description": "No live link"}},
)
def subscribed_feed(token: str, session: SessionDep) -> Response:
    """The feed a calendar app subscribed to: the link is the credential (no sign-in)."""
    return feed_response(session, calendars.feed_production(session, token))
