"""The sandbox web app: every platform module mounted at ``/<name>``, faults, and a control API.

Control routes live under ``/_sandbox`` (no platform uses that prefix): the records received,
arming faults, revoking tokens, resetting. ``/`` is a page listing what "went out", newest
first, for a person rehearsing a campaign.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import platforms
from sandbox.common import PlatformAnswer
from sandbox.faults import FaultBook, FaultSpec
from sandbox.store import Store

FaultShape = Callable[[FaultSpec, Scope], Response | None]


class ConnectionDropped(Exception):
    """Raised after a response has started, which makes the server close the connection."""


class FaultMiddleware:
    """Meets each platform request with the next armed fault for it, if any."""

    def __init__(self, app: ASGIApp, *, faults: FaultBook, shapes: dict[str, FaultShape | None]):
        self.app, self.faults, self.shapes = app, faults, shapes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        platform = scope["path"].split("/")[1] if scope["type"] == "http" else ""
        spec = (
            self.faults.take(platform, scope["method"], scope["path"])
            if platform in self.shapes
            else None
        )
        if spec is None:
            await self.app(scope, receive, send)
        elif spec.kind == "slow":
            await self._slow(spec.delay, scope, receive, send)
        elif spec.kind == "drop_after_create":
            await self._drop_after(scope, receive, send)
        else:
            shape = self.shapes[platform]
            response = (shape(spec, scope) if shape else None) or default_fault_response(spec)
            await response(scope, receive, send)

    async def _slow(self, delay: float, scope: Scope, receive: Receive, send: Send) -> None:
        """Do the work at once, answer late: a client that gave up never hears it was done."""
        answer: list[Message] = []

        async def hold(message: Message) -> None:
            answer.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(delay)
        for message in answer:
            await send(message)

    async def _drop_after(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the platform do the work, then hang up before the client learns the answer."""

        async def swallow(_message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        raise ConnectionDropped("sandbox fault: the post was created and the connection dropped")


def default_fault_response(spec: FaultSpec) -> Response:
    """How a fault looks on a platform that does not say otherwise."""
    if spec.kind == "rate_limit":
        wait = str(max(0, round(spec.retry_after)))
        return JSONResponse({"error": "rate limit exceeded"}, 429, headers={"Retry-After": wait})
    if spec.kind == "unauthorized":
        return JSONResponse({"error": "the access token was revoked"}, 401)
    return JSONResponse({"error": f"sandbox fault: HTTP {spec.status}"}, spec.status)


class Revoke(BaseModel):
    token: str


def create_app(*, keep: Path | None = None) -> FastAPI:
    """A sandbox with every platform module mounted; ``keep`` also writes posts to a file."""
    app = FastAPI(title="Callsheet platform sandbox", docs_url="/_sandbox/docs", openapi_url=None)
    store, faults = Store(keep), FaultBook()
    app.state.store, app.state.faults = store, faults
    shapes: dict[str, FaultShape | None] = {}
    for module in platforms.modules():
        app.include_router(module.router, prefix=f"/{module.NAME}")
        shapes[module.NAME] = getattr(module, "fault_response", None)
    app.add_middleware(FaultMiddleware, faults=faults, shapes=shapes)

    @app.exception_handler(PlatformAnswer)
    async def _platform_answer(_request: Request, exc: PlatformAnswer) -> Response:
        return exc.response()

    @app.get("/_sandbox/health")
    def health() -> dict[str, Any]:
        return {"platforms": sorted(shapes)}

    @app.get("/_sandbox/records")
    def records(
        platform: str | None = None, kind: str | None = "post", account: str | None = None
    ) -> list[dict[str, Any]]:
        return [r.as_json() for r in store.records(platform, kind=kind or None, account=account)]

    @app.post("/_sandbox/faults", status_code=201)
    def arm(spec: FaultSpec) -> dict[str, Any]:
        if spec.platform not in shapes:
            raise PlatformAnswer(422, {"error": f"platform: no sandbox for {spec.platform!r}"})
        faults.arm(spec)
        return spec.model_dump()

    @app.get("/_sandbox/faults")
    def pending() -> list[dict[str, Any]]:
        return [spec.model_dump() for spec in faults.pending()]

    @app.post("/_sandbox/revoke", status_code=204)
    def revoke(body: Revoke) -> None:
        store.revoke(body.token)

    @app.post("/_sandbox/reset", status_code=204)
    def reset() -> None:
        store.reset()
        faults.clear()

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return _page(store)

    @app.exception_handler(404)
    async def _unknown_path(request: Request, _exc: Exception) -> JSONResponse:
        """A path no platform serves (most often an account pointed at the bare sandbox URL):
        say which paths are served, rather than a bare "Not Found"."""
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                "error": f"the sandbox serves no {request.method} {request.url.path}",
                "hint": "point an account at its platform's path: base_url "
                f"{base}/<platform> (`callsheet sandbox` prints every platform's settings)",
                "platforms": {name: f"{base}/{name}" for name in sorted(shapes)},
                "control": f"{base}/_sandbox",
            },
            status_code=404,
        )

    return app


def _page(store: Store) -> str:
    """What went out, newest first; every value escaped (post text is user input)."""
    rows = []
    for record in reversed(store.records(kind="post")):
        text = record.body.get("text") or record.body.get("status") or record.body
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(value))}</td>"
                for value in (
                    record.created_at.strftime("%H:%M:%S"),
                    record.platform,
                    record.account,
                    record.id,
                    text,
                )
            )
            + "</tr>"
        )
    body = "".join(rows) or '<tr><td colspan="5">Nothing has gone out yet.</td></tr>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Callsheet sandbox</title>"
        "<meta http-equiv='refresh' content='5'></head><body><h1>What went out</h1>"
        "<table><thead><tr><th>at (UTC)</th><th>platform</th><th>account</th><th>id</th>"
        f"<th>post</th></tr></thead><tbody>{body}</tbody></table></body></html>"
    )
