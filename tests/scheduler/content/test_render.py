"""Rendering: the shipped BTS templates, bodies, and every way user input can go wrong.

These run the real ``templates/`` directory through the real sandbox and assert what a
marketer or producer would notice: the words of the post, and the field and message of the
error the API turns into a 422.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from typing import Any

import pytest
from jinja2 import Environment, meta

from platforms.adapters.base import Media
from scheduler.content.render import (
    MAX_RENDERED_CHARS,
    RESERVED_NAMES,
    RenderedPost,
    Renderer,
    RenderError,
)
from scheduler.core.models import ContentPillar
from scheduler.exchange.playbook import load_playbook

TEMPLATES = pathlib.Path(__file__).parents[3] / "templates"
REQUIRED = {
    "casting_reveal": "casting",
    "on_set_day_in_the_life": "on_set",
    "crew_spotlight": "crew_spotlight",
    "transformation": "transformation",
    "post_production": "post_production",
    "premiere_countdown": "countdown",
}
PREMIERE = {
    "name": "Premiere",
    "kind": "premiere",
    "date": "1 March 2027",
    "time": "19:00",
    "tentative": False,
}
CONTEXT: dict[str, Any] = {
    "production": {"title": "Night Shift", "kind": "film", "timezone": "Europe/London"},
    "milestone": PREMIERE,
    "account": {"platform": "outbox", "handle": "@nightshiftfilm"},
    "post": {"pillar": "on_set", "tags": ["bts"]},
    "due": {"date": "15 February 2027", "time": "18:00", "weekday": "Monday"},
}
CREW = [
    {"name": "Ana Ruiz", "role": "Sound mixer", "handle": "@anaruiz"},
    {"name": "Tomasz Wolski", "role": "Gaffer", "handle": "@tomwolski"},
    {"name": "Priya Nair", "role": "Script supervisor"},
]
# Sample variables for every shipped template, and words the rendered post must contain.
SAMPLES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "casting_reveal": (
        {"actor_name": "Juno Adeyemi", "role": "DI Hale", "quote": "Hale is the conscience."},
        ["Juno Adeyemi joins Night Shift as DI Hale", '"Hale is the conscience."'],
    ),
    "on_set_day_in_the_life": (
        {"person": "our second unit", "call_time": "04:45", "moment": "a dawn chase"},
        ["Call time 04:45", "on the set of Night Shift with our second unit", "a dawn chase"],
    ),
    "crew_spotlight": (
        {"department": "sound and lighting", "crew": CREW},
        ["Sound mixer Ana Ruiz (@anaruiz)", "Gaffer Tomasz Wolski (@tomwolski)"],
    ),
    "transformation": (
        {"craft": "makeup", "person": "Callum Reyes", "hours": 3, "artist": "Lena Brandt"},
        ["3 hours in the makeup chair", "Lena Brandt", "Callum Reyes"],
    ),
    "post_production": (
        {"stage": "editing", "person": "Hana Sato", "detail": "the first assembly"},
        ["Post-production on Night Shift", "Hana Sato", "the first assembly"],
    ),
    "premiere_countdown": (
        {"days_to_go": 14, "event": "the premiere"},
        ["14 days to go: the premiere"],
    ),
    "wrap_announcement": (
        {"shoot_days": 29, "location": "London"},
        ["That's a wrap on Night Shift", "29 shooting days in London"],
    ),
    "theatre_rehearsal": (
        {"week": 3, "scene": "the storm scene", "director": "Amara Lewis"},
        ["week 3", "Amara Lewis", "the storm scene"],
    ),
    "game_dev_diary": (
        {"team": "audio", "feature": "footsteps", "progress": "forty surfaces recorded"},
        ["the audio team is working on footsteps", "forty surfaces recorded"],
    ),
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def render_template(
    renderer: Renderer, name: str, variables: dict[str, Any], **context: Any
) -> str:
    return renderer.render(
        template=name, body=None, variables=variables, context={**CONTEXT, **context}
    ).text


def render_body(renderer: Renderer, body: str, **variables: Any) -> str:
    return renderer.render(template=None, body=body, variables=variables, context=CONTEXT).text


def refused(renderer: Renderer, body: str, **variables: Any) -> RenderError:
    with pytest.raises(RenderError) as caught:
        render_body(renderer, body, **variables)
    return caught.value


# --- the shipped templates -------------------------------------------------------------------


def test_template_names_lists_the_bts_set_sorted(renderer: Renderer) -> None:
    names = renderer.template_names()
    assert set(REQUIRED) <= set(names)
    assert names == sorted(names)
    assert all("." not in n and "/" not in n for n in names)


def test_every_shipped_template_has_a_sample_here(renderer: Renderer) -> None:
    assert set(renderer.template_names()) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_describe_gives_pillar_summary_and_variables(renderer: Renderer, name: str) -> None:
    info = renderer.describe(name)
    assert info.name == name
    assert info.pillar in {p.value for p in ContentPillar}
    assert info.summary
    assert info.variables == list(SAMPLES[name][0])
    if name in REQUIRED:
        assert info.pillar == REQUIRED[name]


def test_describe_is_plain_data_for_the_api(renderer: Renderer) -> None:
    described = vars(renderer.describe("crew_spotlight"))
    assert described == {
        "name": "crew_spotlight",
        "pillar": "crew_spotlight",
        "summary": described["summary"],
        "variables": ["department", "crew"],
    }
    json.dumps(described)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_templates_use_only_the_context_and_their_declared_variables(
    renderer: Renderer, name: str
) -> None:
    source = (TEMPLATES / f"{name}.j2").read_text(encoding="utf-8")
    used = meta.find_undeclared_variables(Environment().parse(source))
    assert used <= RESERVED_NAMES | set(renderer.describe(name).variables)


@pytest.mark.parametrize("milestone", [PREMIERE, None], ids=["milestone", "no-milestone"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_template_renders_a_short_post(
    renderer: Renderer, name: str, milestone: dict[str, Any] | None
) -> None:
    variables, words = SAMPLES[name]
    text = render_template(renderer, name, variables, milestone=milestone)
    for word in words:
        assert word in text
    assert "#NightShift" in text
    assert len(text) <= 280
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "{" not in text
    assert "(None)" not in text
    assert "()" not in text


def test_crew_spotlight_credits_every_person_by_name_role_and_handle(renderer: Renderer) -> None:
    text = render_template(renderer, "crew_spotlight", SAMPLES["crew_spotlight"][0])
    assert "the sound and lighting team behind Night Shift" in text
    assert "Sound mixer Ana Ruiz (@anaruiz)" in text
    assert "Gaffer Tomasz Wolski (@tomwolski)" in text
    lines = text.splitlines()
    assert "Script supervisor Priya Nair" in lines  # no handle: no empty brackets


def test_crew_spotlight_with_an_empty_handle_leaves_no_brackets(renderer: Renderer) -> None:
    crew = [{"name": "Mira Cohen", "role": "1st AC", "handle": ""}]
    text = render_template(renderer, "crew_spotlight", {"department": "camera", "crew": crew})
    assert "1st AC Mira Cohen" in text.splitlines()


@pytest.mark.parametrize(
    ("craft", "hours", "words"),
    [
        ("makeup", 3, ["3 hours in the makeup chair", "#MakeupFX"]),
        ("costume", 1, ["1 hour in the fitting room", "#CostumeDesign"]),
        ("VFX", 400, ["400 hours of VFX work", "#VFX"]),
        ("prosthetics", 6, ["6 hours of prosthetics work", "#MakingOf"]),
    ],
)
def test_transformation_speaks_of_each_craft(
    renderer: Renderer, craft: str, hours: int, words: list[str]
) -> None:
    variables = {"craft": craft, "person": "Juno Adeyemi", "hours": hours, "artist": "Lena Brandt"}
    text = render_template(renderer, "transformation", variables)
    for word in words:
        assert word in text


@pytest.mark.parametrize(
    ("stage", "words"),
    [
        ("editing", ["In the cutting room: Hana Sato", "#FilmEditing"]),
        ("sound design", ["Hana Sato is building the soundscape", "#SoundDesign"]),
        ("colour grading", ["In the grade: Hana Sato", "#ColourGrading"]),
        ("Color grading", ["In the grade: Hana Sato", "#ColourGrading"]),
        ("VFX integration", ["bringing the VFX shots into the cut", "#VFX"]),
    ],
)
def test_post_production_speaks_of_each_stage(
    renderer: Renderer, stage: str, words: list[str]
) -> None:
    variables = {"stage": stage, "person": "Hana Sato", "detail": "the night look"}
    text = render_template(renderer, "post_production", variables)
    for word in [*words, "the night look", "#PostProduction"]:
        assert word in text


@pytest.mark.parametrize(
    ("days", "start"),
    [(14, "14 days to go: the premiere, 1 March 2027."), (1, "Tomorrow: the premiere,")],
)
def test_countdown_names_the_days_and_the_milestone_date(
    renderer: Renderer, days: int, start: str
) -> None:
    variables = {"days_to_go": days, "event": "the premiere"}
    assert render_template(renderer, "premiere_countdown", variables).startswith(start)


def test_countdown_flags_a_tentative_date_and_works_without_a_milestone(
    renderer: Renderer,
) -> None:
    variables = {"days_to_go": 7, "event": "the premiere"}
    tentative = {**PREMIERE, "tentative": True}
    text = render_template(renderer, "premiere_countdown", variables, milestone=tentative)
    assert "1 March 2027 (date to be confirmed)" in text
    text = render_template(renderer, "premiere_countdown", variables, milestone=None)
    assert text.startswith("7 days to go: the premiere.")


@pytest.mark.parametrize(
    ("kind", "place"),
    [
        ("film", "on the set of"),
        ("theatre", "in the rehearsal room for"),
        ("game", "in the studio on"),
    ],
)
def test_day_in_the_life_matches_the_kind_of_production(
    renderer: Renderer, kind: str, place: str
) -> None:
    production = {**CONTEXT["production"], "kind": kind}
    variables = SAMPLES["on_set_day_in_the_life"][0]
    text = render_template(renderer, "on_set_day_in_the_life", variables, production=production)
    assert f"A day {place} Night Shift" in text


def test_the_demo_campaign_renders_short_posts(renderer: Renderer) -> None:
    playbook = load_playbook(TEMPLATES / "playbooks" / "night_shift.json")
    for plan in playbook.posts:
        text = render_template(renderer, plan.template, plan.variables)
        assert 0 < len(text) <= 280, (plan.template, text)
        for person in plan.variables.get("crew", []):
            assert person["name"] in text
            assert person.get("handle", "") in text


# --- bodies -----------------------------------------------------------------------------------


def test_a_body_sees_the_context_and_its_variables(renderer: Renderer) -> None:
    body = "Take {{ take }} on {{ production.title }}, {{ due.weekday }} at {{ due.time }}."
    assert render_body(renderer, body, take=7) == "Take 7 on Night Shift, Monday at 18:00."


def test_output_is_trimmed_and_blank_runs_collapse(renderer: Renderer) -> None:
    text = render_body(renderer, "\n\n  Line one   \n\n\n\n\nLine two\r\n\r\n\r\nLine three\n\n")
    assert text == "Line one\n\nLine two\n\nLine three"


def test_the_same_body_renders_the_same_text_each_time(renderer: Renderer) -> None:
    body = "{{ production.title }} / {{ take }}"
    assert {render_body(renderer, body, take=1) for _ in range(3)} == {"Night Shift / 1"}
    assert render_body(renderer, body, take=2) == "Night Shift / 2"


def test_media_is_left_for_the_caller(renderer: Renderer) -> None:
    rendered = renderer.render(template=None, body="Hi", variables={}, context=CONTEXT)
    assert rendered == RenderedPost(text="Hi")
    assert rendered.media == ()


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "body"), [(None, None), ("casting_reveal", "Hello")], ids=["neither", "both"]
)
def test_exactly_one_of_template_and_body(
    renderer: Renderer, template: str | None, body: str | None
) -> None:
    with pytest.raises(RenderError) as caught:
        renderer.render(template=template, body=body, variables={}, context=CONTEXT)
    assert caught.value.field == "template"
    assert "template or a body" in caught.value.message


@pytest.mark.parametrize(
    "name", ["no_such_template", "casting_reveal.j2", "../pyproject", "sub/casting_reveal", ""]
)
def test_unknown_templates_are_refused_listing_the_known(renderer: Renderer, name: str) -> None:
    with pytest.raises(RenderError) as caught:
        renderer.render(template=name, body=None, variables={}, context=CONTEXT)
    assert caught.value.field == "template"
    assert f"unknown template {name!r}" in caught.value.message
    assert "casting_reveal" in caught.value.message
    with pytest.raises(RenderError):
        renderer.describe(name)


def test_a_syntax_error_in_a_body_names_the_line(renderer: Renderer) -> None:
    error = refused(renderer, "Line one\nLine two\nTake {{ take")
    assert error.field == "body"
    assert error.message.startswith("line 3:")


def test_an_unknown_filter_is_a_syntax_error(renderer: Renderer) -> None:
    error = refused(renderer, "{{ production.title | shout }}")
    assert (error.field, error.message) == ("body", "line 1: No filter named 'shout'.")


def test_an_undefined_variable_is_named(renderer: Renderer) -> None:
    error = refused(renderer, "Hello {{ who }}")
    assert error.field == "variables"
    assert "'who'" in error.message


def test_a_missing_template_variable_is_named(renderer: Renderer) -> None:
    with pytest.raises(RenderError) as caught:
        render_template(renderer, "casting_reveal", {"actor_name": "Juno", "role": "Hale"})
    assert caught.value.field == "variables"
    assert "'quote'" in caught.value.message


def test_a_missing_key_is_named(renderer: Renderer) -> None:
    error = refused(renderer, "{{ production.budget }}")
    assert error.field == "variables"
    assert "budget" in error.message


@pytest.mark.parametrize("name", sorted(RESERVED_NAMES))
def test_variables_cannot_shadow_the_system_context(renderer: Renderer, name: str) -> None:
    error = refused(renderer, "Hi", **{name: "x"})
    assert error.field == "variables"
    assert repr(name) in error.message
    assert "reserved" in error.message


@pytest.mark.parametrize("name", ["two words", "1st", "a-b", ""])
def test_variable_names_must_be_identifiers(renderer: Renderer, name: str) -> None:
    error = refused(renderer, "Hi", **{name: "x"})
    assert error.field == "variables"
    assert repr(name) in error.message


def test_variable_values_must_be_plain_json(renderer: Renderer) -> None:
    error = refused(renderer, "Hi", crew=[{"name": "Ana", "tool": object()}])
    assert error.field == "variables"
    assert "'crew[0].tool'" in error.message


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ production.title.format.__globals__ }}",
    ],
)
def test_sandbox_escapes_are_not_allowed(renderer: Renderer, body: str) -> None:
    error = refused(renderer, body)
    assert error.field == "body"
    assert error.message.startswith("not allowed:")


@pytest.mark.parametrize(
    "body",
    [
        "{% for i in range(99999) %}xxxxxxxxxx{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{{ [0] * 100000000 }}",
        "{{ 2 ** 10000000 }}",
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "{{ range(1000000) | list }}",
        "{% macro again() %}{{ again() }}{% endmacro %}{{ again() }}",
    ],
    ids=[
        "long-output",
        "string-repeat",
        "list-repeat",
        "power",
        "nested-loops",
        "range",
        "recurse",
    ],
)
def test_hostile_bodies_are_refused_quickly(renderer: Renderer, body: str) -> None:
    assert refused(renderer, body).field == "body"


def test_a_post_just_under_the_cap_renders(renderer: Renderer) -> None:
    text = render_body(renderer, "{% for i in range(1999) %}xxxxxxxxxx{% endfor %}")
    assert len(text) == 19_990 < MAX_RENDERED_CHARS


def test_runtime_errors_become_render_errors(renderer: Renderer) -> None:
    error = refused(renderer, "{{ 1 / 0 }}")
    assert error.field == "body"
    assert "ZeroDivisionError" in error.message


def test_errors_in_template_files_blame_the_template(tmp_path: pathlib.Path) -> None:
    (tmp_path / "broken.j2").write_text("{# pillar: on_set #}\nOne\n{% if %}\n", encoding="utf-8")
    (tmp_path / "escape.j2").write_text("{{ cycler.__init__.__globals__ }}", encoding="utf-8")
    local = Renderer(tmp_path)
    for name, start in [("broken", "line 3:"), ("escape", "not allowed:")]:
        with pytest.raises(RenderError) as caught:
            local.render(template=name, body=None, variables={}, context=CONTEXT)
        assert caught.value.field == "template"
        assert caught.value.message.startswith(start)


def test_a_template_without_a_header_is_described_empty(tmp_path: pathlib.Path) -> None:
    (tmp_path / "plain.j2").write_text("Hello", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a template", encoding="utf-8")
    local = Renderer(tmp_path)
    assert local.template_names() == ["plain"]
    info = local.describe("plain")
    assert (info.pillar, info.summary, info.variables) == ("", "", [])


def test_render_error_carries_field_and_message() -> None:
    error = RenderError("body", "line 1: oops")
    assert (error.field, error.message, str(error)) == (
        "body",
        "line 1: oops",
        "body: line 1: oops",
    )


# --- content hash -----------------------------------------------------------------------------


def test_content_hash_is_sha256_of_canonical_json() -> None:
    post = RenderedPost(text="Café on set", media=(Media(url="https://cdn/a.jpg", alt="Set"),))
    canonical = (
        '{"media":[{"alt":"Set","kind":"image","url":"https://cdn/a.jpg"}],'
        '"target":"outbox:@nightshiftfilm","text":"Café on set"}'
    )
    expected = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert post.content_hash(target="outbox:@nightshiftfilm") == expected


def test_content_hash_is_stable_and_differs_by_target_text_and_media() -> None:
    post = RenderedPost(text="Call time 05:30")
    target = "outbox:@nightshiftfilm"
    digest = post.content_hash(target=target)
    assert digest == RenderedPost(text="Call time 05:30").content_hash(target=target)
    assert digest != post.content_hash(target="outbox:@nightshift.crew")
    assert digest != RenderedPost(text="Call time 05:45").content_hash(target=target)
    still = Media(url="a.jpg")
    with_still = RenderedPost(text="Call time 05:30", media=(still,))
    assert digest != with_still.content_hash(target=target)
    described = RenderedPost(text="Call time 05:30", media=(Media(url="a.jpg", alt="Crew"),))
    assert with_still.content_hash(target=target) != described.content_hash(target=target)
