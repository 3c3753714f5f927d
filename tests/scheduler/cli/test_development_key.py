"""Running on the public development key is said out loud, by every command and by the API.

The key is in this repository, so whatever it seals anyone can open. Production refuses it;
development and tests may use it, and before this nothing said so: a studio could run a
"development" setup with real tokens and never know.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from scheduler.api import create_app
from scheduler.core.config import get_settings
from scheduler.core.vault import DEVELOPMENT_KEY
from tests.conftest import CALLSHEET

WARNING = "the public development key"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CALLSHEET_")}
    return subprocess.run(
        [*CALLSHEET, *args],
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_command_on_the_development_key_warns_on_stderr() -> None:
    done = _run("platforms")
    assert done.returncode == 0, done.stderr
    assert WARNING in done.stderr
    assert "CALLSHEET_SECRET_KEYS" in done.stderr
    assert WARNING not in done.stdout  # output that scripts read stays clean


def test_a_command_with_a_key_of_its_own_says_nothing() -> None:
    own = "k" * 43 + "="  # a well-formed Fernet key (32 bytes, url-safe base64)
    done = _run("platforms", CALLSHEET_SECRET_KEYS=own)
    assert done.returncode == 0, done.stderr
    assert WARNING not in done.stderr


def test_the_api_warns_when_it_starts_on_the_development_key(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLSHEET_SECRET_KEYS", DEVELOPMENT_KEY)
    get_settings.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            create_app()
    finally:
        get_settings.cache_clear()
    assert any(WARNING in record.getMessage() for record in caplog.records)
