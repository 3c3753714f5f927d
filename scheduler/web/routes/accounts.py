"""Platform accounts on a page: each with its health (connected, or why it needs reconnecting;
when it last published), a form to reconnect it, and a form to connect a new one for a
production — both generated from the platform's own settings (``GET /platforms/{name}``).

Secrets are write-only: their inputs are password fields, never filled in, and nothing typed
into one is ever sent back in a page, not even with a refusal. Connecting calls
``create_account`` as ``POST /accounts`` does, for the production in the path (its admins', as
``POST /accounts`` with that one production); reconnecting calls ``reconnect_account`` as
``PUT /accounts/{id}/credentials`` does, under the same rule (an admin of every production the
account serves; an account of none, a site admin's).

How soon a rate-limited account may post again lives in the scheduler's memory
(``scheduler.queue.throttle``), not in the database, so this page cannot show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from platforms.adapters.describe import PlatformInfo, describe_platform
from platforms.adapters.registry import UnknownPlatform, platform_names
from scheduler.accounts import connections as service
from scheduler.accounts import productions as served
from scheduler.accounts.schemas import AccountCreate, AccountReconnect
from scheduler.core.errors import Conflict, Invalid, NotFound
from scheduler.core.models import Account, Delivery, Production, Role
from scheduler.core.schemas import MAX_ID, Id
from scheduler.http.access import Access, AccessDep
from scheduler.http.deps import SessionDep
from scheduler.web.forms import FormDep
from scheduler.web.pages import PREFIX, page

router = APIRouter(prefix=PREFIX)

#: The prefix of a setting's form field: ``settings.app_password``.
SETTING = "settings."


@dataclass(frozen=True)
class Row:
    """An account as the page lists it."""

    account: Account
    productions: list[str]
    last_published: datetime | None
    may_reconnect: bool
    platform: PlatformInfo | None


@dataclass(frozen=True)
class Connecting:
    """The connect form being shown: for which production and platform, what was typed
    (never a secret), and what was wrong with it."""

    production: Production
    platform: PlatformInfo
    values: dict[str, str]
    errors: dict[str, str]


@router.get("/accounts")
def accounts_page(
    request: Request,
    access: AccessDep,
    session: SessionDep,
    platform: str = "",
    production_id: str = "",
) -> Response:
    """The accounts of this person's productions; with ``platform`` and ``production_id``,
    the form to connect one (when they are an admin of that production)."""
    connecting = None
    digits = production_id.isascii() and production_id.isdigit()
    chosen = int(production_id) if digits and 1 <= int(production_id) <= MAX_ID else 0
    production = session.get(Production, chosen) if chosen else None
    info = _platform(platform)
    if production and info and access.allows(production.id or 0, Role.admin):
        connecting = Connecting(production, info, {}, {})
    return _page(request, access, session, connecting=connecting)


@router.post("/productions/{production_id}/accounts")
def connect(
    production_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """Connect an account for this production (``POST /accounts`` naming it alone)."""
    production = session.get(Production, production_id)
    if production is None:
        raise NotFound("production", production_id)
    info = _platform(str(form.get("platform", "")))
    if info is None:
        return _page(request, access, session, status_code=422, problem="choose a platform")
    typed = {
        "handle": str(form.get("handle", "")).strip(),
        "audience_timezone": str(form.get("audience_timezone", "")).strip(),
    }
    fields = {f"{SETTING}{s.name}": str(form.get(f"{SETTING}{s.name}", "")) for s in info.settings}
    # What was typed goes back into the form, but never a secret.
    shown = {**typed, **{k: v for k, v in fields.items() if not _secret(info, k)}}
    errors: dict[str, str] = {}
    try:
        data = AccountCreate.model_validate(
            {
                "platform": info.name,
                "handle": typed["handle"],
                "production_ids": [production_id],
                "settings": _settings(info, form),
                "audience_timezone": typed["audience_timezone"] or None,
            }
        )
        service.create_account(session=session, data=data, actor=access.actor)
    except ValidationError as refused:
        errors = {".".join(str(p) for p in e["loc"]): e["msg"] for e in refused.errors()}
    except Invalid as refused:
        errors = {refused.field: refused.message}
    except Conflict as clash:
        field, _, message = clash.message.partition(": ")
        errors = {field: message} if message else {"handle": clash.message}
    if errors:
        session.rollback()
        connecting = Connecting(production, info, shown, errors)
        return _page(request, access, session, status_code=422, connecting=connecting)
    session.commit()
    return RedirectResponse(f"{PREFIX}/accounts", status_code=303)


@router.post("/accounts/{account_id}/credentials")
def reconnect(
    account_id: Id, request: Request, form: FormDep, access: AccessDep, session: SessionDep
) -> Response:
    """New credentials (``PUT /accounts/{id}/credentials``): the settings filled in replace
    the stored ones, the rest are kept; the posts held for the account go again."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account", account_id)
    info = _platform(account.platform)
    errors: dict[str, str] = {}
    try:
        settings = _settings(info, form) if info else {}
        data = AccountReconnect.model_validate({"settings": settings})
        service.reconnect_account(
            session=session, account_id=account_id, data=data, actor=access.actor
        )
    except ValidationError:
        errors = {"settings": "fill in at least one setting"}
    except Invalid as refused:
        errors = {refused.field: refused.message}
    if errors:
        session.rollback()
        return _page(request, access, session, status_code=422, errors={account_id: errors})
    session.commit()
    return RedirectResponse(f"{PREFIX}/accounts", status_code=303)


