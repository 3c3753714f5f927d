"""What the imitated Graph API platforms (Facebook, Instagram, Threads) share.

Not a platform itself (the leading underscore keeps it out of ``sandbox.platforms.modules()``). The
Graph API takes parameters in the query string or a form body alike, answers errors as
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` (mostly HTTP 400,
whatever the cause), accepts the token as ``access_token`` or in ``Authorization``, answers only
the ``fields`` asked for, pages edges with ``paging.next``, and writes times as
``2026-10-01T12:00:00+0000``. Facebook and Instagram extend tokens at the same endpoint;
Instagram and Threads publish through media containers, found, polled and grouped in carousels
alike.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from sandbox.common import PlatformAnswer, base_url, store_of
from sandbox.faults import FaultSpec
from sandbox.store import Record, Store

#: Meta's long-lived tokens: about 60 days.
LONG_LIVED_SECONDS = 60 * 24 * 3600
#: The states of a media container (Instagram's and Threads' step before publishing), and a
#: pattern for a sandbox control that sets one.
CONTAINER_STATUSES = ("IN_PROGRESS", "FINISHED", "ERROR", "EXPIRED", "PUBLISHED")
CONTAINER_STATUS_PATTERN = "^(" + "|".join(CONTAINER_STATUSES) + ")$"

FaultShape = Callable[[FaultSpec, Any], Response | None]


def trace_id() -> str:
    return secrets.token_urlsafe(8)


def graph_error(
    status: int,
    message: str,
    *,
    code: int,
    subcode: int | None = None,
    kind: str = "OAuthException",
    transient: bool | None = None,
    headers: dict[str, str] | None = None,
) -> PlatformAnswer:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    error["fbtrace_id"] = trace_id()
    return PlatformAnswer(status, {"error": error}, headers)


def invalid_parameter(message: str, *, subcode: int | None = None) -> PlatformAnswer:
    """Meta's usual refusal of a request: code 100, "Invalid parameter"."""
    return graph_error(400, message, code=100, subcode=subcode)


