"""Sandboxed rendering of post templates and free-text bodies.

Templates and bodies are user input: a marketer types them into the API, and they end up
running inside the API process and every worker. So they are rendered with Jinja2's
``SandboxedEnvironment`` (no access to ``__class__``, ``__globals__`` and friends),
``StrictUndefined`` (a misspelt variable is an error, never a silent blank in a public post),
and the allow-list and budget of ``scheduler.content.sandbox`` (steps, characters built and
time per render), with the output capped as it streams and the variables capped in size.

Callers render at create and edit time, not only at dispatch, so every mistake here surfaces as
a ``RenderError`` naming the input at fault (a 422 for the person typing) instead of a held
delivery at 18:00 on premiere day. The worker renders again before publishing and compares the
``content_hash`` with the one the producer approved: the same inputs must give the same text,
which is why the output is normalised (trimmed, blank runs collapsed) deterministically.

This module is a leaf: no database, no Celery, no I/O beyond reading template files.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.exceptions import SecurityError

from platforms.adapters.base import Media
from scheduler.content.sandbox import PostSandbox, budgeted

#: Names the system context provides; a post's own variables may not shadow them.
RESERVED_NAMES: frozenset[str] = frozenset({"production", "milestone", "account", "post", "due"})

#: Longest text a render may produce (after trimming). Far above any platform's limit, far
#: below anything that could hurt the process.
MAX_RENDERED_CHARS = 20_000

#: Characters of JSON a post's variables may take: loops and filters work on them, so their
#: size is part of what bounds a render.
MAX_VARIABLES_CHARS = 50_000

TEMPLATE_SUFFIX = ".j2"

_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_HEADER = re.compile(r"\A\s*\{#(.*?)#\}", re.DOTALL)
_UNDEFINED_NAME = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_BLANK_RUN = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_JSON_SCALARS = (str, int, float, bool, type(None))
_BODY_CACHE_SIZE = 256


class RenderError(Exception):
    """A template, body or set of variables that cannot be rendered.

    ``field`` names the input at fault ("template", "body" or "variables") so the API can put
    the error on the right form field; ``message`` says what is wrong in words a marketer can
    act on (a line number for syntax errors, the name for an undefined variable).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, kw_only=True)
class RenderedPost:
    """What one delivery will say: the text, and the media the caller attaches."""

    text: str
    media: tuple[Media, ...] = ()

    def content_hash(self, *, target: str) -> str:
        """The sha256 an approval binds: text, media and the target account.

        The target (e.g. ``"outbox:@handle"``) is part of the hash so that each delivery of a
        post has its own hash and an approval cannot be replayed onto another account. The JSON
        is canonical (sorted keys, compact, UTF-8) so the hash is stable across processes.
        Each upload Callsheet holds is bound by its digest (``media_json``).
        """
        payload = {"text": self.text, "media": self.media_json(), "target": target}
        return _sha256(payload)

    def media_json(self) -> list[dict[str, Any]]:
        """The media as an approval binds them: URL, kind, alt text (content too) and, for an
        upload Callsheet holds, its id and the digest of its bytes (``Media.as_json``)."""
        return [medium.as_json() for medium in self.media]


