"""The installed platforms, each with every setting an account of it needs.

A person connecting an account reads here what to type (and why) for every field at once,
rather than finding the required ones one 422 at a time. The answer is built from each
adapter's settings model (``platforms.adapters.describe``), plugins included, so it is what the
API enforces when the account is saved. Secrets are marked and their defaults never shown.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from platforms.adapters.describe import PlatformInfo, SettingInfo, describe_platform
from platforms.adapters.registry import UnknownPlatform, platform_names

router = APIRouter(prefix="/platforms", tags=["platforms"])


class SettingPublic(BaseModel):
    """One account setting; ``default`` is absent when there is none, and for every secret."""

    name: str
    type: str
    required: bool
    secret: bool
    description: str
    default: Any = None


class PlatformPublic(BaseModel):
    """One platform; ``sandbox_path`` is its base URL's path on a running ``callsheet sandbox``
    (``http://HOST:PORT/<name>``), for rehearsing with a fake of it."""

    name: str
    label: str
    can_lookup: bool
    text_limit: int | None
    sandbox_path: str
    settings: list[SettingPublic]


def _setting(info: SettingInfo) -> SettingPublic:
    shown = SettingPublic(
        name=info.name,
        type=info.type,
        required=info.required,
        secret=info.secret,
        description=info.description,
    )
    if not (info.secret or info.required):  # leaves ``default`` unset, so left out, otherwise
        shown.default = info.default
    return shown


def platform_public(info: PlatformInfo) -> PlatformPublic:
    """The answer for one platform; the CLI's ``--json`` prints the same."""
    return PlatformPublic(
        name=info.name,
        label=info.label,
        can_lookup=info.can_lookup,
        text_limit=info.text_limit,
        sandbox_path=f"/{info.name}",
        settings=[_setting(setting) for setting in info.settings],
    )


@router.get("", response_model_exclude_unset=True)
def list_platforms() -> list[PlatformPublic]:
    """Every installed platform (third-party plugins too) and the settings its accounts take.

    A plugin that breaks while being described is left out, as ``platform_names`` leaves out
    one that fails to import: one broken package must not hide every other platform.
    """
    described = []
    for name in platform_names():
        try:
            described.append(platform_public(describe_platform(name)))
        except UnknownPlatform:
            continue
    return described


@router.get("/{platform}", response_model_exclude_unset=True)
def show_platform(platform: str) -> PlatformPublic:
    """One platform's settings; an unknown name is a 404 naming the installed platforms."""
    try:
        return platform_public(describe_platform(platform))
    except UnknownPlatform as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
