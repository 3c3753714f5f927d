"""Every refusal has one shape (a problem document, RFC 9457), whatever refused it: the input's
validation, a service, the access policy, the framework itself."""

from __future__ import annotations

import httpx

from tests.conftest import person_with_token


def _is_problem(answer: httpx.Response, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert set(body) == {"title", "status", "detail", "errors"}
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)
    return dict(body)


def test_every_refusal_is_a_problem_document(client: httpx.Client, session: object) -> None:
    """Before, a 422's detail was a list of {loc, msg} and a 403's or 409's a string."""
    invalid = _is_problem(
        client.post("/productions", json={"title": "", "kind": "opera", "timezone": "UTC"}), 422
    )
    fields = [e["field"] for e in invalid["errors"]]  # type: ignore[attr-defined]
    assert fields == ["title", "kind"]
    assert str(invalid["detail"]).startswith("title: ")
    production = client.post(
        "/productions", json={"title": "Dawn", "kind": "film", "timezone": "UTC"}
    ).json()
    service = _is_problem(
        client.patch(f"/productions/{production['id']}", json={"late_policy": None}), 422
    )
    assert service["errors"] == [
        {
            "field": "late_policy",
            "loc": ["body", "late_policy"],
            "msg": "may not be null; leave it out to keep the current value",
            "type": "value_error",
        }
    ]
    _is_problem(httpx.get(f"{client.base_url}/productions"), 401)
    viewer = person_with_token(session, name="Vi", email="vi@studio.test")  # type: ignore[arg-type]
    forbidden = httpx.post(
        f"{client.base_url}/productions",
        json={"title": "Mine", "kind": "film", "timezone": "UTC"},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert _is_problem(forbidden, 403)["errors"] == []
    _is_problem(client.get("/posts/424242"), 404)
    _is_problem(client.get("/no/such/route"), 404)
    _is_problem(client.put("/productions"), 405)
    milestone = {"kind": "wrap", "name": "Wrap", "at": "2027-01-01T00:00:00Z"}
    client.post(f"/productions/{production['id']}/milestones", json=milestone)
    conflict = client.post(f"/productions/{production['id']}/milestones", json=milestone)
    assert "Wrap" in str(_is_problem(conflict, 409)["detail"])


def test_the_openapi_document_states_the_problem_shape(client: httpx.Client) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    refusal = schemas["HTTPValidationError"]
    assert set(refusal["properties"]) == {"title", "status", "detail", "errors"}
    assert "ValidationError" not in schemas
