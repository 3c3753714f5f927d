"""Media come from the web, never from the server's disk: anything but a link is a 422 that
says nothing about the server's files, and a link to a private address is refused too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scheduler.core.config import get_settings
from tests.scheduler.api.test_api import _post, plan

__all__ = ["plan"]  # the fixture, used by name

ON_DISK = "give an https link; files on the server are never read"


@pytest.mark.parametrize(
    "pair",
    [
        ("file:///etc/passwd", "file:///nonexistent/passwd"),
        ("/etc/passwd", "/nonexistent/passwd"),
        ("../../etc/passwd", "../../nonexistent/passwd"),
        ("/etc/hostname", "/etc/no-such-name"),
    ],
)
def test_a_server_file_as_media_is_a_422_the_same_whether_it_exists_or_not(
    client: httpx.Client, plan: dict[str, int], pair: tuple[str, str]
) -> None:
    existing, missing = pair
    assert Path(existing.removeprefix("file://")).exists() or existing.startswith("../")
    answers = [
        client.post("/posts", json=_post(plan, media=[{"url": url, "kind": "image"}]))
        for url in (existing, missing)
    ]

    for answer in answers:
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["errors"]
        assert problem["loc"][-3:] == ["media", 0, "url"]
        assert ON_DISK in problem["msg"]
    # nothing tells the two apart but the URL given back
    assert [_but_input(a.json()) for a in answers[:1]] == [_but_input(answers[1].json())]


def _but_input(answer: dict[str, list[dict[str, object]]]) -> list[dict[str, object]]:
    return [{k: v for k, v in problem.items() if k != "input"} for problem in answer["errors"]]


def test_an_edit_cannot_swap_in_a_server_file(client: httpx.Client, plan: dict[str, int]) -> None:
    made = client.post("/posts", json=_post(plan, media=["https://cdn.test/rain.jpg"]))
    assert made.status_code == 201, made.text

    edited = client.patch(
        f"/posts/{made.json()['id']}", json={"version": 1, "media": ["file:///etc/passwd.jpg"]}
    )

    assert edited.status_code == 422, edited.text
    assert ON_DISK in edited.text


@pytest.fixture
def production_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The API process judges links as production does (https only, public addresses)."""
    monkeypatch.setenv("CALLSHEET_ALLOW_PRIVATE_TARGETS", "false")
    monkeypatch.setenv("CALLSHEET_ENVIRONMENT", "production")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("CALLSHEET_ALLOW_PRIVATE_TARGETS")
    monkeypatch.delenv("CALLSHEET_ENVIRONMENT")
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://169.254.169.254/latest/still.jpg", "169.254.169.254 is a link-local address"),
        ("https://127.0.0.1:6379/still.jpg", "127.0.0.1 is a loopback address"),
        ("https://localhost/still.jpg", "is a loopback address"),
        ("https://[::1]/still.jpg", "::1 is a loopback address"),
        ("http://cdn.example/still.jpg", "https://"),
    ],
)
def test_a_media_link_to_a_private_address_or_over_http_is_refused_in_production(
    client: httpx.Client, plan: dict[str, int], production_rules: None, url: str, words: str
) -> None:
    answer = client.post("/posts", json=_post(plan, media=[{"url": url, "kind": "image"}]))

    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert problem["loc"][-3:] == ["media", 0, "url"]
    assert words in problem["msg"]
