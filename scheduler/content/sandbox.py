"""The sandbox a post's template runs in: what it may use, and how much work it may cause.

Templates and bodies are user input rendered inside the API and every worker. Jinja2's
``SandboxedEnvironment`` keeps a template away from Python's internals, but not from making
the process work: ``'a'|center(10**9)`` allocates a gigabyte before any output cap sees it,
``lipsum(10**6)`` runs for minutes, three nested loops over a list of a thousand items never
end, and ``{% set s = s ~ s %}`` doubles a string per line. So the sandbox here adds:

- **An allow-list** of filters, tests and globals. No ``lipsum`` and no ``random``: a render
  must give the same text every time, since the approval binds its hash.
- **A budget per render**, in three parts, all charged *before* the work is done:
  - *steps*: every loop step and every call (functions, methods, filters, macros);
  - *characters*: everything the template builds (output, concatenations, repetitions,
    paddings, joins, replacements, format widths) is charged at its size before it is
    allocated;
  - *time*: a wall-clock deadline, checked at every charge.

Why a deadline checked from inside, and not a thread or a subprocess with a timeout: a
Python thread cannot be stopped, so a thread with a deadline would answer on time and keep
burning a core; a subprocess per render costs milliseconds, and a milestone move renders
thousands of posts. Everything that can repeat work (loops, calls, macros, recursion) passes a
charged point, and what runs between two charged points is bounded by the character budget,
so a render never outlives its deadline by more than one bounded operation.

The charged points are put in when a template is compiled (``_Charged``, a transform of
Jinja's syntax tree that routes loops, ``~`` and output through the functions below); the
filters are wrapped; calls go through ``PostSandbox.call``. This module is a leaf, like
``render``: no database, no I/O.
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from inspect import unwrap
from typing import Any

from jinja2 import filters, nodes, pass_eval_context
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, safe_range
from jinja2.visitor import NodeTransformer

#: Loop steps and calls one render may take. Real templates take tens.
MAX_STEPS = 100_000
#: Characters one render may build, all values together (the text itself is capped lower,
#: by ``render.MAX_RENDERED_CHARS``). About a megabyte of strings; enough for any post.
MAX_BUILT_CHARS = 1_000_000
#: Seconds one render may take. A post renders in well under a millisecond.
RENDER_SECONDS = 2.0

ALLOWED_FILTERS = frozenset(
    {
        *("abs", "attr", "batch", "capitalize", "center", "count", "d", "default"),
        *("dictsort", "e", "escape", "filesizeformat", "first", "float", "forceescape"),
        *("format", "groupby", "indent", "int", "items", "join", "last", "length", "list"),
        *("lower", "map", "max", "min", "pprint", "reject", "rejectattr", "replace"),
        *("reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string"),
        *("striptags", "sum", "title", "tojson", "trim", "truncate", "unique", "upper"),
        *("urlencode", "urlize", "wordcount", "wordwrap", "xmlattr"),
    }
)
#: Every test Jinja ships is a predicate on a value; all are allowed.
ALLOWED_GLOBALS = frozenset({"range", "dict", "namespace", "cycler", "joiner"})

#: ``%`` conversions: their widths and precisions are what can be large.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")
#: ``str`` methods whose integer arguments are the length of what they build.
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


@dataclass
class _Budget:
    deadline: float
    steps: int = MAX_STEPS
    chars: int = MAX_BUILT_CHARS


_budget: ContextVar[_Budget | None] = ContextVar("callsheet_render_budget", default=None)


@contextmanager
def budgeted() -> Iterator[None]:
    """A fresh budget for one render (renders in other threads have their own)."""
    token = _budget.set(_Budget(deadline=time.monotonic() + RENDER_SECONDS))
    try:
        yield
    finally:
        _budget.reset(token)


def charge(*, steps: int = 1, chars: int = 0) -> None:
    """Spend from this render's budget, before the work it pays for is done."""
    budget = _budget.get()
    if budget is None:  # compiling or describing, not rendering
        return
    budget.steps -= steps
    budget.chars -= chars
    if budget.steps < 0:
        raise SecurityError(f"more than {MAX_STEPS} loop steps and calls in one post")
    if budget.chars < 0:
        raise SecurityError(f"building more than {MAX_BUILT_CHARS} characters for one post")
    if time.monotonic() > budget.deadline:
        raise SecurityError(f"rendering took longer than {RENDER_SECONDS:g} seconds")


