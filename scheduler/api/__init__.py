"""The HTTP API (FastAPI): thin routes over the service functions, and the app that serves
it with the pages (``scheduler.web``) behind one door (``scheduler.http``).

Routes and the dependencies that touch the database are plain ``def`` functions, which FastAPI
runs in its thread pool; the event loop only moves bytes. Two app-wide dependencies run before
every route, in this order: ``reads_by_method`` (a GET's transaction only reads, so on SQLite it
never takes the write lock) and ``authorize`` (the access policy).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from scheduler import web
from scheduler.api.routes import (
    accounts,
    audit,
    calendar,
    deliveries,
    media,
    notifications,
    pauses,
    people,
    platforms,
    posts,
    productions,
    review,
    subscriptions,
    talent,
)
from scheduler.core.clock import Clock
from scheduler.core.config import get_settings
from scheduler.http import problems
from scheduler.http.access import authorize, check_policy_covers
from scheduler.http.deps import SessionDep, reads_by_method
from scheduler.http.headers import SecurityHeaders
from scheduler.ops.health import readiness, ready
from scheduler.ops.metrics import exposition
from scheduler.people.sign_in import SignInGuard
from scheduler.review.links import hide_link_tokens

log = logging.getLogger(__name__)


@asynccontextmanager
async def _threads(_: FastAPI) -> AsyncIterator[None]:
    """Size the thread pool (AnyIO's, per event loop) to ``api_threads`` when the app starts.

    The database pool has a connection for each of those threads (``pool_capacity``), so a
    request that got a thread never waits for a connection; the rest wait for a thread, in line.
    """
    to_thread.current_default_thread_limiter().total_tokens = get_settings().api_threads
    yield


def create_app() -> FastAPI:
    """The API application: every router, access checked on every route, domain errors."""
    settings = get_settings()
    settings.refuse_unsafe()
    warning = settings.development_key_warning()
    if warning:
        log.warning(warning)
    hide_link_tokens()  # a talent's sign-off link is a credential: keep it out of access logs
    app = FastAPI(
        title="Callsheet",
        version="0.1.0",
        description="Behind-the-scenes posts anchored to production milestones.",
        dependencies=[Depends(reads_by_method), Depends(authorize)],
        lifespan=_threads,
    )
    # One per app: its counts are shared through Redis in production, per process otherwise.
    app.state.sign_in_guard = SignInGuard.for_settings(settings)
    app.add_middleware(
        SecurityHeaders, https=settings.environment == "production", pages=web.PREFIX
    )
    for module in (
        people,
        productions,
        review,
        accounts,
        posts,
        deliveries,
        pauses,
        calendar,
        subscriptions,
        talent,
        media,
    ):
        app.include_router(module.router)
    app.include_router(pauses.blackouts_router)
    for module in (audit, notifications, platforms):
        app.include_router(module.router)

    problems.install(app)
    _document_problems(app)
    web.install(app)  # the pages, and refusals of pages answered as pages

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """The process lives and answers (liveness: restart it when this fails)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], responses={503: {"description": "Not ready"}})
    def readyz(session: SessionDep) -> JSONResponse:
        """The database answers at the newest schema and the broker answers (readiness: send
        it no traffic while this fails). 503 names what is not ready."""
        checks = readiness(session.get_bind().engine, get_settings().broker_url)
        body = {
            "status": "ready" if ready(checks) else "not ready",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        }
        return JSONResponse(body, status_code=200 if ready(checks) else 503)

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse)
    def metrics(request: Request, session: SessionDep) -> PlainTextResponse:
        """Prometheus metrics: this API's counts and the queue as the database has it now."""
        token = settings.metrics_token
        if token is not None:
            sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(sent.encode(), token.get_secret_value().encode()):
                return PlainTextResponse("a metrics token is required\n", status_code=401)
        body = exposition(
            session.get_bind().engine,
            Clock.from_settings(settings).now,
            queue_name=settings.queue_name,
        )
        return PlainTextResponse(body, media_type=CONTENT_TYPE_LATEST)

    check_policy_covers(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document states the problem document as every refusal's body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.document(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
