"""Who may call which route: one table (``scheduler.http.policy``), enforced for every route,
page or JSON, in one place.

Every route has exactly one rule: the least role it needs and where the production it
acts on is found (a path parameter, the query string, the body, the post or delivery it
names). ``authorize`` runs before every route (an app-wide dependency): it signs the caller in
(bearer token or web session cookie; 401 otherwise), finds the production, and answers 403
unless the caller's role there is high enough. A site admin may do everything.
Platform accounts may serve several productions, so their rules name several (``MANY_SCOPES``):
the role is needed in each, and an account of no production is a site admin's alone.
``create_app`` refuses to start if a route has no rule, so a new route cannot be left open by
forgetting it.

``authorize`` is a plain ``def``: its queries block, and FastAPI runs plain dependencies in its
thread pool, off the event loop. Only reading the JSON body needs ``await``; ``request_body``
does that, on the loop and without touching the database, for the rules that need it.

Tests walk every route by every role against the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import Session

from scheduler.accounts.productions import productions_served
from scheduler.core.clock import machine_now
from scheduler.core.errors import Forbidden
from scheduler.core.models import Blackout, Delivery, Pause, PauseScope, Person, Post, Role
from scheduler.core.schemas import MAX_ID
from scheduler.http.deps import SessionDep
from scheduler.http.policy import POLICY, Rule, Scope
from scheduler.http.sessions import SESSION_COOKIE
from scheduler.people.members import NotSignedIn, roles_of, signed_in

Row = TypeVar("Row", Post, Delivery, Pause, Blackout)


@dataclass
class Access:
    """The signed-in caller and their roles; routes use it to filter what they list."""

    person: Person | None
    roles: dict[int, Role] = field(default_factory=dict)

    @property
    def site_admin(self) -> bool:
        return self.person is not None and self.person.site_admin

    @property
    def actor(self) -> str:
        return self.person.actor if self.person is not None else "anonymous"

    def visible(self) -> set[int] | None:
        """Productions this caller may read; ``None`` means all (a site admin)."""
        return None if self.site_admin else set(self.roles)

    def allows(self, production_id: int, role: Role) -> bool:
        held = self.roles.get(production_id)
        return self.site_admin or (held is not None and held.rank >= role.rank)

    def require(self, production_id: int | None, role: Role) -> None:
        if self.site_admin:
            return
        if production_id is None:
            raise Forbidden("only a site admin may do this")
        held = self.roles.get(production_id)
        if held is None:
            raise Forbidden(f"you are not a member of production {production_id}")
        if held.rank < role.rank:
            raise Forbidden(
                f"this needs the {role.value} role in production {production_id}; "
                f"you are {held.value}"
            )


def rule_for(request: Request) -> Rule:
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    rule = POLICY.get((request.method, path))
    if rule is None:  # create_app refuses such routes; this is the last line of defence
        raise Forbidden(f"no access rule for {request.method} {path}")
    return rule


#: Rules that find the production in the JSON body (a pause's, only when it names none).
BODY_SCOPES = frozenset({Scope.body, Scope.pause, Scope.blackout, Scope.productions})
#: Rules that may name several productions, each of which must allow the caller.
MANY_SCOPES = frozenset({Scope.productions, Scope.account, Scope.grant})


async def request_body(request: Request) -> dict[str, Any]:
    """The JSON body when the route's rule looks in it; ``{}`` otherwise (not read at all)."""
    if rule_for(request).scope not in BODY_SCOPES:
        return {}
    return await _body(request)


BodyDep = Annotated[dict[str, Any], Depends(request_body)]


def authorize(request: Request, session: SessionDep, body: BodyDep) -> Access:
    """Sign the caller in and apply the route's rule; the result is cached per request."""
    rule = rule_for(request)
    if rule.scope is Scope.public:
        return Access(person=None)
    person = _signed_in(request, session)
    access = Access(person=person, roles=roles_of(session, person.id or 0))
    if rule.scope is Scope.signed_in:
        return access
    if rule.scope is Scope.site:
        access.require(None, Role.admin)
        return access
    assert rule.role is not None
    if rule.scope in MANY_SCOPES:
        for production_id in _productions_of(rule, access, request, session, body):
            access.require(production_id, rule.role)
        return access
    production_id = _production_of(rule.scope, request, session, body)
    access.require(production_id, rule.role)
    return access


