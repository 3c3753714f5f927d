"""``callsheet platforms``: the installed platforms, and what an account of each needs.

The same descriptions as ``GET /platforms`` (``--json`` prints that very answer), so a person
at a terminal learns every setting a platform needs before connecting an account, not one
refusal at a time. It reads no database: it works before ``callsheet db upgrade``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from platforms.adapters.describe import PlatformInfo, SettingInfo, describe_platform
from platforms.adapters.registry import UnknownPlatform, platform_names
from scheduler.cli.output import console, refuse


def platforms_command(
    settings: Annotated[
        str | None,
        typer.Option("--settings", help="Show one platform's settings (field by field)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """List the installed platform adapters (plugins included) and the settings they need."""
    if settings is not None:
        try:
            described = describe_platform(settings)
        except UnknownPlatform as exc:
            refuse(str(exc))
        if as_json:
            console.print_json(json.dumps(_json(described)))
        else:
            console.print(_settings_table(described))
        return
    every = [_described(name) for name in platform_names()]
    found = [info for info in every if info is not None]
    if as_json:
        console.print_json(json.dumps([_json(info) for info in found]))
        return
    table = Table("platform", "label", "required settings")
    for info in found:
        required = ", ".join(s.name for s in info.settings if s.required)
        table.add_row(info.name, escape(info.label), required or "—")
    console.print(table)


def _described(name: str) -> PlatformInfo | None:
    """A plugin found broken while being described is left out, as the API leaves it out."""
    try:
        return describe_platform(name)
    except UnknownPlatform:
        return None


def _json(info: PlatformInfo) -> Any:
    """The API's answer for one platform. Imported here, not at the top: the API imports the
    metrics, and a command must not import prometheus-client before it has chosen how to count
    (``scheduler.ops.sharing``), which every command would if this module did."""
    from scheduler.api.routes.platforms import platform_public

    return platform_public(info).model_dump(mode="json", exclude_unset=True)


def _settings_table(info: PlatformInfo) -> Table:
    table = Table(title=f"{escape(info.label)} ({info.name}) account settings")
    table.add_column("field", no_wrap=True)  # a name is copied whole, never cut
    table.add_column("type")
    table.add_column("required")
    table.add_column("secret")
    table.add_column("default", overflow="fold")
    table.add_column("what it is for", ratio=1, overflow="fold")
    for setting in info.settings:
        table.add_row(
            setting.name,
            escape(setting.type),
            "yes" if setting.required else "no",
            "yes" if setting.secret else "no",
            _default(setting),
            escape(setting.description),
        )
    return table


def _default(setting: SettingInfo) -> str:
    """What is used when the field is left out: "—" when it must be given or is a secret."""
    if setting.required or setting.secret:
        return "—"
    if setting.default is None:
        return "none"
    if isinstance(setting.default, str):
        return escape(setting.default)
    return escape(json.dumps(setting.default))