async def graph_params(request: Request) -> dict[str, str]:
    """Query string, then a form or JSON body, as one mapping (later wins, as on Graph)."""
    params = dict(request.query_params)
    raw = await request.body()
    if not raw:
        return params
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        try:
            body = json.loads(raw)
        except ValueError:
            raise invalid_parameter("The request body is not valid JSON") from None
        if isinstance(body, dict):
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
    else:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def graph_token(request: Request, params: dict[str, str]) -> str:
    """The caller's token; a missing or revoked one is code 190, as Meta answers it."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() in ("bearer", "oauth") else ""
    token = token or params.get("access_token", "")
    if not token:
        raise graph_error(
            400, "An active access token must be used to query information.", code=2500
        )
    if store_of(request).is_revoked(token):
        raise graph_error(
            400,
            "Error validating access token: The session has been invalidated because the user "
            "changed their password or Facebook has changed the session for security reasons.",
            code=190,
            subcode=460,
        )
    return token


async def authorized_params(request: Request) -> dict[str, str]:
    """A Graph request's parameters once its token is found good, as every edge but the token
    endpoints reads them (a missing or revoked token is refused first)."""
    params = await graph_params(request)
    graph_token(request, params)
    return params


def required(params: dict[str, str], name: str) -> str:
    """A parameter the request may not leave out or empty (code 100 if it does)."""
    value = params.get(name, "")
    if not value:
        raise invalid_parameter(f"The parameter {name} is required")
    return value


def only_fields(rendered: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """What the caller asked for with ``fields`` (``id`` always, and only ``id`` by default)."""
    fields = params.get("fields", "id").split(",")
    return {k: v for k, v in rendered.items() if k in fields or k == "id"}


def unknown_object(
    object_id: str, *, lead: str = "Unsupported get request. ", end: str = "."
) -> PlatformAnswer:
    """Code 100 subcode 33: no such object, or not one this token may see. The products word it
    alike but for the start and end (Facebook's ``lead`` is the default; Threads has none)."""
    return invalid_parameter(
        f"{lead}Object with ID '{object_id}' does not exist, cannot be loaded due to missing "
        f"permissions, or does not support this operation{end}",
        subcode=33,
    )


def find_container(
    store: Store,
    platform: str,
    container_id: str,
    *,
    owner: str | None = None,
    lead: str,
    end: str,
) -> Record:
    """A media container (Instagram's and Threads' step before publishing), the ``owner``'s if
    one is given, or the platform's :func:`unknown_object` answer."""
    container = store.get(platform, container_id, kind="container")
    if container is None or (owner is not None and container.account != owner):
        raise unknown_object(container_id, lead=lead, end=end)
    return container


def carousel_ids(raw: str, *, least: int, most: int) -> list[str]:
    """A carousel's ``children`` (comma-separated container ids), as many as the platform takes;
    each platform then checks the children its own way."""
    ids = [c.strip() for c in raw.split(",") if c.strip()]
    if not least <= len(ids) <= most:
        raise invalid_parameter(f"A carousel takes {least} to {most} children; {len(ids)} given")
    return ids


def token_place(request: Request) -> str:
    """Where the caller put its token: ``header`` (Authorization) or ``param`` (in the URL)."""
    return "header" if request.headers.get("authorization") else "param"


def as_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.lower() not in ("false", "0", "no")


def graph_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def since_of(params: dict[str, str]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(params["since"]), UTC)
    except (KeyError, ValueError, OverflowError):
        return None


def listing(
    request: Request,
    params: dict[str, str],
    records: Sequence[Record],
    render: Callable[[Record], dict[str, Any]],
) -> dict[str, Any]:
    """An edge: newest first, ``since`` and ``limit`` honoured, an ``after`` cursor to page on."""
    since = since_of(params)
    chosen = [r for r in reversed(records) if since is None or r.created_at >= since]
    try:
        limit = max(1, min(100, int(params.get("limit", "25"))))
        start = int(params.get("after", "0"))
    except ValueError:
        raise invalid_parameter("limit and after must be numbers") from None
    page = chosen[start : start + limit]
    data = [only_fields(render(r), params) for r in page]
    answer: dict[str, Any] = {"data": data}
    if start + limit < len(chosen):
        following = {k: v for k, v in params.items() if k != "access_token"}
        following["after"] = str(start + limit)
        answer["paging"] = {
            "cursors": {"before": str(start), "after": str(start + limit)},
            "next": f"{base_url(request)}{request.url.path}?{urlencode(following)}",
        }
    return answer


async def fb_exchange_token(request: Request, platform: str) -> dict[str, Any]:
    """``/oauth/access_token`` with ``grant_type=fb_exchange_token``, as Facebook and Instagram
    (with Facebook Login) both answer it: the app's credentials and a still-valid token to
    extend, in the query string (``GET``) or a form body (``POST``), as the Graph API takes."""
    params = await graph_params(request)
    if params.get("grant_type") != "fb_exchange_token":
        raise invalid_parameter("Unsupported grant_type")
    if not params.get("client_id") or not params.get("client_secret"):
        raise invalid_parameter("Missing client_id or client_secret")
    return exchange(
        store_of(request),
        platform,
        revoked_message="Error validating access token: Session has expired.",
        token=params.get("fb_exchange_token"),
    )


def exchange(
    store: Store, platform: str, *, revoked_message: str, token: str | None
) -> dict[str, Any]:
    """A new long-lived token for a still-valid one (both token endpoints answer this shape)."""
    if not token:
        raise invalid_parameter("Missing token to exchange")
    if store.is_revoked(token):
        raise graph_error(400, revoked_message, code=190, subcode=460)
    return {
        "access_token": store.issue_token(platform),
        "token_type": "bearer",
        "expires_in": LONG_LIVED_SECONDS,
    }


def throttle_shape(*, code: int, message: str, usage_type: str | None) -> FaultShape:
    """Faults as Meta answers them: a code in an HTTP 400, and how long, when Meta says it."""

    def shape(spec: FaultSpec, scope: Any) -> Response | None:
        if spec.kind == "rate_limit":
            headers = {}
            if usage_type is not None:
                owner = scope["path"].strip("/").split("/")[1:2] or ["0"]
                usage = {
                    owner[0]: [
                        {
                            "type": usage_type,
                            "call_count": 100,
                            "total_cputime": 12,
                            "total_time": 20,
                            "estimated_time_to_regain_access": math.ceil(spec.retry_after / 60),
                        }
                    ]
                }
                headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            return graph_error(400, message, code=code, headers=headers).response()
        if spec.kind == "unauthorized":
            return graph_error(
                400,
                "Error validating access token: Session has expired.",
                code=190,
                subcode=463,
            ).response()
        if spec.kind == "server_error":
            body = {
                "error": {
                    "message": "An unexpected error has occurred. Please retry your request later.",
                    "type": "OAuthException",
                    "is_transient": True,
                    "code": 2,
                    "fbtrace_id": trace_id(),
                }
            }
            return JSONResponse(body, spec.status)
        return None

    return shape


def poll_container(container: Record, key: str) -> str:
    """A container's status as a status poll sees it: one still processing turns ``FINISHED``
    once it has been asked about ``polls_left`` times (Instagram and Threads alike)."""
    if container.state[key] == "IN_PROGRESS":
        if container.state["polls_left"] > 0:
            container.state["polls_left"] -= 1
        else:
            container.state[key] = "FINISHED"
    status: str = container.state[key]
    return status
