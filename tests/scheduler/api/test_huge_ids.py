"""Ids no table can hold are answered 422 (naming the field) or 404, never 500.

SQLite's INTEGER is 64 bits: binding a larger Python int raised ``OverflowError`` inside the
route, a 500. PostgreSQL's id columns are INTEGER, 32 bits: 2^31 was refused there by the
database ("integer out of range"), also a 500. Every operation of the OpenAPI document is tried
with such ids in each path parameter, and the operations that take ids in a query or a body
with such ids there.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from scheduler.api import create_app

HUGE = 99999999999999999999999
#: One past the largest id PostgreSQL's INTEGER columns hold.
BEYOND_32_BITS = 2**31
PARAM = re.compile(r"\{(\w+)\}")
ROUTES = sorted(
    (method.upper(), path)
    for path, operations in create_app().openapi()["paths"].items()
    if PARAM.search(path)
    for method in operations
)


@pytest.mark.parametrize("huge", [BEYOND_32_BITS, HUGE])
def test_every_route_refuses_an_id_no_table_holds_without_a_server_error(
    client: httpx.Client, huge: int
) -> None:
    answers: dict[tuple[str, str], int | str] = {}
    for method, path in ROUTES:
        try:
            answer = client.request(method, PARAM.sub(str(huge), path), json={})
            answers[method, path] = answer.status_code
        except httpx.TransportError as exc:  # the server dropped the connection
            answers[method, path] = type(exc).__name__
    assert len(answers) > 20
    errors = {
        route: got for route, got in answers.items() if not isinstance(got, int) or got >= 500
    }
    assert errors == {}


def new_post(huge: int) -> dict[str, object]:
    return {"production_id": huge, "pillar": "bts", "body": "Hi", "account_ids": [huge]}


@pytest.mark.parametrize("huge", [BEYOND_32_BITS, HUGE])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/posts?production_id={huge}", None),
        ("GET", "/deliveries?production_id={huge}", None),
        ("GET", "/audit?production_id={huge}&entity_id={huge}", None),
        ("POST", "/posts", new_post),
    ],
)
def test_ids_no_table_holds_in_queries_and_bodies_are_a_422_naming_the_field(
    client: httpx.Client,
    method: str,
    path: str,
    body: Callable[[int], object] | None,
    huge: int,
) -> None:
    answer = client.request(method, path.format(huge=huge), json=body(huge) if body else None)
    assert answer.status_code == 422, answer.text
    assert "id" in answer.text
