"""Every refusal the API gives has one shape: a problem document (RFC 9457).

```
{"title": "Unprocessable Content", "status": 422,
 "detail": "anchor.offset: use an ISO 8601 duration such as -P14D",
 "errors": [{"field": "anchor.offset", "loc": ["body", "anchor", "offset"],
             "msg": "use an ISO 8601 duration such as -P14D", "type": "value_error"}]}
```

``detail`` is always one sentence a person can read (a page shows it as it is); ``errors`` is
always a list, one entry per field at fault (empty when no field is: a 403, a 409), so a form
can put each message beside its field. Before, a 422's ``detail`` was that list and every
other refusal's ``detail`` a string, so a client had to know which it would get. Answers are
``application/problem+json``; a refused value is never repeated back (pydantic's ``input`` and
``ctx`` are left out: a password too long, a token pasted in the wrong field).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from scheduler.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from scheduler.people.members import NotSignedIn

MEDIA_TYPE = "application/problem+json"
#: Fields a 422's ``detail`` names before "and N more".
NAMED_IN_DETAIL = 3


class FieldError(BaseModel):
    field: str
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every 4xx and 5xx answer."""

    title: str
    status: int
    detail: str
    errors: list[FieldError]


def problem(
    status: int,
    detail: str,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=HTTPStatus(status).phrase, status=status, detail=detail, errors=list(errors)
    )
    return JSONResponse(
        body.model_dump(), status_code=status, headers=headers, media_type=MEDIA_TYPE
    )


def field_error(loc: Iterable[str | int], msg: str, kind: str = "value_error") -> FieldError:
    """One field's refusal; ``field`` is its location without where it came from (body,
    query, path), dotted: ``anchor.offset``, ``account_ids.0``."""
    where = list(loc)
    named = where[1:] if where and where[0] in ("body", "query", "path", "header") else where
    return FieldError(
        field=".".join(str(part) for part in named) or str(where[0] if where else ""),
        loc=where,
        msg=msg,
        type=kind,
    )


def refused(errors: Sequence[FieldError]) -> JSONResponse:
    """A 422 for these fields, its ``detail`` naming the first few."""
    named = [f"{e.field}: {e.msg}" if e.field else e.msg for e in errors[:NAMED_IN_DETAIL]]
    more = len(errors) - NAMED_IN_DETAIL
    detail = "; ".join(named) + (f" (and {more} more)" if more > 0 else "")
    return problem(422, detail or "the request was refused", errors)


def install(app: FastAPI) -> None:
    """Answer every refusal, the framework's own included, as a problem document."""

    @app.exception_handler(RequestValidationError)
    async def refused_input(_: Request, exc: RequestValidationError) -> JSONResponse:
        return refused(
            [field_error(error["loc"], error["msg"], error["type"]) for error in exc.errors()]
        )

    @app.exception_handler(Invalid)
    async def invalid(_: Request, exc: Invalid) -> JSONResponse:
        return refused([field_error(["body", *exc.field.split(".")], exc.message)])

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(_: Request, exc: NotSignedIn) -> JSONResponse:
        return problem(401, exc.message, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, exc.message)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, exc.message)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return problem(409, exc.message)

    @app.exception_handler(TooManyAttempts)
    async def too_many(_: Request, exc: TooManyAttempts) -> JSONResponse:
        return problem(429, exc.message, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(HTTPException)
    async def framework(_: Request, exc: HTTPException) -> JSONResponse:
        """The framework's own refusals: no such route (404), method (405), and the like."""
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def crashed(_: Request, _exc: Exception) -> JSONResponse:
        """A bug: logged by the server with its traceback, answered without one."""
        return problem(500, "Callsheet failed to answer this request; the error is logged")


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with FastAPI's 422 body (``HTTPValidationError``) replaced by the
    problem document every refusal really is, so clients and fuzzers read the true shape."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem_schema.pop("$defs", {}).items():
        components[name] = definition
    components["HTTPValidationError"] = problem_schema
    components.pop("ValidationError", None)
    return schema
