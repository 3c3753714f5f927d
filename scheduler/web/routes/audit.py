"""The audit trail on a page: who changed what, when, from what to what, and why, newest first,
filtered by production, entity, action, actor and a range of days (UTC).

The same reading as ``GET /audit`` (``scheduler.audit.trail``) under the same rule: a producer
of the production named in the query reads its trail; the whole trail is a site admin's. The
filters arrive as a form sends them (an empty field is no filter), so they are read here rather
than by FastAPI's query validation, and a bad one is shown beside its field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlmodel import col, select

from scheduler.audit.trail import AuditFilter, find_events
from scheduler.core.models import AuditEvent, Production, Role
from scheduler.core.schemas import MAX_ID, Text
from scheduler.http.access import AccessDep
from scheduler.http.deps import SessionDep
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

#: Events one page shows; "next" shows the older ones.
LIMIT = 50
#: Each filter's longest value, as ``GET /audit`` takes them.
LONGEST = {"entity": 40, "action": 60, "actor": 120}


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    before: str
    after: str


@router.get("/audit")
def audit_page(
    request: Request,
    access: AccessDep,
    session: SessionDep,
    production_id: Text = "",
    entity: Text = "",
    action: Text = "",
    actor: Text = "",
    since: Text = "",
    until: Text = "",
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    sent = {
        "production_id": production_id.strip(),
        "entity": entity.strip(),
        "action": action.strip(),
        "actor": actor.strip(),
        "since": since.strip(),
        "until": until.strip(),
    }
    errors: dict[str, str] = {}
    for name, longest in LONGEST.items():
        if len(sent[name]) > longest:
            errors[name] = f"at most {longest} characters"
    first, last = _day(sent["since"], "since", errors), _day(sent["until"], "until", errors)
    if first and last and last < first:
        errors["until"] = "the last day comes before the first"
    # The access rule has already read production_id: only a site admin gets here without one.
    chosen = _id(sent["production_id"], errors)
    events: list[AuditEvent] = []
    if not errors:
        wanted = AuditFilter(
            production_id=chosen,
            entity=sent["entity"] or None,
            action=sent["action"] or None,
            actor=sent["actor"] or None,
            since=datetime.combine(first, time(), UTC) if first else None,
            until=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
            limit=LIMIT + 1,
            offset=offset,
        )
        events = find_events(session, wanted)
    productions = select(Production).order_by(col(Production.title))
    if not access.site_admin:
        produced = [p for p, role in access.roles.items() if role.rank >= Role.producer.rank]
        productions = productions.where(col(Production.id).in_(produced))
    kept = {k: v for k, v in sent.items() if v}
    return page(
        request,
        "audit.html",
        session=session,
        access=access,
        status_code=422 if errors else 200,
        rows=[Row(e, _shown(e.before), _shown(e.after)) for e in events[:LIMIT]],
        productions=list(session.exec(productions)),
        chosen=chosen,
        sent=sent,
        errors=errors,
        site_admin=access.site_admin,
        next_query=urlencode({**kept, "offset": offset + LIMIT}) if len(events) > LIMIT else None,
        earlier_query=urlencode({**kept, "offset": max(offset - LIMIT, 0)}) if offset else None,
    )


def _id(value: str, errors: dict[str, str]) -> int | None:
    if not value:
        return None
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_ID:
        return int(value)
    errors["production_id"] = "a production's id"
    return None


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = "a day as YYYY-MM-DD"
        return None


def _shown(values: dict[str, Any] | None) -> str:
    """A change's values as text (shown escaped, as everything a person typed)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""
