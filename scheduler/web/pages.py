"""Rendering a page: the templates, and what every page shows around its own content.

Autoescaping is on for every template, whatever its name: nothing a person typed (a post's
body, a pause's reason, a production's title) is ever rendered as HTML. Templates name blocks
that htmx asks for alone (``block=``): jinja2-fragments renders just that block of the same
template, so a page and its partial update can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2_fragments.fastapi import Jinja2Blocks
from sqlmodel import Session

from scheduler.core.models import Pause, PauseScope, Production, Role
from scheduler.http.access import Access
from scheduler.planning.pauses import list_pauses
from scheduler.web import forms

#: Where the pages live; ``/`` leads here.
PREFIX = "/app"
HERE = Path(__file__).parent
STATIC = HERE / "static"

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Blocks(env=_environment)


@dataclass(frozen=True)
class Banner:
    """An active pause as every page's banner shows it."""

    what: str
    reason: str
    paused_by: str
    paused_at: datetime


def banners(session: Session, access: Access) -> list[Banner]:
    """The pauses in force that stop something this person works on: everything, their
    productions, and the accounts those productions post to (all of them, for a site admin)."""
    visible = access.visible()
    return [
        _banner(session, pause)
        for pause in list_pauses(session=session)
        if visible is None or pause.scope != PauseScope.production or pause.production_id in visible
    ]


def _banner(session: Session, pause: Pause) -> Banner:
    if pause.scope == PauseScope.production:
        production = session.get(Production, pause.production_id)
        what = f"“{production.title}”" if production else "a production"
    elif pause.scope == PauseScope.account:
        what = f"account {pause.account_id}"
    else:
        what = "everything"
    return Banner(what, pause.reason, pause.paused_by, pause.paused_at)


def audit_link(access: Access | None) -> str | None:
    """Where the header's "Audit" link leads: the whole trail for a site admin, the trail of
    the first production this person produces otherwise (the page's rule is ``GET /audit``'s:
    a production's producer, or a site admin for the whole); none for anyone else."""
    if access is None or access.person is None:
        return None
    if access.site_admin:
        return f"{PREFIX}/audit"
    produced = sorted(pid for pid, role in access.roles.items() if role.rank >= Role.producer.rank)
    return f"{PREFIX}/audit?production_id={produced[0]}" if produced else None


def page(
    request: Request,
    template: str,
    *,
    session: Session | None = None,
    access: Access | None = None,
    status_code: int = 200,
    block: str | None = None,
    **context: Any,
) -> Response:
    """A page (or one block of it, for htmx), with the signed-in person, the pause banners
    and the form token every form carries."""
    shown_banners = banners(session, access) if session and access and access.person else []
    values = {
        "request": request,
        "prefix": PREFIX,
        "person": access.person if access else None,
        "banners": shown_banners,
        "audit_link": audit_link(access),
        "csrf": forms.token(request),
        **context,
    }
    response = templates.TemplateResponse(
        request, template, values, status_code=status_code, block_name=block
    )
    forms.keep_token(request, response)
    return response


def local(instant: datetime, zone: str) -> str:
    """An instant as the production's wall clock shows it: "Fri 14 Mar 2025, 18:00"."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M")


_environment.filters["local"] = local