def charged_steps(iterable: Iterable[Any]) -> Iterator[Any]:
    """What a ``{% for %}`` loop walks: each step charged."""
    for item in iterable:
        charge()
        yield item


def charged_concat(*values: Any) -> str:
    """The ``~`` operator, and each piece of output (also inside ``{% set %}`` blocks and
    macros), charged at the size of what it builds."""
    parts = [str(value) for value in values]
    charge(chars=sum(map(len, parts)))
    return "".join(parts)


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


def _check_repetition(left: Any, right: Any) -> None:
    """``'x' * 10**9`` would allocate before anything else could see it."""
    for seq, times in ((left, right), (right, left)):
        if isinstance(times, int) and _sized(seq):
            charge(chars=_sized(seq) * max(times, 0))


def _check_addition(left: Any, right: Any) -> None:
    if _sized(left) and _sized(right):
        charge(chars=_sized(left) + _sized(right))


def _check_power(base: Any, exponent: Any) -> None:
    """``2 ** 10**9`` would hold the CPU for minutes; no post needs numbers past 4096 bits."""
    if not (isinstance(base, int) and isinstance(exponent, int)) or abs(base) < 2:
        return
    if abs(base).bit_length() * exponent > 4096:
        raise SecurityError("a power this large")


def _check_percent(template: Any) -> None:
    """``'%999999999d' % 1``: a width or precision is charged; ``*`` (taken from the
    arguments) is refused, since its size cannot be read from the format."""
    if not isinstance(template, str):
        return
    for width, precision in _PERCENT_SPEC.findall(template):
        if "*" in (width, precision):
            raise SecurityError("'*' widths in % formatting")
        charge(chars=int(width or 0) + int(precision or 0))


def _check_format_fields(template: str) -> None:
    """``'{:>999999999}'.format(1)``: widths in the fields are charged; nested fields
    (a width taken from the arguments) are refused."""
    for _, _, spec, _ in string.Formatter().parse(template):
        if spec and "{" in spec:
            raise SecurityError("nested fields in a format")
        charge(chars=sum(int(n) for n in _NUMBER.findall(spec or "")))


def _replaced_size(text: str, old: str, new: str, count: Any) -> int:
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * max(len(new) - len(old), 0)