AccessDep = Annotated[Access, Depends(authorize)]


async def get_actor(access: AccessDep) -> str:
    """How the audit trail names the caller (``async``: it blocks on nothing, so it needs no
    trip to the thread pool)."""
    return access.actor


ActorDep = Annotated[str, Depends(get_actor)]


def _signed_in(request: Request, session: Session) -> Person:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        person, _token = signed_in(session, secret.strip(), now=machine_now())
        return person
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        person, _token = signed_in(session, cookie, now=machine_now())
        return person
    raise NotSignedIn()


def _production_of(
    scope: Scope, request: Request, session: Session, body: dict[str, Any]
) -> int | None:
    """The production a request acts on (``None``: no one production, site admins only)."""
    params = request.path_params
    if scope is Scope.production:
        return _int(params.get("production_id"))
    if scope is Scope.query:
        return _int(request.query_params.get("production_id"))
    if scope is Scope.post:
        post = _row(session, Post, params.get("post_id"))
        return post.production_id if post else None
    if scope is Scope.delivery:
        delivery = _row(session, Delivery, params.get("delivery_id"))
        post = session.get(Post, delivery.post_id) if delivery else None
        return post.production_id if post else None
    if scope is Scope.pause and "pause_id" in params:
        pause = _row(session, Pause, params.get("pause_id"))
        if pause is None:
            return None
        return pause.production_id if pause.scope == PauseScope.production else None
    if scope is Scope.blackout and "blackout_id" in params:
        blackout = _row(session, Blackout, params.get("blackout_id"))
        return blackout.production_id if blackout else None
    if scope is Scope.pause and body.get("scope") != PauseScope.production:
        return None  # everything, or an account: no one production's people decide that
    return _int(body.get("production_id"))


def _productions_of(
    rule: Rule, access: Access, request: Request, session: Session, body: dict[str, Any]
) -> list[int | None]:
    """Every production whose role the caller needs (``None`` in it: only a site admin)."""
    params = request.path_params
    if rule.scope is Scope.productions:
        named = body.get("production_ids")
        ids = [_int(value) for value in named] if isinstance(named, list) else []
        return ids or [None]
    served: list[int | None] = []
    account_id = _int(params.get("account_id"))
    if account_id is not None:
        served.extend(productions_served(session, account_id))
    if rule.scope is Scope.account:
        return served or [None]
    # Granting: the production in the path, and any one the account serves where the
    # caller's role is enough (else the first, whose refusal names it).
    assert rule.role is not None
    enough = [p for p in served if p is not None and access.allows(p, rule.role)]
    return [_int(params.get("production_id")), (enough or served or [None])[0]]


async def _body(request: Request) -> dict[str, Any]:
    """The JSON body, read once (Starlette keeps it for the route) and never trusted here."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _row(session: Session, model: type[Row], value: Any) -> Row | None:
    """The row a path parameter names, if it is an id and the row is there."""
    row_id = _int(value)
    return None if row_id is None else session.get(model, row_id)


def _int(value: Any) -> int | None:
    """An id from the request, or None when it is none (no row can have it: the route's own
    validation then answers 422 for it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= MAX_ID else None


def check_policy_covers(app: FastAPI) -> None:
    """Refuse an app with a route the policy does not name (or a rule naming no route).

    Every API route counts, whether or not the OpenAPI document shows it (a page is a route
    too). The routes are read from the app itself: building the OpenAPI document for this
    would cost every start-up (and every test's server) a third of a second.
    """
    routes = {
        (method, context.route.path_format)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.route, APIRoute)
        for method in context.route.methods or ()
    }
    missing = sorted(routes - POLICY.keys())
    stale = sorted(POLICY.keys() - routes)
    if missing or stale:
        raise RuntimeError(f"access policy out of step: no rule for {missing}; no route {stale}")
