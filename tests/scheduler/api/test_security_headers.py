"""Every answer carries the security headers, over real HTTP.

Before, none did: a JSON body could be sniffed as HTML, any site could frame the API's pages,
and a sign-off page's address (its token) could leave in a ``Referer``.
"""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/me", True), ("/productions", True), ("/me", False), ("/no-such-page", True)],
    ids=["json", "list", "refused", "not-found"],
)
def test_every_answer_carries_the_headers(client: httpx.Client, path: str, signed_in: bool) -> None:
    headers = None if signed_in else {"Authorization": ""}
    answer = client.get(path, headers=headers)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_documentation_page_gets_a_policy_that_lets_it_load_and_nothing_more(
    client: httpx.Client,
) -> None:
    answer = client.get("/docs")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self' https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy
    assert "strict-transport-security" not in answer.headers  # not in production here
