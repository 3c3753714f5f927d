"""docs/configuration.md, written from the ``Settings`` class itself.

Each setting's description is the ``#:`` comment above it in ``scheduler/core/config.py`` (the
convention Sphinx's autodoc reads), so there is one place to say what a knob is for; its type,
default and whether it is a secret come from the field. A test keeps the page equal to what
this module writes, and refuses a setting with no comment.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from scheduler.core.config import Settings, data_dir

INTRO = """# Configuration

Every setting is an environment variable `CALLSHEET_<NAME>` (or a line of a `.env` file in
the folder a command runs in). This page is written from `scheduler/core/config.py`
(`python -m scheduler.core.settings_doc > docs/configuration.md`); a test keeps it current.
Secrets are never logged nor answered; unset, they are absent.
"""


@dataclass(frozen=True)
class SettingDoc:
    variable: str
    type: str
    default: str
    secret: bool
    description: str


def _declared() -> dict[str, tuple[str, str]]:
    """Each field's annotation as written and its ``#:`` comment lines, joined: one parse of
    the class's source."""
    source = textwrap.dedent(inspect.getsource(Settings))
    lines = source.splitlines()
    found: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body[0].body:  # type: ignore[attr-defined]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            above: list[str] = []
            row = node.lineno - 2
            while row >= 0 and lines[row].strip().startswith("#:"):
                above.insert(0, lines[row].strip().removeprefix("#:").strip())
                row -= 1
            found[node.target.id] = (ast.unparse(node.annotation), " ".join(above))
    return found


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    if field.default is PydanticUndefined:
        value = field.get_default(call_default_factory=True)
    else:
        value = field.default
    if isinstance(value, SecretStr):
        return "(the public development key)" if name == "secret_keys" else "unset"
    if value is None:
        return "unset"
    shown = str(value).replace(str(data_dir()), "<data folder>")
    return shown.replace(str(Path(__file__).resolve().parents[2]), "<install folder>") or '""'


def settings_docs() -> list[SettingDoc]:
    declared = _declared()
    return [
        SettingDoc(
            variable=f"CALLSHEET_{name.upper()}",
            type=declared[name][0],
            default=_default(name),
            secret="SecretStr" in declared[name][0],
            description=declared[name][1],
        )
        for name in Settings.model_fields
    ]


def configuration_page() -> str:
    rows = ["| variable | type | default | what it is for |", "|---|---|---|---|"]
    for doc in settings_docs():
        secret = " **Secret.**" if doc.secret else ""
        cell = doc.description.replace("``", "`").replace("|", "\\|")
        kind = doc.type.replace("|", "or")
        rows.append(f"| `{doc.variable}` | {kind} | `{doc.default}` | {cell}{secret} |")
    folder = (
        "The embedded default's `<data folder>` is the per-user data folder: "
        "`~/.local/share/callsheet` on Linux (`$XDG_DATA_HOME/callsheet` when set), "
        "`~/Library/Application Support/callsheet` on macOS."
    )
    return INTRO + "\n" + "\n".join(rows) + "\n\n" + folder + "\n"


if __name__ == "__main__":
    print(configuration_page(), end="")
