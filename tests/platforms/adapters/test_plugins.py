"""A third-party adapter, installed as a distribution with an entry point, just works.

The plugin here is a real distribution on disk (a package and its ``.dist-info`` with
``entry_points.txt``), found through the path the way pip-installed packages are: nothing
in Callsheet names it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from platforms.adapters import registry
from platforms.adapters.base import PublishRequest
from platforms.adapters.rates import DAY, PublishRate
from scheduler.accounts.connections import build_account_adapter
from scheduler.core.models import Account

PLUGIN = '''
"""Carrier pigeon: posts tied to a leg, i.e. appended to a file."""
from typing import ClassVar

from pydantic import Field, SecretStr

from platforms.adapters.base import Adapter, AdapterSettings, PublishRequest, PublishResult
from platforms.adapters.rates import DAY, PublishRate


class PigeonSettings(AdapterSettings):
    loft: str = Field(description="The file the pigeon carries posts to.")
    ring_code: SecretStr
    perch_key: SecretStr = SecretStr("perch-key-shipped-default")
    flights_a_day: int = 1


class PigeonAdapter(Adapter):
    name: ClassVar[str] = "pigeon"
    settings_model: ClassVar[type[AdapterSettings]] = PigeonSettings
    publish_rates: ClassVar[tuple[PublishRate, ...]] = (PublishRate(1, DAY),)  # one flight a day

    def publish(self, request: PublishRequest) -> PublishResult:
        assert isinstance(self.settings, PigeonSettings)
        with open(self.settings.loft, "a", encoding="utf-8") as loft:
            loft.write(request.text + "\\n")
        return PublishResult(external_id="pigeon-" + request.idempotency_key)
'''


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory holding the installed plugin, put on this process's path."""
    site = tmp_path / "site"
    (site / "callsheet_pigeon").mkdir(parents=True)
    (site / "callsheet_pigeon" / "__init__.py").write_text(PLUGIN)
    info = site / "callsheet_pigeon-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: callsheet-pigeon\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[callsheet.adapters]\npigeon = callsheet_pigeon:PigeonAdapter\n"
    )
    monkeypatch.syspath_prepend(str(site))
    registry.clear_cache()
    yield site
    registry.clear_cache()


def test_an_installed_plugin_is_listed_by_the_command(plugin_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(plugin_path)}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "platforms"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "pigeon" in done.stdout.split()


def test_an_account_can_use_a_plugin_with_no_change_to_callsheet(
    plugin_path: Path, client: httpx.Client, session: Session, tmp_path: Path
) -> None:
    loft = tmp_path / "loft.txt"
    answer = client.post(
        "/accounts",
        json={
            "platform": "pigeon",
            "handle": "@loft",
            "settings": {"loft": str(loft), "ring_code": "NL-2026-4711"},
        },
    )
    assert answer.status_code == 201, answer.text
    # perch_key was never given (the plugin ships a default): absent, not masked.
    shown = {"loft": str(loft), "ring_code": "********", "perch_key": None}
    assert answer.json()["settings"] == shown
    pigeon = {p["name"]: p for p in client.get("/platforms").json()}["pigeon"]
    settings = {s["name"]: s for s in pigeon["settings"]}
    assert settings["loft"] == {
        "name": "loft",
        "type": "string",
        "required": True,
        "secret": False,
        "description": "The file the pigeon carries posts to.",
    }
    assert settings["ring_code"]["required"]
    assert settings["ring_code"]["secret"]
    assert settings["perch_key"]["secret"]
    assert "default" not in settings["perch_key"]
    assert settings["flights_a_day"]["default"] == 1
    assert "perch-key-shipped-default" not in client.get("/platforms/pigeon").text

    account = session.exec(select(Account)).one()
    adapter = build_account_adapter(account)
    request = PublishRequest(idempotency_key="k1", text="Wrap!", account_handle="@loft")
    assert adapter.publish(request).external_id == "pigeon-k1"
    assert loft.read_text() == "Wrap!\n"
    assert "NL-2026-4711" not in json.dumps(account.settings)


def test_a_plugin_says_how_often_its_accounts_may_publish(plugin_path: Path) -> None:
    assert registry.publish_rates_for("pigeon") == (PublishRate(1, DAY),)
