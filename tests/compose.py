"""docker-compose.yml read as ``docker compose`` reads it, without a Docker engine.

Compose fills ``${VAR}`` forms in the file from the shell's environment and the project's
``.env`` file (the shell wins). This module does the same for the forms of the Compose
Specification's interpolation section: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+replacement}`` and
``${VAR+replacement}``, with ``${...}`` nested in a default. It is written here because the
Python packages that did this (docker-compose 1.x) are unmaintained and pin old PyYAML; the
forms are few and fixed by the specification.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class MissingVariable(ValueError):
    """A ``${VAR:?message}`` whose variable is unset (or empty): compose refuses to start."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines as compose reads a ``.env`` file (comments and blanks skipped)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with every variable form replaced, as compose does."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        following = text[i + 1 : i + 2]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            end = _closing_brace(text, i + 2)
            out.append(_braced(text[i + 2 : end], env))
            i = end + 1
        else:
            name = _NAME.match(text, i + 1)
            if name is None:
                out.append("$")
                i += 1
            else:
                out.append(env.get(name.group(), ""))
                i = name.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for j in range(start, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unclosed ${{ in {text!r}")


def _braced(inner: str, env: Mapping[str, str]) -> str:
    name_match = _NAME.match(inner)
    if name_match is None:
        raise ValueError(f"invalid variable ${{{inner}}}")
    name, rest = name_match.group(), inner[name_match.end() :]
    value = env.get(name)
    if not rest:
        return value or ""
    colon = rest.startswith(":")
    operator, argument = rest[1 if colon else 0], rest[2 if colon else 1 :]
    unset = value is None or (colon and value == "")
    if operator == "-":
        return interpolate(argument, env) if unset else str(value)
    if operator == "?":
        if unset:
            raise MissingVariable(f"required variable {name} is missing a value: {argument}")
        return str(value)
    if operator == "+":
        return "" if unset else interpolate(argument, env)
    raise ValueError(f"invalid variable ${{{inner}}}")


def _walk(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_walk(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _walk(value, env) for key, value in node.items()}
    return node


def load(shell: Mapping[str, str], env_file: Path | None = ENV_EXAMPLE) -> dict[str, Any]:
    """The compose file as compose sees it: YAML anchors merged, then every string
    interpolated from ``shell`` over ``env_file``. Raises ``MissingVariable`` as compose would
    refuse to start."""
    values = {**(read_env_file(env_file) if env_file else {}), **shell}
    return dict(_walk(yaml.safe_load(COMPOSE.read_text()), values))


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's ``environment`` as its container receives it (a mapping or ``K=V`` list)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) for item in raw)
    return {key: "" if value is None else str(value) for key, value in raw.items()}
