"""Whether a post's text can change when its milestone moves, read from its template source.

A move changes the milestone and the due date and nothing else a render sees, so a source that
uses neither ``milestone`` nor ``due`` gives the text it gave at approval, and the approval's
hash of it still holds. What a source uses is read once from its parse tree (``jinja2.meta``);
one that includes, imports or extends another template is assumed to change. A change of the
production's time zone changes those and ``production`` (``ZONE_NAMES``). Apart from the
planner because this is about templates, not deliveries: it reads sources and files, never the
database, and answers once per distinct source.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Environment, TemplateSyntaxError, meta

from scheduler.content.render import TEMPLATE_SUFFIX
from scheduler.core.config import get_settings

#: What a move changes in the render context; everything else is as it was at approval.
MOVE_NAMES = frozenset({"milestone", "due"})
#: What a change of the production's time zone changes: every time is printed in the zone,
#: and ``production.timezone`` names it.
ZONE_NAMES = frozenset({*MOVE_NAMES, "production"})
#: A source can only use another template's names by loading it.
_LOADS = frozenset({"include", "import", "extends"})
_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_PARSER = Environment()  # noqa: S701 - only parses; rendering stays in the sandbox


def source_moves(source: str, names: frozenset[str] = MOVE_NAMES) -> bool:
    """Whether text rendered from a template source can use any of ``names`` (by default,
    the milestone or the due date)."""
    if not _spells_a_telltale(names).search(source):
        return False  # the quick answer for most bodies: they never spell those words
    return _parsed_source_moves(source, names)


@lru_cache(maxsize=8)
def _spells_a_telltale(names: frozenset[str]) -> re.Pattern[str]:
    """A source can only use a name by spelling it, or by loading another template."""
    return re.compile("|".join(sorted(names | _LOADS)))  # anywhere, as ``in`` finds


@lru_cache(maxsize=1024)
def _parsed_source_moves(source: str, moving: frozenset[str]) -> bool:
    try:
        names = {value for _, kind, value in _PARSER.lex(source) if kind == "name"}
        if names.isdisjoint(moving | _LOADS):
            return False  # the words are in the prose ("due this week"), not in the code
        tree = _PARSER.parse(source)
    except TemplateSyntaxError:
        return True  # the render fails, and the approval goes, as it always did
    if any(True for _ in meta.find_referenced_templates(tree)):
        return True  # the other template sees the whole context
    return not moving.isdisjoint(meta.find_undeclared_variables(tree))


def template_moves(name: str, names: frozenset[str] = MOVE_NAMES) -> bool:
    """``source_moves`` for a named template file, as it is on disk now."""
    if not _TEMPLATE_NAME.fullmatch(name):
        return True  # the renderer refuses the name; the render decides
    try:
        path = get_settings().templates_dir / f"{name}{TEMPLATE_SUFFIX}"
        return source_moves(path.read_text(encoding="utf-8"), names)
    except OSError:
        return True