def _check_method(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Bounds for the ``str`` methods that can build large values; the arguments to call with
    (a ``join``'s iterable is read once, here, to size it)."""
    bound = unwrap(method)
    owner, name = getattr(bound, "__self__", None), getattr(bound, "__name__", "")
    if not isinstance(owner, str):
        return args
    if name in _PADDING_METHODS:
        size = next((a for a in args if isinstance(a, int)), 0)
        if name == "expandtabs":  # each tab becomes up to ``size`` spaces
            size = len(owner) + owner.count("\t") * size
        charge(chars=max(len(owner), size))
    elif name == "replace" and len(args) >= 2:
        old, new, count = str(args[0]), str(args[1]), args[2] if len(args) > 2 else None
        charge(chars=_replaced_size(owner, old, new, count))
    elif name == "join" and args:
        items = [str(item) for item in args[0]]
        charge(chars=sum(map(len, items)) + len(owner) * max(len(items) - 1, 0))
        return (items, *args[1:])
    elif name in {"format", "format_map"}:
        _check_format_fields(owner)
    return args


def _charged_filter(name: str, apply: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that charges a step per use (``map`` and ``select`` use filters per item)."""

    @wraps(apply)  # keeps Jinja's pass_context/pass_environment marker
    def filtered(*args: Any, **kwargs: Any) -> Any:
        charge()
        return apply(*args, **kwargs)

    filtered.__name__ = f"do_{name}"
    return filtered


def _do_center(value: Any, width: int = 80) -> str:
    charge(chars=max(len(str(value)), width if isinstance(width, int) else 0))
    return filters.do_center(value, width)


def _do_indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    pad = width if isinstance(width, int) else len(str(width))
    charge(chars=len(str(s)) + (str(s).count("\n") + 1) * max(pad, 0))
    return filters.do_indent(s, width, first, blank)


@pass_eval_context
def _do_replace(eval_ctx: EvalContext, s: str, old: str, new: str, count: int | None = None) -> str:
    charge(chars=_replaced_size(str(s), str(old), str(new), count))
    return filters.do_replace(eval_ctx, s, old, new, count)


@pass_eval_context
def _do_join(
    eval_ctx: EvalContext, value: Iterable[Any], d: str = "", attribute: Any = None
) -> str:
    items = list(value)
    built = sum(len(str(item)) for item in items) if attribute is None else 0
    charge(chars=built + len(str(d)) * max(len(items) - 1, 0))
    return str(filters.do_join(eval_ctx, items, d, attribute))


def _do_format(value: str, *args: Any, **kwargs: Any) -> str:
    _check_percent(str(value))
    return filters.do_format(value, *args, **kwargs)


def _do_batch(value: Iterable[Any], linecount: int, fill_with: Any = None) -> Any:
    charge(chars=max(linecount, 0) if isinstance(linecount, int) else 0)
    return filters.do_batch(value, linecount, fill_with)


def _do_slice(value: Iterable[Any], slices: int, fill_with: Any = None) -> Any:
    charge(chars=max(slices, 0) if isinstance(slices, int) else 0)
    return filters.do_slice(value, slices, fill_with)


_BOUNDED_FILTERS: dict[str, Callable[..., Any]] = {
    "center": _do_center,
    "indent": _do_indent,
    "replace": _do_replace,
    "join": _do_join,
    "format": _do_format,
    "batch": _do_batch,
    "slice": _do_slice,
}


class _Charged(NodeTransformer):
    """Routes loops, ``~`` and output through the charged functions of this module (the
    sandbox calls them directly: they are ours, and charge for themselves)."""

    def _call(self, name: str, args: list[Any], lineno: int) -> nodes.Call:
        target = nodes.ImportedName(f"{__name__}.{name}", lineno=lineno)
        return nodes.Call(target, args, [], None, None, lineno=lineno)

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = self._call("charged_steps", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._call("charged_concat", list(node.nodes), node.lineno)

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        self.generic_visit(node)
        pieces: list[nodes.Expr] = [
            nodes.Const(piece.data, lineno=piece.lineno)
            if isinstance(piece, nodes.TemplateData)
            else piece
            for piece in node.nodes
        ]
        node.nodes = [self._call("charged_concat", pieces, node.lineno)]
        return node


class PostSandbox(SandboxedEnvironment):
    """Jinja's sandbox with the allow-list and the budget of this module."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        # Jinja's optimizer runs filters on constants while compiling, outside any render's
        # budget: ``'%999999999d' | format(1)`` would be built then, a gigabyte, unpaid.
        super().__init__(**options, optimized=False)
        self.filters = {
            name: _charged_filter(name, _BOUNDED_FILTERS.get(name, apply))
            for name, apply in self.filters.items()
            if name in ALLOWED_FILTERS
        }
        self.globals = {k: v for k, v in self.globals.items() if k in ALLOWED_GLOBALS}
        self.globals["range"] = safe_range

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse as Jinja does, then put the charged points in (see ``_Charged``)."""
        tree = super()._parse(source, name, filename)
        charged = _Charged().visit(tree)
        assert isinstance(charged, nodes.Template)
        return charged

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Charge what ``*``, ``+`` and ``%`` build, and refuse enormous powers, first."""
        if operator == "*":
            _check_repetition(left, right)
        elif operator == "+":
            _check_addition(left, right)
        elif operator == "%":
            _check_percent(left)
        else:
            _check_power(left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call is a step; a ``str`` method that builds is charged at its size first."""
        if __obj in _CHARGED_POINTS:  # ours, put in by ``_Charged``: they charge themselves
            return __obj(*args)
        charge()
        args = _check_method(__obj, args)
        return super().call(__context, __obj, *args, **kwargs)


_CHARGED_POINTS = frozenset({charged_steps, charged_concat})
