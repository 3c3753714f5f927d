"""Ids no table can hold are answered 422 (naming the field) or 404, never 500.

SQLite's INTEGER is 64 bits: binding a larger Python int raised ``OverflowError`` inside the
route, a 500. Every operation of the OpenAPI document is tried with such an id in each path
parameter, and the operations that take ids in a query or a body with such ids there.
"""

from __future__ import annotations

import re

import httpx
import pytest

from scheduler.api import create_app

HUGE = 99999999999999999999999
PARAM = re.compile(r"\{(\w+)\}")
ROUTES = sorted(
    (method.upper(), path)
    for path, operations in create_app().openapi()["paths"].items()
    if PARAM.search(path)
    for method in operations
)


def test_every_route_refuses_an_id_beyond_64_bits_without_a_server_error(
    client: httpx.Client,
) -> None:
    answers: dict[tuple[str, str], int | str] = {}
    for method, path in ROUTES:
        try:
            answer = client.request(method, PARAM.sub(str(HUGE), path), json={})
            answers[method, path] = answer.status_code
        except httpx.TransportError as exc:  # the server dropped the connection
            answers[method, path] = type(exc).__name__
    assert len(answers) > 20
    errors = {
        route: got for route, got in answers.items() if not isinstance(got, int) or got >= 500
    }
    assert errors == {}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/posts?production_id={HUGE}", None),
        ("GET", f"/deliveries?production_id={HUGE}", None),
        ("GET", f"/audit?production_id={HUGE}&entity_id={HUGE}", None),
        (
            "POST",
            "/posts",
            {"production_id": HUGE, "pillar": "bts", "body": "Hi", "account_ids": [HUGE]},
        ),
    ],
)
def test_ids_beyond_64_bits_in_queries_and_bodies_are_a_422_naming_the_field(
    client: httpx.Client, method: str, path: str, body: object
) -> None:
    answer = client.request(method, path, json=body)
    assert answer.status_code == 422, answer.text
    assert "id" in answer.text
