"""Pausing and resuming, on a page: a production, or everything (the kill switch), with a
reason; the pauses in force, with who paused, why and since when, each with its Resume button.

The same service as the API's ``/pauses`` (``scheduler.planning.pauses``), under rules that say
the same as ``POST /pauses`` with the production in the path rather than a JSON body (a form
posts none): pausing a production is its producers' (``/app/productions/{id}/pause``), pausing
everything a site admin's (``/app/pause-everything``), and resuming follows the pause's scope,
as ``POST /pauses/{id}/resume`` does. An account's pause shows here, and resumes here, but is
started through the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from scheduler.core.errors import Conflict, Invalid
from scheduler.core.models import Pause, PauseScope, Production, Role
from scheduler.core.schemas import Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.planning import pauses as service
from scheduler.planning.schemas import PauseCreate
from scheduler.web.forms import FormDep, validated
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

#: The form that pauses everything; a production's is ``production-{id}``.
EVERYTHING = "everything"


@dataclass(frozen=True)
class Shown:
    """A pause in force as the page lists it, and whether this person may resume it."""

    pause: Pause
    what: str
    may_resume: bool


@router.get("/pauses")
def pauses_page(request: Request, access: AccessDep, session: SessionDep) -> Response:
    return _page(request, access, session)


@router.post("/productions/{production_id}/pause")
def pause_production(
    production_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Stop a production's deliveries until resumed (a producer's call, as in the API)."""
    wanted = {"scope": PauseScope.production.value, "production_id": str(production_id)}
    return _start(request, form, access, session, f"production-{production_id}", wanted)


@router.post("/pause-everything")
def pause_everything(
    request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """The kill switch: nothing goes out anywhere until resumed (a site admin's call)."""
    return _start(request, form, access, session, EVERYTHING, {"scope": PauseScope.all.value})


@router.post("/pauses/{pause_id}/resume")
def resume(
    pause_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    try:
        service.resume(session=session, pause_id=pause_id, actor=access.actor)
    except Conflict as clash:
        session.rollback()
        return _page(request, access, session, status_code=409, problem=clash.message)
    session.commit()
    return RedirectResponse(f"{PREFIX}/pauses", status_code=303)


def _start(
    request: Request,
    form: FormData,
    access: Access,
    session: Session,
    key: str,
    wanted: dict[str, str],
) -> Response:
    """Read the reason as the API's ``PauseCreate`` (same limits, same messages) and pause."""
    sent = FormData([*wanted.items(), ("reason", str(form.get("reason", "")).strip())])
    data = validated(PauseCreate, sent)
    if isinstance(data, dict):
        return _page(request, access, session, status_code=422, errors={key: data})
    try:
        service.pause(session=session, data=data, actor=access.actor)
    except Invalid as refused:
        session.rollback()
        errors = {key: {refused.field: refused.message}}
        return _page(request, access, session, status_code=422, errors=errors)
    except Conflict as clash:
        session.rollback()
        return _page(request, access, session, status_code=409, problem=clash.message)
    session.commit()
    return RedirectResponse(f"{PREFIX}/pauses", status_code=303)


def _page(
    request: Request,
    access: Access,
    session: Session,
    *,
    status_code: int = 200,
    errors: dict[str, dict[str, str]] | None = None,
    problem: str | None = None,
) -> Response:
    """The pauses in force this person is concerned by, and the forms they may use: two
    queries, whatever the number of pauses or productions."""
    visible = access.visible()
    query = select(Production).order_by(col(Production.title))
    if visible is not None:
        query = query.where(col(Production.id).in_(visible))
    productions = list(session.exec(query))
    titles = {p.id: p.title for p in productions}
    active = [
        p
        for p in service.list_pauses(session=session)
        if visible is None or p.production_id is None or p.production_id in visible
    ]
    shown = [Shown(p, _what(p, titles), _may_resume(access, p)) for p in active]
    paused = {p.production_id for p in active if p.scope == PauseScope.production}
    return page(
        request,
        "pauses.html",
        session=session,
        access=access,
        status_code=status_code,
        pauses=shown,
        productions=[p for p in productions if access.allows(p.id or 0, Role.producer)],
        paused=paused,
        everything_paused=any(p.scope == PauseScope.all for p in active),
        site_admin=access.site_admin,
        errors=errors or {},
        problem=problem,
    )


def _what(pause: Pause, titles: dict[int | None, str]) -> str:
    if pause.scope == PauseScope.production:
        return f"“{titles.get(pause.production_id, 'a production')}”"
    if pause.scope == PauseScope.account:
        return f"account {pause.account_id}"
    return "everything"


def _may_resume(access: Access, pause: Pause) -> bool:
    """Whether the Resume button is offered: the policy's rule for the pause's scope (the
    route applies it again; this only spares a person a button that would be refused)."""
    if pause.scope == PauseScope.production and pause.production_id is not None:
        return access.allows(pause.production_id, Role.producer)
    return access.site_admin
