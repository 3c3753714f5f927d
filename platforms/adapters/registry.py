"""Find platform adapters by name, from the ``callsheet.adapters`` entry-point group.

Adapters (ours and third-party plugins alike) are declared as entry points, so installing a
package is all it takes to add a platform. Classes are imported on first use only: listing the
platforms for a form must not pay for (or be broken by) importing every SDK a plugin drags in.

A plugin that fails to import, or does not point at an ``Adapter`` subclass, is logged once and
then treated as an unknown platform. One broken third-party package must never take down the
API or the publish flow for every other platform.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import httpx

from platforms.adapters.base import Adapter
from platforms.adapters.rates import PUBLISH_RATES, PublishRate
from platforms.text import RULES, TextRules, UnknownRules

GROUP = "callsheet.adapters"

log = logging.getLogger(__name__)

_lock = threading.RLock()  # re-entrant: a plugin may look up another while importing
_classes: dict[str, type[Adapter]] = {}
_broken: set[str] = set()


class UnknownPlatform(LookupError):
    """No usable adapter is installed under this name."""

    def __init__(self, platform: str, known: list[str]) -> None:
        listed = ", ".join(known) if known else "none"
        super().__init__(f"unknown platform {platform!r}; installed platforms: {listed}")
        self.platform = platform
        self.known = known


def _entry_points() -> dict[str, EntryPoint]:
    """The declared adapters by name; re-read each call so freshly installed plugins appear.

    When two distributions declare the same name the first one wins and the clash is logged,
    because silently swapping which code publishes for an account would be worse than either.
    """
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        if point.name in found:
            log.warning(
                "adapter %r is declared twice (%s and %s); using the first",
                point.name,
                found[point.name].value,
                point.value,
            )
            continue
        found[point.name] = point
    return found


def platform_names() -> list[str]:
    """Installed platform names, sorted, without importing any adapter.

    Plugins already found broken are left out, so forms never offer a platform that cannot work.
    """
    with _lock:
        broken = set(_broken)
    return sorted(name for name in _entry_points() if name not in broken)


def adapter_class(name: str) -> type[Adapter]:
    """The adapter class for ``name``; raises ``UnknownPlatform`` if none is usable."""
    with _lock:
        cached = _classes.get(name)
        if cached is not None:
            return cached
        if name not in _broken:
            point = _entry_points().get(name)
            if point is not None:
                loaded = _load(point)
                if loaded is not None:
                    _classes[name] = loaded
                    return loaded
                _broken.add(name)
    raise UnknownPlatform(name, platform_names())


def _load(point: EntryPoint) -> type[Adapter] | None:
    """Import one plugin, returning ``None`` (after a warning) when it cannot be used."""
    try:
        loaded = point.load()
    except Exception:
        log.warning(
            "adapter plugin %r (%s) failed to import; skipping it",
            point.name,
            point.value,
            exc_info=True,
        )
        return None
    if not (isinstance(loaded, type) and issubclass(loaded, Adapter)):
        log.warning(
            "adapter plugin %r (%s) is not an Adapter subclass; skipping it",
            point.name,
            point.value,
        )
        return None
    if inspect.isabstract(loaded):
        log.warning(
            "adapter plugin %r (%s) is abstract (missing publish?); skipping it",
            point.name,
            point.value,
        )
        return None
    return loaded


def build_adapter(
    platform: str, raw_settings: Mapping[str, Any], *, client: httpx.Client | None = None
) -> Adapter:
    """An adapter for one account: settings validated (``pydantic.ValidationError``), then built.

    ``client`` lets callers share one connection pool across adapters, and lets tests inject a
    transport; an adapter never closes a client it was given.
    """
    cls = adapter_class(platform)
    return cls(cls.parse_settings(raw_settings), client=client)


def clear_cache() -> None:
    """Forget loaded and broken plugins, so a fixed or newly installed one is picked up."""
    with _lock:
        _classes.clear()
        _broken.clear()


def rules_for(platform: str, *, limit: int | None = None) -> TextRules:
    """The text rules for ``platform``: ``RULES``, else a ``rules`` attribute on its adapter class.

    Built-in platforms come from ``RULES`` without importing any adapter. A plugin platform can
    bring its own rules as a class attribute ``rules = TextRules(...)`` on its adapter. ``limit``
    overrides the length limit (a Mastodon instance's).
    """
    rules = RULES.get(platform) or _adapter_rules(platform)
    if rules is None:
        raise UnknownRules(platform, sorted(RULES))
    return rules if limit is None else rules.with_limit(limit)


def _adapter_rules(platform: str) -> TextRules | None:
    try:
        declared = getattr(adapter_class(platform), "rules", None)
    except UnknownPlatform:
        return None
    return declared if isinstance(declared, TextRules) else None


def publish_rates_for(platform: str) -> tuple[PublishRate, ...]:
    """How often one account of ``platform`` may publish: ``PUBLISH_RATES``, else a
    ``publish_rates`` attribute on its adapter class; ``()`` (not paced) when neither says.

    Built-in platforms are answered without importing any adapter, as ``rules_for`` is.
    """
    if platform in PUBLISH_RATES:
        return PUBLISH_RATES[platform]
    try:
        declared = getattr(adapter_class(platform), "publish_rates", ())
    except UnknownPlatform:
        return ()
    if isinstance(declared, tuple) and all(isinstance(r, PublishRate) for r in declared):
        return declared
    return ()
