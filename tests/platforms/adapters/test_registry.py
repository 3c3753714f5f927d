"""The registry finds adapters by entry point, imports lazily, and survives broken plugins."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from platforms.adapters import registry
from platforms.adapters.outbox import OutboxAdapter
from platforms.adapters.registry import (
    GROUP,
    UnknownPlatform,
    adapter_class,
    build_adapter,
    platform_names,
)
from platforms.adapters.webhook import WebhookAdapter

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    registry.clear_cache()
    yield
    registry.clear_cache()


def _point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


@pytest.fixture
def with_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed adapters plus four plugins that cannot work, each in its own way."""
    real = registry._entry_points()
    extra = {
        "missing": _point("missing", "callsheet_no_such_plugin_module:Adapter"),
        "function": _point("function", "json:dumps"),
        "wrongclass": _point("wrongclass", "collections:OrderedDict"),
        "abstract": _point("abstract", "platforms.adapters.base:Adapter"),
    }
    monkeypatch.setattr(registry, "_entry_points", lambda: {**real, **extra})


def test_lists_the_installed_adapters_sorted() -> None:
    names = platform_names()
    assert {"outbox", "webhook"} <= set(names)
    assert names == sorted(names)


def test_listing_does_not_import_plugins(
    with_plugins: None, caplog: pytest.LogCaptureFixture
) -> None:
    names = platform_names()
    assert {"missing", "function", "wrongclass", "abstract"} <= set(names)
    assert "callsheet_no_such_plugin_module" not in sys.modules
    assert caplog.records == []


def test_builds_outbox_and_webhook(tmp_path: Path) -> None:
    outbox = build_adapter("outbox", {"path": str(tmp_path / "out.jsonl")})
    assert isinstance(outbox, OutboxAdapter)
    with httpx.Client() as client:
        webhook = build_adapter(
            "webhook", {"url": "https://example.test/hook", "secret": SECRET}, client=client
        )
        assert isinstance(webhook, WebhookAdapter)
        webhook.close()
        assert not client.is_closed  # an injected client stays the caller's


def test_bad_settings_raise_validation_error() -> None:
    with pytest.raises(ValidationError):
        build_adapter("webhook", {"url": "https://example.test/hook"})


def test_classes_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    first = adapter_class("outbox")
    monkeypatch.setattr(registry, "_entry_points", lambda: pytest.fail("looked up again"))
    assert adapter_class("outbox") is first is OutboxAdapter


def test_unknown_platform_names_it_and_lists_the_known_ones() -> None:
    with pytest.raises(UnknownPlatform) as caught:
        adapter_class("myspace")
    message = str(caught.value)
    assert "'myspace'" in message
    assert "outbox" in message
    assert "webhook" in message
    assert isinstance(caught.value, LookupError)
    assert caught.value.platform == "myspace"
    with pytest.raises(UnknownPlatform):
        build_adapter("myspace", {})


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing", "failed to import"),
        ("function", "not an Adapter subclass"),
        ("wrongclass", "not an Adapter subclass"),
        ("abstract", "abstract"),
    ],
)
def test_broken_plugin_is_logged_once_and_unknown(
    with_plugins: None, caplog: pytest.LogCaptureFixture, name: str, reason: str
) -> None:
    caplog.set_level(logging.WARNING, logger=registry.__name__)
    with pytest.raises(UnknownPlatform) as caught:
        adapter_class(name)
    assert name in str(caught.value)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert name in warnings[0].getMessage()
    assert reason in warnings[0].getMessage()

    # Not offered any more, not retried (no second warning), and the others still work.
    assert name not in platform_names()
    assert name not in str(caught.value).split("installed platforms:")[1]
    with pytest.raises(UnknownPlatform):
        adapter_class(name)
    assert len(caplog.records) == 1
    assert adapter_class("outbox") is OutboxAdapter


def test_duplicate_names_keep_the_first(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    points = [
        _point("outbox", "platforms.adapters.outbox:OutboxAdapter"),
        _point("outbox", "platforms.adapters.webhook:WebhookAdapter"),
    ]
    monkeypatch.setattr(registry, "entry_points", lambda group: points)
    assert adapter_class("outbox") is OutboxAdapter
    assert "declared twice" in caplog.text
