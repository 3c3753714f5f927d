"""The form token: every POST a page makes carries it, so another site cannot make a signed-in
person's browser act (cross-site request forgery).

Double-submit: a random token lives in a cookie of its own (``SameSite=Strict``, HttpOnly) and
in every form the pages render (a hidden ``csrf`` field; htmx sends it as ``X-CSRF-Token``
from the body's ``hx-headers``). Another site can make a browser send the cookie, never read
it, so it cannot put the same value in the form. The session cookie's ``SameSite=Lax`` is a
second wall.

Why not asgi-csrf, the library made for this: it reads a whole form body into memory before
the route's limits apply, and a malformed ``multipart`` header makes it fail with an
assertion (a 500), where Callsheet promises a clear refusal. The pages need only this: compare
two values, after FastAPI has parsed the form with its own limits.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from scheduler.core.config import get_settings
from scheduler.core.errors import Forbidden

COOKIE = "callsheet_csrf"
FIELD = "csrf"
HEADER = "x-csrf-token"
#: Where a fresh token waits until the answer sets its cookie.
_FRESH = "callsheet_csrf_fresh"


def token(request: Request) -> str:
    """This browser's token: the cookie's, or a fresh one the answer will set."""
    known = request.cookies.get(COOKIE) or getattr(request.state, _FRESH, None)
    if known:
        return str(known)
    fresh = secrets.token_urlsafe(32)
    setattr(request.state, _FRESH, fresh)
    return fresh


def keep_token(request: Request, response: Response) -> None:
    """Set the cookie when the page handed out a fresh token."""
    fresh = getattr(request.state, _FRESH, None)
    if fresh and request.cookies.get(COOKIE) != fresh:
        response.set_cookie(
            COOKIE,
            fresh,
            httponly=True,
            samesite="strict",
            secure=get_settings().environment == "production",
        )


class FormExpired(Forbidden):
    """A form without the browser's token: sent from elsewhere, or from a page so old its
    token is gone."""


async def checked_form(request: Request) -> FormData:
    """The form, once its token matches the cookie's (403 otherwise, before the route runs).

    A request signed in by an API token (``Authorization: Bearer``) needs none: no other site
    can make a browser send that header, which is why asgi-csrf lets it through as well.
    """
    form = await request.form()
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return form  # signed in by that token, never by the cookie (scheduler.http.access)
    sent = request.headers.get(HEADER) or form.get(FIELD)
    kept = request.cookies.get(COOKIE)
    if not (isinstance(sent, str) and kept and hmac.compare_digest(sent, kept)):
        raise FormExpired(
            "this form was not sent from Callsheet's own page, or the page is too old: "
            "reload the page and send it again"
        )
    return form


FormDep = Annotated[FormData, Depends(checked_form)]

M = TypeVar("M", bound=BaseModel)


def validated(
    model: type[M], form: FormData, *, leave_out: tuple[str, ...] = ()
) -> M | dict[str, str]:
    """The form read as the API's own input schema (the same limits, the same messages), or
    a message per field at fault, to show beside each field. ``leave_out``: the page's own
    fields that are not the schema's (a repeated password)."""
    values = {key: value for key, value in form.items() if key not in (FIELD, *leave_out)}
    return checked(model, values)


def checked(model: type[M], values: dict[str, Any]) -> M | dict[str, str]:
    """``values`` read as the API's input schema, or a message per field at fault (dotted:
    ``anchor.offset``), for a form whose fields the page first shapes as the API's body
    (lists from repeated fields, nested objects)."""
    try:
        return model.model_validate(values)
    except ValidationError as refused:
        return {
            ".".join(str(part) for part in error["loc"]) or "form": error["msg"]
            for error in refused.errors()
        }
