"""A refusal on a page is a page: signing in when no one is, a 403 page that says which role
is needed, a 404 page, and the one sentence the API would give, in the page's own words.

The API's handlers (``scheduler.http.problems``) answer problem documents; ``install`` puts a
handler in front of each that answers a page instead when the request was for a page, and
hands everything else on to the API's handler unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from scheduler.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from scheduler.people.members import NotSignedIn
from scheduler.web.pages import PREFIX, page

Handler = Callable[[Request, Exception], Awaitable[Response]]
#: A handler as Starlette keeps them (FastAPI's are all ``async``).
Kept = Callable[[Request, Any], Response | Awaitable[Response]]

#: What each refusal is called on a page, and its status.
REFUSALS: dict[type[Exception], int] = {
    Invalid: 422,
    RequestValidationError: 422,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    HTTPException: 0,  # the framework's own: its status
    Exception: 500,
}


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path == PREFIX or path.startswith(f"{PREFIX}/")


def install(app: FastAPI) -> None:
    """Answer refusals of page requests as pages (call after the API's handlers are in)."""
    for kind in (*REFUSALS, NotSignedIn):
        app.add_exception_handler(kind, _for_pages(app.exception_handlers[kind], kind))


def _for_pages(api: Kept, kind: type[Exception]) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if not is_page(request):
            answer = api(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        if kind is NotSignedIn:
            back = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            return RedirectResponse(f"{PREFIX}/sign-in?next={back}", status_code=303)
        return refusal_page(request, exc, kind)

    return handle


def refusal_page(request: Request, exc: Exception, kind: type[Exception]) -> Response:
    status = REFUSALS[kind] or getattr(exc, "status_code", 500)
    if kind is Exception:
        message = "Something went wrong on our side; nothing was changed. Try again shortly."
    elif isinstance(exc, HTTPException) and not isinstance(exc.detail, str):
        message = HTTPStatus(status).phrase
    elif isinstance(exc, HTTPException):
        message = exc.detail
    elif isinstance(exc, RequestValidationError):
        message = "Some of what was sent is not valid: " + "; ".join(
            str(error["msg"]) for error in exc.errors()[:3]
        )
    else:
        message = str(getattr(exc, "message", exc))
    return page(
        request,
        "refused.html",
        status_code=status,
        title=HTTPStatus(status).phrase,
        status=status,
        message=message,
    )
