"""What a platform asks of an account, read from its adapter's settings model.

A person connecting an account should learn every setting a platform needs at once, not one
422 at a time. The description is built from the same ``settings_model`` that validates an
account, so it cannot drift from what is enforced: a field is required exactly when the model
refuses settings without it, and secret exactly when it is a ``SecretStr``.

What a field is for comes from ``Field(description=...)``, not from ``#:`` comments. A
description is part of the model itself: it reaches ``model_json_schema()`` and is there for a
third-party plugin installed as a wheel (or a zip) as well, where source comments cannot be read
back. Every built-in adapter writes one for every field; a plugin that leaves one out is still
described, with an empty ``description``.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from platforms.adapters.registry import adapter_class, rules_for
from platforms.text import UnknownRules

#: Readable names of the plain types a settings field holds.
_PLAIN: dict[type, str] = {
    str: "string",
    SecretStr: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    datetime: "date and time (ISO 8601)",
}
#: JSON schema types, for a plugin field whose annotation is none of the above.
_SCHEMA: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "list",
    "object": "mapping",
}


@dataclass(frozen=True, kw_only=True)
class SettingInfo:
    """One account setting: what to type and why. ``default`` is ``None`` for a secret (never
    shown) and for a required field; ``required`` tells those apart from a ``None`` default."""

    name: str
    type: str
    required: bool
    secret: bool
    description: str
    default: Any = None


@dataclass(frozen=True, kw_only=True)
class PlatformInfo:
    """One installed platform as a form or a newcomer needs it."""

    name: str
    label: str
    can_lookup: bool
    #: The longest post text, where the platform's text rules say (``None``: no rules known).
    text_limit: int | None
    settings: list[SettingInfo]


def describe_settings(platform: str) -> list[SettingInfo]:
    """Every setting an account of ``platform`` takes, in the model's order (required first
    would reorder what the adapter's author grouped); raises ``UnknownPlatform``."""
    model = adapter_class(platform).settings_model
    schema = model.model_json_schema().get("properties", {})
    return [
        _setting(name, field, schema.get(name, {})) for name, field in model.model_fields.items()
    ]


def describe_platform(platform: str) -> PlatformInfo:
    """``platform``'s label, lookups, text limit and settings; raises ``UnknownPlatform``."""
    cls = adapter_class(platform)
    try:
        text_limit: int | None = rules_for(platform).limit
    except UnknownRules:
        text_limit = None
    return PlatformInfo(
        name=platform,
        label=cls.label or platform,
        can_lookup=cls.can_lookup,
        text_limit=text_limit,
        settings=describe_settings(platform),
    )


def _setting(name: str, field: FieldInfo, schema: dict[str, Any]) -> SettingInfo:
    secret = _is_secret(field.annotation)
    required = field.is_required()
    default = None
    if not (secret or required):
        default = to_jsonable_python(field.get_default(call_default_factory=True))
    return SettingInfo(
        name=name,
        type=_readable(name, field.annotation, schema),
        required=required,
        secret=secret,
        description=field.description or "",
        default=default,
    )


def _without_none(annotation: Any) -> Any:
    """``X | None`` is ``X`` here (whether ``None`` is allowed shows as "not required"), and
    ``Annotated[X, ...]`` (``UTCTime`` inside an optional) is ``X``."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(rest) == 1:
            annotation = rest[0]
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_secret(annotation: Any) -> bool:
    return _without_none(annotation) is SecretStr


def _readable(name: str, annotation: Any, schema: dict[str, Any]) -> str:
    """ "URL", "one of: public, unlisted, private", "list of strings"…

    A field named ``url`` or ``…_url`` is a URL: the convention ``AdapterSettings.outbound_urls``
    relies on to find the addresses an account sends to.
    """
    inner = _without_none(annotation)
    if name == "url" or name.endswith("_url"):
        return "URL"
    if get_origin(inner) is Literal:
        return "one of: " + ", ".join(str(choice) for choice in get_args(inner))
    if get_origin(inner) in (list, tuple, set, frozenset):
        items = [arg for arg in get_args(inner) if arg is not Ellipsis]
        if len(items) == 1 and items[0] in _PLAIN:
            return f"list of {_PLAIN[items[0]]}s"
        return "list"
    if isinstance(inner, type) and inner in _PLAIN:
        return _PLAIN[inner]
    declared = schema.get("type")
    return _SCHEMA.get(declared, "value") if isinstance(declared, str) else "value"
