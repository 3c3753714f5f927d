"""Hostile templates meet the sandbox's allow-list and budget, and give up quickly and small.

Each body here either allocated far more than any post needs before the output cap could see
it (measured with ``tracemalloc``), or ran for minutes (each test has a 10 s timeout, so it
fails instead of hanging). Now each is a ``RenderError`` on the ``body``, with a peak of a few
megabytes; what no count can stop ends at the render's deadline, and says so.
"""

from __future__ import annotations

import pathlib
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from scheduler.content.render import MAX_VARIABLES_CHARS, Renderer, RenderError
from scheduler.content.sandbox import RENDER_SECONDS

TEMPLATES = pathlib.Path(__file__).parents[3] / "templates"
CONTEXT = {"production": {"title": "Night Shift"}}
#: No refused render may hold more than this at its peak.
PEAK_MIB = 40


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def _render(renderer: Renderer, body: str, variables: dict[str, Any]) -> str:
    return renderer.render(template=None, body=body, variables=variables, context=CONTEXT).text


def _peak_mib(work: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        work()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 2**20


def _refused(renderer: Renderer, body: str, **variables: Any) -> tuple[RenderError, float]:
    """The error, and the render's peak memory in MiB."""
    caught: list[RenderError] = []

    def work() -> None:
        try:
            _render(renderer, body, variables)
        except RenderError as exc:
            caught.append(exc)

    peak = _peak_mib(work)
    assert caught, f"rendered: {body}"
    return caught[0], peak


DOUBLING = "{% set s = 'x' * 10000 %}" + "{% set s = s ~ s %}" * 15 + "{{ s | length }}"


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "body",
    [
        "{{ 'a' | center(10**9) }}",
        "{{ 'a'.ljust(10**9) }}",
        "{{ 'a\tb'.expandtabs(10**8) }}",
        "{{ 'a' | indent(10**9, true) }}",
        "{{ ('a' * 20000) | replace('', 'b' * 20000) }}",
        "{{ ('a' * 20000).replace('a', 'b' * 20000) }}",
        "{{ range(100000) | join('x' * 20000) }}",
        "{{ ('x' * 20000).join(range(100000)) }}",
        "{{ '%999999999d' | format(1) }}",
        "{{ '%999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ [1] | batch(10**9, 0) | list }}",
        DOUBLING,
        "{% set ns = namespace(s='x' * 10000) %}"
        "{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s | length }}",
        "{% set ns = namespace(s='x' * 10000) %}{% for i in range(40) %}"
        "{% set ns.s %}{{ ns.s }}{{ ns.s }}{% endset %}{% endfor %}{{ ns.s | length }}",
    ],
    ids=[
        "center",
        "ljust",
        "expandtabs",
        "indent",
        "replace-filter",
        "replace-method",
        "join-filter",
        "join-method",
        "format-filter",
        "percent",
        "str-format",
        "batch",
        "concat-doubling",
        "plus-doubling",
        "block-set-doubling",
    ],
)
def test_what_would_build_a_huge_value_is_refused_before_it_allocates(
    renderer: Renderer, body: str
) -> None:
    error, peak = _refused(renderer, body)
    assert error.field == "body"
    assert error.message.startswith("not allowed:"), error.message
    assert peak < PEAK_MIB, f"{peak:.0f} MiB at the peak"


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("body", "variables"),
    [
        ("{{ lipsum(10**6) }}", {}),
        (
            "{% for a in items %}{% for b in items %}{% for c in items %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            {"items": list(range(1000))},
        ),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(40) }}",
            {},
        ),
    ],
    ids=["lipsum", "nested-loops-over-variables", "exponential-macro"],
)
def test_what_would_run_for_minutes_is_refused_at_once(
    renderer: Renderer, body: str, variables: dict[str, Any]
) -> None:
    error, _ = _refused(renderer, body, **variables)
    assert "lipsum" in error.message or error.message.startswith("not allowed:")


@pytest.mark.timeout(10)
def test_a_render_within_every_count_still_stops_at_its_deadline(renderer: Renderer) -> None:
    """Few steps, each slow (sorting a long list): only the clock can stop it."""
    body = "{% for i in range(30000) %}{{ items | sort | first }}{% endfor %}"
    error, _ = _refused(renderer, body, items=list(range(8000, 0, -1)))
    assert f"longer than {RENDER_SECONDS:g} seconds" in error.message


def test_random_is_not_available_since_a_render_must_repeat_exactly(renderer: Renderer) -> None:
    error, _ = _refused(renderer, "{{ [1, 2, 3] | random }}")
    assert error.field == "body"
    assert "random" in error.message


def test_variables_larger_than_any_post_needs_are_refused(renderer: Renderer) -> None:
    error, _ = _refused(renderer, "{{ notes | length }}", notes="x" * MAX_VARIABLES_CHARS)
    assert error.field == "variables"
    assert str(MAX_VARIABLES_CHARS) in error.message


def test_what_real_posts_do_with_these_filters_still_renders(renderer: Renderer) -> None:
    body = (
        "{{ production.title | upper | center(20) | trim }}: "
        "{{ cast | join(', ') }}. {{ 'Day %d of %d' | format(day, 40) }}. "
        "{{ quote | replace('night', 'day') | truncate(30) }} "
        "{% for who in cast %}{{ '#' ~ who | replace(' ', '') }} {% endfor %}"
        "{{ '{:>4}'.format(day) }}"
    )
    text = _render(
        renderer,
        body,
        {"cast": ["Ada Obi", "Lee Park"], "day": 12, "quote": "Every night on set"},
    )
    assert text == (
        "NIGHT SHIFT: Ada Obi, Lee Park. Day 12 of 40. Every day on set #AdaObi #LeePark   12"
    )