def _platform(name: str) -> PlatformInfo | None:
    """The platform as ``GET /platforms/{name}`` describes it, from the same description of
    its adapter's settings (``None``: no such platform). Defaults are not shown: a secret's
    never is, and an empty field already means the adapter's default."""
    if not name:
        return None
    try:
        return describe_platform(name)
    except UnknownPlatform:
        return None


def _secret(info: PlatformInfo, field: str) -> bool:
    return any(s.secret and f"{SETTING}{s.name}" == field for s in info.settings)


def _settings(info: PlatformInfo, form: FormData) -> dict[str, Any]:
    """The settings filled in, as the adapter reads them: a field left empty is left out (on
    reconnecting, the stored value stays); a list is typed with commas between its items."""
    settings: dict[str, Any] = {}
    for setting in info.settings:
        value = str(form.get(f"{SETTING}{setting.name}", "")).strip()
        if not value:
            continue
        if setting.type.startswith("list"):
            settings[setting.name] = [item.strip() for item in value.split(",") if item.strip()]
        else:
            settings[setting.name] = value
    return settings


def _page(
    request: Request,
    access: Access,
    session: Session,
    *,
    status_code: int = 200,
    connecting: Connecting | None = None,
    errors: dict[int, dict[str, str]] | None = None,
    problem: str | None = None,
) -> Response:
    """Four queries, whatever the number of accounts: the accounts, the productions each
    serves, when each last published, and this person's productions."""
    accounts = served.list_accounts(session=session, visible=access.visible())
    ids = [a.id or 0 for a in accounts]
    serving = served.served_by(session, ids)
    last = dict(
        session.exec(
            select(Delivery.account_id, func.max(Delivery.published_at))
            .where(col(Delivery.account_id).in_(ids))
            .group_by(col(Delivery.account_id))
        ).all()
    )
    visible = access.visible()
    query = select(Production).order_by(col(Production.title))
    if visible is not None:
        query = query.where(col(Production.id).in_(visible))
    productions = list(session.exec(query))
    titles = {p.id: p.title for p in productions}
    described = {name: _platform(name) for name in {a.platform for a in accounts}}
    rows = [
        Row(
            account=a,
            productions=[titles[p] for p in serving[a.id or 0] if p in titles],
            last_published=last.get(a.id or 0),
            may_reconnect=_may_manage(access, serving[a.id or 0]),
            platform=described[a.platform],
        )
        for a in accounts
    ]
    return page(
        request,
        "accounts.html",
        session=session,
        access=access,
        status_code=status_code,
        rows=rows,
        errors=errors or {},
        connecting=connecting,
        problem=problem,
        platforms=platform_names(),
        administered=[p for p in productions if access.allows(p.id or 0, Role.admin)],
        setting_prefix=SETTING,
    )


def _may_manage(access: Access, production_ids: list[int]) -> bool:
    """Whether the reconnect form is offered: the policy's rule for the account (the route
    applies it again; this only spares a person a form that would be refused)."""
    if not production_ids:
        return access.site_admin
    return all(access.allows(p, Role.admin) for p in production_ids)