def _sha256(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TemplateInfo:
    """What a template is for and which variables it needs, read from its header comment.

    The header is a Jinja comment at the very top of the file, one ``key: value`` per line::

        {#
        pillar: casting
        summary: Announce a cast member and their role.
        variables: actor_name, role, quote
        #}

    ``variables`` lists the names a post must supply (all required); the system context
    (``RESERVED_NAMES``) is always available and is not listed.
    """

    name: str
    pillar: str
    summary: str
    variables: list[str] = field(default_factory=list)


class Renderer:
    """Renders named templates from one directory, or free-text bodies, in one sandbox.

    One instance per templates directory is meant to live for the whole process: the Jinja
    environment caches compiled templates (and reloads a file when it changes on disk).
    """

    def __init__(self, templates_dir: pathlib.Path) -> None:
        self._dir = pathlib.Path(templates_dir)
        self._env = PostSandbox(
            loader=FileSystemLoader(self._dir),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._bodies: dict[str, Template] = {}

    def template_names(self) -> list[str]:
        """The shipped templates, by name (file name without ``.j2``), sorted."""
        if not self._dir.is_dir():
            return []
        return sorted(p.stem for p in self._dir.glob(f"*{TEMPLATE_SUFFIX}") if p.is_file())

    def describe(self, name: str) -> TemplateInfo:
        """The template's pillar, summary and variables, from its header comment."""
        self._check_template_name(name)
        source = (self._dir / f"{name}{TEMPLATE_SUFFIX}").read_text(encoding="utf-8")
        return _parse_header(name, source)

    def render(
        self,
        *,
        template: str | None,
        body: str | None,
        variables: Mapping[str, Any],
        context: Mapping[str, Any],
    ) -> RenderedPost:
        """Render a named template or a body with ``{**context, **variables}``.

        Raises ``RenderError`` for every problem with the inputs; never returns text longer
        than ``MAX_RENDERED_CHARS``. ``media`` is left empty: the caller attaches it.
        """
        if template is not None and body is None:
            where, source = "template", template
        elif body is not None and template is None:
            where, source = "body", body
        else:
            raise RenderError("template", "give a template or a body, not both/neither")
        _check_variables(variables)
        compiled = self._compile(where, source)
        return RenderedPost(text=_run(where, compiled, {**context, **variables}))

    def _check_template_name(self, name: str) -> None:
        # The pattern rules out paths; then one stat, not a directory listing per render.
        if _TEMPLATE_NAME.fullmatch(name) and (self._dir / f"{name}{TEMPLATE_SUFFIX}").is_file():
            return
        raise self._unknown_template(name)

    def _unknown_template(self, name: str) -> RenderError:
        known = self.template_names()
        return RenderError(
            "template", f"unknown template {name!r}; known: {', '.join(known) or 'none'}"
        )

    def _compile(self, where: str, source: str) -> Template:
        """Load a template by name or compile a body; a syntax error names its line.

        A name is checked against the pattern (no paths), and the loader's own check that the
        file is there (one ``stat``, which also notices an edit) stands for ours: a reflow
        renders a thousand posts from the same file.
        """
        try:
            if where == "template":
                if not _TEMPLATE_NAME.fullmatch(source):
                    raise self._unknown_template(source)
                return self._env.get_template(f"{source}{TEMPLATE_SUFFIX}")
            return self._compile_body(source)
        except TemplateNotFound:
            raise self._unknown_template(source) from None
        except TemplateSyntaxError as exc:
            raise RenderError(where, f"line {exc.lineno}: {exc.message}") from None

    def _compile_body(self, body: str) -> Template:
        """Compile a body once: the API and the worker render the same body many times."""
        cached = self._bodies.get(body)
        if cached is None:
            cached = self._env.from_string(body)
            if len(self._bodies) >= _BODY_CACHE_SIZE:
                self._bodies.clear()
            self._bodies[body] = cached
        return cached


def _check_variables(variables: Mapping[str, Any]) -> None:
    """Names must be identifiers that do not shadow the system context; values plain JSON,
    ``MAX_VARIABLES_CHARS`` at most."""
    for name, value in variables.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise RenderError(
                "variables",
                f"variable name {name!r} is not an identifier "
                "(letters, digits and underscores, not starting with a digit)",
            )
        if name in RESERVED_NAMES:
            raise RenderError(
                "variables",
                f"variable name {name!r} is reserved; the system provides "
                f"{', '.join(sorted(RESERVED_NAMES))}",
            )
        _check_json(name, value)
    size = len(json.dumps(dict(variables), ensure_ascii=False))
    if size > MAX_VARIABLES_CHARS:
        raise RenderError(
            "variables", f"the variables take {size} characters; at most {MAX_VARIABLES_CHARS}"
        )


def _check_json(path: str, value: Any) -> None:
    """Only JSON-shaped values reach the sandbox, so no object brings its own methods in."""
    if isinstance(value, _JSON_SCALARS):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(f"{path}[{i}]", item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RenderError("variables", f"variable {path!r} has a non-text key {key!r}")
            _check_json(f"{path}.{key}", item)
        return
    raise RenderError(
        "variables",
        f"variable {path!r} is a {type(value).__name__}; use text, numbers, true/false, "
        "null, lists or objects",
    )


def _run(where: str, compiled: Template, namespace: dict[str, Any]) -> str:
    """Render with a fresh loop budget and turn every failure into a ``RenderError``."""
    try:
        with budgeted():
            raw = _collect(where, compiled.generate(namespace))
    except RenderError:
        raise
    except SecurityError as exc:
        raise RenderError(where, f"not allowed: {exc}") from None
    except UndefinedError as exc:
        raise RenderError("variables", _undefined_message(exc)) from None
    except TemplateSyntaxError as exc:  # an included template that does not compile
        raise RenderError(where, f"line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # anything a hostile or broken template can raise
        raise RenderError(where, f"rendering failed: {type(exc).__name__}: {exc}") from None
    return _tidy(where, raw)


def _collect(where: str, chunks: Iterable[str]) -> str:
    """Join the output as it streams, stopping as soon as it is clearly too long."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > 2 * MAX_RENDERED_CHARS:  # slack for whitespace that _tidy removes
            raise _too_long(where)
        parts.append(chunk)
    return "".join(parts)


def _tidy(where: str, raw: str) -> str:
    """Normalise the text the same way every time: it is what the approval hash covers."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUN.sub("\n\n", text).strip()
    if len(text) > MAX_RENDERED_CHARS:
        raise _too_long(where)
    return text


def _too_long(where: str) -> RenderError:
    return RenderError(where, f"the rendered text is longer than {MAX_RENDERED_CHARS} characters")


def _undefined_message(exc: UndefinedError) -> str:
    message = exc.message or str(exc)
    match = _UNDEFINED_NAME.match(message)
    if match:
        return f"undefined variable {match.group('name')!r}"
    return f"undefined variable: {message}"


def _parse_header(name: str, source: str) -> TemplateInfo:
    """Read ``key: value`` lines from the template's leading ``{# ... #}`` comment."""
    fields: dict[str, str] = {}
    match = _HEADER.match(source)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip().lower()] = value.strip()
    variables = [v.strip() for v in fields.get("variables", "").split(",") if v.strip()]
    return TemplateInfo(
        name=name,
        pillar=fields.get("pillar", ""),
        summary=fields.get("summary", ""),
        variables=variables,
    )
